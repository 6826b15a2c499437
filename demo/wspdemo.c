// SPDX-License-Identifier: GPL-2.0
/*
 * wspdemo - the seed's scenario, shown: what `make demo` runs in the VM.
 *
 *   "Issuing either of these calls using any of the shared descriptors
 *    cancels any previous event registration for the socket, regardless
 *    of which descriptor was used to make that registration. Thus it would
 *    not be possible to have process A receive FD_READ events and process
 *    B receive FD_WRITE events."
 *
 * Process A connects a socket, registers async-select for FD_READ on its
 * window and duplicates the socket into process B. B redeems it and
 * registers event-select for FD_WRITE. The peer sends data. A's window
 * receives nothing; B's eventfd fires for FD_WRITE; the registration
 * names B. Then A registers again and takes the socket back.
 *
 * The descriptors are real sockets (wspshare ABI 2): the connection is
 * made with socket(2)'s own calls, and B reads the peer's address with
 * plain getpeername(2) through its redeemed descriptor.
 *
 * Then the remedy, a wspshare extension Windows does not have: A
 * event-selects FD_READ asking to be told when it is displaced
 * (WSP_SELECT_NOTIFY_DISPLACED); B registers through its redeemed
 * descriptor; A's eventfd fires and WSPEnumNetworkEvents reports
 * WSP_FD_DISPLACED with B's pid and descriptor.
 *
 * usage: wspdemo [--wspstat=PATH]
 *
 * With --wspstat=PATH (or $WSPSTAT), the remedy also runs "PATH -s ID"
 * before and after B's registration, to show the socket's one
 * registration as an administrator sees it.
 */
#define _GNU_SOURCE		/* accept4 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/wspshare.h>

#define WM_SOCKET 0x8001	/* A's message number (WM_USER + 1) */

static int dev;
static const char *wspstat;	/* --wspstat=PATH or $WSPSTAT, or NULL */

static void die(const char *what)
{
	fprintf(stderr, "wspdemo: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void errx_usage(void)
{
	fprintf(stderr, "usage: wspdemo [--wspstat=PATH]\n");
	exit(2);
}

static void say(const char *who, const char *fmt, ...)
{
	va_list ap;

	printf("  %-6s ", who);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static int xioctl(int fd, unsigned long cmd, void *arg, const char *what)
{
	int ret = ioctl(fd, cmd, arg);

	if (ret < 0)
		die(what);
	return ret;
}

/* A system call that returns -1 on failure. */
static int check(int ret, const char *what)
{
	if (ret < 0)
		die(what);
	return ret;
}

static const char *event_name(uint32_t ev)
{
	static const char *const names[] = {
		"FD_READ", "FD_WRITE", "FD_OOB", "FD_ACCEPT", "FD_CONNECT",
		"FD_CLOSE",
	};
	int bit = __builtin_ctz(ev);

	return ev && bit < 6 ? names[bit] : "FD_?";
}

static const char *mask_names(uint32_t mask, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = 0;
	for (uint32_t b = 1; b <= WSP_FD_CLOSE; b <<= 1)
		if (mask & b)
			used += snprintf(buf + used, len - used, "%s%s",
					 used ? "|" : "", event_name(b));
	return mask ? buf : "none";
}

static void show_registration(const char *who, int fd)
{
	struct wsp_registration r = { 0 };
	char m[80];

	xioctl(fd, WSP_IOC_GET_REGISTRATION, &r, "GET_REGISTRATION");
	say(who, "the socket's one registration: %s, mask %s, made by pid %d",
	    r.kind == WSP_REG_ASYNC ? "async-select" :
	    r.kind == WSP_REG_EVENT ? "event-select" : "none",
	    mask_names(r.mask, m, sizeof(m)), r.pid);
}

/* Read what A's window holds now, without waiting; the number read. */
static int drain_window(const char *who, int window)
{
	struct wsp_message msg;
	int n = 0;

	while (read(window, &msg, sizeof(msg)) == sizeof(msg)) {
		say(who, "window message: wParam %llu, %s, error %d",
		    (unsigned long long)msg.wparam, event_name(msg.event),
		    msg.error);
		n++;
	}
	if (!n)
		say(who, "window: no message");
	return n;
}

/*
 * Run "wspstat -s ID" (the wspstat tool, given by --wspstat=PATH or
 * $WSPSTAT) to show socket @id as an administrator sees it; nothing
 * without one.
 */
static void show_wspstat(unsigned long long id)
{
	char arg[32];
	int status;
	pid_t pid;

	if (!wspstat)
		return;
	snprintf(arg, sizeof(arg), "%llu", id);
	printf("  %-6s $ wspstat -s %s\n", "", arg);
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		execl(wspstat, wspstat, "-s", arg, (char *)NULL);
		fprintf(stderr, "wspdemo: %s: %s\n", wspstat, strerror(errno));
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		printf("  %-6s (wspstat failed)\n", "");
	fflush(stdout);
}

static unsigned long long socket_id(int fd)
{
	struct wsp_socket_info info = { 0 };

	xioctl(fd, WSP_IOC_SOCKET_INFO, &info, "SOCKET_INFO");
	return info.socket_id;
}

/* Two wspshare sockets connected over loopback with the socket calls. */
static void make_connection(int *sock, int *peer)
{
	struct wsp_socket_args sa = { .flags = WSP_FD_CLOEXEC,
				      .family = AF_INET, .type = SOCK_STREAM };
	struct sockaddr_in addr = { .sin_family = AF_INET };
	socklen_t len = sizeof(addr);
	int listener;

	listener = xioctl(dev, WSP_IOC_SOCKET, &sa, "SOCKET");
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	check(bind(listener, (struct sockaddr *)&addr, sizeof(addr)), "bind");
	check(listen(listener, 1), "listen");
	check(getsockname(listener, (struct sockaddr *)&addr, &len), "getsockname");
	*sock = xioctl(dev, WSP_IOC_SOCKET, &sa, "SOCKET");
	check(connect(*sock, (struct sockaddr *)&addr, sizeof(addr)), "connect");
	*peer = check(accept4(listener, NULL, NULL, SOCK_CLOEXEC), "accept4");
	close(listener);
}

/* In B: read A's duplication record from @from_a and redeem it. */
static int redeem_from_a(int from_a)
{
	struct wsp_redeem_args ra = { .flags = WSP_FD_CLOEXEC };

	if (read(from_a, &ra.info, sizeof(ra.info)) != sizeof(ra.info))
		die("B: read record");
	return xioctl(dev, WSP_IOC_REDEEM, &ra, "REDEEM");
}

/* In B: event-select FD_WRITE through @sock to a new eventfd; that. */
static int event_select_write(int sock)
{
	struct wsp_event_select_args es = { .mask = WSP_FD_WRITE };
	int efd = eventfd(0, EFD_CLOEXEC);

	if (efd < 0)
		die("eventfd");
	es.eventfd = efd;
	es.descriptor = sock;
	xioctl(sock, WSP_IOC_EVENT_SELECT, &es, "EVENT_SELECT");
	return efd;
}

/* Process B: redeem, register event-select for FD_WRITE, watch. */
static int process_b(int from_a, int to_a)
{
	struct wsp_enum_events_args en = { .eventfd = -1 };
	struct sockaddr_in peer;
	socklen_t len = sizeof(peer);
	char name[INET_ADDRSTRLEN];
	struct pollfd pfd;
	int sock, efd;
	char go;

	sock = redeem_from_a(from_a);
	say("B", "redeemed the record: descriptor %d, same socket as A's", sock);
	check(getpeername(sock, (struct sockaddr *)&peer, &len), "getpeername");
	say("B", "a real socket: getpeername(%d) says the peer is %s:%u", sock,
	    inet_ntop(AF_INET, &peer.sin_addr, name, sizeof(name)),
	    ntohs(peer.sin_port));

	efd = event_select_write(sock);
	say("B", "WSPEventSelect(FD_WRITE) through descriptor %d: returned",
	    sock);
	if (write(to_a, "r", 1) != 1)
		die("B: write");

	/* The peer's data arrives while B's registration holds. */
	if (read(from_a, &go, 1) != 1)
		die("B: read");
	pfd = (struct pollfd) { .fd = efd, .events = POLLIN };
	if (poll(&pfd, 1, 2000) == 1) {
		en.eventfd = efd;
		xioctl(sock, WSP_IOC_ENUM_EVENTS, &en, "ENUM_EVENTS");
		say("B", "eventfd fired; WSPEnumNetworkEvents: %s",
		    event_name(en.network_events));
	} else {
		say("B", "eventfd did not fire");
	}
	if (write(to_a, "d", 1) != 1)
		die("B: write");

	/* A takes the registration back: B's eventfd stays quiet. */
	if (read(from_a, &go, 1) != 1)
		die("B: read");
	pfd.revents = 0;
	say("B", "after A re-registered, eventfd %s",
	    poll(&pfd, 1, 0) == 0 ? "stays quiet" : "fired (unexpected)");
	close(efd);
	close(sock);
	return 0;
}

/*
 * Process B of the remedy: redeem, event-select FD_WRITE through the new
 * descriptor, tell A its number, wait for A to be done.
 */
static int process_b_displaces(int from_a, int to_a)
{
	int sock, efd;
	char go;

	sock = redeem_from_a(from_a);
	efd = event_select_write(sock);
	say("B", "pid %d: WSPEventSelect(FD_WRITE) through descriptor %d",
	    getpid(), sock);
	if (write(to_a, &sock, sizeof(sock)) != sizeof(sock))
		die("B: write");
	if (read(from_a, &go, 1) != 1)
		die("B: read");
	close(efd);
	close(sock);
	return 0;
}

/*
 * Fork process B, running @run with its ends of two pipes (from A, to A);
 * A keeps the other ends, @to_b and @from_b. Returns B's pid.
 */
static pid_t fork_b(int (*run)(int from_a, int to_a), int *to_b, int *from_b)
{
	int a_to_b[2], b_to_a[2];
	pid_t b;

	if (pipe(a_to_b) || pipe(b_to_a))
		die("pipe");
	b = fork();
	if (b < 0)
		die("fork");
	if (b == 0) {
		close(a_to_b[1]);
		close(b_to_a[0]);
		exit(run(a_to_b[0], b_to_a[1]));
	}
	close(a_to_b[0]);
	close(b_to_a[1]);
	*to_b = a_to_b[1];
	*from_b = b_to_a[0];
	return b;
}

/*
 * The remedy: A asks to be told when its registration is displaced, and
 * is told, once, by whom. Returns 0 if A was told exactly B's pid and
 * descriptor.
 */
static int remedy(void)
{
	struct wsp_event_select_args es = {
		.flags = WSP_SELECT_NOTIFY_DISPLACED, .mask = WSP_FD_READ,
	};
	struct wsp_enum_events_args en = { 0 };
	struct wsp_duplicate_args da = { 0 };
	int to_b, from_b;
	int sock, peer, efd, bfd, status, told;
	unsigned long long id;
	struct pollfd pfd;
	pid_t b;

	printf("\nThe remedy (a wspshare extension): ask to be told.\n\n");
	make_connection(&sock, &peer);
	id = socket_id(sock);
	say("A", "socket connected: descriptor %d (pid %d), socket id %llu",
	    sock, getpid(), id);
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (efd < 0)
		die("eventfd");
	es.eventfd = efd;
	es.descriptor = sock;
	xioctl(sock, WSP_IOC_EVENT_SELECT, &es, "EVENT_SELECT");
	say("A", "WSPEventSelect(FD_READ) through descriptor %d, with "
	    "WSP_SELECT_NOTIFY_DISPLACED", sock);
	show_registration("A", sock);
	show_wspstat(id);

	b = fork_b(process_b_displaces, &to_b, &from_b);
	da.pid = b;
	xioctl(sock, WSP_IOC_DUPLICATE, &da, "DUPLICATE");
	if (write(to_b, &da.info, sizeof(da.info)) != sizeof(da.info))
		die("write");
	if (read(from_b, &bfd, sizeof(bfd)) != sizeof(bfd))
		die("read");

	/* B's call has returned: A's notice is there already. */
	pfd = (struct pollfd) { .fd = efd, .events = POLLIN };
	told = poll(&pfd, 1, 0) == 1;
	if (told) {
		en.eventfd = efd;
		xioctl(sock, WSP_IOC_ENUM_EVENTS, &en, "ENUM_EVENTS");
		told = en.network_events == WSP_FD_DISPLACED;
	}
	if (told)
		say("A", "eventfd fired: WSPEnumNetworkEvents says "
		    "WSP_FD_DISPLACED:\n"
		    "         \"your registration was replaced by pid %d "
		    "through descriptor %llu\"",
		    en.displaced_pid,
		    (unsigned long long)en.displaced_descriptor);
	else
		say("A", "was not told (wrong)");
	told = told && en.displaced_pid == b &&
	       en.displaced_descriptor == (__u64)bfd;
	show_registration("A", sock);
	show_wspstat(id);

	if (write(to_b, "x", 1) != 1)
		die("write");
	if (waitpid(b, &status, 0) != b || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		die("B failed");
	close(to_b);
	close(from_b);
	close(efd);
	close(peer);
	close(sock);
	printf("\nAsked for it, A learns at once who took the registration, "
	       "and through which\ndescriptor; without the flag it is silent, "
	       "as in Windows.\n");
	return told ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct wsp_window_args wa = { .flags = WSP_FD_CLOEXEC | WSP_WINDOW_NONBLOCK };
	struct wsp_async_select_args as = { .message = WM_SOCKET };
	struct wsp_duplicate_args da = { 0 };
	struct wsp_version v = { 0 };
	int to_b, from_b;
	int sock, peer, window, status, after, queued;
	struct pollfd pfd;
	pid_t b;
	char c;

	setvbuf(stdout, NULL, _IOLBF, 0);
	wspstat = getenv("WSPSTAT");
	if (argc > 1 && !strncmp(argv[1], "--wspstat=", 10))
		wspstat = argv[1] + 10;
	else if (argc > 1)
		errx_usage();
	if (wspstat && !*wspstat)
		wspstat = NULL;
	dev = open(WSP_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	if (dev < 0)
		die(WSP_DEVICE_PATH);
	xioctl(dev, WSP_IOC_VERSION, &v, "VERSION");
	printf("wspshare module %u.%u, ABI %u\n\n", v.module_major,
	       v.module_minor, v.abi_version);
	if (v.abi_version != WSP_ABI_VERSION) {
		fprintf(stderr, "wspdemo: built for ABI %u\n", WSP_ABI_VERSION);
		return 1;
	}
	printf("One socket, two processes, one registration:\n\n");

	make_connection(&sock, &peer);
	say("A", "socket connected: descriptor %d (pid %d)", sock, getpid());

	window = xioctl(dev, WSP_IOC_WINDOW, &wa, "WINDOW");
	as.window = window;
	as.mask = WSP_FD_READ;
	as.descriptor = sock;
	xioctl(sock, WSP_IOC_ASYNC_SELECT, &as, "ASYNC_SELECT");
	say("A", "WSPAsyncSelect(FD_READ, message 0x%x) on window %d", WM_SOCKET,
	    window);
	show_registration("A", sock);

	b = fork_b(process_b, &to_b, &from_b);

	da.pid = b;
	xioctl(sock, WSP_IOC_DUPLICATE, &da, "DUPLICATE");
	say("A", "WSPDuplicateSocket for pid %d; the record goes over a pipe", b);
	if (write(to_b, &da.info, sizeof(da.info)) != sizeof(da.info))
		die("write");
	if (read(from_b, &c, 1) != 1)
		die("read");

	show_registration("A", sock);
	say("A", "A's registration is gone: it was replaced through B's descriptor");

	if (write(peer, "hello", 5) != 5)
		die("peer write");
	say("peer", "sends 5 bytes");
	/* The data is there (FD_READ has happened) before A looks. */
	pfd = (struct pollfd) { .fd = sock, .events = POLLIN };
	if (poll(&pfd, 1, 5000) != 1 || ioctl(sock, FIONREAD, &queued) < 0)
		die("poll");
	say("A", "the socket has %d bytes waiting", queued);
	if (write(to_b, "g", 1) != 1 || read(from_b, &c, 1) != 1)
		die("pipe");
	after = drain_window("A", window);
	say("A", "%s", after ? "received events after B's call (wrong)" :
	    "received nothing after B's call returned: B holds the registration");

	as.mask = WSP_FD_READ;
	xioctl(sock, WSP_IOC_ASYNC_SELECT, &as, "ASYNC_SELECT");
	say("A", "WSPAsyncSelect(FD_READ) again: A takes the socket back");
	show_registration("A", sock);
	drain_window("A", window);
	if (write(to_b, "x", 1) != 1)
		die("pipe");

	if (waitpid(b, &status, 0) != b || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		die("B failed");
	close(peer);
	close(window);
	close(sock);
	printf("\nA process cannot receive FD_READ while another receives FD_WRITE:\n"
	       "the last WSPAsyncSelect or WSPEventSelect, through any descriptor, wins.\n");
	if (after)
		return 1;
	return remedy();
}

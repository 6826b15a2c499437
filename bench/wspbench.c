// SPDX-License-Identifier: GPL-2.0
/*
 * wspbench - wspshare against native Linux doing the same job, in one
 * process, in one run.
 *
 * Each case runs its variants in alternating rounds (one round of each
 * variant in turn, the same number of operations per round), pinned to one
 * CPU, after an untimed warm-up that also picks the round length. What
 * counts is a ratio from the same run: absolute times under QEMU's TCG
 * mean nothing, and a machine shared with other work makes single rounds
 * noisy, so the spread of the per-round ratios is printed beside the ratio
 * of the medians.
 *
 * Variants are named for what they call:
 *   libwsp        the WSP* functions of libwsp (lib/, linked statically),
 *                 as a Winsock provider would use them
 *   raw-ioctl     the same job with the module's ioctls and the socket
 *                 system calls directly: libwsp's own overhead is the
 *                 difference between it and libwsp
 *   wsp-syscalls  the plain system calls on a wspshare socket: the module's
 *                 wrapped proto_ops alone
 *   the rest      native Linux: epoll, pidfd_getfd, dup, plain sockets
 * Every non-baseline variant is compared with every baseline of its case.
 *
 * The cases:
 *   evsel-pingpong  1-byte TCP round trip over loopback woken through an
 *                   event-select (wait for the event, enumerate, receive,
 *                   send), against epoll_wait + recv + send
 *   async-pingpong  the same woken through an async-select's window
 *                   message, against epoll
 *   reselect        switching the registration between FD_READ and
 *                   FD_WRITE, against EPOLL_CTL_MOD EPOLLIN <-> EPOLLOUT
 *   dup             duplicate (for this process) + redeem + close, against
 *                   pidfd_getfd + close and dup + close
 *   sockopt         set + get SO_RCVBUF, against setsockopt + getsockopt
 *   bulk            64 KiB over loopback TCP
 *   delivery        one event delivery: send 1 byte, wait, enumerate,
 *                   receive; against send + epoll_wait + recv
 *   scale-descs     the delivery (libwsp, and raw-ioctl) on a socket with
 *                   10,000 more descriptors (dup(2)) against one with a
 *                   single one
 *   scale-regs      the delivery (libwsp, and raw-ioctl) with 10,000 other
 *                   event-selected sockets against the same with those
 *                   10,000 sockets unregistered (registrations toggled
 *                   between rounds)
 *   mem-socket      kernel slab memory (/proc/slabinfo, active objects x
 *                   object size) per socket: 10,000 wspshare sockets
 *                   against 10,000 socket(2) sockets (TCP, unconnected)
 *   mem-desc        the same per extra descriptor: 10,000 redeemed
 *                   duplicates of a wspshare socket against 10,000 dup(2)
 *                   of a plain one
 * The scale and memory cases need root (RLIMIT_NOFILE, /proc/slabinfo),
 * which the test VM gives.
 *
 * usage: wspbench [-r ROUNDS] [-t ROUND_MS] [-c CASE[,CASE...]] [CSV_PATH]
 *   -r  rounds per variant (default 21)
 *   -t  the length of a round of the slowest variant, in ms (default 100)
 *   -c  run only these cases
 *
 * Progress lines start with "#". The table goes to stdout between
 * "WSPBENCH-TABLE-BEGIN/END" lines, and the CSV to CSV_PATH (default
 * /tmp/wspbench.csv) and to stdout between "WSPBENCH-CSV-BEGIN/END" lines,
 * which is how scripts/bench.sh gets it out of the test VM. The module
 * must be loaded. Exit status 0, or 1 when a call fails or the module's
 * counters are not back at zero at the end.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <linux/wspshare.h>

#include "wsp.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

#define MAX_ROUNDS	99
#define MAX_VARIANTS	4
#define BULK_SIZE	(64 * 1024)
/* How many descriptors, registered sockets, sockets the scale cases add. */
#define SCALE_N		10000
/* Memory: rounds of creating SCALE_N of each kind. */
#define MEM_ROUNDS	5
/* How long a wait for something that must already be there may take. */
#define WAIT_MS		5000
#define WM_SOCKET	0x8001	/* the async-select message number */

static int rounds = 21;
static long round_ms = 100;
static const char *only;
static int dev = -1;

static void die(const char *what, ...)
{
	va_list ap;
	int err = errno;

	fprintf(stdout, "wspbench: ");
	va_start(ap, what);
	vfprintf(stdout, what, ap);
	va_end(ap);
	fprintf(stdout, ": %s\n", strerror(err));
	exit(1);
}

static void die_msg(const char *what)
{
	fprintf(stdout, "wspbench: %s\n", what);
	exit(1);
}

/* A libwsp call failed with Winsock code @wsa. */
static void die_wsa(const char *what, int wsa)
{
	fprintf(stdout, "wspbench: %s: Winsock error %d\n", what, wsa);
	exit(1);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/*
 * A variant of a case: @op does @n operations (it fails the whole program
 * on any error, so a broken path never looks fast). @prepare, if set, runs
 * untimed before each of its rounds. A @baseline is what the others are
 * divided by: every baseline of the same @group, or of any group when
 * either group is 0.
 */
struct variant {
	const char *name;
	void (*op)(long n);
	void (*prepare)(void);
	int baseline;
	int group;
};

/* -------------------------------------------------------------- sockets */

static SOCKET lib_socket(int family, int type)
{
	int err = 0;
	SOCKET s = WSPSocket(family, type, 0, NULL, 0,
			     WSA_FLAG_NO_HANDLE_INHERIT, &err);

	if (s == INVALID_SOCKET)
		die_wsa("WSPSocket", err);
	return s;
}

static int plain_socket(int family, int type)
{
	int fd = socket(family, type | SOCK_CLOEXEC, 0);

	if (fd < 0)
		die("socket");
	return fd;
}

static void xclose(int fd)
{
	if (fd >= 0 && close(fd))
		die("close");
}

static void set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK))
		die("O_NONBLOCK");
}

/*
 * Everything one end-to-end pair needs: a connected TCP pair over
 * 127.0.0.1 with TCP_NODELAY on both ends, of wspshare sockets (the
 * listener too, so that the accepted end is one) or of plain sockets, and
 * per end the notification objects its variants use.
 */
struct pair {
	int wsp;
	int a, b;
	WSAEVENT ev_a, ev_b;	/* event-select: eventfds */
	HWND win_a, win_b;	/* async-select: libwsp's windows */
	int rwin_a, rwin_b;	/* async-select: blocking windows (raw) */
	int ep_a, ep_b;		/* epoll (native) */
};

static void pair_init(struct pair *p)
{
	memset(p, 0, sizeof(*p));
	p->a = p->b = p->ev_a = p->ev_b = p->win_a = p->win_b = -1;
	p->rwin_a = p->rwin_b = p->ep_a = p->ep_b = -1;
}

static void tcp_pair(struct pair *p, int wsp)
{
	struct sockaddr_in addr = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	socklen_t len = sizeof(addr);
	int l, one = 1;

	pair_init(p);
	p->wsp = wsp;
	l = wsp ? lib_socket(AF_INET, SOCK_STREAM) :
		  plain_socket(AF_INET, SOCK_STREAM);
	if (bind(l, (struct sockaddr *)&addr, sizeof(addr)) ||
	    listen(l, 1) ||
	    getsockname(l, (struct sockaddr *)&addr, &len))
		die("listener");
	p->a = wsp ? lib_socket(AF_INET, SOCK_STREAM) :
		     plain_socket(AF_INET, SOCK_STREAM);
	if (connect(p->a, (struct sockaddr *)&addr, sizeof(addr)))
		die("connect");
	p->b = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	if (p->b < 0)
		die("accept4");
	xclose(l);
	if (setsockopt(p->a, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) ||
	    setsockopt(p->b, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)))
		die("TCP_NODELAY");
}

static WSAEVENT lib_event(void)
{
	int err = 0;
	WSAEVENT e = WSPCreateEvent(&err);

	if (e == WSA_INVALID_EVENT)
		die_wsa("WSPCreateEvent", err);
	return e;
}

static void lib_event_select(SOCKET s, WSAEVENT e, long mask)
{
	int err = 0;

	if (WSPEventSelect(s, e, mask, &err))
		die_wsa("WSPEventSelect", err);
}

static int new_epoll(int fd, unsigned int events)
{
	struct epoll_event ev = { .events = events, .data.fd = fd };
	int ep = epoll_create1(EPOLL_CLOEXEC);

	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev))
		die("epoll");
	return ep;
}

/* A wspshare pair with an FD_READ event-select on each end. */
static void evsel_pair(struct pair *p)
{
	tcp_pair(p, 1);
	p->ev_a = lib_event();
	p->ev_b = lib_event();
	lib_event_select(p->a, p->ev_a, FD_READ);
	lib_event_select(p->b, p->ev_b, FD_READ);
}

/* A plain pair, non-blocking, with an EPOLLIN epoll instance per end. */
static void epoll_pair(struct pair *p)
{
	tcp_pair(p, 0);
	set_nonblock(p->a);
	set_nonblock(p->b);
	p->ep_a = new_epoll(p->a, EPOLLIN);
	p->ep_b = new_epoll(p->b, EPOLLIN);
}

static void pair_close(struct pair *p)
{
	int fds[] = { p->a, p->b, p->ev_a, p->ev_b, p->win_a, p->win_b,
		      p->rwin_a, p->rwin_b, p->ep_a, p->ep_b };

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		xclose(fds[i]);
	pair_init(p);
}

/* The pairs the cases use: event-selected, async-selected, epoll'd. */
static struct pair wp, ap, np;

/* ------------------------------------------- the notification paths */

/*
 * Both ends live in this process and this thread: a loopback send delivers
 * to the peer's receive queue before it returns (the softirq runs on the
 * way out of the send), so the notification is already there when the
 * other end waits. What is measured is then the notification path itself
 * (the socket's wakeup, the record, the eventfd or the window, the
 * enumeration), not the scheduler: a forked peer pinned to the same CPU
 * would add two context switches per round trip to every variant and
 * drown the difference.
 */

/* libwsp: WSPSend of one byte. */
static void lib_send1(SOCKET s, char c)
{
	WSABUF b = { .len = 1, .buf = &c };
	DWORD sent = 0;
	int err = 0;

	if (WSPSend(s, &b, 1, &sent, 0, NULL, NULL, NULL, &err) || sent != 1)
		die_wsa("WSPSend", err);
}

/* libwsp: WSPRecv of the one byte that is there. */
static void lib_recv1(SOCKET s)
{
	char c;
	WSABUF b = { .len = 1, .buf = &c };
	DWORD got = 0, flags = 0;
	int err = 0;

	if (WSPRecv(s, &b, 1, &got, &flags, NULL, NULL, NULL, &err) || got != 1)
		die_wsa("WSPRecv", err);
}

/* libwsp: WSPWaitForEvent, then WSPEnumNetworkEvents resetting it. */
static void lib_wait_event(SOCKET s, WSAEVENT e)
{
	WSANETWORKEVENTS ne;
	int err = 0, r;

	r = WSPWaitForEvent(e, WAIT_MS, &err);
	if (r != 1)
		r < 0 ? die_wsa("WSPWaitForEvent", err) :
			die_msg("the event was not signalled");
	if (WSPEnumNetworkEvents(s, e, &ne, &err))
		die_wsa("WSPEnumNetworkEvents", err);
	if (!(ne.lNetworkEvents & FD_READ))
		die_msg("no FD_READ recorded");
}

/* libwsp: WSPGetMessage, which must be FD_READ for @s. */
static void lib_wait_message(SOCKET s, HWND w)
{
	MSG m;
	int err = 0, r;

	r = WSPGetMessage(w, &m, WAIT_MS, &err);
	if (r != 1)
		r < 0 ? die_wsa("WSPGetMessage", err) :
			die_msg("no window message");
	if (WSAGETSELECTEVENT(m.lParam) != FD_READ || m.wParam != (WPARAM)s)
		die_msg("the message is not FD_READ for the socket");
}

static void xsend1(int fd, char c)
{
	if (send(fd, &c, 1, 0) != 1)
		die("send");
}

static void xrecv1(int fd)
{
	char c;

	if (recv(fd, &c, 1, 0) != 1)
		die("recv");
}

/* raw: poll the eventfd, WSP_IOC_ENUM_EVENTS resetting it. */
static void raw_wait_event(int fd, int efd)
{
	struct pollfd p = { .fd = efd, .events = POLLIN };
	struct wsp_enum_events_args e = { .eventfd = efd };

	if (poll(&p, 1, WAIT_MS) != 1)
		die_msg("the eventfd was not signalled");
	if (ioctl(fd, WSP_IOC_ENUM_EVENTS, &e))
		die("WSP_IOC_ENUM_EVENTS");
	if (!(e.network_events & WSP_FD_READ))
		die_msg("no FD_READ recorded");
}

/* raw: one blocking read() of the window. */
static void raw_wait_message(int fd, int w)
{
	struct wsp_message m;

	if (read(w, &m, sizeof(m)) != sizeof(m))
		die("read(window)");
	if (m.event != WSP_FD_READ || m.wparam != (uint64_t)fd)
		die_msg("the message is not FD_READ for the socket");
}

static void native_wait(int ep)
{
	struct epoll_event ev;

	if (epoll_wait(ep, &ev, 1, WAIT_MS) != 1)
		die_msg("epoll_wait found nothing");
}

/* ----------------------------------------- 1: event-select ping-pong */

static void op_lib_evsel_pingpong(long n)
{
	for (long i = 0; i < n; i++) {
		lib_send1(wp.a, 'p');
		lib_wait_event(wp.b, wp.ev_b);
		lib_recv1(wp.b);
		lib_send1(wp.b, 'q');
		lib_wait_event(wp.a, wp.ev_a);
		lib_recv1(wp.a);
	}
}

static void op_raw_evsel_pingpong(long n)
{
	for (long i = 0; i < n; i++) {
		xsend1(wp.a, 'p');
		raw_wait_event(wp.b, wp.ev_b);
		xrecv1(wp.b);
		xsend1(wp.b, 'q');
		raw_wait_event(wp.a, wp.ev_a);
		xrecv1(wp.a);
	}
}

static void op_epoll_pingpong(long n)
{
	for (long i = 0; i < n; i++) {
		xsend1(np.a, 'p');
		native_wait(np.ep_b);
		xrecv1(np.b);
		xsend1(np.b, 'q');
		native_wait(np.ep_a);
		xrecv1(np.a);
	}
}

static void setup_evsel(void)
{
	evsel_pair(&wp);
	epoll_pair(&np);
}

static void teardown_evsel(void)
{
	pair_close(&wp);
	pair_close(&np);
}

/* ----------------------------------------- 2: async-select ping-pong */

static void op_lib_async_pingpong(long n)
{
	for (long i = 0; i < n; i++) {
		lib_send1(ap.a, 'p');
		lib_wait_message(ap.b, ap.win_b);
		lib_recv1(ap.b);
		lib_send1(ap.b, 'q');
		lib_wait_message(ap.a, ap.win_a);
		lib_recv1(ap.a);
	}
}

static void op_raw_async_pingpong(long n)
{
	for (long i = 0; i < n; i++) {
		xsend1(ap.a, 'p');
		raw_wait_message(ap.b, ap.rwin_b);
		xrecv1(ap.b);
		xsend1(ap.b, 'q');
		raw_wait_message(ap.a, ap.rwin_a);
		xrecv1(ap.a);
	}
}

static void lib_async_select(SOCKET s, HWND w)
{
	int err = 0;

	if (WSPAsyncSelect(s, w, WM_SOCKET, FD_READ, &err))
		die_wsa("WSPAsyncSelect", err);
}

static int raw_window(void)
{
	struct wsp_window_args a = { .flags = WSP_FD_CLOEXEC };
	int w = ioctl(dev, WSP_IOC_WINDOW, &a);

	if (w < 0)
		die("WSP_IOC_WINDOW");
	return w;
}

/* Point both ends' async-select at libwsp's or the raw windows. */
static void prepare_lib_async(void)
{
	lib_async_select(ap.a, ap.win_a);
	lib_async_select(ap.b, ap.win_b);
}

static void prepare_raw_async(void)
{
	lib_async_select(ap.a, ap.rwin_a);
	lib_async_select(ap.b, ap.rwin_b);
}

static void setup_async(void)
{
	int err = 0;

	tcp_pair(&ap, 1);
	ap.win_a = WSPCreateWindow(&err);
	ap.win_b = WSPCreateWindow(&err);
	if (ap.win_a < 0 || ap.win_b < 0)
		die_wsa("WSPCreateWindow", err);
	ap.rwin_a = raw_window();
	ap.rwin_b = raw_window();
	epoll_pair(&np);
}

static void teardown_async(void)
{
	pair_close(&ap);
	pair_close(&np);
}

/* ------------------------------------------- 3: registration switching */

/*
 * On a connected, writable socket: FD_WRITE is true at once, so every
 * switch to it records the event and signals the eventfd, as EPOLLOUT
 * puts the item on epoll's ready list. Each operation is one switch.
 */
static void op_lib_reselect(long n)
{
	eventfd_t v;

	for (long i = 0; i < n; i++)
		lib_event_select(wp.a, wp.ev_a, (i & 1) ? FD_WRITE : FD_READ);
	/* Reset the eventfd (one read per round: noise, not a cost). */
	eventfd_read(wp.ev_a, &v);
}

static void op_epoll_reselect(long n)
{
	for (long i = 0; i < n; i++) {
		struct epoll_event ev = {
			.events = (i & 1) ? EPOLLOUT : EPOLLIN,
			.data.fd = np.a,
		};

		if (epoll_ctl(np.ep_a, EPOLL_CTL_MOD, np.a, &ev))
			die("EPOLL_CTL_MOD");
	}
}

/* ------------------------------------------------------ 4: duplication */

static SOCKET dup_wsp = -1;
static int dup_plain = -1, dup_pidfd = -1;

static void op_lib_dup(long n)
{
	DWORD self = (DWORD)getpid();

	for (long i = 0; i < n; i++) {
		WSAPROTOCOL_INFOW pi;
		int err = 0;
		SOCKET s;

		if (WSPDuplicateSocket(dup_wsp, self, &pi, &err))
			die_wsa("WSPDuplicateSocket", err);
		s = WSPSocket(FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO,
			      FROM_PROTOCOL_INFO, &pi, 0,
			      WSA_FLAG_NO_HANDLE_INHERIT, &err);
		if (s == INVALID_SOCKET)
			die_wsa("WSPSocket(record)", err);
		if (WSPCloseSocket(s, &err))
			die_wsa("WSPCloseSocket", err);
	}
}

static void op_raw_dup(long n)
{
	pid_t self = getpid();

	for (long i = 0; i < n; i++) {
		struct wsp_duplicate_args d = { .pid = self };
		struct wsp_redeem_args r = { .flags = WSP_FD_CLOEXEC };
		int fd;

		if (ioctl(dup_wsp, WSP_IOC_DUPLICATE, &d))
			die("WSP_IOC_DUPLICATE");
		r.info = d.info;
		fd = ioctl(dev, WSP_IOC_REDEEM, &r);
		if (fd < 0)
			die("WSP_IOC_REDEEM");
		xclose(fd);
	}
}

static void op_pidfd_getfd(long n)
{
	for (long i = 0; i < n; i++) {
		int fd = syscall(SYS_pidfd_getfd, dup_pidfd, dup_plain, 0);

		if (fd < 0)
			die("pidfd_getfd");
		xclose(fd);
	}
}

static void op_dup(long n)
{
	for (long i = 0; i < n; i++) {
		int fd = dup(dup_plain);

		if (fd < 0)
			die("dup");
		xclose(fd);
	}
}

static void setup_dup(void)
{
	dup_wsp = lib_socket(AF_INET, SOCK_STREAM);
	dup_plain = plain_socket(AF_INET, SOCK_STREAM);
	dup_pidfd = syscall(SYS_pidfd_open, getpid(), 0);
	if (dup_pidfd < 0)
		die("pidfd_open");
}

static void teardown_dup(void)
{
	xclose(dup_wsp);
	xclose(dup_plain);
	xclose(dup_pidfd);
	dup_wsp = dup_plain = dup_pidfd = -1;
}

/* ---------------------------------------------------- 5: socket options */

static void op_lib_sockopt(long n)
{
	for (long i = 0; i < n; i++) {
		int v = 65536 + (int)(i & 1) * 4096, got = 0, len = sizeof(got);
		int err = 0;

		if (WSPSetSockOpt(dup_wsp, SOL_SOCKET, SO_RCVBUF,
				  (const char *)&v, sizeof(v), &err) ||
		    WSPGetSockOpt(dup_wsp, SOL_SOCKET, SO_RCVBUF,
				  (char *)&got, &len, &err))
			die_wsa("WSPSetSockOpt/WSPGetSockOpt", err);
	}
}

static void sockopt_on(int fd, long n)
{
	for (long i = 0; i < n; i++) {
		int v = 65536 + (int)(i & 1) * 4096, got = 0;
		socklen_t len = sizeof(got);

		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)) ||
		    getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &got, &len))
			die("setsockopt/getsockopt");
	}
}

static void op_wsp_sockopt(long n)
{
	sockopt_on(dup_wsp, n);
}

static void op_plain_sockopt(long n)
{
	sockopt_on(dup_plain, n);
}

/* ----------------------------------------------------------- 6: bulk */

/*
 * 64 KiB from a to b, both non-blocking, in this one thread: send what
 * the socket takes, receive what has arrived, until all of it is across.
 * Each operation is one 64 KiB transfer. @lib: through WSPSend/WSPRecv.
 */
static char *bulk_buf, *bulk_rbuf;

static long bulk_send(int lib, int fd, const char *buf, size_t len)
{
	if (lib) {
		WSABUF b = { .len = (uint32_t)len, .buf = (char *)buf };
		DWORD n = 0;
		int err = 0;

		if (WSPSend(fd, &b, 1, &n, 0, NULL, NULL, NULL, &err) == 0)
			return n;
		if (err != WSAEWOULDBLOCK)
			die_wsa("bulk: WSPSend", err);
		return -1;
	}
	{
		ssize_t r = send(fd, buf, len, MSG_DONTWAIT);

		if (r < 0 && errno != EAGAIN)
			die("bulk: send");
		return r;
	}
}

static long bulk_recv(int lib, int fd, char *buf, size_t len)
{
	if (lib) {
		WSABUF b = { .len = (uint32_t)len, .buf = buf };
		DWORD n = 0, flags = 0;
		int err = 0;

		if (WSPRecv(fd, &b, 1, &n, &flags, NULL, NULL, NULL, &err) == 0)
			return n;
		if (err != WSAEWOULDBLOCK)
			die_wsa("bulk: WSPRecv", err);
		return -1;
	}
	{
		ssize_t r = recv(fd, buf, len, MSG_DONTWAIT);

		if (r < 0 && errno != EAGAIN)
			die("bulk: recv");
		return r;
	}
}

static void bulk_once(int lib, struct pair *p)
{
	size_t sent = 0, got = 0;

	while (got < BULK_SIZE) {
		int progress = 0;
		long r;

		if (sent < BULK_SIZE) {
			r = bulk_send(lib, p->a, bulk_buf + sent, BULK_SIZE - sent);
			if (r > 0) {
				sent += r;
				progress = 1;
			}
		}
		r = bulk_recv(lib, p->b, bulk_rbuf, BULK_SIZE);
		if (r > 0) {
			got += r;
			progress = 1;
		} else if (r == 0) {
			die_msg("bulk: the peer closed");
		}
		if (!progress) {
			struct pollfd pf = { .fd = p->b, .events = POLLIN };

			if (poll(&pf, 1, WAIT_MS) != 1)
				die_msg("bulk: no data arrived");
		}
	}
	if (got != BULK_SIZE)
		die_msg("bulk: received more than was sent");
}

static void op_lib_bulk(long n)
{
	for (long i = 0; i < n; i++)
		bulk_once(1, &wp);
}

static void op_wsp_bulk(long n)
{
	for (long i = 0; i < n; i++)
		bulk_once(0, &wp);
}

static void op_plain_bulk(long n)
{
	for (long i = 0; i < n; i++)
		bulk_once(0, &np);
}

static void setup_bulk(void)
{
	tcp_pair(&wp, 1);
	tcp_pair(&np, 0);
	set_nonblock(wp.a);
	set_nonblock(wp.b);
	set_nonblock(np.a);
	set_nonblock(np.b);
	bulk_buf = malloc(BULK_SIZE);
	bulk_rbuf = malloc(BULK_SIZE);
	if (!bulk_buf || !bulk_rbuf)
		die("malloc");
	memset(bulk_buf, 'b', BULK_SIZE);
}

static void teardown_bulk(void)
{
	teardown_evsel();
	free(bulk_buf);
	free(bulk_rbuf);
	bulk_buf = bulk_rbuf = NULL;
}

/* ------------------------------------------------ 7: one event delivery */

static void lib_delivery(struct pair *p, long n)
{
	for (long i = 0; i < n; i++) {
		lib_send1(p->a, 'd');
		lib_wait_event(p->b, p->ev_b);
		lib_recv1(p->b);
	}
}

static void op_lib_delivery(long n)
{
	lib_delivery(&wp, n);
}

static void raw_delivery(struct pair *p, long n)
{
	for (long i = 0; i < n; i++) {
		xsend1(p->a, 'd');
		raw_wait_event(p->b, p->ev_b);
		xrecv1(p->b);
	}
}

static void op_raw_delivery(long n)
{
	raw_delivery(&wp, n);
}

static void op_epoll_delivery(long n)
{
	for (long i = 0; i < n; i++) {
		xsend1(np.a, 'd');
		native_wait(np.ep_b);
		xrecv1(np.b);
	}
}

/* ------------------------------------------------------------ 8: scale */

/*
 * scale-descs: wp as it is, and a second event-selected pair whose
 * receiving end has SCALE_N more descriptors (dup(2)).
 */
static struct pair wp2;
static int *many;
static int nmany;

static void many_alloc(void)
{
	many = calloc(SCALE_N, sizeof(*many));
	if (!many)
		die("calloc");
	nmany = 0;
}

static void many_close(void)
{
	for (int i = 0; i < nmany; i++)
		xclose(many[i]);
	free(many);
	many = NULL;
	nmany = 0;
}

static void op_lib_delivery_descs(long n)
{
	lib_delivery(&wp2, n);
}

static void op_raw_delivery_descs(long n)
{
	raw_delivery(&wp2, n);
}

static void setup_scale_descs(void)
{
	evsel_pair(&wp);
	evsel_pair(&wp2);
	many_alloc();
	for (nmany = 0; nmany < SCALE_N; nmany++) {
		many[nmany] = dup(wp2.b);
		if (many[nmany] < 0)
			die("dup (descriptor %d)", nmany);
	}
}

static void teardown_scale_descs(void)
{
	many_close();
	pair_close(&wp);
	pair_close(&wp2);
}

/*
 * scale-regs: SCALE_N idle wspshare sockets beside wp, registered
 * (FD_READ, one shared event) before the subject's rounds, cancelled
 * (mask 0) before the baseline's.
 */
static WSAEVENT many_ev = -1;

static void many_select(long mask)
{
	for (int i = 0; i < nmany; i++)
		lib_event_select(many[i], many_ev, mask);
}

static void prepare_registered(void)
{
	many_select(FD_READ);
}

static void prepare_unregistered(void)
{
	many_select(0);
}

static void setup_scale_regs(void)
{
	evsel_pair(&wp);
	many_ev = lib_event();
	many_alloc();
	for (nmany = 0; nmany < SCALE_N; nmany++)
		many[nmany] = lib_socket(AF_INET, SOCK_STREAM);
}

static void teardown_scale_regs(void)
{
	many_close();
	xclose(many_ev);
	many_ev = -1;
	pair_close(&wp);
}

static void setup_delivery(void)
{
	setup_evsel();
}

static void setup_reselect(void)
{
	evsel_pair(&wp);
	epoll_pair(&np);
}

/* ---------------------------------------------------------- the driver */

struct bench_case {
	const char *name;
	const char *what;
	struct variant variants[MAX_VARIANTS];
	int nvariants;
	/* bytes per operation, for a throughput line; 0 if none */
	long bytes;
	void (*setup)(void);
	void (*teardown)(void);
};

static struct bench_case cases[] = {
	{
		.name = "evsel-pingpong",
		.what = "1-byte TCP round trip, event-select, per op",
		.variants = {
			{ "libwsp", op_lib_evsel_pingpong },
			{ "raw-ioctl", op_raw_evsel_pingpong },
			{ "epoll", op_epoll_pingpong, .baseline = 1 },
		},
		.nvariants = 3,
		.setup = setup_evsel,
		.teardown = teardown_evsel,
	},
	{
		.name = "async-pingpong",
		.what = "1-byte TCP round trip, window message, per op",
		.variants = {
			{ "libwsp", op_lib_async_pingpong, prepare_lib_async },
			{ "raw-ioctl", op_raw_async_pingpong, prepare_raw_async },
			{ "epoll", op_epoll_pingpong, .baseline = 1 },
		},
		.nvariants = 3,
		.setup = setup_async,
		.teardown = teardown_async,
	},
	{
		.name = "reselect",
		.what = "one registration switch FD_READ <-> FD_WRITE per op",
		.variants = {
			{ "libwsp", op_lib_reselect },
			{ "epoll_ctl-mod", op_epoll_reselect, .baseline = 1 },
		},
		.nvariants = 2,
		.setup = setup_reselect,
		.teardown = teardown_evsel,
	},
	{
		.name = "dup",
		.what = "duplicate + redeem + close per op",
		.variants = {
			{ "libwsp", op_lib_dup },
			{ "raw-ioctl", op_raw_dup },
			{ "pidfd_getfd+close", op_pidfd_getfd, .baseline = 1 },
			{ "dup+close", op_dup, .baseline = 1 },
		},
		.nvariants = 4,
		.setup = setup_dup,
		.teardown = teardown_dup,
	},
	{
		.name = "sockopt",
		.what = "set + get SO_RCVBUF per op",
		.variants = {
			{ "libwsp", op_lib_sockopt },
			{ "wsp-syscalls", op_wsp_sockopt },
			{ "plain-socket", op_plain_sockopt, .baseline = 1 },
		},
		.nvariants = 3,
		.setup = setup_dup,
		.teardown = teardown_dup,
	},
	{
		.name = "bulk",
		.what = "64 KiB over loopback TCP per op",
		.variants = {
			{ "libwsp", op_lib_bulk },
			{ "wsp-syscalls", op_wsp_bulk },
			{ "plain-socket", op_plain_bulk, .baseline = 1 },
		},
		.nvariants = 3,
		.bytes = BULK_SIZE,
		.setup = setup_bulk,
		.teardown = teardown_bulk,
	},
	{
		.name = "delivery",
		.what = "send 1 byte, wait, enumerate, receive per op",
		.variants = {
			{ "libwsp", op_lib_delivery },
			{ "raw-ioctl", op_raw_delivery },
			{ "epoll", op_epoll_delivery, .baseline = 1 },
		},
		.nvariants = 3,
		.setup = setup_delivery,
		.teardown = teardown_evsel,
	},
	{
		.name = "scale-descs",
		.what = "delivery, 10,000 more descriptors vs 1",
		.variants = {
			{ "libwsp-10000-descs", op_lib_delivery_descs, .group = 1 },
			{ "libwsp-1-desc", op_lib_delivery, .baseline = 1,
			  .group = 1 },
			{ "raw-10000-descs", op_raw_delivery_descs, .group = 2 },
			{ "raw-1-desc", op_raw_delivery, .baseline = 1,
			  .group = 2 },
		},
		.nvariants = 4,
		.setup = setup_scale_descs,
		.teardown = teardown_scale_descs,
	},
	{
		.name = "scale-regs",
		.what = "delivery, 10,000 other sockets registered vs not",
		.variants = {
			{ "libwsp-10000-regs", op_lib_delivery, prepare_registered,
			  .group = 1 },
			{ "libwsp-0-regs", op_lib_delivery, prepare_unregistered,
			  .baseline = 1, .group = 1 },
			{ "raw-10000-regs", op_raw_delivery, prepare_registered,
			  .group = 2 },
			{ "raw-0-regs", op_raw_delivery, prepare_unregistered,
			  .baseline = 1, .group = 2 },
		},
		.nvariants = 4,
		.setup = setup_scale_regs,
		.teardown = teardown_scale_regs,
	},
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define NCASES ARRAY_SIZE(cases)

/* One comparison row: a subject against a baseline. */
struct result {
	const char *cas, *subject, *baseline, *unit;
	int rounds;
	long iters, bytes;
	double s_med, b_med, ratio;
	double r_min, r_q1, r_med, r_q3, r_max;
};

static struct result results[NCASES * MAX_VARIANTS + 4];
static int nresults;

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The @p quantile of sorted @v[@n], interpolated. */
static double quantile(const double *v, int n, double p)
{
	double pos = p * (n - 1);
	int i = (int)pos;

	if (i + 1 >= n)
		return v[n - 1];
	return v[i] + (pos - i) * (v[i + 1] - v[i]);
}

static double median_of(const double *v, int n)
{
	double s[MAX_ROUNDS];

	memcpy(s, v, n * sizeof(*v));
	qsort(s, n, sizeof(*s), cmp_double);
	return quantile(s, n, 0.5);
}

static void add_result(const char *cas, const char *subject,
		       const char *baseline, const char *unit, long iters,
		       long bytes, int n, const double *s, const double *b)
{
	struct result *res = &results[nresults++];
	double ratio[MAX_ROUNDS];

	for (int r = 0; r < n; r++)
		ratio[r] = s[r] / b[r];
	qsort(ratio, n, sizeof(*ratio), cmp_double);
	res->cas = cas;
	res->subject = subject;
	res->baseline = baseline;
	res->unit = unit;
	res->rounds = n;
	res->iters = iters;
	res->bytes = bytes;
	res->s_med = median_of(s, n);
	res->b_med = median_of(b, n);
	res->ratio = res->s_med / res->b_med;
	res->r_min = ratio[0];
	res->r_q1 = quantile(ratio, n, 0.25);
	res->r_med = quantile(ratio, n, 0.5);
	res->r_q3 = quantile(ratio, n, 0.75);
	res->r_max = ratio[n - 1];
}

static void prepare(const struct variant *v)
{
	if (v->prepare)
		v->prepare();
}

/* ns per operation of @n operations of @v (prepared first, untimed). */
static double timed(const struct variant *v, long n)
{
	uint64_t t0;

	prepare(v);
	t0 = now_ns();
	v->op(n);
	return (double)(now_ns() - t0) / n;
}

/*
 * Warm up every variant (under TCG the first run of a code path also
 * translates it, which takes far longer than running it), then choose the
 * operations per round: double them until the slowest variant's batch
 * takes an eighth of a round, time three more batches of each, and take
 * as many operations as make the slowest variant's round about round_ms
 * long by its fastest batch (the fastest, because a host busy with other
 * work stops the VM for milliseconds at a time, which only ever adds).
 */
static long calibrate(const struct bench_case *c)
{
	uint64_t limit = (uint64_t)round_ms * 1000000;
	double slowest = 0;
	long n;

	for (int v = 0; v < c->nvariants; v++) {
		prepare(&c->variants[v]);
		c->variants[v].op(64);
	}
	for (n = 16; n < (1L << 24); n *= 2) {
		uint64_t worst = 0;

		for (int v = 0; v < c->nvariants; v++) {
			uint64_t t;

			prepare(&c->variants[v]);
			t = now_ns();
			c->variants[v].op(n);
			t = now_ns() - t;
			if (t > worst)
				worst = t;
		}
		if (worst * 8 >= limit)
			break;
	}
	for (int v = 0; v < c->nvariants; v++) {
		double best = 0;

		for (int i = 0; i < 3; i++) {
			double t = timed(&c->variants[v], n);

			if (!i || t < best)
				best = t;
		}
		if (best > slowest)
			slowest = best;
	}
	n = (long)((double)limit / slowest);
	return n < 16 ? 16 : n;
}

static void run_case(struct bench_case *c)
{
	double ns[MAX_VARIANTS][MAX_ROUNDS];
	uint64_t t0 = now_ns();
	long n;

	printf("# %s: %s; setting up and warming up\n", c->name, c->what);
	c->setup();
	n = calibrate(c);
	printf("# %s: %d rounds of %ld ops per variant, alternating\n",
	       c->name, rounds, n);
	for (int r = 0; r < rounds; r++) {
		printf("# %s round %d/%d:", c->name, r + 1, rounds);
		for (int v = 0; v < c->nvariants; v++) {
			ns[v][r] = timed(&c->variants[v], n);
			printf(" %s %.0f ns", c->variants[v].name, ns[v][r]);
		}
		printf("\n");
	}
	c->teardown();

	for (int s = 0; s < c->nvariants; s++) {
		if (c->variants[s].baseline)
			continue;
		for (int b = 0; b < c->nvariants; b++) {
			int gs = c->variants[s].group;
			int gb = c->variants[b].group;

			if (!c->variants[b].baseline || (gs && gb && gs != gb))
				continue;
			add_result(c->name, c->variants[s].name,
				   c->variants[b].name, "ns/op", n, c->bytes,
				   rounds, ns[s], ns[b]);
			printf("# %s: %s / %s = %.2f\n", c->name,
			       c->variants[s].name, c->variants[b].name,
			       results[nresults - 1].ratio);
		}
	}
	printf("# %s: done in %.1f s\n", c->name, (now_ns() - t0) / 1e9);
}

/* --------------------------------------------------- kernel memory */

/*
 * The kernel's slab memory in use, in bytes: the sum over /proc/slabinfo
 * of active objects times object size (objects, not pages: a freed object
 * on a page still in use does not count). Without /proc/slabinfo (not
 * root), /proc/meminfo's Slab: line, which counts pages.
 */
static long long slab_bytes(void)
{
	FILE *f = fopen("/proc/slabinfo", "r");
	char line[512], name[128];
	unsigned long active, num, size;
	long long sum = 0;

	if (f) {
		while (fgets(line, sizeof(line), f)) {
			if (line[0] == '#' || !strncmp(line, "slabinfo", 8))
				continue;
			if (sscanf(line, "%127s %lu %lu %lu", name, &active,
				   &num, &size) == 4)
				sum += (long long)active * size;
		}
		fclose(f);
		return sum;
	}
	f = fopen("/proc/meminfo", "r");
	if (!f)
		die("/proc/meminfo");
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Slab: %llu kB", &sum) == 1)
			break;
	fclose(f);
	return sum * 1024;
}

/*
 * The slab usage once the frees that RCU defers (inodes, dentries of the
 * sockets just closed) are done: read until two readings 50 ms apart
 * differ by less than 32 KiB, for at most 3 s.
 */
static long long slab_settled(void)
{
	long long prev = slab_bytes(), cur = prev;

	for (int i = 0; i < 60; i++) {
		usleep(50000);
		cur = slab_bytes();
		if (llabs(cur - prev) < 32768)
			break;
		prev = cur;
	}
	return cur;
}

enum mem_kind { MEM_WSP_SOCKET, MEM_PLAIN_SOCKET, MEM_WSP_DESC, MEM_PLAIN_DESC };

static const char *const mem_names[] = {
	"wspshare-socket", "socket(2)", "redeemed-desc", "dup(2)",
};

/* KiB of slab per object for SCALE_N objects of @kind. */
static double mem_round(enum mem_kind kind)
{
	int src = -1, err = 0;
	long long before, after;

	if (kind == MEM_WSP_DESC)
		src = lib_socket(AF_INET, SOCK_STREAM);
	else if (kind == MEM_PLAIN_DESC)
		src = plain_socket(AF_INET, SOCK_STREAM);
	many_alloc();
	before = slab_settled();
	for (nmany = 0; nmany < SCALE_N; nmany++) {
		int fd = -1;

		switch (kind) {
		case MEM_WSP_SOCKET:
			fd = lib_socket(AF_INET, SOCK_STREAM);
			break;
		case MEM_PLAIN_SOCKET:
			fd = plain_socket(AF_INET, SOCK_STREAM);
			break;
		case MEM_WSP_DESC: {
			WSAPROTOCOL_INFOW pi;

			if (WSPDuplicateSocket(src, (DWORD)getpid(), &pi, &err))
				die_wsa("WSPDuplicateSocket", err);
			fd = WSPSocket(FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO,
				       FROM_PROTOCOL_INFO, &pi, 0,
				       WSA_FLAG_NO_HANDLE_INHERIT, &err);
			if (fd == INVALID_SOCKET)
				die_wsa("WSPSocket(record)", err);
			break;
		}
		case MEM_PLAIN_DESC:
			fd = dup(src);
			if (fd < 0)
				die("dup");
			break;
		}
		many[nmany] = fd;
	}
	/* Settled too: what the objects hold, not what RCU has yet to free. */
	after = slab_settled();
	many_close();
	xclose(src);
	return (double)(after - before) / SCALE_N / 1024;
}

static void run_memory(void)
{
	double kib[4][MAX_ROUNDS];
	uint64_t t0 = now_ns();

	printf("# memory: slab per object, %d of each, %d alternating rounds (%s)\n",
	       SCALE_N, MEM_ROUNDS,
	       access("/proc/slabinfo", R_OK) ? "/proc/meminfo Slab" :
						 "/proc/slabinfo");
	/* Grow the descriptor table first: it never shrinks. */
	many_alloc();
	for (nmany = 0; nmany < SCALE_N; nmany++) {
		many[nmany] = dup(dev);
		if (many[nmany] < 0)
			die("dup");
	}
	many_close();
	for (int r = 0; r < MEM_ROUNDS; r++) {
		printf("# memory round %d/%d:", r + 1, MEM_ROUNDS);
		for (int k = 0; k < 4; k++) {
			kib[k][r] = mem_round(k);
			printf(" %s %.3f KiB", mem_names[k], kib[k][r]);
		}
		printf("\n");
	}
	add_result("mem-socket", mem_names[0], mem_names[1], "KiB/obj",
		   SCALE_N, 0, MEM_ROUNDS, kib[0], kib[1]);
	add_result("mem-desc", mem_names[2], mem_names[3], "KiB/obj",
		   SCALE_N, 0, MEM_ROUNDS, kib[2], kib[3]);
	printf("# memory: done in %.1f s\n", (now_ns() - t0) / 1e9);
}

/* ---------------------------------------------------------- the output */

/*
 * A ratio of two numbers near zero (descriptors cost next to no slab)
 * means nothing: those print "-" (and an empty CSV field).
 */
static int ratio_meaningful(const struct result *r)
{
	return strcmp(r->unit, "KiB/obj") || fabs(r->b_med) >= 0.05;
}

static void print_table(FILE *f, const char *kernel, int cpu)
{
	fprintf(f, "wspbench on %s, CPU %d, %d alternating rounds per variant\n",
		kernel, cpu, rounds);
	fprintf(f, "subject, baseline: medians over the rounds; ratio: subject/baseline of the\n"
		"medians; round ratios: median, min-max and IQR of each round's ratio\n");
	fprintf(f, "%-14s %-18s %-17s %10s %10s %-7s %6s %6s %11s %11s\n",
		"case", "subject", "baseline", "subject", "baseline", "unit",
		"ratio", "round", "round", "round");
	fprintf(f, "%-14s %-18s %-17s %10s %10s %-7s %6s %6s %11s %11s\n",
		"", "", "", "", "", "", "", "median", "min-max", "IQR");
	for (int i = 0; i < nresults; i++) {
		struct result *r = &results[i];
		char mm[32], iqr[32], ratio[16], med[16];
		int ok = ratio_meaningful(r);
		int kib = !strcmp(r->unit, "KiB/obj");

		snprintf(mm, sizeof(mm), "%.2f-%.2f", r->r_min, r->r_max);
		snprintf(iqr, sizeof(iqr), "%.2f-%.2f", r->r_q1, r->r_q3);
		snprintf(ratio, sizeof(ratio), "%.2f", r->ratio);
		snprintf(med, sizeof(med), "%.2f", r->r_med);
		fprintf(f, "%-14s %-18s %-17s %10.*f %10.*f %-7s %6s %6s %11s %11s\n",
			r->cas, r->subject, r->baseline, kib ? 3 : 0, r->s_med,
			kib ? 3 : 0, r->b_med, r->unit, ok ? ratio : "-",
			ok ? med : "-", ok ? mm : "-", ok ? iqr : "-");
		if (r->bytes)
			fprintf(f, "%-14s (throughput: subject %.1f MiB/s, baseline %.1f MiB/s)\n",
				"", r->bytes / r->s_med * 1e9 / 1048576,
				r->bytes / r->b_med * 1e9 / 1048576);
	}
}

static void print_csv(FILE *f, const char *kernel)
{
	fprintf(f, "kernel,case,subject,baseline,unit,rounds,ops_per_round,bytes_per_op,"
		"subject_median,baseline_median,ratio,"
		"ratio_min,ratio_q1,ratio_median,ratio_q3,ratio_max\n");
	for (int i = 0; i < nresults; i++) {
		struct result *r = &results[i];

		fprintf(f, "%s,%s,%s,%s,%s,%d,%ld,%ld,%.4f,%.4f,",
			kernel, r->cas, r->subject, r->baseline, r->unit,
			r->rounds, r->iters, r->bytes, r->s_med, r->b_med);
		if (ratio_meaningful(r))
			fprintf(f, "%.4f,%.4f,%.4f,%.4f,%.4f,%.4f\n", r->ratio,
				r->r_min, r->r_q1, r->r_med, r->r_q3, r->r_max);
		else
			fprintf(f, ",,,,,\n");
	}
}

/* Pin to one CPU: the last one this process may use. */
static int pin(void)
{
	cpu_set_t set;
	int cpu = -1;

	if (sched_getaffinity(0, sizeof(set), &set))
		die("sched_getaffinity");
	for (int i = 0; i < CPU_SETSIZE; i++)
		if (CPU_ISSET(i, &set))
			cpu = i;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("sched_setaffinity");
	return cpu;
}

/* The module's counters must all be back at zero: 0 if they are. */
static int check_counters(void)
{
	FILE *f = fopen("/sys/kernel/debug/wspshare/counters", "r");
	char name[64];
	long value;
	int bad = 0;

	if (!f) {
		printf("# counters: not readable (%s), not checked\n",
		       strerror(errno));
		return 0;
	}
	while (fscanf(f, "%63[^:]: %ld\n", name, &value) == 2) {
		if (value) {
			printf("wspbench: counter %s is %ld at the end\n",
			       name, value);
			bad = 1;
		}
	}
	fclose(f);
	if (!bad)
		printf("# counters: all zero\n");
	return bad;
}

/* Whether case @name was asked for (-c, a comma-separated list). */
static int wanted(const char *name)
{
	size_t len = strlen(name);
	const char *p = only;

	if (!only)
		return 1;
	while (p && *p) {
		if (!strncmp(p, name, len) && (p[len] == ',' || !p[len]))
			return 1;
		p = strchr(p, ',');
		if (p)
			p++;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *csv_path = "/tmp/wspbench.csv";
	struct rlimit rl = { SCALE_N * 3, SCALE_N * 3 };
	struct wsp_version ver = { 0 };
	uint64_t t0 = now_ns();
	struct utsname u;
	FILE *csv;
	int opt, cpu;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((opt = getopt(argc, argv, "r:t:c:")) != -1) {
		switch (opt) {
		case 'r':
			rounds = atoi(optarg);
			break;
		case 't':
			round_ms = atol(optarg);
			break;
		case 'c':
			only = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (optind < argc)
		csv_path = argv[optind++];
	if (optind < argc || rounds < 1 || rounds > MAX_ROUNDS || round_ms < 1)
		goto usage;

	uname(&u);
	dev = open(WSP_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	if (dev < 0)
		die("%s (is the module loaded?)", WSP_DEVICE_PATH);
	if (ioctl(dev, WSP_IOC_VERSION, &ver))
		die("WSP_IOC_VERSION");
	if (ver.abi_version != WSP_ABI_VERSION) {
		printf("wspbench: the module speaks ABI %u, this program %d\n",
		       ver.abi_version, WSP_ABI_VERSION);
		return 1;
	}
	/* The scale and memory cases hold 10,000 descriptors and more. */
	if (setrlimit(RLIMIT_NOFILE, &rl))
		die("setrlimit(RLIMIT_NOFILE, %d) (the scale cases need root)",
		    SCALE_N * 3);
	cpu = pin();
	printf("# wspbench: kernel %s, module ABI %u (%u.%u), pinned to CPU %d, "
	       "%d rounds of ~%ld ms\n",
	       u.release, ver.abi_version, ver.module_major, ver.module_minor,
	       cpu, rounds, round_ms);

	for (size_t i = 0; i < NCASES; i++)
		if (wanted(cases[i].name))
			run_case(&cases[i]);
	if (wanted("memory"))
		run_memory();
	close(dev);

	printf("WSPBENCH-TABLE-BEGIN\n");
	print_table(stdout, u.release, cpu);
	printf("WSPBENCH-TABLE-END\n");
	printf("WSPBENCH-CSV-BEGIN\n");
	print_csv(stdout, u.release);
	printf("WSPBENCH-CSV-END\n");
	csv = fopen(csv_path, "w");
	if (!csv)
		die("%s", csv_path);
	print_csv(csv, u.release);
	if (fclose(csv))
		die("%s", csv_path);
	printf("# CSV written to %s; %.0f s in all\n", csv_path,
	       (now_ns() - t0) / 1e9);
	return check_counters();

usage:
	fprintf(stderr, "usage: %s [-r ROUNDS] [-t ROUND_MS] [-c CASE[,CASE...]] [CSV_PATH]\n"
		"cases: evsel-pingpong async-pingpong reselect dup sockopt bulk delivery\n"
		"       scale-descs scale-regs memory\n", argv[0]);
	return 2;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * notify_test - the socket's one notification registration: WSPEventSelect
 * (an eventfd), WSPAsyncSelect (a window), WSPEnumNetworkEvents and the
 * network events that feed them, over IPv4 loopback (spec part A, A2-A4,
 * A7).
 *
 * Timing: nothing sleeps and hopes. A test that expects an event waits for
 * it with poll() (at most WAIT_MS). A test that expects NO event first
 * makes sure the event would have come by then: the receiving socket has
 * the data (FIONREAD, which takes the socket lock and so waits for the
 * softirq that queued it and ran the socket's callbacks), the record shows
 * the event, or the call that would report it is synchronous (a receive,
 * an accept, a registration); only then is the eventfd or window checked
 * with a zero timeout.
 */
#include <fcntl.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "wsp_notify.h"

/* How long a test waits for something that should come at once. */
#define WAIT_MS 5000

/* The message numbers the tests register (WM_USER + n). */
#define MSG_A 0x0401
#define MSG_B 0x0402

/* What the tests put into errors[] slots the module must not write. */
#define SENTINEL (-7)

#define NEXTRA 6

/* An fd number that is not open (at the moment of the call). */
static int closed_fd(void)
{
	int fd = eventfd(0, EFD_CLOEXEC);

	close(fd);
	return fd;
}

static int new_eventfd(void)
{
	return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
}

/* An eventfd's counter, read (and so reset): 0 when it is not set. */
static uint64_t eventfd_take(int efd)
{
	uint64_t v = 0;

	if (read(efd, &v, sizeof(v)) != sizeof(v))
		return 0;
	return v;
}

/*
 * Wait until the stream or datagram socket behind @fd has at least @n
 * bytes unread: FIONREAD's value, or -1 after WAIT_MS. For TCP, FIONREAD
 * takes the socket lock, so the softirq that queued the bytes has also run
 * the socket's callbacks (and so the module's event) when it returns.
 */
static int wait_inq(int fd, int n)
{
	long end = now_ms() + WAIT_MS;
	int avail;

	for (;;) {
		if (ioctl(fd, FIONREAD, &avail) == 0 && avail >= n)
			return avail;
		if (now_ms() > end)
			return -1;
		poll(NULL, 0, 1);
	}
}

/* Wait until the peer's FIN (or reset) reached @fd: 1, or 0 after WAIT_MS. */
static int wait_peer_closed(int fd)
{
	int avail, rev = poll1(fd, POLLRDHUP, WAIT_MS);

	if (!(rev & (POLLRDHUP | POLLHUP | POLLERR)))
		return 0;
	/* Barrier: the softirq that delivered it has finished. */
	ioctl(fd, FIONREAD, &avail);
	return 1;
}

/* Wait until all of @bits are in the socket's record: 1, or 0. */
static int wait_recorded(int fd, unsigned int bits)
{
	struct wsp_registration r;
	long end = now_ms() + WAIT_MS;

	for (;;) {
		if (wsp_get_registration(fd, &r) == 0 &&
		    (r.recorded & bits) == bits)
			return 1;
		if (now_ms() > end)
			return 0;
		poll(NULL, 0, 1);
	}
}

/* The registration's held set, or ~0u on error. */
static unsigned int reg_held(int fd)
{
	struct wsp_registration r;

	return wsp_get_registration(fd, &r) ? ~0u : r.held;
}

static unsigned int reg_recorded(int fd)
{
	struct wsp_registration r;

	return wsp_get_registration(fd, &r) ? ~0u : r.recorded;
}

static unsigned int reg_kind(int fd)
{
	struct wsp_registration r;

	return wsp_get_registration(fd, &r) ? ~0u : r.kind;
}

/*
 * Whether the socket is non-blocking now: 1 or 0, or -errno. The mode is
 * the socket file's O_NONBLOCK; WSP_IOC_SOCKET_INFO must say the same
 * (-EPROTO when it does not).
 */
static int nonblocking(int fd)
{
	struct wsp_socket_info info;
	int fl = fcntl(fd, F_GETFL), ret;

	if (fl < 0)
		return -errno;
	ret = wsp_info(fd, &info);
	if (ret)
		return ret;
	if (info.nonblocking != !!(fl & O_NONBLOCK))
		return -EPROTO;
	return !!(fl & O_NONBLOCK);
}

/* Enumerate with every errors[] slot prefilled with SENTINEL. */
static int enum_fresh(int fd, int efd, struct wsp_enum_events_args *a)
{
	int i;

	memset(a, 0, sizeof(*a));
	for (i = 0; i < WSP_FD_MAX_EVENTS; i++)
		a->errors[i] = SENTINEL;
	return wsp_enum(fd, efd, a);
}

/*
 * The first errors[] slot that is not SENTINEL although its event
 * was not reported in @a, or -1.
 */
static int written_unreported_slot(const struct wsp_enum_events_args *a)
{
	int i;

	for (i = 0; i < WSP_FD_MAX_EVENTS; i++)
		if (!(a->network_events & (1 << i)) &&
		    a->errors[i] != SENTINEL)
			return i;
	return -1;
}

/*
 * Enumerate through @fd whenever @efd is signalled, until all of @want
 * were reported or WAIT_MS passed: the union of what was reported. @err
 * (prefilled by the caller) receives the error code of each reported event.
 */
static int collect(int fd, int efd, int want, int *err)
{
	struct wsp_enum_events_args a;
	long end = now_ms() + WAIT_MS;
	int got = 0, i;

	while ((got & want) != want) {
		long left = end - now_ms();

		if (left < 0 || !wsp_wait_readable(efd, left))
			break;
		if (enum_fresh(fd, efd, &a))
			break;
		got |= a.network_events;
		for (i = 0; i < WSP_FD_MAX_EVENTS; i++)
			if (a.network_events & (1 << i))
				err[i] = a.errors[i];
	}
	return got;
}

/* Read @n messages from @win, waiting up to WAIT_MS: the number read. */
static int get_msgs(int win, struct wsp_message *m, int n)
{
	long end = now_ms() + WAIT_MS;
	int got = 0;

	while (got < n) {
		long left = end - now_ms();

		if (left < 0 || !wsp_wait_readable(win, left))
			break;
		got += wsp_read_messages(win, m + got, n - got);
	}
	return got;
}

/* Messages queued on @win now, or -1. */
static int queued(int win)
{
	struct wsp_window_info i;

	return wsp_window_info(win, &i) ? -1 : (int)i.queued;
}

/* Messages ever posted to @win, or -1. */
static long posted(int win)
{
	struct wsp_window_info i;

	return wsp_window_info(win, &i) ? -1 : (long)i.posted;
}

/* One message: its every field; @err is an errno value or 0. */
#define EXPECT_MSG(m, w, msgno, desc, ev, err) do {			\
	EXPECT_EQ((__u64)(w), (m)->hwnd);				\
	EXPECT_EQ((__u32)(msgno), (m)->message);			\
	EXPECT_EQ((__u64)(desc), (m)->wparam);				\
	EXPECT_EQ((__u32)(ev), WSP_MSG_EVENT(m))			\
		TH_LOG("event %#x error %d, want %#x error %d",		\
		       WSP_MSG_EVENT(m), WSP_MSG_ERROR(m),		\
		       (unsigned int)(ev), (int)(err));			\
	EXPECT_EQ((__s32)(err), WSP_MSG_ERROR(m))			\
		TH_LOG("event %#x error %d, want %#x error %d",		\
		       WSP_MSG_EVENT(m), WSP_MSG_ERROR(m),		\
		       (unsigned int)(ev), (int)(err));			\
	EXPECT_EQ(0, (m)->pid);					\
} while (0)

/* shutdown(2), returning -errno. */
static int do_shutdown(int fd, int how)
{
	return shutdown(fd, how) < 0 ? -errno : 0;
}

/* A second descriptor of @fd's socket in this process, or -errno. */
static int dup_self(int dev, int fd)
{
	struct wsp_protocol_info info;
	int ret = wsp_duplicate(fd, getpid(), &info);

	return ret ? ret : wsp_redeem(dev, &info);
}

/* A page the kernel cannot write to (a receive into it fails: EFAULT). */
static void *no_access_page(void)
{
	void *p = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* The number of connections waiting in a listener's accept queue, or -1. */
static int accept_queue_len(int l)
{
	struct tcp_info ti;
	unsigned int len = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	if (wsp_getsockopt(l, IPPROTO_TCP, TCP_INFO, &ti, &len))
		return -1;
	return ti.tcpi_unacked;	/* sk_ack_backlog for a listener */
}

static int wait_accept_queue(int l, int n)
{
	long end = now_ms() + WAIT_MS;

	while (accept_queue_len(l) < n) {
		if (now_ms() > end)
			return 0;
		poll(NULL, 0, 1);
	}
	return 1;
}

/* ------------------------------------------------------------------ */

FIXTURE(notify) {
	int dev;
	int l, c, s;		/* a TCP listener, client and accepted server */
	int u1, u2;		/* UDP sockets */
	int efd, efd2;		/* eventfds, non-blocking */
	int win, win2;		/* windows, non-blocking */
	int x[NEXTRA];		/* more fds a test needs */
	pid_t child;
};

FIXTURE_SETUP(notify)
{
	int i;

	self->l = self->c = self->s = self->u1 = self->u2 = -1;
	self->efd = self->efd2 = self->win = self->win2 = -1;
	for (i = 0; i < NEXTRA; i++)
		self->x[i] = -1;
	self->child = 0;
	WSP_SETUP_DEVICE(self->dev);
	self->efd = new_eventfd();
	ASSERT_LE(0, self->efd);
	self->efd2 = new_eventfd();
	ASSERT_LE(0, self->efd2);
	ASSERT_EQ(0, wsp_window_pair(self->dev, &self->win, &self->win2));
}

FIXTURE_TEARDOWN(notify)
{
	int *fds[] = { &self->u2, &self->u1, &self->s, &self->c, &self->l,
		       &self->x[0], &self->x[1], &self->x[2], &self->x[3],
		       &self->x[4], &self->x[5], &self->efd, &self->efd2,
		       &self->win, &self->win2, &self->dev };
	int i;

	/* A helper process left behind by a failed assertion. */
	if (self->child > 0) {
		kill(self->child, SIGKILL);
		waitpid(self->child, NULL, 0);
		self->child = 0;
	}
	for (i = 0; i < (int)(sizeof(fds) / sizeof(fds[0])); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

/* A connected TCP pair in self->l, self->c and self->s. */
#define TCP_PAIR() ASSERT_EQ(0, wsp_tcp_pair(self->dev, AF_INET, \
					     &self->l, &self->c, &self->s))

#define NEW_SOCK(fd, type) do {						\
	(fd) = wsp_socket(self->dev, AF_INET, (type), 0, WSP_FD_CLOEXEC); \
	ASSERT_LE(0, (fd));						\
} while (0)

/* A TCP listener on loopback in self->l; its address in @a. */
#define LISTENER(a) do {						\
	NEW_SOCK(self->l, SOCK_STREAM);					\
	wsp_loopback(&(a), AF_INET, 0);					\
	ASSERT_EQ(0, wsp_bind(self->l, &(a)));				\
	ASSERT_EQ(0, wsp_listen(self->l, 8));				\
	ASSERT_EQ(0, wsp_getsockname(self->l, &(a)));			\
} while (0)

/* A UDP socket bound to loopback, port chosen; its address in @a. */
#define UDP_BOUND(fd, a) do {						\
	NEW_SOCK(fd, SOCK_DGRAM);					\
	wsp_loopback(&(a), AF_INET, 0);					\
	ASSERT_EQ(0, wsp_bind((fd), &(a)));				\
	ASSERT_EQ(0, wsp_getsockname((fd), &(a)));			\
} while (0)

/* Wait for the child in self->child; EXPECT it exited with 0. */
#define REAP_CHILD() do {						\
	int __st = 0;							\
	ASSERT_EQ(self->child, waitpid(self->child, &__st, 0));		\
	self->child = 0;						\
	EXPECT_TRUE(WIFEXITED(__st) && WEXITSTATUS(__st) == 0)		\
		TH_LOG("child status %#x (exit code = failed step)", __st); \
} while (0)

/* ------------------------------------------------------------------ */
/* Registering, introspection, replacing.                             */
/* ------------------------------------------------------------------ */

/* A new socket has no registration and nothing recorded. */
TEST_F(notify, no_registration_initially)
{
	struct wsp_registration r;

	NEW_SOCK(self->c, SOCK_STREAM);
	ASSERT_EQ(0, wsp_get_registration(self->c, &r));
	EXPECT_EQ(WSP_REG_NONE, r.kind);
	EXPECT_EQ(0, r.mask);
	EXPECT_EQ(0, r.pid);
	EXPECT_EQ(0, r.recorded);
	EXPECT_EQ(0, r.held);
	EXPECT_EQ(0, r.flags);
}

TEST_F(notify, event_select_registration_fields)
{
	struct wsp_event_select_args a = {
		.eventfd = 0, .mask = WSP_FD_READ | WSP_FD_CLOSE,
		.descriptor = 0x1234567890ull,
	};
	struct wsp_registration r;

	NEW_SOCK(self->c, SOCK_STREAM);
	a.eventfd = self->efd;
	ASSERT_EQ(0, wsp_ioctl(self->c, WSP_IOC_EVENT_SELECT, &a));
	ASSERT_EQ(0, wsp_get_registration(self->c, &r));
	EXPECT_EQ(WSP_REG_EVENT, r.kind);
	EXPECT_EQ(WSP_FD_READ | WSP_FD_CLOSE, r.mask);
	EXPECT_EQ(getpid(), r.pid);
	EXPECT_EQ(0x1234567890ull, r.descriptor);
	EXPECT_EQ(0, r.held);
}

TEST_F(notify, async_select_registration_fields)
{
	struct wsp_async_select_args a = {
		.message = MSG_B, .mask = WSP_FD_ACCEPT | WSP_FD_READ,
		.descriptor = 0xabcdef01ull,
	};
	struct wsp_registration r;

	NEW_SOCK(self->c, SOCK_STREAM);
	a.window = self->win;
	ASSERT_EQ(0, wsp_ioctl(self->c, WSP_IOC_ASYNC_SELECT, &a));
	ASSERT_EQ(0, wsp_get_registration(self->c, &r));
	EXPECT_EQ(WSP_REG_ASYNC, r.kind);
	EXPECT_EQ(WSP_FD_ACCEPT | WSP_FD_READ, r.mask);
	EXPECT_EQ(MSG_B, r.message);
	EXPECT_EQ(getpid(), r.pid);
	EXPECT_EQ(0xabcdef01ull, r.descriptor);
	EXPECT_EQ((__u64)self->win, r.hwnd);
	/* Nothing is true of a fresh socket: nothing posted. */
	EXPECT_EQ(0, queued(self->win));
}

/* wParam is the descriptor value passed, not the fd the ioctl came on. */
TEST_F(notify, async_message_carries_given_descriptor)
{
	struct wsp_async_select_args a = {
		.message = MSG_B, .mask = WSP_FD_READ, .descriptor = 0x7777,
	};
	struct wsp_message m[2];

	TCP_PAIR();
	a.window = self->win;
	ASSERT_EQ(0, wsp_ioctl(self->s, WSP_IOC_ASYNC_SELECT, &a));
	ASSERT_EQ(3, wsp_send(self->c, "abc", 3, 0));
	ASSERT_EQ(1, get_msgs(self->win, m, 1));
	EXPECT_MSG(&m[0], self->win, MSG_B, 0x7777, WSP_FD_READ, 0);
}

/* Both ioctls make the socket non-blocking, also with mask 0. */
TEST_F(notify, select_makes_socket_nonblocking)
{
	int i;

	for (i = 0; i < 4; i++) {
		int fd = wsp_socket(self->dev, AF_INET, SOCK_STREAM, 0,
				    WSP_FD_CLOEXEC);

		ASSERT_LE(0, fd);
		EXPECT_EQ(0, nonblocking(fd));
		switch (i) {
		case 0:
			EXPECT_EQ(0, wsp_event_select(fd, self->efd,
						      WSP_FD_READ));
			break;
		case 1:
			EXPECT_EQ(0, wsp_event_select(fd, -1, 0));
			break;
		case 2:
			EXPECT_EQ(0, wsp_async_select(fd, self->win, MSG_A,
						      WSP_FD_READ));
			break;
		case 3:
			EXPECT_EQ(0, wsp_async_select(fd, -1, MSG_A, 0));
			break;
		}
		EXPECT_EQ(1, nonblocking(fd)) TH_LOG("case %d", i);
		close(fd);
	}
}

/* Every defined bit may be selected, also the ones never reported. */
TEST_F(notify, all_event_bits_accepted)
{
	struct wsp_registration r;

	NEW_SOCK(self->c, SOCK_STREAM);
	ASSERT_EQ(0, wsp_event_select(self->c, self->efd, WSP_FD_ALL_EVENTS));
	ASSERT_EQ(0, wsp_get_registration(self->c, &r));
	EXPECT_EQ(WSP_FD_ALL_EVENTS, r.mask);
	ASSERT_EQ(0, wsp_async_select(self->c, self->win, MSG_A,
				      WSP_FD_ALL_EVENTS));
	ASSERT_EQ(0, wsp_get_registration(self->c, &r));
	EXPECT_EQ(WSP_FD_ALL_EVENTS, r.mask);
	EXPECT_EQ(WSP_REG_ASYNC, r.kind);
}

/* Mask bits above 0x3FF: EINVAL, and nothing changes. */
TEST_F(notify, mask_above_all_events_einval)
{
	static const unsigned int bad[] = {
		0x400, WSP_FD_READ | 0x400, 0x800, 0x80000000u, 0xffffffffu,
	};
	struct wsp_registration r;
	int i;

	TCP_PAIR();
	/* On a socket with no registration: it stays blocking. */
	for (i = 0; i < (int)(sizeof(bad) / sizeof(bad[0])); i++) {
		EXPECT_EQ(-EINVAL, wsp_event_select(self->s, self->efd, bad[i]));
		EXPECT_EQ(-EINVAL, wsp_async_select(self->s, self->win, MSG_A,
						    bad[i]));
	}
	EXPECT_EQ(WSP_REG_NONE, reg_kind(self->s));
	EXPECT_EQ(0, nonblocking(self->s));

	/* With one: it stays as it was. */
	ASSERT_EQ(0, wsp_async_select(self->s, self->win, MSG_A, WSP_FD_READ));
	for (i = 0; i < (int)(sizeof(bad) / sizeof(bad[0])); i++) {
		EXPECT_EQ(-EINVAL, wsp_event_select(self->s, self->efd, bad[i]));
		EXPECT_EQ(-EINVAL, wsp_async_select(self->s, self->win2, MSG_B,
						    bad[i]));
	}
	ASSERT_EQ(0, wsp_get_registration(self->s, &r));
	EXPECT_EQ(WSP_REG_ASYNC, r.kind);
	EXPECT_EQ(WSP_FD_READ, r.mask);
	EXPECT_EQ(MSG_A, r.message);
	EXPECT_EQ((__u64)self->win, r.hwnd);
	/* And it still works. */
	ASSERT_EQ(1, wsp_send(self->c, "x", 1, 0));
	ASSERT_TRUE(wsp_wait_readable(self->win, WAIT_MS));
	EXPECT_EQ(1, queued(self->win));
	EXPECT_EQ(0, queued(self->win2));
	EXPECT_FALSE(wsp_eventfd_is_set(self->efd));
}

/* Event-select, then async-select through ANOTHER descriptor. */
TEST_F(notify, event_then_async_replaces)
{
	struct wsp_message m[2];
	int s2;

	TCP_PAIR();
	s2 = self->x[0] = dup_self(self->dev, self->s);
	ASSERT_LE(0, s2);
	ASSERT_EQ(0, wsp_event_select(self->s, self->efd, WSP_FD_READ));
	ASSERT_EQ(0, wsp_async_select(s2, self->win, MSG_A, WSP_FD_READ));
	EXPECT_EQ(WSP_REG_ASYNC, reg_kind(self->s));
	EXPECT_EQ(0, queued(self->win));	/* no data yet */

	ASSERT_EQ(3, wsp_send(self->c, "abc", 3, 0));
	ASSERT_EQ(1, get_msgs(self->win, m, 1));
	EXPECT_MSG(&m[0], self->win, MSG_A, s2, WSP_FD_READ, 0);
	EXPECT_FALSE(wsp_eventfd_is_set(self->efd));
}

TEST_F(notify, async_then_event_replaces)
{
	struct wsp_enum_events_args a;

	TCP_PAIR();
	ASSERT_EQ(0, wsp_async_select(self->s, self->win, MSG_A, WSP_FD_READ));
	ASSERT_EQ(0, wsp_event_select(self->s, self->efd, WSP_FD_READ));
	EXPECT_EQ(WSP_REG_EVENT, reg_kind(self->s));
	EXPECT_FALSE(wsp_eventfd_is_set(self->efd));

	ASSERT_EQ(3, wsp_send(self->c, "abc", 3, 0));
	ASSERT_TRUE(wsp_wait_readable(self->efd, WAIT_MS));
	ASSERT_EQ(0, enum_fresh(self->s, self->efd, &a));
	EXPECT_EQ(WSP_FD_READ, a.network_events);
	EXPECT_EQ(0, a.errors[WSP_FD_READ_BIT]);
	EXPECT_EQ(0, posted(self->win));
}

/*
 * A new event-select leaves the old eventfd as it is (set stays set) and
 * never signals it again; the kept record signals the new one at once.
 */
TEST_F(notify, event_select_replaces_eventfd)
{
	struct wsp_enum_events_args a;
	char buf[16];

	TCP_PAIR();
	ASSERT_EQ(0, wsp_event_select(self->s, self->efd, WSP_FD_READ));
	ASSERT_EQ(1, wsp_send(self->c, "a", 1, 0));
	ASSERT_TRUE(wsp_wait_readable(self->efd, WAIT_MS));

	/* Not enumerated: FD_READ is still in the record. */
	ASSERT_EQ(0, wsp_event_select(self->s, self->efd2, WSP_FD_READ));
	EXPECT_TRUE(wsp_eventfd_is_set(self->efd2));
	EXPECT_TRUE(wsp_eventfd_is_set(self->efd));
	ASSERT_EQ(0, enum_fresh(self->s, self->efd2, &a));
	EXPECT_EQ(WSP_FD_READ, a.network_events);

	/* New data goes to the new eventfd only. */
	ASSERT_EQ(1, wsp_recv(self->s, buf, sizeof(buf), 0));
	ASSERT_EQ(1, wsp_send(self->c, "b", 1, 0));
	ASSERT_TRUE(wsp_wait_readable(self->efd2, WAIT_MS));
	EXPECT_EQ(1, wait_inq(self->s, 1));
	EXPECT_EQ(1, eventfd_take(self->efd));
}

/* A new async-select: queued messages stay, new ones go to the new window. */
TEST_F(notify, async_select_replaces_window)
{
	struct wsp_message m[4];

	TCP_PAIR();
	/* Connected and writable: FD_WRITE at once. */
	ASSERT_EQ(0, wsp_async_select(self->s, self->win, MSG_A, WSP_FD_WRITE));
	ASSERT_EQ(1, queued(self->win));

	ASSERT_EQ(0, wsp_async_select(self->s, self->win2, MSG_B,
				      WSP_FD_WRITE | WSP_FD_READ));
	ASSERT_EQ(1, get_msgs(self->win2, m, 1));
	EXPECT_MSG(&m[0], self->win2, MSG_B, self->s, WSP_FD_WRITE, 0);

	ASSERT_EQ(2, wsp_send(self->c, "ab", 2, 0));
	ASSERT_EQ(1, get_msgs(self->win2, m, 1));
	EXPECT_MSG(&m[0], self->win2, MSG_B, self->s, WSP_FD_READ, 0);

	/* The old window kept its message and got nothing more. */
	EXPECT_EQ(1, posted(self->win));
	ASSERT_EQ(1, wsp_read_messages(self->win, m, 4));
	EXPECT_MSG(&m[0], self->win, MSG_A, self->s, WSP_FD_WRITE, 0);
}

/*
 * The seed scenario (spec part B section 9): A async-selects FD_READ on
 * its window and duplicates the socket to B; B redeems and event-selects
 * FD_WRITE. From B's call on, A's window gets nothing; B's eventfd fires
 * with FD_WRITE; the registration names B. Then A takes it back.
 */
struct handover_report {
	int bfd;
	int ok;
};

static int handover_child(int dev, int in, int out)
{
	struct handover_report rep = { .ok = 1 };
	struct wsp_protocol_info info;
	struct wsp_enum_events_args a;
	struct wsp_registration r;
	char cmd;
	int efd;

	if (read(in, &info, sizeof(info)) != sizeof(info))
		return 10;
	rep.bfd = wsp_redeem(dev, &info);
	if (rep.bfd < 0)
		return 11;
	efd = new_eventfd();
	if (efd < 0)
		return 12;
	if (wsp_event_select(rep.bfd, efd, WSP_FD_WRITE))
		return 13;
	if (write(out, &rep, sizeof(rep)) != sizeof(rep))
		return 14;

	/* A checked its window; now B's eventfd. */
	if (read(in, &cmd, 1) != 1)
		return 15;
	if (!wsp_wait_readable(efd, WAIT_MS))
		return 16;
	if (enum_fresh(rep.bfd, efd, &a))
		return 17;
	if (a.network_events != WSP_FD_WRITE)
		return 18;
	if (a.errors[WSP_FD_WRITE_BIT] != 0 ||
	    written_unreported_slot(&a) >= 0)
		return 19;
	if (wsp_eventfd_is_set(efd))
		return 20;
	if (write(out, &rep, sizeof(rep)) != sizeof(rep))
		return 21;

	/* A took the registration back: B sees it is A's. */
	if (read(in, &cmd, 1) != 1)
		return 22;
	if (wsp_get_registration(rep.bfd, &r))
		return 23;
	if (r.kind != WSP_REG_ASYNC || r.mask != WSP_FD_READ)
		return 24;
	if (r.pid != getppid())
		return 25;
	if (wsp_eventfd_is_set(efd))
		return 26;
	return 0;
}

TEST_F(notify, seed_handover_between_processes)
{
	struct handover_report rep;
	struct wsp_protocol_info info;
	struct wsp_registration r;
	struct wsp_message m[4];
	int p2c[2], c2p[2];

	TCP_PAIR();
	ASSERT_EQ(0, wsp_async_select(self->s, self->win, MSG_A, WSP_FD_READ));
	ASSERT_EQ(0, pipe2(p2c, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(c2p, O_CLOEXEC));
	self->child = fork();
	ASSERT_LE(0, self->child);
	if (self->child == 0) {
		close(p2c[1]);
		close(c2p[0]);
		_exit(handover_child(self->dev, p2c[0], c2p[1]));
	}
	close(p2c[0]);
	close(c2p[1]);
	self->x[0] = p2c[1];
	self->x[1] = c2p[0];

	ASSERT_EQ(0, wsp_duplicate(self->s, self->child, &info));
	ASSERT_EQ(sizeof(info), write(p2c[1], &info, sizeof(info)));
	ASSERT_EQ(sizeof(rep), read(c2p[0], &rep, sizeof(rep)))
		TH_LOG("B failed before registering");

	/* B's call returned: A's window gets nothing. */
	ASSERT_EQ(5, wsp_send(self->c, "hello", 5, 0));
	ASSERT_EQ(5, wait_inq(self->s, 5));
	EXPECT_EQ(0, posted(self->win));
	ASSERT_EQ(0, wsp_get_registration(self->s, &r));
	EXPECT_EQ(WSP_REG_EVENT, r.kind);
	EXPECT_EQ(WSP_FD_WRITE, r.mask);
	EXPECT_EQ(self->child, r.pid);
	EXPECT_EQ((__u64)rep.bfd, r.descriptor);

	ASSERT_EQ(1, write(p2c[1], "1", 1));
	ASSERT_EQ(sizeof(rep), read(c2p[0], &rep, sizeof(rep)))
		TH_LOG("B's eventfd check failed");

	/* A takes it back: the data waiting is posted at once. */
	ASSERT_EQ(0, wsp_async_select(self->s, self->win, MSG_A, WSP_FD_READ));
	ASSERT_EQ(1, wsp_read_messages(self->win, m, 4));
	EXPECT_MSG(&m[0], self->win, MSG_A, self->s, WSP_FD_READ, 0);
	ASSERT_EQ(0, wsp_get_registration(self->s, &r));
	EXPECT_EQ(WSP_REG_ASYNC, r.kind);
	EXPECT_EQ(getpid(), r.pid);
	EXPECT_EQ((__u64)self->s, r.descriptor);
	EXPECT_EQ((__u64)self->win, r.hwnd);

	ASSERT_EQ(1, write(p2c[1], "2", 1));
	REAP_CHILD();
}

/* ------------------------------------------------------------------ */
/* Cancelling, and the blocking mode.                                 */
/* ------------------------------------------------------------------ */

TEST_F(notify, event_select_mask_zero_cancels)
{
	struct wsp_registration r;

	TCP_PAIR();
	ASSERT_EQ(0, wsp_event_select(self->s, self->efd,
				      WSP_FD_READ | WSP_FD_CLOSE));
	ASSERT_EQ(0, wsp_event_select(self->s, self->efd, 0));
	ASSERT_EQ(0, wsp_get_registration(self->s, &r));
	EXPECT_EQ(WSP_REG_NONE, r.kind);
	EXPECT_EQ(0, r.mask);
	EXPECT_EQ(1, nonblocking(self->s));

	/* Events are still recorded, and reported to nobody. */
	ASSERT_EQ(3, wsp_send(self->c, "abc", 3, 0));
	close(self->c);
	self->c = -1;
	ASSERT_TRUE(wait_recorded(self->s, WSP_FD_READ | WSP_FD_CLOSE));
	EXPECT_FALSE(wsp_eventfd_is_set(self->efd));
}

TEST_F(notify, async_select_mask_zero_cancels)
{
	struct wsp_registration r;

	TCP_PAIR();
	ASSERT_EQ(0, wsp_async_select(self->s, self->win, MSG_A,
				      WSP_FD_READ | WSP_FD_CLOSE));
	ASSERT_EQ(0, wsp_async_select(self->s, self->win, MSG_A, 0));
	ASSERT_EQ(0, wsp_get_registration(self->s, &r));
	EXPECT_EQ(WSP_REG_NONE, r.kind);
	EXPECT_EQ(0, r.mask);
	EXPECT_EQ(1, nonblocking(self->s));

	ASSERT_EQ(3, wsp_send(self->c, "abc", 3, 0));
	close(self->c);
	self->c = -1;
	ASSERT_TRUE(wait_recorded(self->s, WSP_FD_READ | WSP_FD_CLOSE));
	EXPECT_EQ(0, posted(self->win));
}

/* With mask 0 the eventfd or window is not looked at. */
TEST_F(notify, mask_zero_ignores_fd)
{
	int p[2];

	NEW_SOCK(self->c, SOCK_STREAM);
	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	EXPECT_EQ(0, wsp_event_select(self->c, -1, 0));
	EXPECT_EQ(0, wsp_event_select(self->c, closed_fd(), 0));
	EXPECT_EQ(0, wsp_event_select(self->c, p[0], 0));
	EXPECT_EQ(0, wsp_event_select(self->c, self->win, 0));
	EXPECT_EQ(0, wsp_async_select(self->c, -1, MSG_A, 0));
	EXPECT_EQ(0, wsp_async_select(self->c, closed_fd(), MSG_A, 0));
	EXPECT_EQ(0, wsp_async_select(self->c, p[0], MSG_A, 0));
	EXPECT_EQ(0, wsp_async_select(self->c, self->efd, MSG_A, 0));
	EXPECT_EQ(WSP_REG_NONE, reg_kind(self->c));
	close(p[0]);
	close(p[1]);
}

/*
 * FIONBIO(0) is refused while a registration is active, through every
 * descriptor (not only the registering one); after a cancel it works.
 */
TEST_F(notify, blocking_refused_while_event_selected)
{
	int s2;

	TCP_PAIR();
	s2 = self->x[0] = dup_self(self->dev, self->s);
	ASSERT_LE(0, s2);
	ASSERT_EQ(0, wsp_event_select(self->s, self->efd, WSP_FD_READ));
	EXPECT_EQ(-EINVAL, wsp_set_nonblock(s2, 0));
	EXPECT_EQ(-EINVAL, wsp_set_nonblock(self->s, 0));
	EXPECT_EQ(1, nonblocking(s2));
	EXPECT_EQ(0, wsp_set_nonblock(s2, 1));

	ASSERT_EQ(0, wsp_event_select(s2, -1, 0));
	EXPECT_EQ(0, wsp_set_nonblock(s2, 0));
	EXPECT_EQ(0, nonblocking(self->s));
}

TEST_F(notify, blocking_refused_while_async_selected)
{
	int s2;

	TCP_PAIR();
	s2 = self->x[0] = dup_self(self->dev, self->s);
	ASSERT_LE(0, s2);
	ASSERT_EQ(0, wsp_async_select(s2, self->win, MSG_A, WSP_FD_READ));
	EXPECT_EQ(-EINVAL, wsp_set_nonblock(self->s, 0));
	EXPECT_EQ(-EINVAL, wsp_set_nonblock(s2, 0));
	EXPECT_EQ(1, nonblocking(self->s));

	/* Cancelled through the other descriptor, with the other ioctl. */
	ASSERT_EQ(0, wsp_event_select(self->s, -1, 0));
	EXPECT_EQ(0, wsp_set_nonblock(self->s, 0));
	EXPECT_EQ(0, nonblocking(s2));
}

/* ------------------------------------------------------------------ */
/* Re-enabling: FD_READ, FD_OOB, FD_ACCEPT, FD_WRITE.                 */
/* ------------------------------------------------------------------ */

/* A reported FD_READ is held: more data neither signals nor records. */
TEST_F(notify, held_read_not_reported_again)
{
	struct wsp_enum_events_args a;

	TCP_PAIR();
	ASSERT_EQ(0, wsp_event_select(self->s, self->efd, WSP_FD_READ));
	ASSERT_EQ(1, wsp_send(self->c, "a", 1, 0));
	ASSERT_TRUE(wsp_wait_readable(self->efd, WAIT_MS));
	ASSERT_EQ(0, enum_fresh(self->s, self->efd, &a));
	EXPECT_EQ(WSP_FD_READ, a.network_events);
	EXPECT_EQ(WSP_FD_READ, reg_held(self->s) & WSP_FD_READ);

	ASSERT_EQ(1, wsp_send(self->c, "b", 1, 0));
	ASSERT_EQ(2, wait_inq(self->s, 2));
	EXPECT_FALSE(wsp_eventfd_is_set(self->efd));
	EXPECT_EQ(0, reg_recorded(self->s) & WSP_FD_READ);
}

/* A receive in another process, through its own descriptor, re-arms. */
static int recv_child(int dev, int in, int want)
{
	struct wsp_protocol_info info;
	char buf[64];
	int fd, got = 0;

	if (read(in, &info, sizeof(info)) != sizeof(info))
		return 10;
	fd = wsp_redeem(dev, &info);
	if (fd < 0)
		return 11;
	while (got < want) {
		long n = wsp_recv(fd, buf, sizeof(buf), 0);

		if (n <= 0)
			return 12;
		got += n;
	}
	return got == want ? 0 : 13;
}

TEST_F(notify, recv_in_other_process_reenables_read)
{
	struct wsp_enum_events_args a;
	struct wsp_protocol_info info;
	int p[2];

	TCP_PAIR();
	ASSERT_EQ(0, wsp_event_select(self->s, self->efd, WSP_FD_READ));
	ASSERT_EQ(10, wsp_send(self->c, "0123456789", 10, 0));
	ASSERT_TRUE(wsp_wait_readable(self->efd, WAIT_MS));
	ASSERT_EQ(0, enum_fresh(self->s, self->efd, &a));
	EXPECT_EQ(WSP_FD_READ, a.network_events);
	ASSERT_EQ(10, wait_inq(self->s, 10));
	EXPECT_FALSE(wsp_eventfd_is_set(self->efd));
	EXPECT_EQ(WSP_FD_READ, reg_held(self->s) & WSP_FD_READ);

	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	self->child = fork();
	ASSERT_LE(0, self->child);
	if (self->child == 0) {
		close(p[1]);
		_exit(recv_child(self->dev, p[0], 10));
	}
	close(p[0]);
	self->x[0] = p[1];
	ASSERT_EQ(0, wsp_duplicate(self->s, self->child, &info));
	ASSERT_EQ(sizeof(info), write(p[1], &info, sizeof(info)));
	REAP_CHILD();

	/* Re-armed, and with nothing left there is nothing to report. */
	EXPECT_EQ(0, reg_held(self->s) & WSP_FD_READ);
	EXPECT_FALSE(wsp_eventfd_is_set(self->efd));
	/* The next arrival is reported. */
	ASSERT_EQ(1, wsp_send(self->c, "z", 1, 0));
	ASSERT_TRUE(wsp_wait_readable(self->efd, WAIT_MS));
	ASSERT_EQ(0, enum_fresh(self->s, self->efd, &a));
	EXPECT_EQ(WSP_FD_READ, a.network_events);
}

/* FD_READ is level: a partial receive reports it again at once. */
TEST_F(notify, partial_recv_reports_read_again)
{
	static char out[100], in[100];
	struct wsp_message m[4];

	TCP_PAIR();
	memset(out, 'r', sizeof(out));
	ASSERT_EQ(0, wsp_async_select(self->s, self->win, MSG_A, WSP_FD_READ));
	ASSERT_EQ(100, wsp_send(self->c, out, 100, 0));
	ASSERT_EQ(1, get_msgs(self->win, m, 1));
	EXPECT_MSG(&m[0], self->win, MSG_A, self->s, WSP_FD_READ, 0);
	ASSERT_EQ(100, wait_inq(self->s, 100));
	EXPECT_EQ(0, queued(self->win));

	ASSERT_EQ(50, wsp_recv(self->s, in, 50, 0));
	ASSERT_EQ(1, wsp_read_messages(self->win, m, 4));
	EXPECT_MSG(&m[0], self->win, MSG_A, self->s, WSP_FD_READ, 0);

	/* Nothing left: the last receive reports nothing. */
	ASSERT_EQ(50, wsp_recv(self->s, in, 50, 0));
	EXPECT_EQ(0, queued(self->win));
}

/* MSG_PEEK is a re-enabling receive too (and the data is still there). */
TEST_F(notify, peek_reenables_read)
{
	struct wsp_enum_events_args a;
	char buf[8];

	TCP_PAIR();
	ASSERT_EQ(0, wsp_event_select(self->s, self->efd, WSP_FD_READ));
	ASSERT_EQ(4, wsp_send(self->c, "peek", 4, 0));
	ASSERT_TRUE(wsp_wait_readable(self->efd, WAIT_MS));
	ASSERT_EQ(0, enum_fresh(self->s, self->efd, &a));
	EXPECT_EQ(WSP_FD_READ, a.network_events);
	ASSERT_EQ(4, wait_inq(self->s, 4));
	EXPECT_FALSE(wsp_eventfd_is_set(self->efd));

	ASSERT_EQ(2, wsp_recv(self->s, buf, 2, MSG_PEEK));
	EXPECT_TRUE(wsp_eventfd_is_set(self->efd));
	ASSERT_EQ(0, enum_fresh(self->s, self->efd, &a));
	EXPECT_EQ(WSP_FD_READ, a.network_events);
}

/* read(2) on the descriptor is a receive: it re-arms FD_READ. */
TEST_F(notify, read_syscall_reenables_read)
{
	struct wsp_enum_events_args a;
	char buf[8];

	TCP_PAIR();
	ASSERT_EQ(0, wsp_event_select(self->s, self->efd, WSP_FD_READ));
	ASSERT_EQ(6, wsp_send(self->c, "abcdef", 6, 0));
	ASSERT_TRUE(wsp_wait_readable(self->efd, WAIT_MS));
	ASSERT_EQ(0, enum_fresh(self->s, self->efd, &a));
	ASSERT_EQ(6, wait_inq(self->s, 6));
	EXPECT_FALSE(wsp_eventfd_is_set(self->efd));

	ASSERT_EQ(3, read(self->s, buf, 3));
	EXPECT_TRUE(wsp_eventfd_is_set(self->efd));
	ASSERT_EQ(0, enum_fresh(self->s, self->efd, &a));
	EXPECT_EQ(WSP_FD_READ, a.network_events);
}

/* The system calls that receive from a socket, besides recv(2) and read(2). */
enum recv_call { BY_RECVMSG, BY_RECVMMSG, BY_SPLICE };

/*
 * Receive up to @len bytes from @fd through @how, without waiting: the
 * byte count, or -errno. @pipefd is a pipe for BY_SPLICE (the bytes stay
 * in it).
 */
static long recv_by(enum recv_call how, int fd, int pipefd, void *buf,
		    size_t len)
{
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct mmsghdr mm = { .msg_hdr = { .msg_iov = &iov, .msg_iovlen = 1 } };
	long n = -1;

	switch (how) {
	case BY_RECVMSG:
		n = recvmsg(fd, &mm.msg_hdr, MSG_DONTWAIT);
		break;
	case BY_RECVMMSG:
		n = recvmmsg(fd, &mm, 1, MSG_DONTWAIT, NULL);
		if (n == 1)
			n = mm.msg_len;
		break;
	case BY_SPLICE:
		n = splice(fd, NULL, pipefd, NULL, len, SPLICE_F_NONBLOCK);
		break;
	}
	return n < 0 ? -errno : n;
}

/*
 * FD_READ reported and held; @how takes part of the data: FD_READ is
 * re-enabled and, data still waiting, reported again at once.
 */
static void check_recv_reenables_read(struct __test_metadata *_metadata,
				      FIXTURE_DATA(notify) *self,
				      enum recv_call how)
{
	struct wsp_enum_events_args a;
	char buf[8];
	int p[2];

	TCP_PAIR();
	ASSERT_EQ(0, pipe2(p, O_CLOEXEC | O_NONBLOCK));
	self->x[0] = p[0];
	self->x[1] = p[1];
	ASSERT_EQ(0, wsp_event_select(self->s, self->efd, WSP_FD_READ));
	ASSERT_EQ(6, wsp_send(self->c, "abcdef", 6, 0));
	ASSERT_TRUE(wsp_wait_readable(self->efd, WAIT_MS));
	ASSERT_EQ(0, enum_fresh(self->s, self->efd, &a));
	EXPECT_EQ(WSP_FD_READ, a.network_events);
	ASSERT_EQ(6, wait_inq(self->s, 6));
	EXPECT_FALSE(wsp_eventfd_is_set(self->efd));
	EXPECT_EQ(WSP_FD_READ, reg_held(self->s) & WSP_FD_READ);

	ASSERT_EQ(3, recv_by(how, self->s, p[1], buf, 3));
	EXPECT_TRUE(wsp_eventfd_is_set(self->efd));
	ASSERT_EQ(0, enum_fresh(self->s, self->efd, &a));
	EXPECT_EQ(WSP_FD_READ, a.network_events);

	/* The rest: re-enabled, nothing left, nothing reported. */
	ASSERT_EQ(3, recv_by(how, self->s, p[1], buf, sizeof(buf)));
	EXPECT_EQ(0, reg_held(self->s) & WSP_FD_READ);
	EXPECT_FALSE(wsp_eventfd_is_set(self->efd));
}

TEST_F(notify, recvmsg_reenables_read)
{
	check_recv_reenables_read(_metadata, self, BY_RECVMSG);
}

TEST_F(notify, recvmmsg_reenables_read)
{
	check_recv_reenables_read(_metadata, self, BY_RECVMMSG);
}

/* splice(2) from the socket into a pipe is a receive. */
TEST_F(notify, splice_from_socket_reenables_read)
{
	check_recv_reenables_read(_metadata, self, BY_SPLICE);
}

/* A receive that fails with EAGAIN re-arms FD_READ too. */
TEST_F(notify, failed_recv_reenables_read)
{
	struct wsp_enum_events_args a;
	struct test_addr a1, a2;
	char buf[8];
	void *bad;
	int avail;

	bad = no_access_page();
	ASSERT_NE(NULL, bad);
	UDP_BOUND(self->u1, a1);
	UDP_BOUND(self->u2, a2);
	ASSERT_EQ(0, wsp_connect(self->u2, &a1));
	ASSERT_EQ(0, wsp_event_select(self->u1, self->efd, WSP_FD_READ));
	ASSERT_EQ(1, wsp_send(self->u2, "x", 1, 0));
	ASSERT_TRUE(wsp_wait_readable(self->efd, WAIT_MS));
	ASSERT_EQ(0, enum_fresh(self->u1, self->efd, &a));
	EXPECT_EQ(WSP_FD_READ, a.network_events);

	/*
	 * FD_READ held with nothing waiting: a faulting receive drops the
	 * datagram and, under an event-select, re-enables nothing.
	 */
	ASSERT_EQ(-EFAULT, wsp_recv(self->u1, bad, 1, 0));
	ASSERT_EQ(0, ioctl(self->u1, FIONREAD, &avail));
	EXPECT_EQ(0, avail);
	EXPECT_EQ(WSP_FD_READ, reg_held(self->u1) & WSP_FD_READ);

	EXPECT_EQ(-EAGAIN, wsp_recv(self->u1, buf, sizeof(buf), 0));
	EXPECT_EQ(0, reg_held(self->u1) & WSP_FD_READ);
	EXPECT_FALSE(wsp_eventfd_is_set(self->efd));

	ASSERT_EQ(1, wsp_send(self->u2, "y", 1, 0));
	ASSERT_TRUE(wsp_wait_readable(self->efd, WAIT_MS));
	ASSERT_EQ(0, enum_fresh(self->u1, self->efd, &a));
	EXPECT_EQ(WSP_FD_READ, a.network_events);
}

/*
 * A re-enabling call clears what it re-enables: the greeting. A program
 * receives a greeting with a blocking receive, then event-selects
 * FD_READ: it is not signalled for data it has already read.
 */
TEST_F(notify, greeting_read_before_event_select_not_signalled)
{
	struct wsp_enum_events_args a;
	char buf[16];

	TCP_PAIR();
	ASSERT_EQ(5, wsp_send(self->c, "hello", 5, 0));
	ASSERT_EQ(5, wait_inq(self->s, 5));
	ASSERT_EQ(5, wsp_recv(self->s, buf, sizeof(buf), 0));
	EXPECT_EQ(0, reg_recorded(self->s) & WSP_FD_READ);

	ASSERT_EQ(0, wsp_event_select(self->s, self->efd,
				      WSP_FD_READ | WSP_FD_CLOSE));
	EXPECT_FALSE(wsp_eventfd_is_set(self->efd));
	ASSERT_EQ(0, enum_fresh(self->s, self->efd, &a));
	EXPECT_EQ(0, a.network_events);

	/* The next data is signalled. */
	ASSERT_EQ(3, wsp_send(self->c, "cmd", 3, 0));
	ASSERT_TRUE(wsp_wait_readable(self->efd, WAIT_MS));
	ASSERT_EQ(0, enum_fresh(self->s, self->efd, &a));
	EXPECT_EQ(WSP_FD_READ, a.network_events);
}

/*
 * The same after message mode: FD_READ posted, all the data received; an
 * event-select that follows reports nothing.
 */
TEST_F(notify, read_drained_under_async_select_not_signalled)
{
	struct wsp_enum_events_args a;
	struct wsp_message m[4];
	char buf[16];

	TCP_PAIR();
	ASSERT_EQ(0, wsp_async_select(self->s, self->win, MSG_A, WSP_FD_READ));
	ASSERT_EQ(4, wsp_send(self->c, "data", 4, 0));
	ASSERT_EQ(1, get_msgs(self->win, m, 1));
	EXPECT_MSG(&m[0], self->win, MSG_A, self->s, WSP_FD_READ, 0);
	ASSERT_EQ(4, wait_inq(self->s, 4));
	ASSERT_EQ(4, wsp_recv(self->s, buf, sizeof(buf), 0));
	EXPECT_EQ(0, queued(self->win));
	EXPECT_EQ(0, reg_recorded(self->s) & WSP_FD_READ);

	ASSERT_EQ(0, wsp_event_select(self->s, self->efd, WSP_FD_READ));
	EXPECT_FALSE(wsp_eventfd_is_set(self->efd));
	ASSERT_EQ(0, enum_fresh(self->s, self->efd, &a));
	EXPECT_EQ(0, a.network_events);
}

/* Data that arrived while the mask was 0 and is still unread: reported. */
TEST_F(notify, unread_data_reported_when_read_selected)
{
	struct wsp_enum_events_args a;

	TCP_PAIR();
	ASSERT_EQ(0, wsp_event_select(self->s, self->efd, 0));
	ASSERT_EQ(4, wsp_send(self->c, "data", 4, 0));
	ASSERT_EQ(4, wait_inq(self->s, 4));
	ASSERT_EQ(0, wsp_event_select(self->s, self->efd, WSP_FD_READ));
	EXPECT_TRUE(wsp_eventfd_is_set(self->efd));
	ASSERT_EQ(0, enum_fresh(self->s, self->efd, &a));
	EXPECT_EQ(WSP_FD_READ, a.network_events);
}

TEST_F(notify, unread_data_posted_when_read_selected)
{
	struct wsp_message m[4];

	TCP_PAIR();
	ASSERT_EQ(0, wsp_async_select(self->s, self->win, MSG_A, 0));
	ASSERT_EQ(4, wsp_send(self->c, "data", 4, 0));
	ASSERT_EQ(4, wait_inq(self->s, 4));
	ASSERT_EQ(0, wsp_async_select(self->s, self->win, MSG_A, WSP_FD_READ));
	ASSERT_EQ(1, wsp_read_messages(self->win, m, 4));
	EXPECT_MSG(&m[0], self->win, MSG_A, self->s, WSP_FD_READ, 0);
}

/* Urgent data received with recv(MSG_OOB) before FD_OOB is selected. */
TEST_F(notify, oob_read_before_event_select_not_signalled)
{
	struct wsp_enum_events_args a;
	char buf[8];

	TCP_PAIR();
	ASSERT_EQ(1, wsp_send(self->c, "U", 1, MSG_OOB));
	ASSERT_TRUE(wait_recorded(self->s, WSP_FD_OOB));
	ASSERT_EQ(1, wsp_recv(self->s, buf, sizeof(buf), MSG_OOB));
	EXPECT_EQ('U', buf[0]);
	EXPECT_EQ(0, reg_recorded(self->s) & WSP_FD_OOB);

	ASSERT_EQ(0, wsp_event_select(self->s, self->efd, WSP_FD_OOB));
	EXPECT_FALSE(wsp_eventfd_is_set(self->efd));
	ASSERT_EQ(0, enum_fresh(self->s, self->efd, &a));
	EXPECT_EQ(0, a.network_events);
}

/*
 * A connection arrives and is accepted while FD_ACCEPT is not selected: a
 * registration that then adds FD_ACCEPT reports nothing.
 */
TEST_F(notify, accepted_before_event_select_not_signalled)
{
	struct wsp_enum_events_args a;
	struct test_addr addr;

	LISTENER(addr);
	NEW_SOCK(self->c, SOCK_STREAM);
	ASSERT_EQ(0, wsp_connect(self->c, &addr));
	ASSERT_TRUE(wait_accept_queue(self->l, 1));
	ASSERT_TRUE(wait_recorded(self->l, WSP_FD_ACCEPT));
	self->s = wsp_accept(self->l, NULL);
	ASSERT_LE(0, self->s);
	EXPECT_EQ(0, reg_recorded(self->l) & WSP_FD_ACCEPT);

	ASSERT_EQ(0, wsp_event_select(self->l, self->efd, WSP_FD_ACCEPT));
	EXPECT_FALSE(wsp_eventfd_is_set(self->efd));
	ASSERT_EQ(0, enum_fresh(self->l, self->efd, &a));
	EXPECT_EQ(0, a.network_events);
}

/* The same with FD_ACCEPT posted to a window, then an event-select. */
TEST_F(notify, accepted_under_async_select_not_signalled)
{
	struct wsp_enum_events_args a;
	struct wsp_message m[4];
	struct test_addr addr;

	LISTENER(addr);
	ASSERT_EQ(0, wsp_async_select(self->l, self->win, MSG_A,
				      WSP_FD_ACCEPT));
	NEW_SOCK(self->c, SOCK_STREAM);
	ASSERT_EQ(0, wsp_connect(self->c, &addr));
	ASSERT_EQ(1, get_msgs(self->win, m, 1));
	EXPECT_MSG(&m[0], self->win, MSG_A, self->l, WSP_FD_ACCEPT, 0);
	self->s = wsp_accept(self->l, NULL);
	ASSERT_LE(0, self->s);
	EXPECT_EQ(0, queued(self->win));

	ASSERT_EQ(0, wsp_async_select(self->l, self->win, MSG_A,
				      WSP_FD_ACCEPT));
	EXPECT_EQ(0, queued(self->win));
	ASSERT_EQ(0, wsp_event_select(self->l, self->efd, WSP_FD_ACCEPT));
	EXPECT_FALSE(wsp_eventfd_is_set(self->efd));
	ASSERT_EQ(0, enum_fresh(self->l, self->efd, &a));
	EXPECT_EQ(0, a.network_events);
}

/*
 * A receive that fails with EFAULT (a buffer the kernel cannot write)
 * re-enables nothing under an event-select: the data waits, unsignalled.
 */
TEST_F(notify, recv_fault_reenables_nothing_under_event_select)
{
	struct wsp_enum_events_args a;
	char buf[8];
	void *bad;

	bad = no_access_page();
	ASSERT_NE(NULL, bad);
	TCP_PAIR();
	ASSERT_EQ(0, wsp_event_select(self->s, self->efd, WSP_FD_READ));
	ASSERT_EQ(3, wsp_send(self->c, "abc", 3, 0));
	ASSERT_TRUE(wsp_wait_readable(self->efd, WAIT_MS));
	ASSERT_EQ(0, enum_fresh(self->s, self->efd, &a));
	EXPECT_EQ(WSP_FD_READ, a.network_events);
	ASSERT_EQ(3, wait_inq(self->s, 3));

	ASSERT_EQ(-EFAULT, wsp_recv(self->s, bad, 3, 0));
	EXPECT_FALSE(wsp_eventfd_is_set(self->efd));
	EXPECT_EQ(WSP_FD_READ, reg_held(self->s) & WSP_FD_READ);
	EXPECT_EQ(3, wait_inq(self->s, 3));

	/* Any other receive re-enables it; data waits: signalled. */
	ASSERT_EQ(1, wsp_recv(self->s, buf, 1, 0));
	EXPECT_TRUE(wsp_eventfd_is_set(self->efd));
}

/* Under an async-select it re-posts FD_READ while data waits. */
TEST_F(notify, recv_fault_reposts_read_under_async_select)
{
	struct wsp_message m[4];
	void *bad;

	bad = no_access_page();
	ASSERT_NE(NULL, bad);
	TCP_PAIR();
	ASSERT_EQ(0, wsp_async_select(self->s, self->win, MSG_A, WSP_FD_READ));
	ASSERT_EQ(3, wsp_send(self->c, "abc", 3, 0));
	ASSERT_EQ(1, get_msgs(self->win, m, 1));
	EXPECT_MSG(&m[0], self->win, MSG_A, self->s, WSP_FD_READ, 0);
	ASSERT_EQ(3, wait_inq(self->s, 3));
	EXPECT_EQ(0, queued(self->win));

	ASSERT_EQ(-EFAULT, wsp_recv(self->s, bad, 3, 0));
	ASSERT_EQ(1, wsp_read_messages(self->win, m, 4));
	EXPECT_MSG(&m[0], self->win, MSG_A, self->s, WSP_FD_READ, 0);
}

/* UDP: a datagram is FD_READ; receiving one while another waits re-reports. */
TEST_F(notify, udp_datagram_reports_read)
{
	struct wsp_enum_events_args a;
	struct test_addr a1, a2;
	char buf[16];

	UDP_BOUND(self->u1, a1);
	UDP_BOUND(self->u2, a2);
	ASSERT_EQ(0, wsp_connect(self->u2, &a1));
	ASSERT_EQ(0, wsp_event_select(self->u1, self->efd, WSP_FD_READ));
	EXPECT_FALSE(wsp_eventfd_is_set(self->efd));

	ASSERT_EQ(2, wsp_send(self->u2, "d1", 2, 0));
	ASSERT_TRUE(wsp_wait_readable(self->efd, WAIT_MS));
	ASSERT_EQ(0, enum_fresh(self->u1, self->efd, &a));
	EXPECT_EQ(WSP_FD_READ, a.network_events);
	EXPECT_EQ(0, a.errors[WSP_FD_READ_BIT]);

	ASSERT_EQ(3, wsp_send(self->u2, "d22", 3, 0));
	ASSERT_EQ(2, wsp_recv(self->u1, buf, sizeof(buf), 0));
	ASSERT_TRUE(wsp_wait_readable(self->efd, WAIT_MS));
	ASSERT_EQ(0, enum_fresh(self->u1, self->efd, &a));
	EXPECT_EQ(WSP_FD_READ, a.network_events);
	ASSERT_EQ(3, wsp_recv(self->u1, buf, sizeof(buf), 0));
	EXPECT_FALSE(wsp_eventfd_is_set(self->efd));
}

/* Urgent data: FD_OOB; re-armed by receiving it; reported for the next. */
TEST_F(notify, urgent_data_reports_oob)
{
	struct wsp_enum_events_args a;
	char buf[8];

	TCP_PAIR();
	ASSERT_EQ(0, wsp_event_select(self->s, self->efd, WSP_FD_OOB));
	ASSERT_EQ(2, wsp_send(self->c, "ab", 2, 0));
	ASSERT_EQ(1, wsp_send(self->c, "X", 1, MSG_OOB));
	ASSERT_TRUE(wsp_wait_readable(self->efd, WAIT_MS));
	ASSERT_EQ(0, enum_fresh(self->s, self->efd, &a));
	EXPECT_EQ(WSP_FD_OOB, a.network_events);
	EXPECT_EQ(0, a.errors[WSP_FD_OOB_BIT]);
	EXPECT_EQ(-1, written_unreported_slot(&a));

	ASSERT_EQ(1, wsp_recv(self->s, buf, sizeof(buf), MSG_OOB));
	EXPECT_EQ('X', buf[0]);
	/* Consumed: nothing to report again. */
	EXPECT_FALSE(wsp_eventfd_is_set(self->efd));

	ASSERT_EQ(1, wsp_send(self->c, "Y", 1, MSG_OOB));
	ASSERT_TRUE(wsp_wait_readable(self->efd, WAIT_MS));
	ASSERT_EQ(0, enum_fresh(self->s, self->efd, &a));
	EXPECT_EQ(WSP_FD_OOB, a.network_events);
}

/* With SO_OOBINLINE the urgent byte is data: FD_READ, no FD_OOB. */
TEST_F(notify, oobinline_reports_no_oob)
{
	struct wsp_enum_events_args a;
	int one = 1, got;

	TCP_PAIR();
	ASSERT_EQ(0, wsp_setsockopt(self->s, SOL_SOCKET, SO_OOBINLINE, &one,
				    sizeof(one)));
	ASSERT_EQ(0, wsp_event_select(self->s, self->efd,
				      WSP_FD_OOB | WSP_FD_READ));
	ASSERT_EQ(2, wsp_send(self->c, "ab", 2, 0));
	ASSERT_EQ(1, wsp_send(self->c, "X", 1, MSG_OOB));
	ASSERT_EQ(3, wait_inq(self->s, 3));
	ASSERT_TRUE(wsp_eventfd_is_set(self->efd));
	ASSERT_EQ(0, enum_fresh(self->s, self->efd, &a));
	got = a.network_events;
	EXPECT_EQ(WSP_FD_READ, got);
	EXPECT_EQ(0, reg_recorded(self->s) & WSP_FD_OOB);
}

/* FD_ACCEPT: held until accept; level while connections wait. */
TEST_F(notify, accept_reports_and_reenables)
{
	struct wsp_enum_events_args a;
	struct test_addr addr;
	int i;

	LISTENER(addr);
	ASSERT_EQ(0, wsp_event_select(self->l, self->efd, WSP_FD_ACCEPT));
	EXPECT_FALSE(wsp_eventfd_is_set(self->efd));
	for (i = 0; i < 3; i++)
		NEW_SOCK(self->x[i], SOCK_STREAM);

	ASSERT_EQ(0, wsp_connect(self->x[0], &addr));
	ASSERT_TRUE(wsp_wait_readable(self->efd, WAIT_MS));
	ASSERT_EQ(0, enum_fresh(self->l, self->efd, &a));
	EXPECT_EQ(WSP_FD_ACCEPT, a.network_events);
	EXPECT_EQ(0, a.errors[WSP_FD_ACCEPT_BIT]);
	EXPECT_EQ(-1, written_unreported_slot(&a));

	/* A second connection while the first waits: held, nothing. */
	ASSERT_EQ(0, wsp_connect(self->x[1], &addr));
	ASSERT_TRUE(wait_accept_queue(self->l, 2));
	EXPECT_FALSE(wsp_eventfd_is_set(self->efd));

	/* Accepting one re-arms; one still waits: reported at once. */
	self->x[3] = wsp_accept(self->l, NULL);
	ASSERT_LE(0, self->x[3]);
	EXPECT_TRUE(wsp_eventfd_is_set(self->efd));
	ASSERT_EQ(0, enum_fresh(self->l, self->efd, &a));
	EXPECT_EQ(WSP_FD_ACCEPT, a.network_events);

	/* Accepting the last: nothing waits, nothing reported. */
	self->x[4] = wsp_accept(self->l, NULL);
	ASSERT_LE(0, self->x[4]);
	EXPECT_FALSE(wsp_eventfd_is_set(self->efd));
	EXPECT_EQ(0, reg_held(self->l) & WSP_FD_ACCEPT);

	/* A new connection is reported. */
	ASSERT_EQ(0, wsp_connect(self->x[2], &addr));
	ASSERT_TRUE(wsp_wait_readable(self->efd, WAIT_MS));
	ASSERT_EQ(0, enum_fresh(self->l, self->efd, &a));
	EXPECT_EQ(WSP_FD_ACCEPT, a.network_events);
}

/* The system calls that send on a socket. */
enum send_call { BY_SEND, BY_WRITE, BY_SENDMSG, BY_SPLICE_TO, BY_SENDFILE };

#define SEND_CHUNK 16384

/*
 * Send SEND_CHUNK bytes on non-blocking @fd through @how: the byte count,
 * or -errno. @src is a pipe (BY_SPLICE_TO: it is topped up first) or a
 * file of SEND_CHUNK bytes (BY_SENDFILE); @src_w the pipe's write end.
 */
static long send_by(enum send_call how, int fd, int src, int src_w)
{
	static char buf[SEND_CHUNK];
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	off_t off = 0;
	long n = -1;

	switch (how) {
	case BY_SEND:
		n = send(fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_NOSIGNAL);
		break;
	case BY_WRITE:
		n = write(fd, buf, sizeof(buf));
		break;
	case BY_SENDMSG:
		n = sendmsg(fd, &mh, MSG_NOSIGNAL);
		break;
	case BY_SPLICE_TO:
		/* Keep the pipe full: what the socket did not take stays. */
		while (write(src_w, buf, sizeof(buf)) > 0)
			;
		n = splice(src, NULL, fd, NULL, sizeof(buf),
			   SPLICE_F_NONBLOCK);
		break;
	case BY_SENDFILE:
		n = sendfile(fd, src, &off, sizeof(buf));
		break;
	}
	return n < 0 ? -errno : n;
}

/*
 * FD_WRITE reported; @how fills the send buffer until it fails with
 * EAGAIN: that failure re-arms FD_WRITE, reported (error 0) once the peer
 * makes room.
 */
static void check_eagain_rearms_write(struct __test_metadata *_metadata,
				      FIXTURE_DATA(notify) *self,
				      enum send_call how)
{
	static char buf[SEND_CHUNK];
	struct wsp_enum_events_args a;
	int small = 4096, i, err[WSP_FD_MAX_EVENTS], got, src = -1, src_w = -1;
	long n = 0, sent = 0, end;

	TCP_PAIR();
	if (how == BY_SPLICE_TO) {
		int p[2];

		ASSERT_EQ(0, pipe2(p, O_CLOEXEC | O_NONBLOCK));
		self->x[0] = src = p[0];
		self->x[1] = src_w = p[1];
	} else if (how == BY_SENDFILE) {
		self->x[0] = src = memfd_create("notify_test", MFD_CLOEXEC);
		ASSERT_LE(0, src);
		ASSERT_EQ(sizeof(buf), write(src, buf, sizeof(buf)));
	}
	ASSERT_EQ(0, wsp_setsockopt(self->c, SOL_SOCKET, SO_SNDBUF, &small,
				    sizeof(small)));
	ASSERT_EQ(0, wsp_setsockopt(self->s, SOL_SOCKET, SO_RCVBUF, &small,
				    sizeof(small)));
	ASSERT_EQ(0, wsp_event_select(self->c, self->efd, WSP_FD_WRITE));
	ASSERT_TRUE(wsp_eventfd_is_set(self->efd));
	ASSERT_EQ(0, enum_fresh(self->c, self->efd, &a));
	EXPECT_EQ(WSP_FD_WRITE, a.network_events);

	for (i = 0; i < 4096; i++) {
		n = send_by(how, self->c, src, src_w);
		if (n < 0)
			break;
		sent += n;
	}
	ASSERT_EQ(-EAGAIN, n) TH_LOG("sent %ld bytes without EAGAIN", sent);

	/* Drain the peer until FD_WRITE is signalled. */
	end = now_ms() + WAIT_MS;
	while (!wsp_eventfd_is_set(self->efd) && now_ms() < end) {
		if (wsp_recv(self->s, buf, sizeof(buf), MSG_DONTWAIT) < 0)
			poll1(self->s, POLLIN, 10);
	}
	for (i = 0; i < WSP_FD_MAX_EVENTS; i++)
		err[i] = SENTINEL;
	got = collect(self->c, self->efd, WSP_FD_WRITE, err);
	EXPECT_EQ(WSP_FD_WRITE, got);
	EXPECT_EQ(0, err[WSP_FD_WRITE_BIT]);
}

/* FD_WRITE comes back after a send failed with EAGAIN and space returned. */
TEST_F(notify, write_after_eagain_when_space_returns)
{
	check_eagain_rearms_write(_metadata, self, BY_SEND);
}

/* write(2) is a send: its EAGAIN re-arms FD_WRITE too. */
TEST_F(notify, write_syscall_eagain_rearms_write)
{
	check_eagain_rearms_write(_metadata, self, BY_WRITE);
}

TEST_F(notify, sendmsg_eagain_rearms_write)
{
	check_eagain_rearms_write(_metadata, self, BY_SENDMSG);
}

/* splice(2) from a pipe into the socket is a send. */
TEST_F(notify, splice_to_socket_eagain_rearms_write)
{
	check_eagain_rearms_write(_metadata, self, BY_SPLICE_TO);
}

TEST_F(notify, sendfile_eagain_rearms_write)
{
	check_eagain_rearms_write(_metadata, self, BY_SENDFILE);
}

/* A successful send never re-arms FD_WRITE. */
TEST_F(notify, no_write_after_successful_send)
{
	struct wsp_enum_events_args a;
	char buf[8];

	TCP_PAIR();
	ASSERT_EQ(0, wsp_event_select(self->c, self->efd, WSP_FD_WRITE));
	ASSERT_TRUE(wsp_eventfd_is_set(self->efd));
	ASSERT_EQ(0, enum_fresh(self->c, self->efd, &a));
	EXPECT_EQ(WSP_FD_WRITE, a.network_events);
	/* Register again: nothing held, nothing recorded. */
	ASSERT_EQ(0, wsp_event_select(self->c, self->efd, WSP_FD_WRITE));
	EXPECT_FALSE(wsp_eventfd_is_set(self->efd));
	EXPECT_EQ(0, reg_held(self->c));

	ASSERT_EQ(3, wsp_send(self->c, "abc", 3, 0));
	ASSERT_EQ(3, wait_inq(self->s, 3));
	ASSERT_EQ(3, wsp_recv(self->s, buf, sizeof(buf), 0));
	ASSERT_EQ(3, wsp_send(self->c, "def", 3, 0));
	ASSERT_EQ(3, wait_inq(self->s, 3));
	EXPECT_FALSE(wsp_eventfd_is_set(self->efd));
	EXPECT_EQ(0, reg_recorded(self->c) & WSP_FD_WRITE);
}

/* ------------------------------------------------------------------ */
/* Connect and close.                                                 */
/* ------------------------------------------------------------------ */

/* A non-blocking connect that succeeds: FD_CONNECT and FD_WRITE, error 0. */
TEST_F(notify, connect_success_reports_connect_and_write)
{
	struct wsp_enum_events_args a;
	struct test_addr addr;

	LISTENER(addr);
	NEW_SOCK(self->c, SOCK_STREAM);
	ASSERT_EQ(0, wsp_event_select(self->c, self->efd,
				      WSP_FD_CONNECT | WSP_FD_WRITE));
	EXPECT_FALSE(wsp_eventfd_is_set(self->efd));
	ASSERT_EQ(-EINPROGRESS, wsp_connect(self->c, &addr));
	ASSERT_TRUE(wsp_wait_readable(self->efd, WAIT_MS));
	ASSERT_EQ(0, enum_fresh(self->c, self->efd, &a));
	EXPECT_EQ(WSP_FD_CONNECT | WSP_FD_WRITE, a.network_events);
	EXPECT_EQ(0, a.errors[WSP_FD_CONNECT_BIT]);
	EXPECT_EQ(0, a.errors[WSP_FD_WRITE_BIT]);
	EXPECT_EQ(-1, written_unreported_slot(&a));
	EXPECT_FALSE(wsp_eventfd_is_set(self->efd));
}

/* The same through a window: two messages, FD_CONNECT first. */
TEST_F(notify, connect_success_posts_connect_then_write)
{
	struct wsp_message m[4];
	struct test_addr addr;

	LISTENER(addr);
	NEW_SOCK(self->c, SOCK_STREAM);
	ASSERT_EQ(0, wsp_async_select(self->c, self->win, MSG_A,
				      WSP_FD_CONNECT | WSP_FD_WRITE));
	EXPECT_EQ(0, queued(self->win));
	ASSERT_EQ(-EINPROGRESS, wsp_connect(self->c, &addr));
	ASSERT_EQ(2, get_msgs(self->win, m, 2));
	EXPECT_MSG(&m[0], self->win, MSG_A, self->c, WSP_FD_CONNECT, 0);
	EXPECT_MSG(&m[1], self->win, MSG_A, self->c, WSP_FD_WRITE, 0);
	EXPECT_EQ(0, queued(self->win));
}

/* A port on loopback that nothing listens on. */
static int closed_port(int dev)
{
	struct test_addr a = { 0 };
	int fd, ret;

	fd = wsp_socket(dev, AF_INET, SOCK_STREAM, 0, WSP_FD_CLOEXEC);
	if (fd < 0)
		return fd;
	wsp_loopback(&a, AF_INET, 0);
	ret = wsp_bind(fd, &a);
	if (!ret)
		ret = wsp_getsockname(fd, &a);
	close(fd);
	return ret ? ret : wsp_port(&a);
}

/* A refused connect: FD_CONNECT with ECONNREFUSED and no FD_WRITE. */
TEST_F(notify, connect_refused_reports_error_no_write)
{
	struct wsp_enum_events_args a;
	struct test_addr addr;
	int port, ret;

	port = closed_port(self->dev);
	ASSERT_LT(0, port);
	wsp_loopback(&addr, AF_INET, port);
	NEW_SOCK(self->c, SOCK_STREAM);
	ASSERT_EQ(0, wsp_event_select(self->c, self->efd,
				      WSP_FD_CONNECT | WSP_FD_WRITE));
	ret = wsp_connect(self->c, &addr);
	ASSERT_TRUE(ret == -EINPROGRESS || ret == -ECONNREFUSED)
		TH_LOG("connect: %d", ret);
	ASSERT_TRUE(wsp_wait_readable(self->efd, WAIT_MS));
	ASSERT_EQ(0, enum_fresh(self->c, self->efd, &a));
	EXPECT_EQ(WSP_FD_CONNECT, a.network_events);
	EXPECT_EQ(ECONNREFUSED, a.errors[WSP_FD_CONNECT_BIT]);
	EXPECT_EQ(SENTINEL, a.errors[WSP_FD_WRITE_BIT]);
	EXPECT_EQ(-1, written_unreported_slot(&a));
	EXPECT_EQ(0, reg_recorded(self->c));
	EXPECT_FALSE(wsp_eventfd_is_set(self->efd));
}

TEST_F(notify, connect_refused_posts_error_no_write)
{
	struct wsp_message m[4];
	struct test_addr addr;
	int port, ret;

	port = closed_port(self->dev);
	ASSERT_LT(0, port);
	wsp_loopback(&addr, AF_INET, port);
	NEW_SOCK(self->c, SOCK_STREAM);
	ASSERT_EQ(0, wsp_async_select(self->c, self->win, MSG_A,
				      WSP_FD_CONNECT | WSP_FD_WRITE));
	ret = wsp_connect(self->c, &addr);
	ASSERT_TRUE(ret == -EINPROGRESS || ret == -ECONNREFUSED)
		TH_LOG("connect: %d", ret);
	ASSERT_EQ(1, get_msgs(self->win, m, 1));
	EXPECT_MSG(&m[0], self->win, MSG_A, self->c, WSP_FD_CONNECT,
		   ECONNREFUSED);
	EXPECT_EQ(0, queued(self->win));
}

/*
 * A non-blocking connect that stays in SYN_SENT: the listener at @addr
 * has a full accept queue (backlog 0, one connection waiting in
 * self->x[0]), so it drops the SYN until that one is accepted.
 */
static void connect_stalled(struct __test_metadata *_metadata,
			    FIXTURE_DATA(notify) *self, struct test_addr *addr)
{
	struct tcp_info ti;
	unsigned int len = sizeof(ti);

	NEW_SOCK(self->l, SOCK_STREAM);
	wsp_loopback(addr, AF_INET, 0);
	ASSERT_EQ(0, wsp_bind(self->l, addr));
	ASSERT_EQ(0, wsp_listen(self->l, 0));
	ASSERT_EQ(0, wsp_getsockname(self->l, addr));
	NEW_SOCK(self->x[0], SOCK_STREAM);
	ASSERT_EQ(0, wsp_connect(self->x[0], addr));
	ASSERT_TRUE(wait_accept_queue(self->l, 1));

	ASSERT_EQ(-EINPROGRESS, wsp_connect(self->c, addr));
	memset(&ti, 0, sizeof(ti));
	ASSERT_EQ(0, wsp_getsockopt(self->c, IPPROTO_TCP, TCP_INFO, &ti, &len));
	ASSERT_EQ(TCP_SYN_SENT, ti.tcpi_state);
}

/*
 * A send while the connect is pending fails with EAGAIN and reports no
 * FD_WRITE (TCP is "writable" in SYN_SENT); FD_WRITE comes after
 * FD_CONNECT, once.
 */
TEST_F(notify, send_while_connecting_reports_write_after_connect)
{
	struct wsp_enum_events_args a;
	struct test_addr addr;

	NEW_SOCK(self->c, SOCK_STREAM);
	ASSERT_EQ(0, wsp_event_select(self->c, self->efd,
				      WSP_FD_CONNECT | WSP_FD_WRITE));
	connect_stalled(_metadata, self, &addr);
	EXPECT_EQ(-EAGAIN, wsp_send(self->c, "w", 1, 0));
	EXPECT_EQ(-EAGAIN, wsp_send(self->c, "w", 1, 0));
	EXPECT_FALSE(wsp_eventfd_is_set(self->efd));
	EXPECT_EQ(0, reg_recorded(self->c));

	/* Room in the queue: the SYN's retransmission connects. */
	self->x[1] = wsp_accept(self->l, NULL);
	ASSERT_LE(0, self->x[1]);
	ASSERT_TRUE(wsp_wait_readable(self->efd, WAIT_MS));
	ASSERT_EQ(0, enum_fresh(self->c, self->efd, &a));
	EXPECT_EQ(WSP_FD_CONNECT | WSP_FD_WRITE, a.network_events);
	EXPECT_EQ(0, a.errors[WSP_FD_CONNECT_BIT]);
	EXPECT_EQ(0, a.errors[WSP_FD_WRITE_BIT]);
	EXPECT_FALSE(wsp_eventfd_is_set(self->efd));
	EXPECT_EQ(1, wsp_send(self->c, "w", 1, 0));
	EXPECT_FALSE(wsp_eventfd_is_set(self->efd));
	EXPECT_EQ(0, reg_recorded(self->c));
}

TEST_F(notify, send_while_connecting_posts_write_after_connect)
{
	struct wsp_message m[4];
	struct test_addr addr;

	NEW_SOCK(self->c, SOCK_STREAM);
	ASSERT_EQ(0, wsp_async_select(self->c, self->win, MSG_A,
				      WSP_FD_CONNECT | WSP_FD_WRITE));
	connect_stalled(_metadata, self, &addr);
	EXPECT_EQ(-EAGAIN, wsp_send(self->c, "w", 1, 0));
	EXPECT_EQ(-EAGAIN, wsp_send(self->c, "w", 1, 0));
	EXPECT_EQ(0, posted(self->win));

	self->x[1] = wsp_accept(self->l, NULL);
	ASSERT_LE(0, self->x[1]);
	ASSERT_EQ(2, get_msgs(self->win, m, 2));
	EXPECT_MSG(&m[0], self->win, MSG_A, self->c, WSP_FD_CONNECT, 0);
	EXPECT_MSG(&m[1], self->win, MSG_A, self->c, WSP_FD_WRITE, 0);
	EXPECT_EQ(1, wsp_send(self->c, "w", 1, 0));
	EXPECT_EQ(0, queued(self->win));
}

/*
 * An unbound UDP socket registered for every event: its connect (which
 * binds it) records FD_CONNECT and FD_WRITE, reported by one enumeration.
 */
TEST_F(notify, udp_connect_reports_connect_and_write)
{
	struct wsp_enum_events_args a;
	struct test_addr a2;

	NEW_SOCK(self->u1, SOCK_DGRAM);
	UDP_BOUND(self->u2, a2);
	ASSERT_EQ(0, wsp_event_select(self->u1, self->efd, WSP_FD_ALL_EVENTS));
	EXPECT_FALSE(wsp_eventfd_is_set(self->efd));
	ASSERT_EQ(0, wsp_connect(self->u1, &a2));
	EXPECT_TRUE(wsp_eventfd_is_set(self->efd));
	ASSERT_EQ(0, enum_fresh(self->u1, self->efd, &a));
	EXPECT_EQ(WSP_FD_CONNECT | WSP_FD_WRITE, a.network_events);
	EXPECT_EQ(0, a.errors[WSP_FD_CONNECT_BIT]);
	EXPECT_EQ(0, a.errors[WSP_FD_WRITE_BIT]);
	EXPECT_EQ(-1, written_unreported_slot(&a));
}

/*
 * The same under an async-select: FD_WRITE is posted (again: the
 * registration posted the first), and no FD_CONNECT message, as Windows.
 */
TEST_F(notify, udp_connect_posts_write_not_connect)
{
	struct wsp_message m[4];
	struct test_addr a2;

	NEW_SOCK(self->u1, SOCK_DGRAM);
	UDP_BOUND(self->u2, a2);
	ASSERT_EQ(0, wsp_async_select(self->u1, self->win, MSG_A,
				      WSP_FD_ALL_EVENTS));
	ASSERT_EQ(1, wsp_read_messages(self->win, m, 4));
	EXPECT_MSG(&m[0], self->win, MSG_A, self->u1, WSP_FD_WRITE, 0);

	ASSERT_EQ(0, wsp_connect(self->u1, &a2));
	ASSERT_EQ(1, wsp_read_messages(self->win, m, 4));
	EXPECT_MSG(&m[0], self->win, MSG_A, self->u1, WSP_FD_WRITE, 0);
	EXPECT_EQ(0, queued(self->win));
}

/* A bound UDP socket reports FD_WRITE to its first event-select only. */
TEST_F(notify, udp_bound_reports_write_once)
{
	struct wsp_enum_events_args a;
	struct test_addr a1;
	int i;

	UDP_BOUND(self->u1, a1);
	ASSERT_EQ(0, wsp_event_select(self->u1, self->efd,
				      WSP_FD_READ | WSP_FD_WRITE));
	EXPECT_TRUE(wsp_eventfd_is_set(self->efd));
	ASSERT_EQ(0, enum_fresh(self->u1, self->efd, &a));
	EXPECT_EQ(WSP_FD_WRITE, a.network_events);
	EXPECT_EQ(0, a.errors[WSP_FD_WRITE_BIT]);

	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, wsp_event_select(self->u1, self->efd,
					      WSP_FD_READ | WSP_FD_WRITE));
		EXPECT_FALSE(wsp_eventfd_is_set(self->efd)) TH_LOG("round %d", i);
		ASSERT_EQ(0, enum_fresh(self->u1, self->efd, &a));
		EXPECT_EQ(0, a.network_events) TH_LOG("round %d", i);
	}
}

/* An unbound UDP socket has no FD_WRITE recorded: nothing is signalled. */
TEST_F(notify, udp_unbound_event_select_signals_nothing)
{
	struct wsp_enum_events_args a;

	NEW_SOCK(self->u1, SOCK_DGRAM);
	ASSERT_EQ(0, wsp_event_select(self->u1, self->efd, WSP_FD_ALL_EVENTS));
	EXPECT_FALSE(wsp_eventfd_is_set(self->efd));
	ASSERT_EQ(0, enum_fresh(self->u1, self->efd, &a));
	EXPECT_EQ(0, a.network_events);
}

/* An async-select posts what is true: an unbound UDP socket is writable. */
TEST_F(notify, udp_unbound_async_select_posts_write)
{
	struct wsp_message m[4];

	NEW_SOCK(self->u1, SOCK_DGRAM);
	ASSERT_EQ(0, wsp_async_select(self->u1, self->win, MSG_A,
				      WSP_FD_ALL_EVENTS));
	ASSERT_EQ(1, wsp_read_messages(self->win, m, 4));
	EXPECT_MSG(&m[0], self->win, MSG_A, self->u1, WSP_FD_WRITE, 0);
	EXPECT_EQ(0, queued(self->win));
}

/* The first sendto(2) binds a UDP socket implicitly: FD_WRITE then. */
TEST_F(notify, udp_sendto_binding_reports_write)
{
	struct wsp_enum_events_args a;
	struct test_addr a2;

	NEW_SOCK(self->u1, SOCK_DGRAM);
	UDP_BOUND(self->u2, a2);
	ASSERT_EQ(0, wsp_event_select(self->u1, self->efd, WSP_FD_WRITE));
	EXPECT_FALSE(wsp_eventfd_is_set(self->efd));
	ASSERT_EQ(1, sendto(self->u1, "s", 1, 0, &a2.sa, a2.len));
	EXPECT_TRUE(wsp_eventfd_is_set(self->efd));
	ASSERT_EQ(0, enum_fresh(self->u1, self->efd, &a));
	EXPECT_EQ(WSP_FD_WRITE, a.network_events);

	/* Once: the next send binds nothing. */
	ASSERT_EQ(1, sendto(self->u1, "t", 1, 0, &a2.sa, a2.len));
	EXPECT_FALSE(wsp_eventfd_is_set(self->efd));
}

/*
 * Events are recorded from creation: a socket that connected before its
 * first event-select signals FD_CONNECT and FD_WRITE at once.
 */
TEST_F(notify, events_recorded_before_registration)
{
	struct wsp_enum_events_args a;
	struct wsp_registration r;

	TCP_PAIR();
	ASSERT_EQ(0, wsp_get_registration(self->c, &r));
	EXPECT_EQ(WSP_FD_CONNECT | WSP_FD_WRITE, r.recorded);
	EXPECT_EQ(WSP_REG_NONE, r.kind);

	ASSERT_EQ(0, wsp_event_select(self->c, self->efd,
				      WSP_FD_CONNECT | WSP_FD_WRITE));
	EXPECT_TRUE(wsp_eventfd_is_set(self->efd));
	ASSERT_EQ(0, enum_fresh(self->c, self->efd, &a));
	EXPECT_EQ(WSP_FD_CONNECT | WSP_FD_WRITE, a.network_events);
	EXPECT_EQ(0, a.errors[WSP_FD_CONNECT_BIT]);
	EXPECT_EQ(0, a.errors[WSP_FD_WRITE_BIT]);
	EXPECT_EQ(-1, written_unreported_slot(&a));
	EXPECT_FALSE(wsp_eventfd_is_set(self->efd));
	EXPECT_EQ(0, reg_recorded(self->c));
}

/* The peer's FIN: FD_CLOSE with error 0, even with data unread, once. */
TEST_F(notify, fin_reports_close_with_unread_data)
{
	int err[WSP_FD_MAX_EVENTS], i, got, avail = -1;
	char buf[16];

	TCP_PAIR();
	ASSERT_EQ(0, wsp_event_select(self->s, self->efd,
				      WSP_FD_READ | WSP_FD_CLOSE));
	ASSERT_EQ(4, wsp_send(self->c, "data", 4, 0));
	close(self->c);
	self->c = -1;
	for (i = 0; i < WSP_FD_MAX_EVENTS; i++)
		err[i] = SENTINEL;
	got = collect(self->s, self->efd, WSP_FD_READ | WSP_FD_CLOSE, err);
	EXPECT_EQ(WSP_FD_READ | WSP_FD_CLOSE, got);
	EXPECT_EQ(0, err[WSP_FD_CLOSE_BIT]);
	EXPECT_EQ(0, err[WSP_FD_READ_BIT]);
	/* Nothing was read. */
	ASSERT_EQ(0, ioctl(self->s, FIONREAD, &avail));
	EXPECT_EQ(4, avail);

	/* Reading it all and the end of the stream reports nothing more. */
	ASSERT_EQ(4, wsp_recv(self->s, buf, sizeof(buf), 0));
	ASSERT_EQ(0, wsp_recv(self->s, buf, sizeof(buf), 0));
	EXPECT_FALSE(wsp_eventfd_is_set(self->efd));
	/* (FD_WRITE from the accept, not selected, stays recorded.) */
	EXPECT_EQ(0, reg_recorded(self->s) & (WSP_FD_READ | WSP_FD_CLOSE));
}

/*
 * FD_CLOSE has no re-enabling call: a receive leaves it held, and after a
 * new event-select (which re-arms it) nothing reports it again.
 */
TEST_F(notify, close_reported_once)
{
	struct wsp_enum_events_args a;
	char buf[8];
	int avail;

	TCP_PAIR();
	ASSERT_EQ(0, wsp_event_select(self->s, self->efd, WSP_FD_CLOSE));
	close(self->c);
	self->c = -1;
	ASSERT_TRUE(wsp_wait_readable(self->efd, WAIT_MS));
	ASSERT_EQ(0, enum_fresh(self->s, self->efd, &a));
	EXPECT_EQ(WSP_FD_CLOSE, a.network_events);

	ASSERT_EQ(0, wsp_recv(self->s, buf, sizeof(buf), 0));
	EXPECT_EQ(WSP_FD_CLOSE, reg_held(self->s) & WSP_FD_CLOSE);
	EXPECT_FALSE(wsp_eventfd_is_set(self->efd));

	/* Re-armed by a new registration; enumerated already: nothing. */
	ASSERT_EQ(0, wsp_event_select(self->s, self->efd2,
				      WSP_FD_CLOSE | WSP_FD_READ));
	EXPECT_FALSE(wsp_eventfd_is_set(self->efd2));
	ASSERT_EQ(0, wsp_recv(self->s, buf, sizeof(buf), 0));
	EXPECT_FALSE(wsp_eventfd_is_set(self->efd2));
	/* Data to the closed peer draws a reset: still no second FD_CLOSE. */
	ASSERT_EQ(1, wsp_send(self->s, "x", 1, 0));
	ASSERT_TRUE(poll1(self->s, POLLERR | POLLHUP, WAIT_MS) &
		    (POLLERR | POLLHUP));
	ioctl(self->s, FIONREAD, &avail);	/* barrier, see the top */
	EXPECT_FALSE(wsp_eventfd_is_set(self->efd2));
	EXPECT_EQ(0, reg_recorded(self->s) & WSP_FD_CLOSE);
}

/* On the connecting side too (its connection came from connect). */
TEST_F(notify, fin_reports_close_on_connecting_side)
{
	struct wsp_enum_events_args a;

	TCP_PAIR();
	ASSERT_EQ(0, wsp_event_select(self->c, self->efd, WSP_FD_CLOSE));
	EXPECT_FALSE(wsp_eventfd_is_set(self->efd));
	close(self->s);
	self->s = -1;
	ASSERT_TRUE(wsp_wait_readable(self->efd, WAIT_MS));
	ASSERT_EQ(0, enum_fresh(self->c, self->efd, &a));
	EXPECT_EQ(WSP_FD_CLOSE, a.network_events);
	EXPECT_EQ(0, a.errors[WSP_FD_CLOSE_BIT]);
	EXPECT_EQ(-1, written_unreported_slot(&a));
}

/*
 * The peer resets (linger {1, 0} and close): FD_CLOSE with ECONNRESET
 * (which libwsp reports as Windows does, WSAECONNABORTED).
 */
TEST_F(notify, reset_reports_close_connreset)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	struct wsp_enum_events_args a;

	TCP_PAIR();
	ASSERT_EQ(0, wsp_event_select(self->s, self->efd, WSP_FD_CLOSE));
	ASSERT_EQ(0, wsp_setsockopt(self->c, SOL_SOCKET, SO_LINGER, &lg,
				    sizeof(lg)));
	close(self->c);
	self->c = -1;
	ASSERT_TRUE(wsp_wait_readable(self->efd, WAIT_MS));
	ASSERT_EQ(0, enum_fresh(self->s, self->efd, &a));
	EXPECT_EQ(WSP_FD_CLOSE, a.network_events);
	EXPECT_EQ(ECONNRESET, a.errors[WSP_FD_CLOSE_BIT]);
	EXPECT_EQ(-1, written_unreported_slot(&a));
}

/* ------------------------------------------------------------------ */
/* Event-select and enumeration.                                      */
/* ------------------------------------------------------------------ */

/*
 * A new event-select re-signals nothing already enumerated, but signals
 * a new arrival although no receive happened in between.
 */
TEST_F(notify, event_select_resignals_nothing_consumed)
{
	struct wsp_enum_events_args a;

	TCP_PAIR();
	ASSERT_EQ(0, wsp_event_select(self->s, self->efd, WSP_FD_READ));
	ASSERT_EQ(3, wsp_send(self->c, "abc", 3, 0));
	ASSERT_TRUE(wsp_wait_readable(self->efd, WAIT_MS));
	ASSERT_EQ(0, enum_fresh(self->s, self->efd, &a));
	EXPECT_EQ(WSP_FD_READ, a.network_events);

	ASSERT_EQ(0, wsp_event_select(self->s, self->efd2, WSP_FD_READ));
	EXPECT_FALSE(wsp_eventfd_is_set(self->efd2));
	EXPECT_EQ(0, reg_held(self->s));

	ASSERT_EQ(3, wsp_send(self->c, "def", 3, 0));
	ASSERT_TRUE(wsp_wait_readable(self->efd2, WAIT_MS));
	ASSERT_EQ(0, enum_fresh(self->s, self->efd2, &a));
	EXPECT_EQ(WSP_FD_READ, a.network_events);
	EXPECT_FALSE(wsp_eventfd_is_set(self->efd));
}

/*
 * Enumeration returns and clears only the selected recorded events and
 * writes only their error slots; an unselected recorded event survives
 * and a later event-select that selects it reports it.
 */
TEST_F(notify, enum_clears_only_selected_events)
{
	struct wsp_enum_events_args a;
	struct wsp_registration r;

	TCP_PAIR();
	/* s has FD_WRITE recorded since its accept. */
	ASSERT_EQ(0, wsp_event_select(self->s, self->efd, WSP_FD_READ));
	EXPECT_FALSE(wsp_eventfd_is_set(self->efd));
	ASSERT_EQ(1, wsp_send(self->c, "x", 1, 0));
	ASSERT_TRUE(wsp_wait_readable(self->efd, WAIT_MS));
	ASSERT_EQ(0, enum_fresh(self->s, self->efd, &a));
	EXPECT_EQ(WSP_FD_READ, a.network_events);
	EXPECT_EQ(0, a.errors[WSP_FD_READ_BIT]);
	EXPECT_EQ(-1, written_unreported_slot(&a))
		TH_LOG("slot %d written", written_unreported_slot(&a));
	ASSERT_EQ(0, wsp_get_registration(self->s, &r));
	EXPECT_EQ(WSP_FD_WRITE, r.recorded);

	ASSERT_EQ(0, wsp_event_select(self->s, self->efd2,
				      WSP_FD_READ | WSP_FD_WRITE));
	EXPECT_TRUE(wsp_eventfd_is_set(self->efd2));
	ASSERT_EQ(0, enum_fresh(self->s, self->efd2, &a));
	EXPECT_EQ(WSP_FD_WRITE, a.network_events);
	EXPECT_EQ(0, a.errors[WSP_FD_WRITE_BIT]);
	EXPECT_EQ(-1, written_unreported_slot(&a));
	EXPECT_EQ(0, reg_recorded(self->s));
}

/* With no event-select active: no bits, record kept, eventfd reset. */
TEST_F(notify, enum_without_event_select)
{
	struct wsp_enum_events_args a;

	TCP_PAIR();
	ASSERT_EQ(0, eventfd_write(self->efd, 1));
	ASSERT_EQ(0, enum_fresh(self->s, self->efd, &a));
	EXPECT_EQ(0, a.network_events);
	EXPECT_EQ(-1, written_unreported_slot(&a));
	EXPECT_FALSE(wsp_eventfd_is_set(self->efd));
	EXPECT_EQ(WSP_FD_WRITE, reg_recorded(self->s));

	/* An async-select is no event-select. */
	ASSERT_EQ(0, wsp_async_select(self->s, self->win, MSG_A, WSP_FD_READ));
	ASSERT_EQ(0, enum_fresh(self->s, -1, &a));
	EXPECT_EQ(0, a.network_events);
	EXPECT_EQ(-1, written_unreported_slot(&a));
	EXPECT_EQ(WSP_FD_WRITE, reg_recorded(self->s));

	/* Nor is a cancelled one. */
	ASSERT_EQ(0, wsp_event_select(self->s, self->efd, WSP_FD_WRITE));
	ASSERT_EQ(0, wsp_event_select(self->s, self->efd, 0));
	ASSERT_EQ(0, enum_fresh(self->s, -1, &a));
	EXPECT_EQ(0, a.network_events);
	EXPECT_EQ(WSP_FD_WRITE, reg_recorded(self->s));
}

/* Enumeration resets the eventfd it is given, whichever; -1 resets none. */
TEST_F(notify, enum_resets_given_eventfd)
{
	struct wsp_enum_events_args a;

	TCP_PAIR();
	ASSERT_EQ(0, wsp_event_select(self->s, self->efd, WSP_FD_WRITE));
	ASSERT_TRUE(wsp_eventfd_is_set(self->efd));

	ASSERT_EQ(0, eventfd_write(self->efd2, 5));
	ASSERT_EQ(0, enum_fresh(self->s, self->efd2, &a));
	EXPECT_EQ(WSP_FD_WRITE, a.network_events);
	EXPECT_FALSE(wsp_eventfd_is_set(self->efd2));
	EXPECT_TRUE(wsp_eventfd_is_set(self->efd));

	ASSERT_EQ(0, enum_fresh(self->s, -1, &a));
	EXPECT_EQ(0, a.network_events);
	EXPECT_TRUE(wsp_eventfd_is_set(self->efd));
	ASSERT_EQ(0, enum_fresh(self->s, self->efd, &a));
	EXPECT_FALSE(wsp_eventfd_is_set(self->efd));
}

/* A semaphore-mode eventfd gives one per read: enumerating drains it. */
TEST_F(notify, enum_drains_semaphore_eventfd)
{
	struct wsp_enum_events_args a;
	int sem;

	TCP_PAIR();
	ASSERT_EQ(0, wsp_event_select(self->s, self->efd, WSP_FD_READ));
	sem = eventfd(0, EFD_SEMAPHORE | EFD_NONBLOCK | EFD_CLOEXEC);
	ASSERT_LE(0, sem);
	ASSERT_EQ(0, eventfd_write(sem, 3));
	EXPECT_EQ(0, enum_fresh(self->s, sem, &a));
	EXPECT_FALSE(wsp_eventfd_is_set(sem));
	close(sem);
}

/*
 * Selecting again with the same eventfd keeps the registration's own
 * reference: the eventfd is signalled after the caller closed its fd.
 */
TEST_F(notify, reselected_eventfd_outlives_its_fd)
{
	struct wsp_enum_events_args a;
	int kept;

	TCP_PAIR();
	ASSERT_EQ(0, wsp_event_select(self->s, self->efd, WSP_FD_READ));
	ASSERT_EQ(0, wsp_event_select(self->s, self->efd, WSP_FD_READ | WSP_FD_CLOSE));
	kept = dup(self->efd);
	ASSERT_LE(0, kept);
	close(self->efd);
	self->efd = -1;

	ASSERT_EQ(1, wsp_send(self->c, "a", 1, 0));
	EXPECT_TRUE(wsp_wait_readable(kept, WAIT_MS));
	EXPECT_EQ(0, enum_fresh(self->s, kept, &a));
	EXPECT_EQ(WSP_FD_READ, a.network_events);
	EXPECT_FALSE(wsp_eventfd_is_set(kept));
	close(kept);
}

/* ------------------------------------------------------------------ */
/* Async-select re-posts what is true now.                            */
/* ------------------------------------------------------------------ */

/* Data waiting, writable, peer closed: three messages, again each time. */
TEST_F(notify, async_select_reposts_true_conditions)
{
	const unsigned int mask = WSP_FD_READ | WSP_FD_WRITE | WSP_FD_OOB |
				  WSP_FD_ACCEPT | WSP_FD_CONNECT | WSP_FD_CLOSE;
	struct wsp_message m[8];
	int round, i, n;

	TCP_PAIR();
	ASSERT_EQ(4, wsp_send(self->c, "data", 4, 0));
	ASSERT_EQ(0, do_shutdown(self->c, SHUT_WR));
	ASSERT_TRUE(wait_peer_closed(self->s));
	ASSERT_EQ(4, wait_inq(self->s, 4));

	for (round = 0; round < 2; round++) {
		unsigned int seen = 0;

		ASSERT_EQ(0, wsp_async_select(self->s, self->win, MSG_A, mask));
		n = wsp_read_messages(self->win, m, 8);
		EXPECT_EQ(3, n) TH_LOG("round %d", round);
		for (i = 0; i < n; i++) {
			unsigned int ev = WSP_MSG_EVENT(&m[i]);

			EXPECT_EQ(0, seen & ev) TH_LOG("event %#x twice", ev);
			seen |= ev;
			EXPECT_MSG(&m[i], self->win, MSG_A, self->s, ev, 0);
		}
		EXPECT_EQ(WSP_FD_READ | WSP_FD_WRITE | WSP_FD_CLOSE, seen);
		EXPECT_EQ(seen, reg_held(self->s));
	}
}

/* After a reset, a new async-select re-posts FD_CLOSE with its error. */
TEST_F(notify, async_select_reposts_reset_with_error)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	struct wsp_message m[4];

	TCP_PAIR();
	ASSERT_EQ(0, wsp_event_select(self->s, self->efd, WSP_FD_CLOSE));
	ASSERT_EQ(0, wsp_setsockopt(self->c, SOL_SOCKET, SO_LINGER, &lg,
				    sizeof(lg)));
	close(self->c);
	self->c = -1;
	ASSERT_TRUE(wsp_wait_readable(self->efd, WAIT_MS));

	ASSERT_EQ(0, wsp_async_select(self->s, self->win, MSG_B,
				      WSP_FD_CLOSE | WSP_FD_CONNECT));
	ASSERT_EQ(1, wsp_read_messages(self->win, m, 4));
	EXPECT_MSG(&m[0], self->win, MSG_B, self->s, WSP_FD_CLOSE,
		   ECONNRESET);
}

/* A listener with a connection waiting: FD_ACCEPT only. */
TEST_F(notify, async_select_reposts_accept)
{
	struct wsp_message m[4];
	struct test_addr addr;

	LISTENER(addr);
	NEW_SOCK(self->c, SOCK_STREAM);
	ASSERT_EQ(0, wsp_connect(self->c, &addr));
	ASSERT_TRUE(wait_accept_queue(self->l, 1));
	ASSERT_EQ(0, wsp_async_select(self->l, self->win, MSG_A,
				      WSP_FD_ALL_EVENTS));
	ASSERT_EQ(1, wsp_read_messages(self->win, m, 4));
	EXPECT_MSG(&m[0], self->win, MSG_A, self->l, WSP_FD_ACCEPT, 0);
}

/* Any writable UDP socket gets FD_WRITE; a datagram waiting FD_READ. */
TEST_F(notify, async_select_reposts_udp)
{
	struct wsp_message m[4];
	struct test_addr a1, a2;
	unsigned int seen = 0;
	int n, i;

	UDP_BOUND(self->u1, a1);
	UDP_BOUND(self->u2, a2);
	ASSERT_EQ(0, wsp_async_select(self->u1, self->win, MSG_A,
				      WSP_FD_READ | WSP_FD_WRITE));
	ASSERT_EQ(1, wsp_read_messages(self->win, m, 4));
	EXPECT_MSG(&m[0], self->win, MSG_A, self->u1, WSP_FD_WRITE, 0);

	ASSERT_EQ(0, wsp_connect(self->u2, &a1));
	ASSERT_EQ(2, wsp_send(self->u2, "dg", 2, 0));
	ASSERT_EQ(1, get_msgs(self->win, m, 1));
	EXPECT_MSG(&m[0], self->win, MSG_A, self->u1, WSP_FD_READ, 0);

	ASSERT_EQ(0, wsp_async_select(self->u1, self->win, MSG_A,
				      WSP_FD_READ | WSP_FD_WRITE));
	n = wsp_read_messages(self->win, m, 4);
	EXPECT_EQ(2, n);
	for (i = 0; i < n; i++) {
		seen |= WSP_MSG_EVENT(&m[i]);
		EXPECT_EQ(0, WSP_MSG_ERROR(&m[i]));
	}
	EXPECT_EQ(WSP_FD_READ | WSP_FD_WRITE, seen);
}

/* A TCP socket that is not connected has nothing true to post. */
TEST_F(notify, async_select_unconnected_posts_nothing)
{
	NEW_SOCK(self->c, SOCK_STREAM);
	ASSERT_EQ(0, wsp_async_select(self->c, self->win, MSG_A,
				      WSP_FD_ALL_EVENTS));
	EXPECT_EQ(0, posted(self->win));
}

/* ------------------------------------------------------------------ */
/* The registration is socket state.                                  */
/* ------------------------------------------------------------------ */

/* Closing the registering descriptor, not the last, changes nothing. */
TEST_F(notify, event_registration_survives_nonlast_close)
{
	struct wsp_enum_events_args a;
	struct wsp_registration r;
	int s2;

	TCP_PAIR();
	s2 = dup_self(self->dev, self->s);
	ASSERT_LE(0, s2);
	ASSERT_EQ(0, wsp_event_select(s2, self->efd, WSP_FD_READ));
	close(s2);
	ASSERT_EQ(0, wsp_get_registration(self->s, &r));
	EXPECT_EQ(WSP_REG_EVENT, r.kind);
	EXPECT_EQ(WSP_FD_READ, r.mask);
	EXPECT_EQ((__u64)s2, r.descriptor);
	EXPECT_EQ(1, nonblocking(self->s));
	EXPECT_EQ(-EINVAL, wsp_set_nonblock(self->s, 0));

	ASSERT_EQ(1, wsp_send(self->c, "x", 1, 0));
	ASSERT_TRUE(wsp_wait_readable(self->efd, WAIT_MS));
	ASSERT_EQ(0, enum_fresh(self->s, self->efd, &a));
	EXPECT_EQ(WSP_FD_READ, a.network_events);
}

TEST_F(notify, async_registration_survives_nonlast_close)
{
	struct wsp_message m[2];
	int s2;

	TCP_PAIR();
	s2 = dup_self(self->dev, self->s);
	ASSERT_LE(0, s2);
	ASSERT_EQ(0, wsp_async_select(s2, self->win, MSG_A, WSP_FD_READ));
	close(s2);
	EXPECT_EQ(WSP_REG_ASYNC, reg_kind(self->s));

	ASSERT_EQ(1, wsp_send(self->c, "x", 1, 0));
	ASSERT_EQ(1, get_msgs(self->win, m, 1));
	EXPECT_MSG(&m[0], self->win, MSG_A, s2, WSP_FD_READ, 0);
}

/*
 * dup(2) of a descriptor is one more descriptor of the same socket: a
 * registration made through it is the socket's, its O_NONBLOCK is every
 * descriptor's, and it outlives the dup's close.
 */
TEST_F(notify, registration_through_dup2_is_the_sockets)
{
	struct wsp_registration r;
	struct wsp_message m[2];
	int d;

	TCP_PAIR();
	d = dup(self->s);
	ASSERT_LE(0, d);
	EXPECT_EQ(wsp_socket_id(self->s), wsp_socket_id(d));
	ASSERT_EQ(0, wsp_async_select(d, self->win, MSG_A, WSP_FD_READ));
	EXPECT_EQ(1, nonblocking(self->s));
	EXPECT_EQ(-EINVAL, wsp_set_nonblock(self->s, 0));
	ASSERT_EQ(0, wsp_get_registration(self->s, &r));
	EXPECT_EQ(WSP_REG_ASYNC, r.kind);
	EXPECT_EQ((__u64)d, r.descriptor);
	close(d);

	EXPECT_EQ(WSP_REG_ASYNC, reg_kind(self->s));
	EXPECT_EQ(1, nonblocking(self->s));
	ASSERT_EQ(1, wsp_send(self->c, "x", 1, 0));
	ASSERT_EQ(1, get_msgs(self->win, m, 1));
	EXPECT_MSG(&m[0], self->win, MSG_A, d, WSP_FD_READ, 0);
}

/* A local shutdown generates nothing and keeps the registration. */
TEST_F(notify, local_shutdown_keeps_registration)
{
	const unsigned int mask = WSP_FD_READ | WSP_FD_WRITE | WSP_FD_OOB |
				  WSP_FD_CLOSE;
	struct wsp_enum_events_args a;
	struct wsp_registration r;

	TCP_PAIR();
	ASSERT_EQ(0, wsp_event_select(self->s, self->efd, mask));
	ASSERT_EQ(0, enum_fresh(self->s, self->efd, &a));
	EXPECT_EQ(WSP_FD_WRITE, a.network_events);	/* from the accept */
	/* Register again: nothing held, nothing recorded. */
	ASSERT_EQ(0, wsp_event_select(self->s, self->efd, mask));
	EXPECT_FALSE(wsp_eventfd_is_set(self->efd));

	ASSERT_EQ(0, do_shutdown(self->s, SHUT_WR));
	/* The FIN reached the peer. */
	ASSERT_TRUE(wait_peer_closed(self->c));
	ASSERT_EQ(0, wsp_get_registration(self->s, &r));
	EXPECT_EQ(WSP_REG_EVENT, r.kind);
	EXPECT_EQ(mask, r.mask);
	EXPECT_EQ(0, r.recorded);
	EXPECT_FALSE(wsp_eventfd_is_set(self->efd));

	/* Still registered: data is reported, and only that. */
	ASSERT_EQ(1, wsp_send(self->c, "x", 1, 0));
	ASSERT_TRUE(wsp_wait_readable(self->efd, WAIT_MS));
	ASSERT_EQ(1, wait_inq(self->s, 1));
	ASSERT_EQ(0, enum_fresh(self->s, self->efd, &a));
	EXPECT_EQ(WSP_FD_READ, a.network_events);
}

/* ------------------------------------------------------------------ */
/* Accepted sockets inherit the listener's registration.              */
/* ------------------------------------------------------------------ */

TEST_F(notify, accept_inherits_event_select)
{
	const unsigned int mask = WSP_FD_ACCEPT | WSP_FD_READ | WSP_FD_WRITE;
	struct wsp_enum_events_args a;
	struct wsp_registration r;
	struct test_addr addr;

	LISTENER(addr);
	ASSERT_EQ(0, wsp_event_select(self->l, self->efd, mask));
	NEW_SOCK(self->c, SOCK_STREAM);
	ASSERT_EQ(0, wsp_connect(self->c, &addr));
	ASSERT_TRUE(wsp_wait_readable(self->efd, WAIT_MS));
	ASSERT_EQ(0, enum_fresh(self->l, self->efd, &a));
	EXPECT_EQ(WSP_FD_ACCEPT, a.network_events);

	self->s = wsp_accept(self->l, NULL);
	ASSERT_LE(0, self->s);
	ASSERT_EQ(0, wsp_get_registration(self->s, &r));
	EXPECT_EQ(WSP_REG_EVENT, r.kind);
	EXPECT_EQ(mask, r.mask);
	/* accept(2) chose the number: the kernel cannot know it. */
	EXPECT_EQ(WSP_DESCRIPTOR_UNKNOWN, r.descriptor);
	EXPECT_EQ(getpid(), r.pid);
	EXPECT_EQ(1, nonblocking(self->s));
	EXPECT_EQ(-EINVAL, wsp_set_nonblock(self->s, 0));

	/* FD_WRITE at accept, on the same eventfd. */
	EXPECT_TRUE(wsp_eventfd_is_set(self->efd));
	ASSERT_EQ(0, enum_fresh(self->s, self->efd, &a));
	EXPECT_EQ(WSP_FD_WRITE, a.network_events);
	EXPECT_EQ(0, a.errors[WSP_FD_WRITE_BIT]);
	EXPECT_EQ(-1, written_unreported_slot(&a));

	ASSERT_EQ(1, wsp_send(self->c, "x", 1, 0));
	ASSERT_TRUE(wsp_wait_readable(self->efd, WAIT_MS));
	ASSERT_EQ(0, enum_fresh(self->s, self->efd, &a));
	EXPECT_EQ(WSP_FD_READ, a.network_events);
	ASSERT_EQ(0, enum_fresh(self->l, -1, &a));
	EXPECT_EQ(0, a.network_events);
}

/* Data that came before the accept: the inherited eventfd has it at once. */
TEST_F(notify, accept_inherited_event_select_reports_waiting_data)
{
	struct wsp_enum_events_args a;
	struct test_addr addr;

	LISTENER(addr);
	ASSERT_EQ(0, wsp_event_select(self->l, self->efd,
				      WSP_FD_READ | WSP_FD_WRITE));
	NEW_SOCK(self->c, SOCK_STREAM);
	ASSERT_EQ(0, wsp_connect(self->c, &addr));
	ASSERT_EQ(4, wsp_send(self->c, "data", 4, 0));
	ASSERT_TRUE(wait_accept_queue(self->l, 1));
	EXPECT_FALSE(wsp_eventfd_is_set(self->efd));

	self->s = wsp_accept(self->l, NULL);
	ASSERT_LE(0, self->s);
	ASSERT_EQ(4, wait_inq(self->s, 4));
	EXPECT_TRUE(wsp_eventfd_is_set(self->efd));
	ASSERT_EQ(0, enum_fresh(self->s, self->efd, &a));
	EXPECT_EQ(WSP_FD_READ | WSP_FD_WRITE, a.network_events);
	EXPECT_EQ(0, a.errors[WSP_FD_READ_BIT]);
	EXPECT_EQ(0, a.errors[WSP_FD_WRITE_BIT]);
	EXPECT_EQ(-1, written_unreported_slot(&a));
	EXPECT_FALSE(wsp_eventfd_is_set(self->efd));
}

/*
 * An accepted socket inherits the async-select, with the descriptor
 * unknown; once an async-select through its own descriptor names it (as
 * libwsp's WSPAccept does), its messages carry that descriptor.
 */
TEST_F(notify, accept_inherits_async_select)
{
	const unsigned int mask = WSP_FD_ACCEPT | WSP_FD_READ | WSP_FD_WRITE;
	struct wsp_registration r;
	struct test_addr addr;
	struct wsp_message m[4];

	LISTENER(addr);
	ASSERT_EQ(0, wsp_async_select(self->l, self->win, MSG_B, mask));
	EXPECT_EQ(0, queued(self->win));
	NEW_SOCK(self->c, SOCK_STREAM);
	ASSERT_EQ(0, wsp_connect(self->c, &addr));
	ASSERT_EQ(1, get_msgs(self->win, m, 1));
	EXPECT_MSG(&m[0], self->win, MSG_B, self->l, WSP_FD_ACCEPT, 0);

	self->s = wsp_accept(self->l, NULL);
	ASSERT_LE(0, self->s);
	ASSERT_EQ(0, wsp_get_registration(self->s, &r));
	EXPECT_EQ(WSP_REG_ASYNC, r.kind);
	EXPECT_EQ(mask, r.mask);
	EXPECT_EQ(MSG_B, r.message);
	EXPECT_EQ((__u64)self->win, r.hwnd);
	EXPECT_EQ(WSP_DESCRIPTOR_UNKNOWN, r.descriptor);
	EXPECT_EQ(getpid(), r.pid);
	EXPECT_EQ(1, nonblocking(self->s));
	EXPECT_EQ(-EINVAL, wsp_set_nonblock(self->s, 0));

	/* WSPAccept's async-select: the window and message it inherited. */
	ASSERT_EQ(0, wsp_async_select(self->s, self->win, MSG_B, mask));
	ASSERT_EQ(1, wsp_read_messages(self->win, m, 4));
	EXPECT_MSG(&m[0], self->win, MSG_B, self->s, WSP_FD_WRITE, 0);
	ASSERT_EQ(0, wsp_get_registration(self->s, &r));
	EXPECT_EQ((__u64)self->s, r.descriptor);

	ASSERT_EQ(1, wsp_send(self->c, "x", 1, 0));
	ASSERT_EQ(1, get_msgs(self->win, m, 1));
	EXPECT_MSG(&m[0], self->win, MSG_B, self->s, WSP_FD_READ, 0);
	EXPECT_EQ(0, queued(self->win));
}

/*
 * Until then the inherited async-select posts nothing, neither what was
 * true at the accept nor what happens after it; the events are recorded.
 */
TEST_F(notify, accept_inherited_async_posts_nothing_before_async_select)
{
	const unsigned int mask = WSP_FD_ACCEPT | WSP_FD_READ | WSP_FD_WRITE |
				  WSP_FD_CLOSE;
	struct wsp_registration r;
	struct test_addr addr;
	struct wsp_message m[4];

	LISTENER(addr);
	ASSERT_EQ(0, wsp_async_select(self->l, self->win, MSG_A, mask));
	NEW_SOCK(self->c, SOCK_STREAM);
	ASSERT_EQ(0, wsp_connect(self->c, &addr));
	ASSERT_EQ(1, get_msgs(self->win, m, 1));
	EXPECT_MSG(&m[0], self->win, MSG_A, self->l, WSP_FD_ACCEPT, 0);

	/* Writable at the accept (which is synchronous): nothing posted. */
	self->s = wsp_accept(self->l, NULL);
	ASSERT_LE(0, self->s);
	EXPECT_EQ(0, queued(self->win));
	EXPECT_EQ(1, posted(self->win));

	/* Data arriving, then the peer's FIN: recorded, not posted. */
	ASSERT_EQ(2, wsp_send(self->c, "ab", 2, 0));
	ASSERT_EQ(2, wait_inq(self->s, 2));
	ASSERT_EQ(0, do_shutdown(self->c, SHUT_WR));
	ASSERT_TRUE(wait_peer_closed(self->s));
	EXPECT_EQ(1, posted(self->win));
	ASSERT_EQ(0, wsp_get_registration(self->s, &r));
	EXPECT_EQ(WSP_REG_ASYNC, r.kind);
	EXPECT_EQ(WSP_DESCRIPTOR_UNKNOWN, r.descriptor);
	EXPECT_EQ(WSP_FD_READ | WSP_FD_WRITE | WSP_FD_CLOSE,
		  r.recorded & (WSP_FD_READ | WSP_FD_WRITE | WSP_FD_CLOSE));
	/* Nothing was reported, so nothing waits for re-enabling. */
	EXPECT_EQ(0, r.held);
	/* A receive re-enables FD_READ: still nothing posted. */
	ASSERT_EQ(1, wsp_recv(self->s, m, 1, 0));
	EXPECT_EQ(1, posted(self->win));
}

/*
 * The async-select through the new descriptor posts every selected
 * condition true then, with that descriptor: FD_WRITE, and FD_READ for
 * data that waits.
 */
TEST_F(notify, accept_inherited_async_select_posts_true_conditions)
{
	const unsigned int mask = WSP_FD_ACCEPT | WSP_FD_READ | WSP_FD_WRITE;
	struct wsp_message m[8];
	struct test_addr addr;
	unsigned int seen = 0;
	int n, i;

	LISTENER(addr);
	ASSERT_EQ(0, wsp_async_select(self->l, self->win, MSG_A, mask));
	NEW_SOCK(self->c, SOCK_STREAM);
	ASSERT_EQ(0, wsp_connect(self->c, &addr));
	ASSERT_EQ(3, wsp_send(self->c, "abc", 3, 0));
	ASSERT_EQ(1, get_msgs(self->win, m, 1));
	EXPECT_MSG(&m[0], self->win, MSG_A, self->l, WSP_FD_ACCEPT, 0);
	self->s = wsp_accept(self->l, NULL);
	ASSERT_LE(0, self->s);
	ASSERT_EQ(3, wait_inq(self->s, 3));
	EXPECT_EQ(0, queued(self->win));

	/* Another window and message: the new call decides, as any does. */
	ASSERT_EQ(0, wsp_async_select(self->s, self->win2, MSG_B, mask));
	n = wsp_read_messages(self->win2, m, 8);
	EXPECT_EQ(2, n);
	for (i = 0; i < n; i++) {
		unsigned int ev = WSP_MSG_EVENT(&m[i]);

		EXPECT_EQ(0, seen & ev) TH_LOG("event %#x twice", ev);
		seen |= ev;
		EXPECT_MSG(&m[i], self->win2, MSG_B, self->s, ev, 0);
	}
	EXPECT_EQ(WSP_FD_READ | WSP_FD_WRITE, seen);
	EXPECT_EQ(0, queued(self->win));
	EXPECT_EQ(1, posted(self->win));
}

/* ------------------------------------------------------------------ */
/* Bad input: exact errno, nothing changes.                           */
/* ------------------------------------------------------------------ */

/* The bad event-select calls; each must fail and leave all as it was. */
/*
 * What an event-select and an async-select check of their arguments
 * alike: @cmd with @a on @fd fails with EINVAL for an unknown bit in
 * @flags (WSP_SELECT_NOTIFY_DISPLACED is the one known) or in @mask, with
 * EBADF for a closed or negative @target fd,
 * with EINVAL for each of the @nwrong files of the wrong kind in @wrong,
 * and with EFAULT for no argument at all.
 */
static void bad_select_args(struct __test_metadata *_metadata, int fd,
			    unsigned long cmd, void *a, __u32 *flags,
			    __u32 *mask, __s32 *target, const int *wrong,
			    int nwrong)
{
	int i;

	*flags = WSP_SELECT_NOTIFY_DISPLACED << 1;
	EXPECT_EQ(-EINVAL, wsp_ioctl(fd, cmd, a));
	*flags = 0x80000000u;
	EXPECT_EQ(-EINVAL, wsp_ioctl(fd, cmd, a));
	*flags = 0;
	*mask = WSP_FD_CLOSE | 0x400;
	EXPECT_EQ(-EINVAL, wsp_ioctl(fd, cmd, a));
	*mask = WSP_FD_CLOSE;

	*target = closed_fd();
	EXPECT_EQ(-EBADF, wsp_ioctl(fd, cmd, a));
	*target = -1;
	EXPECT_EQ(-EBADF, wsp_ioctl(fd, cmd, a));
	for (i = 0; i < nwrong; i++) {
		*target = wrong[i];
		EXPECT_EQ(-EINVAL, wsp_ioctl(fd, cmd, a))
			TH_LOG("fd %d of the wrong kind", wrong[i]);
	}
	EXPECT_EQ(-EFAULT, wsp_ioctl(fd, cmd, NULL));
}

static void bad_event_selects(struct __test_metadata *_metadata, int fd,
			      int efd, int win, int other_desc, int pipe_fd)
{
	const int wrong[] = { pipe_fd, win, other_desc };
	struct wsp_event_select_args a = {
		.eventfd = efd, .mask = WSP_FD_CLOSE, .descriptor = fd,
	};

	a.__reserved = 1;
	EXPECT_EQ(-EINVAL, wsp_ioctl(fd, WSP_IOC_EVENT_SELECT, &a));
	a.__reserved = 0;
	bad_select_args(_metadata, fd, WSP_IOC_EVENT_SELECT, &a, &a.flags,
			&a.mask, &a.eventfd, wrong, ARRAY_SIZE(wrong));
}

TEST_F(notify, event_select_bad_args)
{
	struct wsp_registration r;
	int p[2];

	TCP_PAIR();
	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	self->x[0] = p[0];
	self->x[1] = p[1];

	/* No registration: none made, the socket stays blocking. */
	bad_event_selects(_metadata, self->s, self->efd, self->win, self->c,
			  p[0]);
	EXPECT_EQ(WSP_REG_NONE, reg_kind(self->s));
	EXPECT_EQ(0, nonblocking(self->s));

	/* An async-select in place stays, and still works. */
	ASSERT_EQ(0, wsp_async_select(self->s, self->win, MSG_A, WSP_FD_READ));
	bad_event_selects(_metadata, self->s, self->efd, self->win, self->c,
			  p[0]);
	ASSERT_EQ(0, wsp_get_registration(self->s, &r));
	EXPECT_EQ(WSP_REG_ASYNC, r.kind);
	EXPECT_EQ(WSP_FD_READ, r.mask);
	EXPECT_EQ((__u64)self->win, r.hwnd);
	close(self->c);		/* FD_CLOSE would reach efd if registered */
	self->c = -1;
	ASSERT_TRUE(wait_recorded(self->s, WSP_FD_CLOSE));
	EXPECT_FALSE(wsp_eventfd_is_set(self->efd));
}

static void bad_async_selects(struct __test_metadata *_metadata, int fd,
			      int efd, int win, int other_desc, int pipe_fd)
{
	const int wrong[] = { efd, pipe_fd, other_desc };
	struct wsp_async_select_args a = {
		.window = win, .message = MSG_B, .mask = WSP_FD_CLOSE,
		.descriptor = fd,
	};

	bad_select_args(_metadata, fd, WSP_IOC_ASYNC_SELECT, &a, &a.flags,
			&a.mask, &a.window, wrong, ARRAY_SIZE(wrong));
}

TEST_F(notify, async_select_bad_args)
{
	struct wsp_registration r;
	int p[2];

	TCP_PAIR();
	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	self->x[0] = p[0];
	self->x[1] = p[1];

	bad_async_selects(_metadata, self->s, self->efd, self->win2, self->c,
			  p[0]);
	EXPECT_EQ(WSP_REG_NONE, reg_kind(self->s));
	EXPECT_EQ(0, nonblocking(self->s));

	/* An event-select in place stays, and still works. */
	ASSERT_EQ(0, wsp_event_select(self->s, self->efd, WSP_FD_READ));
	bad_async_selects(_metadata, self->s, self->efd, self->win2, self->c,
			  p[0]);
	ASSERT_EQ(0, wsp_get_registration(self->s, &r));
	EXPECT_EQ(WSP_REG_EVENT, r.kind);
	EXPECT_EQ(WSP_FD_READ, r.mask);
	close(self->c);		/* FD_CLOSE would reach win2 if registered */
	self->c = -1;
	ASSERT_TRUE(wait_recorded(self->s, WSP_FD_CLOSE));
	EXPECT_EQ(0, posted(self->win2));
}

/* Bad enumerations fail and clear nothing. */
TEST_F(notify, enum_bad_args)
{
	struct wsp_enum_events_args a;
	int p[2];

	TCP_PAIR();
	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	self->x[0] = p[0];
	self->x[1] = p[1];
	ASSERT_EQ(0, wsp_event_select(self->s, self->efd, WSP_FD_WRITE));
	ASSERT_TRUE(wsp_eventfd_is_set(self->efd));

	memset(&a, 0, sizeof(a));
	a.flags = 1;
	a.eventfd = self->efd;
	EXPECT_EQ(-EINVAL, wsp_ioctl(self->s, WSP_IOC_ENUM_EVENTS, &a));
	EXPECT_EQ(-EBADF, wsp_enum(self->s, closed_fd(), &a));
	EXPECT_EQ(-EBADF, wsp_enum(self->s, -2, &a));
	EXPECT_EQ(-EINVAL, wsp_enum(self->s, p[0], &a));
	EXPECT_EQ(-EINVAL, wsp_enum(self->s, self->win, &a));
	EXPECT_EQ(-EINVAL, wsp_enum(self->s, self->c, &a));
	EXPECT_EQ(-EFAULT, wsp_ioctl(self->s, WSP_IOC_ENUM_EVENTS, NULL));

	/* Nothing was cleared or reset. */
	EXPECT_TRUE(wsp_eventfd_is_set(self->efd));
	EXPECT_EQ(WSP_FD_WRITE, reg_recorded(self->s));
	ASSERT_EQ(0, enum_fresh(self->s, self->efd, &a));
	EXPECT_EQ(WSP_FD_WRITE, a.network_events);
}

TEST_F(notify, get_registration_bad_args)
{
	struct wsp_registration r;

	NEW_SOCK(self->c, SOCK_STREAM);
	memset(&r, 0, sizeof(r));
	r.flags = 1;
	EXPECT_EQ(-EINVAL, wsp_ioctl(self->c, WSP_IOC_GET_REGISTRATION, &r));
	r.flags = 0x80000000u;
	EXPECT_EQ(-EINVAL, wsp_ioctl(self->c, WSP_IOC_GET_REGISTRATION, &r));
	r.flags = 0;
	r.__reserved = 1;
	EXPECT_EQ(-EINVAL, wsp_ioctl(self->c, WSP_IOC_GET_REGISTRATION, &r));
	r.__reserved = 0;
	EXPECT_EQ(0, wsp_ioctl(self->c, WSP_IOC_GET_REGISTRATION, &r));
	EXPECT_EQ(-EFAULT, wsp_ioctl(self->c, WSP_IOC_GET_REGISTRATION, NULL));
}

/* The registrations counter follows registrations, whoever makes them. */
TEST_F(notify, registrations_counted)
{
	struct wsp_counters before, c;
	int l, cl, sv, w, efd;

	ASSERT_EQ(0, wsp_read_counters(&before));
	ASSERT_EQ(0, wsp_tcp_pair(self->dev, AF_INET, &l, &cl, &sv));
	w = wsp_window(self->dev, WSP_WINDOW_NONBLOCK, 0);
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_LE(0, w);
	ASSERT_LE(0, efd);

	ASSERT_EQ(0, wsp_event_select(cl, efd, WSP_FD_READ));
	ASSERT_EQ(0, wsp_read_counters(&c));
	EXPECT_EQ(before.registrations + 1, c.registrations);
	ASSERT_EQ(0, wsp_async_select(cl, w, 1, WSP_FD_READ));	/* replaces */
	ASSERT_EQ(0, wsp_event_select(sv, efd, WSP_FD_READ));
	ASSERT_EQ(0, wsp_read_counters(&c));
	EXPECT_EQ(before.registrations + 2, c.registrations);
	ASSERT_EQ(0, wsp_async_select(cl, w, 1, 0));		/* cancels */
	ASSERT_EQ(0, wsp_read_counters(&c));
	EXPECT_EQ(before.registrations + 1, c.registrations);

	close(sv);						/* last close */
	close(cl);
	close(l);
	close(w);
	close(efd);
	ASSERT_EQ(0, wsp_read_counters(&c));
	EXPECT_EQ(before.registrations, c.registrations);
	EXPECT_EQ(before.windows, c.windows);
}

TEST_HARNESS_MAIN

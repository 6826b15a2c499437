// SPDX-License-Identifier: GPL-2.0
/*
 * window_test - windows, the message queues WSPAsyncSelect posts to:
 * creating them (WSP_IOC_WINDOW), their counters (WSP_IOC_WINDOW_INFO),
 * reading and polling them, the messages async-select posts, the bound
 * on the queue, and their lifetime against the registrations naming them.
 * Every bad input gets its exact errno (uapi/linux/wspshare.h).
 *
 * Which events a registration reports, and when, is notify_test's
 * business; here events are only the way to post messages.
 */
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "wsp_notify.h"

/* How long a test waits for a condition that should come at once. */
#define WAIT_MS 5000

/* A kernel address: never a valid user pointer. */
#define KERNEL_PTR ((void *)0xffffffff81000000ul)

#define MSG_SIZE ((ssize_t)sizeof(struct wsp_message))

/* read() returning its value, or -errno. */
static ssize_t xread(int fd, void *buf, size_t len)
{
	ssize_t n = read(fd, buf, len);

	return n < 0 ? -errno : n;
}

static long window_count(void)
{
	struct wsp_counters c;

	return wsp_read_counters(&c) ? -1 : c.windows;
}

/* The messages' events, OR-ed. */
static unsigned int events_of(const struct wsp_message *m, int n)
{
	unsigned int ev = 0;
	int i;

	for (i = 0; i < n; i++)
		ev |= WSP_MSG_EVENT(&m[i]);
	return ev;
}

static void ignore_signal(int sig)
{
}

/* A handler without SA_RESTART: a blocked read returns EINTR. */
static void interrupt_in(int ms)
{
	struct sigaction sa = { .sa_handler = ignore_signal };
	struct itimerval it = {
		.it_value = { .tv_sec = ms / 1000, .tv_usec = ms % 1000 * 1000 },
	};

	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
}

FIXTURE(win) {
	int dev;
	int l, c, s;	/* a TCP listener, client and accepted server */
	int u;		/* a UDP socket whose message fills a window */
	int w, w2;	/* windows */
	int efd;	/* an eventfd */
	struct wsp_counters start;
};

FIXTURE_SETUP(win)
{
	self->l = self->c = self->s = self->w = self->w2 = self->efd = -1;
	self->u = -1;
	WSP_SETUP_DEVICE(self->dev);
	ASSERT_EQ(0, wsp_read_counters(&self->start));
	ASSERT_LE(0, self->start.windows) TH_LOG("no \"windows\" counter");
}

FIXTURE_TEARDOWN(win)
{
	int *fds[] = { &self->efd, &self->u, &self->w2, &self->w, &self->s,
		       &self->c, &self->l, &self->dev };
	int i;

	for (i = 0; i < (int)(sizeof(fds) / sizeof(fds[0])); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

/* A connected TCP pair in self->l, self->c and self->s. */
#define TCP_PAIR() ASSERT_EQ(0, wsp_tcp_pair(self->dev, AF_INET, \
					     &self->l, &self->c, &self->s))

/* A new window into @fd. */
#define WINDOW(fd, flags, limit) do {					\
	(fd) = wsp_window(self->dev, (flags), (limit));			\
	ASSERT_LE(0, (fd));						\
} while (0)

/* @n bytes from the client, waiting until the server has them. */
#define DATA_TO_SERVER(n) do {						\
	static const char __d[64];					\
	ASSERT_EQ((n), wsp_send(self->c, __d, (n), 0));			\
	ASSERT_TRUE(wsp_wait_readable(self->s, WAIT_MS));		\
} while (0)

/* A message's event, and its error (an errno value, or 0). */
#define EXPECT_EVENT(m, ev, err) do {					\
	EXPECT_EQ((__u32)(ev), WSP_MSG_EVENT(m));			\
	EXPECT_EQ((__s32)(err), WSP_MSG_ERROR(m));			\
} while (0)

/* The window's counters must be exactly these. */
#define EXPECT_INFO(w, lim, q, p, d) do {				\
	struct wsp_window_info __i;					\
	ASSERT_EQ(0, wsp_window_info((w), &__i));			\
	EXPECT_EQ((lim), __i.limit);					\
	EXPECT_EQ((q), __i.queued);					\
	EXPECT_EQ((p), __i.posted);					\
	EXPECT_EQ((d), __i.dropped);					\
} while (0)

/*
 * Window @w, of limit 1 and empty, made full by another socket's message:
 * a UDP socket in self->u, registered for FD_WRITE with message 99.
 */
#define FILL_WINDOW(w) do {						\
	self->u = wsp_socket(self->dev, AF_INET, SOCK_DGRAM, 0,	\
			     WSP_FD_CLOEXEC);				\
	ASSERT_LE(0, self->u);						\
	ASSERT_EQ(0, wsp_async_select(self->u, (w), 99, WSP_FD_WRITE));	\
	EXPECT_INFO((w), 1, 1, 1, 0);					\
} while (0)

/* Read the one message of window @w: the filler. */
#define READ_FILLER(w) do {						\
	struct wsp_message __f;						\
	ASSERT_EQ(MSG_SIZE, xread((w), &__f, MSG_SIZE));		\
	EXPECT_EQ(99, __f.message);					\
	EXPECT_EQ((uint64_t)self->u, __f.wparam);			\
} while (0)

/* WSP_IOC_WINDOW must fail with @err; a window made by mistake is closed. */
#define EXPECT_WINDOW_ERR(err, fl, lim) do {				\
	int __fd = wsp_window(self->dev, (fl), (lim));			\
	EXPECT_EQ(-(err), __fd) TH_LOG("flags %#x limit %u",		\
				      (unsigned int)(fl), (unsigned int)(lim)); \
	if (__fd >= 0)							\
		close(__fd);						\
} while (0)

/* ------------------------------------------------------------------ */
/* Creating windows: WSP_IOC_WINDOW on /dev/wspshare.                 */
/* ------------------------------------------------------------------ */

/* Limit 0 is Windows' default, 10000; a new window has counted nothing. */
TEST_F(win, create_default_limit)
{
	struct wsp_window_info info;

	WINDOW(self->w, 0, 0);
	EXPECT_LT(2, self->w);
	ASSERT_EQ(0, wsp_window_info(self->w, &info));
	EXPECT_EQ(0, info.flags);
	EXPECT_EQ(WSP_WINDOW_DEFAULT_LIMIT, info.limit);
	EXPECT_EQ(10000, info.limit);
	EXPECT_EQ(0, info.queued);
	EXPECT_EQ(0, info.__reserved);
	EXPECT_EQ(0, info.posted);
	EXPECT_EQ(0, info.dropped);
}

/* Limits 1 to 65536 are taken as given; above, EINVAL and no window. */
TEST_F(win, create_limit_range)
{
	static const unsigned int ok[] = { 1, 2, 9999, 10001, 65535, 65536 };
	struct wsp_window_info info;
	int i, fd;

	for (i = 0; i < (int)(sizeof(ok) / sizeof(ok[0])); i++) {
		fd = wsp_window(self->dev, WSP_FD_CLOEXEC, ok[i]);
		ASSERT_LE(0, fd) TH_LOG("limit %u", ok[i]);
		ASSERT_EQ(0, wsp_window_info(fd, &info));
		EXPECT_EQ(ok[i], info.limit);
		EXPECT_EQ(0, info.queued);
		close(fd);
	}
	EXPECT_WINDOW_ERR(EINVAL, 0, WSP_WINDOW_MAX_LIMIT + 1);
	EXPECT_WINDOW_ERR(EINVAL, 0, 100000);
	EXPECT_WINDOW_ERR(EINVAL, 0, UINT_MAX);
	EXPECT_WINDOW_ERR(EINVAL, WSP_FD_CLOEXEC, 1U << 31);
	EXPECT_EQ(self->start.windows, window_count());
}

TEST_F(win, create_unknown_flags_einval)
{
	unsigned int bit;

	for (bit = 0; bit < 32; bit++) {
		unsigned int fl = 1U << bit;

		if (fl & (WSP_FD_CLOEXEC | WSP_WINDOW_NONBLOCK))
			continue;
		EXPECT_WINDOW_ERR(EINVAL, fl, 0);
		EXPECT_WINDOW_ERR(EINVAL, fl | WSP_FD_CLOEXEC, 0);
	}
	EXPECT_WINDOW_ERR(EINVAL, ~0U, 0);
	EXPECT_EQ(self->start.windows, window_count());
}

TEST_F(win, create_cloexec_flag)
{
	WINDOW(self->w, 0, 0);
	EXPECT_EQ(0, fd_cloexec(self->w));
	WINDOW(self->w2, WSP_FD_CLOEXEC, 0);
	EXPECT_EQ(1, fd_cloexec(self->w2));
}

/* WSP_WINDOW_NONBLOCK: the file is O_NONBLOCK, an empty read EAGAIN. */
TEST_F(win, create_nonblock_flag)
{
	struct wsp_message m;

	WINDOW(self->w, WSP_WINDOW_NONBLOCK, 0);
	EXPECT_TRUE(fcntl(self->w, F_GETFL) & O_NONBLOCK);
	EXPECT_EQ(-EAGAIN, xread(self->w, &m, sizeof(m)));

	WINDOW(self->w2, WSP_FD_CLOEXEC, 0);
	EXPECT_FALSE(fcntl(self->w2, F_GETFL) & O_NONBLOCK);
}

#define WINDOW_IOC(size) _IOC(_IOC_WRITE, WSP_IOC_MAGIC, \
			      _IOC_NR(WSP_IOC_WINDOW), (size))

/* The general size protocol holds for WSP_IOC_WINDOW. */
TEST_F(win, create_struct_size)
{
	struct {
		struct wsp_window_args a;
		uint64_t tail[2];
	} big;
	struct wsp_window_info info;
	long fd;

	memset(&big, 0, sizeof(big));
	big.a.limit = 7;
	EXPECT_EQ(-EINVAL, xioctl(self->dev, WINDOW_IOC(4), &big));
	EXPECT_EQ(-EINVAL, xioctl(self->dev, WINDOW_IOC(sizeof(big.a) - 1),
				  &big));
	big.tail[1] = 1;
	EXPECT_EQ(-E2BIG, xioctl(self->dev, WINDOW_IOC(sizeof(big)), &big));
	EXPECT_EQ(self->start.windows, window_count());

	big.tail[1] = 0;
	fd = xioctl(self->dev, WINDOW_IOC(sizeof(big)), &big);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, wsp_window_info(fd, &info));
	EXPECT_EQ(7, info.limit);
	close(fd);
}

TEST_F(win, create_bad_pointer_efault)
{
	void *unmapped = unmapped_page();
	long ret;

	ASSERT_NE(MAP_FAILED, unmapped);
	ret = xioctl(self->dev, WSP_IOC_WINDOW, NULL);
	EXPECT_EQ(-EFAULT, ret);
	if (ret >= 0)
		close(ret);
	ret = xioctl(self->dev, WSP_IOC_WINDOW, unmapped);
	EXPECT_EQ(-EFAULT, ret);
	if (ret >= 0)
		close(ret);
	ret = xioctl(self->dev, WSP_IOC_WINDOW, KERNEL_PTR);
	EXPECT_EQ(-EFAULT, ret);
	if (ret >= 0)
		close(ret);
	munmap(unmapped, 4096);
	EXPECT_EQ(self->start.windows, window_count());
}

/* The "windows" counter follows creation and close. */
TEST_F(win, counters_follow_create_and_close)
{
	struct wsp_counters c;

	WINDOW(self->w, 0, 0);
	EXPECT_EQ(self->start.windows + 1, window_count());
	WINDOW(self->w2, 0, WSP_WINDOW_MAX_LIMIT);
	EXPECT_EQ(self->start.windows + 2, window_count());
	close(self->w);
	self->w = -1;
	EXPECT_EQ(self->start.windows + 1, window_count());
	close(self->w2);
	self->w2 = -1;
	ASSERT_EQ(0, wsp_read_counters(&c));
	EXPECT_EQ(self->start.windows, c.windows);
	/* A window is no socket, and no registration. */
	EXPECT_EQ(self->start.sockets, c.sockets);
	EXPECT_EQ(self->start.registrations, c.registrations);
}

/* ------------------------------------------------------------------ */
/* WSP_IOC_WINDOW_INFO, and ioctls sent to the wrong kind of file.    */
/* ------------------------------------------------------------------ */

TEST_F(win, info_flags_einval)
{
	struct wsp_window_info info;

	WINDOW(self->w, 0, 5);
	memset(&info, 0, sizeof(info));
	info.flags = 1;
	EXPECT_EQ(-EINVAL, wsp_ioctl(self->w, WSP_IOC_WINDOW_INFO, &info));
	EXPECT_EQ(0, info.limit);
	info.flags = 1U << 31;
	EXPECT_EQ(-EINVAL, wsp_ioctl(self->w, WSP_IOC_WINDOW_INFO, &info));
	EXPECT_EQ(0, info.limit);
	info.flags = 0;
	EXPECT_EQ(0, wsp_ioctl(self->w, WSP_IOC_WINDOW_INFO, &info));
	EXPECT_EQ(5, info.limit);
}

TEST_F(win, info_bad_pointer_efault)
{
	void *unmapped = unmapped_page();

	ASSERT_NE(MAP_FAILED, unmapped);
	WINDOW(self->w, 0, 0);
	EXPECT_EQ(-EFAULT, wsp_ioctl(self->w, WSP_IOC_WINDOW_INFO, NULL));
	EXPECT_EQ(-EFAULT, wsp_ioctl(self->w, WSP_IOC_WINDOW_INFO, unmapped));
	EXPECT_EQ(-EFAULT, wsp_ioctl(self->w, WSP_IOC_WINDOW_INFO, KERNEL_PTR));
	munmap(unmapped, 4096);
}

/* WSP_IOC_WINDOW_INFO is a window's: a descriptor or the device, ENOTTY. */
TEST_F(win, info_on_descriptor_or_device_enotty)
{
	struct wsp_window_info info;
	int u;

	TCP_PAIR();
	memset(&info, 0, sizeof(info));
	EXPECT_EQ(-ENOTTY, wsp_ioctl(self->s, WSP_IOC_WINDOW_INFO, &info));
	EXPECT_EQ(-ENOTTY, wsp_ioctl(self->l, WSP_IOC_WINDOW_INFO, &info));
	EXPECT_EQ(-ENOTTY, wsp_ioctl(self->dev, WSP_IOC_WINDOW_INFO, &info));
	u = wsp_socket(self->dev, AF_INET6, SOCK_DGRAM, 0, WSP_FD_CLOEXEC);
	ASSERT_LE(0, u);
	EXPECT_EQ(-ENOTTY, wsp_ioctl(u, WSP_IOC_WINDOW_INFO, &info));
	close(u);
	EXPECT_EQ(0, info.limit);
}

/* Unknown numbers, wrong direction bits, device ioctls: ENOTTY. */
TEST_F(win, unknown_ioctl_on_window_enotty)
{
	struct wsp_window_info info;
	struct wsp_window_args wa = { 0 };
	struct wsp_version v = { 0 };
	struct wsp_socket_args sa = { .family = AF_INET, .type = SOCK_STREAM };
	long ret;

	WINDOW(self->w, 0, 0);
	memset(&info, 0, sizeof(info));
	EXPECT_EQ(-ENOTTY, wsp_ioctl(self->w, _IOWR(WSP_IOC_MAGIC, 0x4f,
						    struct wsp_window_info),
				     &info));
	EXPECT_EQ(-ENOTTY, wsp_ioctl(self->w, _IO(WSP_IOC_MAGIC, 0x7f), NULL));
	EXPECT_EQ(-ENOTTY, wsp_ioctl(self->w, _IOR(WSP_IOC_MAGIC,
		_IOC_NR(WSP_IOC_WINDOW_INFO), struct wsp_window_info), &info));
	EXPECT_EQ(-ENOTTY, wsp_ioctl(self->w, _IOW(WSP_IOC_MAGIC,
		_IOC_NR(WSP_IOC_WINDOW_INFO), struct wsp_window_info), &info));
	EXPECT_EQ(0, info.limit);

	/* The device's own ioctls: a window is no device. */
	ret = xioctl(self->w, WSP_IOC_WINDOW, &wa);
	EXPECT_EQ(-ENOTTY, ret);
	if (ret >= 0)
		close(ret);
	ret = xioctl(self->w, WSP_IOC_SOCKET, &sa);
	EXPECT_EQ(-ENOTTY, ret);
	if (ret >= 0)
		close(ret);
	EXPECT_EQ(-ENOTTY, wsp_ioctl(self->w, WSP_IOC_VERSION, &v));
	EXPECT_EQ(0, v.abi_version);
	/* Nor a terminal. */
	EXPECT_EQ(0, isatty(self->w));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(self->start.windows + 1, window_count());
}

/*
 * A descriptor's ioctl sent to a window, or a socket system call made on
 * one: a window is not a socket.
 */
TEST_F(win, descriptor_ioctl_on_window_enotsock)
{
	struct wsp_socket_info info = { 0 };
	struct test_addr aa;
	struct wsp_duplicate_args da = { .pid = getpid() };
	struct wsp_nonblock_args na = { .nonblocking = 1 };
	struct wsp_event_select_args es = { .mask = WSP_FD_READ };
	struct wsp_async_select_args as = { .mask = WSP_FD_READ };
	struct wsp_enum_events_args en = { .eventfd = -1 };
	struct wsp_registration reg = { 0 };
	char buf[4] = "abc";
	struct wsp_counters c;

	WINDOW(self->w, 0, 0);
	self->efd = eventfd(0, EFD_CLOEXEC);
	ASSERT_LE(0, self->efd);
	es.eventfd = self->efd;
	as.window = self->w;
	wsp_loopback(&aa, AF_INET, 0);

	EXPECT_EQ(-ENOTSOCK, wsp_ioctl(self->w, WSP_IOC_SOCKET_INFO, &info));
	EXPECT_EQ(-ENOTSOCK, wsp_bind(self->w, &aa));
	EXPECT_EQ(-ENOTSOCK, wsp_send(self->w, buf, 3, 0));
	EXPECT_EQ(-ENOTSOCK, wsp_recv(self->w, buf, 3, MSG_DONTWAIT));
	EXPECT_EQ(-ENOTSOCK, wsp_ioctl(self->w, WSP_IOC_DUPLICATE, &da));
	EXPECT_EQ(-ENOTSOCK, wsp_ioctl(self->w, WSP_IOC_SET_NONBLOCK, &na));
	EXPECT_EQ(-ENOTSOCK, wsp_ioctl(self->w, WSP_IOC_EVENT_SELECT, &es));
	EXPECT_EQ(-ENOTSOCK, wsp_ioctl(self->w, WSP_IOC_ASYNC_SELECT, &as));
	EXPECT_EQ(-ENOTSOCK, wsp_ioctl(self->w, WSP_IOC_ENUM_EVENTS, &en));
	EXPECT_EQ(-ENOTSOCK, wsp_ioctl(self->w, WSP_IOC_GET_REGISTRATION,
				       &reg));
	EXPECT_EQ(0, info.family);
	EXPECT_EQ(0, da.info.token_id);
	EXPECT_EQ(0, reg.kind);
	/* Nothing was made, nothing posted. */
	ASSERT_EQ(0, wsp_read_counters(&c));
	EXPECT_EQ(self->start.sockets, c.sockets);
	EXPECT_EQ(self->start.pending_duplicates, c.pending_duplicates);
	EXPECT_INFO(self->w, 10000, 0, 0, 0);
}

/* ------------------------------------------------------------------ */
/* read() and poll().                                                 */
/* ------------------------------------------------------------------ */

/* Less than one whole message: EINVAL, and the message stays queued. */
TEST_F(win, read_short_buffer_einval)
{
	struct wsp_message m[2];

	TCP_PAIR();
	WINDOW(self->w, WSP_WINDOW_NONBLOCK, 0);
	ASSERT_EQ(0, wsp_async_select(self->s, self->w, 1, WSP_FD_WRITE));
	EXPECT_INFO(self->w, 10000, 1, 1, 0);

	EXPECT_EQ(-EINVAL, xread(self->w, m, MSG_SIZE - 1));
	EXPECT_EQ(-EINVAL, xread(self->w, m, 1));
	EXPECT_EQ(-EINVAL, xread(self->w, m, 0));
	EXPECT_INFO(self->w, 10000, 1, 1, 0);
	EXPECT_EQ(POLLIN, poll1(self->w, POLLIN, 0) & POLLIN);

	/* An empty window says the same: the size is checked first. */
	EXPECT_EQ(MSG_SIZE, xread(self->w, m, sizeof(m)));
	EXPECT_EQ(-EINVAL, xread(self->w, m, MSG_SIZE - 1));
	EXPECT_EQ(-EAGAIN, xread(self->w, m, MSG_SIZE));
}

/*
 * A buffer of several messages gets as many as are queued, whole, oldest
 * first; what does not fit stays queued.
 */
TEST_F(win, read_whole_messages_oldest_first)
{
	struct wsp_message m[4];
	int i;

	TCP_PAIR();
	WINDOW(self->w, WSP_WINDOW_NONBLOCK, 0);
	/* Each re-registration posts FD_WRITE again: three messages. */
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, wsp_async_select(self->s, self->w, 100 + i,
					      WSP_FD_WRITE));
	EXPECT_INFO(self->w, 10000, 3, 3, 0);

	/* Room for two and a half: two. */
	memset(m, 0xa5, sizeof(m));
	EXPECT_EQ(2 * MSG_SIZE, xread(self->w, m, 2 * MSG_SIZE + MSG_SIZE / 2));
	EXPECT_EQ(100, m[0].message);
	EXPECT_EQ(101, m[1].message);
	/* The half-message slot was not written. */
	EXPECT_EQ(0xa5a5a5a5a5a5a5a5ull, m[2].hwnd);
	EXPECT_INFO(self->w, 10000, 1, 3, 0);

	/* Room for four: the one left. */
	EXPECT_EQ(MSG_SIZE, xread(self->w, m, sizeof(m)));
	EXPECT_EQ(102, m[0].message);
	EXPECT_EQ(WSP_FD_WRITE, WSP_MSG_EVENT(&m[0]));
	EXPECT_INFO(self->w, 10000, 0, 3, 0);
	EXPECT_EQ(-EAGAIN, xread(self->w, m, sizeof(m)));
}

/* A blocking read waits for a message, then returns what is queued. */
TEST_F(win, read_blocks_until_a_message)
{
	struct wsp_message m[4];
	pid_t parent = getpid(), child;
	int status;

	TCP_PAIR();
	WINDOW(self->w, 0, 0);
	ASSERT_EQ(0, wsp_async_select(self->s, self->w, 7, WSP_FD_READ));
	EXPECT_INFO(self->w, 10000, 0, 0, 0);

	child = fork();
	ASSERT_LE(0, child);
	if (child == 0) {
		wait_sleeping(parent);
		_exit(wsp_send(self->c, "x", 1, 0) == 1 ? 0 : 1);
	}
	EXPECT_EQ(MSG_SIZE, xread(self->w, m, sizeof(m)));
	EXPECT_EQ(7, m[0].message);
	EXPECT_EVENT(&m[0], WSP_FD_READ, 0);
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* A blocking read is interrupted by a signal: EINTR. */
TEST_F(win, read_interrupted_by_signal_eintr)
{
	struct wsp_message m;
	long t0, dt;

	WINDOW(self->w, 0, 0);
	interrupt_in(200);
	t0 = now_ms();
	EXPECT_EQ(-EINTR, xread(self->w, &m, sizeof(m)));
	dt = now_ms() - t0;
	EXPECT_LE(150, dt) TH_LOG("read returned after %ld ms", dt);
	EXPECT_GT(WAIT_MS, dt);
}

/* A window made non-blocking: an empty read is EAGAIN at once. */
TEST_F(win, read_nonblocking_window_eagain)
{
	struct wsp_message m[2];
	long t0;

	WINDOW(self->w, WSP_WINDOW_NONBLOCK | WSP_FD_CLOEXEC, 1);
	t0 = now_ms();
	EXPECT_EQ(-EAGAIN, xread(self->w, m, sizeof(m)));
	EXPECT_EQ(-EAGAIN, xread(self->w, m, MSG_SIZE));
	EXPECT_GT(1000, now_ms() - t0);
}

/* fcntl(O_NONBLOCK) on a window works as on any file: set... */
TEST_F(win, fcntl_set_nonblock_makes_read_eagain)
{
	struct wsp_message m;

	WINDOW(self->w, 0, 0);
	ASSERT_EQ(0, fcntl(self->w, F_SETFL,
			   fcntl(self->w, F_GETFL) | O_NONBLOCK));
	EXPECT_EQ(-EAGAIN, xread(self->w, &m, sizeof(m)));
}

/* ...and cleared: a WSP_WINDOW_NONBLOCK window then blocks. */
TEST_F(win, fcntl_clear_nonblock_makes_read_block)
{
	struct wsp_message m;
	long t0, dt;

	WINDOW(self->w, WSP_WINDOW_NONBLOCK, 0);
	ASSERT_EQ(0, fcntl(self->w, F_SETFL,
			   fcntl(self->w, F_GETFL) & ~O_NONBLOCK));
	interrupt_in(200);
	t0 = now_ms();
	EXPECT_EQ(-EINTR, xread(self->w, &m, sizeof(m)));
	dt = now_ms() - t0;
	EXPECT_LE(150, dt) TH_LOG("read returned after %ld ms", dt);
}

/* A buffer the kernel cannot write: EFAULT. */
/* EFAULT, and the message stays queued for a read that can take it. */
TEST_F(win, read_bad_buffer_efault)
{
	void *unmapped = unmapped_page();
	struct wsp_window_info info;
	struct wsp_message m[2];

	ASSERT_NE(MAP_FAILED, unmapped);
	TCP_PAIR();
	WINDOW(self->w, WSP_WINDOW_NONBLOCK, 0);
	ASSERT_EQ(0, wsp_async_select(self->s, self->w, 1, WSP_FD_WRITE));
	EXPECT_EQ(-EFAULT, xread(self->w, unmapped, MSG_SIZE));
	EXPECT_EQ(-EFAULT, xread(self->w, KERNEL_PTR, MSG_SIZE));
	ASSERT_EQ(0, wsp_window_info(self->w, &info));
	EXPECT_EQ(1, info.queued);
	EXPECT_EQ(0, info.dropped);
	ASSERT_EQ(MSG_SIZE, xread(self->w, m, sizeof(m)));
	EXPECT_EQ(WSP_FD_WRITE, WSP_MSG_EVENT(&m[0]));
	munmap(unmapped, 4096);
}

/* Reserved fields of output structs are input too: must be zero. */
TEST_F(win, info_nonzero_reserved_einval)
{
	struct wsp_window_info info = { .__reserved = 1 };

	WINDOW(self->w, WSP_WINDOW_NONBLOCK, 0);
	EXPECT_EQ(-EINVAL, xioctl(self->w, WSP_IOC_WINDOW_INFO, &info));
}

/* poll(): POLLIN exactly while a message is queued. */
TEST_F(win, poll_pollin_while_queued)
{
	struct wsp_message m[4];

	TCP_PAIR();
	WINDOW(self->w, WSP_WINDOW_NONBLOCK, 0);
	EXPECT_EQ(0, poll1(self->w, POLLIN | POLLOUT, 0));
	ASSERT_EQ(0, wsp_async_select(self->s, self->w, 1, WSP_FD_WRITE));
	ASSERT_EQ(0, wsp_async_select(self->s, self->w, 2, WSP_FD_WRITE));
	EXPECT_EQ(POLLIN, poll1(self->w, POLLIN, 0) & (POLLIN | POLLERR | POLLHUP));
	ASSERT_EQ(MSG_SIZE, xread(self->w, m, MSG_SIZE));
	EXPECT_EQ(POLLIN, poll1(self->w, POLLIN, 0) & POLLIN);
	ASSERT_EQ(MSG_SIZE, xread(self->w, m, sizeof(m)));
	EXPECT_EQ(0, poll1(self->w, POLLIN, 0));
}

/* A poller sleeping on an empty window is woken by a post. */
TEST_F(win, poll_wakes_on_post)
{
	struct wsp_message m[2];
	pid_t parent = getpid(), child;
	int status;

	TCP_PAIR();
	WINDOW(self->w, WSP_WINDOW_NONBLOCK, 0);
	ASSERT_EQ(0, wsp_async_select(self->s, self->w, 3, WSP_FD_READ));
	child = fork();
	ASSERT_LE(0, child);
	if (child == 0) {
		wait_sleeping(parent);
		_exit(wsp_send(self->c, "x", 1, 0) == 1 ? 0 : 1);
	}
	EXPECT_EQ(POLLIN, poll1(self->w, POLLIN, WAIT_MS) & POLLIN);
	EXPECT_EQ(1, wsp_read_messages(self->w, m, 2));
	EXPECT_EQ(WSP_FD_READ, WSP_MSG_EVENT(&m[0]));
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* ------------------------------------------------------------------ */
/* The messages async-select posts.                                   */
/* ------------------------------------------------------------------ */

/* {hwnd, message, event, wparam = descriptor, error, pid = 0}. */
TEST_F(win, message_fields)
{
	struct wsp_message m[2];

	TCP_PAIR();
	WINDOW(self->w, WSP_WINDOW_NONBLOCK, 0);
	ASSERT_EQ(0, wsp_async_select(self->s, self->w, 0x401, WSP_FD_READ));
	EXPECT_INFO(self->w, 10000, 0, 0, 0);
	DATA_TO_SERVER(3);
	memset(m, 0xa5, sizeof(m));
	ASSERT_EQ(1, wsp_read_messages(self->w, m, 2));
	EXPECT_EQ((uint64_t)self->w, m[0].hwnd);
	EXPECT_EQ(0x401, m[0].message);
	EXPECT_EQ(0, m[0].pid);
	EXPECT_EQ((uint64_t)self->s, m[0].wparam);
	EXPECT_EQ(WSP_FD_READ, m[0].event);
	EXPECT_EQ(0, m[0].error);
	EXPECT_INFO(self->w, 10000, 0, 1, 0);
}

/* hwnd is the window's number as the registering process named it. */
TEST_F(win, hwnd_is_the_number_registered)
{
	struct wsp_message m[2];
	int alias;

	TCP_PAIR();
	WINDOW(self->w, WSP_WINDOW_NONBLOCK, 0);
	alias = fcntl(self->w, F_DUPFD_CLOEXEC, 200);
	ASSERT_LE(200, alias);
	ASSERT_EQ(0, wsp_async_select(self->s, alias, 9, WSP_FD_WRITE));
	/* One window behind both numbers. */
	ASSERT_EQ(1, wsp_read_messages(self->w, m, 2));
	EXPECT_EQ((uint64_t)alias, m[0].hwnd);
	close(alias);
}

/* wParam is the descriptor argument, whatever number it is. */
TEST_F(win, wparam_is_the_descriptor_argument)
{
	struct wsp_async_select_args a = {
		.message = 11, .mask = WSP_FD_WRITE,
		.descriptor = 0x123456789abcull,
	};
	struct wsp_registration reg;
	struct wsp_message m[2];

	TCP_PAIR();
	WINDOW(self->w, WSP_WINDOW_NONBLOCK, 0);
	a.window = self->w;
	ASSERT_EQ(0, wsp_ioctl(self->s, WSP_IOC_ASYNC_SELECT, &a));
	ASSERT_EQ(1, wsp_read_messages(self->w, m, 2));
	EXPECT_EQ(0x123456789abcull, m[0].wparam);
	EXPECT_EQ(11, m[0].message);
	ASSERT_EQ(0, wsp_get_registration(self->s, &reg));
	EXPECT_EQ(WSP_REG_ASYNC, reg.kind);
	EXPECT_EQ((uint64_t)self->w, reg.hwnd);
	EXPECT_EQ(0x123456789abcull, reg.descriptor);
}

/* One event per message: data waiting and writable is two messages. */
TEST_F(win, one_event_per_message)
{
	struct wsp_message m[4];
	int i, n;

	TCP_PAIR();
	WINDOW(self->w, WSP_WINDOW_NONBLOCK, 0);
	DATA_TO_SERVER(5);
	ASSERT_EQ(0, wsp_async_select(self->s, self->w, 12,
				      WSP_FD_READ | WSP_FD_WRITE));
	n = wsp_read_messages(self->w, m, 4);
	ASSERT_EQ(2, n);
	for (i = 0; i < n; i++) {
		unsigned int ev = WSP_MSG_EVENT(&m[i]);

		EXPECT_TRUE(ev == WSP_FD_READ || ev == WSP_FD_WRITE)
			TH_LOG("message %d: event %#x", i, ev);
		EXPECT_EQ(0, WSP_MSG_ERROR(&m[i]));
		EXPECT_EQ(12, m[i].message);
		EXPECT_EQ((uint64_t)self->s, m[i].wparam);
	}
	EXPECT_EQ(WSP_FD_READ | WSP_FD_WRITE, events_of(m, n));
}

/* Events come in the order they happen. */
TEST_F(win, messages_in_posting_order)
{
	struct wsp_message m[4];
	char buf[16];

	TCP_PAIR();
	WINDOW(self->w, WSP_WINDOW_NONBLOCK, 0);
	ASSERT_EQ(0, wsp_async_select(self->s, self->w, 13,
				      WSP_FD_READ | WSP_FD_CLOSE));
	EXPECT_INFO(self->w, 10000, 0, 0, 0);
	DATA_TO_SERVER(4);
	EXPECT_INFO(self->w, 10000, 1, 1, 0);
	/* Receiving re-enables FD_READ: nothing left, nothing posted. */
	ASSERT_EQ(4, wsp_recv(self->s, buf, sizeof(buf), 0));
	EXPECT_INFO(self->w, 10000, 1, 1, 0);
	DATA_TO_SERVER(2);
	close(self->c);
	self->c = -1;
	/* FD_CLOSE comes when the FIN arrives. */
	ASSERT_TRUE(poll1(self->s, POLLRDHUP, WAIT_MS) & POLLRDHUP);
	ASSERT_EQ(3, wsp_read_messages(self->w, m, 4));
	EXPECT_EQ(WSP_FD_READ, WSP_MSG_EVENT(&m[0]));
	EXPECT_EQ(WSP_FD_READ, WSP_MSG_EVENT(&m[1]));
	EXPECT_EQ(WSP_FD_CLOSE, WSP_MSG_EVENT(&m[2]));
	EXPECT_EQ(0, WSP_MSG_ERROR(&m[2]));
}

/* A new registration posts each selected condition true now. */
TEST_F(win, immediate_write_when_connected)
{
	struct wsp_message m[4];

	TCP_PAIR();
	WINDOW(self->w, WSP_WINDOW_NONBLOCK, 0);
	/* Connected, writable, no data, peer open: FD_WRITE only. */
	ASSERT_EQ(0, wsp_async_select(self->s, self->w, 1, WSP_FD_ALL_EVENTS));
	ASSERT_EQ(1, wsp_read_messages(self->w, m, 4));
	EXPECT_EVENT(&m[0], WSP_FD_WRITE, 0);
	/* The connecting side: FD_WRITE, never FD_CONNECT. */
	ASSERT_EQ(0, wsp_async_select(self->c, self->w, 2,
				      WSP_FD_CONNECT | WSP_FD_WRITE));
	ASSERT_EQ(1, wsp_read_messages(self->w, m, 4));
	EXPECT_EVENT(&m[0], WSP_FD_WRITE, 0);
	EXPECT_EQ((uint64_t)self->c, m[0].wparam);
	ASSERT_EQ(0, wsp_async_select(self->c, self->w, 3, WSP_FD_CONNECT));
	EXPECT_INFO(self->w, 10000, 0, 2, 0);
}

/* Nothing is true of a new, unconnected stream socket. */
TEST_F(win, immediate_nothing_when_unconnected)
{
	int fd;

	WINDOW(self->w, WSP_WINDOW_NONBLOCK, 0);
	fd = wsp_socket(self->dev, AF_INET, SOCK_STREAM, 0, WSP_FD_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, wsp_async_select(fd, self->w, 1, WSP_FD_ALL_EVENTS));
	EXPECT_INFO(self->w, 10000, 0, 0, 0);
	close(fd);
}

/* A datagram socket is writable at once. */
TEST_F(win, immediate_write_on_udp)
{
	struct wsp_message m[2];
	int fd;

	WINDOW(self->w, WSP_WINDOW_NONBLOCK, 0);
	fd = wsp_socket(self->dev, AF_INET, SOCK_DGRAM, 0, WSP_FD_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, wsp_async_select(fd, self->w, 1,
				      WSP_FD_READ | WSP_FD_WRITE));
	ASSERT_EQ(1, wsp_read_messages(self->w, m, 2));
	EXPECT_EVENT(&m[0], WSP_FD_WRITE, 0);
	EXPECT_EQ((uint64_t)fd, m[0].wparam);
	close(fd);
}

TEST_F(win, immediate_read_when_data_waits)
{
	struct wsp_message m[2];

	TCP_PAIR();
	WINDOW(self->w, WSP_WINDOW_NONBLOCK, 0);
	DATA_TO_SERVER(1);
	ASSERT_EQ(0, wsp_async_select(self->s, self->w, 1, WSP_FD_READ));
	ASSERT_EQ(1, wsp_read_messages(self->w, m, 2));
	EXPECT_EVENT(&m[0], WSP_FD_READ, 0);
}

TEST_F(win, immediate_accept_when_connection_waits)
{
	struct wsp_message m[4];
	struct test_addr a;
	int c2;

	TCP_PAIR();
	WINDOW(self->w, WSP_WINDOW_NONBLOCK, 0);
	ASSERT_EQ(0, wsp_getsockname(self->l, &a));
	c2 = wsp_socket(self->dev, AF_INET, SOCK_STREAM, 0, WSP_FD_CLOEXEC);
	ASSERT_LE(0, c2);
	ASSERT_EQ(0, wsp_connect(c2, &a));
	ASSERT_TRUE(wsp_wait_readable(self->l, WAIT_MS));
	ASSERT_EQ(0, wsp_async_select(self->l, self->w, 5,
				      WSP_FD_ACCEPT | WSP_FD_READ |
				      WSP_FD_WRITE | WSP_FD_CLOSE));
	ASSERT_EQ(1, wsp_read_messages(self->w, m, 4));
	EXPECT_EVENT(&m[0], WSP_FD_ACCEPT, 0);
	EXPECT_EQ((uint64_t)self->l, m[0].wparam);
	close(c2);
}

TEST_F(win, immediate_close_when_peer_closed)
{
	struct wsp_message m[4];

	TCP_PAIR();
	WINDOW(self->w, WSP_WINDOW_NONBLOCK, 0);
	close(self->c);
	self->c = -1;
	ASSERT_TRUE(poll1(self->s, POLLRDHUP, WAIT_MS) & POLLRDHUP);
	ASSERT_EQ(0, wsp_async_select(self->s, self->w, 6,
				      WSP_FD_CLOSE | WSP_FD_CONNECT));
	ASSERT_EQ(1, wsp_read_messages(self->w, m, 4));
	EXPECT_EVENT(&m[0], WSP_FD_CLOSE, 0);
}

/* ------------------------------------------------------------------ */
/* The bound: a full queue drops and counts.                          */
/* ------------------------------------------------------------------ */

/*
 * Limit 2, a socket with data that is writable: each registration posts
 * FD_READ and FD_WRITE. The first fills the queue; every later one drops
 * exactly one, FD_READ, and its FD_WRITE waits behind it unposted; the
 * oldest stay. Reading makes room: the last registration's two due
 * messages take it.
 */
TEST_F(win, overflow_drops_exactly_and_keeps_oldest)
{
	struct wsp_message m[4];
	int i;

	TCP_PAIR();
	WINDOW(self->w, WSP_WINDOW_NONBLOCK, 2);
	DATA_TO_SERVER(8);
	ASSERT_EQ(0, wsp_async_select(self->s, self->w, 100,
				      WSP_FD_READ | WSP_FD_WRITE));
	EXPECT_INFO(self->w, 2, 2, 2, 0);
	for (i = 1; i <= 5; i++) {
		ASSERT_EQ(0, wsp_async_select(self->s, self->w, 100 + i,
					      WSP_FD_READ | WSP_FD_WRITE));
		EXPECT_INFO(self->w, 2, 2, 2 + i, i);
	}
	EXPECT_EQ(POLLIN, poll1(self->w, POLLIN, 0) & POLLIN);

	/* The two queued are the first registration's. */
	ASSERT_EQ(2 * MSG_SIZE, xread(self->w, m, sizeof(m)));
	EXPECT_EQ(100, m[0].message);
	EXPECT_EQ(100, m[1].message);
	EXPECT_EQ(WSP_FD_READ | WSP_FD_WRITE, events_of(m, 2));
	/* The room went to the last registration's due messages. */
	EXPECT_INFO(self->w, 2, 2, 9, 5);
	ASSERT_EQ(2 * MSG_SIZE, xread(self->w, m, sizeof(m)));
	EXPECT_EQ(105, m[0].message);
	EXPECT_EVENT(&m[0], WSP_FD_READ, 0);
	EXPECT_EQ(105, m[1].message);
	EXPECT_EVENT(&m[1], WSP_FD_WRITE, 0);
	EXPECT_INFO(self->w, 2, 0, 9, 5);
	EXPECT_EQ(0, poll1(self->w, POLLIN, 0));

	/* Room again. */
	ASSERT_EQ(0, wsp_async_select(self->s, self->w, 200,
				      WSP_FD_READ | WSP_FD_WRITE));
	EXPECT_INFO(self->w, 2, 2, 11, 5);
	ASSERT_EQ(2 * MSG_SIZE, xread(self->w, m, sizeof(m)));
	EXPECT_EQ(200, m[0].message);
	EXPECT_EQ(200, m[1].message);

	/* Reading one makes room for one. */
	ASSERT_EQ(0, wsp_async_select(self->s, self->w, 300,
				      WSP_FD_READ | WSP_FD_WRITE));
	ASSERT_EQ(MSG_SIZE, xread(self->w, m, MSG_SIZE));
	ASSERT_EQ(0, wsp_async_select(self->s, self->w, 301,
				      WSP_FD_READ | WSP_FD_WRITE));
	EXPECT_INFO(self->w, 2, 2, 15, 6);
	ASSERT_EQ(2 * MSG_SIZE, xread(self->w, m, sizeof(m)));
	EXPECT_EQ(300, m[0].message);
	EXPECT_EQ(301, m[1].message);
	/* 301's FD_WRITE was due behind its FD_READ. */
	ASSERT_EQ(MSG_SIZE, xread(self->w, m, sizeof(m)));
	EXPECT_EQ(301, m[0].message);
	EXPECT_EVENT(&m[0], WSP_FD_WRITE, 0);
	EXPECT_INFO(self->w, 2, 0, 16, 6);
}

/* Limit 1: one message, then drops; the room read makes is used. */
TEST_F(win, limit_one)
{
	struct wsp_message m[2];

	TCP_PAIR();
	WINDOW(self->w, WSP_WINDOW_NONBLOCK, 1);
	ASSERT_EQ(0, wsp_async_select(self->s, self->w, 1, WSP_FD_WRITE));
	ASSERT_EQ(0, wsp_async_select(self->s, self->w, 2, WSP_FD_WRITE));
	ASSERT_EQ(0, wsp_async_select(self->s, self->w, 3, WSP_FD_WRITE));
	EXPECT_INFO(self->w, 1, 1, 3, 2);
	ASSERT_EQ(MSG_SIZE, xread(self->w, m, sizeof(m)));
	EXPECT_EQ(1, m[0].message);
	/* The registration in force has its dropped FD_WRITE posted. */
	EXPECT_INFO(self->w, 1, 1, 4, 2);
	ASSERT_EQ(MSG_SIZE, xread(self->w, m, sizeof(m)));
	EXPECT_EQ(3, m[0].message);
	/* A post from a socket callback drops the same way. */
	ASSERT_EQ(0, wsp_async_select(self->s, self->w, 4, WSP_FD_READ));
	EXPECT_INFO(self->w, 1, 0, 4, 2);
	ASSERT_EQ(0, wsp_async_select(self->c, self->w, 5, WSP_FD_WRITE));
	EXPECT_INFO(self->w, 1, 1, 5, 2);
	DATA_TO_SERVER(1);
	EXPECT_INFO(self->w, 1, 1, 6, 3);
	ASSERT_EQ(MSG_SIZE, xread(self->w, m, sizeof(m)));
	EXPECT_EQ(5, m[0].message);
	ASSERT_EQ(MSG_SIZE, xread(self->w, m, sizeof(m)));
	EXPECT_EQ(4, m[0].message);
	EXPECT_EVENT(&m[0], WSP_FD_READ, 0);
	EXPECT_INFO(self->w, 1, 0, 7, 3);
}

/* The default limit holds 10000, drops the 10001st until read makes room. */
TEST_F(win, default_limit_fills_at_10000)
{
	struct wsp_message *m;
	int i;

	TCP_PAIR();
	WINDOW(self->w, WSP_WINDOW_NONBLOCK, 0);
	for (i = 0; i < 10000; i++)
		ASSERT_EQ(0, wsp_async_select(self->s, self->w, i,
					      WSP_FD_WRITE));
	EXPECT_INFO(self->w, 10000, 10000, 10000, 0);
	ASSERT_EQ(0, wsp_async_select(self->s, self->w, i, WSP_FD_WRITE));
	EXPECT_INFO(self->w, 10000, 10000, 10001, 1);

	m = calloc(10001, sizeof(*m));
	ASSERT_NE(NULL, m);
	ASSERT_EQ(10000 * MSG_SIZE, xread(self->w, m, 10001 * MSG_SIZE));
	for (i = 0; i < 10000; i++)
		if (m[i].message != (unsigned int)i)
			break;
	EXPECT_EQ(10000, i) TH_LOG("message %d is %u", i, m[i].message);
	EXPECT_INFO(self->w, 10000, 1, 10002, 1);
	ASSERT_EQ(MSG_SIZE, xread(self->w, m, 10001 * MSG_SIZE));
	EXPECT_EQ(10000, m[0].message);
	free(m);
	EXPECT_INFO(self->w, 10000, 0, 10002, 1);
}

/* ------------------------------------------------------------------ */
/* A message the full window could not take is due, not lost.        */
/* ------------------------------------------------------------------ */

/*
 * Data arrives while the window is full: FD_READ is dropped and counted.
 * Reading the window makes room, and FD_READ comes then, without any
 * receive on the socket.
 */
TEST_F(win, dropped_read_posted_when_room)
{
	struct wsp_message m[2];

	TCP_PAIR();
	WINDOW(self->w, WSP_WINDOW_NONBLOCK, 1);
	FILL_WINDOW(self->w);
	ASSERT_EQ(0, wsp_async_select(self->s, self->w, 7, WSP_FD_READ));
	DATA_TO_SERVER(3);
	EXPECT_INFO(self->w, 1, 1, 2, 1);
	READ_FILLER(self->w);
	EXPECT_INFO(self->w, 1, 1, 3, 1);
	ASSERT_EQ(1, wsp_read_messages(self->w, m, 2));
	EXPECT_EQ(7, m[0].message);
	EXPECT_EQ((uint64_t)self->s, m[0].wparam);
	EXPECT_EVENT(&m[0], WSP_FD_READ, 0);
	/* Posted, so held again: more data posts nothing. */
	DATA_TO_SERVER(1);
	EXPECT_INFO(self->w, 1, 0, 3, 1);
}

/* The peer closes while the window is full: FD_CLOSE comes with room. */
TEST_F(win, dropped_close_posted_when_room)
{
	struct wsp_message m[2];

	TCP_PAIR();
	WINDOW(self->w, WSP_WINDOW_NONBLOCK, 1);
	FILL_WINDOW(self->w);
	ASSERT_EQ(0, wsp_async_select(self->s, self->w, 8, WSP_FD_CLOSE));
	close(self->c);
	self->c = -1;
	ASSERT_TRUE(poll1(self->s, POLLRDHUP, WAIT_MS) & POLLRDHUP);
	EXPECT_INFO(self->w, 1, 1, 2, 1);
	READ_FILLER(self->w);
	ASSERT_EQ(1, wsp_read_messages(self->w, m, 2));
	EXPECT_EQ(8, m[0].message);
	EXPECT_EVENT(&m[0], WSP_FD_CLOSE, 0);
	EXPECT_INFO(self->w, 1, 0, 3, 1);
}

/* A connect completes while the window is full: FD_CONNECT comes with room. */
TEST_F(win, dropped_connect_posted_when_room)
{
	struct wsp_message m[2];
	struct test_addr a;
	int fd;

	TCP_PAIR();
	WINDOW(self->w, WSP_WINDOW_NONBLOCK, 1);
	FILL_WINDOW(self->w);
	ASSERT_EQ(0, wsp_getsockname(self->l, &a));
	fd = wsp_socket(self->dev, AF_INET, SOCK_STREAM, 0, WSP_FD_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, wsp_async_select(fd, self->w, 9, WSP_FD_CONNECT));
	EXPECT_EQ(-EINPROGRESS, wsp_connect(fd, &a));
	ASSERT_TRUE(poll1(fd, POLLOUT, WAIT_MS) & POLLOUT);
	EXPECT_INFO(self->w, 1, 1, 2, 1);
	READ_FILLER(self->w);
	ASSERT_EQ(1, wsp_read_messages(self->w, m, 2));
	EXPECT_EQ(9, m[0].message);
	EXPECT_EQ((uint64_t)fd, m[0].wparam);
	EXPECT_EVENT(&m[0], WSP_FD_CONNECT, 0);
	close(fd);
}

/* A connection arrives while the window is full: FD_ACCEPT comes with room. */
TEST_F(win, dropped_accept_posted_when_room)
{
	struct wsp_message m[2];
	struct test_addr a;
	int fd;

	TCP_PAIR();
	WINDOW(self->w, WSP_WINDOW_NONBLOCK, 1);
	FILL_WINDOW(self->w);
	ASSERT_EQ(0, wsp_async_select(self->l, self->w, 10, WSP_FD_ACCEPT));
	ASSERT_EQ(0, wsp_getsockname(self->l, &a));
	fd = wsp_socket(self->dev, AF_INET, SOCK_STREAM, 0, WSP_FD_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, wsp_connect(fd, &a));
	ASSERT_TRUE(wsp_wait_readable(self->l, WAIT_MS));
	EXPECT_INFO(self->w, 1, 1, 2, 1);
	READ_FILLER(self->w);
	ASSERT_EQ(1, wsp_read_messages(self->w, m, 2));
	EXPECT_EQ(10, m[0].message);
	EXPECT_EVENT(&m[0], WSP_FD_ACCEPT, 0);
	close(fd);
}

/*
 * A socket's due messages keep their order: FD_CLOSE that happens while
 * FD_READ is due waits behind it, and each comes as room is made.
 */
TEST_F(win, due_messages_keep_their_order)
{
	struct wsp_message m[2];

	TCP_PAIR();
	WINDOW(self->w, WSP_WINDOW_NONBLOCK, 1);
	FILL_WINDOW(self->w);
	ASSERT_EQ(0, wsp_async_select(self->s, self->w, 11,
				      WSP_FD_READ | WSP_FD_CLOSE));
	DATA_TO_SERVER(2);
	close(self->c);
	self->c = -1;
	ASSERT_TRUE(poll1(self->s, POLLRDHUP, WAIT_MS) & POLLRDHUP);
	/* FD_CLOSE found FD_READ due: it did not try the window. */
	EXPECT_INFO(self->w, 1, 1, 2, 1);
	READ_FILLER(self->w);
	ASSERT_EQ(MSG_SIZE, xread(self->w, m, sizeof(m)));
	EXPECT_EVENT(&m[0], WSP_FD_READ, 0);
	ASSERT_EQ(MSG_SIZE, xread(self->w, m, sizeof(m)));
	EXPECT_EVENT(&m[0], WSP_FD_CLOSE, 0);
	EXPECT_INFO(self->w, 1, 0, 4, 1);
}

/* Data received before the window has room leaves no FD_READ to post. */
TEST_F(win, due_read_not_posted_once_received)
{
	char buf[16];

	TCP_PAIR();
	WINDOW(self->w, WSP_WINDOW_NONBLOCK, 1);
	FILL_WINDOW(self->w);
	ASSERT_EQ(0, wsp_async_select(self->s, self->w, 12, WSP_FD_READ));
	DATA_TO_SERVER(3);
	EXPECT_INFO(self->w, 1, 1, 2, 1);
	ASSERT_EQ(3, wsp_recv(self->s, buf, sizeof(buf), 0));
	READ_FILLER(self->w);
	EXPECT_INFO(self->w, 1, 0, 2, 1);
}

/* Each of many sockets waiting for one window gets its message in turn. */
TEST_F(win, due_messages_of_many_sockets_all_come)
{
	struct wsp_message m[2];
	unsigned int seen = 0;
	int fd[3], i;

	WINDOW(self->w, WSP_WINDOW_NONBLOCK, 1);
	FILL_WINDOW(self->w);
	for (i = 0; i < 3; i++) {
		fd[i] = wsp_socket(self->dev, AF_INET, SOCK_DGRAM, 0,
				   WSP_FD_CLOEXEC);
		ASSERT_LE(0, fd[i]);
		ASSERT_EQ(0, wsp_async_select(fd[i], self->w, 20 + i,
					      WSP_FD_WRITE));
	}
	EXPECT_INFO(self->w, 1, 1, 4, 3);
	READ_FILLER(self->w);
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(MSG_SIZE, xread(self->w, m, sizeof(m)));
		EXPECT_EVENT(&m[0], WSP_FD_WRITE, 0);
		seen |= 1u << (m[0].message - 20);
	}
	EXPECT_EQ(7, seen);
	EXPECT_INFO(self->w, 1, 0, 7, 3);
	for (i = 0; i < 3; i++)
		close(fd[i]);
}

/* A registration replaced while its message is due: it is not posted. */
TEST_F(win, due_message_dropped_with_its_registration)
{
	TCP_PAIR();
	WINDOW(self->w, WSP_WINDOW_NONBLOCK, 1);
	WINDOW(self->w2, WSP_WINDOW_NONBLOCK, 0);
	FILL_WINDOW(self->w);
	ASSERT_EQ(0, wsp_async_select(self->s, self->w, 13, WSP_FD_READ));
	DATA_TO_SERVER(1);
	EXPECT_INFO(self->w, 1, 1, 2, 1);
	/* The new registration posts what is true now, to its window. */
	ASSERT_EQ(0, wsp_async_select(self->s, self->w2, 14, WSP_FD_READ));
	EXPECT_INFO(self->w2, 10000, 1, 1, 0);
	READ_FILLER(self->w);
	EXPECT_INFO(self->w, 1, 0, 2, 1);
}

/* A socket closed while its message is due: nothing is posted for it. */
TEST_F(win, due_message_dropped_with_its_socket)
{
	TCP_PAIR();
	WINDOW(self->w, WSP_WINDOW_NONBLOCK, 1);
	FILL_WINDOW(self->w);
	ASSERT_EQ(0, wsp_async_select(self->s, self->w, 15, WSP_FD_READ));
	DATA_TO_SERVER(1);
	EXPECT_INFO(self->w, 1, 1, 2, 1);
	close(self->s);
	self->s = -1;
	READ_FILLER(self->w);
	EXPECT_INFO(self->w, 1, 0, 2, 1);
}

/*
 * A reader making room races with registrations ending (replaced or
 * their socket closed) while their messages are due: every message is
 * queued once or dropped, and what was queued is what was read.
 */
TEST_F(win, due_messages_race_with_registrations_ending)
{
	struct wsp_window_info info;
	struct wsp_message m[8];
	int stop[2], count[2];
	long total = 0, got, dropped;
	struct wsp_counters c;
	pid_t child;
	int i, fd, status;
	ssize_t n;

	WINDOW(self->w, WSP_WINDOW_NONBLOCK, 1);
	WINDOW(self->w2, WSP_WINDOW_NONBLOCK, 1);
	ASSERT_EQ(0, pipe(stop));
	ASSERT_EQ(0, pipe(count));
	child = fork();
	ASSERT_LE(0, child);
	if (child == 0) {
		/* Read both windows until the parent closes its end. */
		close(stop[1]);
		close(count[0]);
		while (!poll1(stop[0], POLLIN, 0)) {
			n = read(self->w, m, sizeof(m));
			if (n > 0)
				total += n / MSG_SIZE;
			n = read(self->w2, m, sizeof(m));
			if (n > 0)
				total += n / MSG_SIZE;
		}
		_exit(write(count[1], &total, sizeof(total)) == sizeof(total) ?
		      0 : 1);
	}
	close(stop[0]);
	close(count[1]);
	for (i = 0; i < 3000; i++) {
		fd = wsp_socket(self->dev, AF_INET, SOCK_DGRAM, 0,
				WSP_FD_CLOEXEC);
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, wsp_async_select(fd, self->w, i, WSP_FD_WRITE));
		if (i & 1)
			ASSERT_EQ(0, wsp_async_select(fd, self->w2, i,
						      WSP_FD_WRITE));
		close(fd);
	}
	close(stop[1]);
	ASSERT_EQ(sizeof(got), read(count[0], &got, sizeof(got)));
	close(count[0]);
	ASSERT_EQ(child, waitpid(child, &status, 0));
	ASSERT_EQ(0, status);

	/* Nothing is due any more: what is left is queued. */
	while ((n = read(self->w, m, sizeof(m))) > 0)
		got += n / MSG_SIZE;
	while ((n = read(self->w2, m, sizeof(m))) > 0)
		got += n / MSG_SIZE;
	ASSERT_EQ(0, wsp_window_info(self->w, &info));
	total = info.posted - info.dropped;
	dropped = info.dropped;
	ASSERT_EQ(0, wsp_window_info(self->w2, &info));
	total += info.posted - info.dropped;
	dropped += info.dropped;
	EXPECT_EQ(total, got);
	TH_LOG("%ld messages read, %ld dropped first", got, dropped);
	ASSERT_EQ(0, wsp_read_counters(&c));
	EXPECT_EQ(self->start.registrations, c.registrations);
	EXPECT_EQ(self->start.sockets, c.sockets);
}

/* ------------------------------------------------------------------ */
/* Queued messages outlive their registration.                        */
/* ------------------------------------------------------------------ */

/* Replaced by event-select: queued messages stay, nothing new comes. */
TEST_F(win, queued_stay_after_event_select)
{
	struct wsp_message m[4];

	TCP_PAIR();
	WINDOW(self->w, WSP_WINDOW_NONBLOCK, 0);
	self->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_LE(0, self->efd);
	DATA_TO_SERVER(2);
	ASSERT_EQ(0, wsp_async_select(self->s, self->w, 21,
				      WSP_FD_READ | WSP_FD_WRITE));
	EXPECT_INFO(self->w, 10000, 2, 2, 0);
	ASSERT_EQ(0, wsp_event_select(self->s, self->efd, WSP_FD_READ));
	EXPECT_INFO(self->w, 10000, 2, 2, 0);
	/* New events go to the eventfd. */
	ASSERT_EQ(2, wsp_recv(self->s, m, 2, 0));
	DATA_TO_SERVER(2);
	EXPECT_TRUE(wsp_eventfd_is_set(self->efd));
	EXPECT_INFO(self->w, 10000, 2, 2, 0);
	ASSERT_EQ(2, wsp_read_messages(self->w, m, 4));
	EXPECT_EQ(21, m[0].message);
	EXPECT_EQ(21, m[1].message);
	EXPECT_EQ(WSP_FD_READ | WSP_FD_WRITE, events_of(m, 2));
}

/* Replaced by async-select to another window: the same. */
TEST_F(win, queued_stay_after_async_select_elsewhere)
{
	struct wsp_message m[4];

	TCP_PAIR();
	WINDOW(self->w, WSP_WINDOW_NONBLOCK, 0);
	WINDOW(self->w2, WSP_WINDOW_NONBLOCK, 0);
	ASSERT_EQ(0, wsp_async_select(self->s, self->w, 31,
				      WSP_FD_READ | WSP_FD_WRITE));
	EXPECT_INFO(self->w, 10000, 1, 1, 0);
	ASSERT_EQ(0, wsp_async_select(self->s, self->w2, 32,
				      WSP_FD_READ | WSP_FD_WRITE));
	EXPECT_INFO(self->w2, 10000, 1, 1, 0);
	DATA_TO_SERVER(1);
	EXPECT_INFO(self->w, 10000, 1, 1, 0);
	EXPECT_INFO(self->w2, 10000, 2, 2, 0);
	ASSERT_EQ(1, wsp_read_messages(self->w, m, 4));
	EXPECT_EQ(31, m[0].message);
	EXPECT_EQ(WSP_FD_WRITE, WSP_MSG_EVENT(&m[0]));
	ASSERT_EQ(2, wsp_read_messages(self->w2, m, 4));
	EXPECT_EQ(WSP_FD_WRITE, WSP_MSG_EVENT(&m[0]));
	EXPECT_EQ(WSP_FD_READ, WSP_MSG_EVENT(&m[1]));
	EXPECT_EQ(32, m[1].message);
}

/* Cancelled (mask 0): queued messages stay, nothing new comes. */
TEST_F(win, queued_stay_after_cancel)
{
	struct wsp_message m[4];

	TCP_PAIR();
	WINDOW(self->w, WSP_WINDOW_NONBLOCK, 0);
	ASSERT_EQ(0, wsp_async_select(self->s, self->w, 41,
				      WSP_FD_READ | WSP_FD_WRITE));
	ASSERT_EQ(0, wsp_async_select(self->s, self->w, 41, 0));
	DATA_TO_SERVER(1);
	EXPECT_INFO(self->w, 10000, 1, 1, 0);
	ASSERT_EQ(1, wsp_read_messages(self->w, m, 4));
	EXPECT_EQ(41, m[0].message);
}

/* The socket closed: its messages stay queued and readable. */
TEST_F(win, queued_stay_after_socket_closed)
{
	struct wsp_message m[4];
	struct wsp_counters c;
	int s = -1;

	TCP_PAIR();
	WINDOW(self->w, WSP_WINDOW_NONBLOCK, 0);
	DATA_TO_SERVER(1);
	s = self->s;
	ASSERT_EQ(0, wsp_async_select(self->s, self->w, 51,
				      WSP_FD_READ | WSP_FD_WRITE));
	close(self->s);
	self->s = -1;
	close(self->l);
	self->l = -1;
	close(self->c);
	self->c = -1;
	ASSERT_EQ(0, wsp_read_counters(&c));
	EXPECT_EQ(self->start.sockets, c.sockets);
	EXPECT_EQ(self->start.windows + 1, c.windows);
	EXPECT_INFO(self->w, 10000, 2, 2, 0);
	ASSERT_EQ(2, wsp_read_messages(self->w, m, 4));
	EXPECT_EQ(51, m[0].message);
	EXPECT_EQ((uint64_t)s, m[0].wparam);
	EXPECT_EQ(WSP_FD_READ | WSP_FD_WRITE, events_of(m, 2));
}

/* ------------------------------------------------------------------ */
/* One window, many sockets.                                          */
/* ------------------------------------------------------------------ */

TEST_F(win, one_window_many_sockets)
{
	struct wsp_message m[8];
	char buf[8];
	int i;

	TCP_PAIR();
	WINDOW(self->w, WSP_WINDOW_NONBLOCK, 0);
	ASSERT_EQ(0, wsp_async_select(self->s, self->w, 61,
				      WSP_FD_READ | WSP_FD_WRITE));
	ASSERT_EQ(0, wsp_async_select(self->c, self->w, 62,
				      WSP_FD_READ | WSP_FD_WRITE));
	ASSERT_EQ(2, wsp_read_messages(self->w, m, 8));
	EXPECT_EQ(61, m[0].message);
	EXPECT_EQ((uint64_t)self->s, m[0].wparam);
	EXPECT_EQ(WSP_FD_WRITE, WSP_MSG_EVENT(&m[0]));
	EXPECT_EQ(62, m[1].message);
	EXPECT_EQ((uint64_t)self->c, m[1].wparam);
	EXPECT_EQ(WSP_FD_WRITE, WSP_MSG_EVENT(&m[1]));

	/* Data each way: each socket's FD_READ with its own wParam. */
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(1, wsp_send(self->c, "c", 1, 0));
		ASSERT_TRUE(wsp_wait_readable(self->w, WAIT_MS));
		ASSERT_EQ(1, wsp_read_messages(self->w, m, 8));
		EXPECT_EQ(61, m[0].message);
		EXPECT_EQ((uint64_t)self->s, m[0].wparam);
		EXPECT_EVENT(&m[0], WSP_FD_READ, 0);
		ASSERT_EQ(1, wsp_recv(self->s, buf, sizeof(buf), 0));

		ASSERT_EQ(1, wsp_send(self->s, "s", 1, 0));
		ASSERT_TRUE(wsp_wait_readable(self->w, WAIT_MS));
		ASSERT_EQ(1, wsp_read_messages(self->w, m, 8));
		EXPECT_EQ(62, m[0].message);
		EXPECT_EQ((uint64_t)self->c, m[0].wparam);
		EXPECT_EVENT(&m[0], WSP_FD_READ, 0);
		ASSERT_EQ(1, wsp_recv(self->c, buf, sizeof(buf), 0));
	}
	EXPECT_INFO(self->w, 10000, 0, 8, 0);
}

/* ------------------------------------------------------------------ */
/* Lifetime: a window closed while a registration names it.           */
/* ------------------------------------------------------------------ */

TEST_F(win, close_window_while_registered)
{
	struct wsp_message m[4];
	struct wsp_registration reg;
	struct wsp_counters c;
	char buf[16];

	TCP_PAIR();
	WINDOW(self->w, WSP_WINDOW_NONBLOCK, 0);
	ASSERT_EQ(0, wsp_async_select(self->s, self->w, 71,
				      WSP_FD_READ | WSP_FD_WRITE));
	close(self->w);
	self->w = -1;
	/* The registration keeps the window. */
	EXPECT_EQ(self->start.windows + 1, window_count());
	ASSERT_EQ(0, wsp_get_registration(self->s, &reg));
	EXPECT_EQ(WSP_REG_ASYNC, reg.kind);

	/* Events still post (to a queue nobody reads); the socket works. */
	DATA_TO_SERVER(4);
	ASSERT_EQ(4, wsp_recv(self->s, buf, sizeof(buf), 0));
	ASSERT_EQ(3, wsp_send(self->s, "abc", 3, 0));
	ASSERT_EQ(3, wsp_recv(self->c, buf, sizeof(buf), 0));

	/* Re-registering elsewhere works and frees the old window. */
	WINDOW(self->w2, WSP_WINDOW_NONBLOCK, 0);
	EXPECT_EQ(self->start.windows + 2, window_count());
	ASSERT_EQ(0, wsp_async_select(self->s, self->w2, 72,
				      WSP_FD_READ | WSP_FD_WRITE));
	EXPECT_EQ(self->start.windows + 1, window_count());
	ASSERT_EQ(1, wsp_read_messages(self->w2, m, 4));
	EXPECT_EQ(72, m[0].message);
	EXPECT_EQ(WSP_FD_WRITE, WSP_MSG_EVENT(&m[0]));
	DATA_TO_SERVER(1);
	ASSERT_EQ(1, wsp_read_messages(self->w2, m, 4));
	EXPECT_EQ(WSP_FD_READ, WSP_MSG_EVENT(&m[0]));

	/* The same again, ended by closing the socket this time. */
	close(self->w2);
	self->w2 = -1;
	EXPECT_EQ(self->start.windows + 1, window_count());
	close(self->s);
	self->s = -1;
	close(self->c);
	self->c = -1;
	close(self->l);
	self->l = -1;
	ASSERT_EQ(0, wsp_read_counters(&c));
	EXPECT_EQ(self->start.windows, c.windows);
	EXPECT_EQ(self->start.sockets, c.sockets);
	EXPECT_EQ(self->start.registrations, c.registrations);
}

/* Registrations through several sockets: the last one frees the window. */
TEST_F(win, close_window_named_by_many_registrations)
{
	struct wsp_counters c;

	TCP_PAIR();
	WINDOW(self->w, WSP_WINDOW_NONBLOCK, 1);
	ASSERT_EQ(0, wsp_async_select(self->s, self->w, 1, WSP_FD_WRITE));
	ASSERT_EQ(0, wsp_async_select(self->c, self->w, 2, WSP_FD_WRITE));
	ASSERT_EQ(0, wsp_async_select(self->l, self->w, 3, WSP_FD_ACCEPT));
	close(self->w);
	self->w = -1;
	EXPECT_EQ(self->start.windows + 1, window_count());
	ASSERT_EQ(0, wsp_async_select(self->s, 12345, 1, 0));
	EXPECT_EQ(self->start.windows + 1, window_count());
	close(self->c);
	self->c = -1;
	EXPECT_EQ(self->start.windows + 1, window_count());
	close(self->l);
	self->l = -1;
	ASSERT_EQ(0, wsp_read_counters(&c));
	EXPECT_EQ(self->start.windows, c.windows);
	close(self->s);
	self->s = -1;
	ASSERT_EQ(0, wsp_read_counters(&c));
	EXPECT_EQ(self->start.sockets, c.sockets);
	EXPECT_EQ(self->start.registrations, c.registrations);
}

/*
 * An accepted socket inherits its listener's async-select registration,
 * and with it a reference on the window. (It posts nothing before an
 * async-select through its own descriptor: notify_test.)
 */
TEST_F(win, accepted_socket_holds_inherited_window)
{
	struct wsp_message m[8];
	struct wsp_registration reg;
	struct test_addr a;
	int c2, s2, n;

	TCP_PAIR();
	WINDOW(self->w, WSP_WINDOW_NONBLOCK, 0);
	ASSERT_EQ(0, wsp_async_select(self->l, self->w, 81,
				      WSP_FD_ACCEPT | WSP_FD_WRITE));
	ASSERT_EQ(0, wsp_getsockname(self->l, &a));
	c2 = wsp_socket(self->dev, AF_INET, SOCK_STREAM, 0, WSP_FD_CLOEXEC);
	ASSERT_LE(0, c2);
	ASSERT_EQ(0, wsp_connect(c2, &a));
	ASSERT_TRUE(wsp_wait_readable(self->w, WAIT_MS));
	s2 = wsp_accept(self->l, NULL);
	ASSERT_LE(0, s2);
	ASSERT_EQ(0, wsp_get_registration(s2, &reg));
	EXPECT_EQ(WSP_REG_ASYNC, reg.kind);
	EXPECT_EQ((uint64_t)self->w, reg.hwnd);
	EXPECT_EQ(81, reg.message);
	EXPECT_EQ(WSP_DESCRIPTOR_UNKNOWN, reg.descriptor);
	n = wsp_read_messages(self->w, m, 8);
	ASSERT_EQ(1, n);
	EXPECT_EQ(WSP_FD_ACCEPT, WSP_MSG_EVENT(&m[0]));
	EXPECT_EQ((uint64_t)self->l, m[0].wparam);

	/* Window, then listener closed: the accepted socket keeps it. */
	close(self->w);
	self->w = -1;
	close(self->l);
	self->l = -1;
	EXPECT_EQ(self->start.windows + 1, window_count());
	close(s2);
	EXPECT_EQ(self->start.windows, window_count());
	close(c2);
}

/* ------------------------------------------------------------------ */
/* Bad targets.                                                       */
/* ------------------------------------------------------------------ */

/* Async-select to a file that is no window: EINVAL, nothing replaced. */
TEST_F(win, async_select_non_window_einval)
{
	struct wsp_registration reg;
	int p[2], i, fds[6];

	TCP_PAIR();
	WINDOW(self->w, WSP_WINDOW_NONBLOCK, 0);
	self->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_LE(0, self->efd);
	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	ASSERT_EQ(0, wsp_async_select(self->s, self->w, 91, WSP_FD_READ));

	fds[0] = self->efd;
	fds[1] = p[0];
	fds[2] = p[1];
	fds[3] = self->dev;
	fds[4] = self->c;	/* another socket's descriptor */
	fds[5] = self->s;	/* the socket's own */
	for (i = 0; i < 6; i++) {
		EXPECT_EQ(-EINVAL, wsp_async_select(self->s, fds[i], 92,
						    WSP_FD_READ))
			TH_LOG("fd %d", i);
		ASSERT_EQ(0, wsp_get_registration(self->s, &reg));
		EXPECT_EQ(WSP_REG_ASYNC, reg.kind);
		EXPECT_EQ((uint64_t)self->w, reg.hwnd);
		EXPECT_EQ(91, reg.message);
	}
	close(p[0]);
	close(p[1]);
	EXPECT_INFO(self->w, 10000, 0, 0, 0);
}

/* Async-select to a closed fd: EBADF, nothing replaced. */
TEST_F(win, async_select_closed_fd_ebadf)
{
	struct wsp_registration reg;
	int closed;

	TCP_PAIR();
	WINDOW(self->w, WSP_WINDOW_NONBLOCK, 0);
	ASSERT_EQ(0, wsp_async_select(self->s, self->w, 93, WSP_FD_READ));
	closed = dup(self->w);
	ASSERT_LE(0, closed);
	close(closed);
	EXPECT_EQ(-EBADF, wsp_async_select(self->s, closed, 94, WSP_FD_READ));
	EXPECT_EQ(-EBADF, wsp_async_select(self->s, -1, 94, WSP_FD_READ));
	EXPECT_EQ(-EBADF, wsp_async_select(self->s, INT_MAX, 94, WSP_FD_READ));
	ASSERT_EQ(0, wsp_get_registration(self->s, &reg));
	EXPECT_EQ(WSP_REG_ASYNC, reg.kind);
	EXPECT_EQ(93, reg.message);
}

/* Mask 0 cancels and ignores the window argument. */
TEST_F(win, async_select_mask_zero_ignores_window)
{
	struct wsp_registration reg;

	TCP_PAIR();
	EXPECT_EQ(0, wsp_async_select(self->s, -1, 1, 0));
	EXPECT_EQ(0, wsp_async_select(self->s, self->dev, 1, 0));
	ASSERT_EQ(0, wsp_get_registration(self->s, &reg));
	EXPECT_EQ(WSP_REG_NONE, reg.kind);
	EXPECT_EQ(self->start.windows, window_count());
}

/* Event-select with a window for its eventfd: EINVAL, nothing replaced. */
TEST_F(win, event_select_window_einval)
{
	struct wsp_registration reg;

	TCP_PAIR();
	WINDOW(self->w, WSP_WINDOW_NONBLOCK, 0);
	ASSERT_EQ(0, wsp_async_select(self->s, self->w, 95, WSP_FD_READ));
	EXPECT_EQ(-EINVAL, wsp_event_select(self->s, self->w, WSP_FD_READ));
	ASSERT_EQ(0, wsp_get_registration(self->s, &reg));
	EXPECT_EQ(WSP_REG_ASYNC, reg.kind);
	EXPECT_EQ(95, reg.message);
	EXPECT_EQ(-EINVAL, wsp_event_select(self->c, self->w, WSP_FD_READ));
	ASSERT_EQ(0, wsp_get_registration(self->c, &reg));
	EXPECT_EQ(WSP_REG_NONE, reg.kind);
	EXPECT_EQ(self->start.windows + 1, window_count());
}

TEST_HARNESS_MAIN

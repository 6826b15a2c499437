// SPDX-License-Identifier: GPL-2.0
/*
 * race_test - the socket's one registration under concurrency: processes
 * replacing it through their own descriptors while events fire, replacing
 * it while descriptors are closed and duplicated, enumerating while
 * events arrive, and replacing registrations that asked for the notice to
 * a displaced registrant.
 *
 * Each test runs for a bounded time (RUN_MS of wall time, and an iteration
 * cap per loop), with fixed seeds (WSP_RACE_SEED overrides), and asserts
 * only what must hold whatever the interleaving. Processes start together
 * through pipes; nothing waits on a sleep except the watchdogs.
 */
#include <limits.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "wsp_notify.h"

/* How long a test waits for a condition that should come at once. */
#define WAIT_MS 5000
/* How long each race runs, and how many iterations a loop may make. */
#define RUN_MS 3000
#define ITER_CAP 200000

static uint32_t race_seed(void)
{
	const char *s = getenv("WSP_RACE_SEED");

	return s ? (uint32_t)strtoul(s, NULL, 0) : 0x5eed0004u;
}

/* xorshift32: the same sequence for the same seed. */
static uint32_t next_rand(uint32_t *x)
{
	uint32_t v = *x ? *x : 1;

	v ^= v << 13;
	v ^= v >> 17;
	v ^= v << 5;
	return *x = v;
}

static int fionread(int fd)
{
	int n = 0;

	return ioctl(fd, FIONREAD, &n) < 0 ? -errno : n;
}

/* Receive what is there without waiting: bytes, 0 at EOF, or -errno. */
static long recv_some(int fd, size_t len)
{
	static char buf[8192];

	if (len > sizeof(buf))
		len = sizeof(buf);
	return wsp_recv(fd, buf, len, MSG_DONTWAIT);
}

/*
 * Receive everything there is now: the byte count (maybe 0), -EPIPE at
 * the end of the stream, or another -errno.
 */
static long drain_socket(int fd)
{
	long n, total = 0;

	while ((n = recv_some(fd, 8192)) > 0)
		total += n;
	if (n == 0)
		return -EPIPE;
	return n == -EAGAIN ? total : n;
}

/* Read every queued message off a non-blocking window: how many. */
static long drain_window(int w)
{
	struct wsp_message m[64];
	long total = 0;
	ssize_t n;

	while ((n = read(w, m, sizeof(m))) > 0)
		total += n / sizeof(m[0]);
	return total;
}

/* Reset a non-blocking eventfd: 1 if it was set. */
static int drain_eventfd(int efd)
{
	uint64_t v;

	return read(efd, &v, sizeof(v)) == sizeof(v);
}

/*
 * A start line for the processes of one race: each child reports ready,
 * then waits until the parent closes the "go" pipe.
 */
struct start_line {
	int ready[2];
	int go[2];
};

static int start_line_init(struct start_line *sl)
{
	if (pipe2(sl->ready, O_CLOEXEC))
		return -1;
	return pipe2(sl->go, O_CLOEXEC);
}

/* In a child: say ready and wait for the start; 0, or -1 if none comes. */
static int start_line_wait(struct start_line *sl)
{
	struct pollfd p = { .fd = sl->go[0], .events = POLLIN };
	char c = 'r';

	close(sl->go[1]);
	close(sl->ready[0]);
	if (write(sl->ready[1], &c, 1) != 1)
		return -1;
	close(sl->ready[1]);
	if (poll(&p, 1, 2 * WAIT_MS) != 1)
		return -1;
	return read(sl->go[0], &c, 1) == 0 ? 0 : -1;
}

/* In the parent: wait until @n children are ready; 0 or -1. */
static int start_line_ready(struct start_line *sl, int n)
{
	struct pollfd p = { .fd = sl->ready[0], .events = POLLIN };
	char c;

	close(sl->ready[1]);
	sl->ready[1] = -1;
	while (n > 0) {
		if (poll(&p, 1, WAIT_MS) != 1 || read(sl->ready[0], &c, 1) != 1)
			return -1;
		n--;
	}
	return 0;
}

static void start_line_go(struct start_line *sl)
{
	close(sl->go[1]);
	sl->go[1] = -1;
}

static void start_line_close(struct start_line *sl)
{
	int *fds[] = { &sl->ready[0], &sl->ready[1], &sl->go[0], &sl->go[1] };
	int i;

	for (i = 0; i < 4; i++)
		if (*fds[i] >= 0)
			close(*fds[i]);
}

/*
 * A child receives its duplication on a pipe and redeems it: its new
 * descriptor, or -1.
 */
static int child_redeem(int dev, int from)
{
	struct wsp_protocol_info info;
	struct pollfd p = { .fd = from, .events = POLLIN };

	if (poll(&p, 1, 2 * WAIT_MS) != 1 ||
	    read(from, &info, sizeof(info)) != sizeof(info))
		return -1;
	close(from);
	return wsp_redeem(dev, &info);
}

/*
 * A racing child's start: its descriptor *fd (child_redeem() from @from),
 * an eventfd *efd if @efd is not NULL, then the start line. 0, or the exit
 * code that names the step that failed: 2, 4 or 3.
 */
static int racer_ready(int dev, int from, struct start_line *sl, int *fd,
		       int *efd)
{
	*fd = child_redeem(dev, from);
	if (*fd < 0)
		return 2;
	if (efd) {
		*efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (*efd < 0)
			return 4;
	}
	if (start_line_wait(sl))
		return 3;
	return 0;
}

/* In the parent: duplicate @fd for @pid and send it the record. */
static int send_duplicate(int fd, pid_t pid, int to)
{
	struct wsp_protocol_info info;
	int ret = wsp_duplicate(fd, pid, &info);

	if (ret)
		return ret;
	return write(to, &info, sizeof(info)) == sizeof(info) ? 0 : -EIO;
}

/* A child the fixture's teardown will kill if the test fails first. */
#define KID(slot, pid) do {						\
	ASSERT_LE(0, (pid));						\
	if ((pid) > 0)							\
		self->kids[(slot)] = (pid);				\
} while (0)

/* Reap a child of the fixture: its status, or -1 (see wsp_reap()). */
#define REAP(slot, ms) ({						\
	int __st = wsp_reap(self->kids[(slot)], (ms));			\
	self->kids[(slot)] = 0;						\
	__st;								\
})

/* What the children did, in shared memory, to check that they raced. */
struct race_stats {
	long a_iters, a_messages;
	long b_iters, b_signals;
	long sends, send_bytes;
	long r_iters, c_iters, c_closes;
	pid_t a_pid, b_pid;	/* the notice race's A and B */
	int a_fd;		/* A's descriptor, in A */
	long a_notices, b_notices;
};

static struct race_stats *shared_stats(void)
{
	void *p = mmap(NULL, sizeof(struct race_stats), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

FIXTURE(race) {
	int dev;
	int l, c, s;	/* a TCP listener, client and accepted server */
	struct wsp_counters start;
	struct race_stats *st;
	uint32_t seed;
	pid_t kids[4];	/* children not reaped yet, killed at teardown */
};

FIXTURE_SETUP(race)
{
	int one = 1;

	self->l = self->c = self->s = -1;
	self->st = NULL;
	memset(self->kids, 0, sizeof(self->kids));
	WSP_SETUP_DEVICE(self->dev);
	ASSERT_EQ(0, wsp_read_counters(&self->start));
	ASSERT_LE(0, self->start.windows) TH_LOG("no \"windows\" counter");
	ASSERT_EQ(0, wsp_tcp_pair(self->dev, AF_INET, &self->l, &self->c,
				  &self->s));
	ASSERT_EQ(0, wsp_setsockopt(self->c, IPPROTO_TCP, TCP_NODELAY, &one,
				    sizeof(one)));
	self->st = shared_stats();
	ASSERT_NE(NULL, self->st);
	self->seed = race_seed();
	TH_LOG("seed %#x", self->seed);
}

FIXTURE_TEARDOWN(race)
{
	int *fds[] = { &self->s, &self->c, &self->l, &self->dev };
	int i;

	/* A failed assertion leaves children running: end them. */
	for (i = 0; i < 4; i++) {
		if (self->kids[i] > 0) {
			kill(self->kids[i], SIGKILL);
			waitpid(self->kids[i], NULL, 0);
		}
	}
	for (i = 0; i < (int)(sizeof(fds) / sizeof(fds[0])); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
	if (self->st)
		munmap(self->st, sizeof(*self->st));
}

/* ------------------------------------------------------------------ */
/* 1. Two processes replace the registration while events fire.      */
/* ------------------------------------------------------------------ */

#define A_MESSAGE 0x500
#define A_MASK (WSP_FD_READ | WSP_FD_WRITE | WSP_FD_CLOSE)
#define B_MASK (WSP_FD_READ | WSP_FD_WRITE)
#define FINAL_MESSAGE 0x600

/* Process A: async-select to its window, receive, sometimes read it. */
static int run_a(int dev, int from, struct start_line *sl, int wa,
		 uint32_t seed, struct race_stats *st)
{
	long end, n;
	int fd, i, ret;

	ret = racer_ready(dev, from, sl, &fd, NULL);
	if (ret)
		return ret;
	end = now_ms() + RUN_MS;
	for (i = 0; i < ITER_CAP && now_ms() < end; i++) {
		uint32_t r = next_rand(&seed);

		if (wsp_async_select(fd, wa, A_MESSAGE, r % 8 ? A_MASK : 0))
			return 10;
		n = recv_some(fd, 1 + r % 4096);
		if (n == 0)
			return 11;
		if (n < 0 && n != -EAGAIN)
			return 12;
		if (r % 4 == 0)
			st->a_messages += drain_window(wa);
	}
	st->a_iters = i;
	return 0;
}

/* Process B: event-select to its eventfd, receive, enumerate or reset. */
static int run_b(int dev, int from, struct start_line *sl, int eb,
		 uint32_t seed, struct race_stats *st)
{
	struct wsp_enum_events_args e;
	long end, n;
	int fd, i, ret;

	ret = racer_ready(dev, from, sl, &fd, NULL);
	if (ret)
		return ret;
	end = now_ms() + RUN_MS;
	for (i = 0; i < ITER_CAP && now_ms() < end; i++) {
		uint32_t r = next_rand(&seed);

		if (wsp_event_select(fd, eb, r % 8 ? B_MASK : 0))
			return 20;
		n = recv_some(fd, 1 + r % 4096);
		if (n == 0)
			return 21;
		if (n < 0 && n != -EAGAIN)
			return 22;
		if (wsp_eventfd_is_set(eb))
			st->b_signals++;
		if (r % 4 == 0) {
			drain_eventfd(eb);
		} else if (r % 4 == 1) {
			memset(&e, 0, sizeof(e));
			if (wsp_enum(fd, eb, &e))
				return 23;
		}
	}
	st->b_iters = i;
	return 0;
}

/*
 * The sender: keeps data flowing into the socket, at most about 16 KiB
 * waiting, so that it is all delivered as soon as it is sent.
 */
static int run_sender(int c, int s, struct start_line *sl, uint32_t seed,
		      struct race_stats *st, long run_ms, int stop,
		      size_t max_chunk)
{
	static const char data[1024];
	long end, n;
	int i;

	if (start_line_wait(sl))
		return 3;
	end = now_ms() + run_ms;
	for (i = 0; i < 50 * ITER_CAP && now_ms() < end; i++) {
		uint32_t r = next_rand(&seed);
		int inq = fionread(s);

		if (stop >= 0 && wsp_wait_readable(stop, 0))
			break;
		if (inq < 0)
			return 30;
		if (inq > 16384) {
			sched_yield();
			continue;
		}
		n = wsp_send(c, data, 1 + r % max_chunk, MSG_DONTWAIT);
		if (n < 0 && n != -EAGAIN)
			return 31;
		if (n > 0) {
			st->sends++;
			st->send_bytes += n;
		}
	}
	return 0;
}

/* A racer: A or B of the process races, with its target (window, eventfd). */
typedef int (*racer_fn)(int dev, int from, struct start_line *sl, int target,
			uint32_t seed, struct race_stats *st);

/*
 * Fork A (@run_a, to @wa), B (@run_b, to @eb) and the sender; give A and
 * B each a duplicate of the fixture's server socket, start them at once
 * and reap them: their pids in @a and @b (also in the shared stats, for
 * the notice race), their exit codes in @ra, @rb and @rs.
 */
static void race_a_b_sender(struct __test_metadata *_metadata,
			    FIXTURE_DATA(race) *self, racer_fn run_a,
			    racer_fn run_b, int wa, int eb, pid_t *a,
			    pid_t *b, int *ra, int *rb, int *rs)
{
	struct start_line sl;
	int to_a[2], to_b[2];
	pid_t snd;

	ASSERT_EQ(0, start_line_init(&sl));
	ASSERT_EQ(0, pipe2(to_a, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(to_b, O_CLOEXEC));

	*a = fork();
	KID(0, *a);
	if (*a == 0) {
		close(to_a[1]);
		_exit(run_a(self->dev, to_a[0], &sl, wa, self->seed, self->st));
	}
	*b = fork();
	KID(1, *b);
	if (*b == 0) {
		close(to_b[1]);
		_exit(run_b(self->dev, to_b[0], &sl, eb, self->seed * 3 + 1,
			    self->st));
	}
	snd = fork();
	KID(2, snd);
	if (snd == 0)
		_exit(run_sender(self->c, self->s, &sl, self->seed * 7 + 2,
				 self->st, RUN_MS, -1, 1024));
	self->st->a_pid = *a;
	self->st->b_pid = *b;
	close(to_a[0]);
	close(to_b[0]);
	EXPECT_EQ(0, send_duplicate(self->s, *a, to_a[1]));
	EXPECT_EQ(0, send_duplicate(self->s, *b, to_b[1]));
	close(to_a[1]);
	close(to_b[1]);
	EXPECT_EQ(0, start_line_ready(&sl, 3));
	start_line_go(&sl);

	*ra = REAP(0, RUN_MS + 2 * WAIT_MS);
	*rb = REAP(1, RUN_MS + 2 * WAIT_MS);
	*rs = REAP(2, RUN_MS + 2 * WAIT_MS);
	start_line_close(&sl);
	EXPECT_EQ(0, *ra) TH_LOG("process A failed: %d", *ra);
	EXPECT_EQ(0, *rb) TH_LOG("process B failed: %d", *rb);
	EXPECT_EQ(0, *rs) TH_LOG("the sender failed: %d", *rs);
}

/*
 * A (async-select to its window) and B (event-select to its eventfd)
 * replace the registration of one socket through their own descriptors
 * while a sender keeps data coming and they receive it. Then the parent
 * replaces it once more: that registration, and only it, is the
 * socket's, and the targets A and B named get nothing after it.
 */
static void replace_across_processes(struct __test_metadata *_metadata,
				     FIXTURE_DATA(race) *self,
				     bool final_async)
{
	struct wsp_window_info wi_before, wi_after;
	struct wsp_enum_events_args e;
	struct wsp_registration reg;
	struct wsp_socket_info info;
	struct wsp_counters cnt;
	struct wsp_message m[16];
	pid_t a, b;
	int wa, eb, wf = -1, ef = -1, ra, rb, rs, round, i, n;

	wa = wsp_window(self->dev, WSP_WINDOW_NONBLOCK | WSP_FD_CLOEXEC, 256);
	ASSERT_LE(0, wa);
	eb = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_LE(0, eb);
	race_a_b_sender(_metadata, self, run_a, run_b, wa, eb, &a, &b, &ra, &rb,
			&rs);
	ASSERT_TRUE(ra == 0 && rb == 0 && rs == 0);
	TH_LOG("A %ld iterations, %ld messages read; B %ld iterations, %ld signals; %ld sends, %ld bytes",
	       self->st->a_iters, self->st->a_messages, self->st->b_iters,
	       self->st->b_signals, self->st->sends, self->st->send_bytes);
	EXPECT_LT(0, self->st->a_iters);
	EXPECT_LT(0, self->st->b_iters);
	EXPECT_LT(0, self->st->sends);
	ASSERT_EQ(0, wsp_window_info(wa, &wi_before));
	EXPECT_LT(0, wi_before.posted);

	/*
	 * The children's descriptors were the parent's socket, and went with
	 * them: no socket more, no duplication pending. The registration the
	 * last of them left is still the socket's, whole, although the
	 * descriptor that made it is closed.
	 */
	ASSERT_EQ(0, wsp_info(self->s, &info));
	EXPECT_EQ(0, info.pending_duplicates);
	ASSERT_EQ(0, wsp_read_counters(&cnt));
	EXPECT_EQ(self->start.sockets + 3, cnt.sockets);
	EXPECT_EQ(self->start.pending_duplicates, cnt.pending_duplicates);
	ASSERT_EQ(0, wsp_get_registration(self->s, &reg));
	TH_LOG("left by the children: kind %u mask %#x pid %d (A %d, B %d)",
	       reg.kind, reg.mask, reg.pid, a, b);
	if (reg.kind == WSP_REG_ASYNC) {
		EXPECT_EQ(A_MASK, reg.mask);
		EXPECT_EQ(A_MESSAGE, reg.message);
		EXPECT_EQ((uint64_t)wa, reg.hwnd);
	} else if (reg.kind == WSP_REG_EVENT) {
		EXPECT_EQ(B_MASK, reg.mask);
	} else {
		EXPECT_EQ(WSP_REG_NONE, reg.kind);
		EXPECT_EQ(0, reg.mask);
	}
	EXPECT_EQ(self->start.registrations + (reg.kind != WSP_REG_NONE),
		  cnt.registrations);

	/* The last replacement: the parent's. */
	ASSERT_LE(0, drain_socket(self->s));
	if (final_async) {
		wf = wsp_window(self->dev, WSP_WINDOW_NONBLOCK | WSP_FD_CLOEXEC,
				0);
		ASSERT_LE(0, wf);
		ASSERT_EQ(0, wsp_async_select(self->s, wf, FINAL_MESSAGE,
					      WSP_FD_READ));
	} else {
		ef = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		ASSERT_LE(0, ef);
		ASSERT_EQ(0, wsp_event_select(self->s, ef, WSP_FD_READ));
	}
	ASSERT_EQ(0, wsp_get_registration(self->s, &reg));
	EXPECT_EQ(final_async ? WSP_REG_ASYNC : WSP_REG_EVENT,
		  reg.kind);
	EXPECT_EQ(getpid(), reg.pid);
	EXPECT_EQ(WSP_FD_READ, reg.mask);
	EXPECT_EQ((uint64_t)self->s, reg.descriptor);
	if (final_async) {
		EXPECT_EQ(FINAL_MESSAGE, reg.message);
		EXPECT_EQ((uint64_t)wf, reg.hwnd);
	}

	/* What A's window and B's eventfd got before it, they keep... */
	drain_window(wa);
	drain_eventfd(eb);
	ASSERT_EQ(0, wsp_window_info(wa, &wi_before));
	EXPECT_EQ(0, wi_before.queued);

	/* ...and after it they get nothing, while the new target does. */
	for (round = 0; round < 4; round++) {
		if (final_async) {
			drain_window(wf);
		} else {
			memset(&e, 0, sizeof(e));
			ASSERT_EQ(0, wsp_enum(self->s, ef, &e));
		}
		ASSERT_LE(0, drain_socket(self->s));
		ASSERT_EQ(100, wsp_send(self->c, m, 100, 0));
		ASSERT_TRUE(wsp_wait_readable(self->s, WAIT_MS));
		if (final_async) {
			n = wsp_read_messages(wf, m, 16);
			ASSERT_LE(1, n) TH_LOG("round %d: no message", round);
			for (i = 0; i < n; i++) {
				EXPECT_EQ(FINAL_MESSAGE, m[i].message);
				EXPECT_EQ((uint64_t)wf, m[i].hwnd);
				EXPECT_EQ((uint64_t)self->s, m[i].wparam);
				EXPECT_EQ(WSP_FD_READ, WSP_MSG_EVENT(&m[i]));
				EXPECT_EQ(0, WSP_MSG_ERROR(&m[i]));
			}
		} else {
			ASSERT_TRUE(wsp_eventfd_is_set(ef))
				TH_LOG("round %d: not signalled", round);
			memset(&e, 0, sizeof(e));
			ASSERT_EQ(0, wsp_enum(self->s, -1, &e));
			EXPECT_EQ(WSP_FD_READ, e.network_events);
		}
		ASSERT_EQ(0, wsp_window_info(wa, &wi_after));
		EXPECT_EQ(wi_before.posted, wi_after.posted)
			TH_LOG("round %d: A's replaced window got %llu posts",
			       round, (unsigned long long)
			       (wi_after.posted - wi_before.posted));
		EXPECT_EQ(0, wi_after.queued);
		EXPECT_FALSE(wsp_eventfd_is_set(eb))
			TH_LOG("round %d: B's replaced eventfd signalled",
			       round);
	}

	ASSERT_EQ(0, wsp_get_registration(self->s, &reg));
	EXPECT_EQ(getpid(), reg.pid);
	EXPECT_EQ(final_async ? WSP_REG_ASYNC : WSP_REG_EVENT,
		  reg.kind);
	close(wa);
	close(eb);
	if (wf >= 0)
		close(wf);
	if (ef >= 0)
		close(ef);
}

TEST_F(race, replace_across_processes_final_event_select)
{
	replace_across_processes(_metadata, self, false);
}

TEST_F(race, replace_across_processes_final_async_select)
{
	replace_across_processes(_metadata, self, true);
}

/* ------------------------------------------------------------------ */
/* 2. Replacement racing with close and duplication.                  */
/* ------------------------------------------------------------------ */

/*
 * Process R: replaces the registration through its descriptor, with
 * windows it makes and closes (sometimes while they are registered),
 * its eventfd, or nothing; and receives.
 */
static int run_replacer(int dev, int from, struct start_line *sl,
			uint32_t seed, struct race_stats *st)
{
	int fd, i, w = -1, nw, efd, ret;
	long end, n;

	ret = racer_ready(dev, from, sl, &fd, &efd);
	if (ret)
		return ret;
	end = now_ms() + RUN_MS;
	for (i = 0; i < ITER_CAP && now_ms() < end; i++) {
		uint32_t r = next_rand(&seed);

		switch (r % 4) {
		case 0:
		case 1:
			nw = w;
			if (w < 0 || r % 16 == 0) {
				nw = wsp_window(dev, WSP_WINDOW_NONBLOCK |
						WSP_FD_CLOEXEC, 1 + r % 8);
				if (nw < 0)
					return 40;
			}
			if (wsp_async_select(fd, nw, 1, A_MASK))
				return 41;
			if (nw != w && w >= 0)
				close(w);
			w = nw;
			if (r % 3 == 0) {
				/* Closed while the registration names it. */
				close(w);
				w = -1;
			} else if (r % 5 == 0) {
				drain_window(w);
			}
			break;
		case 2:
			if (wsp_event_select(fd, efd, B_MASK))
				return 42;
			drain_eventfd(efd);
			break;
		default:
			if (wsp_async_select(fd, -1, 0, 0))
				return 43;
		}
		n = recv_some(fd, 1 + r % 8192);
		if (n == 0)
			return 44;
		if (n < 0 && n != -EAGAIN)
			return 45;
	}
	st->r_iters = i;
	return 0;
}

/*
 * Process C: closes its descriptor and duplicates a new one, keeps some
 * duplications pending and redeems them later, registers through its
 * descriptor with a window it closes at once, or through a dup(2) of it
 * that it closes.
 */
static int run_closer(int dev, int from, struct start_line *sl,
		      uint32_t seed, struct race_stats *st)
{
	struct wsp_protocol_info tok[8], info;
	int fd, nfd, i, ntok = 0, wc, d2, efd, ret;
	long end;

	ret = racer_ready(dev, from, sl, &fd, &efd);
	if (ret)
		return ret;
	end = now_ms() + RUN_MS;
	for (i = 0; i < ITER_CAP && now_ms() < end; i++) {
		uint32_t r = next_rand(&seed);

		switch (r % 5) {
		case 0:		/* close, and duplicate anew */
			ret = wsp_duplicate(fd, getpid(), &info);
			if (ret)
				return 50;
			nfd = wsp_redeem(dev, &info);
			if (nfd < 0)
				return 51;
			close(fd);
			fd = nfd;
			st->c_closes++;
			break;
		case 1:		/* a duplication left pending */
			if (ntok == 8)
				break;
			if (wsp_duplicate(fd, getpid(), &tok[ntok]))
				return 52;
			ntok++;
			break;
		case 2:		/* a pending one redeemed, the old one closed */
			if (!ntok)
				break;
			nfd = wsp_redeem(dev, &tok[--ntok]);
			if (nfd < 0)
				return 53;
			close(fd);
			fd = nfd;
			st->c_closes++;
			break;
		case 3:		/* a registration naming a closed window */
			wc = wsp_window(dev, WSP_WINDOW_NONBLOCK |
					WSP_FD_CLOEXEC, 4);
			if (wc < 0)
				return 54;
			if (wsp_async_select(fd, wc, 2, A_MASK))
				return 55;
			close(wc);
			break;
		default:	/* through a dup(2), closed at once */
			d2 = dup(fd);
			if (d2 < 0)
				return 56;
			if (wsp_event_select(d2, efd, B_MASK))
				return 57;
			close(d2);
			drain_eventfd(efd);
		}
	}
	st->c_iters = i;
	/* Exits with up to 8 duplications pending: they go with it. */
	return 0;
}

/*
 * R replaces the registration while C closes and re-duplicates
 * descriptors of the same socket and the parent sends to it; the parent
 * has closed its own descriptor, so the socket goes with the last of
 * theirs. Everything is freed at the end.
 */
TEST_F(race, replace_while_closing)
{
	static const char data[512];
	struct wsp_counters got;
	struct start_line sl;
	int to_r[2], to_c[2], rr, rc;
	pid_t r, c;
	long end, i, sent = 0;
	uint32_t seed = self->seed;

	ASSERT_EQ(0, start_line_init(&sl));
	ASSERT_EQ(0, pipe2(to_r, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(to_c, O_CLOEXEC));
	r = fork();
	KID(0, r);
	if (r == 0) {
		close(to_r[1]);
		_exit(run_replacer(self->dev, to_r[0], &sl, self->seed + 11,
				   self->st));
	}
	c = fork();
	KID(1, c);
	if (c == 0) {
		close(to_c[1]);
		_exit(run_closer(self->dev, to_c[0], &sl, self->seed + 12,
				 self->st));
	}
	close(to_r[0]);
	close(to_c[0]);
	EXPECT_EQ(0, send_duplicate(self->s, r, to_r[1]));
	EXPECT_EQ(0, send_duplicate(self->s, c, to_c[1]));
	close(to_r[1]);
	close(to_c[1]);
	EXPECT_EQ(0, start_line_ready(&sl, 2));
	/* The socket is theirs alone now. */
	close(self->s);
	self->s = -1;
	start_line_go(&sl);

	end = now_ms() + RUN_MS;
	for (i = 0; i < 50 * ITER_CAP && now_ms() < end; i++) {
		long n = wsp_send(self->c, data,
				  1 + next_rand(&seed) % sizeof(data),
				  MSG_DONTWAIT);

		if (n > 0)
			sent += n;
		else if (n == -EAGAIN)
			sched_yield();
		else
			break;
	}
	rr = REAP(0, 2 * WAIT_MS);
	rc = REAP(1, 2 * WAIT_MS);
	start_line_close(&sl);
	EXPECT_EQ(0, rr) TH_LOG("process R failed: %d", rr);
	EXPECT_EQ(0, rc) TH_LOG("process C failed: %d", rc);
	TH_LOG("R %ld iterations; C %ld iterations, %ld closes; %ld bytes sent",
	       self->st->r_iters, self->st->c_iters, self->st->c_closes, sent);
	EXPECT_LT(0, self->st->r_iters);
	EXPECT_LT(0, self->st->c_closes);
	EXPECT_LT(0, sent);

	close(self->c);
	self->c = -1;
	close(self->l);
	self->l = -1;
	EXPECT_EQ(0, wsp_await_counters(&self->start, &got, WAIT_MS))
		TH_LOG("counters: " WSP_COUNTERS_FMT,
		       WSP_COUNTERS_ARGS(got, self->start));
}

/* ------------------------------------------------------------------ */
/* 3. Enumeration racing with events.                                 */
/* ------------------------------------------------------------------ */

/*
 * An event-select registration for FD_READ, a sender that keeps data
 * coming, and a loop that waits on the eventfd, enumerates (resetting the
 * eventfd in the same step) and receives a random amount; half the time it
 * enumerates again at once instead of waiting. Since data keeps coming,
 * every wait must end with the eventfd signalled: an event that arrives
 * while enumeration resets the eventfd is either reported by it or
 * signals again. And a wake has FD_READ recorded, unless the receive
 * before it left nothing to read: a receive that leaves data re-reports
 * FD_READ (signalling), and a later one that drains the socket drops it
 * from the record again, leaving the eventfd signalled (as Windows leaves
 * its event object). Between waits
 * the loop also enumerates without waiting, and checks the same rule
 * directly: FD_READ recorded since the last enumeration means signalled.
 */
TEST_F(race, enum_while_events_arrive)
{
	struct wsp_enum_events_args e;
	struct start_line sl;
	int efd, stop[2], rs, i;
	long end, waits = 0, reads = 0, bytes = 0, checks = 0, n;
	uint32_t seed = self->seed + 21;
	struct wsp_registration reg;
	bool need_wait = true, drained = false;
	pid_t snd;

	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_LE(0, efd);
	ASSERT_EQ(0, pipe2(stop, O_CLOEXEC));
	ASSERT_EQ(0, start_line_init(&sl));
	ASSERT_EQ(0, wsp_event_select(self->s, efd, WSP_FD_READ));
	EXPECT_FALSE(wsp_eventfd_is_set(efd));

	snd = fork();
	KID(0, snd);
	if (snd == 0) {
		close(stop[1]);
		/* Until stopped; the time is only a safety net. */
		_exit(run_sender(self->c, self->s, &sl, self->seed + 22,
				 self->st, RUN_MS + 2 * WAIT_MS, stop[0], 64));
	}
	close(stop[0]);
	EXPECT_EQ(0, start_line_ready(&sl, 1));
	start_line_go(&sl);

	end = now_ms() + RUN_MS;
	for (i = 0; i < ITER_CAP && now_ms() < end; i++) {
		uint32_t r = next_rand(&seed);

		if (need_wait) {
			int woke = wsp_wait_readable(efd, WAIT_MS);

			EXPECT_TRUE(woke)
				TH_LOG("iteration %d: no signal in %d ms, %d bytes readable",
				       i, WAIT_MS, fionread(self->s));
			if (!woke)
				break;
			waits++;
		}
		memset(&e, 0, sizeof(e));
		e.errors[WSP_FD_READ_BIT] = -1;
		ASSERT_EQ(0, wsp_enum(self->s, efd, &e));
		if (need_wait && !drained) {
			/* The signal came with the event recorded. */
			EXPECT_EQ(WSP_FD_READ, e.network_events)
				TH_LOG("iteration %d", i);
		}
		drained = false;
		if (!(e.network_events & WSP_FD_READ)) {
			/*
			 * Nothing reported: the next event must signal.
			 * Mostly, look instead of waiting: an event recorded
			 * since the enumeration has signalled (only
			 * enumeration resets the eventfd); then enumerate
			 * again at once.
			 */
			need_wait = r % 64 == 0;
			if (need_wait)
				continue;
			ASSERT_EQ(0, wsp_get_registration(self->s, &reg));
			checks++;
			if (reg.recorded & WSP_FD_READ) {
				ASSERT_TRUE(wsp_eventfd_is_set(efd))
					TH_LOG("iteration %d: FD_READ recorded after the enumeration, eventfd not signalled",
					       i);
			}
			continue;
		}
		EXPECT_EQ(0, e.errors[WSP_FD_READ_BIT]);
		/*
		 * Receive some, or all there is (FD_READ is then re-armed
		 * with nothing to read, so that the next enumeration races
		 * with the next arrival); then wait, or enumerate at once.
		 */
		if (r & 1) {
			n = drain_socket(self->s);
			ASSERT_LE(0, n) TH_LOG("recv %ld", n);
		} else {
			n = recv_some(self->s, 1 + (r >> 1) % 8192);
			ASSERT_NE(0, n);
			ASSERT_TRUE(n > 0 || n == -EAGAIN) TH_LOG("recv %ld", n);
		}
		if (n > 0) {
			reads++;
			bytes += n;
		}
		drained = fionread(self->s) == 0;
		need_wait = (r & 0x700) == 0;
	}
	/* A byte, not just EOF: a pipe's hangup is no POLLIN. */
	EXPECT_EQ(1, write(stop[1], "s", 1));
	close(stop[1]);
	rs = REAP(0, 2 * WAIT_MS);
	start_line_close(&sl);
	EXPECT_EQ(0, rs) TH_LOG("the sender failed: %d", rs);
	TH_LOG("%d iterations, %ld waits, %ld checks, %ld reads, %ld bytes; %ld sends",
	       i, waits, checks, reads, bytes, self->st->sends);
	EXPECT_LT(10, waits);
	EXPECT_LT(0, bytes);
	close(efd);
}

/*
 * Regression (found by stress_test): an accepted socket's callbacks are
 * hooked before it inherits its listener's registration; data arriving in
 * between saw an event-select registration without its eventfd and
 * crashed in softirq. Accept, for a bounded number of rounds, while the
 * peer of each new connection is already sending. Under async-select,
 * every other accepted socket is async-selected through its descriptor at
 * once, as libwsp's WSPAccept does: the inherited registration that posts
 * nothing becomes one that posts, while data arrives.
 */
#define ACCEPT_ROUNDS 1000

/*
 * Connect, then send one byte at a time until the accepting side closes
 * the connection (or a cap): data keeps arriving while it is accepted.
 */
static int blast_connections(int dev, const struct test_addr *addr)
{
	struct test_addr a = *addr;
	int i, j, c;
	long n;

	for (i = 0; i < ACCEPT_ROUNDS; i++) {
		c = wsp_socket(dev, AF_INET, SOCK_STREAM, 0, 0);
		if (c < 0 || wsp_connect(c, &a))
			return 1;
		for (j = 0; j < 20000; j++) {
			n = wsp_send(c, "x", 1, MSG_DONTWAIT);
			if (n < 0 && n != -EAGAIN)
				break;
		}
		close(c);
	}
	return 0;
}

static void accept_under_traffic(struct __test_metadata *_metadata,
				 int dev, bool async)
{
	struct wsp_enum_events_args en;
	struct test_addr addr;
	int l, efd, w = -1, i, s, status;
	long deadline;
	pid_t child;

	l = wsp_socket(dev, AF_INET, SOCK_STREAM, 0, 0);
	ASSERT_LE(0, l);
	wsp_loopback(&addr, AF_INET, 0);
	ASSERT_EQ(0, wsp_bind(l, &addr));
	ASSERT_EQ(0, wsp_listen(l, 64));
	ASSERT_EQ(0, wsp_getsockname(l, &addr));
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_LE(0, efd);
	if (async) {
		w = wsp_window(dev, WSP_WINDOW_NONBLOCK, 16);
		ASSERT_LE(0, w);
		ASSERT_EQ(0, wsp_async_select(l, w, 1, WSP_FD_ALL_EVENTS));
	} else {
		ASSERT_EQ(0, wsp_event_select(l, efd, WSP_FD_ALL_EVENTS));
	}

	child = fork();
	ASSERT_LE(0, child);
	if (child == 0)
		_exit(blast_connections(dev, &addr));

	deadline = now_ms() + 60000;
	for (i = 0; i < ACCEPT_ROUNDS && now_ms() < deadline; i++) {
		ASSERT_EQ(POLLIN, poll1(l, POLLIN, WAIT_MS) & POLLIN);
		s = wsp_accept(l, NULL);
		ASSERT_LE(0, s);
		if (async && (i & 1))
			EXPECT_EQ(0, wsp_async_select(s, w, 2,
						      WSP_FD_ALL_EVENTS));
		close(s);
		if (!async)
			wsp_enum(l, efd, &en);
	}
	EXPECT_EQ(ACCEPT_ROUNDS, i);
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	if (w >= 0)
		close(w);
	close(efd);
	close(l);
}

TEST_F(race, accept_inherits_event_select_under_traffic)
{
	accept_under_traffic(_metadata, self->dev, false);
}

TEST_F(race, accept_inherits_async_select_under_traffic)
{
	accept_under_traffic(_metadata, self->dev, true);
}

/* ------------------------------------------------------------------ */
/* 5. Registrations that asked for the notice, replaced concurrently. */
/* ------------------------------------------------------------------ */

#define NOTIFY WSP_SELECT_NOTIFY_DISPLACED

/*
 * A's window, read now: 0, or the exit code of what was wrong. A notice
 * must name A's descriptor and message, with no error, and B as the
 * displacing process (only B replaces A's registrations); every other
 * message is one event of A's mask.
 */
static int check_a_window(int wa, int fd, struct race_stats *st)
{
	struct wsp_message m[16];
	int i, n;

	n = wsp_read_messages(wa, m, 16);
	for (i = 0; i < n; i++) {
		if (m[i].message != A_MESSAGE || m[i].wparam != (uint64_t)fd)
			return 41;
		if (m[i].event == WSP_FD_DISPLACED) {
			if (m[i].error || m[i].pid != st->b_pid)
				return 42;
			st->a_notices++;
		} else if (!m[i].event || (m[i].event & (m[i].event - 1)) ||
			   (m[i].event & ~A_MASK) || m[i].pid) {
			return 43;
		}
	}
	return 0;
}

/* Process A: async-select asking for the notice, receive, read. */
static int run_notice_a(int dev, int from, struct start_line *sl, int wa,
			uint32_t seed, struct race_stats *st)
{
	long end, n;
	int fd, i, ret;

	fd = child_redeem(dev, from);
	if (fd < 0)
		return 2;
	st->a_fd = fd;
	if (start_line_wait(sl))
		return 3;
	end = now_ms() + RUN_MS;
	for (i = 0; i < ITER_CAP && now_ms() < end; i++) {
		uint32_t r = next_rand(&seed);

		if (wsp_async_select_flags(fd, wa, A_MESSAGE,
					   r % 8 ? A_MASK : 0, NOTIFY))
			return 40;
		n = recv_some(fd, 1 + r % 4096);
		if (n == 0)
			return 44;
		if (n < 0 && n != -EAGAIN)
			return 45;
		if (r % 2 == 0) {
			ret = check_a_window(wa, fd, st);
			if (ret)
				return ret;
		}
	}
	st->a_iters = i;
	return check_a_window(wa, fd, st);
}

/*
 * Process B: enumerate (a notice there must be alone and name A and its
 * descriptor), then event-select asking for the notice again.
 */
static int run_notice_b(int dev, int from, struct start_line *sl, int eb,
			uint32_t seed, struct race_stats *st)
{
	struct wsp_enum_events_args e;
	long end, n;
	int fd, i, ret;

	ret = racer_ready(dev, from, sl, &fd, NULL);
	if (ret)
		return ret;
	end = now_ms() + RUN_MS;
	for (i = 0; i < ITER_CAP && now_ms() < end; i++) {
		uint32_t r = next_rand(&seed);

		if (r % 2 == 0) {
			memset(&e, 0, sizeof(e));
			if (wsp_enum(fd, eb, &e))
				return 50;
			if (e.network_events & WSP_FD_DISPLACED) {
				if (e.network_events != WSP_FD_DISPLACED ||
				    e.displaced_pid != st->a_pid ||
				    e.displaced_descriptor !=
				    (uint64_t)st->a_fd)
					return 51;
				st->b_notices++;
			}
		}
		if (wsp_event_select_flags(fd, eb, r % 8 ? B_MASK : 0, NOTIFY))
			return 52;
		n = recv_some(fd, 1 + r % 4096);
		if (n == 0)
			return 53;
		if (n < 0 && n != -EAGAIN)
			return 54;
	}
	st->b_iters = i;
	return 0;
}

/*
 * A (async-select) and B (event-select), each asking for the notice,
 * replace each other's registration of one socket through their own
 * descriptors while data keeps coming: every notice names the other
 * process and its descriptor, and nothing else arrives mixed with it.
 * The debug kernel's kmemleak and lockdep watch the notices' references.
 */
TEST_F(race, noticed_registrations_replaced_across_processes)
{
	int wa, eb, ra, rb, rs;
	pid_t a, b;

	wa = wsp_window(self->dev, WSP_WINDOW_NONBLOCK | WSP_FD_CLOEXEC, 256);
	ASSERT_LE(0, wa);
	eb = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_LE(0, eb);
	race_a_b_sender(_metadata, self, run_notice_a, run_notice_b, wa, eb, &a,
			&b, &ra, &rb, &rs);
	TH_LOG("A %ld iterations, %ld notices; B %ld iterations, %ld notices; %ld sends",
	       self->st->a_iters, self->st->a_notices, self->st->b_iters,
	       self->st->b_notices, self->st->sends);
	EXPECT_LT(0, self->st->a_iters);
	EXPECT_LT(0, self->st->b_iters);
	EXPECT_LT(0, self->st->a_notices + self->st->b_notices);

	/* The parent's cancel ends it; the notices go with the socket. */
	EXPECT_EQ(0, wsp_event_select(self->s, -1, 0));
	close(wa);
	close(eb);
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/*
 * displaced_test - the opt-in notice to a displaced registrant, a wspshare
 * extension: a registration made with WSP_SELECT_NOTIFY_DISPLACED is told
 * once (WSP_FD_DISPLACED) when a later event-select or async-select, from
 * another descriptor or another process, replaces or cancels it.
 *
 * Timing: a notice is given inside the replacing call, so once that call
 * has returned (in this process, or in a child that then answers over a
 * pipe) the eventfd is signalled or the message queued: every check is
 * made with a zero timeout, after the call.
 *
 * Every enumeration passes the new trailing fields filled with sentinels:
 * the module must leave them alone unless it reports the notice (a module
 * without them refuses the struct with E2BIG).
 */
#include <fcntl.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "wsp_notify.h"

#define NOTIFY WSP_SELECT_NOTIFY_DISPLACED

/* The message numbers the tests register (WM_USER + n). */
#define MSG_A 0x0401
#define MSG_B 0x0402

/* What the tests put into fields the module must not write. */
#define SENTINEL (-7)
#define SENTINEL_DESC 0x5e5e5e5e5e5e5e5eULL

#define NEFD 6
#define NDUP 6

/* ABI 2's first struct wsp_enum_events_args: 56 bytes, no displaced_*. */
struct enum_v1 {
	__u32 flags;
	__s32 eventfd;
	__u32 network_events;
	__u32 __reserved;
	__s32 errors[WSP_FD_MAX_EVENTS];
};

#define WSP_IOC_ENUM_EVENTS_V1 _IOWR(WSP_IOC_MAGIC, 0x32, struct enum_v1)

/*
 * Enumerate through @fd resetting @efd (or -1), with every output slot
 * the module must not write unless it reports into it prefilled.
 */
static int enum_notice(int fd, int efd, struct wsp_enum_events_args *a)
{
	int i;

	memset(a, 0, sizeof(*a));
	for (i = 0; i < WSP_FD_MAX_EVENTS; i++)
		a->errors[i] = SENTINEL;
	a->displaced_pid = SENTINEL;
	a->displaced_descriptor = SENTINEL_DESC;
	return wsp_enum(fd, efd, a);
}

/* The bits enumerated through @fd with @efd, or ~0u on error. */
static unsigned int enum_bits(int fd, int efd)
{
	struct wsp_enum_events_args a;

	return enum_notice(fd, efd, &a) ? ~0u : a.network_events;
}

static long window_count(int win, int dropped)
{
	struct wsp_window_info i;

	if (wsp_window_info(win, &i))
		return -1;
	return dropped ? (long)i.dropped : (long)i.queued;
}

/* Expect exactly the notice @a reports: from @who through @desc. */
#define EXPECT_NOTICE(a, who, desc) do {				\
	EXPECT_EQ(WSP_FD_DISPLACED, (a)->network_events);		\
	EXPECT_EQ((__s32)(who), (a)->displaced_pid);			\
	EXPECT_EQ((__u64)(desc), (a)->displaced_descriptor);		\
} while (0)

/*
 * A's registration, in a test: event-select FD_READ through s to efd[0],
 * asking for the notice.
 */
#define EVENT_SELECT_S_NOTIFY()						\
	ASSERT_EQ(0, wsp_event_select_flags(self->s, self->efd[0],	\
					    WSP_FD_READ, NOTIFY))

/* Enumerate s with efd[0] into @a: exactly the notice @who/@desc. */
#define EXPECT_S_NOTICE(a, who, desc) do {				\
	ASSERT_EQ(0, enum_notice(self->s, self->efd[0], (a)));		\
	EXPECT_NOTICE((a), (who), (desc));				\
} while (0)

/* Expect the displaced message @m: @w/@msgno/@desc, from @who. */
#define EXPECT_NOTICE_MSG(m, w, msgno, desc, who) do {			\
	EXPECT_EQ((__u64)(w), (m)->hwnd);				\
	EXPECT_EQ((__u32)(msgno), (m)->message);			\
	EXPECT_EQ((__u32)WSP_FD_DISPLACED, (m)->event);			\
	EXPECT_EQ((__u64)(desc), (m)->wparam);				\
	EXPECT_EQ(0, (m)->error);					\
	EXPECT_EQ((__s32)(who), (m)->pid);				\
} while (0)

/*
 * A's registration, in a test: async-select FD_READ through s to win
 * with MSG_A, asking for the notice.
 */
#define ASYNC_SELECT_S_NOTIFY()						\
	ASSERT_EQ(0, wsp_async_select_flags(self->s, self->win, MSG_A,	\
					    WSP_FD_READ, NOTIFY))

/* Read win into @m: exactly one message, A's notice, from @who. */
#define EXPECT_WIN_NOTICE(m, who) do {					\
	ASSERT_EQ(1, wsp_read_messages(self->win, (m), 4));		\
	EXPECT_NOTICE_MSG(&(m)[0], self->win, MSG_A, self->s, (who));	\
} while (0)

FIXTURE(displaced) {
	int dev;
	int l, c, s;		/* a TCP listener, client and accepted server */
	int efd[NEFD];		/* eventfds, non-blocking */
	int win, win2;		/* windows, non-blocking */
	int d[NDUP];		/* more descriptors of s (dup), or other fds */
	int p2c[2], c2p[2];	/* pipes to and from a child */
	pid_t child;
};

FIXTURE_SETUP(displaced)
{
	int i;

	self->l = self->c = self->s = self->win = self->win2 = -1;
	self->p2c[0] = self->p2c[1] = self->c2p[0] = self->c2p[1] = -1;
	for (i = 0; i < NEFD; i++)
		self->efd[i] = -1;
	for (i = 0; i < NDUP; i++)
		self->d[i] = -1;
	self->child = 0;
	WSP_SETUP_DEVICE(self->dev);
	for (i = 0; i < NEFD; i++) {
		self->efd[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		ASSERT_LE(0, self->efd[i]);
	}
	ASSERT_EQ(0, wsp_window_pair(self->dev, &self->win, &self->win2));
	ASSERT_EQ(0, wsp_tcp_pair(self->dev, AF_INET, &self->l, &self->c,
				  &self->s));
	/* Other descriptors of the one socket, in this process. */
	for (i = 0; i < NDUP; i++) {
		self->d[i] = fcntl(self->s, F_DUPFD_CLOEXEC, 0);
		ASSERT_LE(0, self->d[i]);
	}
	ASSERT_EQ(0, pipe2(self->p2c, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(self->c2p, O_CLOEXEC));
}

FIXTURE_TEARDOWN(displaced)
{
	int i;

	if (self->child > 0) {
		kill(self->child, SIGKILL);
		waitpid(self->child, NULL, 0);
	}
	for (i = 0; i < NDUP; i++)
		if (self->d[i] >= 0)
			close(self->d[i]);
	for (i = 0; i < NEFD; i++)
		if (self->efd[i] >= 0)
			close(self->efd[i]);
	for (i = 0; i < 2; i++) {
		if (self->p2c[i] >= 0)
			close(self->p2c[i]);
		if (self->c2p[i] >= 0)
			close(self->c2p[i]);
	}
	if (self->s >= 0)
		close(self->s);
	if (self->c >= 0)
		close(self->c);
	if (self->l >= 0)
		close(self->l);
	if (self->win2 >= 0)
		close(self->win2);
	if (self->win >= 0)
		close(self->win);
	if (self->dev >= 0)
		close(self->dev);
}

/* Wait for the child; EXPECT it exited with 0. */
#define REAP_CHILD() do {						\
	int __st = wsp_reap(self->child, 10000);			\
	self->child = 0;						\
	EXPECT_EQ(0, __st) TH_LOG("child failed at step %d", __st);	\
} while (0)

/*
 * Tell the child in self->child to go on, and wait for its answer: an
 * int (a descriptor number, or 0).
 */
static int child_step(int to, int from, int *answer)
{
	char go = 'g';

	if (write(to, &go, 1) != 1)
		return -1;
	return read(from, answer, sizeof(*answer)) == sizeof(*answer) ? 0 : -1;
}

/* In a child: wait for the parent's go; 0, or -1 at end of file. */
static int child_wait(int from)
{
	char go;

	return read(from, &go, 1) == 1 ? 0 : -1;
}

/* ------------------------------------------------------------------ */
/* Event-select: the eventfd is signalled, enumeration says who.      */
/* ------------------------------------------------------------------ */

/* Another descriptor of the same process replaces it: told, once. */
TEST_F(displaced, event_notice_to_other_descriptor_same_process)
{
	struct wsp_enum_events_args a;

	EVENT_SELECT_S_NOTIFY();
	ASSERT_FALSE(wsp_eventfd_is_set(self->efd[0]));
	ASSERT_EQ(0, wsp_event_select(self->d[0], self->efd[1], WSP_FD_WRITE));

	EXPECT_TRUE(wsp_eventfd_is_set(self->efd[0]));
	EXPECT_S_NOTICE(&a, getpid(), self->d[0]);
	EXPECT_FALSE(wsp_eventfd_is_set(self->efd[0]))
		TH_LOG("the enumeration resets the eventfd it names");
	/* Reported once. */
	EXPECT_EQ(0, enum_bits(self->s, self->efd[0]) & WSP_FD_DISPLACED);
}

/* The errors[] slots are not written by a notice. */
TEST_F(displaced, event_notice_writes_no_error_slot)
{
	struct wsp_enum_events_args a;
	int i;

	EVENT_SELECT_S_NOTIFY();
	ASSERT_EQ(0, wsp_event_select(self->d[0], self->efd[1], WSP_FD_WRITE));
	ASSERT_EQ(0, enum_notice(self->s, self->efd[0], &a));
	ASSERT_EQ(WSP_FD_DISPLACED, a.network_events);
	for (i = 0; i < WSP_FD_MAX_EVENTS; i++)
		EXPECT_EQ(SENTINEL, a.errors[i]) TH_LOG("slot %d", i);
}

/*
 * A child (another process) registers through the descriptor number it
 * inherited, the very number the parent registered through: told, with
 * the child's pid.
 */
TEST_F(displaced, event_notice_to_other_process_same_number)
{
	struct wsp_enum_events_args a;
	int answer;

	EVENT_SELECT_S_NOTIFY();
	self->child = fork();
	ASSERT_LE(0, self->child);
	if (self->child == 0) {
		int efd = eventfd(0, EFD_CLOEXEC), ok = self->s;

		if (child_wait(self->p2c[0]) ||
		    wsp_event_select(self->s, efd, WSP_FD_WRITE))
			_exit(1);
		if (write(self->c2p[1], &ok, sizeof(ok)) != sizeof(ok))
			_exit(2);
		_exit(child_wait(self->p2c[0]) ? 3 : 0);
	}
	ASSERT_EQ(0, child_step(self->p2c[1], self->c2p[0], &answer));

	EXPECT_TRUE(wsp_eventfd_is_set(self->efd[0]));
	EXPECT_S_NOTICE(&a, self->child, self->s);
	ASSERT_EQ(1, write(self->p2c[1], "x", 1));
	REAP_CHILD();
}

/*
 * Fork self->child: it redeems the duplication of s the parent sends it,
 * registers through the new descriptor (@async: async-select FD_READ to
 * a window of its own with MSG_B; else event-select FD_WRITE to an
 * eventfd of its own), answers that descriptor's number, which lands in
 * *@bfd, and waits for the parent's go.
 */
static void redeeming_child(struct __test_metadata *_metadata,
			    FIXTURE_DATA(displaced) *self, int async, int *bfd)
{
	struct wsp_protocol_info info;

	self->child = fork();
	ASSERT_LE(0, self->child);
	if (self->child == 0) {
		int efd = async ? -1 : eventfd(0, EFD_CLOEXEC), win, fd;

		if (read(self->p2c[0], &info, sizeof(info)) != sizeof(info))
			_exit(1);
		/* A new number: the child has all of the parent's. */
		fd = wsp_redeem(self->dev, &info);
		if (fd < 0)
			_exit(2);
		if (async) {
			win = wsp_window(self->dev, WSP_WINDOW_NONBLOCK, 0);
			if (win < 0 ||
			    wsp_async_select(fd, win, MSG_B, WSP_FD_READ))
				_exit(3);
		} else if (wsp_event_select(fd, efd, WSP_FD_WRITE)) {
			_exit(3);
		}
		if (write(self->c2p[1], &fd, sizeof(fd)) != sizeof(fd))
			_exit(4);
		_exit(child_wait(self->p2c[0]) ? 5 : 0);
	}
	ASSERT_EQ(0, wsp_duplicate(self->s, self->child, &info));
	ASSERT_EQ(sizeof(info), write(self->p2c[1], &info, sizeof(info)));
	ASSERT_EQ(sizeof(*bfd), read(self->c2p[0], bfd, sizeof(*bfd)));
}

/* A child that redeemed a duplication registers: told. */
TEST_F(displaced, event_notice_to_other_process_redeemed)
{
	struct wsp_enum_events_args a;
	int bfd;

	EVENT_SELECT_S_NOTIFY();
	redeeming_child(_metadata, self, 0, &bfd);

	EXPECT_S_NOTICE(&a, self->child, bfd);
	ASSERT_EQ(1, write(self->p2c[1], "x", 1));
	REAP_CHILD();
}

/* Without the flag: silent, as in Windows, and nothing is kept. */
TEST_F(displaced, event_no_notice_without_flag)
{
	struct wsp_enum_events_args a;

	ASSERT_EQ(0, wsp_event_select(self->s, self->efd[0], WSP_FD_READ));
	ASSERT_EQ(0, wsp_event_select(self->d[0], self->efd[1], WSP_FD_READ));
	EXPECT_FALSE(wsp_eventfd_is_set(self->efd[0]));
	ASSERT_EQ(0, enum_notice(self->s, self->efd[0], &a));
	EXPECT_EQ(0, a.network_events);
	EXPECT_EQ(SENTINEL, a.displaced_pid);
	EXPECT_EQ(SENTINEL_DESC, a.displaced_descriptor);
}

/* Its own process through its own descriptor replaces it: no notice. */
TEST_F(displaced, event_no_notice_to_own_replacement)
{
	EVENT_SELECT_S_NOTIFY();
	ASSERT_EQ(0, wsp_event_select(self->s, self->efd[1], WSP_FD_READ));
	EXPECT_FALSE(wsp_eventfd_is_set(self->efd[0]));
	EXPECT_EQ(0, enum_bits(self->s, self->efd[0]));
}

/* A cancel (mask 0) through another descriptor is a replacement. */
TEST_F(displaced, event_notice_on_cancel)
{
	struct wsp_enum_events_args a;

	EVENT_SELECT_S_NOTIFY();
	ASSERT_EQ(0, wsp_event_select(self->d[0], -1, 0));
	EXPECT_TRUE(wsp_eventfd_is_set(self->efd[0]));
	EXPECT_S_NOTICE(&a, getpid(), self->d[0]);
}

/* An async-select cancel through another descriptor is one too. */
TEST_F(displaced, event_notice_on_async_cancel)
{
	struct wsp_enum_events_args a;

	EVENT_SELECT_S_NOTIFY();
	ASSERT_EQ(0, wsp_async_select(self->d[0], -1, 0, 0));
	EXPECT_S_NOTICE(&a, getpid(), self->d[0]);
}

/*
 * A told by B; then C replaces B: only B (who asked) is told, A is not
 * told again.
 */
TEST_F(displaced, event_notice_once_per_replacement)
{
	struct wsp_enum_events_args a;

	EVENT_SELECT_S_NOTIFY();
	ASSERT_EQ(0, wsp_event_select_flags(self->d[0], self->efd[1],
					    WSP_FD_READ, NOTIFY));
	EXPECT_S_NOTICE(&a, getpid(), self->d[0]);

	ASSERT_EQ(0, wsp_async_select(self->d[1], self->win2, MSG_B,
				      WSP_FD_READ));
	EXPECT_FALSE(wsp_eventfd_is_set(self->efd[0]));
	EXPECT_EQ(0, enum_bits(self->s, self->efd[0]));
	EXPECT_TRUE(wsp_eventfd_is_set(self->efd[1]));
	ASSERT_EQ(0, enum_notice(self->d[0], self->efd[1], &a));
	EXPECT_NOTICE(&a, getpid(), self->d[1]);

	/* C did not ask: D replacing C tells nobody. */
	ASSERT_EQ(0, wsp_event_select(self->d[2], self->efd[2], WSP_FD_READ));
	EXPECT_FALSE(wsp_eventfd_is_set(self->efd[0]));
	EXPECT_FALSE(wsp_eventfd_is_set(self->efd[1]));
	EXPECT_EQ(0, window_count(self->win2, 0));
}

/*
 * The new registrant's enumeration, with its own eventfd, does not see
 * the notice; the displaced one's does not see (or clear) the new
 * registrant's events; and the old eventfd hears nothing more.
 */
TEST_F(displaced, event_notice_not_seen_by_new_registrant)
{
	struct wsp_enum_events_args a;

	EVENT_SELECT_S_NOTIFY();
	/* B selects FD_WRITE, recorded since the accept: signalled at once. */
	ASSERT_EQ(0, wsp_event_select(self->d[0], self->efd[1],
				      WSP_FD_WRITE | WSP_FD_READ));
	ASSERT_TRUE(wsp_eventfd_is_set(self->efd[1]));

	/* A's notice: the notice alone, B's FD_WRITE stays recorded. */
	EXPECT_S_NOTICE(&a, getpid(), self->d[0]);
	EXPECT_EQ(SENTINEL, a.errors[WSP_FD_WRITE_BIT]);

	ASSERT_EQ(0, enum_notice(self->d[0], self->efd[1], &a));
	EXPECT_EQ(WSP_FD_WRITE, a.network_events);
	EXPECT_EQ(SENTINEL, a.displaced_pid);
	EXPECT_EQ(SENTINEL_DESC, a.displaced_descriptor);

	/* B's FD_READ signals B's eventfd only. */
	ASSERT_EQ(5, wsp_send(self->c, "hello", 5, 0));
	ASSERT_TRUE(wsp_wait_readable(self->efd[1], 5000));
	EXPECT_FALSE(wsp_eventfd_is_set(self->efd[0]));
}

/* A registration naming the displaced eventfd again drops its notice. */
TEST_F(displaced, event_reregistering_eventfd_drops_notice)
{
	EVENT_SELECT_S_NOTIFY();
	ASSERT_EQ(0, wsp_event_select(self->d[0], self->efd[1], WSP_FD_READ));
	ASSERT_TRUE(wsp_eventfd_is_set(self->efd[0]));
	ASSERT_EQ(0, wsp_event_select(self->s, self->efd[0], WSP_FD_READ));
	EXPECT_EQ(0, enum_bits(self->s, self->efd[0]));
}

/*
 * A new registration naming the same eventfd through another descriptor:
 * that event object stays registered, no notice (its enumeration could
 * not be told from the new registrant's).
 */
TEST_F(displaced, event_no_notice_when_eventfd_stays_registered)
{
	EVENT_SELECT_S_NOTIFY();
	ASSERT_EQ(0, wsp_event_select(self->d[0], self->efd[0], WSP_FD_READ));
	EXPECT_FALSE(wsp_eventfd_is_set(self->efd[0]));
	EXPECT_EQ(0, enum_bits(self->s, self->efd[0]));
}

/*
 * At most WSP_MAX_DISPLACED_NOTICES wait per socket: one more drops the
 * oldest, counted in debugfs.
 */
TEST_F(displaced, event_notices_bounded_oldest_dropped)
{
	struct wsp_enum_events_args a;
	long dropped0;
	int i;

	ASSERT_LE(WSP_MAX_DISPLACED_NOTICES + 1, NEFD - 1);
	ASSERT_LE(WSP_MAX_DISPLACED_NOTICES + 1, NDUP - 1);
	dropped0 = wsp_read_refusals("displaced_notice_dropped");
	ASSERT_LE(0, dropped0) TH_LOG("no displaced_notice_dropped in %s",
				      WSP_REFUSALS_PATH);
	/* Registrations 0..4, each displaced by the next. */
	for (i = 0; i <= WSP_MAX_DISPLACED_NOTICES; i++)
		ASSERT_EQ(0, wsp_event_select_flags(self->d[i], self->efd[i],
						    WSP_FD_READ, NOTIFY));
	ASSERT_EQ(0, wsp_event_select(self->d[i], self->efd[i], WSP_FD_READ));

	EXPECT_EQ(dropped0 + 1, wsp_read_refusals("displaced_notice_dropped"));
	/* The oldest was signalled, but its notice is gone. */
	EXPECT_TRUE(wsp_eventfd_is_set(self->efd[0]));
	EXPECT_EQ(0, enum_bits(self->s, self->efd[0]) & WSP_FD_DISPLACED);
	for (i = 1; i <= WSP_MAX_DISPLACED_NOTICES; i++) {
		ASSERT_EQ(0, enum_notice(self->s, self->efd[i], &a));
		EXPECT_NOTICE(&a, getpid(), self->d[i + 1]);
	}
}

/* A socket accepted from a listener does not inherit the flag. */
TEST_F(displaced, event_flag_not_inherited_at_accept)
{
	struct test_addr addr;
	int c2, a2;

	ASSERT_EQ(0, wsp_event_select_flags(self->l, self->efd[0],
					    WSP_FD_ACCEPT, NOTIFY));
	c2 = wsp_socket(self->dev, AF_INET, SOCK_STREAM, 0, WSP_FD_CLOEXEC);
	ASSERT_LE(0, c2);
	close(self->d[NDUP - 1]);
	self->d[NDUP - 1] = c2;
	ASSERT_EQ(0, wsp_getsockname(self->l, &addr));
	ASSERT_EQ(0, wsp_connect(c2, &addr));
	ASSERT_TRUE(wsp_wait_readable(self->efd[0], 5000));
	a2 = wsp_accept(self->l, NULL);
	ASSERT_LE(0, a2);
	close(self->d[NDUP - 2]);
	self->d[NDUP - 2] = a2;
	/* The accepted socket's inherited registration names efd[0]. */
	ASSERT_EQ(0, wsp_event_select(a2, self->efd[1], WSP_FD_READ));
	EXPECT_EQ(0, enum_bits(a2, self->efd[0]) & WSP_FD_DISPLACED);
	/* The listener's own registration is untouched: no notice there. */
	EXPECT_EQ(0, enum_bits(self->l, self->efd[0]) & WSP_FD_DISPLACED);
}

/* ------------------------------------------------------------------ */
/* Async-select: one message to the displaced window.                 */
/* ------------------------------------------------------------------ */

TEST_F(displaced, async_notice_to_other_descriptor_same_process)
{
	struct wsp_message m[4];

	ASYNC_SELECT_S_NOTIFY();
	ASSERT_EQ(0, window_count(self->win, 0));
	ASSERT_EQ(0, wsp_event_select(self->d[0], self->efd[0], WSP_FD_READ));
	EXPECT_WIN_NOTICE(m, getpid());

	/* Then nothing more: the data is B's to hear. */
	ASSERT_EQ(5, wsp_send(self->c, "hello", 5, 0));
	ASSERT_TRUE(wsp_wait_readable(self->efd[0], 5000));
	EXPECT_EQ(0, wsp_read_messages(self->win, m, 4));
}

TEST_F(displaced, async_notice_to_other_process_redeemed)
{
	struct wsp_message m[4];
	int bfd;

	ASYNC_SELECT_S_NOTIFY();
	redeeming_child(_metadata, self, 1, &bfd);

	EXPECT_WIN_NOTICE(m, self->child);
	ASSERT_EQ(1, write(self->p2c[1], "x", 1));
	REAP_CHILD();
}

TEST_F(displaced, async_no_notice_without_flag)
{
	struct wsp_message m[4];

	ASSERT_EQ(0, wsp_async_select(self->s, self->win, MSG_A, WSP_FD_READ));
	ASSERT_EQ(0, wsp_async_select(self->d[0], self->win2, MSG_B,
				      WSP_FD_READ));
	EXPECT_EQ(0, wsp_read_messages(self->win, m, 4));
}

TEST_F(displaced, async_no_notice_to_own_replacement)
{
	struct wsp_message m[4];

	ASYNC_SELECT_S_NOTIFY();
	ASSERT_EQ(0, wsp_async_select(self->s, self->win2, MSG_B,
				      WSP_FD_READ));
	EXPECT_EQ(0, wsp_read_messages(self->win, m, 4));
}

TEST_F(displaced, async_notice_on_cancel)
{
	struct wsp_message m[4];

	ASYNC_SELECT_S_NOTIFY();
	ASSERT_EQ(0, wsp_async_select(self->d[0], -1, 0, 0));
	EXPECT_WIN_NOTICE(m, getpid());
}

/* A told by B (both in windows); C replaces B: only B is told. */
TEST_F(displaced, async_notice_once_per_replacement)
{
	struct wsp_message m[4];

	ASYNC_SELECT_S_NOTIFY();
	ASSERT_EQ(0, wsp_async_select_flags(self->d[0], self->win2, MSG_B,
					    WSP_FD_READ, NOTIFY));
	EXPECT_WIN_NOTICE(m, getpid());

	ASSERT_EQ(0, wsp_event_select(self->d[1], self->efd[0], WSP_FD_READ));
	EXPECT_EQ(0, wsp_read_messages(self->win, m, 4));
	ASSERT_EQ(1, wsp_read_messages(self->win2, m, 4));
	EXPECT_NOTICE_MSG(&m[0], self->win2, MSG_B, self->d[0], getpid());
}

/* The new registrant's window (the same window) sees only A's notice. */
TEST_F(displaced, async_notice_in_shared_window_names_displaced)
{
	struct wsp_message m[4];

	ASYNC_SELECT_S_NOTIFY();
	ASSERT_EQ(0, wsp_async_select(self->d[0], self->win, MSG_B,
				      WSP_FD_READ));
	EXPECT_WIN_NOTICE(m, getpid());
}

/* A full window drops the notice and counts it; it is never retried. */
TEST_F(displaced, async_notice_dropped_when_window_full)
{
	struct wsp_message m[4];
	int win1;

	win1 = wsp_window(self->dev, WSP_WINDOW_NONBLOCK | WSP_FD_CLOEXEC, 1);
	ASSERT_LE(0, win1);
	close(self->d[NDUP - 1]);
	self->d[NDUP - 1] = win1;
	/* FD_WRITE is true at once: it fills the one slot. */
	ASSERT_EQ(0, wsp_async_select_flags(self->s, win1, MSG_A,
					    WSP_FD_WRITE, NOTIFY));
	ASSERT_EQ(1, window_count(win1, 0));
	ASSERT_EQ(0, wsp_event_select(self->d[0], self->efd[0], WSP_FD_READ));
	EXPECT_EQ(1, window_count(win1, 1));

	ASSERT_EQ(1, wsp_read_messages(win1, m, 4));
	EXPECT_EQ(WSP_FD_WRITE, m[0].event);
	EXPECT_EQ(0, wsp_read_messages(win1, m, 4));
}

/* ------------------------------------------------------------------ */
/* Bad input, and the old enumeration struct.                         */
/* ------------------------------------------------------------------ */

/* A flag bit the module does not know: EINVAL, nothing changes. */
TEST_F(displaced, unknown_flag_bit_einval)
{
	struct wsp_registration r;

	EVENT_SELECT_S_NOTIFY();
	EXPECT_EQ(-EINVAL, wsp_event_select_flags(self->d[0], self->efd[1],
						  WSP_FD_READ, NOTIFY << 1));
	EXPECT_EQ(-EINVAL, wsp_async_select_flags(self->d[0], self->win,
						  MSG_B, WSP_FD_READ,
						  NOTIFY | 0x80000000u));
	ASSERT_EQ(0, wsp_get_registration(self->s, &r));
	EXPECT_EQ(WSP_REG_EVENT, r.kind);
	EXPECT_EQ((__u64)self->s, r.descriptor);
	EXPECT_FALSE(wsp_eventfd_is_set(self->efd[0]));
	EXPECT_EQ(0, window_count(self->win, 0));
}

/* WSP_FD_DISPLACED is reported, never selected: EINVAL in a mask. */
TEST_F(displaced, displaced_bit_in_mask_einval)
{
	struct wsp_registration r;

	EXPECT_EQ(-EINVAL, wsp_event_select(self->s, self->efd[0],
					    WSP_FD_READ | WSP_FD_DISPLACED));
	EXPECT_EQ(-EINVAL, wsp_async_select_flags(self->s, self->win, MSG_A,
						  WSP_FD_DISPLACED, NOTIFY));
	ASSERT_EQ(0, wsp_get_registration(self->s, &r));
	EXPECT_EQ(WSP_REG_NONE, r.kind);
}

/* The enumeration's new reserved field must be zero. */
TEST_F(displaced, enum_reserved2_einval)
{
	struct wsp_enum_events_args a;

	memset(&a, 0, sizeof(a));
	a.eventfd = -1;
	a.__reserved2 = 1;
	EXPECT_EQ(-EINVAL, wsp_ioctl(self->s, WSP_IOC_ENUM_EVENTS, &a));
}

/* The flag with a zero mask: a plain cancel, nothing kept. */
TEST_F(displaced, flag_with_zero_mask_is_a_cancel)
{
	struct wsp_registration r;

	ASSERT_EQ(0, wsp_event_select_flags(self->s, self->efd[0], 0, NOTIFY));
	ASSERT_EQ(0, wsp_get_registration(self->s, &r));
	EXPECT_EQ(WSP_REG_NONE, r.kind);
	ASSERT_EQ(0, wsp_event_select(self->d[0], self->efd[1], WSP_FD_READ));
	EXPECT_FALSE(wsp_eventfd_is_set(self->efd[0]));
}

/*
 * The first struct (56 bytes) still enumerates: it gets the bit, and
 * nothing is written past its end.
 */
TEST_F(displaced, old_size_enum_gets_notice_bit_only)
{
	union {
		struct enum_v1 v1;
		unsigned char raw[sizeof(struct wsp_enum_events_args)];
	} u;
	size_t i;

	ASSERT_EQ(56, sizeof(struct enum_v1));
	EVENT_SELECT_S_NOTIFY();
	ASSERT_EQ(0, wsp_event_select(self->d[0], self->efd[1], WSP_FD_WRITE));

	memset(&u, 0xa5, sizeof(u));
	memset(&u.v1, 0, sizeof(u.v1));
	u.v1.eventfd = self->efd[0];
	ASSERT_EQ(0, wsp_ioctl(self->s, WSP_IOC_ENUM_EVENTS_V1, &u));
	EXPECT_EQ(WSP_FD_DISPLACED, u.v1.network_events);
	for (i = sizeof(u.v1); i < sizeof(u); i++)
		EXPECT_EQ(0xa5, u.raw[i]) TH_LOG("byte %zu written", i);
	EXPECT_FALSE(wsp_eventfd_is_set(self->efd[0]));
	/* Consumed. */
	EXPECT_EQ(0, enum_bits(self->s, self->efd[0]) & WSP_FD_DISPLACED);
}

/* The first struct enumerates the registration's events as before. */
TEST_F(displaced, old_size_enum_reports_events)
{
	struct enum_v1 v1;

	ASSERT_EQ(0, wsp_event_select(self->s, self->efd[0], WSP_FD_WRITE));
	memset(&v1, 0, sizeof(v1));
	v1.eventfd = self->efd[0];
	ASSERT_EQ(0, wsp_ioctl(self->s, WSP_IOC_ENUM_EVENTS_V1, &v1));
	EXPECT_EQ(WSP_FD_WRITE, v1.network_events);
	EXPECT_EQ(0, v1.errors[WSP_FD_WRITE_BIT]);
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/*
 * trace_test - the wspshare tracepoints fire with the right fields: each
 * test enables one event in tracefs, does the action, and parses the
 * lines of /sys/kernel/tracing/trace that name its socket (the id that
 * WSP_IOC_SOCKET_INFO gives). Process ids are the global ones; the test
 * runs in the initial pid namespace, so they are its getpid().
 *
 * Needs root and tracefs (mounted by the test VM's init; mounted here if
 * it is not): skipped with the reason otherwise. The first test enables
 * the wspshare events and each test clears the buffer before and after
 * its action; they are disabled when the program ends. Enabling and
 * disabling patches kernel text on every CPU, which software-emulated SMP
 * (the test VM's TCG) does not always survive: it is done once, not per
 * test.
 *
 * Timing: the tracepoints fire inside the call, or inside the softirq
 * that the call's loopback packet runs; a test reads the buffer until the
 * line it expects is there (at most WAIT_MS), never sleeps and hopes.
 */
#include <signal.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "kselftest_harness.h"
#include "wsp_notify.h"

#define WAIT_MS 5000
#define MSG_A 0x0401

#define TRACEFS "/sys/kernel/tracing"
#define EVENTS TRACEFS "/events/wspshare"

/* Write @val to tracefs file @path (relative to TRACEFS): 0 or -errno. */
static int tracefs_write(const char *path, const char *val)
{
	char full[256];
	int fd, ret = 0;

	snprintf(full, sizeof(full), TRACEFS "/%s", path);
	fd = open(full, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/*
 * Make tracefs usable: 0, or -errno with *why (the kernel has no tracing,
 * or the caller is not root).
 */
static int tracefs_ready(const char **why)
{
	struct stat st;

	if (geteuid()) {
		*why = "needs root (tracefs)";
		return -EPERM;
	}
	if (stat(TRACEFS "/trace", &st) &&
	    mount("tracefs", TRACEFS, "tracefs", 0, NULL)) {
		*why = "no tracefs: the kernel has no tracing";
		return -ENOENT;
	}
	return 0;
}

/* The whole trace buffer as text (malloc'd), or NULL. */
static char *trace_read(void)
{
	size_t len = 0, cap = 65536;
	char *buf = malloc(cap + 1);
	ssize_t n;
	int fd;

	fd = open(TRACEFS "/trace", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || !buf) {
		free(buf);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	while ((n = read(fd, buf + len, cap - len)) > 0) {
		len += n;
		if (len == cap) {
			char *more = realloc(buf, 2 * cap + 1);

			if (!more)
				break;
			buf = more;
			cap *= 2;
		}
	}
	close(fd);
	buf[len] = '\0';
	return buf;
}

/* Field @key ("pid") of the event text @line: its number, or @dflt. */
static long long field(const char *line, const char *key, long long dflt)
{
	char pat[64];
	const char *p;
	size_t n;

	n = snprintf(pat, sizeof(pat), " %s=", key);
	for (p = strstr(line, pat); p; p = strstr(p + 1, pat)) {
		const char *eol = strchr(line, '\n');

		if (eol && p > eol)
			break;
		return strtoll(p + n, NULL, 0);
	}
	return dflt;
}

/* Whether field @key of @line is the word @val ("mode=event"). */
static int field_is(const char *line, const char *key, const char *val)
{
	char pat[64];
	const char *p, *eol = strchr(line, '\n');
	size_t n;

	n = snprintf(pat, sizeof(pat), " %s=%s", key, val);
	p = strstr(line, pat);
	return p && (!eol || p < eol) && (p[n] == ' ' || p[n] == '\n' ||
					   p[n] == '\0');
}

/*
 * The @nth (from 0) line of event @event about socket @id in @buf, copied
 * into @out with a leading space (so that every field is " key="), or 0.
 */
static int find_line(const char *buf, const char *event,
		     unsigned long long id, int nth, char *out, size_t size)
{
	char pat[64], sock[40];
	const char *p = buf, *eol;

	snprintf(pat, sizeof(pat), " %s: ", event);
	snprintf(sock, sizeof(sock), "socket=%llu ", id);
	while ((p = strstr(p, pat))) {
		p += strlen(pat);
		eol = strchr(p, '\n');
		if (!eol)
			eol = p + strlen(p);
		if (!strncmp(p, sock, strlen(sock)) && nth-- == 0) {
			snprintf(out, size, " %.*s", (int)(eol - p), p);
			return 1;
		}
	}
	return 0;
}

/* Wait (at most WAIT_MS) for that line: 1 when it is in @out, else 0. */
static int await_line(const char *event, unsigned long long id, int nth,
		      char *out, size_t size)
{
	long end = now_ms() + WAIT_MS;
	char *buf;
	int found;

	for (;;) {
		buf = trace_read();
		found = buf && find_line(buf, event, id, nth, out, size);
		free(buf);
		if (found || now_ms() > end)
			return found;
		poll(NULL, 0, 5);
	}
}

/* Whether tracefs file @path holds "1\n". */
static int tracefs_is_one(const char *path)
{
	char full[256], buf[8] = "";
	ssize_t n;
	int fd;

	snprintf(full, sizeof(full), TRACEFS "/%s", path);
	fd = open(full, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 0 && !strcmp(buf, "1\n");
}

/*
 * Have wspshare event @event enabled, with an empty buffer: 0 or -errno.
 * The whole system is enabled once (see the top).
 */
static int trace_on(const char *event)
{
	char path[128];
	int ret;

	snprintf(path, sizeof(path), "events/wspshare/%s/enable", event);
	if (!tracefs_is_one(path)) {
		ret = tracefs_write("events/wspshare/enable", "1");
		if (ret)
			return ret;
	}
	if (!tracefs_is_one(path))
		return -EIO;
	return tracefs_write("trace", "");
}

/* At exit of the harness's process: events off, buffer empty. */
static void __attribute__((destructor)) trace_off(void)
{
	if (!geteuid() && !access(EVENTS "/enable", W_OK)) {
		tracefs_write("events/wspshare/enable", "0");
		tracefs_write("trace", "");
	}
}

FIXTURE(trace) {
	int dev;
	int efd;
	int window;
};

FIXTURE_SETUP(trace)
{
	const char *why = NULL;
	struct stat st;

	self->efd = -1;
	self->window = -1;
	WSP_SETUP_DEVICE(self->dev);
	if (tracefs_ready(&why))
		SKIP(return, "%s", why);
	/* The module is loaded: its events must be there. */
	ASSERT_EQ(0, stat(EVENTS, &st)) TH_LOG("no %s", EVENTS);
	self->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ASSERT_LE(0, self->efd);
}

FIXTURE_TEARDOWN(trace)
{
	if (!access(EVENTS "/enable", W_OK))
		tracefs_write("trace", "");
	if (self->window >= 0)
		close(self->window);
	if (self->efd >= 0)
		close(self->efd);
	if (self->dev >= 0)
		close(self->dev);
}

/* A new stream socket and its id (ASSERTs inside a test). */
#define NEW_SOCKET(fd, id) do {						\
	(fd) = wsp_socket(self->dev, AF_INET, SOCK_STREAM, 0,		\
			  WSP_FD_CLOEXEC);				\
	ASSERT_LE(0, (fd));						\
	(id) = wsp_socket_id(fd);					\
	ASSERT_NE(0, (id));						\
} while (0)

/* A connected pair; the listener is closed. */
#define NEW_PAIR(c, s) do {						\
	int __l;							\
									\
	ASSERT_EQ(0, wsp_tcp_pair(self->dev, AF_INET, &__l, &(c), &(s))); \
	close(__l);							\
} while (0)

TEST_F(trace, registration_made_names_registrant_and_mask)
{
	unsigned long long id;
	char line[512];
	int fd;

	NEW_SOCKET(fd, id);
	ASSERT_EQ(0, trace_on("wsp_registration"));
	ASSERT_EQ(0, wsp_event_select(fd, self->efd,
				      WSP_FD_READ | WSP_FD_CLOSE));
	ASSERT_TRUE(await_line("wsp_registration", id, 0, line,
			       sizeof(line)));
	EXPECT_EQ(getpid(), field(line, "pid", -1)) TH_LOG("%s", line);
	EXPECT_EQ(fd, field(line, "descriptor", -2));
	EXPECT_TRUE(field_is(line, "mode", "event")) TH_LOG("%s", line);
	EXPECT_EQ(WSP_FD_READ | WSP_FD_CLOSE, field(line, "mask", -1));
	EXPECT_EQ(0, field(line, "prev_pid", -1));
	EXPECT_TRUE(field_is(line, "prev_mode", "none")) TH_LOG("%s", line);
	EXPECT_EQ(0, field(line, "prev_mask", -1));
	close(fd);
}

/* Who took my registration: another process, through its descriptor. */
TEST_F(trace, registration_replaced_names_previous_registrant)
{
	unsigned long long id;
	char line[512];
	pid_t child;
	int fd;

	NEW_SOCKET(fd, id);
	self->window = wsp_window(self->dev, WSP_WINDOW_NONBLOCK, 0);
	ASSERT_LE(0, self->window);
	ASSERT_EQ(0, wsp_event_select(fd, self->efd, WSP_FD_READ));
	ASSERT_EQ(0, trace_on("wsp_registration"));
	child = fork();
	ASSERT_LE(0, child);
	if (child == 0) {
		int mine = dup(fd);

		_exit(mine < 0 || wsp_async_select(mine, self->window, MSG_A,
						   WSP_FD_WRITE));
	}
	ASSERT_EQ(0, wsp_reap(child, WAIT_MS));
	ASSERT_TRUE(await_line("wsp_registration", id, 0, line,
			       sizeof(line)));
	EXPECT_EQ(child, field(line, "pid", -1)) TH_LOG("%s", line);
	EXPECT_TRUE(field_is(line, "mode", "async")) TH_LOG("%s", line);
	EXPECT_EQ(WSP_FD_WRITE, field(line, "mask", -1));
	EXPECT_NE(fd, field(line, "descriptor", fd));
	EXPECT_EQ(getpid(), field(line, "prev_pid", -1));
	EXPECT_TRUE(field_is(line, "prev_mode", "event")) TH_LOG("%s", line);
	EXPECT_EQ(WSP_FD_READ, field(line, "prev_mask", -1));
	close(fd);
}

/*
 * A new socket @fd (its id in @id), event-selected for FD_READ by this
 * process, then event-selected again with @efd and @mask while
 * wsp_registration is traced: the line of that second call in @line.
 */
static void reregister_traced(struct __test_metadata *_metadata,
			      FIXTURE_DATA(trace) *self, int *fd,
			      unsigned long long *id, int efd,
			      unsigned int mask, char *line, size_t size)
{
	NEW_SOCKET(*fd, *id);
	ASSERT_EQ(0, wsp_event_select(*fd, self->efd, WSP_FD_READ));
	ASSERT_EQ(0, trace_on("wsp_registration"));
	ASSERT_EQ(0, wsp_event_select(*fd, efd, mask));
	ASSERT_TRUE(await_line("wsp_registration", *id, 0, line, size));
}

/* A registrant switching its own mask is its own previous registrant. */
TEST_F(trace, registration_switched_by_registrant_names_it_previous)
{
	unsigned long long id;
	char line[512];
	int fd;

	reregister_traced(_metadata, self, &fd, &id, self->efd,
			  WSP_FD_READ | WSP_FD_WRITE, line, sizeof(line));
	EXPECT_EQ(getpid(), field(line, "pid", -1)) TH_LOG("%s", line);
	EXPECT_EQ(WSP_FD_READ | WSP_FD_WRITE, field(line, "mask", -1));
	EXPECT_EQ(getpid(), field(line, "prev_pid", -1)) TH_LOG("%s", line);
	EXPECT_TRUE(field_is(line, "prev_mode", "event")) TH_LOG("%s", line);
	EXPECT_EQ(WSP_FD_READ, field(line, "prev_mask", -1));
	close(fd);
}

TEST_F(trace, registration_cancelled_names_canceller)
{
	unsigned long long id;
	char line[512];
	int fd;

	reregister_traced(_metadata, self, &fd, &id, -1, 0, line,
			  sizeof(line));
	EXPECT_EQ(getpid(), field(line, "pid", -1)) TH_LOG("%s", line);
	EXPECT_TRUE(field_is(line, "mode", "none")) TH_LOG("%s", line);
	EXPECT_EQ(0, field(line, "mask", -1));
	/* The descriptor the cancellation was made through. */
	EXPECT_EQ(fd, field(line, "descriptor", -1)) TH_LOG("%s", line);
	EXPECT_EQ(getpid(), field(line, "prev_pid", -1));
	EXPECT_TRUE(field_is(line, "prev_mode", "event")) TH_LOG("%s", line);
	close(fd);
}

/* A reset: FD_CLOSE recorded with ECONNRESET, without any registration. */
TEST_F(trace, event_recorded_names_bit_and_errno)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	unsigned long long id;
	char line[512];
	int c, s, i, found = 0;

	NEW_PAIR(c, s);
	id = wsp_socket_id(s);
	ASSERT_NE(0, id);
	ASSERT_EQ(0, trace_on("wsp_event_recorded"));
	ASSERT_EQ(0, setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	close(c);
	/* The socket records FD_CLOSE once; other events may come first. */
	for (i = 0; !found && await_line("wsp_event_recorded", id, i, line,
					 sizeof(line)); i++)
		found = field(line, "bit", -1) == WSP_FD_CLOSE_BIT;
	ASSERT_TRUE(found);
	EXPECT_EQ(ECONNRESET, field(line, "errno", -1)) TH_LOG("%s", line);
	close(s);
}

TEST_F(trace, event_delivered_to_eventfd_names_registrant)
{
	unsigned long long id;
	char line[512];
	int c, s;

	NEW_PAIR(c, s);
	id = wsp_socket_id(s);
	ASSERT_EQ(0, wsp_event_select(s, self->efd, WSP_FD_READ));
	ASSERT_EQ(0, trace_on("wsp_event_delivered"));
	ASSERT_EQ(1, wsp_send(c, "x", 1, 0));
	ASSERT_TRUE(wsp_wait_readable(self->efd, WAIT_MS));
	ASSERT_TRUE(await_line("wsp_event_delivered", id, 0, line,
			       sizeof(line)));
	EXPECT_EQ(WSP_FD_READ, field(line, "events", -1)) TH_LOG("%s", line);
	EXPECT_TRUE(field_is(line, "how", "eventfd")) TH_LOG("%s", line);
	EXPECT_EQ(getpid(), field(line, "pid", -1));
	EXPECT_EQ(self->efd, field(line, "target", -1));
	close(c);
	close(s);
}

TEST_F(trace, event_delivered_as_message_names_window)
{
	struct wsp_message m;
	unsigned long long id;
	char line[512];
	int c, s;

	NEW_PAIR(c, s);
	id = wsp_socket_id(s);
	self->window = wsp_window(self->dev, WSP_WINDOW_NONBLOCK, 0);
	ASSERT_LE(0, self->window);
	ASSERT_EQ(0, trace_on("wsp_event_delivered"));
	/* Connected and writable: FD_WRITE is posted at once. */
	ASSERT_EQ(0, wsp_async_select(s, self->window, MSG_A, WSP_FD_WRITE));
	ASSERT_EQ(1, wsp_read_messages(self->window, &m, 1));
	ASSERT_TRUE(await_line("wsp_event_delivered", id, 0, line,
			       sizeof(line)));
	EXPECT_EQ(WSP_FD_WRITE, field(line, "events", -1)) TH_LOG("%s", line);
	EXPECT_TRUE(field_is(line, "how", "message")) TH_LOG("%s", line);
	EXPECT_EQ(getpid(), field(line, "pid", -1));
	EXPECT_EQ(self->window, field(line, "target", -1));
	close(c);
	close(s);
}

/* A window of one message: FD_WRITE fills it, FD_READ is dropped. */
TEST_F(trace, message_dropped_by_full_window)
{
	unsigned long long id;
	char line[512];
	int c, s;

	NEW_PAIR(c, s);
	id = wsp_socket_id(s);
	self->window = wsp_window(self->dev, WSP_WINDOW_NONBLOCK, 1);
	ASSERT_LE(0, self->window);
	ASSERT_EQ(0, trace_on("wsp_message_dropped"));
	ASSERT_EQ(0, wsp_async_select(s, self->window, MSG_A,
				      WSP_FD_READ | WSP_FD_WRITE));
	ASSERT_EQ(1, wsp_send(c, "x", 1, 0));
	ASSERT_TRUE(await_line("wsp_message_dropped", id, 0, line,
			       sizeof(line)));
	EXPECT_EQ(WSP_FD_READ_BIT, field(line, "bit", -1)) TH_LOG("%s", line);
	EXPECT_EQ(getpid(), field(line, "pid", -1));
	EXPECT_EQ(self->window, field(line, "hwnd", -1));
	close(c);
	close(s);
}

TEST_F(trace, duplicate_made_and_redeemed_name_target_and_source)
{
	struct wsp_protocol_info info;
	unsigned long long id;
	char line[512];
	int fd, fd2;

	NEW_SOCKET(fd, id);
	ASSERT_EQ(0, trace_on("wsp_duplicate"));
	ASSERT_EQ(0, wsp_duplicate(fd, getpid(), &info));
	fd2 = wsp_redeem(self->dev, &info);
	ASSERT_LE(0, fd2);
	ASSERT_TRUE(await_line("wsp_duplicate", id, 0, line, sizeof(line)));
	EXPECT_TRUE(field_is(line, "action", "made")) TH_LOG("%s", line);
	EXPECT_EQ(getpid(), field(line, "target", -1));
	EXPECT_EQ(getpid(), field(line, "source", -1));
	ASSERT_TRUE(await_line("wsp_duplicate", id, 1, line, sizeof(line)));
	EXPECT_TRUE(field_is(line, "action", "redeemed")) TH_LOG("%s", line);
	EXPECT_EQ(getpid(), field(line, "target", -1));
	EXPECT_EQ(getpid(), field(line, "source", -1));
	close(fd2);
	close(fd);
}

/* The target exits without redeeming: the duplication is dropped. */
TEST_F(trace, duplicate_dropped_when_target_exits)
{
	struct wsp_protocol_info info;
	unsigned long long id;
	char line[512];
	int fd, hold[2];
	pid_t child;
	char ch;

	NEW_SOCKET(fd, id);
	ASSERT_EQ(0, pipe2(hold, O_CLOEXEC));
	child = fork();
	ASSERT_LE(0, child);
	if (child == 0) {
		close(hold[1]);
		_exit(read(hold[0], &ch, 1) < 0);
	}
	close(hold[0]);
	ASSERT_EQ(0, trace_on("wsp_duplicate"));
	ASSERT_EQ(0, wsp_duplicate(fd, child, &info));
	close(hold[1]);
	ASSERT_EQ(0, wsp_reap(child, WAIT_MS));
	ASSERT_TRUE(await_line("wsp_duplicate", id, 1, line, sizeof(line)));
	EXPECT_TRUE(field_is(line, "action", "dropped")) TH_LOG("%s", line);
	EXPECT_EQ(child, field(line, "target", -1));
	EXPECT_EQ(getpid(), field(line, "source", -1));
	close(fd);
}

/* Each event's format file lists the fields Documentation names. */
TEST_F(trace, formats_list_the_documented_fields)
{
	static const char *const events[][9] = {
		{ "wsp_registration", "id", "pid", "descriptor", "mode", "mask",
		  "prev_pid", "prev_mode", "prev_mask" },
		{ "wsp_event_recorded", "id", "bit", "err" },
		{ "wsp_event_delivered", "id", "events", "how", "pid",
		  "target" },
		{ "wsp_message_dropped", "id", "bit", "pid", "hwnd" },
		{ "wsp_duplicate", "id", "action", "target", "source" },
	};
	char path[256], want[64], buf[8192];
	unsigned int e, f;
	ssize_t n;
	int fd;

	for (e = 0; e < sizeof(events) / sizeof(events[0]); e++) {
		snprintf(path, sizeof(path), EVENTS "/%s/format", events[e][0]);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		ASSERT_LE(0, fd) TH_LOG("%s", path);
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		ASSERT_LT(0, n);
		buf[n] = '\0';
		EXPECT_NE(NULL, strstr(buf, "print fmt:")) TH_LOG("%s", buf);
		for (f = 1; f < 9 && events[e][f]; f++) {
			snprintf(want, sizeof(want), " %s;\toffset:",
				 events[e][f]);
			EXPECT_NE(NULL, strstr(buf, want))
				TH_LOG("%s: no field %s", events[e][0],
				       events[e][f]);
		}
	}
}

TEST_HARNESS_MAIN

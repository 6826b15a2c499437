// SPDX-License-Identifier: GPL-2.0
/*
 * wspstat_test - WSP_IOC_SOCKETS and the wspstat tool that prints it.
 *
 * The wspstat tests build a known scenario (a TCP pair, a dup(2) within
 * the process, a child process holding a redeemed descriptor, an
 * event-select, a pending duplication for the child, an event recorded
 * and not enumerated), run the wspstat binary that sits next to this
 * program, and parse its output. The ioctl tests call WSP_IOC_SOCKETS
 * directly: visibility (root sees all of its network namespace, a user
 * only their own, nobody another namespace's), paging, the cap, and the
 * refusals.
 *
 * Runs as root (the test VM): the tests of an ordinary user switch to
 * NOBODY in a child process.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <grp.h>
#include <libgen.h>
#include <sched.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "kselftest_harness.h"
#include "wsp_notify.h"

#define WAIT_MS 5000
#define MSG_A 0x0401
#define NOBODY 65534
#define OUT_SIZE 65536

/* The wspstat binary next to this program: its path, or NULL. */
static const char *wspstat_path(void)
{
	static char path[4096];
	char exe[4096];
	ssize_t n;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0)
		return NULL;
	exe[n] = '\0';
	snprintf(path, sizeof(path), "%s/wspstat", dirname(exe));
	return access(path, X_OK) ? NULL : path;
}

/*
 * Run wspstat with @args (NULL-terminated, without argv[0]) as @uid (0:
 * as we are), its output into @out: its exit status, or -1.
 */
static int run_wspstat(const char *const *args, uid_t uid, char *out,
		       size_t size)
{
	const char *argv[16] = { "wspstat" };
	const char *path = wspstat_path();
	size_t len = 0;
	int p[2], i;
	ssize_t n;
	pid_t pid;

	if (!path || pipe2(p, O_CLOEXEC))
		return -1;
	for (i = 0; args[i] && i < 14; i++)
		argv[i + 1] = args[i];
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		dup2(p[1], STDOUT_FILENO);
		if (uid && (setgroups(0, NULL) || setgid(uid) || setuid(uid)))
			_exit(126);
		execv(path, (char *const *)argv);
		_exit(127);
	}
	close(p[1]);
	while (len < size - 1 && (n = read(p[0], out + len,
					   size - 1 - len)) > 0)
		len += n;
	out[len] = '\0';
	close(p[0]);
	return wsp_reap(pid, WAIT_MS);
}

/* One socket's line of wspstat's output, split into its columns. */
struct row {
	char netid[16], state[16], local[64], peer[64], holders[512];
	char recorded[128], pending[128], reg[256];
};

/* Find the line of socket @id in @out: 1 and @r, or 0. */
static int find_row(const char *out, unsigned long long id, struct row *r)
{
	const char *line = out, *eol;
	char buf[2048], *reg;
	unsigned long long got;
	int n;

	for (; *line; line = eol + 1) {
		eol = strchr(line, '\n');
		if (!eol)
			eol = line + strlen(line);
		snprintf(buf, sizeof(buf), "%.*s", (int)(eol - line), line);
		n = 0;
		if (sscanf(buf, "%llu %15s %15s %63s %63s %511s %127s %127s %n",
			   &got, r->netid, r->state, r->local, r->peer,
			   r->holders, r->recorded, r->pending, &n) == 8 &&
		    got == id && n) {
			reg = buf + n;
			snprintf(r->reg, sizeof(r->reg), "%s", reg);
			return 1;
		}
		if (!*eol)
			break;
	}
	return 0;
}

/* Whether the comma-separated list @list has the item @item. */
static int has_item(const char *list, const char *item)
{
	size_t n = strlen(item);
	const char *p;

	for (p = list; (p = strstr(p, item)); p += n)
		if ((p == list || p[-1] == ',' || p[-1] == '|') &&
		    (p[n] == '\0' || p[n] == ',' || p[n] == '|'))
			return 1;
	return 0;
}

/* "pid:fd" */
static const char *holder(pid_t pid, int fd)
{
	static char buf[4][32];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%d:%d", (int)pid, fd);
	return buf[i];
}

/* WSP_IOC_SOCKETS: the number of records, or -errno. */
static int list_sockets(int dev, unsigned long long after,
			struct wsp_socket_record *recs, unsigned int count)
{
	struct wsp_sockets_args a = {
		.count = count, .after = after,
		.records = (uintptr_t)recs, .record_size = sizeof(*recs),
	};

	if (ioctl(dev, WSP_IOC_SOCKETS, &a) < 0)
		return -errno;
	return a.count;
}

/* Whether socket @id is among the first @n of @recs. */
static int listed(const struct wsp_socket_record *recs, int n,
		  unsigned long long id)
{
	int i;

	for (i = 0; i < n; i++)
		if (recs[i].socket_id == id)
			return 1;
	return 0;
}

/* Become NOBODY (dumpable, as a user's own process is): 0 or -1. */
static int become_nobody(void)
{
	if (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY))
		return -1;
	return prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
}

FIXTURE(wspstat) {
	int dev;
	int l, c, s, c2;	/* listener, pair, dup of c */
	int efd;
	unsigned long long cid, sid;
	pid_t child;		/* holds a redeemed s, the target of c's */
	int child_fd;		/* its descriptor of s */
	int hold;		/* closing it ends the child */
	char out[OUT_SIZE];
};

/*
 * The child: redeems the record it reads from @in, writes its descriptor
 * number to @res, then waits until @hold closes.
 */
static void holder_child(int in, int res, int hold)
{
	struct wsp_protocol_info info;
	int dev, fd = -1;
	char ch;

	dev = open(WSP_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	if (dev >= 0 && read(in, &info, sizeof(info)) == sizeof(info))
		fd = wsp_redeem(dev, &info);
	if (write(res, &fd, sizeof(fd)) != sizeof(fd))
		_exit(1);
	_exit(read(hold, &ch, 1) < 0);
}

FIXTURE_SETUP(wspstat)
{
	struct wsp_protocol_info info, pending;
	int to[2], from[2], hold[2];
	char b = 'x';

	self->child = -1;
	self->hold = -1;
	self->efd = -1;
	self->l = self->c = self->s = self->c2 = -1;
	WSP_SETUP_DEVICE(self->dev);
	ASSERT_NE(NULL, wspstat_path()) TH_LOG("no wspstat next to the test");

	ASSERT_EQ(0, wsp_tcp_pair(self->dev, AF_INET, &self->l, &self->c,
				  &self->s));
	self->cid = wsp_socket_id(self->c);
	self->sid = wsp_socket_id(self->s);
	self->c2 = fcntl(self->c, F_DUPFD_CLOEXEC, 0);
	ASSERT_LE(0, self->c2);

	/* A child that holds a redeemed descriptor of s. */
	ASSERT_EQ(0, pipe2(to, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(from, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(hold, O_CLOEXEC));
	self->child = fork();
	ASSERT_LE(0, self->child);
	if (self->child == 0) {
		/* Only what it redeems. */
		close(self->l);
		close(self->c);
		close(self->c2);
		close(self->s);
		close(to[1]);
		close(from[0]);
		close(hold[1]);
		holder_child(to[0], from[1], hold[0]);
	}
	close(to[0]);
	close(from[1]);
	close(hold[0]);
	self->hold = hold[1];
	ASSERT_EQ(0, wsp_duplicate(self->s, self->child, &info));
	ASSERT_EQ(sizeof(info), write(to[1], &info, sizeof(info)));
	ASSERT_EQ(sizeof(int), read(from[0], &self->child_fd, sizeof(int)));
	ASSERT_LE(0, self->child_fd);
	close(to[1]);
	close(from[0]);

	/* A duplication of c for the child, pending. */
	ASSERT_EQ(0, wsp_duplicate(self->c, self->child, &pending));

	/* c's registration, and an event recorded and not enumerated. */
	self->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ASSERT_LE(0, self->efd);
	ASSERT_EQ(0, wsp_event_select(self->c, self->efd,
				      WSP_FD_READ | WSP_FD_CLOSE));
	ASSERT_EQ(1, wsp_send(self->s, &b, 1, 0));
	ASSERT_TRUE(wsp_wait_readable(self->efd, WAIT_MS));
}

FIXTURE_TEARDOWN(wspstat)
{
	if (self->hold >= 0)
		close(self->hold);
	if (self->child > 0)
		wsp_reap(self->child, WAIT_MS);
	if (self->efd >= 0)
		close(self->efd);
	if (self->c2 >= 0)
		close(self->c2);
	if (self->c >= 0)
		close(self->c);
	if (self->s >= 0)
		close(self->s);
	if (self->l >= 0)
		close(self->l);
	if (self->dev >= 0)
		close(self->dev);
}

/* Run wspstat with no argument and find socket @id's row. */
#define WSPSTAT_ROW(id, r) do {						\
	const char *const __none[] = { NULL };				\
									\
	ASSERT_EQ(0, run_wspstat(__none, 0, self->out, OUT_SIZE));	\
	ASSERT_TRUE(find_row(self->out, (id), (r)))			\
		TH_LOG("no socket %llu in:\n%s", (id), self->out);	\
} while (0)

TEST_F(wspstat, header_then_one_line_per_socket)
{
	struct row r;

	WSPSTAT_ROW(self->cid, &r);
	EXPECT_EQ(0, strncmp(self->out, "ID ", 3)) TH_LOG("%s", self->out);
	EXPECT_TRUE(find_row(self->out, self->sid, &r));
	EXPECT_TRUE(find_row(self->out, wsp_socket_id(self->l), &r));
}

TEST_F(wspstat, shows_netid_state_and_addresses)
{
	struct test_addr local, peer;
	char want[64];
	struct row r;

	ASSERT_EQ(0, wsp_getsockname(self->c, &local));
	ASSERT_EQ(0, wsp_getpeername(self->c, &peer));
	WSPSTAT_ROW(self->cid, &r);
	EXPECT_STREQ("tcp4", r.netid);
	EXPECT_STREQ("ESTAB", r.state);
	snprintf(want, sizeof(want), "127.0.0.1:%u", wsp_port(&local));
	EXPECT_STREQ(want, r.local);
	snprintf(want, sizeof(want), "127.0.0.1:%u", wsp_port(&peer));
	EXPECT_STREQ(want, r.peer);
	WSPSTAT_ROW(wsp_socket_id(self->l), &r);
	EXPECT_STREQ("LISTEN", r.state);
	EXPECT_STREQ("*", r.peer);
}

/* Both descriptors of c in this process; s here and in the child. */
TEST_F(wspstat, shows_every_holder_pid_and_fd)
{
	struct row r;

	WSPSTAT_ROW(self->cid, &r);
	EXPECT_TRUE(has_item(r.holders, holder(getpid(), self->c)))
		TH_LOG("%s", r.holders);
	EXPECT_TRUE(has_item(r.holders, holder(getpid(), self->c2)))
		TH_LOG("%s", r.holders);
	EXPECT_FALSE(has_item(r.holders, holder(getpid(), self->s)));
	WSPSTAT_ROW(self->sid, &r);
	EXPECT_TRUE(has_item(r.holders, holder(getpid(), self->s)))
		TH_LOG("%s", r.holders);
	EXPECT_TRUE(has_item(r.holders, holder(self->child, self->child_fd)))
		TH_LOG("%s", r.holders);
}

TEST_F(wspstat, shows_event_registration_registrant_and_mask)
{
	char want[256];
	struct row r;

	WSPSTAT_ROW(self->cid, &r);
	snprintf(want, sizeof(want),
		 "event mask=READ|CLOSE by pid %d fd %d eventfd %d",
		 getpid(), self->c, self->efd);
	EXPECT_STREQ(want, r.reg);
	WSPSTAT_ROW(self->sid, &r);
	EXPECT_STREQ("-", r.reg);
}

TEST_F(wspstat, shows_async_registration_window_and_message)
{
	char want[256];
	struct row r;
	int w;

	w = wsp_window(self->dev, WSP_WINDOW_NONBLOCK, 0);
	ASSERT_LE(0, w);
	ASSERT_EQ(0, wsp_async_select(self->s, w, MSG_A, WSP_FD_READ));
	WSPSTAT_ROW(self->sid, &r);
	snprintf(want, sizeof(want),
		 "async mask=READ by pid %d fd %d hwnd %d msg 0x%x",
		 getpid(), self->s, w, MSG_A);
	EXPECT_STREQ(want, r.reg);
	ASSERT_EQ(0, wsp_async_select(self->s, w, 0, 0));
	close(w);
}

/* FD_READ recorded and not enumerated; gone once enumerated. */
TEST_F(wspstat, shows_recorded_events_until_enumerated)
{
	struct wsp_enum_events_args a;
	struct row r;

	WSPSTAT_ROW(self->cid, &r);
	EXPECT_TRUE(has_item(r.recorded, "READ")) TH_LOG("%s", r.recorded);
	ASSERT_EQ(0, wsp_enum(self->c, self->efd, &a));
	ASSERT_EQ(WSP_FD_READ, a.network_events);
	WSPSTAT_ROW(self->cid, &r);
	EXPECT_FALSE(has_item(r.recorded, "READ")) TH_LOG("%s", r.recorded);
}

TEST_F(wspstat, shows_pending_duplication_target)
{
	char want[32];
	struct row r;

	WSPSTAT_ROW(self->cid, &r);
	snprintf(want, sizeof(want), "%d", (int)self->child);
	EXPECT_STREQ(want, r.pending);
	/* s's was redeemed. */
	WSPSTAT_ROW(self->sid, &r);
	EXPECT_STREQ("-", r.pending);
}

TEST_F(wspstat, one_socket_with_s)
{
	const char *args[] = { "-s", NULL, NULL };
	char id[32];
	struct row r;

	snprintf(id, sizeof(id), "%llu", self->sid);
	args[1] = id;
	ASSERT_EQ(0, run_wspstat(args, 0, self->out, OUT_SIZE));
	EXPECT_TRUE(find_row(self->out, self->sid, &r)) TH_LOG("%s", self->out);
	EXPECT_FALSE(find_row(self->out, self->cid, &r)) TH_LOG("%s", self->out);
}

TEST_F(wspstat, unknown_socket_exits_1)
{
	const char *args[] = { "-s", "18446744073709551615", NULL };

	EXPECT_EQ(1, run_wspstat(args, 0, self->out, OUT_SIZE));
}

TEST_F(wspstat, bad_option_exits_1)
{
	const char *args[] = { "-x", NULL };

	EXPECT_EQ(1, run_wspstat(args, 0, self->out, OUT_SIZE));
}

/* Without /dev/wspshare (a private /dev): exit status 1, a message. */
TEST_F(wspstat, no_device_exits_1_with_message)
{
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		const char *const none[] = { NULL };
		int err[2], st;
		char msg[256] = "";
		ssize_t n;

		if (unshare(CLONE_NEWNS) ||
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
		    mount("tmpfs", "/dev", "tmpfs", 0, NULL))
			_exit(10);
		if (pipe2(err, O_CLOEXEC) || dup2(err[1], STDERR_FILENO) < 0)
			_exit(11);
		close(err[1]);
		st = run_wspstat(none, 0, self->out, OUT_SIZE);
		close(STDERR_FILENO);
		n = read(err[0], msg, sizeof(msg) - 1);
		if (n <= 0 || !strstr(msg, WSP_DEVICE_PATH))
			_exit(12);
		_exit(st);
	}
	EXPECT_EQ(1, wsp_reap(pid, WAIT_MS));
}

/* Read one line from @fd (at most WAIT_MS): its length, or -1. */
static int read_line(int fd, char *buf, size_t size)
{
	size_t len = 0;

	while (len < size - 1) {
		if (poll1(fd, POLLIN, WAIT_MS) <= 0 ||
		    read(fd, buf + len, 1) != 1)
			return -1;
		if (buf[len++] == '\n')
			break;
	}
	buf[len] = '\0';
	return len;
}

/* -w prints the list, then one line when the registration changes. */
TEST_F(wspstat, watch_prints_registration_change)
{
	const char *path = wspstat_path();
	char id[32], line[512], want[512];
	int p[2];
	pid_t pid;

	snprintf(id, sizeof(id), "%llu", self->sid);
	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		dup2(p[1], STDOUT_FILENO);
		execl(path, "wspstat", "-w", "-n", "1", "-s", id, NULL);
		_exit(127);
	}
	close(p[1]);
	/* The header and the socket's line: it has its first view. */
	ASSERT_LT(0, read_line(p[0], line, sizeof(line)));
	ASSERT_LT(0, read_line(p[0], line, sizeof(line)));
	ASSERT_EQ(0, wsp_event_select(self->s, self->efd, WSP_FD_WRITE));
	ASSERT_LT(0, read_line(p[0], line, sizeof(line)));
	snprintf(want, sizeof(want),
		 "socket %llu: event mask=WRITE by pid %d fd %d eventfd %d (was: -)\n",
		 self->sid, getpid(), self->s, self->efd);
	EXPECT_STREQ(want, line);
	EXPECT_EQ(0, wsp_reap(pid, WAIT_MS));
	close(p[0]);
}

/*
 * A child that reports to the parent, then lives until the parent lets
 * it go: its pid and the parent's ends of the pipes.
 */
struct reporter {
	pid_t pid;
	int res;	/* the report comes from here */
	int go;		/* closing it lets the child end */
};

/*
 * Fork a reporter: in the child, @body fills @report (@size bytes) and
 * returns the exit code for after the go, or -1 (exit 1 at once); the
 * report goes to the parent, which reads it into its own @report.
 */
static void reporter_start(struct __test_metadata *_metadata,
			   struct reporter *rp, int (*body)(void *report),
			   void *report, size_t size)
{
	int res[2], go[2];

	ASSERT_EQ(0, pipe2(res, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(go, O_CLOEXEC));
	rp->pid = fork();
	ASSERT_LE(0, rp->pid);
	if (rp->pid == 0) {
		int ret;
		char ch;

		close(res[0]);
		close(go[1]);
		ret = body(report);
		if (ret < 0)
			_exit(1);
		if (write(res[1], report, size) != (ssize_t)size)
			_exit(1);
		if (read(go[0], &ch, 1) < 0)
			_exit(1);
		_exit(ret);
	}
	close(res[1]);
	close(go[0]);
	rp->res = res[0];
	rp->go = go[1];
	ASSERT_EQ(size, read(rp->res, report, size));
}

/* Let the reporter go: EXPECT it exited with 0. */
static void reporter_end(struct __test_metadata *_metadata,
			 struct reporter *rp)
{
	close(rp->go);
	EXPECT_EQ(0, wsp_reap(rp->pid, WAIT_MS));
	close(rp->res);
}

/* What the user's child reports: its socket's id and descriptor. */
struct theirs {
	unsigned long long id;
	int fd;
};

/* As NOBODY: a socket, reported in the struct theirs at @report. */
static int nobody_socket(void *report)
{
	struct theirs *t = report;
	int dev;

	if (become_nobody())
		return -1;
	dev = open(WSP_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	t->fd = wsp_socket(dev, AF_INET, SOCK_STREAM, 0, WSP_FD_CLOEXEC);
	t->id = t->fd < 0 ? 0 : wsp_socket_id(t->fd);
	return 0;
}

/* An ordinary user's wspstat: their own sockets, not root's. */
TEST_F(wspstat, user_sees_own_sockets_not_roots)
{
	const char *const none[] = { NULL };
	struct theirs theirs = { 0, -1 };
	struct reporter rp;
	struct row r;

	reporter_start(_metadata, &rp, nobody_socket, &theirs, sizeof(theirs));
	ASSERT_NE(0, theirs.id);

	ASSERT_EQ(0, run_wspstat(none, NOBODY, self->out, OUT_SIZE));
	EXPECT_TRUE(find_row(self->out, theirs.id, &r)) TH_LOG("%s", self->out);
	EXPECT_TRUE(has_item(r.holders, holder(rp.pid, theirs.fd)))
		TH_LOG("%s", r.holders);
	EXPECT_FALSE(find_row(self->out, self->cid, &r)) TH_LOG("%s", self->out);
	EXPECT_FALSE(find_row(self->out, self->sid, &r)) TH_LOG("%s", self->out);
	/* Root sees the user's socket too. */
	ASSERT_EQ(0, run_wspstat(none, 0, self->out, OUT_SIZE));
	EXPECT_TRUE(find_row(self->out, theirs.id, &r)) TH_LOG("%s", self->out);

	reporter_end(_metadata, &rp);
}

/*
 * As NOBODY (in a child): a datagram socket, and the listing from the
 * start into @recs (at most @max) must be that socket alone: 0, or the
 * step that failed (10 to 13), for the child's exit code.
 */
static int nobody_lists_own_socket(struct wsp_socket_record *recs, int max)
{
	int dev, fd;

	if (become_nobody())
		return 10;
	dev = open(WSP_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	fd = wsp_socket(dev, AF_INET, SOCK_DGRAM, 0, WSP_FD_CLOEXEC);
	if (fd < 0)
		return 11;
	if (list_sockets(dev, 0, recs, max) != 1)
		return 12;
	if (recs[0].socket_id != wsp_socket_id(fd))
		return 13;
	return 0;
}

/* The ioctl itself, as an ordinary user: only the user's own sockets. */
TEST_F(wspstat, ioctl_as_user_returns_only_own_sockets)
{
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct wsp_socket_record recs[64];
		int ret = nobody_lists_own_socket(recs, 64);

		if (!ret && recs[0].owner_uid != NOBODY)
			ret = 13;
		_exit(ret);
	}
	EXPECT_EQ(0, wsp_reap(pid, WAIT_MS));
}

/* Root sees every socket of its namespace, with the fields filled. */
TEST_F(wspstat, ioctl_as_root_returns_fields)
{
	struct wsp_socket_record recs[64];
	const struct wsp_socket_record *r = NULL;
	int n, i;

	n = list_sockets(self->dev, 0, recs, 64);
	ASSERT_LE(3, n);
	for (i = 0; i < n; i++)
		if (recs[i].socket_id == self->cid)
			r = &recs[i];
	ASSERT_NE(NULL, r);
	EXPECT_EQ(AF_INET, r->family);
	EXPECT_EQ(SOCK_STREAM, r->type);
	EXPECT_EQ(IPPROTO_TCP, r->protocol);
	EXPECT_EQ(1, r->state);	/* TCP_ESTABLISHED */
	EXPECT_EQ(1, r->nonblocking);
	EXPECT_EQ(WSP_REG_EVENT, r->reg_kind);
	EXPECT_EQ(WSP_FD_READ | WSP_FD_CLOSE, r->reg_mask);
	EXPECT_EQ(getpid(), r->reg_pid);
	EXPECT_EQ(self->efd, r->reg_eventfd);
	EXPECT_EQ(self->c, r->reg_descriptor);
	EXPECT_EQ(WSP_FD_READ, r->recorded & WSP_FD_READ);
	EXPECT_EQ(sizeof(struct sockaddr_in), r->local_len);
	EXPECT_EQ(sizeof(struct sockaddr_in), r->peer_len);
	EXPECT_EQ(0, r->owner_uid);
	EXPECT_EQ(1, r->pending_duplicates);
	EXPECT_EQ(self->child, r->pending_targets[0]);
	EXPECT_EQ(0, r->pending_targets[1]);
}

/* Records come in increasing id, and the cursor pages through them. */
TEST_F(wspstat, ioctl_pages_by_cursor)
{
	struct wsp_socket_record all[64], one;
	unsigned long long after = 0;
	int n, i;

	n = list_sockets(self->dev, 0, all, 64);
	ASSERT_LE(3, n);
	for (i = 1; i < n; i++)
		EXPECT_LT(all[i - 1].socket_id, all[i].socket_id);
	for (i = 0; i < n; i++) {
		ASSERT_EQ(1, list_sockets(self->dev, after, &one, 1));
		EXPECT_EQ(all[i].socket_id, one.socket_id);
		after = one.socket_id;
	}
	EXPECT_EQ(0, list_sockets(self->dev, after, &one, 1));
}

/* More than %WSP_SOCKETS_MAX records in one call: EINVAL, none written. */
TEST_F(wspstat, ioctl_count_above_max_einval)
{
	struct wsp_socket_record rec = { .socket_id = 7 };
	struct wsp_sockets_args a = {
		.count = WSP_SOCKETS_MAX + 1, .records = (uintptr_t)&rec,
		.record_size = sizeof(rec),
	};

	EXPECT_EQ(-EINVAL, wsp_ioctl(self->dev, WSP_IOC_SOCKETS, &a));
	EXPECT_EQ(WSP_SOCKETS_MAX + 1, a.count);
	EXPECT_EQ(7, rec.socket_id);
}

/*
 * Many sockets the caller may not see before its own: the listing still
 * reaches it (the module looks at a bounded number per hold of its lock
 * and goes on from there).
 */
TEST_F(wspstat, ioctl_as_user_finds_own_past_many_others)
{
	const int others = 1000;
	struct rlimit rl = { others + 64, others + 64 };
	int *fds, i;
	pid_t pid;

	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &rl));
	fds = calloc(others, sizeof(*fds));
	ASSERT_NE(NULL, fds);
	for (i = 0; i < others; i++) {
		fds[i] = wsp_socket(self->dev, AF_INET, SOCK_DGRAM, 0,
				    WSP_FD_CLOEXEC);
		ASSERT_LE(0, fds[i]);
	}
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct wsp_socket_record recs[4];

		_exit(nobody_lists_own_socket(recs, 4));
	}
	EXPECT_EQ(0, wsp_reap(pid, WAIT_MS));
	for (i = 0; i < others; i++)
		close(fds[i]);
	free(fds);
}

/*
 * In a new network namespace: a socket, its id reported at @report (an
 * unsigned long long); 2 if the listing there has any other socket.
 */
static int netns_socket(void *report)
{
	struct wsp_socket_record recs[64];
	unsigned long long *theirs = report;
	int dev, fd, n;

	if (unshare(CLONE_NEWNET))
		return -1;
	dev = open(WSP_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	fd = wsp_socket(dev, AF_INET, SOCK_STREAM, 0, WSP_FD_CLOEXEC);
	*theirs = fd < 0 ? 0 : wsp_socket_id(fd);
	n = list_sockets(dev, 0, recs, 64);
	/* Root there too, yet only its own namespace's. */
	return n != 1 || recs[0].socket_id != *theirs ? 2 : 0;
}

/* Sockets of another network namespace are never listed. */
TEST_F(wspstat, ioctl_other_netns_invisible)
{
	struct wsp_socket_record recs[64];
	unsigned long long theirs = 0;
	struct reporter rp;
	int n;

	reporter_start(_metadata, &rp, netns_socket, &theirs, sizeof(theirs));
	ASSERT_NE(0, theirs);
	n = list_sockets(self->dev, 0, recs, 64);
	ASSERT_LE(3, n);
	EXPECT_TRUE(listed(recs, n, self->cid));
	EXPECT_FALSE(listed(recs, n, theirs));
	reporter_end(_metadata, &rp);
}

TEST_F(wspstat, ioctl_count_zero_returns_none)
{
	struct wsp_sockets_args a = {
		.count = 0, .records = 0,
		.record_size = sizeof(struct wsp_socket_record),
	};

	ASSERT_EQ(0, wsp_ioctl(self->dev, WSP_IOC_SOCKETS, &a));
	EXPECT_EQ(0, a.count);
}

TEST_F(wspstat, ioctl_unknown_flag_einval)
{
	struct wsp_socket_record rec;
	struct wsp_sockets_args a = {
		.flags = 1, .count = 1, .records = (uintptr_t)&rec,
		.record_size = sizeof(rec),
	};

	EXPECT_EQ(-EINVAL, wsp_ioctl(self->dev, WSP_IOC_SOCKETS, &a));
}

TEST_F(wspstat, ioctl_reports_module_record_size)
{
	struct wsp_socket_record rec;
	struct wsp_sockets_args a = {
		.count = 1, .records = (uintptr_t)&rec,
		.record_size = sizeof(rec), .module_record_size = 12345,
	};

	/* In: ignored; out: the module's record size. */
	ASSERT_EQ(0, wsp_ioctl(self->dev, WSP_IOC_SOCKETS, &a));
	EXPECT_EQ(WSP_SOCKET_RECORD_SIZE_VER0, a.module_record_size);
}

TEST_F(wspstat, ioctl_small_record_size_einval)
{
	struct wsp_socket_record rec;
	struct wsp_sockets_args a = {
		.count = 1, .records = (uintptr_t)&rec,
		.record_size = sizeof(rec) - 8,
	};

	EXPECT_EQ(-EINVAL, wsp_ioctl(self->dev, WSP_IOC_SOCKETS, &a));
}

/* A larger record (a newer header): the tail is zeroed. */
TEST_F(wspstat, ioctl_larger_record_zero_extended)
{
	struct {
		struct wsp_socket_record rec;
		uint64_t tail;
	} big[2];
	struct wsp_sockets_args a = {
		.count = 1, .records = (uintptr_t)big,
		.record_size = sizeof(big[0]),
	};

	memset(big, 0xff, sizeof(big));
	ASSERT_EQ(0, wsp_ioctl(self->dev, WSP_IOC_SOCKETS, &a));
	ASSERT_EQ(1, a.count);
	EXPECT_EQ(0, big[0].tail);
	EXPECT_EQ(~0ULL, big[1].tail);
}

TEST_F(wspstat, ioctl_bad_records_pointer_efault)
{
	void *bad = unmapped_page();
	struct wsp_sockets_args a = {
		.count = 4, .records = (uintptr_t)bad,
		.record_size = sizeof(struct wsp_socket_record),
	};

	ASSERT_NE(MAP_FAILED, bad);
	EXPECT_EQ(-EFAULT, wsp_ioctl(self->dev, WSP_IOC_SOCKETS, &a));
	munmap(bad, 4096);
}

TEST_F(wspstat, ioctl_bad_args_pointer_efault)
{
	void *bad = unmapped_page();

	ASSERT_NE(MAP_FAILED, bad);
	EXPECT_EQ(-EFAULT, wsp_ioctl(self->dev, WSP_IOC_SOCKETS, bad));
	munmap(bad, 4096);
}

/* A device ioctl sent to a descriptor: not the descriptor's. */
TEST_F(wspstat, ioctl_on_descriptor_enotty)
{
	struct wsp_socket_record rec;
	struct wsp_sockets_args a = {
		.count = 1, .records = (uintptr_t)&rec,
		.record_size = sizeof(rec),
	};

	EXPECT_EQ(-ENOTTY, wsp_ioctl(self->c, WSP_IOC_SOCKETS, &a));
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/*
 * limits_test - what no user can make the module do: hold sockets,
 * windows, redeemed or accepted descriptors beyond RLIMIT_NOFILE, hand a
 * socket to a process it was not made for, reach across network or pid
 * namespaces, leak a kernel pointer, or be unloaded while it holds
 * anything (a socket, a window, a pending duplication).
 *
 * The bounds of window queues and pending duplications are tested where
 * those objects are (window_test, dup_test); this file tests the rest.
 * It runs as root in the test VM (setuid, unshare, delete_module).
 */
#include <ctype.h>
#include <grp.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "wsp_notify.h"

#define NOBODY 65534

/* Run @fn in a child; its exit status (0 is success). */
static int in_child(int (*fn)(void *), void *arg)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0)
		_exit(fn(arg));
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

FIXTURE(lim) {
	int dev;
};

FIXTURE_SETUP(lim)
{
	WSP_SETUP_DEVICE(self->dev);
}

FIXTURE_TEARDOWN(lim)
{
	if (self->dev >= 0)
		close(self->dev);
}

/* The lowest descriptor number not in use. */
static int lowest_free_fd(void)
{
	int fd = dup(0);

	if (fd >= 0)
		close(fd);
	return fd;
}

/* Set RLIMIT_NOFILE so that the numbers from @base on are out of reach. */
static int limit_fds_below(int base)
{
	struct rlimit rl;

	if (base < 0 || getrlimit(RLIMIT_NOFILE, &rl))
		return -1;
	rl.rlim_cur = base;
	return setrlimit(RLIMIT_NOFILE, &rl);
}

/* Lower RLIMIT_NOFILE so that exactly @free more descriptors fit. */
static int leave_free_fds(int free)
{
	int base = lowest_free_fd();

	return base < 0 ? -1 : limit_fds_below(base + free);
}

TEST_F(lim, rlimit_nofile_bounds_sockets)
{
	int a, b;

	ASSERT_EQ(0, leave_free_fds(2));
	a = wsp_socket(self->dev, AF_INET, SOCK_STREAM, 0, 0);
	b = wsp_socket(self->dev, AF_INET, SOCK_DGRAM, 0, 0);
	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	EXPECT_EQ(-EMFILE, wsp_socket(self->dev, AF_INET, SOCK_STREAM, 0, 0));
	close(b);
	b = wsp_socket(self->dev, AF_INET, SOCK_DGRAM, 0, 0);
	EXPECT_LE(0, b);
	close(a);
	close(b);
}

TEST_F(lim, rlimit_nofile_bounds_windows)
{
	int w;

	ASSERT_EQ(0, leave_free_fds(1));
	w = wsp_window(self->dev, 0, 0);
	ASSERT_LE(0, w);
	EXPECT_EQ(-EMFILE, wsp_window(self->dev, 0, 0));
	close(w);
}

/*
 * accept4(2) on a wspshare listener finds no descriptor: EMFILE, and the
 * connection stays queued; with one more allowed, that connection is
 * accepted.
 */
TEST_F(lim, rlimit_nofile_accept_keeps_connection)
{
	struct test_addr addr, local, peer;
	int l, c, s, base;

	l = wsp_socket(self->dev, AF_INET, SOCK_STREAM, 0, WSP_SOCK_NONBLOCK);
	ASSERT_LE(0, l);
	wsp_loopback(&addr, AF_INET, 0);
	ASSERT_EQ(0, wsp_bind(l, &addr));
	ASSERT_EQ(0, wsp_listen(l, 4));
	ASSERT_EQ(0, wsp_getsockname(l, &addr));
	c = wsp_socket(self->dev, AF_INET, SOCK_STREAM, 0, 0);
	ASSERT_LE(0, c);
	ASSERT_EQ(0, wsp_connect(c, &addr));
	ASSERT_EQ(1, wsp_wait_readable(l, 5000));

	base = lowest_free_fd();
	ASSERT_EQ(0, limit_fds_below(base));
	EXPECT_EQ(-EMFILE, wsp_accept(l, NULL));
	EXPECT_EQ(-EMFILE, wsp_accept(l, NULL));
	/* Still queued: the listener is readable. */
	EXPECT_EQ(1, wsp_wait_readable(l, 0));
	ASSERT_EQ(0, limit_fds_below(base + 1));
	s = wsp_accept(l, &peer);
	ASSERT_LE(0, s);
	ASSERT_EQ(0, wsp_getsockname(c, &local));
	EXPECT_EQ(local.len, peer.len);
	EXPECT_EQ(0, memcmp(&local.in, &peer.in, sizeof(local.in)))
		TH_LOG("accepted another connection than the queued one");
	EXPECT_NE(0, wsp_socket_id(s));
	EXPECT_EQ(0, wsp_wait_readable(l, 0));
	close(s);
	close(c);
	close(l);
}

/* Redemption makes a descriptor: EMFILE at the limit, the token kept. */
TEST_F(lim, rlimit_nofile_bounds_redemption)
{
	struct wsp_protocol_info a, b;
	struct wsp_socket_info si;
	int s, r1, r2;

	s = wsp_socket(self->dev, AF_INET, SOCK_STREAM, 0, WSP_FD_CLOEXEC);
	ASSERT_LE(0, s);
	ASSERT_EQ(0, wsp_duplicate(s, getpid(), &a));
	ASSERT_EQ(0, wsp_duplicate(s, getpid(), &b));
	ASSERT_EQ(0, leave_free_fds(1));
	r1 = wsp_redeem(self->dev, &a);
	ASSERT_LE(0, r1);
	EXPECT_EQ(-EMFILE, wsp_redeem(self->dev, &b));
	ASSERT_EQ(0, wsp_info(s, &si));
	EXPECT_EQ(1, si.pending_duplicates);
	close(r1);
	r2 = wsp_redeem(self->dev, &b);
	EXPECT_LE(0, r2) TH_LOG("the token did not stay pending: %s",
				strerror(-r2));
	EXPECT_EQ(si.socket_id, wsp_socket_id(r2));
	close(r2);
	close(s);
}

struct redeem_arg {
	struct wsp_protocol_info info;
	uid_t uid;
};

/* In a child: become @uid, then redeem; 0 if redeemed, else the errno. */
static int redeem_as(void *p)
{
	struct redeem_arg *arg = p;
	struct wsp_redeem_args ra = { .info = arg->info };
	int dev, fd;

	if (arg->uid && setuid(arg->uid))
		return 100;
	dev = open(WSP_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	if (dev < 0)
		return 101;
	fd = ioctl(dev, WSP_IOC_REDEEM, &ra);
	return fd < 0 ? errno : 0;
}

/* Another user's process, not the target, cannot redeem. */
TEST_F(lim, token_not_redeemable_by_other_user)
{
	struct wsp_duplicate_args da = { .pid = getpid() };
	struct redeem_arg arg = { .uid = NOBODY };
	struct wsp_redeem_args ra = { 0 };
	int s, d;

	s = wsp_socket(self->dev, AF_INET, SOCK_STREAM, 0, 0);
	ASSERT_LE(0, s);
	ASSERT_EQ(0, ioctl(s, WSP_IOC_DUPLICATE, &da));
	arg.info = da.info;
	EXPECT_EQ(EPERM, in_child(redeem_as, &arg));
	/* Still pending for the process it was made for. */
	ra.info = da.info;
	d = ioctl(self->dev, WSP_IOC_REDEEM, &ra);
	EXPECT_LE(0, d);
	close(d);
	close(s);
}

/* The target process may redeem after it became another user. */
static int target_changes_user(void *p)
{
	struct redeem_arg *arg = p;
	int pipefd = (int)arg->uid;	/* reused: the pipe to read from */

	arg->uid = NOBODY;
	if (read(pipefd, &arg->info, sizeof(arg->info)) != sizeof(arg->info))
		return 102;
	return redeem_as(arg);
}

TEST_F(lim, token_follows_target_process_not_user)
{
	struct wsp_duplicate_args da = { 0 };
	struct redeem_arg arg = { 0 };
	int p[2], s, status;
	pid_t child;

	s = wsp_socket(self->dev, AF_INET, SOCK_STREAM, 0, 0);
	ASSERT_LE(0, s);
	ASSERT_EQ(0, pipe(p));
	arg.uid = p[0];
	child = fork();
	ASSERT_LE(0, child);
	if (child == 0)
		_exit(target_changes_user(&arg));
	da.pid = child;
	ASSERT_EQ(0, ioctl(s, WSP_IOC_DUPLICATE, &da));
	ASSERT_EQ(sizeof(da.info), write(p[1], &da.info, sizeof(da.info)));
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	close(p[0]);
	close(p[1]);
	close(s);
}

/* In a new pid namespace: a pid outside it does not resolve. */
static int duplicate_from_new_pidns(void *p)
{
	struct wsp_duplicate_args da = { .pid = *(pid_t *)p };
	int dev, s, status;
	pid_t inner;

	if (unshare(CLONE_NEWPID))
		return 110;
	inner = fork();		/* the first child is the namespace's init */
	if (inner < 0)
		return 111;
	if (inner == 0) {
		dev = open(WSP_DEVICE_PATH, O_RDWR | O_CLOEXEC);
		s = wsp_socket(dev, AF_INET, SOCK_STREAM, 0, 0);
		if (dev < 0 || s < 0)
			_exit(112);
		_exit(ioctl(s, WSP_IOC_DUPLICATE, &da) < 0 ? errno : 0);
	}
	if (waitpid(inner, &status, 0) != inner || !WIFEXITED(status))
		return 113;
	return WEXITSTATUS(status);
}

TEST_F(lim, pid_outside_namespace_esrch)
{
	pid_t outside = getpid();

	EXPECT_EQ(ESRCH, in_child(duplicate_from_new_pidns, &outside));
}

/* In a new network namespace: connect to @port on 127.0.0.1; the errno. */
struct netns_arg {
	struct test_addr addr;
	int redeemed;		/* a descriptor made in the parent's namespace */
};

static int connect_from_new_netns(void *p)
{
	struct netns_arg *arg = p;
	int dev, s, err;

	if (unshare(CLONE_NEWNET))
		return 120;
	dev = open(WSP_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	if (dev < 0)
		return 121;
	if (arg->redeemed >= 0) {
		/* Made before unshare: it lives in the parent's namespace. */
		err = wsp_connect(arg->redeemed, &arg->addr);
		return err ? -err : 0;
	}
	s = wsp_socket(dev, AF_INET, SOCK_STREAM, 0, 0);
	if (s < 0)
		return 122;
	err = wsp_connect(s, &arg->addr);
	return err ? -err : 0;
}

TEST_F(lim, socket_lives_in_creators_netns)
{
	struct netns_arg arg = { .redeemed = -1 };
	int l, err;

	l = wsp_socket(self->dev, AF_INET, SOCK_STREAM, 0, 0);
	ASSERT_LE(0, l);
	wsp_loopback(&arg.addr, AF_INET, 0);
	ASSERT_EQ(0, wsp_bind(l, &arg.addr));
	ASSERT_EQ(0, wsp_listen(l, 4));
	ASSERT_EQ(0, wsp_getsockname(l, &arg.addr));

	/* Created in a new namespace: its loopback is down and empty. */
	err = in_child(connect_from_new_netns, &arg);
	EXPECT_TRUE(err == ENETUNREACH || err == ECONNREFUSED)
		TH_LOG("connect from a new netns gave %d", err);

	/* Created here, used from there: still this namespace's socket. */
	arg.redeemed = wsp_socket(self->dev, AF_INET, SOCK_STREAM, 0, 0);
	ASSERT_LE(0, arg.redeemed);
	EXPECT_EQ(0, in_child(connect_from_new_netns, &arg));
	close(arg.redeemed);
	close(l);
}

/*
 * A socket redeemed by a process that moved to a new network namespace
 * is still the creator's socket: it reaches the creator's loopback.
 */
static int redeem_in_new_netns(int from, const struct test_addr *addr)
{
	struct wsp_protocol_info info;
	int dev, fd, err;

	dev = open(WSP_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	if (dev < 0)
		return 120;
	if (unshare(CLONE_NEWNET))
		return 121;
	if (read(from, &info, sizeof(info)) != sizeof(info))
		return 122;
	fd = wsp_redeem(dev, &info);
	if (fd < 0)
		return 123;
	err = wsp_connect(fd, (struct test_addr *)addr);
	return err ? -err : 0;
}

TEST_F(lim, redeemed_socket_stays_in_creators_netns)
{
	struct wsp_protocol_info info;
	struct test_addr addr;
	int l, s, p[2], status;
	pid_t kid;

	l = wsp_socket(self->dev, AF_INET, SOCK_STREAM, 0, WSP_FD_CLOEXEC);
	ASSERT_LE(0, l);
	wsp_loopback(&addr, AF_INET, 0);
	ASSERT_EQ(0, wsp_bind(l, &addr));
	ASSERT_EQ(0, wsp_listen(l, 4));
	ASSERT_EQ(0, wsp_getsockname(l, &addr));
	s = wsp_socket(self->dev, AF_INET, SOCK_STREAM, 0, WSP_FD_CLOEXEC);
	ASSERT_LE(0, s);
	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	kid = fork();
	ASSERT_LE(0, kid);
	if (kid == 0) {
		close(p[1]);
		close(s);	/* only the token gives it the socket */
		_exit(redeem_in_new_netns(p[0], &addr));
	}
	close(p[0]);
	ASSERT_EQ(0, wsp_duplicate(s, kid, &info));
	close(s);
	ASSERT_EQ(sizeof(info), write(p[1], &info, sizeof(info)));
	close(p[1]);
	ASSERT_EQ(kid, waitpid(kid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status))
		TH_LOG("connect from the redeemed socket failed: %d",
		       WEXITSTATUS(status));
	/* The connection arrived here. */
	s = wsp_accept(l, NULL);
	EXPECT_LE(0, s);
	if (s >= 0)
		close(s);
	close(l);
}

/*
 * Become an ordinary user (uid and gid NOBODY, no supplementary groups)
 * with RLIMIT_NOFILE @nofile: 0 or -1. The set-id change made the process
 * undumpable, as any credential change does; a user's own processes
 * (started by exec) are dumpable, so it is made dumpable again.
 */
static int become_nobody(rlim_t nofile)
{
	struct rlimit rl = { .rlim_cur = nofile, .rlim_max = nofile };

	if (setrlimit(RLIMIT_NOFILE, &rl) || setgroups(0, NULL) ||
	    setgid(NOBODY) || setuid(NOBODY))
		return -1;
	return prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
}

/* A child that sleeps until @hold's write end closes; its pid or -1. */
static pid_t start_sleeper(int hold[2], uid_t uid)
{
	pid_t pid;
	char c;

	if (pipe2(hold, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid == 0) {
		close(hold[1]);
		if (uid && (setgroups(0, NULL) || setgid(uid) || setuid(uid)))
			_exit(1);
		prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
		_exit(read(hold[0], &c, 1) < 0);
	}
	close(hold[0]);
	return pid;
}

#define KEEP_ALIVE_TRIES	20000
#define KEEP_ALIVE_NOFILE	256

struct keep_alive_result {
	int made;	/* duplications that succeeded */
	int err;	/* the errno of the first that failed, or 0 */
};

/*
 * As NOBODY with RLIMIT_NOFILE KEEP_ALIVE_NOFILE: "create a socket,
 * duplicate it for a process of our own that never redeems, close the
 * descriptor", KEEP_ALIVE_TRIES times or until refused. Reports through
 * @res, then waits until @go's write end closes, its tokens pending.
 */
static int keep_sockets_alive(int res, int go)
{
	struct keep_alive_result r = { 0 };
	struct wsp_protocol_info info;
	int dev, s, hold[2];
	pid_t sleeper;
	char c;

	if (become_nobody(KEEP_ALIVE_NOFILE))
		return 140;
	dev = open(WSP_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	if (dev < 0)
		return 141;
	sleeper = start_sleeper(hold, 0);	/* ends when we do */
	if (sleeper < 0)
		return 142;
	while (r.made < KEEP_ALIVE_TRIES) {
		s = wsp_socket(dev, AF_INET, SOCK_DGRAM, 0, WSP_FD_CLOEXEC);
		if (s < 0) {
			r.err = -s;
			break;
		}
		r.err = -wsp_duplicate(s, sleeper, &info);
		close(s);
		if (r.err)
			break;
		r.made++;
	}
	if (write(res, &r, sizeof(r)) != sizeof(r))
		return 143;
	return read(go, &c, 1) < 0 ? 144 : 0;
}

/*
 * Tokens are charged to their creator's user, at most its RLIMIT_NOFILE:
 * an ordinary user cannot keep more sockets alive through duplications
 * that nobody redeems than it could hold as descriptors. All go when the
 * processes end.
 */
TEST(nobody_cannot_keep_sockets_alive_through_tokens)
{
	struct keep_alive_result r = { .made = -1 };
	struct wsp_counters c0, c;
	int res[2], go[2], status;
	long refused0;
	pid_t kid;

	ASSERT_EQ(0, wsp_read_counters(&c0));
	refused0 = wsp_read_refusals("duplicate_user_limit");
	EXPECT_LE(0, refused0) TH_LOG("no %s", WSP_REFUSALS_PATH);
	ASSERT_EQ(0, pipe2(res, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(go, O_CLOEXEC));
	kid = fork();
	ASSERT_LE(0, kid);
	if (kid == 0) {
		close(res[0]);
		close(go[1]);
		_exit(keep_sockets_alive(res[1], go[0]));
	}
	close(res[1]);
	close(go[0]);
	EXPECT_EQ(sizeof(r), read(res[0], &r, sizeof(r)));
	TH_LOG("%d duplications made, then %s", r.made, strerror(r.err));
	EXPECT_EQ(EMFILE, r.err);
	EXPECT_LE(r.made, KEEP_ALIVE_NOFILE);
	EXPECT_LT(0, r.made);
	ASSERT_EQ(0, wsp_read_counters(&c));
	EXPECT_LE(c.sockets - c0.sockets, KEEP_ALIVE_NOFILE);
	EXPECT_LE(c.pending_duplicates - c0.pending_duplicates,
		  KEEP_ALIVE_NOFILE);
	EXPECT_LT(refused0, wsp_read_refusals("duplicate_user_limit"));

	close(go[1]);	/* the user's processes end */
	ASSERT_EQ(kid, waitpid(kid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("the user's process: status %#x", status);
	close(res[0]);
	EXPECT_EQ(0, wsp_await_counters(&c0, &c, 20000))
		TH_LOG("not reaped: " WSP_COUNTERS_FMT,
		       WSP_COUNTERS_ARGS(c, c0));
}

struct reach_arg {
	pid_t root_pid;		/* a root process */
	pid_t other_pid;	/* a process of another ordinary user */
};

/* As NOBODY: the errno of duplicating into @pid (0 if it worked). */
static int duplicate_errno(int dev, pid_t pid)
{
	struct wsp_protocol_info info;
	int s, err;

	s = wsp_socket(dev, AF_INET, SOCK_STREAM, 0, WSP_FD_CLOEXEC);
	if (s < 0)
		return 200;
	err = wsp_duplicate(s, pid, &info);
	close(s);
	return -err;
}

/*
 * As NOBODY, duplicate into init, a root process and another user's:
 * 0 if each was refused with EPERM, else bit 1, 2, 4 set for each that
 * was not (or 150 + n if the child could not try).
 */
static int duplicate_out_of_reach(void *p)
{
	struct reach_arg *arg = p;
	int dev, ret = 0;

	if (become_nobody(KEEP_ALIVE_NOFILE))
		return 150;
	dev = open(WSP_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	if (dev < 0)
		return 151;
	if (duplicate_errno(dev, 1) != EPERM)
		ret |= 1;
	if (duplicate_errno(dev, arg->root_pid) != EPERM)
		ret |= 2;
	if (duplicate_errno(dev, arg->other_pid) != EPERM)
		ret |= 4;
	return ret;
}

/*
 * Duplicating into a process needs the access pidfd_getfd(2) needs: an
 * ordinary user reaches neither init, nor a root process, nor another
 * user's process (EPERM, each counted as refused).
 */
TEST(nobody_cannot_duplicate_into_init_root_or_other_user)
{
	struct reach_arg arg = { .root_pid = getpid() };
	struct wsp_counters c0, c;
	long refused0;
	int hold[2];

	ASSERT_EQ(0, wsp_read_counters(&c0));
	refused0 = wsp_read_refusals("duplicate_not_permitted");
	EXPECT_LE(0, refused0) TH_LOG("no %s", WSP_REFUSALS_PATH);
	arg.other_pid = start_sleeper(hold, NOBODY - 1);
	ASSERT_LT(0, arg.other_pid);
	EXPECT_EQ(0, in_child(duplicate_out_of_reach, &arg))
		TH_LOG("not refused: 1 init, 2 root's, 4 another user's");
	EXPECT_EQ(refused0 + 3, wsp_read_refusals("duplicate_not_permitted"));
	ASSERT_EQ(0, wsp_read_counters(&c));
	EXPECT_TRUE(wsp_counters_match(&c0, &c))
		TH_LOG(WSP_COUNTERS_FMT, WSP_COUNTERS_ARGS(c, c0));
	close(hold[1]);
	EXPECT_EQ(0, wsp_reap(arg.other_pid, 5000));
}

/* As NOBODY: 0 if a duplication into itself and into its child work. */
static int duplicate_within_reach(void *p)
{
	struct wsp_protocol_info info;
	int dev, s, r, hold[2], status;
	pid_t kid;

	if (become_nobody(KEEP_ALIVE_NOFILE))
		return 160;
	dev = open(WSP_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	s = wsp_socket(dev, AF_INET, SOCK_STREAM, 0, WSP_FD_CLOEXEC);
	if (dev < 0 || s < 0)
		return 161;
	if (wsp_duplicate(s, getpid(), &info))
		return 162;
	r = wsp_redeem(dev, &info);
	if (r < 0 || wsp_socket_id(r) != wsp_socket_id(s))
		return 163;
	close(r);

	if (pipe2(hold, O_CLOEXEC))
		return 164;
	kid = fork();
	if (kid == 0) {
		close(hold[1]);
		if (read(hold[0], &info, sizeof(info)) != sizeof(info))
			_exit(1);
		r = wsp_redeem(dev, &info);
		_exit(r < 0 ? 2 : 0);
	}
	close(hold[0]);
	if (kid < 0 || wsp_duplicate(s, kid, &info))
		return 165;
	if (write(hold[1], &info, sizeof(info)) != sizeof(info))
		return 166;
	if (waitpid(kid, &status, 0) != kid || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		return 167;
	close(s);
	return 0;
}

/* The permission check leaves a user its own process and its children. */
TEST(nobody_may_duplicate_into_itself_and_its_child)
{
	EXPECT_EQ(0, in_child(duplicate_within_reach, NULL));
}

/* Write @val to the module parameter at @path: 0 or -errno. */
static int write_long(const char *path, long val)
{
	FILE *f = fopen(path, "we");
	int ret;

	if (!f)
		return -errno;
	ret = fprintf(f, "%ld\n", val) < 0 ? -EIO : 0;
	if (fclose(f) && !ret)
		ret = -errno;
	return ret;
}

#define SYSTEM_LIMIT_TEST	8

/*
 * max_pending_duplicates bounds the tokens of all users together: past it
 * ENFILE (counted), whoever asks; redeeming one makes room again.
 */
TEST_F(lim, system_limit_enfile)
{
	struct wsp_protocol_info info[SYSTEM_LIMIT_TEST], extra;
	struct wsp_counters c0;
	long saved = 0, refused0;
	int s, i, made = 0, err = 0, r;

	ASSERT_EQ(0, wsp_read_long(WSP_MAX_PENDING_PATH, &saved))
		TH_LOG("no %s", WSP_MAX_PENDING_PATH);
	refused0 = wsp_read_refusals("duplicate_system_limit");
	ASSERT_LE(0, refused0) TH_LOG("no %s", WSP_REFUSALS_PATH);
	ASSERT_EQ(0, wsp_read_counters(&c0));
	ASSERT_EQ(0, c0.pending_duplicates)
		TH_LOG("another program's tokens are pending");
	s = wsp_socket(self->dev, AF_INET, SOCK_DGRAM, 0, WSP_FD_CLOEXEC);
	ASSERT_LE(0, s);

	ASSERT_EQ(0, write_long(WSP_MAX_PENDING_PATH, SYSTEM_LIMIT_TEST));
	while (made < SYSTEM_LIMIT_TEST) {
		err = wsp_duplicate(s, getpid(), &info[made]);
		if (err)
			break;
		made++;
	}
	if (!err)
		err = wsp_duplicate(s, getpid(), &extra);
	r = made ? wsp_redeem(self->dev, &info[0]) : -1;
	/* One fewer pending: room for one more. */
	if (r >= 0) {
		close(r);
		EXPECT_EQ(0, wsp_duplicate(s, getpid(), &info[0]));
	}
	EXPECT_EQ(0, write_long(WSP_MAX_PENDING_PATH, saved));

	EXPECT_EQ(SYSTEM_LIMIT_TEST, made);
	EXPECT_EQ(-ENFILE, err);
	EXPECT_LE(0, r);
	EXPECT_EQ(refused0 + 1, wsp_read_refusals("duplicate_system_limit"));
	for (i = 0; i < made; i++) {
		r = wsp_redeem(self->dev, &info[i]);
		EXPECT_LE(0, r);
		if (r >= 0)
			close(r);
	}
	close(s);
}

/* No 16-digit hex number of the kernel half (0xffff8...) in @text. */
static int has_kernel_pointer(const char *text)
{
	const char *p;

	for (p = text; *p; p++) {
		if (!strncasecmp(p, "ffff8", 5) || !strncasecmp(p, "ffff9", 5) ||
		    !strncasecmp(p, "ffffa", 5) || !strncasecmp(p, "ffffb", 5) ||
		    !strncasecmp(p, "ffffc", 5) || !strncasecmp(p, "ffffd", 5) ||
		    !strncasecmp(p, "ffffe", 5) || !strncasecmp(p, "ffffffff8", 9))
			return 1;
	}
	return 0;
}

static int read_text(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return -1;
	n = fread(buf, 1, len - 1, f);
	buf[n] = 0;
	fclose(f);
	return 0;
}

static int is_kernel_address(unsigned long long v)
{
	return v >= 0xffff800000000000ull;
}

/*
 * The "wsp-socket-id:" line of @fd's fdinfo is there, once, with the
 * socket's id, and nothing in the whole fdinfo looks like a kernel
 * address.
 */
static void check_fdinfo(struct __test_metadata *_metadata, int fd,
			 unsigned long long id)
{
	char path[64], text[4096], want[64], *p;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	ASSERT_EQ(0, read_text(path, text, sizeof(text)));
	snprintf(want, sizeof(want), "\nwsp-socket-id:\t%llu\n", id);
	p = strstr(text, want);
	EXPECT_NE(NULL, p) TH_LOG("fd %d, socket %llu: %s", fd, id, text);
	EXPECT_TRUE(!p || !strstr(p + strlen(want), "wsp-socket-id:"))
		TH_LOG("more than one wsp-socket-id line: %s", text);
	EXPECT_FALSE(has_kernel_pointer(text)) TH_LOG("%s", text);
}

TEST_F(lim, nothing_leaks_a_kernel_pointer)
{
	struct wsp_protocol_info info;
	struct wsp_registration reg;
	struct wsp_socket_info si;
	struct wsp_window_info wi;
	struct wsp_enum_events_args e;
	struct wsp_version v = { 0 };
	char path[64], text[4096];
	int l, c, s, r, w, efd, i, fds[4];

	ASSERT_EQ(0, wsp_tcp_pair(self->dev, AF_INET, &l, &c, &s));
	w = wsp_window(self->dev, WSP_WINDOW_NONBLOCK, 0);
	efd = eventfd(0, EFD_CLOEXEC);
	ASSERT_LE(0, w);
	ASSERT_LE(0, efd);
	ASSERT_EQ(0, ioctl(self->dev, WSP_IOC_VERSION, &v));

	ASSERT_EQ(0, wsp_duplicate(c, getpid(), &info));
	EXPECT_FALSE(is_kernel_address(info.token_id));
	r = wsp_redeem(self->dev, &info);
	ASSERT_LE(0, r);
	ASSERT_EQ(0, wsp_duplicate(c, getpid(), &info));	/* left pending */
	ASSERT_EQ(0, wsp_async_select(c, w, 7, WSP_FD_READ));
	ASSERT_EQ(0, wsp_event_select(l, efd, WSP_FD_ACCEPT));
	ASSERT_EQ(0, wsp_event_select(s, efd, WSP_FD_READ | WSP_FD_WRITE));

	fds[0] = l;
	fds[1] = c;
	fds[2] = s;
	fds[3] = r;
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, wsp_info(fds[i], &si));
		EXPECT_FALSE(is_kernel_address(si.socket_id));
		check_fdinfo(_metadata, fds[i], si.socket_id);
		ASSERT_EQ(0, wsp_get_registration(fds[i], &reg));
		EXPECT_FALSE(is_kernel_address(reg.descriptor));
		EXPECT_FALSE(is_kernel_address(reg.hwnd));
		memset(&e, 0, sizeof(e));
		ASSERT_EQ(0, wsp_enum(fds[i], -1, &e));
	}
	ASSERT_EQ(0, wsp_window_info(w, &wi));
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", w);
	ASSERT_EQ(0, read_text(path, text, sizeof(text)));
	EXPECT_FALSE(has_kernel_pointer(text)) TH_LOG("%s", text);
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", self->dev);
	ASSERT_EQ(0, read_text(path, text, sizeof(text)));
	EXPECT_FALSE(has_kernel_pointer(text)) TH_LOG("%s", text);
	ASSERT_EQ(0, read_text(WSP_COUNTERS_PATH, text, sizeof(text)));
	EXPECT_FALSE(has_kernel_pointer(text)) TH_LOG("%s", text);

	close(efd);
	close(w);
	close(r);
	close(s);
	close(c);
	close(l);
}

/*
 * Unloading is refused while the module holds anything for user space.
 * Each case closes everything but one object (even /dev/wspshare itself),
 * tries, and keeps the module loaded for the next tests.
 */
static int unload_refused_holding(int kind)
{
	struct wsp_duplicate_args da = { 0 };
	int dev, s = -1, w = -1, p[2], err, l, cl;
	pid_t target = -1;
	char c;

	dev = open(WSP_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	if (dev < 0)
		return 130;
	if (kind == 0) {
		s = wsp_socket(dev, AF_INET, SOCK_STREAM, 0, 0);
		if (s < 0)
			return 136;
	} else if (kind == 1) {
		w = wsp_window(dev, 0, 0);
		if (w < 0)
			return 137;
	} else if (kind == 3) {
		/* Only an accepted socket: its listener and peer closed. */
		if (wsp_tcp_pair(dev, AF_INET, &l, &cl, &s))
			return 138;
		close(l);
		close(cl);
	} else {
		/* A token for a live process, its socket's descriptors closed. */
		if (pipe(p))
			return 131;
		target = fork();
		if (target == 0) {
			close(p[1]);
			_exit(read(p[0], &c, 1) == 1 ? 0 : 1);
		}
		close(p[0]);
		s = wsp_socket(dev, AF_INET, SOCK_STREAM, 0, 0);
		da.pid = target;
		if (s < 0 || ioctl(s, WSP_IOC_DUPLICATE, &da))
			return 132;
		close(s);
		s = -1;
	}
	close(dev);

	err = wsp_unload_module();
	if (!wsp_module_loaded())
		return 133;	/* unloaded while holding: the bug */

	if (s >= 0)
		close(s);
	if (w >= 0)
		close(w);
	if (target > 0) {
		if (write(p[1], "x", 1) != 1)
			return 134;
		waitpid(target, NULL, 0);
	}
	/* delete_module's answer for a module in use, with O_NONBLOCK. */
	return err == -EWOULDBLOCK ? 0 : 135;
}

static int hold_socket(void *p)
{
	return unload_refused_holding(0);
}

static int hold_accepted_socket(void *p)
{
	return unload_refused_holding(3);
}

static int hold_window(void *p)
{
	return unload_refused_holding(1);
}

static int hold_token(void *p)
{
	return unload_refused_holding(2);
}

TEST(unload_refused_while_a_socket_exists)
{
	if (!wsp_module_loaded())
		SKIP(return, "wspshare module not loaded");
	EXPECT_EQ(0, in_child(hold_socket, NULL));
	EXPECT_TRUE(wsp_module_loaded());
}

TEST(unload_refused_while_an_accepted_socket_exists)
{
	if (!wsp_module_loaded())
		SKIP(return, "wspshare module not loaded");
	EXPECT_EQ(0, in_child(hold_accepted_socket, NULL));
	EXPECT_TRUE(wsp_module_loaded());
}

TEST(unload_refused_while_a_window_exists)
{
	if (!wsp_module_loaded())
		SKIP(return, "wspshare module not loaded");
	EXPECT_EQ(0, in_child(hold_window, NULL));
	EXPECT_TRUE(wsp_module_loaded());
}

TEST(unload_refused_while_a_token_is_pending)
{
	if (!wsp_module_loaded())
		SKIP(return, "wspshare module not loaded");
	EXPECT_EQ(0, in_child(hold_token, NULL));
	EXPECT_TRUE(wsp_module_loaded());
}

TEST_HARNESS_MAIN

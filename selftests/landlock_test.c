// SPDX-License-Identifier: GPL-2.0
/*
 * landlock_test - a wspshare socket is a real socket, so Landlock's
 * network rules apply to it as to any: a process that forbids itself TCP
 * bind and connect gets EACCES from bind(2) and connect(2) on a
 * descriptor, as on a socket(2) socket (the control). Each sandbox is
 * made in a forked child, so the rest of the program is unaffected.
 *
 * Landlock's network rules came with ABI 4 (Linux 6.7): on older kernels
 * (Debian's 6.1) every test skips. The libwsp variants make the same calls
 * through WSPSocket, WSPBind and WSPConnect, which must fail with
 * WSAEACCES.
 */
#include <linux/landlock.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "kselftest_harness.h"
#include "wsp_net.h"
#include "wsp.h"

#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#endif
#ifndef SYS_landlock_restrict_self
#define SYS_landlock_restrict_self 446
#endif
#ifndef LANDLOCK_CREATE_RULESET_VERSION
#define LANDLOCK_CREATE_RULESET_VERSION (1U << 0)
#endif

/*
 * Debian 12's linux-libc-dev (6.1) predates Landlock's network rules:
 * the constants and the ruleset's handled_access_net field, as
 * include/uapi/linux/landlock.h of Linux 6.7 defines them.
 */
#ifndef LANDLOCK_ACCESS_NET_BIND_TCP
#define LANDLOCK_ACCESS_NET_BIND_TCP	(1ULL << 0)
#define LANDLOCK_ACCESS_NET_CONNECT_TCP	(1ULL << 1)
#endif

struct ruleset_attr_net {
	__u64 handled_access_fs;
	__u64 handled_access_net;
};

#define NEED_ABI 4
#define SKIP_REASON "Landlock network rules need ABI 4 (Linux 6.7)"

/* The running kernel's Landlock ABI version, or -errno. */
static int landlock_abi(void)
{
	long v = syscall(SYS_landlock_create_ruleset, NULL, 0,
			 LANDLOCK_CREATE_RULESET_VERSION);

	return v < 0 ? -errno : (int)v;
}

/*
 * Forbid this process (and what it forks) TCP bind and connect, with no
 * rule allowing any port: 0, or -errno.
 */
static int forbid_tcp(void)
{
	struct ruleset_attr_net attr = {
		.handled_access_net = LANDLOCK_ACCESS_NET_BIND_TCP |
				      LANDLOCK_ACCESS_NET_CONNECT_TCP,
	};
	int fd, ret = 0;

	fd = syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
	if (fd < 0)
		return -errno;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    syscall(SYS_landlock_restrict_self, fd, 0))
		ret = -errno;
	close(fd);
	return ret;
}

FIXTURE(sandbox) {
	int dev;
	int l;			/* a listener outside the sandbox */
	struct test_addr addr;	/* its address */
};

FIXTURE_VARIANT(sandbox) {
	int family;
	int plain;		/* a socket(2) socket: the control */
	int libwsp;		/* through libwsp's WSP* functions */
};

FIXTURE_VARIANT_ADD(sandbox, wsp_ipv4) {
	.family = AF_INET,
};

FIXTURE_VARIANT_ADD(sandbox, wsp_ipv6) {
	.family = AF_INET6,
};

FIXTURE_VARIANT_ADD(sandbox, libwsp_ipv4) {
	.family = AF_INET,
	.libwsp = 1,
};

FIXTURE_VARIANT_ADD(sandbox, libwsp_ipv6) {
	.family = AF_INET6,
	.libwsp = 1,
};

FIXTURE_VARIANT_ADD(sandbox, plain_ipv4) {
	.family = AF_INET,
	.plain = 1,
};

FIXTURE_SETUP(sandbox)
{
	int abi;

	self->l = -1;
	WSP_SETUP_DEVICE(self->dev);
	abi = landlock_abi();
	if (abi == -ENOSYS || abi == -EOPNOTSUPP)
		SKIP(return, "Landlock is not enabled: %s", strerror(-abi));
	ASSERT_LT(0, abi) TH_LOG("landlock ABI: %s", strerror(-abi));
	if (abi < NEED_ABI)
		SKIP(return, SKIP_REASON " (this kernel has ABI %d)", abi);

	/* Made before any sandbox: the target of the connects. */
	self->l = wsp_socket(self->dev, variant->family, SOCK_STREAM, 0,
			     WSP_FD_CLOEXEC);
	ASSERT_LE(0, self->l);
	wsp_loopback(&self->addr, variant->family, 0);
	ASSERT_EQ(0, wsp_bind(self->l, &self->addr));
	ASSERT_EQ(0, wsp_listen(self->l, 8));
	ASSERT_EQ(0, wsp_getsockname(self->l, &self->addr));
}

FIXTURE_TEARDOWN(sandbox)
{
	if (self->l >= 0)
		close(self->l);
	if (self->dev >= 0)
		close(self->dev);
}

/* A TCP socket of the variant's kind: a descriptor or a plain socket. */
static int new_tcp(int dev, const FIXTURE_VARIANT(sandbox) *variant)
{
	int fd, err;

	if (variant->libwsp) {
		fd = WSPSocket(variant->family, SOCK_STREAM, 0, NULL, 0, 0,
			       &err);
		return fd == INVALID_SOCKET ? -EBADF : fd;
	}
	if (!variant->plain)
		return wsp_socket(dev, variant->family, SOCK_STREAM, 0,
				  WSP_FD_CLOEXEC);
	fd = socket(variant->family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	return fd < 0 ? -errno : fd;
}

/*
 * Bind or connect @fd to @a the variant's way: 0, or -EACCES when libwsp
 * reports WSAEACCES (another WSAE code is -EPROTO), else the call's -errno.
 */
static int tcp_op(int fd, const FIXTURE_VARIANT(sandbox) *variant,
		  struct test_addr *a, int connect_op)
{
	int ret, err = 0;

	if (!variant->libwsp)
		return connect_op ? wsp_connect(fd, a) : wsp_bind(fd, a);
	ret = connect_op ? WSPConnect(fd, &a->sa, a->len, NULL, NULL, NULL,
				      NULL, &err) :
			   WSPBind(fd, &a->sa, a->len, &err);
	if (ret != SOCKET_ERROR)
		return 0;
	return err == WSAEACCES ? -EACCES : -EPROTO;
}

/* Child exit codes: 0 as expected, else where it went wrong. */
enum { CHILD_OK, CHILD_NO_SOCKET, CHILD_NO_SANDBOX, CHILD_WRONG_ERRNO };

/*
 * In a child: make the socket before the sandbox (@before) or after it,
 * sandbox itself, and check that @op fails with EACCES.
 */
static int sandboxed(int dev, const FIXTURE_VARIANT(sandbox) *variant,
		     struct test_addr *target, int connect_op, int before)
{
	struct test_addr a;
	int fd = -1, err;

	if (before && (fd = new_tcp(dev, variant)) < 0)
		return CHILD_NO_SOCKET;
	if (forbid_tcp())
		return CHILD_NO_SANDBOX;
	if (!before && (fd = new_tcp(dev, variant)) < 0)
		return CHILD_NO_SOCKET;
	if (connect_op) {
		err = tcp_op(fd, variant, target, 1);
	} else {
		wsp_loopback(&a, variant->family, 0);
		err = tcp_op(fd, variant, &a, 0);
	}
	close(fd);
	if (err != -EACCES) {
		fprintf(stderr, "# %s: %s, not EACCES\n",
			connect_op ? "connect" : "bind",
			err ? strerror(-err) : "success");
		return CHILD_WRONG_ERRNO;
	}
	return CHILD_OK;
}

static int run_sandboxed(int dev, const FIXTURE_VARIANT(sandbox) *variant,
			 struct test_addr *target, int connect_op, int before)
{
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0)
		_exit(sandboxed(dev, variant, target, connect_op, before));
	return wsp_reap(pid, 10000);
}

TEST_F(sandbox, bind_eacces)
{
	EXPECT_EQ(CHILD_OK, run_sandboxed(self->dev, variant, &self->addr,
					  0, 0));
}

TEST_F(sandbox, connect_eacces)
{
	EXPECT_EQ(CHILD_OK, run_sandboxed(self->dev, variant, &self->addr,
					  1, 0));
}

/* The socket was made before the sandbox: the call is still checked. */
TEST_F(sandbox, bind_eacces_on_socket_made_before)
{
	EXPECT_EQ(CHILD_OK, run_sandboxed(self->dev, variant, &self->addr,
					  0, 1));
}

TEST_F(sandbox, connect_eacces_on_socket_made_before)
{
	EXPECT_EQ(CHILD_OK, run_sandboxed(self->dev, variant, &self->addr,
					  1, 1));
}

/* Outside the sandbox (this process) the same calls work. */
TEST_F(sandbox, unsandboxed_bind_and_connect_work)
{
	struct test_addr a;
	int fd, s;

	fd = new_tcp(self->dev, variant);
	ASSERT_LE(0, fd);
	wsp_loopback(&a, variant->family, 0);
	EXPECT_EQ(0, tcp_op(fd, variant, &a, 0));
	EXPECT_EQ(0, tcp_op(fd, variant, &self->addr, 1));
	s = wsp_accept(self->l, NULL);
	EXPECT_LE(0, s);
	if (s >= 0)
		close(s);
	close(fd);
}

TEST_HARNESS_MAIN

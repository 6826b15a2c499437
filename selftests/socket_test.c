// SPDX-License-Identifier: GPL-2.0
/*
 * socket_test - what wspshare owns about one socket. A descriptor is a
 * real Linux socket: bind, connect, send, poll and the rest are the
 * kernel's own system calls and are not tested again here. What is
 * tested: creating sockets through /dev/wspshare and every bad argument's
 * errno, that the result is a socket file, the descriptor ioctls and
 * where they are refused, the blocking mode (the file's O_NONBLOCK and
 * Windows' FIONBIO rule), fdinfo, the socket options the module refuses,
 * that the kernel's own receive calls re-enable async-select's FD_READ as
 * libwsp's do, that a descriptor passed by SCM_RIGHTS or taken by
 * pidfd_getfd(2) is the same socket under the one registration, what an
 * accepted socket is, and that a socket holds the module.
 *
 * Sharing one socket between descriptors is dup_test's business; the
 * registrations themselves (the rules of FIONBIO under a registration,
 * what an accepted socket inherits, re-enabling for event-select) are
 * notify_test's and window_test's.
 */
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "wsp_notify.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

/* How long a test waits for a condition that should come at once. */
#define WAIT_MS 5000
/*
 * How long a test watches for something that must not come. Nothing is
 * in flight by then (the data it waits for has arrived), so the watch
 * only catches a late wrong signal.
 */
#define QUIET_MS 100

/* A kernel address: never a valid user pointer. */
#define KERNEL_PTR ((void *)0xffffffff81000000ul)

#define ARRAY_LEN(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* The window message number the async-select tests register. */
#define TEST_MSG 0x8123

/* 1 if @fd's file has O_NONBLOCK, 0 if not, or -errno. */
static int fd_nonblocking(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 ? -errno : !!(fl & O_NONBLOCK);
}

/* FIONREAD: the bytes waiting, or -errno. */
static int bytes_waiting(int fd)
{
	int n = -1;

	return ioctl(fd, FIONREAD, &n) < 0 ? -errno : n;
}

/* Wait until @fd has @n bytes waiting: 0, or -ETIMEDOUT. */
static int wait_bytes(int fd, int n)
{
	long end = now_ms() + WAIT_MS;

	while (bytes_waiting(fd) != n) {
		if (now_ms() > end)
			return -ETIMEDOUT;
		poll1(fd, POLLIN, 10);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Creating sockets: WSP_IOC_SOCKET on /dev/wspshare.                 */
/* ------------------------------------------------------------------ */

FIXTURE(create) {
	int dev;
};

FIXTURE_SETUP(create)
{
	WSP_SETUP_DEVICE(self->dev);
}

FIXTURE_TEARDOWN(create)
{
	if (self->dev >= 0)
		close(self->dev);
}

/* WSP_IOC_SOCKET must fail with @err; a descriptor made by mistake is closed. */
#define EXPECT_SOCKET_ERR(err, fam, typ, proto, fl) do {			\
	int __fd = wsp_socket(self->dev, (fam), (typ), (proto), (fl));	\
	EXPECT_EQ(-(err), __fd)						\
		TH_LOG("family %d type %d protocol %d flags %#x",	\
		       (int)(fam), (int)(typ), (int)(proto),		\
		       (unsigned int)(fl));				\
	if (__fd >= 0)							\
		close(__fd);						\
} while (0)

/* Both families and both types, protocol 0 or the type's own. */
TEST_F(create, all_families_types_protocols)
{
	static const struct { int family, type, protocol; } ok[] = {
		{ AF_INET, SOCK_STREAM, 0 },
		{ AF_INET, SOCK_STREAM, IPPROTO_TCP },
		{ AF_INET, SOCK_DGRAM, 0 },
		{ AF_INET, SOCK_DGRAM, IPPROTO_UDP },
		{ AF_INET6, SOCK_STREAM, 0 },
		{ AF_INET6, SOCK_STREAM, IPPROTO_TCP },
		{ AF_INET6, SOCK_DGRAM, 0 },
		{ AF_INET6, SOCK_DGRAM, IPPROTO_UDP },
	};
	struct wsp_socket_info info;
	int i, fd, v;

	for (i = 0; i < ARRAY_LEN(ok); i++) {
		int want_proto = ok[i].type == SOCK_STREAM ? IPPROTO_TCP
							   : IPPROTO_UDP;

		fd = wsp_socket(self->dev, ok[i].family, ok[i].type,
				ok[i].protocol, WSP_FD_CLOEXEC);
		ASSERT_LE(0, fd) TH_LOG("family %d type %d protocol %d",
					ok[i].family, ok[i].type,
					ok[i].protocol);
		EXPECT_EQ(0, wsp_info(fd, &info));
		EXPECT_EQ(0, info.flags);
		EXPECT_EQ(ok[i].family, info.family);
		EXPECT_EQ(ok[i].type, info.type);
		EXPECT_EQ(want_proto, info.protocol);
		EXPECT_EQ(0, info.nonblocking);
		EXPECT_EQ(0, info.pending_duplicates);
		EXPECT_NE(0, info.socket_id);
		/* The real socket agrees. */
		EXPECT_EQ(0, wsp_getsockopt_int(fd, SOL_SOCKET, SO_DOMAIN, &v));
		EXPECT_EQ(ok[i].family, v);
		EXPECT_EQ(0, wsp_getsockopt_int(fd, SOL_SOCKET, SO_TYPE, &v));
		EXPECT_EQ(ok[i].type, v);
		EXPECT_EQ(0, wsp_getsockopt_int(fd, SOL_SOCKET, SO_PROTOCOL,
						&v));
		EXPECT_EQ(want_proto, v);
		close(fd);
	}
}

/* The descriptor is a socket file: fstat, /proc/self/fd. */
TEST_F(create, descriptor_is_a_socket_file)
{
	char path[64], link[64], want[64];
	struct stat st;
	ssize_t n;
	int fd;

	fd = wsp_socket(self->dev, AF_INET, SOCK_STREAM, 0, WSP_FD_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fstat(fd, &st));
	EXPECT_TRUE(S_ISSOCK(st.st_mode)) TH_LOG("st_mode %#o", st.st_mode);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	ASSERT_LT(0, n);
	link[n] = 0;
	snprintf(want, sizeof(want), "socket:[%lu]", (unsigned long)st.st_ino);
	EXPECT_STREQ(want, link);
	close(fd);
}

/* Each socket has its own id. */
TEST_F(create, socket_ids_differ)
{
	struct wsp_socket_info a, b;
	int fa, fb;

	fa = wsp_socket(self->dev, AF_INET, SOCK_STREAM, 0, WSP_FD_CLOEXEC);
	ASSERT_LE(0, fa);
	fb = wsp_socket(self->dev, AF_INET, SOCK_STREAM, 0, WSP_FD_CLOEXEC);
	ASSERT_LE(0, fb);
	ASSERT_EQ(0, wsp_info(fa, &a));
	ASSERT_EQ(0, wsp_info(fb, &b));
	EXPECT_NE(a.socket_id, b.socket_id);
	close(fb);
	close(fa);
}

TEST_F(create, cloexec_flag)
{
	int fd;

	fd = wsp_socket(self->dev, AF_INET, SOCK_STREAM, 0, WSP_FD_CLOEXEC);
	ASSERT_LE(0, fd);
	EXPECT_EQ(1, fd_cloexec(fd));
	close(fd);

	fd = wsp_socket(self->dev, AF_INET, SOCK_STREAM, 0, 0);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, fd_cloexec(fd));
	close(fd);
}

/* WSP_SOCK_NONBLOCK is the file's O_NONBLOCK, and only that. */
TEST_F(create, nonblock_flag_sets_o_nonblock)
{
	struct wsp_socket_info info;
	int fd;

	fd = wsp_socket(self->dev, AF_INET, SOCK_DGRAM, 0, WSP_SOCK_NONBLOCK);
	ASSERT_LE(0, fd);
	EXPECT_EQ(1, fd_nonblocking(fd));
	ASSERT_EQ(0, wsp_info(fd, &info));
	EXPECT_EQ(1, info.nonblocking);
	EXPECT_EQ(0, fd_cloexec(fd));
	close(fd);

	fd = wsp_socket(self->dev, AF_INET6, SOCK_STREAM, 0, WSP_FD_CLOEXEC);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, fd_nonblocking(fd));
	ASSERT_EQ(0, wsp_info(fd, &info));
	EXPECT_EQ(0, info.nonblocking);
	close(fd);
}

TEST_F(create, unknown_flags_einval)
{
	EXPECT_SOCKET_ERR(EINVAL, AF_INET, SOCK_STREAM, 0, 1U << 2);
	EXPECT_SOCKET_ERR(EINVAL, AF_INET, SOCK_STREAM, 0, 0x80000000u);
	EXPECT_SOCKET_ERR(EINVAL, AF_INET, SOCK_STREAM, 0,
			  WSP_FD_CLOEXEC | (1U << 7));
	/* Linux's own SOCK_* flag values are not wspshare flags. */
	EXPECT_SOCKET_ERR(EINVAL, AF_INET, SOCK_STREAM, 0, SOCK_NONBLOCK);
	EXPECT_SOCKET_ERR(EINVAL, AF_INET, SOCK_STREAM, 0, SOCK_CLOEXEC);
}

TEST_F(create, bad_family_eafnosupport)
{
	EXPECT_SOCKET_ERR(EAFNOSUPPORT, AF_UNSPEC, SOCK_STREAM, 0, 0);
	EXPECT_SOCKET_ERR(EAFNOSUPPORT, AF_UNIX, SOCK_STREAM, 0, 0);
	EXPECT_SOCKET_ERR(EAFNOSUPPORT, AF_UNIX, SOCK_DGRAM, 0, 0);
	EXPECT_SOCKET_ERR(EAFNOSUPPORT, AF_NETLINK, SOCK_DGRAM, 0, 0);
	EXPECT_SOCKET_ERR(EAFNOSUPPORT, AF_PACKET, SOCK_DGRAM, 0, 0);
	EXPECT_SOCKET_ERR(EAFNOSUPPORT, -1, SOCK_STREAM, 0, 0);
	EXPECT_SOCKET_ERR(EAFNOSUPPORT, 1000, SOCK_STREAM, 0, 0);
}

TEST_F(create, bad_type_esocktnosupport)
{
	EXPECT_SOCKET_ERR(ESOCKTNOSUPPORT, AF_INET, SOCK_RAW, 0, 0);
	EXPECT_SOCKET_ERR(ESOCKTNOSUPPORT, AF_INET6, SOCK_RAW, 0, 0);
	EXPECT_SOCKET_ERR(ESOCKTNOSUPPORT, AF_INET, SOCK_SEQPACKET, 0, 0);
	EXPECT_SOCKET_ERR(ESOCKTNOSUPPORT, AF_INET, SOCK_RDM, 0, 0);
	EXPECT_SOCKET_ERR(ESOCKTNOSUPPORT, AF_INET, 0, 0, 0);
	EXPECT_SOCKET_ERR(ESOCKTNOSUPPORT, AF_INET, -1, 0, 0);
	/* socket(2)'s flag bits in the type are not accepted either. */
	EXPECT_SOCKET_ERR(ESOCKTNOSUPPORT, AF_INET, SOCK_STREAM | SOCK_NONBLOCK,
			  0, 0);
	EXPECT_SOCKET_ERR(ESOCKTNOSUPPORT, AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC,
			  0, 0);
}

TEST_F(create, bad_protocol_eprotonosupport)
{
	EXPECT_SOCKET_ERR(EPROTONOSUPPORT, AF_INET, SOCK_STREAM, IPPROTO_UDP, 0);
	EXPECT_SOCKET_ERR(EPROTONOSUPPORT, AF_INET, SOCK_DGRAM, IPPROTO_TCP, 0);
	EXPECT_SOCKET_ERR(EPROTONOSUPPORT, AF_INET6, SOCK_STREAM, IPPROTO_UDP, 0);
	EXPECT_SOCKET_ERR(EPROTONOSUPPORT, AF_INET6, SOCK_DGRAM, IPPROTO_TCP, 0);
	EXPECT_SOCKET_ERR(EPROTONOSUPPORT, AF_INET, SOCK_STREAM, IPPROTO_SCTP, 0);
	EXPECT_SOCKET_ERR(EPROTONOSUPPORT, AF_INET, SOCK_DGRAM, IPPROTO_ICMP, 0);
	EXPECT_SOCKET_ERR(EPROTONOSUPPORT, AF_INET, SOCK_DGRAM, IPPROTO_UDPLITE,
			  0);
	EXPECT_SOCKET_ERR(EPROTONOSUPPORT, AF_INET, SOCK_STREAM, IPPROTO_MPTCP,
			  0);
	EXPECT_SOCKET_ERR(EPROTONOSUPPORT, AF_INET, SOCK_STREAM, -1, 0);
}

#define SOCKET_IOC(size) _IOC(_IOC_WRITE, WSP_IOC_MAGIC, \
			      _IOC_NR(WSP_IOC_SOCKET), (size))

/* The general size protocol for WSP_IOC_SOCKET's struct. */
TEST_F(create, socket_args_struct_size)
{
	struct {
		struct wsp_socket_args a;
		uint64_t tail[2];
	} big;
	long fd;

	memset(&big, 0, sizeof(big));
	big.a.family = AF_INET;
	big.a.type = SOCK_STREAM;
	big.a.flags = WSP_FD_CLOEXEC;
	fd = xioctl(self->dev, SOCKET_IOC(sizeof(big.a) - 1), &big);
	EXPECT_EQ(-EINVAL, fd);
	if (fd >= 0)
		close(fd);

	big.tail[1] = 1;
	fd = xioctl(self->dev, SOCKET_IOC(sizeof(big)), &big);
	EXPECT_EQ(-E2BIG, fd);
	if (fd >= 0)
		close(fd);

	big.tail[1] = 0;
	fd = xioctl(self->dev, SOCKET_IOC(sizeof(big)), &big);
	EXPECT_LE(0, fd);
	if (fd >= 0) {
		EXPECT_EQ(1, fd_cloexec(fd));
		EXPECT_NE(0, wsp_socket_id(fd));
		close(fd);
	}
}

TEST_F(create, bad_pointer_efault)
{
	struct wsp_counters before, after;
	void *unmapped = unmapped_page();
	long ret;

	ASSERT_NE(MAP_FAILED, unmapped);
	ASSERT_EQ(0, wsp_read_counters(&before));
	ret = xioctl(self->dev, WSP_IOC_SOCKET, NULL);
	EXPECT_EQ(-EFAULT, ret);
	if (ret >= 0)
		close(ret);
	ret = xioctl(self->dev, WSP_IOC_SOCKET, unmapped);
	EXPECT_EQ(-EFAULT, ret);
	if (ret >= 0)
		close(ret);
	ret = xioctl(self->dev, WSP_IOC_SOCKET, KERNEL_PTR);
	EXPECT_EQ(-EFAULT, ret);
	if (ret >= 0)
		close(ret);
	munmap(unmapped, 4096);
	/* No socket was left behind. */
	ASSERT_EQ(0, wsp_read_counters(&after));
	EXPECT_EQ(before.sockets, after.sockets);
}

/* A rejected creation leaves no socket behind (counters). */
TEST_F(create, rejected_creation_leaves_nothing)
{
	struct wsp_counters before, after;

	ASSERT_EQ(0, wsp_read_counters(&before));
	EXPECT_SOCKET_ERR(EINVAL, AF_INET, SOCK_STREAM, 0, 1U << 5);
	EXPECT_SOCKET_ERR(EAFNOSUPPORT, AF_UNIX, SOCK_STREAM, 0, 0);
	EXPECT_SOCKET_ERR(ESOCKTNOSUPPORT, AF_INET, SOCK_RAW, 0, 0);
	EXPECT_SOCKET_ERR(EPROTONOSUPPORT, AF_INET, SOCK_STREAM, IPPROTO_UDP, 0);
	ASSERT_EQ(0, wsp_read_counters(&after));
	EXPECT_EQ(before.sockets, after.sockets);
}

/* The live socket count follows a socket's creation and its close. */
TEST_F(create, counters_follow_create_and_close)
{
	struct wsp_counters c0, c1, c2, c3;
	int a, b;

	ASSERT_EQ(0, wsp_read_counters(&c0));
	EXPECT_LE(0, c0.sockets);

	a = wsp_socket(self->dev, AF_INET, SOCK_STREAM, 0, WSP_FD_CLOEXEC);
	ASSERT_LE(0, a);
	ASSERT_EQ(0, wsp_read_counters(&c1));
	EXPECT_EQ(c0.sockets + 1, c1.sockets);

	b = wsp_socket(self->dev, AF_INET6, SOCK_DGRAM, 0, WSP_FD_CLOEXEC);
	ASSERT_LE(0, b);
	ASSERT_EQ(0, wsp_read_counters(&c2));
	EXPECT_EQ(c0.sockets + 2, c2.sockets);

	/* dup(2) is one more descriptor of the same socket. */
	close(dup(a));
	close(a);
	close(b);
	ASSERT_EQ(0, wsp_read_counters(&c3));
	EXPECT_EQ(c0.sockets, c3.sockets);
	EXPECT_EQ(c0.pending_duplicates, c3.pending_duplicates);
}

/* The ioctls a descriptor takes, with a struct of the right size each. */
static const unsigned long descriptor_ioctls[] = {
	WSP_IOC_DUPLICATE, WSP_IOC_SOCKET_INFO, WSP_IOC_SET_NONBLOCK,
	WSP_IOC_EVENT_SELECT, WSP_IOC_ASYNC_SELECT, WSP_IOC_ENUM_EVENTS,
	WSP_IOC_GET_REGISTRATION,
};

/* A descriptor ioctl sent to the device: the device is not a socket. */
TEST_F(create, descriptor_ioctls_on_device_enotsock)
{
	unsigned char buf[256];
	int i;

	for (i = 0; i < ARRAY_LEN(descriptor_ioctls); i++) {
		memset(buf, 0, sizeof(buf));
		EXPECT_EQ(-ENOTSOCK, wsp_ioctl(self->dev, descriptor_ioctls[i],
					       buf))
			TH_LOG("cmd %#lx", descriptor_ioctls[i]);
	}
}

/* A descriptor ioctl sent to a socket(2) socket: not ours, ENOTTY. */
TEST_F(create, descriptor_ioctls_on_plain_socket_enotty)
{
	static const int kinds[][2] = {
		{ AF_INET, SOCK_STREAM }, { AF_INET6, SOCK_DGRAM },
	};
	unsigned char buf[256];
	int i, k, fd;

	for (k = 0; k < ARRAY_LEN(kinds); k++) {
		fd = socket(kinds[k][0], kinds[k][1] | SOCK_CLOEXEC, 0);
		ASSERT_LE(0, fd);
		for (i = 0; i < ARRAY_LEN(descriptor_ioctls); i++) {
			memset(buf, 0, sizeof(buf));
			EXPECT_EQ(-ENOTTY, wsp_ioctl(fd, descriptor_ioctls[i],
						     buf))
				TH_LOG("cmd %#lx", descriptor_ioctls[i]);
		}
		/* And it stays blocking: SET_NONBLOCK did nothing. */
		EXPECT_EQ(0, fd_nonblocking(fd));
		close(fd);
	}
}

/* A device ioctl sent to a descriptor: wrong kind of file. */
TEST_F(create, device_ioctl_on_descriptor_enotty)
{
	struct wsp_socket_args sa = { .family = AF_INET, .type = SOCK_STREAM };
	struct wsp_window_args wa = { 0 };
	struct wsp_version v = { 0 };
	long ret;
	int fd;

	fd = wsp_socket(self->dev, AF_INET, SOCK_STREAM, 0, WSP_FD_CLOEXEC);
	ASSERT_LE(0, fd);
	ret = xioctl(fd, WSP_IOC_SOCKET, &sa);
	EXPECT_EQ(-ENOTTY, ret);
	if (ret >= 0)
		close(ret);
	ret = xioctl(fd, WSP_IOC_WINDOW, &wa);
	EXPECT_EQ(-ENOTTY, ret);
	if (ret >= 0)
		close(ret);
	EXPECT_EQ(-ENOTTY, wsp_ioctl(fd, WSP_IOC_VERSION, &v));
	EXPECT_EQ(0, v.abi_version);
	close(fd);
}

/*
 * Unknown numbers, ABI 1's retired socket-call numbers (0x20 to 0x2a) and
 * wrong direction bits on a descriptor: ENOTTY, as any socket says to an
 * ioctl it does not know.
 */
TEST_F(create, unknown_descriptor_ioctl_enotty)
{
	unsigned char buf[256] = { 0 };
	unsigned int nr;
	int fd;

	fd = wsp_socket(self->dev, AF_INET, SOCK_STREAM, 0, WSP_FD_CLOEXEC);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENOTTY, wsp_ioctl(fd, _IOWR(WSP_IOC_MAGIC, 0xff,
					       struct wsp_socket_info), buf));
	EXPECT_EQ(-ENOTTY, wsp_ioctl(fd, _IO(WSP_IOC_MAGIC, 0x7f), NULL));
	for (nr = 0x20; nr <= 0x2a; nr++)
		EXPECT_EQ(-ENOTTY, wsp_ioctl(fd, _IOC(_IOC_READ | _IOC_WRITE,
						      WSP_IOC_MAGIC, nr, 64),
					     buf)) TH_LOG("nr %#x", nr);
	/* The right number with the wrong direction bits. */
	EXPECT_EQ(-ENOTTY, wsp_ioctl(fd, _IOW(WSP_IOC_MAGIC,
		_IOC_NR(WSP_IOC_SOCKET_INFO), struct wsp_socket_info), buf));
	EXPECT_EQ(-ENOTTY, wsp_ioctl(fd, _IOR(WSP_IOC_MAGIC,
		_IOC_NR(WSP_IOC_SET_NONBLOCK), struct wsp_nonblock_args), buf));
	close(fd);
}

/* A closed descriptor is no descriptor. */
TEST_F(create, closed_descriptor_ebadf)
{
	struct wsp_socket_info info;
	int fd;

	fd = wsp_socket(self->dev, AF_INET, SOCK_STREAM, 0, WSP_FD_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, close(fd));
	EXPECT_EQ(-EBADF, wsp_info(fd, &info));
	EXPECT_EQ(-EBADF, wsp_set_nonblock(fd, 1));
}

#define INFO_IOC(size) _IOC(_IOC_READ | _IOC_WRITE, WSP_IOC_MAGIC, \
			    _IOC_NR(WSP_IOC_SOCKET_INFO), (size))

/* The general size protocol holds for descriptor ioctls too. */
TEST_F(create, socket_info_struct_size)
{
	struct {
		struct wsp_socket_info info;
		uint64_t tail[2];
	} big;
	int fd;

	fd = wsp_socket(self->dev, AF_INET, SOCK_DGRAM, 0, WSP_FD_CLOEXEC);
	ASSERT_LE(0, fd);

	memset(&big, 0, sizeof(big));
	EXPECT_EQ(-EINVAL, wsp_ioctl(fd, INFO_IOC(4), &big));
	EXPECT_EQ(-EINVAL, wsp_ioctl(fd, INFO_IOC(sizeof(big.info) - 1), &big));
	EXPECT_EQ(0, big.info.family);

	big.tail[1] = 1;
	EXPECT_EQ(-E2BIG, wsp_ioctl(fd, INFO_IOC(sizeof(big)), &big));
	EXPECT_EQ(0, big.info.family);

	big.tail[1] = 0;
	EXPECT_EQ(0, wsp_ioctl(fd, INFO_IOC(sizeof(big)), &big));
	EXPECT_EQ(AF_INET, big.info.family);
	EXPECT_EQ(SOCK_DGRAM, big.info.type);
	EXPECT_EQ(0, big.tail[0]);
	EXPECT_EQ(0, big.tail[1]);
	close(fd);
}

TEST_F(create, socket_info_flags_einval)
{
	struct wsp_socket_info info = { .flags = 1 };
	int fd;

	fd = wsp_socket(self->dev, AF_INET, SOCK_STREAM, 0, WSP_FD_CLOEXEC);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EINVAL, wsp_ioctl(fd, WSP_IOC_SOCKET_INFO, &info));
	EXPECT_EQ(0, info.family);
	info.flags = 0x80000000u;
	EXPECT_EQ(-EINVAL, wsp_ioctl(fd, WSP_IOC_SOCKET_INFO, &info));
	EXPECT_EQ(0, info.family);
	close(fd);
}

/* A NULL, unmapped or kernel struct pointer: EFAULT, nothing changes. */
TEST_F(create, descriptor_bad_pointer_efault)
{
	static const unsigned long cmds[] = {
		WSP_IOC_SOCKET_INFO, WSP_IOC_SET_NONBLOCK,
	};
	void *unmapped = unmapped_page();
	int i, fd;

	ASSERT_NE(MAP_FAILED, unmapped);
	fd = wsp_socket(self->dev, AF_INET, SOCK_STREAM, 0, WSP_FD_CLOEXEC);
	ASSERT_LE(0, fd);
	for (i = 0; i < ARRAY_LEN(cmds); i++) {
		EXPECT_EQ(-EFAULT, xioctl(fd, cmds[i], NULL))
			TH_LOG("cmd %#lx NULL", cmds[i]);
		EXPECT_EQ(-EFAULT, xioctl(fd, cmds[i], unmapped))
			TH_LOG("cmd %#lx unmapped", cmds[i]);
		EXPECT_EQ(-EFAULT, xioctl(fd, cmds[i], KERNEL_PTR))
			TH_LOG("cmd %#lx kernel", cmds[i]);
	}
	munmap(unmapped, 4096);
	EXPECT_EQ(0, fd_nonblocking(fd));
	close(fd);
}

/* An output struct in read-only memory cannot be written back. */
TEST_F(create, socket_info_readonly_struct_efault)
{
	struct wsp_socket_info *info;
	int fd;

	fd = wsp_socket(self->dev, AF_INET, SOCK_DGRAM, 0, WSP_FD_CLOEXEC);
	ASSERT_LE(0, fd);
	info = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, info);
	EXPECT_EQ(-EFAULT, wsp_ioctl(fd, WSP_IOC_SOCKET_INFO, info));
	munmap(info, 4096);
	close(fd);
}

/* A pending duplication shows in SOCKET_INFO until it is redeemed. */
TEST_F(create, socket_info_counts_pending_duplicates)
{
	struct wsp_protocol_info pi;
	struct wsp_socket_info info;
	int fd, fd2;

	fd = wsp_socket(self->dev, AF_INET, SOCK_STREAM, 0, WSP_FD_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, wsp_duplicate(fd, getpid(), &pi));
	ASSERT_EQ(0, wsp_info(fd, &info));
	EXPECT_EQ(1, info.pending_duplicates);
	fd2 = wsp_redeem(self->dev, &pi);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, wsp_info(fd, &info));
	EXPECT_EQ(0, info.pending_duplicates);
	close(fd2);
	close(fd);
}

/* fdinfo names the socket; a socket(2) socket's has no such line. */
TEST_F(create, fdinfo_shows_socket_id)
{
	unsigned long long id = 0;
	int fd, plain;

	fd = wsp_socket(self->dev, AF_INET6, SOCK_DGRAM, 0, WSP_FD_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, wsp_fdinfo_socket_id(fd, &id));
	EXPECT_EQ(wsp_socket_id(fd), id);
	EXPECT_NE(0, id);
	close(fd);

	plain = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, plain);
	EXPECT_EQ(-ENOENT, wsp_fdinfo_socket_id(plain, &id));
	close(plain);
}

/*
 * IPV6_ADDRFORM would turn the socket into an IPv4 one with the
 * protocol's own ops, dropping the module's: refused, for TCP and UDP.
 */
TEST_F(create, ipv6_addrform_eopnotsupp)
{
	static const int types[] = { SOCK_STREAM, SOCK_DGRAM };
	int i, fd, v = AF_INET;

	for (i = 0; i < ARRAY_LEN(types); i++) {
		fd = wsp_socket(self->dev, AF_INET6, types[i], 0,
				WSP_FD_CLOEXEC);
		ASSERT_LE(0, fd);
		v = AF_INET;
		EXPECT_EQ(-EOPNOTSUPP, wsp_setsockopt(fd, IPPROTO_IPV6,
						      IPV6_ADDRFORM, &v,
						      sizeof(v)))
			TH_LOG("type %d", types[i]);
		ASSERT_EQ(0, wsp_getsockopt_int(fd, SOL_SOCKET, SO_DOMAIN, &v));
		EXPECT_EQ(AF_INET6, v);
		EXPECT_NE(0, wsp_socket_id(fd));
		close(fd);
	}
}

/* ------------------------------------------------------------------ */
/* One socket, over IPv4 and IPv6.                                    */
/* ------------------------------------------------------------------ */

FIXTURE(sock) {
	int dev;
	int l, c, s;	/* a TCP listener, client and accepted server */
	int efd, win;	/* an eventfd and a window */
};

FIXTURE_VARIANT(sock) {
	int family;
};

FIXTURE_VARIANT_ADD(sock, ipv4) {
	.family = AF_INET,
};

FIXTURE_VARIANT_ADD(sock, ipv6) {
	.family = AF_INET6,
};

FIXTURE_SETUP(sock)
{
	self->l = self->c = self->s = self->efd = self->win = -1;
	WSP_SETUP_DEVICE(self->dev);
	self->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_LE(0, self->efd);
	self->win = wsp_window(self->dev, WSP_FD_CLOEXEC | WSP_WINDOW_NONBLOCK,
			       0);
	ASSERT_LE(0, self->win);
}

FIXTURE_TEARDOWN(sock)
{
	int *fds[] = { &self->s, &self->c, &self->l, &self->win, &self->efd,
		       &self->dev };
	int i;

	for (i = 0; i < ARRAY_LEN(fds); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

/* A connected TCP pair in self->l, self->c and self->s. */
#define TCP_PAIR() ASSERT_EQ(0, wsp_tcp_pair(self->dev, variant->family, \
					     &self->l, &self->c, &self->s))

/* A new socket of the variant's family, into @fd. */
#define NEW_SOCK(fd, type, flags) do {					\
	(fd) = wsp_socket(self->dev, variant->family, (type), 0, (flags)); \
	ASSERT_LE(0, (fd));						\
} while (0)

/* A TCP listener on loopback in self->l; its address in @a. */
#define LISTENER(a, flags) do {						\
	NEW_SOCK(self->l, SOCK_STREAM, (flags));			\
	wsp_loopback(&(a), variant->family, 0);				\
	ASSERT_EQ(0, wsp_bind(self->l, &(a)));				\
	ASSERT_EQ(0, wsp_listen(self->l, 8));				\
	ASSERT_EQ(0, wsp_getsockname(self->l, &(a)));			\
} while (0)

/* Connect self->c to the listener at @a and accept it into self->s. */
#define CONNECT_ACCEPT(a) do {						\
	NEW_SOCK(self->c, SOCK_STREAM, WSP_FD_CLOEXEC);			\
	ASSERT_EQ(0, wsp_connect(self->c, &(a)));			\
	ASSERT_TRUE(poll1(self->l, POLLIN, WAIT_MS) & POLLIN);		\
	self->s = accept4(self->l, NULL, NULL, SOCK_CLOEXEC);		\
	ASSERT_LE(0, self->s) TH_LOG("accept4: %s", strerror(errno));	\
} while (0)

/* --- blocking mode ------------------------------------------------- */

TEST_F(sock, set_nonblock_sets_and_clears_o_nonblock)
{
	struct wsp_socket_info info;

	NEW_SOCK(self->c, SOCK_STREAM, WSP_FD_CLOEXEC);
	ASSERT_EQ(0, wsp_set_nonblock(self->c, 1));
	EXPECT_EQ(1, fd_nonblocking(self->c));
	ASSERT_EQ(0, wsp_info(self->c, &info));
	EXPECT_EQ(1, info.nonblocking);
	ASSERT_EQ(0, wsp_set_nonblock(self->c, 1));
	EXPECT_EQ(1, fd_nonblocking(self->c));
	ASSERT_EQ(0, wsp_set_nonblock(self->c, 0));
	EXPECT_EQ(0, fd_nonblocking(self->c));
	ASSERT_EQ(0, wsp_info(self->c, &info));
	EXPECT_EQ(0, info.nonblocking);
}

/* The mode is the socket's: set through one descriptor, seen by all. */
TEST_F(sock, set_nonblock_applies_to_every_descriptor)
{
	struct wsp_protocol_info pi;
	int d, r;

	NEW_SOCK(self->c, SOCK_STREAM, WSP_FD_CLOEXEC);
	d = dup(self->c);
	ASSERT_LE(0, d);
	ASSERT_EQ(0, wsp_duplicate(self->c, getpid(), &pi));
	r = wsp_redeem(self->dev, &pi);
	ASSERT_LE(0, r);

	ASSERT_EQ(0, wsp_set_nonblock(r, 1));
	EXPECT_EQ(1, fd_nonblocking(self->c));
	EXPECT_EQ(1, fd_nonblocking(d));
	EXPECT_EQ(1, fd_nonblocking(r));
	ASSERT_EQ(0, wsp_set_nonblock(d, 0));
	EXPECT_EQ(0, fd_nonblocking(self->c));
	EXPECT_EQ(0, fd_nonblocking(r));
	close(r);
	close(d);
}

/* The mode SOCKET_INFO reports is the file's O_NONBLOCK, however set. */
TEST_F(sock, socket_info_reports_o_nonblock)
{
	struct wsp_socket_info info;
	int fl;

	NEW_SOCK(self->c, SOCK_STREAM, WSP_FD_CLOEXEC);
	fl = fcntl(self->c, F_GETFL);
	ASSERT_EQ(0, fcntl(self->c, F_SETFL, fl | O_NONBLOCK));
	ASSERT_EQ(0, wsp_info(self->c, &info));
	EXPECT_EQ(1, info.nonblocking);
	ASSERT_EQ(0, fcntl(self->c, F_SETFL, fl & ~O_NONBLOCK));
	ASSERT_EQ(0, wsp_info(self->c, &info));
	EXPECT_EQ(0, info.nonblocking);
}

TEST_F(sock, set_nonblock_bad_args_einval)
{
	struct wsp_nonblock_args na = { .nonblocking = 2 };

	NEW_SOCK(self->c, SOCK_STREAM, WSP_FD_CLOEXEC);
	EXPECT_EQ(-EINVAL, wsp_ioctl(self->c, WSP_IOC_SET_NONBLOCK, &na));
	na.nonblocking = 0xffffffffu;
	EXPECT_EQ(-EINVAL, wsp_ioctl(self->c, WSP_IOC_SET_NONBLOCK, &na));
	na.nonblocking = 1;
	na.flags = 1;
	EXPECT_EQ(-EINVAL, wsp_ioctl(self->c, WSP_IOC_SET_NONBLOCK, &na));
	EXPECT_EQ(0, fd_nonblocking(self->c));

	/* And a non-blocking socket stays non-blocking. */
	ASSERT_EQ(0, wsp_set_nonblock(self->c, 1));
	na.flags = 0;
	na.nonblocking = 2;
	EXPECT_EQ(-EINVAL, wsp_ioctl(self->c, WSP_IOC_SET_NONBLOCK, &na));
	na.nonblocking = 0;
	na.flags = 0x80000000u;
	EXPECT_EQ(-EINVAL, wsp_ioctl(self->c, WSP_IOC_SET_NONBLOCK, &na));
	EXPECT_EQ(1, fd_nonblocking(self->c));
}

/* The mode is real: a non-blocking descriptor's receive does not wait. */
TEST_F(sock, nonblocking_recv_eagain)
{
	char buf[8];

	TCP_PAIR();
	ASSERT_EQ(0, wsp_set_nonblock(self->s, 1));
	EXPECT_EQ(-EAGAIN, wsp_recv(self->s, buf, sizeof(buf), 0));
	EXPECT_EQ(-1, read(self->s, buf, sizeof(buf)));
	EXPECT_EQ(EAGAIN, errno);
}

/*
 * The documented limitation: fcntl(F_SETFL) is the VFS's, no driver sees
 * it, so it clears O_NONBLOCK despite a registration.
 */
TEST_F(sock, fcntl_clears_o_nonblock_despite_registration)
{
	int fl;

	NEW_SOCK(self->c, SOCK_STREAM, WSP_FD_CLOEXEC);
	ASSERT_EQ(0, wsp_event_select(self->c, self->efd, WSP_FD_READ));
	fl = fcntl(self->c, F_GETFL);
	ASSERT_TRUE(fl & O_NONBLOCK);
	EXPECT_EQ(0, fcntl(self->c, F_SETFL, fl & ~O_NONBLOCK));
	EXPECT_EQ(0, fd_nonblocking(self->c));
}

/* The same limitation through ioctl(FIONBIO). */
TEST_F(sock, fionbio_clears_o_nonblock_despite_registration)
{
	int off = 0;

	NEW_SOCK(self->c, SOCK_STREAM, WSP_FD_CLOEXEC);
	ASSERT_EQ(0, wsp_async_select(self->c, self->win, TEST_MSG,
				      WSP_FD_READ));
	ASSERT_EQ(1, fd_nonblocking(self->c));
	EXPECT_EQ(0, ioctl(self->c, FIONBIO, &off));
	EXPECT_EQ(0, fd_nonblocking(self->c));
}

/* --- socket options the module refuses ----------------------------- */

/* TCP_ULP would replace the protocol ops the module wraps. */
TEST_F(sock, tcp_ulp_eopnotsupp)
{
	char buf[4];

	TCP_PAIR();
	EXPECT_EQ(-EOPNOTSUPP, wsp_setsockopt(self->s, IPPROTO_TCP, TCP_ULP,
					      "tls", sizeof("tls")));
	EXPECT_EQ(-EOPNOTSUPP, wsp_setsockopt(self->c, IPPROTO_TCP, TCP_ULP,
					      "mptcp", sizeof("mptcp")));
	/* Still the module's socket, and still carrying data. */
	EXPECT_NE(0, wsp_socket_id(self->s));
	EXPECT_EQ(2, wsp_send(self->c, "ok", 2, 0));
	ASSERT_TRUE(poll1(self->s, POLLIN, WAIT_MS) & POLLIN);
	EXPECT_EQ(2, wsp_recv(self->s, buf, sizeof(buf), 0));
}

/* TCP_ZEROCOPY_RECEIVE would consume data no receive call sees. */
TEST_F(sock, tcp_zerocopy_receive_eopnotsupp)
{
	struct tcp_zerocopy_receive zc;
	unsigned int len = sizeof(zc);

	TCP_PAIR();
	EXPECT_EQ(4, wsp_send(self->c, "data", 4, 0));
	ASSERT_EQ(0, wait_bytes(self->s, 4));
	memset(&zc, 0, sizeof(zc));
	EXPECT_EQ(-EOPNOTSUPP, wsp_getsockopt(self->s, IPPROTO_TCP,
					      TCP_ZEROCOPY_RECEIVE, &zc,
					      &len));
	/* Nothing was consumed. */
	EXPECT_EQ(4, bytes_waiting(self->s));
}

/* --- readiness ----------------------------------------------------- */

/* epoll on a descriptor: EPOLLIN once data is there, not before. */
TEST_F(sock, epoll_reports_epollin_for_data)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 42 };
	int ep;

	TCP_PAIR();
	ep = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, ep);
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, self->s, &ev));
	EXPECT_EQ(0, epoll_wait(ep, &ev, 1, 0));
	EXPECT_EQ(3, wsp_send(self->c, "abc", 3, 0));
	memset(&ev, 0, sizeof(ev));
	ASSERT_EQ(1, epoll_wait(ep, &ev, 1, WAIT_MS));
	EXPECT_TRUE(ev.events & EPOLLIN) TH_LOG("events %#x", ev.events);
	EXPECT_EQ(42, ev.data.u64);
	close(ep);
}

/* The module's own wake-ups do not take epoll's: a registered socket. */
TEST_F(sock, epoll_reports_epollin_while_event_selected)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET, .data.u64 = 7 };
	int ep;

	TCP_PAIR();
	ASSERT_EQ(0, wsp_event_select(self->s, self->efd, WSP_FD_READ));
	ep = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, ep);
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, self->s, &ev));
	EXPECT_EQ(0, epoll_wait(ep, &ev, 1, 0));
	EXPECT_EQ(1, wsp_send(self->c, "x", 1, 0));
	memset(&ev, 0, sizeof(ev));
	ASSERT_EQ(1, epoll_wait(ep, &ev, 1, WAIT_MS));
	EXPECT_TRUE(ev.events & EPOLLIN) TH_LOG("events %#x", ev.events);
	EXPECT_EQ(7, ev.data.u64);
	/* And the registration saw it too. */
	EXPECT_TRUE(wsp_wait_readable(self->efd, WAIT_MS));
	close(ep);
}

/* --- accepted sockets ---------------------------------------------- */

/* An accepted socket is a wspshare socket of its own. */
TEST_F(sock, accepted_socket_is_wspshare_socket_with_new_id)
{
	struct wsp_socket_info il, ic, is;
	struct test_addr a;
	unsigned long long id = 0;
	struct stat st;

	LISTENER(a, WSP_FD_CLOEXEC);
	CONNECT_ACCEPT(a);
	ASSERT_EQ(0, wsp_info(self->l, &il));
	ASSERT_EQ(0, wsp_info(self->c, &ic));
	ASSERT_EQ(0, wsp_info(self->s, &is));
	EXPECT_NE(il.socket_id, is.socket_id);
	EXPECT_NE(ic.socket_id, is.socket_id);
	EXPECT_EQ(variant->family, is.family);
	EXPECT_EQ(SOCK_STREAM, is.type);
	EXPECT_EQ(IPPROTO_TCP, is.protocol);
	EXPECT_EQ(0, is.pending_duplicates);
	ASSERT_EQ(0, wsp_fdinfo_socket_id(self->s, &id));
	EXPECT_EQ(is.socket_id, id);
	ASSERT_EQ(0, fstat(self->s, &st));
	EXPECT_TRUE(S_ISSOCK(st.st_mode));
}

/* Accepting counts one more socket; closing it, one less. */
TEST_F(sock, accepted_socket_counted)
{
	struct wsp_counters c0, c1, c2;
	struct test_addr a;

	LISTENER(a, WSP_FD_CLOEXEC);
	NEW_SOCK(self->c, SOCK_STREAM, WSP_FD_CLOEXEC);
	ASSERT_EQ(0, wsp_connect(self->c, &a));
	ASSERT_TRUE(poll1(self->l, POLLIN, WAIT_MS) & POLLIN);
	ASSERT_EQ(0, wsp_read_counters(&c0));
	self->s = wsp_accept(self->l, NULL);
	ASSERT_LE(0, self->s);
	ASSERT_EQ(0, wsp_read_counters(&c1));
	EXPECT_EQ(c0.sockets + 1, c1.sockets);
	close(self->s);
	self->s = -1;
	ASSERT_EQ(0, wsp_read_counters(&c2));
	EXPECT_EQ(c0.sockets, c2.sockets);
}

/*
 * An accepted socket takes the listener's blocking mode, as on Windows
 * (accept4(2) without SOCK_NONBLOCK would give a blocking one).
 */
TEST_F(sock, accepted_socket_inherits_nonblocking_mode)
{
	struct test_addr a;
	int c2, s2;

	LISTENER(a, WSP_SOCK_NONBLOCK | WSP_FD_CLOEXEC);
	CONNECT_ACCEPT(a);
	EXPECT_EQ(1, fd_nonblocking(self->s));

	/* And a blocking listener's is blocking. */
	ASSERT_EQ(0, wsp_set_nonblock(self->l, 0));
	c2 = wsp_socket(self->dev, variant->family, SOCK_STREAM, 0,
			WSP_FD_CLOEXEC);
	ASSERT_LE(0, c2);
	ASSERT_EQ(0, wsp_connect(c2, &a));
	s2 = accept4(self->l, NULL, NULL, SOCK_CLOEXEC);
	ASSERT_LE(0, s2);
	EXPECT_EQ(0, fd_nonblocking(s2));
	close(s2);
	close(c2);
}

/* --- descriptors in other processes -------------------------------- */

/* What a child reports about the descriptor it got. */
struct child_report {
	int fd;
	int err;
	unsigned long long socket_id;
};

/*
 * A descriptor sent over SCM_RIGHTS to another process is the same socket,
 * and a registration made through it replaces the one made here.
 */
TEST_F(sock, scm_rights_descriptor_shares_socket_and_registration)
{
	struct child_report rep = { 0 };
	struct wsp_registration r;
	int sp[2];
	pid_t pid;
	char go = 'g';

	TCP_PAIR();
	ASSERT_EQ(0, wsp_event_select(self->s, self->efd, WSP_FD_READ));
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int efd = eventfd(0, EFD_CLOEXEC);

		close(sp[0]);
		close(self->s);	/* the child's only copy comes by SCM_RIGHTS */
		rep.fd = wsp_recv_fd(sp[1]);
		rep.socket_id = rep.fd >= 0 ? wsp_socket_id(rep.fd) : 0;
		rep.err = rep.fd < 0 ? rep.fd :
			  wsp_event_select(rep.fd, efd, WSP_FD_WRITE);
		if (write(sp[1], &rep, sizeof(rep)) != sizeof(rep))
			_exit(1);
		/* Stay until the parent has looked. */
		_exit(read(sp[1], &go, 1) == 1 ? 0 : 2);
	}
	close(sp[1]);
	ASSERT_EQ(0, wsp_send_fd(sp[0], self->s));
	ASSERT_EQ(sizeof(rep), read(sp[0], &rep, sizeof(rep)));
	ASSERT_LE(0, rep.fd) TH_LOG("child: %s", strerror(-rep.fd));
	EXPECT_EQ(0, rep.err) TH_LOG("child's event-select: %s",
				     strerror(-rep.err));
	EXPECT_EQ(wsp_socket_id(self->s), rep.socket_id);

	ASSERT_EQ(0, wsp_get_registration(self->s, &r));
	EXPECT_EQ(WSP_REG_EVENT, r.kind);
	EXPECT_EQ(WSP_FD_WRITE, r.mask);
	EXPECT_EQ(pid, r.pid);
	EXPECT_EQ((uint64_t)rep.fd, r.descriptor);

	EXPECT_EQ(1, write(sp[0], &go, 1));
	EXPECT_EQ(0, wsp_reap(pid, WAIT_MS));
	close(sp[0]);
}

/*
 * pidfd_getfd(2) takes a descriptor out of another process: the same
 * socket, and a registration made through it replaces the other's.
 */
TEST_F(sock, pidfd_getfd_descriptor_shares_socket_and_registration)
{
	struct child_report rep = { 0 };
	struct wsp_registration r;
	int p2c[2], c2p[2], pidfd, fd, err;
	pid_t pid;
	char go = 'g';

	ASSERT_EQ(0, pipe2(p2c, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(c2p, O_CLOEXEC));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int efd = eventfd(0, EFD_CLOEXEC);

		rep.fd = wsp_socket(self->dev, variant->family, SOCK_STREAM, 0,
				    WSP_FD_CLOEXEC);
		rep.socket_id = rep.fd >= 0 ? wsp_socket_id(rep.fd) : 0;
		rep.err = rep.fd < 0 ? rep.fd :
			  wsp_event_select(rep.fd, efd, WSP_FD_READ);
		if (write(c2p[1], &rep, sizeof(rep)) != sizeof(rep))
			_exit(1);
		_exit(read(p2c[0], &go, 1) == 1 ? 0 : 2);
	}
	close(p2c[0]);
	close(c2p[1]);
	ASSERT_EQ(sizeof(rep), read(c2p[0], &rep, sizeof(rep)));
	ASSERT_LE(0, rep.fd) TH_LOG("child: %s", strerror(-rep.fd));
	ASSERT_EQ(0, rep.err);

	pidfd = syscall(SYS_pidfd_open, pid, 0);
	err = pidfd < 0 ? errno : 0;
	fd = pidfd < 0 ? -1 : syscall(SYS_pidfd_getfd, pidfd, rep.fd, 0);
	if (pidfd >= 0 && fd < 0)
		err = errno;
	if (err == ENOSYS || err == EPERM) {
		EXPECT_EQ(1, write(p2c[1], &go, 1));
		wsp_reap(pid, WAIT_MS);
		SKIP(return, "pidfd_getfd: %s", strerror(err));
	}
	ASSERT_LE(0, fd) TH_LOG("pidfd_getfd: %s", strerror(err));
	EXPECT_EQ(rep.socket_id, wsp_socket_id(fd));
	ASSERT_EQ(0, wsp_get_registration(fd, &r));
	EXPECT_EQ(WSP_REG_EVENT, r.kind);
	EXPECT_EQ(pid, r.pid);
	EXPECT_EQ((uint64_t)rep.fd, r.descriptor);

	/* Registering through the taken descriptor replaces the child's. */
	ASSERT_EQ(0, wsp_async_select(fd, self->win, TEST_MSG, WSP_FD_WRITE));
	ASSERT_EQ(0, wsp_get_registration(fd, &r));
	EXPECT_EQ(WSP_REG_ASYNC, r.kind);
	EXPECT_EQ(WSP_FD_WRITE, r.mask);
	EXPECT_EQ(getpid(), r.pid);
	EXPECT_EQ((uint64_t)fd, r.descriptor);

	EXPECT_EQ(1, write(p2c[1], &go, 1));
	EXPECT_EQ(0, wsp_reap(pid, WAIT_MS));
	close(fd);
	close(pidfd);
	close(p2c[1]);
	close(c2p[0]);
}

/* ------------------------------------------------------------------ */
/* The kernel's own receive calls re-enable FD_READ messages.          */
/* ------------------------------------------------------------------ */

enum recv_call { CALL_READ, CALL_RECV, CALL_RECVMSG, CALL_RECVMMSG };

/* Receive what is there with @call: the bytes, or -errno. */
static long receive_with(enum recv_call call, int fd, char *buf, size_t len)
{
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct mmsghdr mm = { .msg_hdr = m };
	long n;

	switch (call) {
	case CALL_READ:
		n = read(fd, buf, len);
		break;
	case CALL_RECV:
		n = recv(fd, buf, len, 0);
		break;
	case CALL_RECVMSG:
		n = recvmsg(fd, &m, 0);
		break;
	case CALL_RECVMMSG:
		n = recvmmsg(fd, &mm, 1, 0, NULL);
		if (n == 1)
			n = mm.msg_len;
		break;
	default:
		return -EINVAL;
	}
	return n < 0 ? -errno : n;
}

FIXTURE(reenable) {
	int dev;
	int l, c, s;
	int win;
};

FIXTURE_VARIANT(reenable) {
	enum recv_call call;
};

FIXTURE_VARIANT_ADD(reenable, read) { .call = CALL_READ };
FIXTURE_VARIANT_ADD(reenable, recv) { .call = CALL_RECV };
FIXTURE_VARIANT_ADD(reenable, recvmsg) { .call = CALL_RECVMSG };
FIXTURE_VARIANT_ADD(reenable, recvmmsg) { .call = CALL_RECVMMSG };

FIXTURE_SETUP(reenable)
{
	self->l = self->c = self->s = self->win = -1;
	WSP_SETUP_DEVICE(self->dev);
	ASSERT_EQ(0, wsp_tcp_pair(self->dev, AF_INET, &self->l, &self->c,
				  &self->s));
	self->win = wsp_window(self->dev, WSP_FD_CLOEXEC | WSP_WINDOW_NONBLOCK,
			       0);
	ASSERT_LE(0, self->win);
}

FIXTURE_TEARDOWN(reenable)
{
	int *fds[] = { &self->s, &self->c, &self->l, &self->win, &self->dev };
	int i;

	for (i = 0; i < ARRAY_LEN(fds); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

/*
 * Async-select FD_READ: data posts a message; more data before a receive
 * posts none; the variant's system call receives everything and
 * re-enables, so new data posts again. (notify_test checks the same for
 * event-select.)
 */
TEST_F(reenable, async_select_posts_read_again_after_receive)
{
	struct wsp_window_info wi;
	struct wsp_message m;
	char buf[64];

	ASSERT_EQ(0, wsp_async_select(self->s, self->win, TEST_MSG,
				      WSP_FD_READ));
	EXPECT_EQ(0, wsp_read_messages(self->win, &m, 1));

	EXPECT_EQ(1, wsp_send(self->c, "a", 1, 0));
	ASSERT_TRUE(wsp_wait_readable(self->win, WAIT_MS));
	ASSERT_EQ(1, wsp_read_messages(self->win, &m, 1));
	EXPECT_EQ(WSP_FD_READ, WSP_MSG_EVENT(&m));
	EXPECT_EQ(0, WSP_MSG_ERROR(&m));
	EXPECT_EQ(TEST_MSG, m.message);
	EXPECT_EQ((uint64_t)self->s, m.wparam);

	EXPECT_EQ(1, wsp_send(self->c, "b", 1, 0));
	ASSERT_EQ(0, wait_bytes(self->s, 2));
	EXPECT_FALSE(wsp_wait_readable(self->win, QUIET_MS));
	ASSERT_EQ(0, wsp_window_info(self->win, &wi));
	EXPECT_EQ(0, wi.queued);

	EXPECT_EQ(2, receive_with(variant->call, self->s, buf, sizeof(buf)));
	EXPECT_EQ(1, wsp_send(self->c, "c", 1, 0));
	ASSERT_TRUE(wsp_wait_readable(self->win, WAIT_MS))
		TH_LOG("no FD_READ message after the receive");
	ASSERT_EQ(1, wsp_read_messages(self->win, &m, 1));
	EXPECT_EQ(WSP_FD_READ, WSP_MSG_EVENT(&m));
	EXPECT_EQ((uint64_t)self->s, m.wparam);
}

/* ------------------------------------------------------------------ */
/* A socket holds the module.                                          */
/* ------------------------------------------------------------------ */

/*
 * An accepted socket, the only object left, holds the module: the module
 * made it, without WSP_IOC_SOCKET. Root only (delete_module).
 */
TEST(unload_refused_while_an_accepted_socket_exists)
{
	int dev, l, c, s, err;

	if (geteuid() != 0)
		SKIP(return, "delete_module(2) needs root");
	if (!wsp_module_loaded())
		SKIP(return, "wspshare module not loaded");
	dev = open(WSP_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, dev);
	ASSERT_EQ(0, wsp_tcp_pair(dev, AF_INET, &l, &c, &s));
	close(c);
	close(l);
	close(dev);

	err = wsp_unload_module();
	ASSERT_TRUE(wsp_module_loaded()) TH_LOG("unloaded under a socket");
	EXPECT_TRUE(err == -EWOULDBLOCK || err == -EAGAIN)
		TH_LOG("delete_module: %s", strerror(-err));
	close(s);
}

TEST_HARNESS_MAIN

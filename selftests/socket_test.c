// SPDX-License-Identifier: GPL-2.0
/*
 * socket_test - one descriptor, one socket: creating sockets through
 * /dev/wspshare and using them through the descriptor ioctls, read(),
 * write() and poll(), over IPv4 and IPv6 loopback. Every bad input gets
 * its exact errno (uapi/linux/wspshare.h) and changes nothing.
 *
 * Sharing one socket between descriptors is dup_test's business.
 */
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "wsp_net.h"

/* How long a test waits for a condition that should come at once. */
#define WAIT_MS 5000

/* A kernel address: never a valid user pointer. */
#define KERNEL_PTR ((void *)0xffffffff81000000ul)

static int sa_family(const struct test_addr *a)
{
	const struct sockaddr *sa = (const void *)a->data;

	return sa->sa_family;
}

static unsigned int sa_len(int family)
{
	return family == AF_INET6 ? sizeof(struct sockaddr_in6)
				  : sizeof(struct sockaddr_in);
}

static bool sa_is_loopback(const struct test_addr *a)
{
	if (sa_family(a) == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const void *)a->data;

		return IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr);
	}
	if (sa_family(a) == AF_INET) {
		const struct sockaddr_in *sin = (const void *)a->data;

		return sin->sin_addr.s_addr == htonl(INADDR_LOOPBACK);
	}
	return false;
}

/* Receive exactly @len bytes on a blocking descriptor: @len, 0 or -errno. */
static long recv_full(int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		long n = wsp_recv(fd, (char *)buf + got, len - got, 0);

		if (n <= 0)
			return n;
		got += n;
	}
	return got;
}

/* A port on loopback that nothing listens on. */
static int closed_port(int dev, int family)
{
	struct test_addr a = { 0 };
	int fd, ret;

	fd = wsp_socket(dev, family, SOCK_STREAM, 0, WSP_FD_CLOEXEC);
	if (fd < 0)
		return fd;
	wsp_loopback(&a, family, 0);
	ret = wsp_bind(fd, &a);
	if (!ret)
		ret = wsp_getsockname(fd, &a);
	close(fd);
	return ret ? ret : wsp_port(&a);
}

static volatile sig_atomic_t sigpipes;

static void count_sigpipe(int sig)
{
	sigpipes++;
}

static void catch_sigpipe(void)
{
	struct sigaction sa = { .sa_handler = count_sigpipe };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGPIPE, &sa, NULL);
	sigpipes = 0;
}

/* ------------------------------------------------------------------ */
/* Creating sockets: WSP_IOC_SOCKET on /dev/wspshare.                 */
/* ------------------------------------------------------------------ */

FIXTURE(create) {
	int dev;
};

FIXTURE_SETUP(create)
{
	const char *why = NULL;
	int skip;

	self->dev = wsp_open_device(&why, &skip);
	if (self->dev < 0 && skip)
		SKIP(return, "%s", why);
	ASSERT_LE(0, self->dev) TH_LOG("open %s: %s", WSP_DEVICE_PATH, why);
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
	int i, fd, type;

	for (i = 0; i < (int)(sizeof(ok) / sizeof(ok[0])); i++) {
		int want_proto = ok[i].type == SOCK_STREAM ? IPPROTO_TCP
							   : IPPROTO_UDP;

		fd = wsp_socket(self->dev, ok[i].family, ok[i].type,
				ok[i].protocol, WSP_FD_CLOEXEC);
		ASSERT_LE(0, fd) TH_LOG("family %d type %d protocol %d",
					ok[i].family, ok[i].type,
					ok[i].protocol);
		EXPECT_LT(2, fd);
		EXPECT_EQ(0, wsp_info(fd, &info));
		EXPECT_EQ(0, info.flags);
		EXPECT_EQ(ok[i].family, info.family);
		EXPECT_EQ(ok[i].type, info.type);
		/* Protocol 0 means the type's default, as for socket(2). */
		if (ok[i].protocol) {
			EXPECT_EQ(want_proto, info.protocol);
		} else {
			EXPECT_TRUE(info.protocol == 0 ||
				    info.protocol == want_proto)
				TH_LOG("protocol %d", info.protocol);
		}
		EXPECT_EQ(0, info.nonblocking);
		EXPECT_EQ(1, info.descriptors);
		/* The real socket agrees. */
		EXPECT_EQ(0, wsp_getsockopt_int(fd, SOL_SOCKET, SO_TYPE, &type));
		EXPECT_EQ(ok[i].type, type);
		close(fd);
	}
}

/* Each socket has its own id. */
TEST_F(create, socket_ids_differ)
{
	struct wsp_socket_info a, b;
	int fa, fb;

	fa = wsp_socket(self->dev, AF_INET, SOCK_STREAM, 0, 0);
	ASSERT_LE(0, fa);
	fb = wsp_socket(self->dev, AF_INET, SOCK_STREAM, 0, 0);
	ASSERT_LE(0, fb);
	EXPECT_NE(fa, fb);
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

TEST_F(create, nonblock_flag)
{
	struct wsp_socket_info info;
	int fd;

	fd = wsp_socket(self->dev, AF_INET, SOCK_DGRAM, 0, WSP_SOCK_NONBLOCK);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, wsp_info(fd, &info));
	EXPECT_EQ(1, info.nonblocking);
	EXPECT_EQ(0, fd_cloexec(fd));
	close(fd);

	fd = wsp_socket(self->dev, AF_INET6, SOCK_STREAM, 0,
			WSP_SOCK_NONBLOCK | WSP_FD_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, wsp_info(fd, &info));
	EXPECT_EQ(1, info.nonblocking);
	EXPECT_EQ(1, fd_cloexec(fd));
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
	EXPECT_EQ(before.descriptors, after.descriptors);
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
	EXPECT_EQ(before.descriptors, after.descriptors);
}

/* The live counters follow a socket's creation and its close. */
TEST_F(create, counters_follow_create_and_close)
{
	struct wsp_counters c0, c1, c2, c3;
	int a, b;

	ASSERT_EQ(0, wsp_read_counters(&c0));
	EXPECT_LE(0, c0.sockets);
	EXPECT_LE(0, c0.descriptors);
	EXPECT_LE(0, c0.pending_duplicates);

	a = wsp_socket(self->dev, AF_INET, SOCK_STREAM, 0, WSP_FD_CLOEXEC);
	ASSERT_LE(0, a);
	ASSERT_EQ(0, wsp_read_counters(&c1));
	EXPECT_EQ(c0.sockets + 1, c1.sockets);
	EXPECT_EQ(c0.descriptors + 1, c1.descriptors);

	b = wsp_socket(self->dev, AF_INET6, SOCK_DGRAM, 0, WSP_FD_CLOEXEC);
	ASSERT_LE(0, b);
	ASSERT_EQ(0, wsp_read_counters(&c2));
	EXPECT_EQ(c0.sockets + 2, c2.sockets);
	EXPECT_EQ(c0.descriptors + 2, c2.descriptors);

	close(a);
	close(b);
	ASSERT_EQ(0, wsp_read_counters(&c3));
	EXPECT_EQ(c0.sockets, c3.sockets);
	EXPECT_EQ(c0.descriptors, c3.descriptors);
	EXPECT_EQ(c0.pending_duplicates, c3.pending_duplicates);
}

/* A descriptor ioctl sent to the device: the device is not a socket. */
TEST_F(create, descriptor_ioctl_on_device_enotsock)
{
	struct wsp_addr_args aa = { 0 };
	struct wsp_socket_info info = { 0 };
	struct wsp_listen_args la = { .backlog = 1 };
	struct wsp_nonblock_args na = { .nonblocking = 1 };
	char buf[4] = "abc";
	struct wsp_msg_args ma = { .buf = (uintptr_t)buf, .len = 3 };

	wsp_loopback(&aa.addr, AF_INET, 0);
	EXPECT_EQ(-ENOTSOCK, wsp_ioctl(self->dev, WSP_IOC_BIND, &aa));
	EXPECT_EQ(-ENOTSOCK, wsp_ioctl(self->dev, WSP_IOC_SOCKET_INFO, &info));
	EXPECT_EQ(-ENOTSOCK, wsp_ioctl(self->dev, WSP_IOC_LISTEN, &la));
	EXPECT_EQ(-ENOTSOCK, wsp_ioctl(self->dev, WSP_IOC_SEND, &ma));
	EXPECT_EQ(-ENOTSOCK, wsp_ioctl(self->dev, WSP_IOC_SET_NONBLOCK, &na));
	memset(&aa, 0, sizeof(aa));
	EXPECT_EQ(-ENOTSOCK, wsp_ioctl(self->dev, WSP_IOC_GETSOCKNAME, &aa));
	EXPECT_EQ(0, aa.addr.len);
}

/* A device ioctl sent to a descriptor: wrong kind of file. */
TEST_F(create, device_ioctl_on_descriptor_enotty)
{
	struct wsp_socket_args sa = { .family = AF_INET, .type = SOCK_STREAM };
	struct wsp_version v = { 0 };
	long ret;
	int fd;

	fd = wsp_socket(self->dev, AF_INET, SOCK_STREAM, 0, WSP_FD_CLOEXEC);
	ASSERT_LE(0, fd);
	ret = xioctl(fd, WSP_IOC_SOCKET, &sa);
	EXPECT_EQ(-ENOTTY, ret);
	if (ret >= 0)
		close(ret);
	EXPECT_EQ(-ENOTTY, wsp_ioctl(fd, WSP_IOC_VERSION, &v));
	EXPECT_EQ(0, v.abi_version);
	close(fd);
}

/* A closed descriptor is no descriptor. */
TEST_F(create, closed_descriptor_ebadf)
{
	struct wsp_socket_info info;
	struct wsp_addr_args aa = { 0 };
	int fd;

	fd = wsp_socket(self->dev, AF_INET, SOCK_STREAM, 0, WSP_FD_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, close(fd));
	EXPECT_EQ(-EBADF, wsp_info(fd, &info));
	wsp_loopback(&aa.addr, AF_INET, 0);
	EXPECT_EQ(-EBADF, wsp_ioctl(fd, WSP_IOC_BIND, &aa));
	EXPECT_EQ(-EBADF, wsp_ioctl(-1, WSP_IOC_SOCKET_INFO, &info));
}

/* Unknown numbers, other magics and wrong direction bits on a descriptor. */
TEST_F(create, unknown_descriptor_ioctl_enotty)
{
	struct wsp_socket_info info = { 0 };
	struct wsp_addr_args aa = { 0 };
	int fd;

	fd = wsp_socket(self->dev, AF_INET, SOCK_STREAM, 0, WSP_FD_CLOEXEC);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENOTTY, wsp_ioctl(fd, _IOWR(WSP_IOC_MAGIC, 0xff,
					       struct wsp_socket_info), &info));
	EXPECT_EQ(-ENOTTY, wsp_ioctl(fd, _IOWR(WSP_IOC_MAGIC, 0x2f,
					       struct wsp_socket_info), &info));
	EXPECT_EQ(-ENOTTY, wsp_ioctl(fd, _IO(WSP_IOC_MAGIC, 0x7f), NULL));
	EXPECT_EQ(-ENOTTY, wsp_ioctl(fd, _IOWR('T', 0x11,
					       struct wsp_socket_info), &info));
	/* The right number with the wrong direction bits. */
	EXPECT_EQ(-ENOTTY, wsp_ioctl(fd, _IOR(WSP_IOC_MAGIC,
		_IOC_NR(WSP_IOC_BIND), struct wsp_addr_args), &aa));
	EXPECT_EQ(-ENOTTY, wsp_ioctl(fd, _IOW(WSP_IOC_MAGIC,
		_IOC_NR(WSP_IOC_SOCKET_INFO), struct wsp_socket_info), &info));
	EXPECT_EQ(-ENOTTY, wsp_ioctl(fd, _IO(WSP_IOC_MAGIC,
		_IOC_NR(WSP_IOC_GETSOCKNAME)), NULL));
	/* A descriptor is no terminal. */
	EXPECT_EQ(0, isatty(fd));
	EXPECT_EQ(ENOTTY, errno);
	close(fd);
}

#define INFO_IOC(size) _IOC(_IOC_READ | _IOC_WRITE, WSP_IOC_MAGIC, \
			    _IOC_NR(WSP_IOC_SOCKET_INFO), (size))

/* The general size protocol holds for descriptor ioctls too. */
TEST_F(create, descriptor_ioctl_struct_size)
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

TEST_F(create, info_flags_einval)
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

/* A NULL, unmapped or kernel struct pointer for every descriptor ioctl. */
TEST_F(create, descriptor_bad_pointer_efault)
{
	static const unsigned long cmds[] = {
		WSP_IOC_SOCKET_INFO, WSP_IOC_BIND, WSP_IOC_LISTEN,
		WSP_IOC_CONNECT, WSP_IOC_ACCEPT, WSP_IOC_SEND, WSP_IOC_RECV,
		WSP_IOC_SHUTDOWN, WSP_IOC_GETSOCKNAME, WSP_IOC_GETPEERNAME,
		WSP_IOC_SETSOCKOPT, WSP_IOC_GETSOCKOPT, WSP_IOC_SET_NONBLOCK,
	};
	struct test_addr a = { 0 };
	void *unmapped = unmapped_page();
	int i, fd;
	long ret;

	ASSERT_NE(MAP_FAILED, unmapped);
	fd = wsp_socket(self->dev, AF_INET, SOCK_STREAM, 0, WSP_FD_CLOEXEC);
	ASSERT_LE(0, fd);
	for (i = 0; i < (int)(sizeof(cmds) / sizeof(cmds[0])); i++) {
		ret = xioctl(fd, cmds[i], NULL);
		EXPECT_EQ(-EFAULT, ret) TH_LOG("cmd %#lx NULL", cmds[i]);
		ret = xioctl(fd, cmds[i], unmapped);
		EXPECT_EQ(-EFAULT, ret) TH_LOG("cmd %#lx unmapped", cmds[i]);
		ret = xioctl(fd, cmds[i], KERNEL_PTR);
		EXPECT_EQ(-EFAULT, ret) TH_LOG("cmd %#lx kernel", cmds[i]);
	}
	munmap(unmapped, 4096);

	/* Nothing changed: the socket still binds and listens. */
	wsp_loopback(&a, AF_INET, 0);
	EXPECT_EQ(0, wsp_bind(fd, &a));
	EXPECT_EQ(0, wsp_listen(fd, 1));
	close(fd);
}

/* An output struct in read-only memory cannot be written back. */
TEST_F(create, readonly_output_struct_efault)
{
	struct wsp_addr_args *aa;
	int fd;

	fd = wsp_socket(self->dev, AF_INET, SOCK_DGRAM, 0, WSP_FD_CLOEXEC);
	ASSERT_LE(0, fd);
	aa = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, aa);
	EXPECT_EQ(-EFAULT, wsp_ioctl(fd, WSP_IOC_GETSOCKNAME, aa));
	EXPECT_EQ(-EFAULT, wsp_ioctl(fd, WSP_IOC_SOCKET_INFO, aa));
	munmap(aa, 4096);
	close(fd);
}

/* IPV6_V6ONLY on an IPv6 socket, both ways. */
TEST_F(create, opt_ipv6_v6only)
{
	int fd, one = 1, zero = 0, v = -1;

	fd = wsp_socket(self->dev, AF_INET6, SOCK_STREAM, 0, WSP_FD_CLOEXEC);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, wsp_setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
				    sizeof(one)));
	EXPECT_EQ(0, wsp_getsockopt_int(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v));
	EXPECT_EQ(1, v);
	EXPECT_EQ(0, wsp_setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero,
				    sizeof(zero)));
	v = -1;
	EXPECT_EQ(0, wsp_getsockopt_int(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v));
	EXPECT_EQ(0, v);
	close(fd);
}

/* A v6-only socket bound to :: does not take IPv4 connections. */
TEST_F(create, ipv6_v6only_refuses_ipv4)
{
	struct test_addr a6 = { 0 }, a4 = { 0 };
	int l, c, one = 1;

	l = wsp_socket(self->dev, AF_INET6, SOCK_STREAM, 0, WSP_FD_CLOEXEC);
	ASSERT_LE(0, l);
	ASSERT_EQ(0, wsp_setsockopt(l, IPPROTO_IPV6, IPV6_V6ONLY, &one,
				    sizeof(one)));
	wsp_loopback(&a6, AF_INET6, 0);
	((struct sockaddr_in6 *)a6.data)->sin6_addr = in6addr_any;
	ASSERT_EQ(0, wsp_bind(l, &a6));
	ASSERT_EQ(0, wsp_listen(l, 4));
	ASSERT_EQ(0, wsp_getsockname(l, &a6));

	c = wsp_socket(self->dev, AF_INET, SOCK_STREAM, 0, WSP_FD_CLOEXEC);
	ASSERT_LE(0, c);
	wsp_loopback(&a4, AF_INET, wsp_port(&a6));
	EXPECT_EQ(-ECONNREFUSED, wsp_connect(c, &a4));
	close(c);
	close(l);
}

/* ------------------------------------------------------------------ */
/* Using a socket, over IPv4 and IPv6.                                */
/* ------------------------------------------------------------------ */

FIXTURE(sock) {
	int dev;
	int l, c, s;	/* a TCP listener, client and accepted server */
	int u1, u2;	/* two UDP sockets */
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
	const char *why = NULL;
	int skip;

	self->l = self->c = self->s = self->u1 = self->u2 = -1;
	self->dev = wsp_open_device(&why, &skip);
	if (self->dev < 0 && skip)
		SKIP(return, "%s", why);
	ASSERT_LE(0, self->dev) TH_LOG("open %s: %s", WSP_DEVICE_PATH, why);
}

FIXTURE_TEARDOWN(sock)
{
	int *fds[] = { &self->u2, &self->u1, &self->s, &self->c, &self->l,
		       &self->dev };
	int i;

	for (i = 0; i < (int)(sizeof(fds) / sizeof(fds[0])); i++) {
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

/* A UDP socket bound to loopback, port chosen; its address in @a. */
#define UDP_BOUND(fd, a) do {						\
	NEW_SOCK(fd, SOCK_DGRAM, WSP_FD_CLOEXEC);			\
	wsp_loopback(&(a), variant->family, 0);				\
	ASSERT_EQ(0, wsp_bind((fd), &(a)));				\
	ASSERT_EQ(0, wsp_getsockname((fd), &(a)));			\
	ASSERT_NE(0, wsp_port(&(a)));					\
} while (0)

/* A TCP listener on loopback in self->l; its address in @a. */
#define LISTENER(a, flags) do {						\
	NEW_SOCK(self->l, SOCK_STREAM, (flags));			\
	wsp_loopback(&(a), variant->family, 0);				\
	ASSERT_EQ(0, wsp_bind(self->l, &(a)));				\
	ASSERT_EQ(0, wsp_listen(self->l, 8));				\
	ASSERT_EQ(0, wsp_getsockname(self->l, &(a)));			\
} while (0)

/* --- bind, listen, connect, accept, names ------------------------- */

TEST_F(sock, bind_then_getsockname)
{
	struct test_addr a = { 0 }, got = { 0 };

	NEW_SOCK(self->c, SOCK_STREAM, WSP_FD_CLOEXEC);
	/* Unbound: the family, port 0. */
	memset(&got, 0, sizeof(got));
	ASSERT_EQ(0, wsp_getsockname(self->c, &got));
	EXPECT_EQ(sa_len(variant->family), got.len);
	EXPECT_EQ(variant->family, sa_family(&got));
	EXPECT_EQ(0, wsp_port(&got));

	wsp_loopback(&a, variant->family, 0);
	ASSERT_EQ(0, wsp_bind(self->c, &a));
	ASSERT_EQ(0, wsp_getsockname(self->c, &got));
	EXPECT_EQ(sa_len(variant->family), got.len);
	EXPECT_EQ(0, got.__reserved);
	EXPECT_EQ(variant->family, sa_family(&got));
	EXPECT_NE(0, wsp_port(&got));
	EXPECT_TRUE(sa_is_loopback(&got));

	/* A second bind fails as bind(2) does. */
	EXPECT_EQ(-EINVAL, wsp_bind(self->c, &a));
}

/* Each bad bind argument gets EINVAL and leaves the socket unbound. */
TEST_F(sock, bind_bad_args_einval)
{
	struct wsp_addr_args aa;
	struct test_addr got = { 0 };

	NEW_SOCK(self->c, SOCK_STREAM, WSP_FD_CLOEXEC);

	memset(&aa, 0, sizeof(aa));
	wsp_loopback(&aa.addr, variant->family, 0);
	aa.flags = 1;
	EXPECT_EQ(-EINVAL, wsp_ioctl(self->c, WSP_IOC_BIND, &aa));

	memset(&aa, 0, sizeof(aa));
	wsp_loopback(&aa.addr, variant->family, 0);
	aa.__reserved = 1;
	EXPECT_EQ(-EINVAL, wsp_ioctl(self->c, WSP_IOC_BIND, &aa));

	memset(&aa, 0, sizeof(aa));
	wsp_loopback(&aa.addr, variant->family, 0);
	aa.addr.__reserved = 1;
	EXPECT_EQ(-EINVAL, wsp_ioctl(self->c, WSP_IOC_BIND, &aa));

	memset(&aa, 0, sizeof(aa));
	wsp_loopback(&aa.addr, variant->family, 0);
	aa.addr.len = WSP_SOCKADDR_MAX + 1;
	EXPECT_EQ(-EINVAL, wsp_ioctl(self->c, WSP_IOC_BIND, &aa));
	aa.addr.len = 0xffffffffu;
	EXPECT_EQ(-EINVAL, wsp_ioctl(self->c, WSP_IOC_BIND, &aa));
	/* Too short for the family: bind(2) says EINVAL. */
	aa.addr.len = 0;
	EXPECT_EQ(-EINVAL, wsp_ioctl(self->c, WSP_IOC_BIND, &aa));

	/* Still unbound, and a good bind works. */
	memset(&got, 0, sizeof(got));
	ASSERT_EQ(0, wsp_getsockname(self->c, &got));
	EXPECT_EQ(0, wsp_port(&got));
	memset(&aa, 0, sizeof(aa));
	wsp_loopback(&aa.addr, variant->family, 0);
	EXPECT_EQ(0, wsp_ioctl(self->c, WSP_IOC_BIND, &aa));
	ASSERT_EQ(0, wsp_getsockname(self->c, &got));
	EXPECT_NE(0, wsp_port(&got));
}

TEST_F(sock, bind_address_in_use)
{
	struct test_addr a = { 0 };

	NEW_SOCK(self->c, SOCK_STREAM, WSP_FD_CLOEXEC);
	NEW_SOCK(self->s, SOCK_STREAM, WSP_FD_CLOEXEC);
	wsp_loopback(&a, variant->family, 0);
	ASSERT_EQ(0, wsp_bind(self->c, &a));
	ASSERT_EQ(0, wsp_listen(self->c, 1));
	ASSERT_EQ(0, wsp_getsockname(self->c, &a));
	EXPECT_EQ(-EADDRINUSE, wsp_bind(self->s, &a));
}

TEST_F(sock, listen_bad_flags_einval)
{
	struct wsp_listen_args la = { .flags = 1, .backlog = 4 };
	struct test_addr a = { 0 };
	int v = -1;

	NEW_SOCK(self->l, SOCK_STREAM, WSP_FD_CLOEXEC);
	wsp_loopback(&a, variant->family, 0);
	ASSERT_EQ(0, wsp_bind(self->l, &a));
	EXPECT_EQ(-EINVAL, wsp_ioctl(self->l, WSP_IOC_LISTEN, &la));
	la.flags = 0x80000000u;
	EXPECT_EQ(-EINVAL, wsp_ioctl(self->l, WSP_IOC_LISTEN, &la));
	ASSERT_EQ(0, wsp_getsockopt_int(self->l, SOL_SOCKET, SO_ACCEPTCONN,
					&v));
	EXPECT_EQ(0, v);
	EXPECT_EQ(0, wsp_listen(self->l, 4));
}

/* listen(2) on a datagram socket: EOPNOTSUPP. */
TEST_F(sock, listen_on_udp_eopnotsupp)
{
	struct test_addr a = { 0 };

	UDP_BOUND(self->u1, a);
	EXPECT_EQ(-EOPNOTSUPP, wsp_listen(self->u1, 4));
}

TEST_F(sock, connect_bad_args_einval)
{
	struct wsp_addr_args aa;
	struct test_addr a = { 0 }, peer = { 0 };

	LISTENER(a, WSP_FD_CLOEXEC);
	NEW_SOCK(self->c, SOCK_STREAM, WSP_FD_CLOEXEC);

	memset(&aa, 0, sizeof(aa));
	aa.addr = a;
	aa.flags = 1;
	EXPECT_EQ(-EINVAL, wsp_ioctl(self->c, WSP_IOC_CONNECT, &aa));
	aa.flags = 0;
	aa.__reserved = 1;
	EXPECT_EQ(-EINVAL, wsp_ioctl(self->c, WSP_IOC_CONNECT, &aa));
	aa.__reserved = 0;
	aa.addr.__reserved = 1;
	EXPECT_EQ(-EINVAL, wsp_ioctl(self->c, WSP_IOC_CONNECT, &aa));
	aa.addr.__reserved = 0;
	aa.addr.len = WSP_SOCKADDR_MAX + 1;
	EXPECT_EQ(-EINVAL, wsp_ioctl(self->c, WSP_IOC_CONNECT, &aa));

	EXPECT_EQ(-ENOTCONN, wsp_getpeername(self->c, &peer));
	EXPECT_EQ(0, wsp_connect(self->c, &a));
}

TEST_F(sock, connect_refused)
{
	struct test_addr a = { 0 };
	int port = closed_port(self->dev, variant->family);

	ASSERT_LT(0, port);
	NEW_SOCK(self->c, SOCK_STREAM, WSP_FD_CLOEXEC);
	wsp_loopback(&a, variant->family, port);
	EXPECT_EQ(-ECONNREFUSED, wsp_connect(self->c, &a));
}

/* Accept: a new socket, the peer's address, a working descriptor. */
TEST_F(sock, accept_returns_peer_and_new_socket)
{
	struct wsp_accept_args aa = { .flags = WSP_FD_CLOEXEC };
	struct wsp_socket_info il, ic, is;
	struct test_addr a = { 0 }, cname = { 0 };
	char buf[8];

	LISTENER(a, WSP_FD_CLOEXEC);
	NEW_SOCK(self->c, SOCK_STREAM, WSP_FD_CLOEXEC);
	ASSERT_EQ(0, wsp_connect(self->c, &a));
	self->s = xioctl(self->l, WSP_IOC_ACCEPT, &aa);
	ASSERT_LE(0, self->s);

	ASSERT_EQ(0, wsp_getsockname(self->c, &cname));
	EXPECT_EQ(sa_len(variant->family), aa.peer.len);
	EXPECT_EQ(variant->family, sa_family(&aa.peer));
	EXPECT_EQ(wsp_port(&cname), wsp_port(&aa.peer));
	EXPECT_TRUE(sa_is_loopback(&aa.peer));

	ASSERT_EQ(0, wsp_info(self->l, &il));
	ASSERT_EQ(0, wsp_info(self->c, &ic));
	ASSERT_EQ(0, wsp_info(self->s, &is));
	EXPECT_NE(il.socket_id, is.socket_id);
	EXPECT_NE(ic.socket_id, is.socket_id);
	EXPECT_EQ(variant->family, is.family);
	EXPECT_EQ(SOCK_STREAM, is.type);
	EXPECT_EQ(1, is.descriptors);
	EXPECT_EQ(1, il.descriptors);
	EXPECT_EQ(0, is.nonblocking);

	EXPECT_EQ(3, wsp_send(self->c, "c2s", 3, 0));
	EXPECT_EQ(3, recv_full(self->s, buf, 3));
	EXPECT_EQ(0, memcmp(buf, "c2s", 3));
	EXPECT_EQ(3, wsp_send(self->s, "s2c", 3, 0));
	EXPECT_EQ(3, recv_full(self->c, buf, 3));
	EXPECT_EQ(0, memcmp(buf, "s2c", 3));
}

TEST_F(sock, accept_cloexec_flag)
{
	struct wsp_accept_args aa = { 0 };
	struct test_addr a = { 0 };
	int c2 = -1, s2 = -1;

	LISTENER(a, WSP_FD_CLOEXEC);
	NEW_SOCK(self->c, SOCK_STREAM, WSP_FD_CLOEXEC);
	ASSERT_EQ(0, wsp_connect(self->c, &a));
	self->s = xioctl(self->l, WSP_IOC_ACCEPT, &aa);
	ASSERT_LE(0, self->s);
	EXPECT_EQ(0, fd_cloexec(self->s));

	c2 = wsp_socket(self->dev, variant->family, SOCK_STREAM, 0, 0);
	ASSERT_LE(0, c2);
	EXPECT_EQ(0, wsp_connect(c2, &a));
	memset(&aa, 0, sizeof(aa));
	aa.flags = WSP_FD_CLOEXEC;
	s2 = xioctl(self->l, WSP_IOC_ACCEPT, &aa);
	EXPECT_LE(0, s2);
	if (s2 >= 0) {
		EXPECT_EQ(1, fd_cloexec(s2));
		close(s2);
	}
	close(c2);
}

/* Accepting counts one more socket and one more descriptor. */
TEST_F(sock, accept_counters)
{
	struct wsp_counters c0, c1, c2;
	struct test_addr a = { 0 };

	LISTENER(a, WSP_FD_CLOEXEC);
	NEW_SOCK(self->c, SOCK_STREAM, WSP_FD_CLOEXEC);
	ASSERT_EQ(0, wsp_connect(self->c, &a));
	ASSERT_EQ(0, wsp_read_counters(&c0));
	self->s = wsp_accept(self->l, NULL);
	ASSERT_LE(0, self->s);
	ASSERT_EQ(0, wsp_read_counters(&c1));
	EXPECT_EQ(c0.sockets + 1, c1.sockets);
	EXPECT_EQ(c0.descriptors + 1, c1.descriptors);
	close(self->s);
	self->s = -1;
	ASSERT_EQ(0, wsp_read_counters(&c2));
	EXPECT_EQ(c0.sockets, c2.sockets);
	EXPECT_EQ(c0.descriptors, c2.descriptors);
}

TEST_F(sock, accept_bad_args_einval)
{
	struct wsp_accept_args aa;
	struct test_addr a = { 0 };
	long ret;

	LISTENER(a, WSP_FD_CLOEXEC);
	NEW_SOCK(self->c, SOCK_STREAM, WSP_FD_CLOEXEC);
	ASSERT_EQ(0, wsp_connect(self->c, &a));

	memset(&aa, 0, sizeof(aa));
	aa.flags = 1U << 2;
	ret = xioctl(self->l, WSP_IOC_ACCEPT, &aa);
	EXPECT_EQ(-EINVAL, ret);
	if (ret >= 0)
		close(ret);
	/* WSP_SOCK_NONBLOCK is WSP_IOC_SOCKET's only. */
	aa.flags = WSP_SOCK_NONBLOCK;
	ret = xioctl(self->l, WSP_IOC_ACCEPT, &aa);
	EXPECT_EQ(-EINVAL, ret);
	if (ret >= 0)
		close(ret);
	aa.flags = 0;
	aa.__reserved = 1;
	ret = xioctl(self->l, WSP_IOC_ACCEPT, &aa);
	EXPECT_EQ(-EINVAL, ret);
	if (ret >= 0)
		close(ret);

	/* The connection is still pending. */
	EXPECT_TRUE(poll1(self->l, POLLIN, WAIT_MS) & POLLIN);
	self->s = wsp_accept(self->l, NULL);
	EXPECT_LE(0, self->s);
}

/* Accept on a socket that does not listen: EINVAL as accept(2). */
TEST_F(sock, accept_not_listening_einval)
{
	struct test_addr a = { 0 };

	NEW_SOCK(self->l, SOCK_STREAM, WSP_SOCK_NONBLOCK | WSP_FD_CLOEXEC);
	wsp_loopback(&a, variant->family, 0);
	ASSERT_EQ(0, wsp_bind(self->l, &a));
	self->s = wsp_accept(self->l, NULL);
	EXPECT_EQ(-EINVAL, self->s);
}

/* Both ends' names agree with each other and with the listener. */
TEST_F(sock, getsockname_getpeername)
{
	struct test_addr ln = { 0 }, cn = { 0 }, cp = { 0 };
	struct test_addr sn = { 0 }, sp = { 0 };

	TCP_PAIR();
	ASSERT_EQ(0, wsp_getsockname(self->l, &ln));
	ASSERT_EQ(0, wsp_getsockname(self->c, &cn));
	ASSERT_EQ(0, wsp_getpeername(self->c, &cp));
	ASSERT_EQ(0, wsp_getsockname(self->s, &sn));
	ASSERT_EQ(0, wsp_getpeername(self->s, &sp));

	EXPECT_EQ(sa_len(variant->family), cp.len);
	EXPECT_EQ(sa_len(variant->family), sp.len);
	EXPECT_EQ(variant->family, sa_family(&cp));
	EXPECT_EQ(variant->family, sa_family(&sp));
	EXPECT_EQ(wsp_port(&ln), wsp_port(&cp));
	EXPECT_EQ(wsp_port(&ln), wsp_port(&sn));
	EXPECT_EQ(wsp_port(&cn), wsp_port(&sp));
	EXPECT_NE(wsp_port(&cn), wsp_port(&ln));
	EXPECT_TRUE(sa_is_loopback(&cp));
	EXPECT_TRUE(sa_is_loopback(&sp));
	EXPECT_EQ(0, memcmp(cn.data, sp.data, cn.len));
	EXPECT_EQ(0, memcmp(sn.data, cp.data, sn.len));
}

TEST_F(sock, getpeername_unconnected_enotconn)
{
	struct test_addr a = { 0 }, p = { 0 };

	NEW_SOCK(self->c, SOCK_STREAM, WSP_FD_CLOEXEC);
	EXPECT_EQ(-ENOTCONN, wsp_getpeername(self->c, &p));
	LISTENER(a, WSP_FD_CLOEXEC);
	EXPECT_EQ(-ENOTCONN, wsp_getpeername(self->l, &p));
	UDP_BOUND(self->u1, a);
	EXPECT_EQ(-ENOTCONN, wsp_getpeername(self->u1, &p));
}

TEST_F(sock, getname_bad_flags_einval)
{
	struct wsp_addr_args aa = { .flags = 1 };

	TCP_PAIR();
	EXPECT_EQ(-EINVAL, wsp_ioctl(self->c, WSP_IOC_GETSOCKNAME, &aa));
	EXPECT_EQ(0, aa.addr.len);
	aa.flags = 0;
	aa.__reserved = 1;
	EXPECT_EQ(-EINVAL, wsp_ioctl(self->c, WSP_IOC_GETPEERNAME, &aa));
	EXPECT_EQ(0, aa.addr.len);
}

/* --- data over TCP ------------------------------------------------ */

TEST_F(sock, tcp_send_recv_both_ways)
{
	char buf[64];

	TCP_PAIR();
	EXPECT_EQ(5, wsp_send(self->c, "hello", 5, 0));
	EXPECT_EQ(5, recv_full(self->s, buf, 5));
	EXPECT_EQ(0, memcmp(buf, "hello", 5));
	EXPECT_EQ(6, wsp_send(self->s, "world!", 6, 0));
	EXPECT_EQ(6, recv_full(self->c, buf, 6));
	EXPECT_EQ(0, memcmp(buf, "world!", 6));
}

/* The source address of a TCP receive: none (len 0), no flags. */
TEST_F(sock, tcp_recv_out_fields)
{
	char buf[16];
	struct wsp_msg_args m = {
		.buf = (uintptr_t)buf, .len = sizeof(buf),
	};

	TCP_PAIR();
	EXPECT_EQ(4, wsp_send(self->c, "abcd", 4, 0));
	ASSERT_TRUE(poll1(self->s, POLLIN, WAIT_MS) & POLLIN);
	m.addr.len = 77;
	EXPECT_EQ(4, xioctl(self->s, WSP_IOC_RECV, &m));
	EXPECT_EQ(0, memcmp(buf, "abcd", 4));
	EXPECT_EQ(0, m.out_flags);
	EXPECT_EQ(0, m.addr.len);
}

TEST_F(sock, tcp_read_write_both_ways)
{
	char buf[64];

	TCP_PAIR();
	EXPECT_EQ(4, write(self->c, "ping", 4));
	ASSERT_TRUE(poll1(self->s, POLLIN, WAIT_MS) & POLLIN);
	EXPECT_EQ(4, read(self->s, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "ping", 4));
	EXPECT_EQ(4, write(self->s, "pong", 4));
	ASSERT_TRUE(poll1(self->c, POLLIN, WAIT_MS) & POLLIN);
	EXPECT_EQ(4, read(self->c, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "pong", 4));

	/* write() and the RECV ioctl, SEND ioctl and read() mix. */
	EXPECT_EQ(3, write(self->c, "xyz", 3));
	EXPECT_EQ(3, recv_full(self->s, buf, 3));
	EXPECT_EQ(0, memcmp(buf, "xyz", 3));
	EXPECT_EQ(3, wsp_send(self->s, "uvw", 3, 0));
	ASSERT_TRUE(poll1(self->c, POLLIN, WAIT_MS) & POLLIN);
	EXPECT_EQ(3, read(self->c, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "uvw", 3));
}

/* More than the socket buffers hold, in order, through a second process. */
TEST_F(sock, tcp_bulk_transfer)
{
	enum { TOTAL = 1 << 20, CHUNK = 8192 };
	static unsigned char out[TOTAL], in[TOTAL];
	long got;
	int status, i;
	pid_t pid;

	TCP_PAIR();
	for (i = 0; i < TOTAL; i++)
		out[i] = (unsigned char)(i * 7 + (i >> 11));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		size_t off = 0;

		while (off < TOTAL) {
			long n = wsp_send(self->c, out + off,
					  TOTAL - off < CHUNK ? TOTAL - off
							      : CHUNK, 0);
			if (n <= 0)
				_exit(1);
			off += n;
		}
		_exit(0);
	}
	got = recv_full(self->s, in, TOTAL);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	EXPECT_EQ(TOTAL, got);
	EXPECT_EQ(0, memcmp(in, out, TOTAL));
}

TEST_F(sock, msg_peek_leaves_data)
{
	char buf[32];
	int avail = -1;

	TCP_PAIR();
	EXPECT_EQ(11, wsp_send(self->c, "hello world", 11, 0));
	ASSERT_TRUE(poll1(self->s, POLLIN, WAIT_MS) & POLLIN);
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(5, wsp_recv(self->s, buf, 5, MSG_PEEK));
	EXPECT_EQ(0, memcmp(buf, "hello", 5));
	EXPECT_EQ(0, ioctl(self->s, FIONREAD, &avail));
	EXPECT_EQ(11, avail);
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(11, wsp_recv(self->s, buf, sizeof(buf), MSG_PEEK));
	EXPECT_EQ(11, wsp_recv(self->s, buf, sizeof(buf), 0));
	EXPECT_EQ(0, memcmp(buf, "hello world", 11));
	EXPECT_EQ(0, ioctl(self->s, FIONREAD, &avail));
	EXPECT_EQ(0, avail);
}

/* MSG_WAITALL waits for the rest even when part is already there. */
TEST_F(sock, msg_waitall)
{
	char out[2000], in[2000];
	int status, i;
	long n;
	pid_t pid;

	TCP_PAIR();
	for (i = 0; i < (int)sizeof(out); i++)
		out[i] = (char)i;
	ASSERT_EQ(1000, wsp_send(self->c, out, 1000, 0));
	ASSERT_TRUE(poll1(self->s, POLLIN, WAIT_MS) & POLLIN);

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		/* Send the rest once the parent waits in the receive. */
		wait_sleeping(getppid());
		_exit(wsp_send(self->c, out + 1000, 1000, 0) == 1000 ? 0 : 1);
	}
	memset(in, 0, sizeof(in));
	n = wsp_recv(self->s, in, sizeof(in), MSG_WAITALL);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	EXPECT_EQ(2000, n);
	EXPECT_EQ(0, memcmp(in, out, sizeof(out)));
}

/* Urgent data: POLLPRI, SIOCATMARK, the normal data stops at the mark. */
TEST_F(sock, msg_oob_and_siocatmark)
{
	char buf[16];
	struct wsp_msg_args m = { .flags = MSG_OOB, .buf = (uintptr_t)buf,
				  .len = sizeof(buf) };
	int mark = -1;

	TCP_PAIR();
	EXPECT_EQ(3, wsp_send(self->c, "abc", 3, 0));
	EXPECT_EQ(1, wsp_send(self->c, "X", 1, MSG_OOB));
	ASSERT_TRUE(poll1(self->s, POLLPRI, WAIT_MS) & POLLPRI);

	EXPECT_EQ(0, ioctl(self->s, SIOCATMARK, &mark));
	EXPECT_EQ(0, mark);
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(3, wsp_recv(self->s, buf, sizeof(buf), 0));
	EXPECT_EQ(0, memcmp(buf, "abc", 3));
	mark = -1;
	EXPECT_EQ(0, ioctl(self->s, SIOCATMARK, &mark));
	EXPECT_EQ(1, mark);

	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(1, xioctl(self->s, WSP_IOC_RECV, &m));
	EXPECT_EQ('X', buf[0]);
	EXPECT_TRUE(m.out_flags & MSG_OOB) TH_LOG("out_flags %#x",
						  m.out_flags);
	/* Read once: now there is none. */
	EXPECT_EQ(-EINVAL, wsp_recv(self->s, buf, sizeof(buf),
				    MSG_OOB | MSG_DONTWAIT));
	EXPECT_EQ(-1, ioctl(self->s, SIOCATMARK, NULL));
	EXPECT_EQ(EFAULT, errno);
}

/* With SO_OOBINLINE the urgent byte stays in the stream. */
TEST_F(sock, oobinline_keeps_urgent_byte_in_stream)
{
	char buf[16];
	int one = 1, got = 0, i;
	long n;

	TCP_PAIR();
	ASSERT_EQ(0, wsp_setsockopt(self->s, SOL_SOCKET, SO_OOBINLINE, &one,
				    sizeof(one)));
	EXPECT_EQ(3, wsp_send(self->c, "abc", 3, 0));
	EXPECT_EQ(1, wsp_send(self->c, "X", 1, MSG_OOB));
	ASSERT_TRUE(poll1(self->s, POLLPRI, WAIT_MS) & POLLPRI);
	memset(buf, 0, sizeof(buf));
	for (i = 0; i < 4 && got < 4; i++) {
		n = wsp_recv(self->s, buf + got, 4 - got, MSG_DONTWAIT);
		if (n <= 0)
			break;
		got += n;
	}
	EXPECT_EQ(4, got);
	EXPECT_EQ(0, memcmp(buf, "abcX", 4));
}

TEST_F(sock, fionread_counts)
{
	char buf[100];
	int avail = -1;

	TCP_PAIR();
	EXPECT_EQ(0, ioctl(self->s, FIONREAD, &avail));
	EXPECT_EQ(0, avail);
	memset(buf, 'q', sizeof(buf));
	EXPECT_EQ(100, wsp_send(self->c, buf, 100, 0));
	ASSERT_TRUE(poll1(self->s, POLLIN, WAIT_MS) & POLLIN);
	EXPECT_EQ(0, ioctl(self->s, FIONREAD, &avail));
	EXPECT_EQ(100, avail);
	EXPECT_EQ(40, wsp_recv(self->s, buf, 40, 0));
	EXPECT_EQ(0, ioctl(self->s, FIONREAD, &avail));
	EXPECT_EQ(60, avail);
	EXPECT_EQ(-1, ioctl(self->s, FIONREAD, NULL));
	EXPECT_EQ(EFAULT, errno);
}

/* SHUT_WR: the peer reads EOF and can still answer. */
TEST_F(sock, shutdown_wr_gives_peer_eof)
{
	struct wsp_shutdown_args sa = { .how = SHUT_WR };
	char buf[8];

	TCP_PAIR();
	catch_sigpipe();
	EXPECT_EQ(2, wsp_send(self->c, "hi", 2, 0));
	ASSERT_EQ(0, wsp_ioctl(self->c, WSP_IOC_SHUTDOWN, &sa));
	EXPECT_EQ(2, recv_full(self->s, buf, 2));
	ASSERT_TRUE(poll1(self->s, POLLIN, WAIT_MS) & POLLIN);
	EXPECT_EQ(0, wsp_recv(self->s, buf, sizeof(buf), 0));
	EXPECT_EQ(0, read(self->s, buf, sizeof(buf)));

	EXPECT_EQ(3, wsp_send(self->s, "bye", 3, 0));
	EXPECT_EQ(3, recv_full(self->c, buf, 3));
	EXPECT_EQ(0, memcmp(buf, "bye", 3));

	/* Sending after SHUT_WR is EPIPE, without a signal. */
	EXPECT_EQ(-EPIPE, wsp_send(self->c, "x", 1, 0));
	EXPECT_EQ(0, sigpipes);
}

/* SHUT_RD: the reader's own receive returns 0 instead of blocking. */
TEST_F(sock, shutdown_rd_returns_eof)
{
	struct wsp_shutdown_args sa = { .how = SHUT_RD };
	char buf[8];

	TCP_PAIR();
	ASSERT_EQ(0, wsp_ioctl(self->c, WSP_IOC_SHUTDOWN, &sa));
	EXPECT_EQ(0, wsp_recv(self->c, buf, sizeof(buf), 0));
	/* The other direction still carries data. */
	EXPECT_EQ(2, wsp_send(self->c, "ok", 2, 0));
	EXPECT_EQ(2, recv_full(self->s, buf, 2));
}

TEST_F(sock, shutdown_bad_args_einval)
{
	struct wsp_shutdown_args sa = { .how = 3 };
	char buf[8];

	TCP_PAIR();
	EXPECT_EQ(-EINVAL, wsp_ioctl(self->c, WSP_IOC_SHUTDOWN, &sa));
	sa.how = -1;
	EXPECT_EQ(-EINVAL, wsp_ioctl(self->c, WSP_IOC_SHUTDOWN, &sa));
	sa.how = 0x7fffffff;
	EXPECT_EQ(-EINVAL, wsp_ioctl(self->c, WSP_IOC_SHUTDOWN, &sa));
	sa.how = SHUT_RDWR;
	sa.flags = 1;
	EXPECT_EQ(-EINVAL, wsp_ioctl(self->c, WSP_IOC_SHUTDOWN, &sa));

	/* Nothing was shut: data still flows both ways. */
	EXPECT_EQ(2, wsp_send(self->c, "c1", 2, 0));
	EXPECT_EQ(2, recv_full(self->s, buf, 2));
	EXPECT_EQ(2, wsp_send(self->s, "s1", 2, 0));
	EXPECT_EQ(2, recv_full(self->c, buf, 2));
}

TEST_F(sock, shutdown_unconnected_enotconn)
{
	struct wsp_shutdown_args sa = { .how = SHUT_RDWR };

	NEW_SOCK(self->c, SOCK_STREAM, WSP_FD_CLOEXEC);
	EXPECT_EQ(-ENOTCONN, wsp_ioctl(self->c, WSP_IOC_SHUTDOWN, &sa));
}

TEST_F(sock, read_returns_zero_at_eof)
{
	char buf[8];

	TCP_PAIR();
	close(self->c);
	self->c = -1;
	ASSERT_TRUE(poll1(self->s, POLLIN, WAIT_MS) & POLLIN);
	EXPECT_EQ(0, read(self->s, buf, sizeof(buf)));
	EXPECT_EQ(0, wsp_recv(self->s, buf, sizeof(buf), 0));
}

/*
 * Sending after the peer closed: the first sends may still succeed; then
 * EPIPE or ECONNRESET, and never SIGPIPE.
 */
TEST_F(sock, send_after_peer_close_epipe_no_sigpipe)
{
	char buf[1000];
	long n = 0;
	int i;

	TCP_PAIR();
	catch_sigpipe();
	memset(buf, 'z', sizeof(buf));
	close(self->s);
	self->s = -1;
	close(self->l);
	self->l = -1;
	for (i = 0; i < 100; i++) {
		n = wsp_send(self->c, buf, sizeof(buf), 0);
		if (n < 0)
			break;
		/* Wait for the peer's reset rather than guessing. */
		poll1(self->c, 0, 1000);
	}
	EXPECT_TRUE(n == -EPIPE || n == -ECONNRESET) TH_LOG("send: %ld", n);
	n = wsp_send(self->c, buf, sizeof(buf), 0);
	EXPECT_TRUE(n == -EPIPE || n == -ECONNRESET) TH_LOG("send: %ld", n);
	EXPECT_EQ(0, sigpipes);
}

/* The same through write(). */
TEST_F(sock, write_after_peer_close_epipe_no_sigpipe)
{
	char buf[1000];
	ssize_t n = 0;
	int i, err = 0;

	TCP_PAIR();
	catch_sigpipe();
	memset(buf, 'z', sizeof(buf));
	close(self->s);
	self->s = -1;
	for (i = 0; i < 100; i++) {
		n = write(self->c, buf, sizeof(buf));
		if (n < 0) {
			err = errno;
			break;
		}
		poll1(self->c, 0, 1000);
	}
	EXPECT_EQ(-1, n);
	EXPECT_TRUE(err == EPIPE || err == ECONNRESET) TH_LOG("errno %d", err);
	EXPECT_EQ(0, sigpipes);
}

/* --- send/recv bad arguments --------------------------------------- */

TEST_F(sock, send_bad_flags_einval)
{
	static const unsigned int bad[] = {
		MSG_PEEK, MSG_WAITALL, MSG_NOSIGNAL, MSG_MORE, MSG_TRUNC,
		MSG_DONTROUTE, MSG_EOR, MSG_CONFIRM, 0x80000000u,
	};
	char buf[8];
	int i, avail = -1;

	TCP_PAIR();
	for (i = 0; i < (int)(sizeof(bad) / sizeof(bad[0])); i++)
		EXPECT_EQ(-EINVAL, wsp_send(self->c, "bad", 3, bad[i]))
			TH_LOG("flags %#x", bad[i]);
	/* Nothing was sent. */
	EXPECT_EQ(4, wsp_send(self->c, "good", 4, 0));
	EXPECT_EQ(4, recv_full(self->s, buf, 4));
	EXPECT_EQ(0, memcmp(buf, "good", 4));
	EXPECT_EQ(0, ioctl(self->s, FIONREAD, &avail));
	EXPECT_EQ(0, avail);
}

TEST_F(sock, recv_bad_flags_einval)
{
	static const unsigned int bad[] = {
		MSG_TRUNC, MSG_NOSIGNAL, MSG_ERRQUEUE, MSG_CMSG_CLOEXEC,
		MSG_DONTROUTE, MSG_CTRUNC, 0x80000000u,
	};
	char buf[8];
	int i, avail = -1;

	TCP_PAIR();
	EXPECT_EQ(4, wsp_send(self->c, "data", 4, 0));
	ASSERT_TRUE(poll1(self->s, POLLIN, WAIT_MS) & POLLIN);
	for (i = 0; i < (int)(sizeof(bad) / sizeof(bad[0])); i++)
		EXPECT_EQ(-EINVAL, wsp_recv(self->s, buf, sizeof(buf), bad[i]))
			TH_LOG("flags %#x", bad[i]);
	/* Nothing was consumed. */
	EXPECT_EQ(0, ioctl(self->s, FIONREAD, &avail));
	EXPECT_EQ(4, avail);
}

TEST_F(sock, send_bad_buffer_efault)
{
	void *unmapped = unmapped_page();
	char buf[8];
	int avail = -1;

	ASSERT_NE(MAP_FAILED, unmapped);
	TCP_PAIR();
	EXPECT_EQ(-EFAULT, wsp_send(self->c, unmapped, 16, 0));
	EXPECT_EQ(-EFAULT, wsp_send(self->c, KERNEL_PTR, 16, 0));
	EXPECT_EQ(-1, write(self->c, unmapped, 16));
	EXPECT_EQ(EFAULT, errno);
	munmap(unmapped, 4096);
	/* Nothing was sent; the connection works. */
	EXPECT_EQ(2, wsp_send(self->c, "ok", 2, 0));
	EXPECT_EQ(2, recv_full(self->s, buf, 2));
	EXPECT_EQ(0, memcmp(buf, "ok", 2));
	EXPECT_EQ(0, ioctl(self->s, FIONREAD, &avail));
	EXPECT_EQ(0, avail);
}

TEST_F(sock, recv_bad_buffer_efault)
{
	void *unmapped = unmapped_page();
	char buf[8];
	int avail = -1;

	ASSERT_NE(MAP_FAILED, unmapped);
	TCP_PAIR();
	EXPECT_EQ(4, wsp_send(self->c, "keep", 4, 0));
	ASSERT_TRUE(poll1(self->s, POLLIN, WAIT_MS) & POLLIN);
	EXPECT_EQ(-EFAULT, wsp_recv(self->s, unmapped, 16, 0));
	EXPECT_EQ(-EFAULT, wsp_recv(self->s, KERNEL_PTR, 16, 0));
	EXPECT_EQ(-1, read(self->s, unmapped, 16));
	EXPECT_EQ(EFAULT, errno);
	munmap(unmapped, 4096);
	/* The data is still there. */
	EXPECT_EQ(0, ioctl(self->s, FIONREAD, &avail));
	EXPECT_EQ(4, avail);
	EXPECT_EQ(4, recv_full(self->s, buf, 4));
	EXPECT_EQ(0, memcmp(buf, "keep", 4));
}

/* A bad destination in the send's address field. */
TEST_F(sock, sendto_bad_addr_einval)
{
	struct test_addr a1 = { 0 }, a2 = { 0 };
	char buf[8];
	struct wsp_msg_args m = { .buf = (uintptr_t)"dgram", .len = 5 };

	UDP_BOUND(self->u1, a1);
	UDP_BOUND(self->u2, a2);
	m.addr = a2;
	m.addr.len = WSP_SOCKADDR_MAX + 1;
	EXPECT_EQ(-EINVAL, xioctl(self->u1, WSP_IOC_SEND, &m));
	m.addr.len = 0xffffffffu;
	EXPECT_EQ(-EINVAL, xioctl(self->u1, WSP_IOC_SEND, &m));
	m.addr = a2;
	m.addr.__reserved = 1;
	EXPECT_EQ(-EINVAL, xioctl(self->u1, WSP_IOC_SEND, &m));
	/* Nothing arrived. */
	EXPECT_EQ(-EAGAIN, wsp_recv(self->u2, buf, sizeof(buf), MSG_DONTWAIT));
	m.addr = a2;
	EXPECT_EQ(5, xioctl(self->u1, WSP_IOC_SEND, &m));
}

/* --- UDP ----------------------------------------------------------- */

TEST_F(sock, udp_sendto_recvfrom)
{
	struct test_addr a1 = { 0 }, a2 = { 0 };
	char buf[32];
	struct wsp_msg_args m = { .buf = (uintptr_t)"hello", .len = 5 };
	struct wsp_msg_args r = { .buf = (uintptr_t)buf, .len = sizeof(buf) };

	UDP_BOUND(self->u1, a1);
	UDP_BOUND(self->u2, a2);
	m.addr = a2;
	EXPECT_EQ(5, xioctl(self->u1, WSP_IOC_SEND, &m));
	ASSERT_TRUE(poll1(self->u2, POLLIN, WAIT_MS) & POLLIN);
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(5, xioctl(self->u2, WSP_IOC_RECV, &r));
	EXPECT_EQ(0, memcmp(buf, "hello", 5));
	EXPECT_EQ(0, r.out_flags & MSG_TRUNC);
	EXPECT_EQ(sa_len(variant->family), r.addr.len);
	EXPECT_EQ(variant->family, sa_family(&r.addr));
	EXPECT_EQ(wsp_port(&a1), wsp_port(&r.addr));
	EXPECT_TRUE(sa_is_loopback(&r.addr));

	/* And back to the source it reported. */
	m.addr = r.addr;
	m.buf = (uintptr_t)"back";
	m.len = 4;
	EXPECT_EQ(4, xioctl(self->u2, WSP_IOC_SEND, &m));
	ASSERT_TRUE(poll1(self->u1, POLLIN, WAIT_MS) & POLLIN);
	memset(&r, 0, sizeof(r));
	r.buf = (uintptr_t)buf;
	r.len = sizeof(buf);
	EXPECT_EQ(4, xioctl(self->u1, WSP_IOC_RECV, &r));
	EXPECT_EQ(0, memcmp(buf, "back", 4));
	EXPECT_EQ(wsp_port(&a2), wsp_port(&r.addr));
}

TEST_F(sock, udp_truncation_flag)
{
	struct test_addr a1 = { 0 }, a2 = { 0 };
	char big[100], buf[10];
	struct wsp_msg_args m = { .buf = (uintptr_t)big, .len = sizeof(big) };
	struct wsp_msg_args r = { .buf = (uintptr_t)buf, .len = sizeof(buf) };

	UDP_BOUND(self->u1, a1);
	UDP_BOUND(self->u2, a2);
	memset(big, 'B', sizeof(big));
	m.addr = a2;
	EXPECT_EQ(100, xioctl(self->u1, WSP_IOC_SEND, &m));
	ASSERT_TRUE(poll1(self->u2, POLLIN, WAIT_MS) & POLLIN);
	EXPECT_EQ(10, xioctl(self->u2, WSP_IOC_RECV, &r));
	EXPECT_TRUE(r.out_flags & MSG_TRUNC) TH_LOG("out_flags %#x",
						    r.out_flags);
	EXPECT_EQ(0, memcmp(buf, big, sizeof(buf)));
	/* The rest of the datagram is gone. */
	EXPECT_EQ(-EAGAIN, wsp_recv(self->u2, buf, sizeof(buf), MSG_DONTWAIT));

	/* A datagram that fits has no MSG_TRUNC. */
	m.len = 10;
	EXPECT_EQ(10, xioctl(self->u1, WSP_IOC_SEND, &m));
	ASSERT_TRUE(poll1(self->u2, POLLIN, WAIT_MS) & POLLIN);
	memset(&r, 0, sizeof(r));
	r.buf = (uintptr_t)buf;
	r.len = sizeof(buf);
	EXPECT_EQ(10, xioctl(self->u2, WSP_IOC_RECV, &r));
	EXPECT_EQ(0, r.out_flags & MSG_TRUNC);
}

TEST_F(sock, udp_connected_send_recv)
{
	struct test_addr a1 = { 0 }, a2 = { 0 }, peer = { 0 };
	char buf[16];

	UDP_BOUND(self->u1, a1);
	UDP_BOUND(self->u2, a2);
	ASSERT_EQ(0, wsp_connect(self->u1, &a2));
	ASSERT_EQ(0, wsp_getpeername(self->u1, &peer));
	EXPECT_EQ(wsp_port(&a2), wsp_port(&peer));
	EXPECT_EQ(3, wsp_send(self->u1, "one", 3, 0));
	EXPECT_EQ(3, write(self->u1, "two", 3));
	ASSERT_TRUE(poll1(self->u2, POLLIN, WAIT_MS) & POLLIN);
	EXPECT_EQ(3, wsp_recv(self->u2, buf, sizeof(buf), 0));
	EXPECT_EQ(0, memcmp(buf, "one", 3));
	ASSERT_TRUE(poll1(self->u2, POLLIN, WAIT_MS) & POLLIN);
	EXPECT_EQ(3, read(self->u2, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "two", 3));
}

/* An unconnected UDP socket has nowhere to send without an address. */
TEST_F(sock, udp_send_without_address_edestaddrreq)
{
	struct test_addr a = { 0 };

	UDP_BOUND(self->u1, a);
	EXPECT_EQ(-EDESTADDRREQ, wsp_send(self->u1, "x", 1, 0));
}

/* FIONREAD on a datagram socket is the next datagram's size. */
TEST_F(sock, udp_fionread_next_datagram)
{
	struct test_addr a1 = { 0 }, a2 = { 0 };
	char buf[64];
	int avail = -1;

	UDP_BOUND(self->u1, a1);
	UDP_BOUND(self->u2, a2);
	ASSERT_EQ(0, wsp_connect(self->u1, &a2));
	memset(buf, 'u', sizeof(buf));
	EXPECT_EQ(30, wsp_send(self->u1, buf, 30, 0));
	EXPECT_EQ(50, wsp_send(self->u1, buf, 50, 0));
	ASSERT_TRUE(poll1(self->u2, POLLIN, WAIT_MS) & POLLIN);
	EXPECT_EQ(0, ioctl(self->u2, FIONREAD, &avail));
	EXPECT_EQ(30, avail);
	EXPECT_EQ(30, wsp_recv(self->u2, buf, sizeof(buf), 0));
	ASSERT_TRUE(poll1(self->u2, POLLIN, WAIT_MS) & POLLIN);
	EXPECT_EQ(0, ioctl(self->u2, FIONREAD, &avail));
	EXPECT_EQ(50, avail);
}

/* --- blocking mode ------------------------------------------------- */

TEST_F(sock, set_nonblock_toggles_mode)
{
	struct wsp_socket_info info;

	NEW_SOCK(self->c, SOCK_STREAM, WSP_FD_CLOEXEC);
	ASSERT_EQ(0, wsp_set_nonblock(self->c, 1));
	ASSERT_EQ(0, wsp_info(self->c, &info));
	EXPECT_EQ(1, info.nonblocking);
	ASSERT_EQ(0, wsp_set_nonblock(self->c, 1));
	ASSERT_EQ(0, wsp_info(self->c, &info));
	EXPECT_EQ(1, info.nonblocking);
	ASSERT_EQ(0, wsp_set_nonblock(self->c, 0));
	ASSERT_EQ(0, wsp_info(self->c, &info));
	EXPECT_EQ(0, info.nonblocking);
}

TEST_F(sock, set_nonblock_bad_args_einval)
{
	struct wsp_nonblock_args na = { .nonblocking = 2 };
	struct wsp_socket_info info;

	NEW_SOCK(self->c, SOCK_STREAM, WSP_FD_CLOEXEC);
	EXPECT_EQ(-EINVAL, wsp_ioctl(self->c, WSP_IOC_SET_NONBLOCK, &na));
	na.nonblocking = 0xffffffffu;
	EXPECT_EQ(-EINVAL, wsp_ioctl(self->c, WSP_IOC_SET_NONBLOCK, &na));
	na.nonblocking = 1;
	na.flags = 1;
	EXPECT_EQ(-EINVAL, wsp_ioctl(self->c, WSP_IOC_SET_NONBLOCK, &na));
	ASSERT_EQ(0, wsp_info(self->c, &info));
	EXPECT_EQ(0, info.nonblocking);

	/* And a non-blocking socket stays non-blocking. */
	ASSERT_EQ(0, wsp_set_nonblock(self->c, 1));
	na.flags = 0;
	na.nonblocking = 2;
	EXPECT_EQ(-EINVAL, wsp_ioctl(self->c, WSP_IOC_SET_NONBLOCK, &na));
	na.nonblocking = 0;
	na.flags = 0x80000000u;
	EXPECT_EQ(-EINVAL, wsp_ioctl(self->c, WSP_IOC_SET_NONBLOCK, &na));
	ASSERT_EQ(0, wsp_info(self->c, &info));
	EXPECT_EQ(1, info.nonblocking);
}

TEST_F(sock, nonblocking_recv_eagain)
{
	char buf[8];

	TCP_PAIR();
	ASSERT_EQ(0, wsp_set_nonblock(self->s, 1));
	EXPECT_EQ(-EAGAIN, wsp_recv(self->s, buf, sizeof(buf), 0));
	EXPECT_EQ(-1, read(self->s, buf, sizeof(buf)));
	EXPECT_EQ(EAGAIN, errno);
	/* Once data is there, it comes. */
	EXPECT_EQ(2, wsp_send(self->c, "go", 2, 0));
	ASSERT_TRUE(poll1(self->s, POLLIN, WAIT_MS) & POLLIN);
	EXPECT_EQ(2, wsp_recv(self->s, buf, sizeof(buf), 0));
}

TEST_F(sock, nonblocking_udp_recv_eagain)
{
	struct test_addr a = { 0 };
	char buf[8];

	NEW_SOCK(self->u1, SOCK_DGRAM, WSP_SOCK_NONBLOCK | WSP_FD_CLOEXEC);
	wsp_loopback(&a, variant->family, 0);
	ASSERT_EQ(0, wsp_bind(self->u1, &a));
	EXPECT_EQ(-EAGAIN, wsp_recv(self->u1, buf, sizeof(buf), 0));
}

/*
 * A non-blocking sender fills the connection: EAGAIN, no POLLOUT; once the
 * receiver drains it, POLLOUT again.
 */
TEST_F(sock, nonblocking_send_full_then_pollout)
{
	static char buf[16384];
	long n = 0, sent = 0, got = 0;
	int i, rev = 0;

	TCP_PAIR();
	ASSERT_EQ(0, wsp_set_nonblock(self->c, 1));
	memset(buf, 'f', sizeof(buf));
	for (i = 0; i < 4096; i++) {
		n = wsp_send(self->c, buf, sizeof(buf), 0);
		if (n < 0)
			break;
		sent += n;
	}
	ASSERT_EQ(-EAGAIN, n) TH_LOG("sent %ld bytes without EAGAIN", sent);
	EXPECT_LT(0, sent);
	rev = poll1(self->c, POLLOUT, 0);
	EXPECT_FALSE(rev & POLLOUT) TH_LOG("revents %#x", rev);

	/* Drain it all; the sender becomes writable again. */
	while (got < sent) {
		n = wsp_recv(self->s, buf, sizeof(buf), 0);
		if (n <= 0)
			break;
		got += n;
	}
	EXPECT_EQ(sent, got);
	rev = poll1(self->c, POLLOUT, WAIT_MS);
	EXPECT_TRUE(rev & POLLOUT) TH_LOG("revents %#x", rev);
	EXPECT_EQ(3, wsp_send(self->c, "end", 3, 0));
}

/* MSG_DONTWAIT makes one call non-blocking, not the socket. */
TEST_F(sock, msg_dontwait_on_blocking_socket)
{
	struct wsp_socket_info info;
	char buf[8];

	TCP_PAIR();
	EXPECT_EQ(-EAGAIN, wsp_recv(self->s, buf, sizeof(buf), MSG_DONTWAIT));
	ASSERT_EQ(0, wsp_info(self->s, &info));
	EXPECT_EQ(0, info.nonblocking);
}

TEST_F(sock, nonblocking_accept_eagain)
{
	struct test_addr a = { 0 };

	LISTENER(a, WSP_SOCK_NONBLOCK | WSP_FD_CLOEXEC);
	self->s = wsp_accept(self->l, NULL);
	EXPECT_EQ(-EAGAIN, self->s);

	/* With a connection pending, it accepts. */
	NEW_SOCK(self->c, SOCK_STREAM, WSP_FD_CLOEXEC);
	ASSERT_EQ(0, wsp_connect(self->c, &a));
	ASSERT_TRUE(poll1(self->l, POLLIN, WAIT_MS) & POLLIN);
	self->s = wsp_accept(self->l, NULL);
	EXPECT_LE(0, self->s);
}

/* Non-blocking connect: EINPROGRESS, then POLLOUT and a peer name. */
TEST_F(sock, nonblocking_connect_einprogress)
{
	struct test_addr a = { 0 }, peer = { 0 };
	int err = -1, rev;

	LISTENER(a, WSP_FD_CLOEXEC);
	NEW_SOCK(self->c, SOCK_STREAM, WSP_SOCK_NONBLOCK | WSP_FD_CLOEXEC);
	ASSERT_EQ(-EINPROGRESS, wsp_connect(self->c, &a));
	rev = poll1(self->c, POLLOUT, WAIT_MS);
	EXPECT_TRUE(rev & POLLOUT) TH_LOG("revents %#x", rev);
	EXPECT_FALSE(rev & (POLLERR | POLLHUP)) TH_LOG("revents %#x", rev);
	EXPECT_EQ(0, wsp_getsockopt_int(self->c, SOL_SOCKET, SO_ERROR, &err));
	EXPECT_EQ(0, err);
	ASSERT_EQ(0, wsp_getpeername(self->c, &peer));
	EXPECT_EQ(wsp_port(&a), wsp_port(&peer));
	EXPECT_TRUE(sa_is_loopback(&peer));
	/*
	 * As connect(2): the next connect reports the completed one (0),
	 * the one after says the socket is connected.
	 */
	EXPECT_EQ(0, wsp_connect(self->c, &a));
	EXPECT_EQ(-EISCONN, wsp_connect(self->c, &a));
	self->s = wsp_accept(self->l, NULL);
	EXPECT_LE(0, self->s);
}

/* The file's O_NONBLOCK does not make a blocking socket non-blocking. */
TEST_F(sock, file_o_nonblock_ignored_on_blocking_socket)
{
	struct timeval tv = { .tv_sec = 0, .tv_usec = 200000 };
	char buf[8];
	long t0, dt;
	ssize_t n;

	TCP_PAIR();
	ASSERT_EQ(0, wsp_setsockopt(self->s, SOL_SOCKET, SO_RCVTIMEO, &tv,
				    sizeof(tv)));
	ASSERT_EQ(0, fcntl(self->s, F_SETFL,
			   fcntl(self->s, F_GETFL) | O_NONBLOCK));
	ASSERT_TRUE(fcntl(self->s, F_GETFL) & O_NONBLOCK);

	t0 = now_ms();
	EXPECT_EQ(-EAGAIN, wsp_recv(self->s, buf, sizeof(buf), 0));
	dt = now_ms() - t0;
	EXPECT_LE(100, dt) TH_LOG("recv returned after %ld ms: did not block",
				  dt);

	t0 = now_ms();
	n = read(self->s, buf, sizeof(buf));
	dt = now_ms() - t0;
	EXPECT_EQ(-1, n);
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_LE(100, dt) TH_LOG("read returned after %ld ms: did not block",
				  dt);
}

/* Nor does a file without O_NONBLOCK make a non-blocking socket block. */
TEST_F(sock, file_flags_ignored_on_nonblocking_socket)
{
	struct timeval tv = { .tv_sec = 3, .tv_usec = 0 };
	char buf[8];
	long t0, dt;

	TCP_PAIR();
	/* A safety net: if it blocks, it returns after 3 s. */
	ASSERT_EQ(0, wsp_setsockopt(self->s, SOL_SOCKET, SO_RCVTIMEO, &tv,
				    sizeof(tv)));
	ASSERT_EQ(0, wsp_set_nonblock(self->s, 1));
	ASSERT_EQ(0, fcntl(self->s, F_SETFL,
			   fcntl(self->s, F_GETFL) & ~O_NONBLOCK));
	t0 = now_ms();
	EXPECT_EQ(-EAGAIN, wsp_recv(self->s, buf, sizeof(buf), 0));
	dt = now_ms() - t0;
	EXPECT_GT(1500, dt) TH_LOG("recv blocked for %ld ms", dt);
}

/* SO_RCVTIMEO bounds a blocking receive. */
TEST_F(sock, rcvtimeo_bounds_blocking_recv)
{
	struct timeval tv = { .tv_sec = 0, .tv_usec = 200000 };
	char buf[8];
	long t0, dt;
	ssize_t n;

	TCP_PAIR();
	ASSERT_EQ(0, wsp_setsockopt(self->s, SOL_SOCKET, SO_RCVTIMEO, &tv,
				    sizeof(tv)));
	t0 = now_ms();
	EXPECT_EQ(-EAGAIN, wsp_recv(self->s, buf, sizeof(buf), 0));
	n = read(self->s, buf, sizeof(buf));
	EXPECT_EQ(-1, n);
	EXPECT_EQ(EAGAIN, errno);
	dt = now_ms() - t0;
	EXPECT_GT(10000, dt) TH_LOG("took %ld ms", dt);
}

/* --- poll ---------------------------------------------------------- */

TEST_F(sock, poll_readiness)
{
	char buf[16];
	int rev;

	TCP_PAIR();
	EXPECT_EQ(0, poll1(self->s, POLLIN, 0));
	rev = poll1(self->c, POLLOUT, WAIT_MS);
	EXPECT_EQ(POLLOUT, rev & (POLLOUT | POLLIN | POLLERR | POLLHUP));
	EXPECT_EQ(5, wsp_send(self->c, "ready", 5, 0));
	rev = poll1(self->s, POLLIN | POLLOUT, WAIT_MS);
	EXPECT_EQ(POLLIN | POLLOUT, rev & (POLLOUT | POLLIN | POLLERR | POLLHUP));
	EXPECT_EQ(5, wsp_recv(self->s, buf, sizeof(buf), 0));
	EXPECT_EQ(0, poll1(self->s, POLLIN, 0));
}

TEST_F(sock, poll_listener_pending_connection)
{
	struct test_addr a = { 0 };

	LISTENER(a, WSP_FD_CLOEXEC);
	EXPECT_EQ(0, poll1(self->l, POLLIN, 0));
	NEW_SOCK(self->c, SOCK_STREAM, WSP_FD_CLOEXEC);
	ASSERT_EQ(0, wsp_connect(self->c, &a));
	EXPECT_TRUE(poll1(self->l, POLLIN, WAIT_MS) & POLLIN);
	self->s = wsp_accept(self->l, NULL);
	ASSERT_LE(0, self->s);
	EXPECT_EQ(0, poll1(self->l, POLLIN, 0));
}

TEST_F(sock, poll_peer_close_hup)
{
	int rev;

	TCP_PAIR();
	close(self->c);
	self->c = -1;
	rev = poll1(self->s, POLLIN | POLLRDHUP, WAIT_MS);
	EXPECT_TRUE(rev & POLLIN) TH_LOG("revents %#x", rev);
	EXPECT_TRUE(rev & POLLRDHUP) TH_LOG("revents %#x", rev);
}

TEST_F(sock, poll_udp_datagram)
{
	struct test_addr a1 = { 0 }, a2 = { 0 };
	char buf[8];

	UDP_BOUND(self->u1, a1);
	UDP_BOUND(self->u2, a2);
	EXPECT_EQ(0, poll1(self->u2, POLLIN, 0));
	EXPECT_TRUE(poll1(self->u1, POLLOUT, 0) & POLLOUT);
	ASSERT_EQ(0, wsp_connect(self->u1, &a2));
	EXPECT_EQ(1, wsp_send(self->u1, "d", 1, 0));
	EXPECT_TRUE(poll1(self->u2, POLLIN, WAIT_MS) & POLLIN);
	EXPECT_EQ(1, wsp_recv(self->u2, buf, sizeof(buf), 0));
	EXPECT_EQ(0, poll1(self->u2, POLLIN, 0));
}

/* --- socket options ------------------------------------------------ */

/* An int option: set each value, read it back (nonzero reads as 1). */
static void bool_option(struct __test_metadata *_metadata, int fd,
			int level, int name)
{
	int one = 1, zero = 0, v = -1;
	unsigned int len = sizeof(v);

	ASSERT_EQ(0, wsp_getsockopt(fd, level, name, &v, &len));
	EXPECT_EQ(sizeof(int), len);
	EXPECT_EQ(0, v) TH_LOG("level %d name %d: default", level, name);
	ASSERT_EQ(0, wsp_setsockopt(fd, level, name, &one, sizeof(one)));
	v = -1;
	len = sizeof(v);
	ASSERT_EQ(0, wsp_getsockopt(fd, level, name, &v, &len));
	EXPECT_EQ(sizeof(int), len);
	EXPECT_EQ(1, v) TH_LOG("level %d name %d: set 1", level, name);
	ASSERT_EQ(0, wsp_setsockopt(fd, level, name, &zero, sizeof(zero)));
	v = -1;
	ASSERT_EQ(0, wsp_getsockopt_int(fd, level, name, &v));
	EXPECT_EQ(0, v) TH_LOG("level %d name %d: set 0", level, name);
}

TEST_F(sock, opt_so_reuseaddr)
{
	NEW_SOCK(self->c, SOCK_STREAM, WSP_FD_CLOEXEC);
	bool_option(_metadata, self->c, SOL_SOCKET, SO_REUSEADDR);
}

TEST_F(sock, opt_so_keepalive)
{
	NEW_SOCK(self->c, SOCK_STREAM, WSP_FD_CLOEXEC);
	bool_option(_metadata, self->c, SOL_SOCKET, SO_KEEPALIVE);
}

TEST_F(sock, opt_so_oobinline)
{
	NEW_SOCK(self->c, SOCK_STREAM, WSP_FD_CLOEXEC);
	bool_option(_metadata, self->c, SOL_SOCKET, SO_OOBINLINE);
}

TEST_F(sock, opt_so_broadcast)
{
	NEW_SOCK(self->u1, SOCK_DGRAM, WSP_FD_CLOEXEC);
	bool_option(_metadata, self->u1, SOL_SOCKET, SO_BROADCAST);
}

TEST_F(sock, opt_tcp_nodelay)
{
	NEW_SOCK(self->c, SOCK_STREAM, WSP_FD_CLOEXEC);
	bool_option(_metadata, self->c, IPPROTO_TCP, TCP_NODELAY);
}

/* TCP_NODELAY holds on a connected socket too. */
TEST_F(sock, opt_tcp_nodelay_connected)
{
	TCP_PAIR();
	bool_option(_metadata, self->s, IPPROTO_TCP, TCP_NODELAY);
}

TEST_F(sock, opt_so_linger)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 5 }, got;
	unsigned int len = sizeof(got);

	NEW_SOCK(self->c, SOCK_STREAM, WSP_FD_CLOEXEC);
	memset(&got, 0xff, sizeof(got));
	ASSERT_EQ(0, wsp_getsockopt(self->c, SOL_SOCKET, SO_LINGER, &got,
				    &len));
	EXPECT_EQ(sizeof(got), len);
	EXPECT_EQ(0, got.l_onoff);

	ASSERT_EQ(0, wsp_setsockopt(self->c, SOL_SOCKET, SO_LINGER, &lg,
				    sizeof(lg)));
	memset(&got, 0, sizeof(got));
	len = sizeof(got);
	ASSERT_EQ(0, wsp_getsockopt(self->c, SOL_SOCKET, SO_LINGER, &got,
				    &len));
	EXPECT_EQ(sizeof(got), len);
	EXPECT_NE(0, got.l_onoff);
	EXPECT_EQ(5, got.l_linger);

	lg.l_onoff = 0;
	ASSERT_EQ(0, wsp_setsockopt(self->c, SOL_SOCKET, SO_LINGER, &lg,
				    sizeof(lg)));
	len = sizeof(got);
	ASSERT_EQ(0, wsp_getsockopt(self->c, SOL_SOCKET, SO_LINGER, &got,
				    &len));
	EXPECT_EQ(0, got.l_onoff);
}

/* Linux doubles the buffer sizes it is given (socket(7)). */
TEST_F(sock, opt_so_sndbuf_doubled)
{
	int v = 65536, got = -1;

	NEW_SOCK(self->c, SOCK_STREAM, WSP_FD_CLOEXEC);
	ASSERT_EQ(0, wsp_setsockopt(self->c, SOL_SOCKET, SO_SNDBUF, &v,
				    sizeof(v)));
	ASSERT_EQ(0, wsp_getsockopt_int(self->c, SOL_SOCKET, SO_SNDBUF, &got));
	EXPECT_EQ(2 * v, got);
}

TEST_F(sock, opt_so_rcvbuf_doubled)
{
	int v = 32768, got = -1;

	NEW_SOCK(self->u1, SOCK_DGRAM, WSP_FD_CLOEXEC);
	ASSERT_EQ(0, wsp_setsockopt(self->u1, SOL_SOCKET, SO_RCVBUF, &v,
				    sizeof(v)));
	ASSERT_EQ(0, wsp_getsockopt_int(self->u1, SOL_SOCKET, SO_RCVBUF, &got));
	EXPECT_EQ(2 * v, got);
}

static void timeval_option(struct __test_metadata *_metadata, int fd,
			   int name)
{
	struct timeval tv = { .tv_sec = 1, .tv_usec = 500000 }, got;
	unsigned int len = sizeof(got);

	memset(&got, 0xff, sizeof(got));
	ASSERT_EQ(0, wsp_getsockopt(fd, SOL_SOCKET, name, &got, &len));
	EXPECT_EQ(sizeof(got), len);
	EXPECT_EQ(0, got.tv_sec);
	EXPECT_EQ(0, got.tv_usec);

	ASSERT_EQ(0, wsp_setsockopt(fd, SOL_SOCKET, name, &tv, sizeof(tv)));
	memset(&got, 0, sizeof(got));
	len = sizeof(got);
	ASSERT_EQ(0, wsp_getsockopt(fd, SOL_SOCKET, name, &got, &len));
	EXPECT_EQ(sizeof(got), len);
	EXPECT_EQ(1, got.tv_sec);
	EXPECT_EQ(500000, got.tv_usec);

	/* An invalid timeval: EDOM, as setsockopt(2). */
	tv.tv_usec = 1000000;
	EXPECT_EQ(-EDOM, wsp_setsockopt(fd, SOL_SOCKET, name, &tv,
					sizeof(tv)));
	len = sizeof(got);
	ASSERT_EQ(0, wsp_getsockopt(fd, SOL_SOCKET, name, &got, &len));
	EXPECT_EQ(1, got.tv_sec);
	EXPECT_EQ(500000, got.tv_usec);
}

TEST_F(sock, opt_so_rcvtimeo)
{
	NEW_SOCK(self->c, SOCK_STREAM, WSP_FD_CLOEXEC);
	timeval_option(_metadata, self->c, SO_RCVTIMEO);
}

TEST_F(sock, opt_so_sndtimeo)
{
	NEW_SOCK(self->u1, SOCK_DGRAM, WSP_FD_CLOEXEC);
	timeval_option(_metadata, self->u1, SO_SNDTIMEO);
}

TEST_F(sock, opt_so_type)
{
	int v = -1;

	NEW_SOCK(self->c, SOCK_STREAM, WSP_FD_CLOEXEC);
	NEW_SOCK(self->u1, SOCK_DGRAM, WSP_FD_CLOEXEC);
	ASSERT_EQ(0, wsp_getsockopt_int(self->c, SOL_SOCKET, SO_TYPE, &v));
	EXPECT_EQ(SOCK_STREAM, v);
	ASSERT_EQ(0, wsp_getsockopt_int(self->u1, SOL_SOCKET, SO_TYPE, &v));
	EXPECT_EQ(SOCK_DGRAM, v);
	/* Read-only. */
	EXPECT_EQ(-ENOPROTOOPT, wsp_setsockopt(self->c, SOL_SOCKET, SO_TYPE,
					       &v, sizeof(v)));
}

TEST_F(sock, opt_so_acceptconn)
{
	struct test_addr a = { 0 };
	int v = -1;

	NEW_SOCK(self->l, SOCK_STREAM, WSP_FD_CLOEXEC);
	ASSERT_EQ(0, wsp_getsockopt_int(self->l, SOL_SOCKET, SO_ACCEPTCONN,
					&v));
	EXPECT_EQ(0, v);
	wsp_loopback(&a, variant->family, 0);
	ASSERT_EQ(0, wsp_bind(self->l, &a));
	ASSERT_EQ(0, wsp_listen(self->l, 4));
	v = -1;
	ASSERT_EQ(0, wsp_getsockopt_int(self->l, SOL_SOCKET, SO_ACCEPTCONN,
					&v));
	EXPECT_EQ(1, v);
}

/* SO_ERROR after a refused non-blocking connect: ECONNREFUSED, once. */
TEST_F(sock, opt_so_error_refused)
{
	struct test_addr a = { 0 };
	int port = closed_port(self->dev, variant->family);
	int err = -1, rev;

	ASSERT_LT(0, port);
	NEW_SOCK(self->c, SOCK_STREAM, WSP_SOCK_NONBLOCK | WSP_FD_CLOEXEC);
	wsp_loopback(&a, variant->family, port);
	ASSERT_EQ(-EINPROGRESS, wsp_connect(self->c, &a));
	rev = poll1(self->c, POLLOUT, WAIT_MS);
	EXPECT_TRUE(rev & (POLLOUT | POLLERR)) TH_LOG("revents %#x", rev);
	ASSERT_EQ(0, wsp_getsockopt_int(self->c, SOL_SOCKET, SO_ERROR, &err));
	EXPECT_EQ(ECONNREFUSED, err);
	err = -1;
	ASSERT_EQ(0, wsp_getsockopt_int(self->c, SOL_SOCKET, SO_ERROR, &err));
	EXPECT_EQ(0, err);
}

/* The IP level passes through: IP_TTL, or IPV6_UNICAST_HOPS on IPv6. */
TEST_F(sock, opt_ip_level)
{
	int level = variant->family == AF_INET6 ? IPPROTO_IPV6 : IPPROTO_IP;
	int name = variant->family == AF_INET6 ? IPV6_UNICAST_HOPS : IP_TTL;
	int v = 33, got = -1;

	NEW_SOCK(self->u1, SOCK_DGRAM, WSP_FD_CLOEXEC);
	ASSERT_EQ(0, wsp_setsockopt(self->u1, level, name, &v, sizeof(v)));
	ASSERT_EQ(0, wsp_getsockopt_int(self->u1, level, name, &got));
	EXPECT_EQ(33, got);
}

/* Non-zero flags: EINVAL, and the option is neither set nor read. */
TEST_F(sock, opt_flags_einval)
{
	struct wsp_sockopt_args a;
	int one = 1, v = -1;

	NEW_SOCK(self->c, SOCK_STREAM, WSP_FD_CLOEXEC);
	memset(&a, 0, sizeof(a));
	a.flags = 1;
	a.level = SOL_SOCKET;
	a.name = SO_KEEPALIVE;
	a.optlen = sizeof(one);
	a.optval = (uintptr_t)&one;
	EXPECT_EQ(-EINVAL, wsp_ioctl(self->c, WSP_IOC_SETSOCKOPT, &a));
	a.flags = 0x80000000u;
	EXPECT_EQ(-EINVAL, wsp_ioctl(self->c, WSP_IOC_SETSOCKOPT, &a));
	/* Not set. */
	ASSERT_EQ(0, wsp_getsockopt_int(self->c, SOL_SOCKET, SO_KEEPALIVE, &v));
	EXPECT_EQ(0, v);

	a.flags = 1;
	a.optval = (uintptr_t)&v;
	v = -1;
	EXPECT_EQ(-EINVAL, wsp_ioctl(self->c, WSP_IOC_GETSOCKOPT, &a));
	EXPECT_EQ(-1, v);
}

TEST_F(sock, opt_bad_level_eopnotsupp)
{
	static const int levels[] = {
		IPPROTO_UDP, SOL_RAW, SOL_PACKET, 12345, -1,
	};
	int i, one = 1, v;

	NEW_SOCK(self->c, SOCK_STREAM, WSP_FD_CLOEXEC);
	for (i = 0; i < (int)(sizeof(levels) / sizeof(levels[0])); i++) {
		EXPECT_EQ(-EOPNOTSUPP, wsp_setsockopt(self->c, levels[i], 1,
						      &one, sizeof(one)))
			TH_LOG("level %d", levels[i]);
		EXPECT_EQ(-EOPNOTSUPP, wsp_getsockopt_int(self->c, levels[i],
							  1, &v))
			TH_LOG("level %d", levels[i]);
	}
}

TEST_F(sock, opt_unknown_sol_socket_enoprotoopt)
{
	int v = -1;

	NEW_SOCK(self->c, SOCK_STREAM, WSP_FD_CLOEXEC);
	EXPECT_EQ(-ENOPROTOOPT, wsp_getsockopt_int(self->c, SOL_SOCKET, 9999,
						   &v));
	EXPECT_EQ(-ENOPROTOOPT, wsp_getsockopt_int(self->c, SOL_SOCKET, -1,
						   &v));
	EXPECT_EQ(-1, v);
}

TEST_F(sock, opt_bad_optval_efault)
{
	void *unmapped = unmapped_page();
	unsigned int len = sizeof(int);
	int v = -1;

	ASSERT_NE(MAP_FAILED, unmapped);
	NEW_SOCK(self->c, SOCK_STREAM, WSP_FD_CLOEXEC);
	EXPECT_EQ(-EFAULT, wsp_setsockopt(self->c, SOL_SOCKET, SO_KEEPALIVE,
					  NULL, sizeof(int)));
	EXPECT_EQ(-EFAULT, wsp_setsockopt(self->c, SOL_SOCKET, SO_KEEPALIVE,
					  unmapped, sizeof(int)));
	EXPECT_EQ(-EFAULT, wsp_setsockopt(self->c, IPPROTO_TCP, TCP_NODELAY,
					  KERNEL_PTR, sizeof(int)));
	EXPECT_EQ(-EFAULT, wsp_getsockopt(self->c, SOL_SOCKET, SO_KEEPALIVE,
					  unmapped, &len));
	len = sizeof(int);
	EXPECT_EQ(-EFAULT, wsp_getsockopt(self->c, SOL_SOCKET, SO_KEEPALIVE,
					  NULL, &len));
	len = sizeof(int);
	EXPECT_EQ(-EFAULT, wsp_getsockopt(self->c, IPPROTO_TCP, TCP_NODELAY,
					  KERNEL_PTR, &len));
	munmap(unmapped, 4096);
	ASSERT_EQ(0, wsp_getsockopt_int(self->c, SOL_SOCKET, SO_KEEPALIVE, &v));
	EXPECT_EQ(0, v);
}

/* A value shorter than an int: EINVAL, as setsockopt(2). */
TEST_F(sock, opt_short_value_einval)
{
	char one = 1;
	int v = -1;

	NEW_SOCK(self->c, SOCK_STREAM, WSP_FD_CLOEXEC);
	EXPECT_EQ(-EINVAL, wsp_setsockopt(self->c, IPPROTO_TCP, TCP_NODELAY,
					  &one, sizeof(one)));
	ASSERT_EQ(0, wsp_getsockopt_int(self->c, IPPROTO_TCP, TCP_NODELAY, &v));
	EXPECT_EQ(0, v);
}

/* An option set before connecting is still set once connected. */
TEST_F(sock, opt_set_before_connect_persists)
{
	int one = 1, v = -1;
	struct test_addr a = { 0 };

	LISTENER(a, WSP_FD_CLOEXEC);
	NEW_SOCK(self->c, SOCK_STREAM, WSP_FD_CLOEXEC);
	ASSERT_EQ(0, wsp_setsockopt(self->c, SOL_SOCKET, SO_KEEPALIVE, &one,
				    sizeof(one)));
	ASSERT_EQ(0, wsp_connect(self->c, &a));
	self->s = wsp_accept(self->l, NULL);
	ASSERT_LE(0, self->s);
	ASSERT_EQ(0, wsp_getsockopt_int(self->c, SOL_SOCKET, SO_KEEPALIVE, &v));
	EXPECT_EQ(1, v);
}

TEST_HARNESS_MAIN

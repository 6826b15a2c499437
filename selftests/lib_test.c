// SPDX-License-Identifier: GPL-2.0
/*
 * lib_test - libwsp, the WSP* functions over /dev/wspshare: every function
 * of the contract (shared/spec/wsp-api.md), each documented error path
 * with its exact Winsock code, the seed's A/B scenario written with WSP*
 * calls only, and a duplicate handed to another process over a pipe.
 *
 * Waits are bounded polls (WAIT_MS), never sleeps; "nothing happens" is
 * checked only once the thing that would have caused it is known to have
 * happened.
 */
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include <wsp.h>

#define WAIT_MS		10000
#define WM_SOCKET	0x8001

/* e = 0; the call must fail with SOCKET_ERROR and store @code. */
#define ASSERT_WSA(code, call) do {				\
	e = 0;							\
	ASSERT_EQ(SOCKET_ERROR, (call));			\
	ASSERT_EQ((code), e);					\
} while (0)

#define EXPECT_WSA(code, call) do {				\
	e = 0;							\
	EXPECT_EQ(SOCKET_ERROR, (call));			\
	EXPECT_EQ((code), e);					\
} while (0)

/* Skip when the module is not loaded (the library says WSAENETDOWN). */
#define NEED_MODULE() do {					\
	int e_ = 0;						\
	SOCKET s_ = WSPSocket(AF_INET, SOCK_STREAM, 0, NULL, 0, 0, &e_); \
	if (s_ == INVALID_SOCKET && e_ == WSAENETDOWN)		\
		SKIP(return, "wspshare module not loaded");	\
	ASSERT_NE(INVALID_SOCKET, s_);				\
	close(s_);						\
} while (0)

/* ---------------------------------------------------------------- */

static struct sockaddr_storage loopback(int af, uint16_t port, int *len)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (af == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		sin6->sin6_addr = in6addr_loopback;
		*len = sizeof(*sin6);
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		*len = sizeof(*sin);
	}
	return ss;
}

static uint16_t port_of(const struct sockaddr_storage *ss)
{
	return ntohs(((const struct sockaddr_in *)ss)->sin_port);
}

static SOCKET new_socket(int af, int type)
{
	int e = 0;

	return WSPSocket(af, type, 0, NULL, 0, 0, &e);
}

/* A listener bound to loopback: its descriptor; *addr its address. */
static SOCKET listener(int af, int backlog, struct sockaddr_storage *addr,
		       int *len)
{
	SOCKET l = new_socket(af, SOCK_STREAM);
	int e = 0;

	*addr = loopback(af, 0, len);
	if (l < 0 || WSPBind(l, (struct sockaddr *)addr, *len, &e) ||
	    WSPListen(l, backlog, &e) ||
	    WSPGetSockName(l, (struct sockaddr *)addr, len, &e))
		return INVALID_SOCKET;
	return l;
}

/* A connected TCP pair through WSP* calls: 0 or the Winsock code. */
static int tcp_pair(int af, SOCKET *l, SOCKET *c, SOCKET *s)
{
	struct sockaddr_storage addr;
	int len, e = 0;

	*l = listener(af, 16, &addr, &len);
	if (*l < 0)
		return -1;
	*c = new_socket(af, SOCK_STREAM);
	if (*c < 0 || WSPConnect(*c, (struct sockaddr *)&addr, len, NULL, NULL,
				 NULL, NULL, &e))
		return e ? e : -1;
	*s = WSPAccept(*l, NULL, NULL, NULL, 0, &e);
	return *s < 0 ? e : 0;
}

#define TCP_PAIR(af, l, c, s) ASSERT_EQ(0, tcp_pair(af, &l, &c, &s))

static int send_str(SOCKET s, const char *str, DWORD flags)
{
	WSABUF b = { (uint32_t)strlen(str), (char *)str };
	DWORD n = 0;
	int e = 0;

	if (WSPSend(s, &b, 1, &n, flags, NULL, NULL, NULL, &e))
		return -e;
	return (int)n;
}

/* Receive into @buf (NUL-terminated); the count or -WSAE*. */
static int recv_str(SOCKET s, char *buf, size_t size, DWORD flags)
{
	WSABUF b = { (uint32_t)size - 1, buf };
	DWORD n = 0;
	int e = 0;

	if (WSPRecv(s, &b, 1, &n, &flags, NULL, NULL, NULL, &e))
		return -e;
	buf[n] = 0;
	return (int)n;
}

static int readable(int fd, short events, int ms)
{
	struct pollfd p = { .fd = fd, .events = events };

	return poll(&p, 1, ms) == 1 && (p.revents & events);
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

static uint64_t socket_id(int fd)
{
	struct wsp_socket_info info;

	memset(&info, 0, sizeof(info));
	if (ioctl(fd, WSP_IOC_SOCKET_INFO, &info) < 0)
		return 0;
	return info.socket_id;
}

static int is_nonblocking(int fd)
{
	struct wsp_socket_info info;

	memset(&info, 0, sizeof(info));
	if (ioctl(fd, WSP_IOC_SOCKET_INFO, &info) < 0)
		return -1;
	return info.nonblocking;
}

static int set_timeout(SOCKET s, int name, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	int e = 0;

	return WSPSetSockOpt(s, SOL_SOCKET, name, (const char *)&tv, sizeof(tv), &e);
}

/* Write all of @len or fail; read all of @len or fail (pipes). */
static int write_all(int fd, const void *buf, size_t len)
{
	return write(fd, buf, len) == (ssize_t)len ? 0 : -1;
}

static int read_all(int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n;

		if (!readable(fd, POLLIN, WAIT_MS))
			return -1;
		n = read(fd, (char *)buf + got, len - got);
		if (n <= 0)
			return -1;
		got += n;
	}
	return 0;
}

/*
 * In a child: a socket made with WSPSocket(FROM_PROTOCOL_INFO) from the
 * duplication record read from @fd. Exits 2 when no record comes, 3 when
 * WSPSocket fails.
 */
static SOCKET child_socket_from(int fd)
{
	WSAPROTOCOL_INFOW rec;
	SOCKET d;
	int e;

	if (read_all(fd, &rec, sizeof(rec)))
		_exit(2);
	d = WSPSocket(FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO,
		      FROM_PROTOCOL_INFO, &rec, 0, 0, &e);
	if (d < 0)
		_exit(3);
	return d;
}

static int child_status(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* ---------------------------------------------------------------- */
/* The header                                                        */
/* ---------------------------------------------------------------- */

TEST(header_constants)
{
	EXPECT_EQ(0x01, FD_READ);
	EXPECT_EQ(0x02, FD_WRITE);
	EXPECT_EQ(0x04, FD_OOB);
	EXPECT_EQ(0x08, FD_ACCEPT);
	EXPECT_EQ(0x10, FD_CONNECT);
	EXPECT_EQ(0x20, FD_CLOSE);
	EXPECT_EQ(0x40, FD_QOS);
	EXPECT_EQ(0x80, FD_GROUP_QOS);
	EXPECT_EQ(0x100, FD_ROUTING_INTERFACE_CHANGE);
	EXPECT_EQ(0x200, FD_ADDRESS_LIST_CHANGE);
	EXPECT_EQ(0x3FF, FD_ALL_EVENTS);
	EXPECT_EQ(10, FD_MAX_EVENTS);
	EXPECT_EQ(FD_CLOSE, 1 << FD_CLOSE_BIT);
	EXPECT_EQ(FD_ADDRESS_LIST_CHANGE, 1 << FD_ADDRESS_LIST_CHANGE_BIT);
	EXPECT_EQ(WSP_FD_ALL_EVENTS, FD_ALL_EVENTS);
	EXPECT_EQ(10004, WSAEINTR);
	EXPECT_EQ(10022, WSAEINVAL);
	EXPECT_EQ(10035, WSAEWOULDBLOCK);
	EXPECT_EQ(10038, WSAENOTSOCK);
	EXPECT_EQ(10053, WSAECONNABORTED);
	EXPECT_EQ(10054, WSAECONNRESET);
	EXPECT_EQ(10058, WSAESHUTDOWN);
	EXPECT_EQ(10060, WSAETIMEDOUT);
	EXPECT_EQ(10065, WSAEHOSTUNREACH);
	EXPECT_EQ(995, WSA_OPERATION_ABORTED);
	EXPECT_EQ(-1, INVALID_SOCKET);
	EXPECT_EQ(-1, SOCKET_ERROR);
	EXPECT_EQ(-1, FROM_PROTOCOL_INFO);
	EXPECT_EQ(-1, WSA_INVALID_EVENT);
	EXPECT_EQ(1, WSA_FLAG_OVERLAPPED);
	EXPECT_EQ(0, SD_RECEIVE);
	EXPECT_EQ(1, SD_SEND);
	EXPECT_EQ(2, SD_BOTH);
	EXPECT_EQ(0x000A0020, WSAMAKESELECTREPLY(FD_CLOSE, 10));
	EXPECT_EQ((LPARAM)0x27450001, WSAMAKESELECTREPLY(FD_READ, WSAECONNABORTED));
	EXPECT_EQ(FD_READ, WSAGETSELECTEVENT(WSAMAKESELECTREPLY(FD_READ, WSAECONNABORTED)));
	EXPECT_EQ(WSAECONNABORTED,
		  WSAGETSELECTERROR(WSAMAKESELECTREPLY(FD_READ, WSAECONNABORTED)));
	EXPECT_EQ(44, sizeof(WSANETWORKEVENTS));
	EXPECT_EQ(sizeof(void *) == 8 ? 16 : 8, sizeof(WSABUF));
}

TEST(protocol_info_layout)
{
	EXPECT_EQ(628, sizeof(WSAPROTOCOL_INFOW));
	EXPECT_EQ(0, offsetof(WSAPROTOCOL_INFOW, dwServiceFlags1));
	EXPECT_EQ(16, offsetof(WSAPROTOCOL_INFOW, dwProviderFlags));
	EXPECT_EQ(20, offsetof(WSAPROTOCOL_INFOW, ProviderId));
	EXPECT_EQ(36, offsetof(WSAPROTOCOL_INFOW, dwCatalogEntryId));
	EXPECT_EQ(40, offsetof(WSAPROTOCOL_INFOW, ProtocolChain));
	EXPECT_EQ(72, offsetof(WSAPROTOCOL_INFOW, iVersion));
	EXPECT_EQ(76, offsetof(WSAPROTOCOL_INFOW, iAddressFamily));
	EXPECT_EQ(88, offsetof(WSAPROTOCOL_INFOW, iSocketType));
	EXPECT_EQ(92, offsetof(WSAPROTOCOL_INFOW, iProtocol));
	EXPECT_EQ(108, offsetof(WSAPROTOCOL_INFOW, dwMessageSize));
	EXPECT_EQ(112, offsetof(WSAPROTOCOL_INFOW, dwProviderReserved));
	EXPECT_EQ(116, offsetof(WSAPROTOCOL_INFOW, szProtocol));
	EXPECT_EQ(256, sizeof(((WSAPROTOCOL_INFOW *)0)->szProtocol) / 2);
}

/* ---------------------------------------------------------------- */
/* WSPSocket, WSPCloseSocket                                         */
/* ---------------------------------------------------------------- */

TEST(socket_creates_every_kind)
{
	static const int afs[] = { AF_INET, AF_INET6 };
	static const int types[] = { SOCK_STREAM, SOCK_DGRAM };
	struct wsp_socket_info info;
	int e = 12345;

	NEED_MODULE();
	for (int i = 0; i < 2; i++) {
		for (int j = 0; j < 2; j++) {
			SOCKET s = WSPSocket(afs[i], types[j], 0, NULL, 0, 0, &e);

			ASSERT_LE(0, s);
			memset(&info, 0, sizeof(info));
			ASSERT_EQ(0, ioctl(s, WSP_IOC_SOCKET_INFO, &info));
			EXPECT_EQ(afs[i], info.family);
			EXPECT_EQ(types[j], info.type);
			EXPECT_EQ(0, info.nonblocking);
			EXPECT_EQ(0, WSPCloseSocket(s, &e));
		}
	}
	/* Explicit protocols, and WSA_FLAG_OVERLAPPED (accepted, ignored). */
	SOCKET t = WSPSocket(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0,
			     WSA_FLAG_OVERLAPPED, &e);
	ASSERT_LE(0, t);
	SOCKET u = WSPSocket(AF_INET6, SOCK_DGRAM, IPPROTO_UDP, NULL, 0, 0, &e);
	ASSERT_LE(0, u);
	EXPECT_NE(socket_id(t), socket_id(u));
	/* lpErrno is left alone on success. */
	EXPECT_EQ(12345, e);
}

TEST(socket_errors)
{
	int e;

	NEED_MODULE();
	ASSERT_WSA(WSAEAFNOSUPPORT, WSPSocket(AF_UNIX, SOCK_STREAM, 0, NULL, 0, 0, &e));
	ASSERT_WSA(WSAEAFNOSUPPORT, WSPSocket(0, SOCK_STREAM, 0, NULL, 0, 0, &e));
	ASSERT_WSA(WSAESOCKTNOSUPPORT, WSPSocket(AF_INET, SOCK_RAW, 0, NULL, 0, 0, &e));
	ASSERT_WSA(WSAEPROTONOSUPPORT,
		   WSPSocket(AF_INET, SOCK_STREAM, IPPROTO_UDP, NULL, 0, 0, &e));
	ASSERT_WSA(WSAEINVAL, WSPSocket(AF_INET, SOCK_STREAM, 0, NULL, 1, 0, &e));
	ASSERT_WSA(WSAEINVAL, WSPSocket(AF_INET, SOCK_STREAM, 0, NULL, 0, 0x100, &e));
	ASSERT_WSA(WSAEINVAL, WSPSocket(FROM_PROTOCOL_INFO, SOCK_STREAM, 0, NULL,
					0, 0, &e));
	ASSERT_WSA(WSAEINVAL, WSPSocket(AF_INET, FROM_PROTOCOL_INFO, 0, NULL,
					0, 0, &e));
}

TEST(socket_no_handle_inherit_is_cloexec)
{
	int e = 0;
	SOCKET a, b;

	NEED_MODULE();
	a = WSPSocket(AF_INET, SOCK_STREAM, 0, NULL, 0, 0, &e);
	b = WSPSocket(AF_INET, SOCK_STREAM, 0, NULL, 0, WSA_FLAG_NO_HANDLE_INHERIT, &e);
	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	EXPECT_EQ(0, fcntl(a, F_GETFD) & FD_CLOEXEC);
	EXPECT_EQ(FD_CLOEXEC, fcntl(b, F_GETFD) & FD_CLOEXEC);
}

TEST(close_then_every_call_is_enotsock)
{
	struct sockaddr_storage addr;
	WSAPROTOCOL_INFOW pi;
	WSANETWORKEVENTS ne;
	char buf[8];
	WSABUF b = { sizeof(buf), buf };
	DWORD n, flags = 0;
	uint32_t v = 1;
	int len, optlen = sizeof(int), e;
	SOCKET s;
	WSAEVENT ev;
	HWND w;

	NEED_MODULE();
	s = new_socket(AF_INET, SOCK_STREAM);
	ASSERT_LE(0, s);
	ev = WSPCreateEvent(&e);
	ASSERT_LE(0, ev);
	w = WSPCreateWindow(&e);
	ASSERT_LE(0, w);
	ASSERT_EQ(0, WSPCloseSocket(s, &e));
	addr = loopback(AF_INET, 0, &len);

	EXPECT_WSA(WSAENOTSOCK, WSPCloseSocket(s, &e));
	EXPECT_WSA(WSAENOTSOCK, WSPBind(s, (struct sockaddr *)&addr, len, &e));
	EXPECT_WSA(WSAENOTSOCK, WSPListen(s, 1, &e));
	EXPECT_WSA(WSAENOTSOCK, WSPAccept(s, NULL, NULL, NULL, 0, &e));
	EXPECT_WSA(WSAENOTSOCK, WSPConnect(s, (struct sockaddr *)&addr, len,
					   NULL, NULL, NULL, NULL, &e));
	EXPECT_WSA(WSAENOTSOCK, WSPShutdown(s, SD_BOTH, &e));
	len = sizeof(addr);
	EXPECT_WSA(WSAENOTSOCK, WSPGetSockName(s, (struct sockaddr *)&addr, &len, &e));
	EXPECT_WSA(WSAENOTSOCK, WSPGetPeerName(s, (struct sockaddr *)&addr, &len, &e));
	EXPECT_WSA(WSAENOTSOCK, WSPSend(s, &b, 1, &n, 0, NULL, NULL, NULL, &e));
	EXPECT_WSA(WSAENOTSOCK, WSPSendTo(s, &b, 1, &n, 0, (struct sockaddr *)&addr,
					  sizeof(struct sockaddr_in), NULL, NULL, NULL, &e));
	EXPECT_WSA(WSAENOTSOCK, WSPRecv(s, &b, 1, &n, &flags, NULL, NULL, NULL, &e));
	len = sizeof(addr);
	EXPECT_WSA(WSAENOTSOCK, WSPRecvFrom(s, &b, 1, &n, &flags, (struct sockaddr *)&addr,
					    &len, NULL, NULL, NULL, &e));
	EXPECT_WSA(WSAENOTSOCK, WSPSetSockOpt(s, SOL_SOCKET, SO_KEEPALIVE,
					      (char *)&v, sizeof(int), &e));
	EXPECT_WSA(WSAENOTSOCK, WSPGetSockOpt(s, SOL_SOCKET, SO_KEEPALIVE,
					      (char *)&v, &optlen, &e));
	EXPECT_WSA(WSAENOTSOCK, WSPIoctl(s, FIONBIO, &v, sizeof(v), NULL, 0, &n,
					 NULL, NULL, NULL, &e));
	EXPECT_WSA(WSAENOTSOCK, WSPDuplicateSocket(s, getpid(), &pi, &e));
	EXPECT_WSA(WSAENOTSOCK, WSPEventSelect(s, ev, FD_READ, &e));
	EXPECT_WSA(WSAENOTSOCK, WSPAsyncSelect(s, w, WM_SOCKET, FD_READ, &e));
	memset(&ne, 0, sizeof(ne));
	EXPECT_WSA(WSAENOTSOCK, WSPEnumNetworkEvents(s, ev, &ne, &e));
}

/* A file that is not a descriptor (eventfd, window, -1): WSAENOTSOCK. */
TEST(not_a_descriptor_is_enotsock)
{
	struct sockaddr_storage addr;
	char buf[4];
	WSABUF b = { sizeof(buf), buf };
	DWORD n, flags = 0;
	uint32_t v = 1;
	int len, e;
	WSAEVENT ev;
	HWND w;

	NEED_MODULE();
	ev = WSPCreateEvent(&e);
	w = WSPCreateWindow(&e);
	ASSERT_LE(0, ev);
	ASSERT_LE(0, w);
	addr = loopback(AF_INET, 0, &len);
	int fds[] = { ev, w, -1 };

	for (int i = 0; i < 3; i++) {
		SOCKET s = fds[i];

		EXPECT_WSA(WSAENOTSOCK, WSPBind(s, (struct sockaddr *)&addr, len, &e));
		EXPECT_WSA(WSAENOTSOCK, WSPSend(s, &b, 1, &n, 0, NULL, NULL, NULL, &e));
		EXPECT_WSA(WSAENOTSOCK, WSPRecv(s, &b, 1, &n, &flags, NULL, NULL, NULL, &e));
		EXPECT_WSA(WSAENOTSOCK, WSPIoctl(s, FIONREAD, NULL, 0, &v, sizeof(v), &n,
						 NULL, NULL, NULL, &e));
		EXPECT_WSA(WSAENOTSOCK, WSPListen(s, 1, &e));
		/* WSPCloseSocket never closes what is not a descriptor. */
		EXPECT_WSA(WSAENOTSOCK, WSPCloseSocket(s, &e));
	}
	EXPECT_LE(0, fcntl(ev, F_GETFD));
	EXPECT_LE(0, fcntl(w, F_GETFD));
}

/*
 * A descriptor is a real socket: fstat says so, and the kernel's own
 * socket calls work on it, also on a redeemed descriptor (the same file).
 */
TEST(descriptor_is_a_real_socket_fstat_and_getpeername)
{
	struct sockaddr_storage local, peer;
	socklen_t plen = sizeof(peer), tlen;
	WSAPROTOCOL_INFOW pi;
	struct stat st, dst;
	int llen = sizeof(local), type = 0, e;
	SOCKET l, c, s, d;
	char buf[8];

	NEED_MODULE();
	TCP_PAIR(AF_INET, l, c, s);
	ASSERT_EQ(0, fstat(s, &st));
	EXPECT_TRUE(S_ISSOCK(st.st_mode));
	/* getpeername(2) on the accepted socket: the connector's address. */
	ASSERT_EQ(0, WSPGetSockName(c, (struct sockaddr *)&local, &llen, &e));
	ASSERT_EQ(0, getpeername(s, (struct sockaddr *)&peer, &plen));
	ASSERT_EQ((socklen_t)llen, plen);
	EXPECT_EQ(0, memcmp(&local, &peer, plen));
	tlen = sizeof(type);
	ASSERT_EQ(0, getsockopt(s, SOL_SOCKET, SO_TYPE, &type, &tlen));
	EXPECT_EQ(SOCK_STREAM, type);
	/* write(2) on one end, WSPRecv on the other. */
	ASSERT_EQ(2, write(c, "hi", 2));
	ASSERT_TRUE(readable(s, POLLIN, WAIT_MS));
	ASSERT_EQ(2, recv_str(s, buf, sizeof(buf), 0));
	EXPECT_STREQ("hi", buf);
	/* A redeemed descriptor is a descriptor of the same socket file. */
	ASSERT_EQ(0, WSPDuplicateSocket(s, getpid(), &pi, &e));
	d = WSPSocket(FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO,
		      &pi, 0, 0, &e);
	ASSERT_LE(0, d);
	ASSERT_EQ(0, fstat(d, &dst));
	EXPECT_TRUE(S_ISSOCK(dst.st_mode));
	EXPECT_EQ(st.st_dev, dst.st_dev);
	EXPECT_EQ(st.st_ino, dst.st_ino);
	plen = sizeof(peer);
	ASSERT_EQ(0, getpeername(d, (struct sockaddr *)&peer, &plen));
	EXPECT_EQ(0, memcmp(&local, &peer, plen));
}

/* ---------------------------------------------------------------- */
/* Addresses and connections                                         */
/* ---------------------------------------------------------------- */

TEST(bind_and_errors)
{
	struct sockaddr_storage addr, got;
	struct sockaddr_in far;
	int len, glen, e;
	SOCKET s, t;

	NEED_MODULE();
	s = new_socket(AF_INET, SOCK_STREAM);
	t = new_socket(AF_INET, SOCK_STREAM);
	ASSERT_LE(0, s);
	addr = loopback(AF_INET, 0, &len);
	ASSERT_WSA(WSAEFAULT, WSPBind(s, NULL, len, &e));
	ASSERT_WSA(WSAEFAULT, WSPBind(s, (struct sockaddr *)&addr, 8, &e));
	ASSERT_WSA(WSAEFAULT, WSPBind(s, (struct sockaddr *)&addr, -1, &e));
	memset(&far, 0, sizeof(far));
	far.sin_family = AF_INET;
	far.sin_addr.s_addr = htonl(0xC0000201);	/* 192.0.2.1, not ours */
	ASSERT_WSA(WSAEADDRNOTAVAIL, WSPBind(s, (struct sockaddr *)&far, sizeof(far), &e));
	{
		struct sockaddr_storage six = loopback(AF_INET6, 0, &glen);

		ASSERT_WSA(WSAEAFNOSUPPORT, WSPBind(s, (struct sockaddr *)&six, glen, &e));
	}
	ASSERT_EQ(0, WSPBind(s, (struct sockaddr *)&addr, len, &e));
	glen = sizeof(got);
	ASSERT_EQ(0, WSPGetSockName(s, (struct sockaddr *)&got, &glen, &e));
	EXPECT_EQ(sizeof(struct sockaddr_in), glen);
	EXPECT_NE(0, port_of(&got));
	/* Bound already. */
	ASSERT_WSA(WSAEINVAL, WSPBind(s, (struct sockaddr *)&addr, len, &e));
	/* The same port from another socket. */
	ASSERT_WSA(WSAEADDRINUSE, WSPBind(t, (struct sockaddr *)&got, glen, &e));
}

TEST(listen_and_errors)
{
	struct sockaddr_storage addr;
	SOCKET l, c, s, u, fresh;
	int len, e;

	NEED_MODULE();
	fresh = new_socket(AF_INET, SOCK_STREAM);
	/* Windows does not bind implicitly. */
	ASSERT_WSA(WSAEINVAL, WSPListen(fresh, 5, &e));
	u = new_socket(AF_INET, SOCK_DGRAM);
	addr = loopback(AF_INET, 0, &len);
	ASSERT_EQ(0, WSPBind(u, (struct sockaddr *)&addr, len, &e));
	ASSERT_WSA(WSAEOPNOTSUPP, WSPListen(u, 5, &e));
	TCP_PAIR(AF_INET, l, c, s);
	ASSERT_WSA(WSAEISCONN, WSPListen(c, 5, &e));
	ASSERT_WSA(WSAEISCONN, WSPListen(s, 5, &e));
	/* Listening again is allowed (changes the backlog). */
	EXPECT_EQ(0, WSPListen(l, 3, &e));
}

TEST(accept_and_errors)
{
	struct sockaddr_storage addr, peer, local;
	int len, plen, llen, e;
	SOCKET l, c, s, u;
	int small = sizeof(struct sockaddr_in) - 1;
	uint32_t on = 1;
	DWORD n;

	NEED_MODULE();
	l = listener(AF_INET, 4, &addr, &len);
	ASSERT_LE(0, l);
	ASSERT_WSA(WSAEOPNOTSUPP, WSPAccept(l, NULL, NULL, (void *)1, 0, &e));
	/* Non-blocking with nothing waiting. */
	ASSERT_EQ(0, WSPIoctl(l, FIONBIO, &on, sizeof(on), NULL, 0, &n, NULL, NULL, NULL, &e));
	ASSERT_WSA(WSAEWOULDBLOCK, WSPAccept(l, NULL, NULL, NULL, 0, &e));
	on = 0;
	ASSERT_EQ(0, WSPIoctl(l, FIONBIO, &on, sizeof(on), NULL, 0, &n, NULL, NULL, NULL, &e));

	c = new_socket(AF_INET, SOCK_STREAM);
	ASSERT_EQ(0, WSPConnect(c, (struct sockaddr *)&addr, len, NULL, NULL, NULL, NULL, &e));
	/* Bad address buffers fail before the connection is taken. */
	ASSERT_WSA(WSAEFAULT, WSPAccept(l, (struct sockaddr *)&peer, NULL, NULL, 0, &e));
	ASSERT_WSA(WSAEFAULT, WSPAccept(l, (struct sockaddr *)&peer, &small, NULL, 0, &e));
	plen = sizeof(peer);
	s = WSPAccept(l, (struct sockaddr *)&peer, &plen, NULL, 0, &e);
	ASSERT_LE(0, s);
	EXPECT_EQ(sizeof(struct sockaddr_in), plen);
	llen = sizeof(local);
	ASSERT_EQ(0, WSPGetSockName(c, (struct sockaddr *)&local, &llen, &e));
	EXPECT_EQ(port_of(&local), port_of(&peer));
	EXPECT_NE(socket_id(l), socket_id(s));

	/* Not listening; a datagram socket. */
	ASSERT_WSA(WSAEINVAL, WSPAccept(c, NULL, NULL, NULL, 0, &e));
	u = new_socket(AF_INET, SOCK_DGRAM);
	ASSERT_WSA(WSAEOPNOTSUPP, WSPAccept(u, NULL, NULL, NULL, 0, &e));
}

TEST(accept_blocking_times_out)
{
	struct sockaddr_storage addr;
	int len, e;
	SOCKET l;

	NEED_MODULE();
	l = listener(AF_INET, 4, &addr, &len);
	ASSERT_LE(0, l);
	ASSERT_EQ(0, set_timeout(l, SO_RCVTIMEO, 100));
	ASSERT_WSA(WSAETIMEDOUT, WSPAccept(l, NULL, NULL, NULL, 0, &e));
}

TEST(connect_and_errors)
{
	struct sockaddr_storage addr, closed;
	WSABUF data = { 4, (char *)"data" }, callee = { 16, NULL };
	int len, e;
	SOCKET l, c, t, s;
	char qos[16];

	NEED_MODULE();
	/* A port nobody listens on: bind one, close it. */
	t = new_socket(AF_INET, SOCK_STREAM);
	closed = loopback(AF_INET, 0, &len);
	ASSERT_EQ(0, WSPBind(t, (struct sockaddr *)&closed, len, &e));
	ASSERT_EQ(0, WSPGetSockName(t, (struct sockaddr *)&closed, &len, &e));
	ASSERT_EQ(0, WSPCloseSocket(t, &e));
	c = new_socket(AF_INET, SOCK_STREAM);
	ASSERT_WSA(WSAECONNREFUSED, WSPConnect(c, (struct sockaddr *)&closed, len,
					       NULL, NULL, NULL, NULL, &e));

	l = listener(AF_INET, 4, &addr, &len);
	c = new_socket(AF_INET, SOCK_STREAM);
	ASSERT_WSA(WSAEFAULT, WSPConnect(c, NULL, len, NULL, NULL, NULL, NULL, &e));
	ASSERT_WSA(WSAEFAULT, WSPConnect(c, (struct sockaddr *)&addr, 4, NULL, NULL,
					 NULL, NULL, &e));
	ASSERT_WSA(WSAEOPNOTSUPP, WSPConnect(c, (struct sockaddr *)&addr, len, &data,
					     NULL, NULL, NULL, &e));
	ASSERT_WSA(WSAEOPNOTSUPP, WSPConnect(c, (struct sockaddr *)&addr, len, NULL,
					     NULL, qos, NULL, &e));
	ASSERT_WSA(WSAEOPNOTSUPP, WSPConnect(c, (struct sockaddr *)&addr, len, NULL,
					     NULL, NULL, qos, &e));
	/* Empty caller data is no data; the callee sends none back. */
	data.len = 0;
	ASSERT_EQ(0, WSPConnect(c, (struct sockaddr *)&addr, len, &data, &callee,
				NULL, NULL, &e));
	EXPECT_EQ(0, callee.len);
	ASSERT_WSA(WSAEISCONN, WSPConnect(c, (struct sockaddr *)&addr, len, NULL,
					  NULL, NULL, NULL, &e));
	s = WSPAccept(l, NULL, NULL, NULL, 0, &e);
	ASSERT_LE(0, s);
}

/*
 * A connect that cannot complete: a listener with backlog 0 whose accept
 * queue already holds a connection drops further SYNs.
 */
static SOCKET stuck_listener(struct __test_metadata *_metadata,
			     struct sockaddr_storage *addr, int *len)
{
	SOCKET l = listener(AF_INET, 0, addr, len), c;
	int e = 0;

	if (l < 0)
		return l;
	c = new_socket(AF_INET, SOCK_STREAM);
	if (WSPConnect(c, (struct sockaddr *)addr, *len, NULL, NULL, NULL, NULL, &e))
		TH_LOG("filler connect failed: %d", e);
	/* The filler is queued once the listener is readable. */
	if (!readable(l, POLLIN, WAIT_MS))
		TH_LOG("filler never queued");
	return l;
}

TEST(connect_nonblocking_wouldblock_then_already)
{
	struct sockaddr_storage addr;
	uint32_t on = 1;
	int len, e;
	SOCKET l, c;
	DWORD n;

	NEED_MODULE();
	l = stuck_listener(_metadata, &addr, &len);
	ASSERT_LE(0, l);
	c = new_socket(AF_INET, SOCK_STREAM);
	ASSERT_EQ(0, WSPIoctl(c, FIONBIO, &on, sizeof(on), NULL, 0, &n, NULL, NULL, NULL, &e));
	/* M-1: in progress is WSAEWOULDBLOCK, a repeat WSAEALREADY. */
	ASSERT_WSA(WSAEWOULDBLOCK, WSPConnect(c, (struct sockaddr *)&addr, len,
					      NULL, NULL, NULL, NULL, &e));
	ASSERT_WSA(WSAEALREADY, WSPConnect(c, (struct sockaddr *)&addr, len,
					   NULL, NULL, NULL, NULL, &e));
}

TEST(connect_blocking_times_out)
{
	struct sockaddr_storage addr;
	int len, e;
	SOCKET l, c;
	long t0;

	NEED_MODULE();
	l = stuck_listener(_metadata, &addr, &len);
	ASSERT_LE(0, l);
	c = new_socket(AF_INET, SOCK_STREAM);
	ASSERT_EQ(0, set_timeout(c, SO_SNDTIMEO, 200));
	t0 = now_ms();
	/* M-2: a blocking call that ran out of time. */
	ASSERT_WSA(WSAETIMEDOUT, WSPConnect(c, (struct sockaddr *)&addr, len,
					    NULL, NULL, NULL, NULL, &e));
	EXPECT_LE(150, now_ms() - t0);
}

TEST(names_and_errors)
{
	struct sockaddr_storage a1, a2;
	int len1 = sizeof(a1), len2 = sizeof(a2), small = 4, e;
	SOCKET l, c, s, fresh;

	NEED_MODULE();
	TCP_PAIR(AF_INET6, l, c, s);
	ASSERT_EQ(0, WSPGetSockName(c, (struct sockaddr *)&a1, &len1, &e));
	ASSERT_EQ(0, WSPGetPeerName(s, (struct sockaddr *)&a2, &len2, &e));
	EXPECT_EQ(sizeof(struct sockaddr_in6), len1);
	EXPECT_EQ(len1, len2);
	EXPECT_EQ(AF_INET6, a1.ss_family);
	EXPECT_EQ(port_of(&a1), port_of(&a2));
	ASSERT_WSA(WSAEFAULT, WSPGetSockName(c, NULL, &len1, &e));
	ASSERT_WSA(WSAEFAULT, WSPGetSockName(c, (struct sockaddr *)&a1, NULL, &e));
	ASSERT_WSA(WSAEFAULT, WSPGetSockName(c, (struct sockaddr *)&a1, &small, &e));
	ASSERT_WSA(WSAEFAULT, WSPGetPeerName(c, (struct sockaddr *)&a1, &small, &e));
	ASSERT_WSA(WSAEFAULT, WSPGetPeerName(c, NULL, &len1, &e));
	fresh = new_socket(AF_INET, SOCK_STREAM);
	len1 = sizeof(a1);
	ASSERT_WSA(WSAEINVAL, WSPGetSockName(fresh, (struct sockaddr *)&a1, &len1, &e));
	ASSERT_WSA(WSAENOTCONN, WSPGetPeerName(fresh, (struct sockaddr *)&a1, &len1, &e));
	ASSERT_WSA(WSAENOTCONN, WSPGetPeerName(l, (struct sockaddr *)&a1, &len1, &e));
}

/* ---------------------------------------------------------------- */
/* Shutdown, send, receive                                           */
/* ---------------------------------------------------------------- */

TEST(shutdown_send_peer_sees_end_and_send_is_eshutdown)
{
	char buf[16];
	SOCKET l, c, s;
	int e;

	NEED_MODULE();
	TCP_PAIR(AF_INET, l, c, s);
	ASSERT_EQ(5, send_str(c, "hello", 0));
	ASSERT_EQ(0, WSPShutdown(c, SD_SEND, &e));
	ASSERT_EQ(5, recv_str(s, buf, sizeof(buf), 0));
	EXPECT_STREQ("hello", buf);
	/* The orderly end: 0 bytes, success. */
	ASSERT_EQ(0, recv_str(s, buf, sizeof(buf), 0));
	ASSERT_EQ(0, recv_str(s, buf, sizeof(buf), 0));
	/* M-3: after a local shutdown(SD_SEND), WSAESHUTDOWN. */
	ASSERT_EQ(-WSAESHUTDOWN, send_str(c, "more", 0));
	/* The other way still works. */
	ASSERT_EQ(3, send_str(s, "abc", 0));
	ASSERT_EQ(3, recv_str(c, buf, sizeof(buf), 0));
	/* Also once the peer has closed too. */
	ASSERT_EQ(0, WSPCloseSocket(s, &e));
	ASSERT_EQ(0, recv_str(c, buf, sizeof(buf), 0));
	ASSERT_EQ(-WSAESHUTDOWN, send_str(c, "more", 0));
}

/* Another process's shutdown is seen through the connection's state. */
TEST(shutdown_through_duplicate_is_eshutdown)
{
	WSAPROTOCOL_INFOW pi;
	SOCKET l, c, s, d;
	char buf[4];
	int e;

	NEED_MODULE();
	TCP_PAIR(AF_INET, l, c, s);
	ASSERT_EQ(0, WSPDuplicateSocket(c, getpid(), &pi, &e));
	pid_t pid = fork();

	ASSERT_LE(0, pid);
	if (pid == 0) {
		/* The child's library has no note of it. */
		_exit(WSPShutdown(c, SD_SEND, &e) ? 1 : 0);
	}
	ASSERT_EQ(0, child_status(pid));
	d = WSPSocket(FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO,
		      &pi, 0, 0, &e);
	ASSERT_LE(0, d);
	ASSERT_EQ(0, recv_str(s, buf, sizeof(buf), 0));
	ASSERT_EQ(-WSAESHUTDOWN, send_str(d, "x", 0));
}

TEST(shutdown_errors)
{
	SOCKET l, c, s, fresh;
	int e;

	NEED_MODULE();
	TCP_PAIR(AF_INET, l, c, s);
	ASSERT_WSA(WSAEINVAL, WSPShutdown(c, 3, &e));
	ASSERT_WSA(WSAEINVAL, WSPShutdown(c, -1, &e));
	fresh = new_socket(AF_INET, SOCK_STREAM);
	ASSERT_WSA(WSAENOTCONN, WSPShutdown(fresh, SD_BOTH, &e));
	EXPECT_EQ(0, WSPShutdown(c, SD_RECEIVE, &e));
	EXPECT_EQ(0, WSPShutdown(c, SD_BOTH, &e));
}

TEST(send_recv_several_buffers)
{
	char a[] = "abc", b[] = "", d[] = "defgh", in1[2], in2[4], in3[16];
	WSABUF out[3] = { { 3, a }, { 0, b }, { 5, d } };
	WSABUF in[3] = { { sizeof(in1), in1 }, { sizeof(in2), in2 }, { sizeof(in3), in3 } };
	DWORD n = 0, flags = 0;
	SOCKET l, c, s;
	int e = 777;

	NEED_MODULE();
	TCP_PAIR(AF_INET, l, c, s);
	ASSERT_EQ(0, WSPSend(c, out, 3, &n, 0, NULL, NULL, NULL, &e));
	EXPECT_EQ(8, n);
	ASSERT_TRUE(readable(s, POLLIN, WAIT_MS));
	n = 0;
	flags = 0;
	ASSERT_EQ(0, WSPRecv(s, in, 3, &n, &flags, NULL, NULL, NULL, &e));
	EXPECT_EQ(8, n);
	EXPECT_EQ(0, flags);
	EXPECT_EQ(0, memcmp(in1, "ab", 2));
	EXPECT_EQ(0, memcmp(in2, "cdef", 4));
	EXPECT_EQ(0, memcmp(in3, "gh", 2));
	/* Zero buffers: a zero-byte send. */
	n = 99;
	ASSERT_EQ(0, WSPSend(c, NULL, 0, &n, 0, NULL, NULL, NULL, &e));
	EXPECT_EQ(0, n);
	EXPECT_EQ(777, e);
}

TEST(recv_peek_leaves_data)
{
	char buf[16];
	SOCKET l, c, s;

	NEED_MODULE();
	TCP_PAIR(AF_INET, l, c, s);
	ASSERT_EQ(4, send_str(c, "peek", 0));
	ASSERT_TRUE(readable(s, POLLIN, WAIT_MS));
	ASSERT_EQ(4, recv_str(s, buf, sizeof(buf), MSG_PEEK));
	ASSERT_EQ(4, recv_str(s, buf, sizeof(buf), 0));
	EXPECT_STREQ("peek", buf);
}

TEST(recv_wouldblock_and_timedout)
{
	char buf[16];
	SOCKET l, c, s;
	uint32_t on = 1;
	DWORD n;
	int e;
	long t0;

	NEED_MODULE();
	TCP_PAIR(AF_INET, l, c, s);
	/* M-2: a blocking receive that hit SO_RCVTIMEO. */
	ASSERT_EQ(0, set_timeout(s, SO_RCVTIMEO, 100));
	t0 = now_ms();
	ASSERT_EQ(-WSAETIMEDOUT, recv_str(s, buf, sizeof(buf), 0));
	EXPECT_LE(80, now_ms() - t0);
	/* MSG_DONTWAIT on a blocking socket: would-block. */
	ASSERT_EQ(-WSAEWOULDBLOCK, recv_str(s, buf, sizeof(buf), MSG_DONTWAIT));
	ASSERT_EQ(0, WSPIoctl(s, FIONBIO, &on, sizeof(on), NULL, 0, &n, NULL, NULL, NULL, &e));
	ASSERT_EQ(-WSAEWOULDBLOCK, recv_str(s, buf, sizeof(buf), 0));
}

/* Fill the connection: send until an error; that error (as -WSAE*). */
static int fill(SOCKET c)
{
	static char chunk[65536];
	WSABUF b = { sizeof(chunk), chunk };
	DWORD n;
	int e = 0;

	for (int i = 0; i < 4096; i++)
		if (WSPSend(c, &b, 1, &n, 0, NULL, NULL, NULL, &e))
			return -e;
	return 0;
}

TEST(send_wouldblock_and_timedout)
{
	SOCKET l, c, s;
	uint32_t on = 1;
	int small = 4096, e;
	DWORD n;

	NEED_MODULE();
	TCP_PAIR(AF_INET, l, c, s);
	ASSERT_EQ(0, WSPSetSockOpt(c, SOL_SOCKET, SO_SNDBUF, (char *)&small, sizeof(small), &e));
	ASSERT_EQ(0, WSPSetSockOpt(s, SOL_SOCKET, SO_RCVBUF, (char *)&small, sizeof(small), &e));
	ASSERT_EQ(0, set_timeout(c, SO_SNDTIMEO, 100));
	ASSERT_EQ(-WSAETIMEDOUT, fill(c));
	ASSERT_EQ(0, WSPIoctl(c, FIONBIO, &on, sizeof(on), NULL, 0, &n, NULL, NULL, NULL, &e));
	ASSERT_EQ(-WSAEWOULDBLOCK, fill(c));
	on = 0;
	ASSERT_EQ(0, WSPIoctl(c, FIONBIO, &on, sizeof(on), NULL, 0, &n, NULL, NULL, NULL, &e));
	ASSERT_EQ(-WSAEWOULDBLOCK, send_str(c, "x", MSG_DONTWAIT));
}

TEST(send_after_reset_is_econnreset)
{
	struct linger lg = { 1, 0 };
	char buf[8];
	SOCKET l, c, s;
	int e;

	NEED_MODULE();
	TCP_PAIR(AF_INET, l, c, s);
	ASSERT_EQ(0, WSPSetSockOpt(s, SOL_SOCKET, SO_LINGER, (char *)&lg, sizeof(lg), &e));
	ASSERT_EQ(0, WSPCloseSocket(s, &e));	/* abortive: a reset */
	ASSERT_TRUE(readable(c, POLLIN, WAIT_MS));
	ASSERT_EQ(-WSAECONNRESET, send_str(c, "x", 0));
	/* The reset is reported once; later sends get EPIPE: still a reset. */
	ASSERT_EQ(-WSAECONNRESET, send_str(c, "x", 0));
	ASSERT_EQ(0, recv_str(c, buf, sizeof(buf), 0));
}

TEST(unconnected_stream_is_enotconn)
{
	char buf[8];
	SOCKET t;

	NEED_MODULE();
	t = new_socket(AF_INET, SOCK_STREAM);
	ASSERT_EQ(-WSAENOTCONN, send_str(t, "x", 0));
	ASSERT_EQ(-WSAENOTCONN, recv_str(t, buf, sizeof(buf), 0));
}

TEST(datagrams_addresses_and_truncation)
{
	struct sockaddr_storage a1, a2, from;
	char big[] = "0123456789", small[4], one[2], two[7];
	WSABUF out = { 10, big }, in = { sizeof(small), small };
	WSABUF split[2] = { { sizeof(one), one }, { sizeof(two), two } };
	int l1, l2, flen, tiny = 8, l4 = sizeof(struct sockaddr_in), e;
	DWORD n, flags;
	SOCKET u1, u2, u6;

	NEED_MODULE();
	u1 = new_socket(AF_INET, SOCK_DGRAM);
	u2 = new_socket(AF_INET, SOCK_DGRAM);
	a1 = loopback(AF_INET, 0, &l1);
	a2 = loopback(AF_INET, 0, &l2);
	ASSERT_EQ(0, WSPBind(u1, (struct sockaddr *)&a1, l1, &e));
	ASSERT_EQ(0, WSPBind(u2, (struct sockaddr *)&a2, l2, &e));
	ASSERT_EQ(0, WSPGetSockName(u1, (struct sockaddr *)&a1, &l1, &e));
	ASSERT_EQ(0, WSPGetSockName(u2, (struct sockaddr *)&a2, &l2, &e));

	/* No destination: WSPSend says not connected, WSPSendTo no address. */
	ASSERT_WSA(WSAENOTCONN, WSPSend(u1, &out, 1, &n, 0, NULL, NULL, NULL, &e));
	ASSERT_WSA(WSAEDESTADDRREQ, WSPSendTo(u1, &out, 1, &n, 0, NULL, 0,
					      NULL, NULL, NULL, &e));
	ASSERT_WSA(WSAEFAULT, WSPSendTo(u1, &out, 1, &n, 0, (struct sockaddr *)&a2, 3,
					NULL, NULL, NULL, &e));

	ASSERT_EQ(0, WSPSendTo(u1, &out, 1, &n, 0, (struct sockaddr *)&a2, l2,
			       NULL, NULL, NULL, &e));
	EXPECT_EQ(10, n);
	ASSERT_EQ(0, WSPSendTo(u1, &out, 1, &n, 0, (struct sockaddr *)&a2, l2,
			       NULL, NULL, NULL, &e));
	ASSERT_TRUE(readable(u2, POLLIN, WAIT_MS));

	/* The address buffer is checked before the datagram is taken. */
	flags = 0;
	ASSERT_WSA(WSAEFAULT, WSPRecvFrom(u2, &in, 1, &n, &flags, (struct sockaddr *)&from,
					  &tiny, NULL, NULL, NULL, &e));
	ASSERT_WSA(WSAEFAULT, WSPRecvFrom(u2, &in, 1, &n, &flags, (struct sockaddr *)&from,
					  NULL, NULL, NULL, NULL, &e));
	/* Too long for the buffer: its head, and WSAEMSGSIZE. */
	flen = sizeof(from);
	n = 0;
	ASSERT_WSA(WSAEMSGSIZE, WSPRecvFrom(u2, &in, 1, &n, &flags, (struct sockaddr *)&from,
					    &flen, NULL, NULL, NULL, &e));
	EXPECT_EQ(sizeof(small), n);
	EXPECT_EQ(0, memcmp(small, "0123", 4));
	EXPECT_EQ(sizeof(struct sockaddr_in), flen);
	EXPECT_EQ(port_of(&a1), port_of(&from));
	/* Scattered over two buffers: one datagram, truncated at 9. */
	flags = 0;
	ASSERT_WSA(WSAEMSGSIZE, WSPRecv(u2, split, 2, &n, &flags, NULL, NULL, NULL, &e));
	EXPECT_EQ(9, n);
	EXPECT_EQ(0, memcmp(one, "01", 2));
	EXPECT_EQ(0, memcmp(two, "2345678", 7));
	/* IPv6 addresses do not fit a sockaddr_in. */
	u6 = new_socket(AF_INET6, SOCK_DGRAM);
	ASSERT_WSA(WSAEFAULT, WSPRecvFrom(u6, &in, 1, &n, &flags,
					  (struct sockaddr *)&from, &l4,
					  NULL, NULL, NULL, &e));
}

TEST(bad_arguments_flags_and_overlapped)
{
	char buf[8];
	WSABUF b = { sizeof(buf), buf }, nullbuf = { 4, NULL };
	char ov[32];
	DWORD n, flags = 0;
	SOCKET l, c, s;
	uint32_t v;
	int e;

	NEED_MODULE();
	TCP_PAIR(AF_INET, l, c, s);
	ASSERT_WSA(WSAEOPNOTSUPP, WSPSend(c, &b, 1, &n, 0, ov, NULL, NULL, &e));
	ASSERT_WSA(WSAEOPNOTSUPP, WSPSend(c, &b, 1, &n, 0, NULL, ov, NULL, &e));
	ASSERT_WSA(WSAEOPNOTSUPP, WSPSendTo(c, &b, 1, &n, 0, NULL, 0, ov, NULL, NULL, &e));
	ASSERT_WSA(WSAEOPNOTSUPP, WSPRecv(s, &b, 1, &n, &flags, ov, NULL, NULL, &e));
	ASSERT_WSA(WSAEOPNOTSUPP, WSPRecvFrom(s, &b, 1, &n, &flags, NULL, NULL, NULL,
					      ov, NULL, &e));
	ASSERT_WSA(WSAEOPNOTSUPP, WSPIoctl(s, FIONREAD, NULL, 0, &v, sizeof(v), &n,
					   ov, NULL, NULL, &e));
	/* Flags the calls do not take. */
	ASSERT_WSA(WSAEOPNOTSUPP, WSPSend(c, &b, 1, &n, MSG_PEEK, NULL, NULL, NULL, &e));
	ASSERT_WSA(WSAEOPNOTSUPP, WSPSend(c, &b, 1, &n, MSG_DONTROUTE, NULL, NULL, NULL, &e));
	flags = MSG_TRUNC;
	ASSERT_WSA(WSAEOPNOTSUPP, WSPRecv(s, &b, 1, &n, &flags, NULL, NULL, NULL, &e));
	/* Missing pointers. */
	flags = 0;
	ASSERT_WSA(WSAEFAULT, WSPSend(c, &b, 1, NULL, 0, NULL, NULL, NULL, &e));
	ASSERT_WSA(WSAEFAULT, WSPSend(c, NULL, 1, &n, 0, NULL, NULL, NULL, &e));
	ASSERT_WSA(WSAEFAULT, WSPSend(c, &nullbuf, 1, &n, 0, NULL, NULL, NULL, &e));
	ASSERT_WSA(WSAEFAULT, WSPRecv(s, &b, 1, NULL, &flags, NULL, NULL, NULL, &e));
	ASSERT_WSA(WSAEFAULT, WSPRecv(s, &b, 1, &n, NULL, NULL, NULL, NULL, &e));
	ASSERT_WSA(WSAEFAULT, WSPRecv(s, NULL, 2, &n, &flags, NULL, NULL, NULL, &e));
	/* The kernel checks the memory itself. */
	b.buf = (char *)8;
	ASSERT_WSA(WSAEFAULT, WSPSend(c, &b, 1, &n, 0, NULL, NULL, NULL, &e));
}

TEST(urgent_data_flags_and_siocatmark)
{
	char buf[8];
	WSABUF b = { sizeof(buf), buf };
	SOCKET l, c, s, u;
	uint32_t mark = 7;
	DWORD n = 0, flags;
	int e;

	NEED_MODULE();
	TCP_PAIR(AF_INET, l, c, s);
	ASSERT_EQ(0, WSPIoctl(s, SIOCATMARK, NULL, 0, &mark, sizeof(mark), &n,
			      NULL, NULL, NULL, &e));
	EXPECT_EQ(1, mark);	/* no urgent data: TRUE */
	EXPECT_EQ(sizeof(uint32_t), n);
	ASSERT_EQ(2, send_str(c, "ab", 0));
	ASSERT_EQ(1, send_str(c, "!", MSG_OOB));
	ASSERT_TRUE(readable(s, POLLPRI, WAIT_MS));
	ASSERT_EQ(0, WSPIoctl(s, SIOCATMARK, NULL, 0, &mark, sizeof(mark), &n,
			      NULL, NULL, NULL, &e));
	EXPECT_EQ(0, mark);	/* urgent data waits: FALSE */
	flags = MSG_OOB;
	ASSERT_EQ(0, WSPRecv(s, &b, 1, &n, &flags, NULL, NULL, NULL, &e));
	EXPECT_EQ(1, n);
	EXPECT_EQ('!', buf[0]);
	EXPECT_EQ(MSG_OOB, flags);
	ASSERT_EQ(0, WSPIoctl(s, SIOCATMARK, NULL, 0, &mark, sizeof(mark), &n,
			      NULL, NULL, NULL, &e));
	EXPECT_EQ(1, mark);
	ASSERT_EQ(2, recv_str(s, buf, sizeof(buf), 0));
	EXPECT_STREQ("ab", buf);
	/* A datagram socket never has urgent data. */
	u = new_socket(AF_INET, SOCK_DGRAM);
	mark = 0;
	ASSERT_EQ(0, WSPIoctl(u, SIOCATMARK, NULL, 0, &mark, sizeof(mark), &n,
			      NULL, NULL, NULL, &e));
	EXPECT_EQ(1, mark);
}

/* ---------------------------------------------------------------- */
/* Options and ioctls                                                */
/* ---------------------------------------------------------------- */

TEST(sockopts_shared_and_errors)
{
	WSAPROTOCOL_INFOW pi;
	SOCKET s, d;
	int v = 1, len = sizeof(v), neg = -1, e;

	NEED_MODULE();
	s = new_socket(AF_INET, SOCK_STREAM);
	ASSERT_EQ(0, WSPSetSockOpt(s, SOL_SOCKET, SO_KEEPALIVE, (char *)&v, sizeof(v), &e));
	v = 1;
	ASSERT_EQ(0, WSPSetSockOpt(s, IPPROTO_TCP, TCP_NODELAY, (char *)&v, sizeof(v), &e));
	ASSERT_EQ(0, WSPDuplicateSocket(s, getpid(), &pi, &e));
	d = WSPSocket(FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO,
		      &pi, 0, 0, &e);
	ASSERT_LE(0, d);
	/* Set through one descriptor, seen through the other. */
	v = 0;
	len = sizeof(v);
	ASSERT_EQ(0, WSPGetSockOpt(d, SOL_SOCKET, SO_KEEPALIVE, (char *)&v, &len, &e));
	EXPECT_EQ(1, v);
	EXPECT_EQ(sizeof(int), len);
	v = 0;
	ASSERT_EQ(0, WSPGetSockOpt(d, IPPROTO_TCP, TCP_NODELAY, (char *)&v, &len, &e));
	EXPECT_EQ(1, v);
	ASSERT_EQ(0, WSPGetSockOpt(d, SOL_SOCKET, SO_TYPE, (char *)&v, &len, &e));
	EXPECT_EQ(SOCK_STREAM, v);

	ASSERT_WSA(WSAEINVAL, WSPSetSockOpt(s, 0x1234, 1, (char *)&v, sizeof(v), &e));
	ASSERT_WSA(WSAEINVAL, WSPGetSockOpt(s, 0x1234, 1, (char *)&v, &len, &e));
	ASSERT_WSA(WSAENOPROTOOPT, WSPSetSockOpt(s, SOL_SOCKET, 0x7777, (char *)&v,
						 sizeof(v), &e));
	ASSERT_WSA(WSAENOPROTOOPT, WSPGetSockOpt(s, SOL_SOCKET, 0x7777, (char *)&v,
						 &len, &e));
	ASSERT_WSA(WSAEFAULT, WSPSetSockOpt(s, SOL_SOCKET, SO_KEEPALIVE, NULL, 4, &e));
	ASSERT_WSA(WSAEFAULT, WSPSetSockOpt(s, SOL_SOCKET, SO_KEEPALIVE, (char *)&v, -1, &e));
	ASSERT_WSA(WSAEFAULT, WSPGetSockOpt(s, SOL_SOCKET, SO_KEEPALIVE, (char *)&v, NULL, &e));
	ASSERT_WSA(WSAEFAULT, WSPGetSockOpt(s, SOL_SOCKET, SO_KEEPALIVE, NULL, &len, &e));
	ASSERT_WSA(WSAEFAULT, WSPGetSockOpt(s, SOL_SOCKET, SO_KEEPALIVE, (char *)&v, &neg, &e));
}

TEST(ioctl_fionbio_is_socket_state)
{
	WSAPROTOCOL_INFOW pi;
	uint32_t on = 1, off = 0;
	SOCKET s, d;
	DWORD n = 55;
	int e;

	NEED_MODULE();
	s = new_socket(AF_INET, SOCK_STREAM);
	ASSERT_EQ(0, WSPDuplicateSocket(s, getpid(), &pi, &e));
	d = WSPSocket(AF_INET, SOCK_STREAM, IPPROTO_TCP, &pi, 0, 0, &e);
	ASSERT_LE(0, d);
	ASSERT_EQ(0, WSPIoctl(s, FIONBIO, &on, sizeof(on), NULL, 0, &n, NULL, NULL, NULL, &e));
	EXPECT_EQ(0, n);
	EXPECT_EQ(1, is_nonblocking(d));
	ASSERT_EQ(0, WSPIoctl(d, FIONBIO, &off, sizeof(off), NULL, 0, &n, NULL, NULL, NULL, &e));
	EXPECT_EQ(0, is_nonblocking(s));
	ASSERT_WSA(WSAEFAULT, WSPIoctl(s, FIONBIO, NULL, 0, NULL, 0, &n, NULL, NULL, NULL, &e));
	ASSERT_WSA(WSAEFAULT, WSPIoctl(s, FIONBIO, &on, 2, NULL, 0, &n, NULL, NULL, NULL, &e));
	/* R-IO-1: back to blocking fails while a registration is active. */
	{
		WSAEVENT ev = WSPCreateEvent(&e);

		ASSERT_EQ(0, WSPEventSelect(s, ev, FD_READ, &e));
		EXPECT_EQ(1, is_nonblocking(d));
		ASSERT_WSA(WSAEINVAL, WSPIoctl(d, FIONBIO, &off, sizeof(off), NULL, 0,
					       &n, NULL, NULL, NULL, &e));
		ASSERT_EQ(0, WSPEventSelect(s, ev, 0, &e));
		ASSERT_EQ(0, WSPIoctl(d, FIONBIO, &off, sizeof(off), NULL, 0, &n,
				      NULL, NULL, NULL, &e));
	}
}

/*
 * FIONBIO back to blocking refused because a registration is active
 * (WSAEINVAL) still stores 0 in *lpcbBytesReturned, as a success does:
 * Wine's dlls/ws2_32/tests/sock.c, test_fionbio, ok(!size) after
 * WSAEventSelect (run on Windows). Event mode, then message mode.
 */
TEST(ioctl_fionbio_refused_returns_zero_bytes)
{
	uint32_t off = 0;
	SOCKET s;
	WSAEVENT ev;
	HWND w;
	DWORD n;
	int e;

	NEED_MODULE();
	s = new_socket(AF_INET, SOCK_STREAM);
	ev = WSPCreateEvent(&e);
	ASSERT_LE(0, ev);
	w = WSPCreateWindow(&e);
	ASSERT_LE(0, w);

	ASSERT_EQ(0, WSPEventSelect(s, ev, FD_READ, &e));
	n = 0xdeadbeef;
	ASSERT_WSA(WSAEINVAL, WSPIoctl(s, FIONBIO, &off, sizeof(off), NULL, 0,
				       &n, NULL, NULL, NULL, &e));
	EXPECT_EQ(0, n);
	ASSERT_EQ(0, WSPEventSelect(s, ev, 0, &e));

	ASSERT_EQ(0, WSPAsyncSelect(s, w, WM_SOCKET, FD_READ, &e));
	n = 0xdeadbeef;
	ASSERT_WSA(WSAEINVAL, WSPIoctl(s, FIONBIO, &off, sizeof(off), NULL, 0,
				       &n, NULL, NULL, NULL, &e));
	EXPECT_EQ(0, n);
	ASSERT_EQ(0, WSPAsyncSelect(s, w, 0, 0, &e));
	EXPECT_EQ(1, is_nonblocking(s));
}

TEST(ioctl_fionread_and_errors)
{
	SOCKET l, c, s, u1, u2;
	struct sockaddr_storage a2;
	char x[] = "0123456789";
	WSABUF b = { 10, x };
	uint32_t v = 99;
	DWORD n;
	int l2, e;

	NEED_MODULE();
	TCP_PAIR(AF_INET, l, c, s);
	ASSERT_EQ(0, WSPIoctl(s, FIONREAD, NULL, 0, &v, sizeof(v), &n, NULL, NULL, NULL, &e));
	EXPECT_EQ(0, v);
	ASSERT_EQ(10, send_str(c, "0123456789", 0));
	ASSERT_TRUE(readable(s, POLLIN, WAIT_MS));
	ASSERT_EQ(0, WSPIoctl(s, FIONREAD, NULL, 0, &v, sizeof(v), &n, NULL, NULL, NULL, &e));
	EXPECT_EQ(10, v);
	EXPECT_EQ(sizeof(uint32_t), n);
	/* UDP: Linux counts the next datagram only (documented). */
	u1 = new_socket(AF_INET, SOCK_DGRAM);
	u2 = new_socket(AF_INET, SOCK_DGRAM);
	a2 = loopback(AF_INET, 0, &l2);
	ASSERT_EQ(0, WSPBind(u2, (struct sockaddr *)&a2, l2, &e));
	ASSERT_EQ(0, WSPGetSockName(u2, (struct sockaddr *)&a2, &l2, &e));
	ASSERT_EQ(0, WSPSendTo(u1, &b, 1, &n, 0, (struct sockaddr *)&a2, l2, NULL, NULL, NULL, &e));
	b.len = 3;
	ASSERT_EQ(0, WSPSendTo(u1, &b, 1, &n, 0, (struct sockaddr *)&a2, l2, NULL, NULL, NULL, &e));
	ASSERT_TRUE(readable(u2, POLLIN, WAIT_MS));
	ASSERT_EQ(0, WSPIoctl(u2, FIONREAD, NULL, 0, &v, sizeof(v), &n, NULL, NULL, NULL, &e));
	EXPECT_EQ(10, v);

	ASSERT_WSA(WSAEFAULT, WSPIoctl(s, FIONREAD, NULL, 0, NULL, 4, &n, NULL, NULL, NULL, &e));
	ASSERT_WSA(WSAEFAULT, WSPIoctl(s, FIONREAD, NULL, 0, &v, 2, &n, NULL, NULL, NULL, &e));
	ASSERT_WSA(WSAEFAULT, WSPIoctl(s, FIONREAD, NULL, 0, &v, 4, NULL, NULL, NULL, NULL, &e));
	ASSERT_WSA(WSAEFAULT, WSPIoctl(s, SIOCATMARK, NULL, 0, &v, 1, &n, NULL, NULL, NULL, &e));
	/* Unknown codes, also Windows' own numbers for the three. */
	ASSERT_WSA(WSAEINVAL, WSPIoctl(s, 0x8004667E, &v, 4, NULL, 0, &n, NULL, NULL, NULL, &e));
	ASSERT_WSA(WSAEINVAL, WSPIoctl(s, 0x4004667F, NULL, 0, &v, 4, &n, NULL, NULL, NULL, &e));
	ASSERT_WSA(WSAEINVAL, WSPIoctl(s, 0xC8000007, NULL, 0, &v, 4, &n, NULL, NULL, NULL, &e));
	/* FIONREAD on a listener is not applicable. */
	ASSERT_WSA(WSAEINVAL, WSPIoctl(l, FIONREAD, NULL, 0, &v, 4, &n, NULL, NULL, NULL, &e));
}

/* ---------------------------------------------------------------- */
/* Duplication                                                       */
/* ---------------------------------------------------------------- */

TEST(duplicate_to_self_every_way_of_redeeming)
{
	WSAPROTOCOL_INFOW pi;
	SOCKET s, d;
	int e = 4242;
	struct {
		int af, type, protocol;
	} ways[] = {
		{ FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO },
		{ AF_INET6, SOCK_DGRAM, IPPROTO_UDP },
		{ 0, 0, 0 },
		{ AF_INET6, FROM_PROTOCOL_INFO, 0 },
	};

	NEED_MODULE();
	s = new_socket(AF_INET6, SOCK_DGRAM);
	ASSERT_LE(0, s);
	for (size_t i = 0; i < sizeof(ways) / sizeof(ways[0]); i++) {
		memset(&pi, 0xAA, sizeof(pi));
		ASSERT_EQ(0, WSPDuplicateSocket(s, getpid(), &pi, &e));
		EXPECT_EQ(AF_INET6, pi.iAddressFamily);
		EXPECT_EQ(SOCK_DGRAM, pi.iSocketType);
		EXPECT_EQ(IPPROTO_UDP, pi.iProtocol);
		EXPECT_EQ(BASE_PROTOCOL, pi.ProtocolChain.ChainLen);
		EXPECT_TRUE(pi.dwServiceFlags1 & XP1_CONNECTIONLESS);
		EXPECT_EQ('w', pi.szProtocol[0]);
		d = WSPSocket(ways[i].af, ways[i].type, ways[i].protocol, &pi, 0, 0, &e);
		ASSERT_LE(0, d) TH_LOG("way %zu: %d", i, e);
		EXPECT_NE(s, d);
		EXPECT_EQ(socket_id(s), socket_id(d));
	}
	EXPECT_EQ(4242, e);
}

TEST(duplicate_errors)
{
	WSAPROTOCOL_INFOW pi;
	SOCKET s;
	int e;

	NEED_MODULE();
	s = new_socket(AF_INET, SOCK_STREAM);
	ASSERT_WSA(WSAEFAULT, WSPDuplicateSocket(s, getpid(), NULL, &e));
	ASSERT_WSA(WSAEINVAL, WSPDuplicateSocket(s, 0, &pi, &e));
	ASSERT_WSA(WSAEINVAL, WSPDuplicateSocket(s, 0x80000000u, &pi, &e));
	/* No such process (above any pid_max). */
	ASSERT_WSA(WSAEINVAL, WSPDuplicateSocket(s, 0x3fffffff, &pi, &e));
}

/*
 * Windows checks WSPDuplicateSocket's parameters in order: the socket
 * (WSAENOTSOCK, even with pid 0 and a NULL record), then the process id
 * (0 or 0xFFFFFFFF: WSAEINVAL, even with a NULL record), then the record
 * (WSAEFAULT). Wine's dlls/ws2_32/tests/sock.c, test_WSADuplicateSocket.
 */
TEST(duplicate_checks_socket_then_pid_then_record)
{
	WSAPROTOCOL_INFOW pi;
	SOCKET s, closed;
	WSAEVENT ev;
	int e;

	NEED_MODULE();
	s = new_socket(AF_INET, SOCK_STREAM);
	closed = new_socket(AF_INET, SOCK_STREAM);
	ASSERT_EQ(0, WSPCloseSocket(closed, &e));
	ev = WSPCreateEvent(&e);
	ASSERT_LE(0, ev);
	SOCKET bad[] = { closed, ev, INVALID_SOCKET };

	for (int i = 0; i < 3; i++) {
		EXPECT_WSA(WSAENOTSOCK, WSPDuplicateSocket(bad[i], 0, NULL, &e));
		EXPECT_WSA(WSAENOTSOCK, WSPDuplicateSocket(bad[i], 0xFFFFFFFFu, NULL, &e));
		EXPECT_WSA(WSAENOTSOCK, WSPDuplicateSocket(bad[i], getpid(), NULL, &e));
		EXPECT_WSA(WSAENOTSOCK, WSPDuplicateSocket(bad[i], getpid(), &pi, &e));
	}
	EXPECT_WSA(WSAEINVAL, WSPDuplicateSocket(s, 0, NULL, &e));
	EXPECT_WSA(WSAEINVAL, WSPDuplicateSocket(s, 0xFFFFFFFFu, NULL, &e));
	EXPECT_WSA(WSAEINVAL, WSPDuplicateSocket(s, 0xFFFFFFFFu, &pi, &e));
	EXPECT_WSA(WSAEFAULT, WSPDuplicateSocket(s, getpid(), NULL, &e));
	/* None of the refusals left a pending token behind. */
	for (int i = 0; i < WSP_MAX_PENDING_DUPLICATES; i++)
		ASSERT_EQ(0, WSPDuplicateSocket(s, getpid(), &pi, &e));
	ASSERT_WSA(WSAENOBUFS, WSPDuplicateSocket(s, getpid(), &pi, &e));
}

TEST(redeem_errors)
{
	WSAPROTOCOL_INFOW pi, forged, zero;
	SOCKET s, d;
	int e;

	NEED_MODULE();
	s = new_socket(AF_INET, SOCK_STREAM);
	ASSERT_EQ(0, WSPDuplicateSocket(s, getpid(), &pi, &e));
	/* Wrong family, type or protocol: WSAEINVAL, the token stays. */
	ASSERT_WSA(WSAEINVAL, WSPSocket(AF_INET6, FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO,
					&pi, 0, 0, &e));
	ASSERT_WSA(WSAEINVAL, WSPSocket(FROM_PROTOCOL_INFO, SOCK_DGRAM, FROM_PROTOCOL_INFO,
					&pi, 0, 0, &e));
	ASSERT_WSA(WSAEINVAL, WSPSocket(FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, IPPROTO_UDP,
					&pi, 0, 0, &e));
	/* A forged secret, a record libwsp did not write. */
	forged = pi;
	forged.ProtocolChain.ChainEntries[0] ^= 1;
	ASSERT_WSA(WSAEINVAL, WSPSocket(FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO,
					FROM_PROTOCOL_INFO, &forged, 0, 0, &e));
	memset(&zero, 0, sizeof(zero));
	ASSERT_WSA(WSAEINVAL, WSPSocket(0, 0, 0, &zero, 0, 0, &e));
	forged = pi;
	forged.ProviderId.Data1 ^= 1;
	ASSERT_WSA(WSAEINVAL, WSPSocket(0, 0, 0, &forged, 0, 0, &e));
	/* Bad group or flags with a record. */
	ASSERT_WSA(WSAEINVAL, WSPSocket(0, 0, 0, &pi, 7, 0, &e));
	/* Once, and only once. */
	d = WSPSocket(FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO,
		      &pi, 0, WSA_FLAG_NO_HANDLE_INHERIT, &e);
	ASSERT_LE(0, d);
	EXPECT_EQ(FD_CLOEXEC, fcntl(d, F_GETFD) & FD_CLOEXEC);
	ASSERT_WSA(WSAEINVAL, WSPSocket(FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO,
					FROM_PROTOCOL_INFO, &pi, 0, 0, &e));
}

TEST(duplicate_too_many_pending_is_enobufs)
{
	WSAPROTOCOL_INFOW pi[WSP_MAX_PENDING_DUPLICATES + 1];
	SOCKET s, d;
	int e;

	NEED_MODULE();
	s = new_socket(AF_INET, SOCK_STREAM);
	for (int i = 0; i < WSP_MAX_PENDING_DUPLICATES; i++)
		ASSERT_EQ(0, WSPDuplicateSocket(s, getpid(), &pi[i], &e));
	ASSERT_WSA(WSAENOBUFS, WSPDuplicateSocket(s, getpid(), &pi[64], &e));
	d = WSPSocket(0, 0, 0, &pi[0], 0, 0, &e);
	ASSERT_LE(0, d);
	ASSERT_EQ(0, WSPDuplicateSocket(s, getpid(), &pi[64], &e));
}

/* A record made for another process cannot be redeemed here. */
TEST(duplicate_for_another_process)
{
	WSAPROTOCOL_INFOW pi;
	int to_child[2], from_child[2], e;
	SOCKET s;
	pid_t pid;
	char ok = 0;

	NEED_MODULE();
	s = new_socket(AF_INET, SOCK_STREAM);
	ASSERT_EQ(0, pipe(to_child));
	ASSERT_EQ(0, pipe(from_child));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		SOCKET d;

		d = child_socket_from(to_child[0]);
		ok = socket_id(d) ? 'y' : 'n';
		_exit(write_all(from_child[1], &ok, 1) ? 4 : 0);
	}
	ASSERT_EQ(0, WSPDuplicateSocket(s, pid, &pi, &e));
	/* EPERM from the module: WSAEINVAL (spec A6); the token stays. */
	ASSERT_WSA(WSAEINVAL, WSPSocket(FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO,
					FROM_PROTOCOL_INFO, &pi, 0, 0, &e));
	ASSERT_EQ(0, write_all(to_child[1], &pi, sizeof(pi)));
	ASSERT_EQ(0, read_all(from_child[0], &ok, 1));
	EXPECT_EQ('y', ok);
	EXPECT_EQ(0, child_status(pid));
}

/*
 * The documented hand-off: the source connects, duplicates for the
 * target, sends the record's bytes over a pipe and closes its own
 * descriptor; the target redeems and talks over the connection.
 */
TEST(duplicate_handed_over_a_pipe)
{
	WSAPROTOCOL_INFOW pi;
	int to_child[2], e;
	SOCKET l, c, s;
	char buf[32];
	WSABUF b = { 15, buf };
	DWORD n = 0, flags = MSG_WAITALL;
	pid_t pid;

	NEED_MODULE();
	TCP_PAIR(AF_INET, l, c, s);
	ASSERT_EQ(0, pipe(to_child));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char in[6];
		SOCKET d;

		close(to_child[1]);
		close(c);
		close(s);
		close(l);
		d = child_socket_from(to_child[0]);
		if (send_str(d, "from the target", 0) != 15)
			_exit(4);
		if (recv_str(d, in, sizeof(in), MSG_WAITALL) != 5 || strcmp(in, "reply"))
			_exit(5);
		_exit(WSPCloseSocket(d, &e) ? 6 : 0);
	}
	close(to_child[0]);
	ASSERT_EQ(0, WSPDuplicateSocket(c, pid, &pi, &e));
	ASSERT_EQ(0, write_all(to_child[1], &pi, sizeof(pi)));
	/* Step 10 before the target even redeemed: the socket lives on. */
	ASSERT_EQ(0, WSPCloseSocket(c, &e));
	ASSERT_EQ(0, WSPRecv(s, &b, 1, &n, &flags, NULL, NULL, NULL, &e));
	ASSERT_EQ(15, n);
	EXPECT_EQ(0, memcmp(buf, "from the target", 15));
	ASSERT_EQ(5, send_str(s, "reply", 0));
	EXPECT_EQ(0, child_status(pid));
	/* The target's close was the last: the peer sees the end. */
	ASSERT_EQ(0, recv_str(s, buf, sizeof(buf), 0));
}

/* ---------------------------------------------------------------- */
/* Event objects                                                     */
/* ---------------------------------------------------------------- */

TEST(events_set_wait_reset_close)
{
	WSAEVENT ev;
	int e = 31337, p[2];
	long t0;

	ev = WSPCreateEvent(&e);
	ASSERT_LE(0, ev);
	EXPECT_EQ(FD_CLOEXEC, fcntl(ev, F_GETFD) & FD_CLOEXEC);
	EXPECT_EQ(0, WSPWaitForEvent(ev, 0, &e));
	t0 = now_ms();
	EXPECT_EQ(0, WSPWaitForEvent(ev, 50, &e));
	EXPECT_LE(40, now_ms() - t0);
	ASSERT_EQ(0, WSPSetEvent(ev, &e));
	ASSERT_EQ(0, WSPSetEvent(ev, &e));
	EXPECT_EQ(1, WSPWaitForEvent(ev, 0, &e));
	/* Waiting does not reset. */
	EXPECT_EQ(1, WSPWaitForEvent(ev, -1, &e));
	ASSERT_EQ(0, WSPResetEvent(ev, &e));
	EXPECT_EQ(0, WSPWaitForEvent(ev, 0, &e));
	ASSERT_EQ(0, WSPResetEvent(ev, &e));
	EXPECT_EQ(31337, e);
	ASSERT_EQ(0, WSPCloseEvent(ev, &e));
	ASSERT_WSA(WSA_INVALID_HANDLE, WSPSetEvent(ev, &e));
	ASSERT_WSA(WSA_INVALID_HANDLE, WSPResetEvent(ev, &e));
	ASSERT_WSA(WSA_INVALID_HANDLE, WSPWaitForEvent(ev, 0, &e));
	ASSERT_WSA(WSA_INVALID_HANDLE, WSPCloseEvent(ev, &e));
	ASSERT_WSA(WSA_INVALID_HANDLE, WSPSetEvent(WSA_INVALID_EVENT, &e));
	/* A file that is not an eventfd is not an event. */
	ASSERT_EQ(0, pipe(p));
	ASSERT_WSA(WSA_INVALID_HANDLE, WSPSetEvent(p[1], &e));
	ASSERT_WSA(WSA_INVALID_HANDLE, WSPCloseEvent(p[0], &e));
	EXPECT_LE(0, fcntl(p[0], F_GETFD));
}

/* A wait wakes when another process sets the event. */
TEST(event_wakes_a_waiter)
{
	WSAEVENT ev;
	pid_t pid;
	int e;

	ev = WSPCreateEvent(&e);
	ASSERT_LE(0, ev);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(WSPSetEvent(ev, &e) ? 1 : 0);
	EXPECT_EQ(1, WSPWaitForEvent(ev, WAIT_MS, &e));
	EXPECT_EQ(0, child_status(pid));
}

/* ---------------------------------------------------------------- */
/* WSPEventSelect, WSPEnumNetworkEvents                              */
/* ---------------------------------------------------------------- */

TEST(event_select_and_enumerate)
{
	WSANETWORKEVENTS ne;
	SOCKET l, c, s;
	char buf[16];
	WSAEVENT ev;
	int e;

	NEED_MODULE();
	TCP_PAIR(AF_INET, l, c, s);
	ev = WSPCreateEvent(&e);
	/* Connected before: FD_WRITE is recorded and signals at once. */
	ASSERT_EQ(0, WSPEventSelect(c, ev, FD_READ | FD_WRITE | FD_CLOSE, &e));
	EXPECT_EQ(1, is_nonblocking(c));
	ASSERT_EQ(1, WSPWaitForEvent(ev, WAIT_MS, &e));
	memset(&ne, 0, sizeof(ne));
	for (int i = 0; i < FD_MAX_EVENTS; i++)
		ne.iErrorCode[i] = -7;
	ASSERT_EQ(0, WSPEnumNetworkEvents(c, ev, &ne, &e));
	EXPECT_EQ(FD_WRITE, ne.lNetworkEvents);
	EXPECT_EQ(0, ne.iErrorCode[FD_WRITE_BIT]);
	/* Slots of events not reported keep what the caller had. */
	EXPECT_EQ(-7, ne.iErrorCode[FD_READ_BIT]);
	EXPECT_EQ(-7, ne.iErrorCode[FD_CONNECT_BIT]);
	/* The enumeration reset the event. */
	EXPECT_EQ(0, WSPWaitForEvent(ev, 0, &e));

	ASSERT_EQ(4, send_str(s, "ping", 0));
	ASSERT_EQ(1, WSPWaitForEvent(ev, WAIT_MS, &e));
	ASSERT_EQ(0, WSPEnumNetworkEvents(c, ev, &ne, &e));
	EXPECT_EQ(FD_READ, ne.lNetworkEvents);
	EXPECT_EQ(0, ne.iErrorCode[FD_READ_BIT]);
	ASSERT_EQ(4, recv_str(c, buf, sizeof(buf), 0));
	/* Non-blocking now: nothing more to read. */
	ASSERT_EQ(-WSAEWOULDBLOCK, recv_str(c, buf, sizeof(buf), 0));

	ASSERT_EQ(0, WSPShutdown(s, SD_SEND, &e));
	ASSERT_EQ(1, WSPWaitForEvent(ev, WAIT_MS, &e));
	ASSERT_EQ(0, WSPEnumNetworkEvents(c, ev, &ne, &e));
	EXPECT_TRUE(ne.lNetworkEvents & FD_CLOSE);
	EXPECT_EQ(0, ne.iErrorCode[FD_CLOSE_BIT]);
}

/* A reset reports FD_CLOSE with WSAECONNABORTED (spec A2). */
TEST(event_select_reset_is_close_aborted)
{
	struct linger lg = { 1, 0 };
	WSANETWORKEVENTS ne;
	SOCKET l, c, s;
	WSAEVENT ev;
	int e;

	NEED_MODULE();
	TCP_PAIR(AF_INET, l, c, s);
	ev = WSPCreateEvent(&e);
	ASSERT_EQ(0, WSPEventSelect(c, ev, FD_CLOSE, &e));
	ASSERT_EQ(0, WSPSetSockOpt(s, SOL_SOCKET, SO_LINGER, (char *)&lg, sizeof(lg), &e));
	ASSERT_EQ(0, WSPCloseSocket(s, &e));
	ASSERT_EQ(1, WSPWaitForEvent(ev, WAIT_MS, &e));
	memset(&ne, 0, sizeof(ne));
	ASSERT_EQ(0, WSPEnumNetworkEvents(c, WSA_INVALID_EVENT, &ne, &e));
	EXPECT_EQ(FD_CLOSE, ne.lNetworkEvents);
	EXPECT_EQ(WSAECONNABORTED, ne.iErrorCode[FD_CLOSE_BIT]);
	/* WSA_INVALID_EVENT: no event object was reset. */
	EXPECT_EQ(1, WSPWaitForEvent(ev, 0, &e));
}

/* A refused connect: FD_CONNECT with WSAECONNREFUSED, and no FD_WRITE. */
TEST(event_select_refused_connect_is_connrefused)
{
	struct sockaddr_storage closed;
	WSANETWORKEVENTS ne;
	WSAEVENT ev;
	SOCKET t, c;
	int len, e;

	NEED_MODULE();
	/* A port nobody listens on: bind one, close it. */
	t = new_socket(AF_INET, SOCK_STREAM);
	closed = loopback(AF_INET, 0, &len);
	ASSERT_EQ(0, WSPBind(t, (struct sockaddr *)&closed, len, &e));
	ASSERT_EQ(0, WSPGetSockName(t, (struct sockaddr *)&closed, &len, &e));
	ASSERT_EQ(0, WSPCloseSocket(t, &e));
	c = new_socket(AF_INET, SOCK_STREAM);
	ev = WSPCreateEvent(&e);
	ASSERT_EQ(0, WSPEventSelect(c, ev, FD_CONNECT | FD_WRITE, &e));
	/* Over loopback the reset may come before connect(2) returns. */
	e = 0;
	ASSERT_EQ(SOCKET_ERROR, WSPConnect(c, (struct sockaddr *)&closed, len,
					   NULL, NULL, NULL, NULL, &e));
	ASSERT_TRUE(e == WSAEWOULDBLOCK || e == WSAECONNREFUSED) TH_LOG("%d", e);
	ASSERT_EQ(1, WSPWaitForEvent(ev, WAIT_MS, &e));
	memset(&ne, 0, sizeof(ne));
	ASSERT_EQ(0, WSPEnumNetworkEvents(c, ev, &ne, &e));
	EXPECT_EQ(FD_CONNECT, ne.lNetworkEvents);
	EXPECT_EQ(WSAECONNREFUSED, ne.iErrorCode[FD_CONNECT_BIT]);
}

TEST(event_select_accept_and_connect)
{
	struct sockaddr_storage addr;
	WSANETWORKEVENTS ne;
	WSAEVENT le, ce;
	SOCKET l, c, s;
	int len, e;

	NEED_MODULE();
	l = listener(AF_INET, 4, &addr, &len);
	le = WSPCreateEvent(&e);
	ce = WSPCreateEvent(&e);
	ASSERT_EQ(0, WSPEventSelect(l, le, FD_ACCEPT, &e));
	c = new_socket(AF_INET, SOCK_STREAM);
	ASSERT_EQ(0, WSPEventSelect(c, ce, FD_CONNECT | FD_WRITE, &e));
	/* Non-blocking now: the connect is in progress. */
	ASSERT_WSA(WSAEWOULDBLOCK, WSPConnect(c, (struct sockaddr *)&addr, len,
					      NULL, NULL, NULL, NULL, &e));
	ASSERT_EQ(1, WSPWaitForEvent(ce, WAIT_MS, &e));
	memset(&ne, 0, sizeof(ne));
	ASSERT_EQ(0, WSPEnumNetworkEvents(c, ce, &ne, &e));
	EXPECT_TRUE(ne.lNetworkEvents & FD_CONNECT);
	EXPECT_EQ(0, ne.iErrorCode[FD_CONNECT_BIT]);
	ASSERT_EQ(1, WSPWaitForEvent(le, WAIT_MS, &e));
	ASSERT_EQ(0, WSPEnumNetworkEvents(l, le, &ne, &e));
	EXPECT_EQ(FD_ACCEPT, ne.lNetworkEvents);
	s = WSPAccept(l, NULL, NULL, NULL, 0, &e);
	ASSERT_LE(0, s);
	/* The accepted socket inherits the registration: non-blocking. */
	EXPECT_EQ(1, is_nonblocking(s));
}

TEST(event_select_errors)
{
	WSANETWORKEVENTS ne;
	SOCKET s;
	WSAEVENT ev, closed;
	HWND w;
	int e, p[2];

	NEED_MODULE();
	s = new_socket(AF_INET, SOCK_STREAM);
	ev = WSPCreateEvent(&e);
	closed = WSPCreateEvent(&e);
	w = WSPCreateWindow(&e);
	ASSERT_EQ(0, pipe(p));
	ASSERT_EQ(0, WSPCloseEvent(closed, &e));
	ASSERT_WSA(WSAEINVAL, WSPEventSelect(s, ev, 0x400, &e));
	ASSERT_WSA(WSAEINVAL, WSPEventSelect(s, ev, -1, &e));
	ASSERT_WSA(WSAEINVAL, WSPEventSelect(s, ev, 0x100000000L | FD_READ, &e));
	ASSERT_WSA(WSAEINVAL, WSPEventSelect(s, closed, FD_READ, &e));
	ASSERT_WSA(WSAEINVAL, WSPEventSelect(s, w, FD_READ, &e));
	ASSERT_WSA(WSAEINVAL, WSPEventSelect(s, p[0], FD_READ, &e));
	/* A rejected call changed nothing: still blocking. */
	EXPECT_EQ(0, is_nonblocking(s));
	/* Every FD_* bit may be selected; a zero mask cancels. */
	ASSERT_EQ(0, WSPEventSelect(s, ev, FD_ALL_EVENTS, &e));
	ASSERT_EQ(0, WSPEventSelect(s, WSA_INVALID_EVENT, 0, &e));
	ASSERT_WSA(WSAEFAULT, WSPEnumNetworkEvents(s, ev, NULL, &e));
	ASSERT_WSA(WSAEINVAL, WSPEnumNetworkEvents(s, p[0], &ne, &e));
	ASSERT_WSA(WSAEINVAL, WSPEnumNetworkEvents(s, closed, &ne, &e));
	/* No event-select active: success, no events (spec A7). */
	memset(&ne, 0xff, sizeof(ne));
	ASSERT_EQ(0, WSPEnumNetworkEvents(s, ev, &ne, &e));
	EXPECT_EQ(0, ne.lNetworkEvents);
}

/* ---------------------------------------------------------------- */
/* Windows and WSPAsyncSelect                                        */
/* ---------------------------------------------------------------- */

TEST(window_async_select_messages)
{
	SOCKET l, c, s;
	char buf[8];
	MSG msg;
	HWND w;
	int e = 606;

	NEED_MODULE();
	TCP_PAIR(AF_INET, l, c, s);
	w = WSPCreateWindow(&e);
	ASSERT_LE(0, w);
	EXPECT_EQ(FD_CLOEXEC, fcntl(w, F_GETFD) & FD_CLOEXEC);
	ASSERT_EQ(0, WSPGetMessage(w, &msg, 0, &e));
	ASSERT_EQ(0, WSPAsyncSelect(c, w, WM_SOCKET, FD_READ | FD_CLOSE, &e));
	EXPECT_EQ(1, is_nonblocking(c));
	ASSERT_EQ(3, send_str(s, "abc", 0));
	memset(&msg, 0, sizeof(msg));
	ASSERT_EQ(1, WSPGetMessage(w, &msg, WAIT_MS, &e));
	EXPECT_EQ(w, msg.hwnd);
	EXPECT_EQ(WM_SOCKET, msg.message);
	EXPECT_EQ((WPARAM)c, msg.wParam);
	EXPECT_EQ(FD_READ, WSAGETSELECTEVENT(msg.lParam));
	EXPECT_EQ(0, WSAGETSELECTERROR(msg.lParam));
	/* Held until the re-enabling receive. */
	ASSERT_EQ(0, WSPGetMessage(w, &msg, 0, &e));
	ASSERT_EQ(3, recv_str(c, buf, sizeof(buf), 0));
	ASSERT_EQ(0, WSPCloseSocket(s, &e));
	ASSERT_EQ(1, WSPGetMessage(w, &msg, WAIT_MS, &e));
	EXPECT_EQ(FD_CLOSE, WSAGETSELECTEVENT(msg.lParam));
	EXPECT_EQ(0, WSAGETSELECTERROR(msg.lParam));
	EXPECT_EQ(606, e);
	ASSERT_EQ(0, WSPDestroyWindow(w, &e));
}

/* A reset posts FD_CLOSE with WSAECONNABORTED in lParam (spec A2). */
TEST(async_select_reset_posts_close_connaborted)
{
	struct linger lg = { 1, 0 };
	SOCKET l, c, s;
	MSG msg;
	HWND w;
	int e;

	NEED_MODULE();
	TCP_PAIR(AF_INET, l, c, s);
	w = WSPCreateWindow(&e);
	ASSERT_LE(0, w);
	ASSERT_EQ(0, WSPAsyncSelect(c, w, WM_SOCKET, FD_CLOSE, &e));
	ASSERT_EQ(0, WSPSetSockOpt(s, SOL_SOCKET, SO_LINGER, (char *)&lg, sizeof(lg), &e));
	ASSERT_EQ(0, WSPCloseSocket(s, &e));	/* abortive: a reset */
	memset(&msg, 0, sizeof(msg));
	ASSERT_EQ(1, WSPGetMessage(w, &msg, WAIT_MS, &e));
	EXPECT_EQ((WPARAM)c, msg.wParam);
	EXPECT_EQ(FD_CLOSE, WSAGETSELECTEVENT(msg.lParam));
	EXPECT_EQ(WSAECONNABORTED, WSAGETSELECTERROR(msg.lParam));
}

/*
 * A socket accepted from an async-selected listener posts to the same
 * window with its own descriptor as wParam, as on Windows: WSPAccept
 * registers it through the new descriptor, which posts FD_WRITE at once.
 */
TEST(accept_on_async_listener_messages_carry_accepted_socket)
{
	struct sockaddr_storage addr;
	struct wsp_registration r;
	SOCKET l, c, s;
	int len, e;
	MSG msg;
	HWND w;

	NEED_MODULE();
	l = listener(AF_INET, 4, &addr, &len);
	ASSERT_LE(0, l);
	w = WSPCreateWindow(&e);
	ASSERT_LE(0, w);
	ASSERT_EQ(0, WSPAsyncSelect(l, w, WM_SOCKET,
				    FD_ACCEPT | FD_READ | FD_WRITE | FD_CLOSE, &e));
	c = new_socket(AF_INET, SOCK_STREAM);
	ASSERT_EQ(0, WSPConnect(c, (struct sockaddr *)&addr, len, NULL, NULL,
				NULL, NULL, &e));
	memset(&msg, 0, sizeof(msg));
	ASSERT_EQ(1, WSPGetMessage(w, &msg, WAIT_MS, &e));
	EXPECT_EQ((WPARAM)l, msg.wParam);
	EXPECT_EQ(FD_ACCEPT, WSAGETSELECTEVENT(msg.lParam));

	s = WSPAccept(l, NULL, NULL, NULL, 0, &e);
	ASSERT_LE(0, s);
	memset(&r, 0, sizeof(r));
	ASSERT_EQ(0, ioctl(s, WSP_IOC_GET_REGISTRATION, &r));
	EXPECT_EQ(WSP_REG_ASYNC, r.kind);
	EXPECT_EQ((uint64_t)s, r.descriptor);
	EXPECT_EQ((uint32_t)WM_SOCKET, r.message);
	/* Connected and writable: FD_WRITE, from the accepted socket. */
	ASSERT_EQ(1, WSPGetMessage(w, &msg, WAIT_MS, &e));
	EXPECT_EQ((WPARAM)s, msg.wParam);
	EXPECT_EQ(FD_WRITE, WSAGETSELECTEVENT(msg.lParam));
	ASSERT_EQ(1, send_str(c, "x", 0));
	ASSERT_EQ(1, WSPGetMessage(w, &msg, WAIT_MS, &e));
	EXPECT_EQ((WPARAM)s, msg.wParam);
	EXPECT_EQ(WM_SOCKET, msg.message);
	EXPECT_EQ(FD_READ, WSAGETSELECTEVENT(msg.lParam));
	EXPECT_EQ(0, WSAGETSELECTERROR(msg.lParam));
}

TEST(window_get_message_times_out)
{
	MSG msg;
	HWND w;
	int e;
	long t0;

	NEED_MODULE();
	w = WSPCreateWindow(&e);
	ASSERT_LE(0, w);
	t0 = now_ms();
	EXPECT_EQ(0, WSPGetMessage(w, &msg, 50, &e));
	EXPECT_LE(40, now_ms() - t0);
}

TEST(window_and_async_select_errors)
{
	SOCKET s;
	HWND w, gone;
	WSAEVENT ev;
	MSG msg;
	int e, p[2];

	NEED_MODULE();
	s = new_socket(AF_INET, SOCK_STREAM);
	w = WSPCreateWindow(&e);
	gone = WSPCreateWindow(&e);
	ev = WSPCreateEvent(&e);
	ASSERT_EQ(0, pipe(p));
	ASSERT_EQ(0, WSPDestroyWindow(gone, &e));
	ASSERT_WSA(WSA_INVALID_HANDLE, WSPDestroyWindow(gone, &e));
	ASSERT_WSA(WSA_INVALID_HANDLE, WSPGetMessage(gone, &msg, 0, &e));
	ASSERT_WSA(WSA_INVALID_HANDLE, WSPDestroyWindow(ev, &e));
	ASSERT_WSA(WSA_INVALID_HANDLE, WSPGetMessage(ev, &msg, 0, &e));
	ASSERT_WSA(WSA_INVALID_HANDLE, WSPGetMessage(s, &msg, 0, &e));
	ASSERT_WSA(WSA_INVALID_HANDLE, WSPDestroyWindow(-1, &e));
	ASSERT_WSA(WSAEFAULT, WSPGetMessage(w, NULL, 0, &e));
	EXPECT_LE(0, fcntl(ev, F_GETFD));

	ASSERT_WSA(WSAEINVAL, WSPAsyncSelect(s, w, WM_SOCKET, 0x400, &e));
	ASSERT_WSA(WSAEINVAL, WSPAsyncSelect(s, w, WM_SOCKET, -2, &e));
	ASSERT_WSA(WSAEINVAL, WSPAsyncSelect(s, gone, WM_SOCKET, FD_READ, &e));
	ASSERT_WSA(WSAEINVAL, WSPAsyncSelect(s, ev, WM_SOCKET, FD_READ, &e));
	ASSERT_WSA(WSAEINVAL, WSPAsyncSelect(s, p[0], WM_SOCKET, FD_READ, &e));
	EXPECT_EQ(0, is_nonblocking(s));
	ASSERT_EQ(0, WSPAsyncSelect(s, w, WM_SOCKET, FD_ALL_EVENTS, &e));
	/* A zero mask cancels; the window is then not looked at. */
	ASSERT_EQ(0, WSPAsyncSelect(s, -1, 0, 0, &e));
}

/* An async-select replaces an event-select, and back (one registration). */
TEST(one_registration_per_socket)
{
	WSANETWORKEVENTS ne;
	SOCKET l, c, s;
	WSAEVENT ev;
	MSG msg;
	HWND w;
	int e;

	NEED_MODULE();
	TCP_PAIR(AF_INET, l, c, s);
	ev = WSPCreateEvent(&e);
	w = WSPCreateWindow(&e);
	ASSERT_EQ(0, WSPEventSelect(c, ev, FD_READ, &e));
	ASSERT_EQ(0, WSPAsyncSelect(c, w, WM_SOCKET, FD_READ, &e));
	ASSERT_EQ(2, send_str(s, "hi", 0));
	ASSERT_EQ(1, WSPGetMessage(w, &msg, WAIT_MS, &e));
	EXPECT_EQ(FD_READ, WSAGETSELECTEVENT(msg.lParam));
	/* The message was posted, so the event object was not signalled. */
	EXPECT_EQ(0, WSPWaitForEvent(ev, 0, &e));
	/* With no event-select, enumeration reports nothing. */
	memset(&ne, 0, sizeof(ne));
	ASSERT_EQ(0, WSPEnumNetworkEvents(c, ev, &ne, &e));
	EXPECT_EQ(0, ne.lNetworkEvents);
	/* Back to event-select: the recorded FD_READ signals at once. */
	ASSERT_EQ(0, WSPEventSelect(c, ev, FD_READ, &e));
	ASSERT_EQ(1, WSPWaitForEvent(ev, WAIT_MS, &e));
	ASSERT_EQ(0, WSPEnumNetworkEvents(c, ev, &ne, &e));
	EXPECT_EQ(FD_READ, ne.lNetworkEvents);
}

/* ---------------------------------------------------------------- */
/* wspshare's extension: the notice to a displaced registration      */
/* ---------------------------------------------------------------- */

/* Another descriptor of this process, made by duplication to itself. */
static SOCKET second_descriptor(SOCKET s)
{
	WSAPROTOCOL_INFOW pi;
	int e;

	if (WSPDuplicateSocket(s, getpid(), &pi, &e))
		return INVALID_SOCKET;
	return WSPSocket(FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO,
			 FROM_PROTOCOL_INFO, &pi, 0, 0, &e);
}

/*
 * A connection (@l, @c, @s), a second descriptor @c2 of @c and two event
 * objects: @ev event-selected on @c for FD_READ with @flags, @ev2 for the
 * displacing registration through @c2.
 */
static void displaced_setup(struct __test_metadata *_metadata, SOCKET *l,
			    SOCKET *c, SOCKET *s, SOCKET *c2, WSAEVENT *ev,
			    WSAEVENT *ev2, DWORD flags)
{
	int e;

	ASSERT_EQ(0, tcp_pair(AF_INET, l, c, s));
	*c2 = second_descriptor(*c);
	ASSERT_LE(0, *c2);
	*ev = WSPCreateEvent(&e);
	*ev2 = WSPCreateEvent(&e);
	ASSERT_EQ(0, WSPEventSelectEx(*c, *ev, FD_READ, flags, &e));
}

/*
 * WSPEventSelectEx asked for the notice; a registration through another
 * descriptor signals the event object, and WSPEnumNetworkEventsEx says
 * who, once.
 */
TEST(event_select_ex_displaced_names_displacer)
{
	WSANETWORKEVENTS ne;
	WSPDISPLACEMENT d;
	SOCKET l, c, s, c2;
	WSAEVENT ev, ev2;
	int e;

	NEED_MODULE();
	displaced_setup(_metadata, &l, &c, &s, &c2, &ev, &ev2,
			WSP_SELECT_NOTIFY_DISPLACED);
	ASSERT_EQ(0, WSPWaitForEvent(ev, 0, &e));
	ASSERT_EQ(0, WSPEventSelect(c2, ev2, FD_READ, &e));
	ASSERT_EQ(1, WSPWaitForEvent(ev, 0, &e));

	memset(&ne, 0, sizeof(ne));
	memset(&d, 0xff, sizeof(d));
	ASSERT_EQ(0, WSPEnumNetworkEventsEx(c, ev, &ne, &d, &e));
	EXPECT_EQ(WSP_FD_DISPLACED, ne.lNetworkEvents);
	EXPECT_EQ((DWORD)getpid(), d.dwProcessId);
	EXPECT_EQ(0, d.dwReserved);
	EXPECT_EQ((uint64_t)c2, d.Descriptor);
	EXPECT_EQ(0, WSPWaitForEvent(ev, 0, &e));
	ASSERT_EQ(0, WSPEnumNetworkEventsEx(c, ev, &ne, NULL, &e));
	EXPECT_EQ(0, ne.lNetworkEvents);
}

/* The plain WSPEnumNetworkEvents reports the bit too. */
TEST(enum_network_events_reports_displaced_bit)
{
	WSANETWORKEVENTS ne;
	SOCKET l, c, s, c2;
	WSAEVENT ev, ev2;
	int e;

	NEED_MODULE();
	displaced_setup(_metadata, &l, &c, &s, &c2, &ev, &ev2,
			WSP_SELECT_NOTIFY_DISPLACED);
	ASSERT_EQ(0, WSPEventSelect(c2, ev2, 0, &e));
	memset(&ne, 0, sizeof(ne));
	ASSERT_EQ(0, WSPEnumNetworkEvents(c, ev, &ne, &e));
	EXPECT_EQ(WSP_FD_DISPLACED, ne.lNetworkEvents);
}

/*
 * WSPAsyncSelectEx asked for the notice: one message, lParam
 * WSAMAKESELECTREPLY(WSP_FD_DISPLACED, 0), wParam the socket it was made
 * through; WSPGetMessageEx gives the displacing process.
 */
TEST(async_select_ex_displaced_message)
{
	SOCKET l, c, s, c2;
	DWORD pid = 77;
	WSAEVENT ev;
	MSG msg;
	HWND w;
	int e;

	NEED_MODULE();
	TCP_PAIR(AF_INET, l, c, s);
	c2 = second_descriptor(c);
	ASSERT_LE(0, c2);
	w = WSPCreateWindow(&e);
	ASSERT_LE(0, w);
	ev = WSPCreateEvent(&e);
	ASSERT_EQ(0, WSPAsyncSelectEx(c, w, WM_SOCKET, FD_READ,
				      WSP_SELECT_NOTIFY_DISPLACED, &e));
	ASSERT_EQ(0, WSPEventSelect(c2, ev, FD_READ, &e));

	memset(&msg, 0, sizeof(msg));
	ASSERT_EQ(1, WSPGetMessageEx(w, &msg, &pid, 0, &e));
	EXPECT_EQ(w, msg.hwnd);
	EXPECT_EQ(WM_SOCKET, msg.message);
	EXPECT_EQ((WPARAM)c, msg.wParam);
	EXPECT_EQ(WSAMAKESELECTREPLY(WSP_FD_DISPLACED, 0), msg.lParam);
	EXPECT_EQ(WSP_FD_DISPLACED, WSAGETSELECTEVENT(msg.lParam));
	EXPECT_EQ((DWORD)getpid(), pid);
	EXPECT_EQ(0, WSPGetMessage(w, &msg, 0, &e));
}

/* An ordinary message leaves WSPGetMessageEx's process id at 0. */
TEST(get_message_ex_process_id_zero_for_events)
{
	SOCKET l, c, s;
	DWORD pid = 77;
	MSG msg;
	HWND w;
	int e;

	NEED_MODULE();
	TCP_PAIR(AF_INET, l, c, s);
	w = WSPCreateWindow(&e);
	ASSERT_LE(0, w);
	ASSERT_EQ(0, WSPAsyncSelectEx(c, w, WM_SOCKET, FD_WRITE,
				      WSP_SELECT_NOTIFY_DISPLACED, &e));
	ASSERT_EQ(1, WSPGetMessageEx(w, &msg, &pid, WAIT_MS, &e));
	EXPECT_EQ(FD_WRITE, WSAGETSELECTEVENT(msg.lParam));
	EXPECT_EQ(0, pid);
}

/* Another process, through the descriptor it inherited: told its pid. */
TEST(displaced_by_another_process_names_it)
{
	int to_child[2], from_child[2], e;
	WSANETWORKEVENTS ne;
	WSPDISPLACEMENT d;
	SOCKET l, c, s;
	WSAEVENT ev;
	pid_t b;
	char go;

	NEED_MODULE();
	TCP_PAIR(AF_INET, l, c, s);
	ev = WSPCreateEvent(&e);
	ASSERT_EQ(0, WSPEventSelectEx(c, ev, FD_READ,
				      WSP_SELECT_NOTIFY_DISPLACED, &e));
	ASSERT_EQ(0, pipe(to_child));
	ASSERT_EQ(0, pipe(from_child));
	b = fork();
	ASSERT_LE(0, b);
	if (b == 0) {
		WSAEVENT bev = WSPCreateEvent(&e);

		if (bev < 0 || WSPEventSelect(c, bev, FD_WRITE, &e))
			_exit(1);
		if (write_all(from_child[1], "r", 1) ||
		    read_all(to_child[0], &go, 1))
			_exit(2);
		_exit(0);
	}
	ASSERT_EQ(0, read_all(from_child[0], &go, 1));
	ASSERT_EQ(1, WSPWaitForEvent(ev, 0, &e));
	memset(&ne, 0, sizeof(ne));
	ASSERT_EQ(0, WSPEnumNetworkEventsEx(c, ev, &ne, &d, &e));
	EXPECT_EQ(WSP_FD_DISPLACED, ne.lNetworkEvents);
	EXPECT_EQ((DWORD)b, d.dwProcessId);
	EXPECT_EQ((uint64_t)c, d.Descriptor);
	ASSERT_EQ(0, write_all(to_child[1], "x", 1));
	EXPECT_EQ(0, child_status(b));
}

/* Without the flag, WSPEventSelect stays silent, as in Windows. */
TEST(event_select_displaced_silently_without_flag)
{
	WSANETWORKEVENTS ne;
	SOCKET l, c, s, c2;
	WSAEVENT ev, ev2;
	int e;

	NEED_MODULE();
	displaced_setup(_metadata, &l, &c, &s, &c2, &ev, &ev2, 0);
	ASSERT_EQ(0, WSPEventSelect(c2, ev2, FD_READ, &e));
	EXPECT_EQ(0, WSPWaitForEvent(ev, 0, &e));
	memset(&ne, 0, sizeof(ne));
	ASSERT_EQ(0, WSPEnumNetworkEvents(c, ev, &ne, &e));
	EXPECT_EQ(0, ne.lNetworkEvents);
}

/* Unknown flags, and WSP_FD_DISPLACED in a mask: WSAEINVAL. */
TEST(select_ex_errors)
{
	SOCKET l, c, s;
	WSAEVENT ev;
	HWND w;
	int e;

	NEED_MODULE();
	TCP_PAIR(AF_INET, l, c, s);
	ev = WSPCreateEvent(&e);
	w = WSPCreateWindow(&e);
	EXPECT_WSA(WSAEINVAL, WSPEventSelectEx(c, ev, FD_READ,
					       WSP_SELECT_NOTIFY_DISPLACED << 1,
					       &e));
	EXPECT_WSA(WSAEINVAL, WSPAsyncSelectEx(c, w, WM_SOCKET, FD_READ,
					       0x80000000u, &e));
	EXPECT_WSA(WSAEINVAL, WSPEventSelectEx(c, ev, WSP_FD_DISPLACED,
					       WSP_SELECT_NOTIFY_DISPLACED, &e));
	EXPECT_WSA(WSAEINVAL, WSPAsyncSelect(c, w, WM_SOCKET,
					     FD_READ | WSP_FD_DISPLACED, &e));
	EXPECT_WSA(WSAENOTSOCK, WSPEventSelectEx(ev, ev, FD_READ,
						 WSP_SELECT_NOTIFY_DISPLACED,
						 &e));
}

/* ---------------------------------------------------------------- */
/* The seed's scenario, with WSP* calls only                          */
/* ---------------------------------------------------------------- */

/*
 * "Issuing either of these calls using any of the shared descriptors
 * cancels any previous event registration for the socket, regardless of
 * which descriptor was used to make that registration. Thus, for example,
 * it would not be possible to have process A receive FD_READ events and
 * process B receive FD_WRITE events."
 *
 * A registers async-select for FD_READ and duplicates the socket into B;
 * B redeems it and registers event-select for FD_WRITE. The peer sends:
 * A's window gets nothing, B got FD_WRITE. A registers again and gets
 * FD_READ at once (the data waits); B's event stays quiet.
 */
TEST(seed_process_a_and_b_share_one_registration)
{
	int a_to_b[2], b_to_a[2], e;
	WSAPROTOCOL_INFOW pi;
	SOCKET l, sock, peer;
	char go;
	MSG msg;
	HWND w;
	pid_t b;

	NEED_MODULE();
	TCP_PAIR(AF_INET, l, sock, peer);
	w = WSPCreateWindow(&e);
	ASSERT_LE(0, w);
	ASSERT_EQ(0, WSPAsyncSelect(sock, w, WM_SOCKET, FD_READ, &e));
	ASSERT_EQ(0, pipe(a_to_b));
	ASSERT_EQ(0, pipe(b_to_a));
	b = fork();
	ASSERT_LE(0, b);
	if (b == 0) {
		WSANETWORKEVENTS ne;
		WSAEVENT ev;
		SOCKET d;

		d = child_socket_from(a_to_b[0]);
		ev = WSPCreateEvent(&e);
		if (ev < 0 || WSPEventSelect(d, ev, FD_WRITE, &e))
			_exit(4);
		/* The connection is writable: FD_WRITE, and only that. */
		if (WSPWaitForEvent(ev, WAIT_MS, &e) != 1)
			_exit(5);
		memset(&ne, 0, sizeof(ne));
		if (WSPEnumNetworkEvents(d, ev, &ne, &e) || ne.lNetworkEvents != FD_WRITE)
			_exit(6);
		if (write_all(b_to_a[1], "r", 1))
			_exit(7);
		/* A has re-registered: B's event object hears nothing. */
		if (read_all(a_to_b[0], &go, 1))
			_exit(8);
		if (WSPWaitForEvent(ev, 0, &e) != 0)
			_exit(9);
		_exit(0);
	}
	ASSERT_EQ(0, WSPDuplicateSocket(sock, b, &pi, &e));
	ASSERT_EQ(0, write_all(a_to_b[1], &pi, sizeof(pi)));
	ASSERT_EQ(0, read_all(b_to_a[0], &go, 1));

	/* B's call has returned. The peer's data arrives at the socket. */
	ASSERT_EQ(5, send_str(peer, "hello", 0));
	ASSERT_TRUE(readable(sock, POLLIN, WAIT_MS));
	/* A's window receives nothing: B holds the registration. */
	EXPECT_EQ(0, WSPGetMessage(w, &msg, 0, &e));

	/* A registers again and takes the socket back. */
	ASSERT_EQ(0, WSPAsyncSelect(sock, w, WM_SOCKET, FD_READ, &e));
	ASSERT_EQ(1, WSPGetMessage(w, &msg, WAIT_MS, &e));
	EXPECT_EQ(FD_READ, WSAGETSELECTEVENT(msg.lParam));
	EXPECT_EQ((WPARAM)sock, msg.wParam);
	ASSERT_EQ(0, write_all(a_to_b[1], "x", 1));
	EXPECT_EQ(0, child_status(b));
}

TEST_HARNESS_MAIN

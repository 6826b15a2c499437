// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * socket.c - the device, creating and closing descriptors, addresses,
 * connections: WSPSocket, WSPCloseSocket, WSPBind, WSPListen, WSPAccept,
 * WSPConnect, WSPShutdown, WSPGetSockName, WSPGetPeerName.
 */
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

/*
 * /dev/wspshare, opened on first use and kept. The open is lock-free: a
 * thread that loses the race closes its own fd. A failed open (no module)
 * is retried on the next call.
 */
static int wsp_dev_fd = -1;

int wsp_device(void)
{
	int fd = __atomic_load_n(&wsp_dev_fd, __ATOMIC_ACQUIRE);
	int expected = -1;

	if (fd >= 0)
		return fd;
	fd = open(WSP_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (!__atomic_compare_exchange_n(&wsp_dev_fd, &expected, fd, 0,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		close(fd);
		fd = expected;
	}
	return fd;
}

/* What @s refers to: 0, or -errno (EBADF, ENOTTY: not a descriptor). */
int wsp_socket_info(SOCKET s, struct wsp_socket_info *info)
{
	memset(info, 0, sizeof(*info));
	if (s < 0)
		return -EBADF;
	return ioctl(s, WSP_IOC_SOCKET_INFO, info) < 0 ? -errno : 0;
}

/*
 * The sockets this process shut down for sending through WSPShutdown, by
 * socket id (ids are never reused while the module is loaded), for M-3.
 * Forgotten when the socket's last descriptor is closed through
 * WSPCloseSocket.
 */
static char wsp_shut_lock;
static uint64_t *wsp_shut_ids;
static size_t wsp_shut_count, wsp_shut_size;

static void wsp_shut_acquire(void)
{
	while (__atomic_test_and_set(&wsp_shut_lock, __ATOMIC_ACQUIRE))
		;
}

static void wsp_shut_release(void)
{
	__atomic_clear(&wsp_shut_lock, __ATOMIC_RELEASE);
}

static size_t wsp_shut_find(uint64_t id)
{
	size_t i;

	for (i = 0; i < wsp_shut_count; i++)
		if (wsp_shut_ids[i] == id)
			return i;
	return (size_t)-1;
}

static void wsp_note_shut_down(uint64_t id)
{
	wsp_shut_acquire();
	if (wsp_shut_find(id) == (size_t)-1) {
		if (wsp_shut_count == wsp_shut_size) {
			size_t size = wsp_shut_size ? 2 * wsp_shut_size : 16;
			uint64_t *ids = realloc(wsp_shut_ids, size * sizeof(*ids));

			if (ids) {
				wsp_shut_ids = ids;
				wsp_shut_size = size;
			}
		}
		if (wsp_shut_count < wsp_shut_size)
			wsp_shut_ids[wsp_shut_count++] = id;
	}
	wsp_shut_release();
}

static void wsp_forget_shut_down(uint64_t id)
{
	size_t i;

	wsp_shut_acquire();
	i = wsp_shut_find(id);
	if (i != (size_t)-1)
		wsp_shut_ids[i] = wsp_shut_ids[--wsp_shut_count];
	wsp_shut_release();
}

int wsp_was_shut_down(uint64_t id)
{
	int found;

	wsp_shut_acquire();
	found = wsp_shut_find(id) != (size_t)-1;
	wsp_shut_release();
	return found;
}

/* The size of a full socket address of @family; 0 for another family. */
int wsp_sockaddr_size(int family)
{
	return family == AF_INET ? (int)sizeof(struct sockaddr_in) :
	       family == AF_INET6 ? (int)sizeof(struct sockaddr_in6) : 0;
}

/*
 * A caller's address for the module: 0, or the Winsock code (WSAEFAULT
 * for a missing name or a length too short for its family).
 */
int wsp_addr_in(const struct sockaddr *name, int namelen,
		struct wsp_sockaddr *out)
{
	memset(out, 0, sizeof(*out));
	if (!name || namelen < (int)sizeof(sa_family_t))
		return WSAEFAULT;
	if (name->sa_family == AF_INET && namelen < (int)sizeof(struct sockaddr_in))
		return WSAEFAULT;
	/* Linux takes RFC 2133's 24-byte sockaddr_in6 too. */
	if (name->sa_family == AF_INET6 && namelen < 24)
		return WSAEFAULT;
	if (namelen > WSP_SOCKADDR_MAX)
		namelen = WSP_SOCKADDR_MAX;
	out->len = namelen;
	memcpy(out->data, name, namelen);
	return 0;
}

/* An address for the caller: 0, or WSAEFAULT when it does not fit. */
int wsp_addr_out(const struct wsp_sockaddr *in, struct sockaddr *name,
		 int *namelen)
{
	if (!name || !namelen || *namelen < 0 || (uint32_t)*namelen < in->len)
		return WSAEFAULT;
	memcpy(name, in->data, in->len);
	*namelen = in->len;
	return 0;
}

SOCKET WSPSocket(int af, int type, int protocol,
		 WSAPROTOCOL_INFOW *lpProtocolInfo, GROUP g, DWORD dwFlags,
		 int *lpErrno)
{
	struct wsp_socket_args a;
	unsigned int flags = 0;
	int dev, fd;

	if (g != 0)
		return wsp_fail(lpErrno, WSAEINVAL);
	if (dwFlags & ~(DWORD)(WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT))
		return wsp_fail(lpErrno, WSAEINVAL);
	if (dwFlags & WSA_FLAG_NO_HANDLE_INHERIT)
		flags |= WSP_FD_CLOEXEC;
	if (lpProtocolInfo)
		return wsp_redeem(af, type, protocol, lpProtocolInfo, flags, lpErrno);
	if (af == FROM_PROTOCOL_INFO || type == FROM_PROTOCOL_INFO ||
	    protocol == FROM_PROTOCOL_INFO)
		return wsp_fail(lpErrno, WSAEINVAL);

	dev = wsp_device();
	if (dev < 0)
		return wsp_fail_errno(-1, -dev, WSP_OP_DEVICE, 0, lpErrno);
	memset(&a, 0, sizeof(a));
	a.flags = flags;
	a.family = af;
	a.type = type;
	a.protocol = protocol;
	fd = ioctl(dev, WSP_IOC_SOCKET, &a);
	if (fd < 0)
		return wsp_fail(lpErrno, wsp_wsa_from_errno(errno));
	return fd;
}

int WSPCloseSocket(SOCKET s, int *lpErrno)
{
	struct wsp_socket_info info;

	/* Only a descriptor: never close another kind of file. */
	if (wsp_socket_info(s, &info))
		return wsp_fail(lpErrno, WSAENOTSOCK);
	if (info.descriptors == 1)
		wsp_forget_shut_down(info.socket_id);
	/* Linux closes the fd even when close() reports an error. */
	if (close(s) < 0 && errno == EBADF)
		return wsp_fail(lpErrno, WSAENOTSOCK);
	return 0;
}

static int wsp_addr_call(SOCKET s, unsigned long cmd,
			 const struct sockaddr *name, int namelen,
			 enum wsp_op op, int *lpErrno)
{
	struct wsp_addr_args a;
	int wsa;

	memset(&a, 0, sizeof(a));
	wsa = wsp_addr_in(name, namelen, &a.addr);
	if (wsa)
		return wsp_fail(lpErrno, wsa);
	if (ioctl(s, cmd, &a) < 0)
		return wsp_fail_errno(s, errno, op, 0, lpErrno);
	return 0;
}

int WSPBind(SOCKET s, const struct sockaddr *name, int namelen, int *lpErrno)
{
	return wsp_addr_call(s, WSP_IOC_BIND, name, namelen, WSP_OP_GENERIC,
			     lpErrno);
}

/* The local or peer address: 0 or -errno. */
static int wsp_getname(SOCKET s, unsigned long cmd, struct wsp_sockaddr *addr)
{
	struct wsp_addr_args a;

	memset(&a, 0, sizeof(a));
	if (ioctl(s, cmd, &a) < 0)
		return -errno;
	*addr = a.addr;
	return 0;
}

/* Whether a local address is the unbound one (any address, port 0). */
static int wsp_is_unbound(const struct wsp_sockaddr *addr)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)addr->data;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)addr->data;

	if (sin->sin_family == AF_INET)
		return !sin->sin_port && sin->sin_addr.s_addr == htonl(INADDR_ANY);
	if (sin->sin_family == AF_INET6)
		return !sin6->sin6_port &&
		       !memcmp(&sin6->sin6_addr, &in6addr_any, sizeof(in6addr_any));
	return 0;
}

int WSPListen(SOCKET s, int backlog, int *lpErrno)
{
	struct wsp_socket_info info;
	struct wsp_listen_args a;
	struct wsp_sockaddr addr;
	int err;

	err = wsp_socket_info(s, &info);
	if (err)
		return wsp_fail_errno(s, -err, WSP_OP_GENERIC, 0, lpErrno);
	if (info.type != SOCK_STREAM)
		return wsp_fail(lpErrno, WSAEOPNOTSUPP);
	/* Windows does not bind implicitly, and refuses a connected socket. */
	if (!wsp_getname(s, WSP_IOC_GETPEERNAME, &addr))
		return wsp_fail(lpErrno, WSAEISCONN);
	err = wsp_getname(s, WSP_IOC_GETSOCKNAME, &addr);
	if (err)
		return wsp_fail_errno(s, -err, WSP_OP_GENERIC, 0, lpErrno);
	if (wsp_is_unbound(&addr))
		return wsp_fail(lpErrno, WSAEINVAL);
	memset(&a, 0, sizeof(a));
	a.backlog = backlog;
	if (ioctl(s, WSP_IOC_LISTEN, &a) < 0)
		return wsp_fail_errno(s, errno, WSP_OP_GENERIC, 0, lpErrno);
	return 0;
}

SOCKET WSPAccept(SOCKET s, struct sockaddr *addr, int *addrlen,
		 void *lpfnCondition, uintptr_t dwCallbackData, int *lpErrno)
{
	struct wsp_socket_info info;
	struct wsp_accept_args a;
	int fd, err, cloexec;

	(void)dwCallbackData;
	if (lpfnCondition)
		return wsp_fail(lpErrno, WSAEOPNOTSUPP);
	err = wsp_socket_info(s, &info);
	if (err)
		return wsp_fail_errno(s, -err, WSP_OP_GENERIC, 0, lpErrno);
	/* Checked before a connection is taken, so that none is lost. */
	if (addr && (!addrlen || *addrlen < wsp_sockaddr_size(info.family)))
		return wsp_fail(lpErrno, WSAEFAULT);
	memset(&a, 0, sizeof(a));
	/* The new descriptor is close-on-exec if the listener's is. */
	cloexec = fcntl(s, F_GETFD);
	if (cloexec > 0 && (cloexec & FD_CLOEXEC))
		a.flags = WSP_FD_CLOEXEC;
	fd = ioctl(s, WSP_IOC_ACCEPT, &a);
	if (fd < 0)
		return wsp_fail_errno(s, errno, WSP_OP_ACCEPT, 0, lpErrno);
	if (addr)
		wsp_addr_out(&a.peer, addr, addrlen);
	return fd;
}

int WSPConnect(SOCKET s, const struct sockaddr *name, int namelen,
	       WSABUF *lpCallerData, WSABUF *lpCalleeData, void *lpSQOS,
	       void *lpGQOS, int *lpErrno)
{
	/* No connect data and no QOS over TCP or UDP. */
	if (lpSQOS || lpGQOS || (lpCallerData && lpCallerData->len))
		return wsp_fail(lpErrno, WSAEOPNOTSUPP);
	if (wsp_addr_call(s, WSP_IOC_CONNECT, name, namelen, WSP_OP_CONNECT,
			  lpErrno))
		return SOCKET_ERROR;
	if (lpCalleeData)
		lpCalleeData->len = 0;
	return 0;
}

int WSPShutdown(SOCKET s, int how, int *lpErrno)
{
	struct wsp_shutdown_args a;
	struct wsp_socket_info info;

	memset(&a, 0, sizeof(a));
	a.how = how;
	if (ioctl(s, WSP_IOC_SHUTDOWN, &a) < 0)
		return wsp_fail_errno(s, errno, WSP_OP_GENERIC, 0, lpErrno);
	if ((how == SD_SEND || how == SD_BOTH) && !wsp_socket_info(s, &info))
		wsp_note_shut_down(info.socket_id);
	return 0;
}

int WSPGetSockName(SOCKET s, struct sockaddr *name, int *namelen, int *lpErrno)
{
	struct wsp_sockaddr addr;
	int err, wsa;

	if (!name || !namelen)
		return wsp_fail(lpErrno, WSAEFAULT);
	err = wsp_getname(s, WSP_IOC_GETSOCKNAME, &addr);
	if (err)
		return wsp_fail_errno(s, -err, WSP_OP_GENERIC, 0, lpErrno);
	/* Windows: a socket not bound yet has no name. */
	if (wsp_is_unbound(&addr))
		return wsp_fail(lpErrno, WSAEINVAL);
	wsa = wsp_addr_out(&addr, name, namelen);
	return wsa ? wsp_fail(lpErrno, wsa) : 0;
}

int WSPGetPeerName(SOCKET s, struct sockaddr *name, int *namelen, int *lpErrno)
{
	struct wsp_sockaddr addr;
	int err, wsa;

	if (!name || !namelen)
		return wsp_fail(lpErrno, WSAEFAULT);
	err = wsp_getname(s, WSP_IOC_GETPEERNAME, &addr);
	if (err)
		return wsp_fail_errno(s, -err, WSP_OP_GENERIC, 0, lpErrno);
	wsa = wsp_addr_out(&addr, name, namelen);
	return wsa ? wsp_fail(lpErrno, wsa) : 0;
}

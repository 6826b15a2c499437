// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * socket.c - the device, creating and closing descriptors, addresses,
 * connections: WSPSocket, WSPCloseSocket, WSPBind, WSPListen, WSPAccept,
 * WSPConnect, WSPShutdown, WSPGetSockName, WSPGetPeerName.
 *
 * A descriptor is a file descriptor of a real socket: everything but
 * creation, duplication and notification is the socket system call, with
 * Windows' rules (no implicit bind, names of unbound sockets...) checked
 * here.
 */
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

/*
 * /dev/wspshare, opened on first use and kept. The open is lock-free: a
 * thread that loses the race closes its own fd. A failed open (no module,
 * or a module of another ABI: -EPROTO) is retried on the next call.
 */
static int wsp_dev_fd = -1;

int wsp_device(void)
{
	int fd = __atomic_load_n(&wsp_dev_fd, __ATOMIC_ACQUIRE);
	struct wsp_version v;
	int expected = -1;

	if (fd >= 0)
		return fd;
	fd = open(WSP_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* ABI 1 made descriptors that the socket system calls refuse. */
	memset(&v, 0, sizeof(v));
	if (ioctl(fd, WSP_IOC_VERSION, &v) < 0 || v.abi_version != WSP_ABI_VERSION) {
		close(fd);
		return -EPROTO;
	}
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
 * Forgotten when WSPCloseSocket closes the process's last descriptor of
 * the socket.
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

/*
 * Whether this process still has a file descriptor of the socket file
 * @st describes (every descriptor of a socket is one file, one inode).
 * Without /proc, it is assumed to have one.
 */
static int wsp_still_open(const struct stat *st)
{
	struct dirent *de;
	struct stat o;
	int found = 0;
	DIR *d;

	d = opendir("/proc/self/fd");
	if (!d)
		return 1;
	while (!found && (de = readdir(d))) {
		char *end;
		long fd = strtol(de->d_name, &end, 10);

		if (*end || end == de->d_name || fd == dirfd(d))
			continue;
		found = !fstat((int)fd, &o) && o.st_dev == st->st_dev &&
			o.st_ino == st->st_ino;
	}
	closedir(d);
	return found;
}

/* The size of a full socket address of @family; 0 for another family. */
int wsp_sockaddr_size(int family)
{
	return family == AF_INET ? (int)sizeof(struct sockaddr_in) :
	       family == AF_INET6 ? (int)sizeof(struct sockaddr_in6) : 0;
}

/*
 * A caller's address for a system call: 0 and its length in *@len, or the
 * Winsock code (WSAEFAULT for a missing name or a length too short for
 * its family). A longer length is cut to sizeof(struct sockaddr_storage),
 * as Windows ignores the excess.
 */
int wsp_addr_in(const struct sockaddr *name, int namelen, socklen_t *len)
{
	if (!name || namelen < (int)sizeof(sa_family_t))
		return WSAEFAULT;
	if (name->sa_family == AF_INET && namelen < (int)sizeof(struct sockaddr_in))
		return WSAEFAULT;
	/* Linux takes RFC 2133's 24-byte sockaddr_in6 too. */
	if (name->sa_family == AF_INET6 && namelen < 24)
		return WSAEFAULT;
	if (namelen > (int)sizeof(struct sockaddr_storage))
		namelen = sizeof(struct sockaddr_storage);
	*len = (socklen_t)namelen;
	return 0;
}

/* An address for the caller: 0, or WSAEFAULT when it does not fit. */
int wsp_addr_out(const struct sockaddr_storage *in, socklen_t len,
		 struct sockaddr *name, int *namelen)
{
	if (len > sizeof(*in))
		len = sizeof(*in);
	if (!name || !namelen || *namelen < 0 || (socklen_t)*namelen < len)
		return WSAEFAULT;
	memcpy(name, in, len);
	*namelen = (int)len;
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
	wsp_set_kind(fd, WSP_KIND_SOCKET);
	return fd;
}

/*
 * A descriptor libwsp made (wsp_kinds[]) is closed without a check when
 * this process has no M-3 note at all; a closed one fails close() with
 * EBADF. Anything else is checked with WSP_IOC_SOCKET_INFO first, which
 * also gives the socket id for the note.
 */
int WSPCloseSocket(SOCKET s, int *lpErrno)
{
	struct wsp_socket_info info;
	struct stat st;
	int noted = 0;

	if (wsp_kind(s) != WSP_KIND_SOCKET ||
	    __atomic_load_n(&wsp_shut_count, __ATOMIC_RELAXED)) {
		/* Only a descriptor: never close another kind of file. */
		if (wsp_socket_info(s, &info)) {
			if (wsp_kind(s) == WSP_KIND_SOCKET)
				wsp_set_kind(s, WSP_KIND_UNKNOWN);
			return wsp_fail(lpErrno, WSAENOTSOCK);
		}
		noted = wsp_was_shut_down(info.socket_id) && !fstat(s, &st);
	}
	/* Forgotten first: the number is free again once closed. */
	wsp_set_kind(s, WSP_KIND_UNKNOWN);
	/* Linux closes the fd even when close() reports an error. */
	if (close(s) < 0 && errno == EBADF)
		return wsp_fail(lpErrno, WSAENOTSOCK);
	if (noted && !wsp_still_open(&st))
		wsp_forget_shut_down(info.socket_id);
	return 0;
}

int WSPBind(SOCKET s, const struct sockaddr *name, int namelen, int *lpErrno)
{
	socklen_t len;
	int wsa;

	wsa = wsp_addr_in(name, namelen, &len);
	if (wsa)
		return wsp_fail(lpErrno, wsa);
	if (bind(s, name, len) < 0)
		return wsp_fail_errno(s, errno, WSP_OP_GENERIC, 0, lpErrno);
	return 0;
}

/* The local or peer address: 0 or -errno. */
static int wsp_getname(SOCKET s, int peer, struct sockaddr_storage *addr,
		       socklen_t *len)
{
	int ret;

	memset(addr, 0, sizeof(*addr));
	*len = sizeof(*addr);
	ret = peer ? getpeername(s, (struct sockaddr *)addr, len) :
		     getsockname(s, (struct sockaddr *)addr, len);
	return ret < 0 ? -errno : 0;
}

/* Whether a local address is the unbound one (any address, port 0). */
static int wsp_is_unbound(const struct sockaddr_storage *addr)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)addr;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)addr;

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
	struct sockaddr_storage addr;
	socklen_t len;
	int err;

	err = wsp_socket_info(s, &info);
	if (err)
		return wsp_fail_errno(s, -err, WSP_OP_GENERIC, 0, lpErrno);
	if (info.type != SOCK_STREAM)
		return wsp_fail(lpErrno, WSAEOPNOTSUPP);
	/* Windows does not bind implicitly, and refuses a connected socket. */
	if (!wsp_getname(s, 1, &addr, &len))
		return wsp_fail(lpErrno, WSAEISCONN);
	err = wsp_getname(s, 0, &addr, &len);
	if (err)
		return wsp_fail_errno(s, -err, WSP_OP_GENERIC, 0, lpErrno);
	if (wsp_is_unbound(&addr))
		return wsp_fail(lpErrno, WSAEINVAL);
	if (listen(s, backlog) < 0)
		return wsp_fail_errno(s, errno, WSP_OP_GENERIC, 0, lpErrno);
	return 0;
}

/*
 * A socket accepted from a listener with an async-select inherits it with
 * no descriptor number (the module cannot know what accept4 returned), and
 * its window hears nothing until an async-select names the number. When
 * this process made the listener's registration, the hwnd is its own
 * window's number: register again through @fd, as Windows' accepted
 * socket posts with its own handle as wParam. That posts every selected
 * condition true now (FD_WRITE at least). An inherited event-select needs
 * nothing: it signals without a number.
 */
static void wsp_adopt_registration(SOCKET fd)
{
	struct wsp_async_select_args a;
	struct wsp_registration r;

	memset(&r, 0, sizeof(r));
	if (ioctl(fd, WSP_IOC_GET_REGISTRATION, &r) < 0 ||
	    r.kind != WSP_REG_ASYNC || !r.mask ||
	    r.descriptor != WSP_DESCRIPTOR_UNKNOWN || r.pid != getpid() ||
	    r.hwnd > INT32_MAX)
		return;
	memset(&a, 0, sizeof(a));
	a.window = (int32_t)r.hwnd;
	a.message = r.message;
	a.mask = r.mask;
	a.descriptor = (uint64_t)(unsigned int)fd;
	/* A window closed meanwhile: the socket stays as inherited. */
	ioctl(fd, WSP_IOC_ASYNC_SELECT, &a);
}

SOCKET WSPAccept(SOCKET s, struct sockaddr *addr, int *addrlen,
		 void *lpfnCondition, uintptr_t dwCallbackData, int *lpErrno)
{
	struct wsp_socket_info info;
	struct sockaddr_storage peer;
	socklen_t len = sizeof(peer);
	int fd, err, fdflags, flags = 0;

	(void)dwCallbackData;
	if (lpfnCondition)
		return wsp_fail(lpErrno, WSAEOPNOTSUPP);
	err = wsp_socket_info(s, &info);
	if (err)
		return wsp_fail_errno(s, -err, WSP_OP_GENERIC, 0, lpErrno);
	/* Checked before a connection is taken, so that none is lost. */
	if (addr && (!addrlen || *addrlen < wsp_sockaddr_size(info.family)))
		return wsp_fail(lpErrno, WSAEFAULT);
	/*
	 * The new descriptor is close-on-exec if the listener's is. Its
	 * blocking mode is the listener's: the module sets it.
	 */
	fdflags = fcntl(s, F_GETFD);
	if (fdflags > 0 && (fdflags & FD_CLOEXEC))
		flags = SOCK_CLOEXEC;
	memset(&peer, 0, sizeof(peer));
	fd = accept4(s, (struct sockaddr *)&peer, &len, flags);
	if (fd < 0)
		return wsp_fail_errno(s, errno, WSP_OP_ACCEPT, 0, lpErrno);
	wsp_set_kind(fd, WSP_KIND_SOCKET);
	wsp_adopt_registration(fd);
	if (addr)
		wsp_addr_out(&peer, len, addr, addrlen);
	return fd;
}

int WSPConnect(SOCKET s, const struct sockaddr *name, int namelen,
	       WSABUF *lpCallerData, WSABUF *lpCalleeData, void *lpSQOS,
	       void *lpGQOS, int *lpErrno)
{
	socklen_t len;
	int wsa;

	/* No connect data and no QOS over TCP or UDP. */
	if (lpSQOS || lpGQOS || (lpCallerData && lpCallerData->len))
		return wsp_fail(lpErrno, WSAEOPNOTSUPP);
	wsa = wsp_addr_in(name, namelen, &len);
	if (wsa)
		return wsp_fail(lpErrno, wsa);
	if (connect(s, name, len) < 0)
		return wsp_fail_errno(s, errno, WSP_OP_CONNECT, 0, lpErrno);
	if (lpCalleeData)
		lpCalleeData->len = 0;
	return 0;
}

int WSPShutdown(SOCKET s, int how, int *lpErrno)
{
	struct wsp_socket_info info;

	if (shutdown(s, how) < 0)
		return wsp_fail_errno(s, errno, WSP_OP_GENERIC, 0, lpErrno);
	if ((how == SD_SEND || how == SD_BOTH) && !wsp_socket_info(s, &info))
		wsp_note_shut_down(info.socket_id);
	return 0;
}

int WSPGetSockName(SOCKET s, struct sockaddr *name, int *namelen, int *lpErrno)
{
	struct sockaddr_storage addr;
	socklen_t len;
	int err, wsa;

	if (!name || !namelen)
		return wsp_fail(lpErrno, WSAEFAULT);
	err = wsp_getname(s, 0, &addr, &len);
	if (err)
		return wsp_fail_errno(s, -err, WSP_OP_GENERIC, 0, lpErrno);
	/* Windows: a socket not bound yet has no name. */
	if (wsp_is_unbound(&addr))
		return wsp_fail(lpErrno, WSAEINVAL);
	wsa = wsp_addr_out(&addr, len, name, namelen);
	return wsa ? wsp_fail(lpErrno, wsa) : 0;
}

int WSPGetPeerName(SOCKET s, struct sockaddr *name, int *namelen, int *lpErrno)
{
	struct sockaddr_storage addr;
	socklen_t len;
	int err, wsa;

	if (!name || !namelen)
		return wsp_fail(lpErrno, WSAEFAULT);
	err = wsp_getname(s, 1, &addr, &len);
	if (err)
		return wsp_fail_errno(s, -err, WSP_OP_GENERIC, 0, lpErrno);
	wsa = wsp_addr_out(&addr, len, name, namelen);
	return wsa ? wsp_fail(lpErrno, wsa) : 0;
}

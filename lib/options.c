// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * options.c - WSPSetSockOpt, WSPGetSockOpt (setsockopt(2), getsockopt(2):
 * Linux levels, names and value formats) and WSPIoctl (FIONBIO through
 * WSP_IOC_SET_NONBLOCK, FIONREAD, SIOCATMARK with their Linux numbers).
 */
#include <netinet/in.h>
#include <string.h>

#include "internal.h"

/*
 * The option levels libwsp passes on: what Winsock has over TCP and UDP.
 * Another level is Winsock's "not a valid level": WSAEINVAL.
 */
static int wsp_level_ok(int level)
{
	return level == SOL_SOCKET || level == IPPROTO_TCP ||
	       level == IPPROTO_IP || level == IPPROTO_IPV6;
}

/* A level libwsp does not pass on; but a closed socket is WSAENOTSOCK. */
static int wsp_bad_level(SOCKET s, int *lpErrno)
{
	struct wsp_socket_info info;
	int err = wsp_socket_info(s, &info);

	if (err)
		return wsp_fail_errno(s, -err, WSP_OP_GENERIC, 0, lpErrno);
	return wsp_fail(lpErrno, WSAEINVAL);
}

int WSPSetSockOpt(SOCKET s, int level, int optname, const char *optval,
		  int optlen, int *lpErrno)
{
	if (optlen < 0 || (!optval && optlen))
		return wsp_fail(lpErrno, WSAEFAULT);
	if (!wsp_level_ok(level))
		return wsp_bad_level(s, lpErrno);
	if (setsockopt(s, level, optname, optval, (socklen_t)optlen) < 0)
		return wsp_fail_errno(s, errno, WSP_OP_GENERIC, 0, lpErrno);
	return 0;
}

int WSPGetSockOpt(SOCKET s, int level, int optname, char *optval, int *optlen,
		  int *lpErrno)
{
	socklen_t len;

	if (!optlen || *optlen < 0 || (!optval && *optlen))
		return wsp_fail(lpErrno, WSAEFAULT);
	if (!wsp_level_ok(level))
		return wsp_bad_level(s, lpErrno);
	len = (socklen_t)*optlen;
	if (getsockopt(s, level, optname, optval, &len) < 0)
		return wsp_fail_errno(s, errno, WSP_OP_GENERIC, 0, lpErrno);
	*optlen = (int)len;
	return 0;
}

/*
 * SIOCATMARK as Windows answers it: TRUE unless urgent data waits to be
 * read with MSG_OOB. Linux's own SIOCATMARK says whether the read pointer
 * is at the urgent mark, another predicate; libwsp asks instead for one
 * urgent byte with MSG_OOB | MSG_PEEK | MSG_DONTWAIT: it gets one only when
 * an urgent byte is pending (EINVAL when there is none or SO_OOBINLINE is
 * on, EAGAIN when one is announced and not yet arrived). A datagram socket
 * never has urgent data.
 */
static int wsp_at_mark(SOCKET s, const struct wsp_socket_info *info,
		       uint32_t *at_mark)
{
	char byte;

	*at_mark = 1;
	if (info->type != SOCK_STREAM)
		return 0;
	if (recv(s, &byte, 1, MSG_OOB | MSG_PEEK | MSG_DONTWAIT) == 1)
		*at_mark = 0;
	return 0;
}

int WSPIoctl(SOCKET s, DWORD dwIoControlCode, void *lpvInBuffer,
	     DWORD cbInBuffer, void *lpvOutBuffer, DWORD cbOutBuffer,
	     DWORD *lpcbBytesReturned, void *lpOverlapped,
	     void *lpCompletionRoutine, void *lpThreadId, int *lpErrno)
{
	struct wsp_socket_info info;
	struct wsp_nonblock_args nb;
	uint32_t value;
	int err, n;

	(void)lpThreadId;
	if (lpOverlapped || lpCompletionRoutine)
		return wsp_fail(lpErrno, WSAEOPNOTSUPP);
	err = wsp_socket_info(s, &info);
	if (err)
		return wsp_fail_errno(s, -err, WSP_OP_GENERIC, 0, lpErrno);
	if (!lpcbBytesReturned)
		return wsp_fail(lpErrno, WSAEFAULT);

	switch (dwIoControlCode) {
	case FIONBIO:
		if (!lpvInBuffer || cbInBuffer < sizeof(uint32_t))
			return wsp_fail(lpErrno, WSAEFAULT);
		memcpy(&value, lpvInBuffer, sizeof(value));
		memset(&nb, 0, sizeof(nb));
		nb.nonblocking = value != 0;
		/*
		 * Nothing comes out, refused or not: Windows stores 0 in
		 * *lpcbBytesReturned also when FIONBIO back to blocking fails
		 * with WSAEINVAL because a registration is active (Wine's
		 * dlls/ws2_32/tests/sock.c, test_fionbio: ok(!size) after
		 * WSAEventSelect, a todo_wine there).
		 */
		*lpcbBytesReturned = 0;
		if (ioctl(s, WSP_IOC_SET_NONBLOCK, &nb) < 0)
			return wsp_fail_errno(s, errno, WSP_OP_GENERIC, 0, lpErrno);
		return 0;
	case FIONREAD:
	case SIOCATMARK:
		if (!lpvOutBuffer || cbOutBuffer < sizeof(uint32_t))
			return wsp_fail(lpErrno, WSAEFAULT);
		if (dwIoControlCode == FIONREAD) {
			if (ioctl(s, FIONREAD, &n) < 0)
				return wsp_fail_errno(s, errno, WSP_OP_GENERIC, 0,
						      lpErrno);
			value = n < 0 ? 0 : (uint32_t)n;
		} else {
			wsp_at_mark(s, &info, &value);
		}
		memcpy(lpvOutBuffer, &value, sizeof(value));
		*lpcbBytesReturned = sizeof(value);
		return 0;
	default:
		return wsp_fail(lpErrno, WSAEINVAL);
	}
}

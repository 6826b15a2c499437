// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * data.c - WSPSend, WSPSendTo, WSPRecv, WSPRecvFrom over WSP_IOC_SEND and
 * WSP_IOC_RECV.
 *
 * The module takes one buffer per call. One WSABUF is passed as it is;
 * several are gathered into (or scattered from) one temporary buffer, so
 * that a datagram stays one datagram and MSG_* flags and truncation apply
 * to the whole call, as in Windows.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* The MSG_* flags (Linux values) the calls take. */
#define WSP_LIB_SEND_FLAGS	(MSG_OOB | MSG_DONTWAIT)
#define WSP_LIB_RECV_FLAGS	(MSG_OOB | MSG_PEEK | MSG_WAITALL | MSG_DONTWAIT)

/* The kernel caps one transfer at MAX_RW_COUNT; so does libwsp. */
#define WSP_MAX_TRANSFER	0x7ffff000u

/*
 * The buffers' total length, or WSAEFAULT for a missing array or buffer;
 * WSAENOBUFS beyond what one call can move.
 */
static int wsp_buffers_len(const WSABUF *bufs, DWORD count, size_t *total)
{
	uint64_t sum = 0;
	DWORD i;

	if (!bufs && count)
		return WSAEFAULT;
	for (i = 0; i < count; i++) {
		if (!bufs[i].buf && bufs[i].len)
			return WSAEFAULT;
		sum += bufs[i].len;
	}
	if (sum > WSP_MAX_TRANSFER)
		return WSAENOBUFS;
	*total = (size_t)sum;
	return 0;
}

static int wsp_send(SOCKET s, WSABUF *lpBuffers, DWORD dwBufferCount,
		    DWORD *lpNumberOfBytesSent, DWORD dwFlags,
		    const struct sockaddr *lpTo, int iTolen, int sendto,
		    void *lpOverlapped, void *lpCompletionRoutine, int *lpErrno)
{
	struct wsp_msg_args m;
	char *gather = NULL;
	size_t total = 0, off = 0;
	long n;
	int wsa;
	DWORD i;

	if (lpOverlapped || lpCompletionRoutine)
		return wsp_fail(lpErrno, WSAEOPNOTSUPP);
	if (!lpNumberOfBytesSent)
		return wsp_fail(lpErrno, WSAEFAULT);
	wsa = wsp_buffers_len(lpBuffers, dwBufferCount, &total);
	if (wsa)
		return wsp_fail(lpErrno, wsa);
	if (dwFlags & ~(DWORD)WSP_LIB_SEND_FLAGS)
		return wsp_fail(lpErrno, WSAEOPNOTSUPP);
	memset(&m, 0, sizeof(m));
	if (lpTo) {
		wsa = wsp_addr_in(lpTo, iTolen, &m.addr);
		if (wsa)
			return wsp_fail(lpErrno, wsa);
	}
	m.flags = dwFlags;
	m.len = total;
	if (dwBufferCount == 1) {
		m.buf = (uintptr_t)lpBuffers[0].buf;
	} else if (dwBufferCount > 1) {
		gather = malloc(total ? total : 1);
		if (!gather)
			return wsp_fail(lpErrno, WSAENOBUFS);
		for (i = 0; i < dwBufferCount; i++) {
			if (lpBuffers[i].len)
				memcpy(gather + off, lpBuffers[i].buf, lpBuffers[i].len);
			off += lpBuffers[i].len;
		}
		m.buf = (uintptr_t)gather;
	}
	n = ioctl(s, WSP_IOC_SEND, &m);
	if (n < 0)
		wsa = wsp_error(s, errno, sendto ? WSP_OP_SEND : WSP_OP_SEND_CONNECTED,
				(dwFlags & MSG_DONTWAIT) ? WSP_ERR_DONTWAIT : 0);
	free(gather);
	if (n < 0)
		return wsp_fail(lpErrno, wsa);
	*lpNumberOfBytesSent = (DWORD)n;
	return 0;
}

int WSPSend(SOCKET s, WSABUF *lpBuffers, DWORD dwBufferCount,
	    DWORD *lpNumberOfBytesSent, DWORD dwFlags, void *lpOverlapped,
	    void *lpCompletionRoutine, void *lpThreadId, int *lpErrno)
{
	(void)lpThreadId;
	return wsp_send(s, lpBuffers, dwBufferCount, lpNumberOfBytesSent,
			dwFlags, NULL, 0, 0, lpOverlapped, lpCompletionRoutine,
			lpErrno);
}

int WSPSendTo(SOCKET s, WSABUF *lpBuffers, DWORD dwBufferCount,
	      DWORD *lpNumberOfBytesSent, DWORD dwFlags,
	      const struct sockaddr *lpTo, int iTolen, void *lpOverlapped,
	      void *lpCompletionRoutine, void *lpThreadId, int *lpErrno)
{
	(void)lpThreadId;
	return wsp_send(s, lpBuffers, dwBufferCount, lpNumberOfBytesSent,
			dwFlags, lpTo, iTolen, 1, lpOverlapped,
			lpCompletionRoutine, lpErrno);
}

static int wsp_recv(SOCKET s, WSABUF *lpBuffers, DWORD dwBufferCount,
		    DWORD *lpNumberOfBytesRecvd, DWORD *lpFlags,
		    struct sockaddr *lpFrom, int *lpFromlen,
		    void *lpOverlapped, void *lpCompletionRoutine, int *lpErrno)
{
	struct wsp_socket_info info;
	struct wsp_msg_args m;
	char *scatter = NULL;
	size_t total = 0, off = 0, left;
	long n;
	int wsa = 0, err;
	DWORD i;

	if (lpOverlapped || lpCompletionRoutine)
		return wsp_fail(lpErrno, WSAEOPNOTSUPP);
	if (!lpNumberOfBytesRecvd || !lpFlags)
		return wsp_fail(lpErrno, WSAEFAULT);
	wsa = wsp_buffers_len(lpBuffers, dwBufferCount, &total);
	if (wsa)
		return wsp_fail(lpErrno, wsa);
	if (*lpFlags & ~(DWORD)WSP_LIB_RECV_FLAGS)
		return wsp_fail(lpErrno, WSAEOPNOTSUPP);
	if (lpFrom) {
		/* Checked before anything is taken from the socket. */
		err = wsp_socket_info(s, &info);
		if (err)
			return wsp_fail_errno(s, -err, WSP_OP_GENERIC, 0, lpErrno);
		if (!lpFromlen || *lpFromlen < wsp_sockaddr_size(info.family))
			return wsp_fail(lpErrno, WSAEFAULT);
	}
	memset(&m, 0, sizeof(m));
	m.flags = *lpFlags;
	m.len = total;
	if (dwBufferCount == 1) {
		m.buf = (uintptr_t)lpBuffers[0].buf;
	} else if (dwBufferCount > 1) {
		scatter = malloc(total ? total : 1);
		if (!scatter)
			return wsp_fail(lpErrno, WSAENOBUFS);
		m.buf = (uintptr_t)scatter;
	}
	n = ioctl(s, WSP_IOC_RECV, &m);
	if (n < 0) {
		wsa = wsp_error(s, errno, WSP_OP_RECV,
				(*lpFlags & MSG_DONTWAIT) ? WSP_ERR_DONTWAIT : 0);
		free(scatter);
		return wsp_fail(lpErrno, wsa);
	}
	if (scatter) {
		for (i = 0, left = n; i < dwBufferCount && left; i++) {
			size_t chunk = lpBuffers[i].len < left ? lpBuffers[i].len : left;

			memcpy(lpBuffers[i].buf, scatter + off, chunk);
			off += chunk;
			left -= chunk;
		}
		free(scatter);
	}
	*lpNumberOfBytesRecvd = (DWORD)n;
	*lpFlags = m.out_flags & MSG_OOB;
	if (lpFrom && m.addr.len)
		wsp_addr_out(&m.addr, lpFrom, lpFromlen);
	/* A datagram longer than the buffers: its head is there, the rest lost. */
	if (m.out_flags & MSG_TRUNC)
		return wsp_fail(lpErrno, WSAEMSGSIZE);
	return 0;
}

int WSPRecv(SOCKET s, WSABUF *lpBuffers, DWORD dwBufferCount,
	    DWORD *lpNumberOfBytesRecvd, DWORD *lpFlags, void *lpOverlapped,
	    void *lpCompletionRoutine, void *lpThreadId, int *lpErrno)
{
	(void)lpThreadId;
	return wsp_recv(s, lpBuffers, dwBufferCount, lpNumberOfBytesRecvd,
			lpFlags, NULL, NULL, lpOverlapped, lpCompletionRoutine,
			lpErrno);
}

int WSPRecvFrom(SOCKET s, WSABUF *lpBuffers, DWORD dwBufferCount,
		DWORD *lpNumberOfBytesRecvd, DWORD *lpFlags,
		struct sockaddr *lpFrom, int *lpFromlen, void *lpOverlapped,
		void *lpCompletionRoutine, void *lpThreadId, int *lpErrno)
{
	(void)lpThreadId;
	return wsp_recv(s, lpBuffers, dwBufferCount, lpNumberOfBytesRecvd,
			lpFlags, lpFrom, lpFromlen, lpOverlapped,
			lpCompletionRoutine, lpErrno);
}

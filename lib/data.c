// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * data.c - WSPSend, WSPSendTo, WSPRecv, WSPRecvFrom over sendmsg(2) and
 * recvmsg(2).
 *
 * The WSABUFs become one iovec array, so a datagram stays one datagram
 * and MSG_* flags and truncation apply to the whole call, as in Windows.
 * More buffers than one call takes (IOV_MAX) are gathered into (or
 * scattered from) one temporary buffer. Sends never raise SIGPIPE.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

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

/* iovecs on the stack up to this many buffers. */
#define WSP_STACK_IOVS		8

/*
 * The message's iovec array for @bufs: in @stack, or allocated (*@heap,
 * for the caller to free), or, beyond IOV_MAX buffers, one iovec over an
 * allocated bounce buffer of @total bytes (*@bounce). 0 or WSAENOBUFS.
 */
static int wsp_iov(const WSABUF *bufs, DWORD count, size_t total,
		   struct iovec *stack, struct iovec **iov, size_t *iovlen,
		   struct iovec **heap, char **bounce)
{
	DWORD i;

	*heap = NULL;
	*bounce = NULL;
	if (count > IOV_MAX) {
		*bounce = malloc(total ? total : 1);
		if (!*bounce)
			return WSAENOBUFS;
		stack[0].iov_base = *bounce;
		stack[0].iov_len = total;
		*iov = stack;
		*iovlen = 1;
		return 0;
	}
	*iov = stack;
	if (count > WSP_STACK_IOVS) {
		*heap = malloc(count * sizeof(**heap));
		if (!*heap)
			return WSAENOBUFS;
		*iov = *heap;
	}
	for (i = 0; i < count; i++) {
		(*iov)[i].iov_base = bufs[i].buf;
		(*iov)[i].iov_len = bufs[i].len;
	}
	*iovlen = count;
	return 0;
}

static int wsp_send(SOCKET s, WSABUF *lpBuffers, DWORD dwBufferCount,
		    DWORD *lpNumberOfBytesSent, DWORD dwFlags,
		    const struct sockaddr *lpTo, int iTolen, int sendto,
		    void *lpOverlapped, void *lpCompletionRoutine, int *lpErrno)
{
	struct iovec stack[WSP_STACK_IOVS], *heap;
	struct msghdr msg;
	size_t iovlen;
	char *gather;
	size_t total = 0, off = 0;
	socklen_t tolen = 0;
	ssize_t n;
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
	if (lpTo) {
		wsa = wsp_addr_in(lpTo, iTolen, &tolen);
		if (wsa)
			return wsp_fail(lpErrno, wsa);
	}
	/* One buffer to the peer: send(2), lighter than sendmsg(2) in the kernel. */
	if (!lpTo && dwBufferCount == 1) {
		n = send(s, lpBuffers[0].buf, total, (int)dwFlags | MSG_NOSIGNAL);
		if (n < 0)
			return wsp_fail(lpErrno, wsp_error(s, errno,
					sendto ? WSP_OP_SEND : WSP_OP_SEND_CONNECTED,
					(dwFlags & MSG_DONTWAIT) ? WSP_ERR_DONTWAIT : 0));
		*lpNumberOfBytesSent = (DWORD)n;
		return 0;
	}
	memset(&msg, 0, sizeof(msg));
	msg.msg_name = (void *)lpTo;
	msg.msg_namelen = tolen;
	wsa = wsp_iov(lpBuffers, dwBufferCount, total, stack, &msg.msg_iov,
		      &iovlen, &heap, &gather);
	if (wsa)
		return wsp_fail(lpErrno, wsa);
	msg.msg_iovlen = iovlen;	/* size_t in glibc, int in musl */
	for (i = 0; gather && i < dwBufferCount; i++) {
		if (lpBuffers[i].len)
			memcpy(gather + off, lpBuffers[i].buf, lpBuffers[i].len);
		off += lpBuffers[i].len;
	}
	n = sendmsg(s, &msg, (int)dwFlags | MSG_NOSIGNAL);
	if (n < 0)
		wsa = wsp_error(s, errno, sendto ? WSP_OP_SEND : WSP_OP_SEND_CONNECTED,
				(dwFlags & MSG_DONTWAIT) ? WSP_ERR_DONTWAIT : 0);
	free(heap);
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
	struct iovec stack[WSP_STACK_IOVS], *heap;
	struct wsp_socket_info info;
	struct sockaddr_storage from;
	struct msghdr msg;
	size_t iovlen;
	char *scatter;
	size_t total = 0, off = 0, left;
	ssize_t n;
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
	memset(&msg, 0, sizeof(msg));
	if (lpFrom) {
		memset(&from, 0, sizeof(from));
		msg.msg_name = &from;
		msg.msg_namelen = sizeof(from);
	}
	wsa = wsp_iov(lpBuffers, dwBufferCount, total, stack, &msg.msg_iov,
		      &iovlen, &heap, &scatter);
	if (wsa)
		return wsp_fail(lpErrno, wsa);
	msg.msg_iovlen = iovlen;	/* size_t in glibc, int in musl */
	n = recvmsg(s, &msg, (int)*lpFlags);
	if (n < 0) {
		wsa = wsp_error(s, errno, WSP_OP_RECV,
				(*lpFlags & MSG_DONTWAIT) ? WSP_ERR_DONTWAIT : 0);
		free(heap);
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
	}
	free(heap);
	free(scatter);
	*lpNumberOfBytesRecvd = (DWORD)n;
	*lpFlags = msg.msg_flags & MSG_OOB;
	if (lpFrom && msg.msg_namelen)
		wsp_addr_out(&from, msg.msg_namelen, lpFrom, lpFromlen);
	/* A datagram longer than the buffers: its head is there, the rest lost. */
	if (msg.msg_flags & MSG_TRUNC)
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

// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * errors.c - Linux errno to Winsock error codes.
 *
 * All of the mapping is here: one table, by name (as Wine's
 * sock_get_error() in dlls/ws2_32 maps them), then the context rules M-1
 * to M-6 (Documentation/libwsp.rst) that turn one errno into different
 * codes depending on the call and the socket's state.
 */
#include <netinet/in.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/tcp.h>

#include "internal.h"

static const struct {
	int err;
	int wsa;
} wsp_errno_table[] = {
	{ EINTR,		WSAEINTR },
	{ EBADF,		WSAEBADF },
	{ EACCES,		WSAEACCES },
	{ EPERM,		WSAEACCES },
	{ EFAULT,		WSAEFAULT },
	{ EINVAL,		WSAEINVAL },
	{ EMFILE,		WSAEMFILE },
	{ ENFILE,		WSAEMFILE },
	{ EAGAIN,		WSAEWOULDBLOCK },	/* = EWOULDBLOCK */
	{ EINPROGRESS,		WSAEWOULDBLOCK },	/* M-1 */
	{ EALREADY,		WSAEALREADY },
	{ ENOTSOCK,		WSAENOTSOCK },
	{ EDESTADDRREQ,		WSAEDESTADDRREQ },
	{ EMSGSIZE,		WSAEMSGSIZE },
	{ EPROTOTYPE,		WSAEPROTOTYPE },
	{ ENOPROTOOPT,		WSAENOPROTOOPT },
	{ EPROTONOSUPPORT,	WSAEPROTONOSUPPORT },
	{ ESOCKTNOSUPPORT,	WSAESOCKTNOSUPPORT },
	{ EOPNOTSUPP,		WSAEOPNOTSUPP },
	{ EPFNOSUPPORT,		WSAEPFNOSUPPORT },
	{ EAFNOSUPPORT,		WSAEAFNOSUPPORT },
	{ EADDRINUSE,		WSAEADDRINUSE },
	{ EADDRNOTAVAIL,	WSAEADDRNOTAVAIL },
	{ ENETDOWN,		WSAENETDOWN },
	{ ENETUNREACH,		WSAENETUNREACH },
	{ ENETRESET,		WSAENETRESET },
	{ ECONNABORTED,		WSAECONNABORTED },
	{ ECONNRESET,		WSAECONNRESET },
	{ EPIPE,		WSAECONNRESET },	/* M-3 refines it */
	{ ENOBUFS,		WSAENOBUFS },
	{ ENOMEM,		WSAENOBUFS },
	{ EISCONN,		WSAEISCONN },
	{ ENOTCONN,		WSAENOTCONN },
	{ ESHUTDOWN,		WSAESHUTDOWN },
	{ ETOOMANYREFS,		WSAETOOMANYREFS },
	{ ETIMEDOUT,		WSAETIMEDOUT },
	{ ECONNREFUSED,		WSAECONNREFUSED },
	{ ELOOP,		WSAELOOP },
	{ ENAMETOOLONG,		WSAENAMETOOLONG },
	{ EHOSTDOWN,		WSAEHOSTDOWN },
	{ EHOSTUNREACH,		WSAEHOSTUNREACH },
	{ ENOTEMPTY,		WSAENOTEMPTY },
	{ EUSERS,		WSAEUSERS },
	{ EDQUOT,		WSAEDQUOT },
	{ ESTALE,		WSAESTALE },
	{ EREMOTE,		WSAEREMOTE },
	{ ECANCELED,		WSA_OPERATION_ABORTED },
	{ E2BIG,		WSAEINVAL },
};

/*
 * wsp_wsa_from_errno() - the table alone: the Winsock code of a Linux
 * errno, WSAEFAULT for one the table lacks (Wine's choice).
 */
int wsp_wsa_from_errno(int err)
{
	size_t i;

	for (i = 0; i < sizeof(wsp_errno_table) / sizeof(wsp_errno_table[0]); i++)
		if (wsp_errno_table[i].err == err)
			return wsp_errno_table[i].wsa;
	return WSAEFAULT;
}

/* Linux's TCP states that only a local shutdown(SHUT_WR) reaches. */
#define WSP_TCP_FIN_WAIT1	4
#define WSP_TCP_FIN_WAIT2	5
#define WSP_TCP_CLOSE		7
#define WSP_TCP_LAST_ACK	9
#define WSP_TCP_CLOSING		11

/*
 * M-3: EPIPE from a send on a stream. WSAESHUTDOWN after a local
 * shutdown(SD_SEND): this process made one through libwsp, or the
 * connection is in a state only a local FIN reaches. WSAENOTCONN when the
 * socket never was connected (TCP counts the handshake as delivered, so
 * tcpi_delivered is 0 only then). Else the peer reset it: WSAECONNRESET.
 */
static int wsp_epipe(SOCKET s, const struct wsp_socket_info *info)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	if (info->type != SOCK_STREAM)
		return WSAECONNRESET;
	if (wsp_was_shut_down(info->socket_id))
		return WSAESHUTDOWN;
	memset(&ti, 0, sizeof(ti));
	if (getsockopt(s, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0)
		return WSAECONNRESET;
	switch (ti.tcpi_state) {
	case WSP_TCP_FIN_WAIT1:
	case WSP_TCP_FIN_WAIT2:
	case WSP_TCP_LAST_ACK:
	case WSP_TCP_CLOSING:
		return WSAESHUTDOWN;
	case WSP_TCP_CLOSE:
		if (len >= offsetof(struct tcp_info, tcpi_delivered) +
				sizeof(ti.tcpi_delivered) && !ti.tcpi_delivered)
			return WSAENOTCONN;
		break;
	}
	return WSAECONNRESET;
}

/**
 * wsp_error() - the Winsock code for an errno, with the context rules
 * @s: the descriptor the call was made through, or -1
 * @err: the errno (positive)
 * @op: what the call was doing
 * @flags: %WSP_ERR_DONTWAIT
 */
int wsp_error(SOCKET s, int err, enum wsp_op op, unsigned int flags)
{
	struct wsp_socket_info info;
	int have_info = -1;

	if (op == WSP_OP_HANDLE)
		return err == ENOMEM ? WSA_NOT_ENOUGH_MEMORY :
		       err == EMFILE || err == ENFILE ? WSAEMFILE :
		       WSA_INVALID_HANDLE;
	if (op == WSP_OP_DEVICE) {
		/* No /dev/wspshare: the module is not loaded. */
		if (err == ENOENT || err == ENODEV || err == ENXIO)
			return WSAENETDOWN;
		/* A module that speaks another ABI (wsp_device()). */
		if (err == EPROTO)
			return WSAVERNOTSUPPORTED;
		return wsp_wsa_from_errno(err);
	}

	/*
	 * M-4: a closed descriptor, or a file that is not a descriptor, is
	 * WSAENOTSOCK. When @s is a descriptor, EBADF and ENOTTY were about
	 * another handle the call named (an event, a window): WSAEINVAL.
	 */
	if (err == EBADF || err == ENOTTY || err == ENOTSOCK) {
		have_info = s >= 0 ? wsp_socket_info(s, &info) : -EBADF;
		if (have_info)
			return WSAENOTSOCK;
		return err == ENOTSOCK ? WSAENOTSOCK : WSAEINVAL;
	}

	switch (op) {
	case WSP_OP_CONNECT:
		/*
		 * M-1: in progress on a non-blocking socket is would-block;
		 * on a blocking one Linux says EINPROGRESS when SO_SNDTIMEO
		 * ran out (M-2).
		 */
		if (err == EINPROGRESS)
			return wsp_socket_info(s, &info) == 0 && !info.nonblocking ?
			       WSAETIMEDOUT : WSAEWOULDBLOCK;
		break;
	case WSP_OP_ACCEPT:
	case WSP_OP_SEND:
	case WSP_OP_SEND_CONNECTED:
	case WSP_OP_RECV:
		/* M-2: a blocking call that ran out of time. */
		if (err == EAGAIN && !(flags & WSP_ERR_DONTWAIT) &&
		    wsp_socket_info(s, &info) == 0 && !info.nonblocking)
			return WSAETIMEDOUT;
		if (err == EPIPE && (op == WSP_OP_SEND || op == WSP_OP_SEND_CONNECTED) &&
		    wsp_socket_info(s, &info) == 0)
			return wsp_epipe(s, &info);
		/* A send without a destination on an unconnected datagram socket. */
		if (err == EDESTADDRREQ && op == WSP_OP_SEND_CONNECTED)
			return WSAENOTCONN;
		break;
	case WSP_OP_DUPLICATE:
		/* Spec A6: wrong process, unknown or used token, no target. */
		if (err == EPERM || err == ENOENT || err == ESRCH)
			return WSAEINVAL;
		break;
	default:
		break;
	}
	return wsp_wsa_from_errno(err);
}

/**
 * wsp_event_error() - the Winsock code of a network event's error
 * @event: the one FD_* event
 * @err: its error as the module records it: a positive errno, or 0
 *
 * The table, except that FD_CLOSE after a reset (or an abort) is
 * WSAECONNABORTED, which is what Windows reports (Wine's conformance
 * tests, dlls/ws2_32/tests/sock.c, run on Windows), not
 * WSAECONNRESET.
 */
int wsp_event_error(unsigned int event, int err)
{
	if (!err)
		return 0;
	if (err < 0)
		err = -err;
	if (event == FD_CLOSE &&
	    (err == ECONNRESET || err == EPIPE || err == ECONNABORTED))
		return WSAECONNABORTED;
	return wsp_wsa_from_errno(err);
}

/* Store @wsa through @lpErrno; SOCKET_ERROR, for "return wsp_fail(...)". */
int wsp_fail(int *lpErrno, int wsa)
{
	if (lpErrno)
		*lpErrno = wsa;
	return SOCKET_ERROR;
}

int wsp_fail_errno(SOCKET s, int err, enum wsp_op op, unsigned int flags,
		   int *lpErrno)
{
	return wsp_fail(lpErrno, wsp_error(s, err, op, flags));
}

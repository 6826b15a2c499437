/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * internal.h - what the sources of libwsp share; nothing here is exported.
 */
#ifndef WSP_INTERNAL_H
#define WSP_INTERNAL_H

#include <errno.h>
#include <stddef.h>
#include <sys/socket.h>

#include "wsp.h"

#define WSP_HIDDEN __attribute__((visibility("hidden")))

/* What a call was doing when it failed: selects the context rules. */
enum wsp_op {
	WSP_OP_GENERIC,		/* any descriptor call */
	WSP_OP_DEVICE,		/* opening /dev/wspshare */
	WSP_OP_CONNECT,
	WSP_OP_ACCEPT,
	WSP_OP_SEND,		/* send with a destination (sendto) */
	WSP_OP_SEND_CONNECTED,	/* send without one */
	WSP_OP_RECV,
	WSP_OP_DUPLICATE,	/* WSPDuplicateSocket and redemption */
	WSP_OP_HANDLE,		/* an event or window handle */
};

/* Flags of wsp_error(). */
#define WSP_ERR_DONTWAIT	0x1	/* the call itself asked not to wait */

/* errors.c */
WSP_HIDDEN int wsp_wsa_from_errno(int err);
WSP_HIDDEN int wsp_error(SOCKET s, int err, enum wsp_op op, unsigned int flags);
WSP_HIDDEN int wsp_fail(int *lpErrno, int wsa);
WSP_HIDDEN int wsp_fail_errno(SOCKET s, int err, enum wsp_op op,
			      unsigned int flags, int *lpErrno);
WSP_HIDDEN int wsp_event_error(unsigned int event, int err);

/* socket.c */
WSP_HIDDEN int wsp_device(void);
WSP_HIDDEN int wsp_socket_info(SOCKET s, struct wsp_socket_info *info);
WSP_HIDDEN int wsp_was_shut_down(uint64_t socket_id);
WSP_HIDDEN int wsp_addr_in(const struct sockaddr *name, int namelen,
			   socklen_t *len);
WSP_HIDDEN int wsp_addr_out(const struct sockaddr_storage *in, socklen_t len,
			    struct sockaddr *name, int *namelen);
WSP_HIDDEN int wsp_sockaddr_size(int family);

/* protocol.c: WSPSocket's redemption half. */
WSP_HIDDEN SOCKET wsp_redeem(int af, int type, int protocol,
			     const WSAPROTOCOL_INFOW *pi, unsigned int flags,
			     int *lpErrno);

/*
 * What this process's libwsp made at each fd number below
 * WSP_KIND_FDS (objects.c): an event, a window or a descriptor, recorded
 * when WSPCreateEvent, WSPCreateWindow, WSPSocket or WSPAccept returns
 * the fd and forgotten when the matching close call closes it. A recorded
 * kind spares the check of the handle (one to three system calls) on the
 * hot paths; a closed fd then fails the call's own system call with EBADF
 * and is checked at that point. An fd closed by close(2) and reused for
 * another file keeps the stale kind until libwsp makes something there:
 * like a reused Windows handle value, it names the new file.
 */
enum wsp_kind {
	WSP_KIND_UNKNOWN,
	WSP_KIND_EVENT,
	WSP_KIND_WINDOW,	/* made non-blocking by WSPCreateWindow */
	WSP_KIND_SOCKET,
};

#define WSP_KIND_FDS		65536

WSP_HIDDEN extern unsigned char wsp_kinds[WSP_KIND_FDS];

static inline int wsp_kind(int fd)
{
	if (fd < 0 || fd >= WSP_KIND_FDS)
		return WSP_KIND_UNKNOWN;
	return __atomic_load_n(&wsp_kinds[fd], __ATOMIC_RELAXED);
}

static inline void wsp_set_kind(int fd, enum wsp_kind kind)
{
	if (fd >= 0 && fd < WSP_KIND_FDS)
		__atomic_store_n(&wsp_kinds[fd], (unsigned char)kind,
				 __ATOMIC_RELAXED);
}

/* A call that returns -1/errno, as -errno. */
static inline int wsp_neg_errno(int ret)
{
	return ret < 0 ? -errno : ret;
}

#endif /* WSP_INTERNAL_H */

// SPDX-License-Identifier: GPL-2.0
/*
 * socket.c - the socket object: one per underlying socket, whatever the
 * number of its descriptors.
 *
 * Owns: struct wsp_sock's lifetime, the real kernel socket inside it, and
 * the data path (bind, listen, connect, accept, send, receive, shutdown,
 * names, poll, FIONREAD/SIOCATMARK). The data path tells notify.c what
 * the event rules need: a receive re-enables FD_READ and FD_OOB, an accept
 * FD_ACCEPT, a send that would block FD_WRITE, and when a connect starts
 * and returns.
 *
 * The real socket is created as socket(2) would create it for the caller
 * (sock_create(): the caller's network namespace, credentials, LSM policy)
 * and released, in process context, when the last reference goes: each
 * descriptor file and each pending duplication holds one. An operation in
 * progress holds its descriptor's file, so the socket outlives it.
 *
 * Locking: the object adds none. The real socket serialises its own
 * operations (lock_sock), exactly as for a socket shared by threads;
 * @nonblocking is a single flag read with READ_ONCE and written by
 * notify.c under its lock; the reference count is a refcount_t.
 */
#include <linux/atomic.h>
#include <linux/net.h>
#include <linux/slab.h>
#include <linux/socket.h>
#include <linux/sockios.h>
#include <net/net_namespace.h>
#include <net/sock.h>

#include "internal.h"

static atomic64_t wsp_sock_next_id = ATOMIC64_INIT(0);

/*
 * Wrap a real socket and hook it; takes over @sock, which is released on
 * failure. @parent and @descriptor: see wsp_notify_attach().
 */
static struct wsp_sock *wsp_sock_wrap(struct socket *sock, bool nonblocking,
				      struct wsp_sock *parent, u64 descriptor)
{
	struct wsp_sock *ws;

	ws = kzalloc(sizeof(*ws), GFP_KERNEL_ACCOUNT);
	if (!ws) {
		sock_release(sock);
		return ERR_PTR(-ENOMEM);
	}
	refcount_set(&ws->ref, 1);
	ws->sock = sock;
	ws->id = atomic64_inc_return(&wsp_sock_next_id);
	ws->nonblocking = nonblocking;
	wsp_stat_inc(WSP_STAT_SOCKETS);
	wsp_notify_attach(ws, parent, descriptor);
	return ws;
}

/**
 * wsp_sock_create() - create a socket object and its real socket
 * @family: AF_INET or AF_INET6
 * @type: SOCK_STREAM or SOCK_DGRAM
 * @protocol: 0, or the type's own protocol (TCP or UDP)
 * @nonblocking: the initial blocking mode
 *
 * Context: process context; the socket is created for current.
 * Return: the object with one reference, or an ERR_PTR: -EAFNOSUPPORT,
 * -ESOCKTNOSUPPORT, -EPROTONOSUPPORT for what wspshare does not offer,
 * or what sock_create() returns.
 */
struct wsp_sock *wsp_sock_create(int family, int type, int protocol,
				 bool nonblocking)
{
	struct socket *sock;
	int err;

	if (family != AF_INET && family != AF_INET6)
		return ERR_PTR(-EAFNOSUPPORT);
	if (type != SOCK_STREAM && type != SOCK_DGRAM)
		return ERR_PTR(-ESOCKTNOSUPPORT);
	if (protocol &&
	    protocol != (type == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP))
		return ERR_PTR(-EPROTONOSUPPORT);

	err = sock_create(family, type, protocol, &sock);
	if (err)
		return ERR_PTR(err);
	return wsp_sock_wrap(sock, nonblocking, NULL, 0);
}

/**
 * wsp_sock_get() - take a reference on a socket object
 * @ws: the object; the caller already holds a reference
 *
 * Context: any.
 */
void wsp_sock_get(struct wsp_sock *ws)
{
	refcount_inc(&ws->ref);
}

/**
 * wsp_sock_put() - drop a reference; the last one releases the socket
 * @ws: the object
 *
 * Releasing may block (SO_LINGER), as close(2) of a socket does.
 *
 * Context: process context.
 */
void wsp_sock_put(struct wsp_sock *ws)
{
	if (!refcount_dec_and_test(&ws->ref))
		return;
	wsp_notify_detach(ws);
	sock_release(ws->sock);
	kfree(ws);
	wsp_stat_dec(WSP_STAT_SOCKETS);
}

/**
 * wsp_sock_put_orphaned() - drop a reference nobody's close stands behind
 * @ws: the object
 *
 * For the reference of a duplication whose target exited unredeemed. If
 * it is the last, the socket is closed as an exiting process's sockets
 * are (inet_release() skips SO_LINGER for them): gracefully, in the
 * background, never waiting in the caller (a workqueue).
 *
 * Context: process context.
 */
void wsp_sock_put_orphaned(struct wsp_sock *ws)
{
	struct sock *sk = ws->sock->sk;

	if (refcount_dec_not_one(&ws->ref))
		return;
	lock_sock(sk);
	sock_reset_flag(sk, SOCK_LINGER);
	release_sock(sk);
	wsp_sock_put(ws);
}

/**
 * wsp_sock_params() - the family, type and protocol of a socket
 * @ws: the object
 * @family: out
 * @type: out
 * @protocol: out
 *
 * Context: any.
 */
void wsp_sock_params(const struct wsp_sock *ws, int *family, int *type,
		     int *protocol)
{
	const struct sock *sk = ws->sock->sk;

	*family = sk->sk_family;
	*type = sk->sk_type;
	*protocol = sk->sk_protocol;
}

bool wsp_sock_is_nonblocking(const struct wsp_sock *ws)
{
	return READ_ONCE(ws->nonblocking);
}

/* Validate an address from user space; copy it to a sockaddr_storage. */
static int wsp_addr_in(const struct wsp_sockaddr *addr,
		       struct sockaddr_storage *ss)
{
	BUILD_BUG_ON(sizeof(*ss) != WSP_SOCKADDR_MAX);
	if (addr->__reserved || addr->len > sizeof(*ss))
		return -EINVAL;
	memset(ss, 0, sizeof(*ss));
	memcpy(ss, addr->data, addr->len);
	return 0;
}

static void wsp_addr_out(struct wsp_sockaddr *addr,
			 const struct sockaddr_storage *ss, int len)
{
	memset(addr, 0, sizeof(*addr));
	addr->len = clamp(len, 0, (int)sizeof(*ss));
	memcpy(addr->data, ss, addr->len);
}

int wsp_sock_bind(struct wsp_sock *ws, const struct wsp_sockaddr *addr)
{
	struct sockaddr_storage ss;
	int err;

	err = wsp_addr_in(addr, &ss);
	if (err)
		return err;
	return kernel_bind(ws->sock, (struct sockaddr *)&ss, addr->len);
}

/*
 * Connect; a non-blocking socket returns -EINPROGRESS at once, a blocking
 * one sleeps interruptibly for at most SO_SNDTIMEO.
 */
int wsp_sock_connect(struct wsp_sock *ws, const struct wsp_sockaddr *addr)
{
	struct sockaddr_storage ss;
	int err;

	err = wsp_addr_in(addr, &ss);
	if (err)
		return err;
	wsp_notify_connect_start(ws);
	err = kernel_connect(ws->sock, (struct sockaddr *)&ss, addr->len,
			     wsp_sock_is_nonblocking(ws) ? O_NONBLOCK : 0);
	wsp_notify_connect_done(ws, err);
	return err;
}

int wsp_sock_listen(struct wsp_sock *ws, int backlog)
{
	int somaxconn = READ_ONCE(sock_net(ws->sock->sk)->core.sysctl_somaxconn);

	/* As listen(2): a negative or huge backlog means somaxconn. */
	if ((unsigned int)backlog > somaxconn)
		backlog = somaxconn;
	return kernel_listen(ws->sock, backlog);
}

/**
 * wsp_sock_accept() - accept a connection as a new socket object
 * @ws: the listening socket
 * @peer: out: the peer's address
 * @descriptor: the number the new socket's descriptor will have
 *
 * The new socket inherits the listener's blocking mode and registration
 * (Winsock: an accepted socket has the listening socket's properties).
 * Accepting re-enables FD_ACCEPT, whatever the outcome.
 *
 * Context: process context; sleeps unless the socket is non-blocking.
 * Return: the new object with one reference, or an ERR_PTR.
 */
struct wsp_sock *wsp_sock_accept(struct wsp_sock *ws,
				 struct wsp_sockaddr *peer, u64 descriptor)
{
	bool nonblocking = wsp_sock_is_nonblocking(ws);
	struct sockaddr_storage ss;
	struct socket *newsock;
	struct wsp_sock *nws;
	int err, len;

	err = kernel_accept(ws->sock, &newsock, nonblocking ? O_NONBLOCK : 0);
	if (err) {
		wsp_notify_reenable(ws, WSP_FD_ACCEPT);
		return ERR_PTR(err);
	}

	len = kernel_getpeername(newsock, (struct sockaddr *)&ss);
	if (len < 0)
		len = 0;	/* reset already: the caller learns it on use */
	wsp_addr_out(peer, &ss, len);
	nws = wsp_sock_wrap(newsock, nonblocking, ws, descriptor);
	wsp_notify_reenable(ws, WSP_FD_ACCEPT);
	return nws;
}

int wsp_sock_getname(struct wsp_sock *ws, struct wsp_sockaddr *addr,
		     bool peer)
{
	struct sockaddr_storage ss;
	int len;

	len = peer ? kernel_getpeername(ws->sock, (struct sockaddr *)&ss) :
		     kernel_getsockname(ws->sock, (struct sockaddr *)&ss);
	if (len < 0)
		return len;
	wsp_addr_out(addr, &ss, len);
	return 0;
}

int wsp_sock_shutdown(struct wsp_sock *ws, int how)
{
	if (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR)
		return -EINVAL;
	return kernel_sock_shutdown(ws->sock, how);
}

/**
 * wsp_sock_send() - send through the real socket
 * @ws: the socket
 * @from: the data
 * @flags: MSG_* flags from the caller, already checked
 * @to: the destination, or NULL (or a zero length) for the connected peer
 *
 * SIGPIPE is never raised (Winsock has none); a non-blocking socket does
 * not wait.
 *
 * Context: process context.
 * Return: the bytes sent, or -errno.
 */
ssize_t wsp_sock_send(struct wsp_sock *ws, struct iov_iter *from,
		      unsigned int flags, const struct wsp_sockaddr *to)
{
	struct sockaddr_storage ss;
	struct msghdr msg = {
		.msg_flags = flags | MSG_NOSIGNAL,
		.msg_iter = *from,
	};
	int err;

	if (wsp_sock_is_nonblocking(ws))
		msg.msg_flags |= MSG_DONTWAIT;
	if (to && to->len) {
		err = wsp_addr_in(to, &ss);
		if (err)
			return err;
		msg.msg_name = &ss;
		msg.msg_namelen = to->len;
	}
	err = sock_sendmsg(ws->sock, &msg);
	*from = msg.msg_iter;
	if (err == -EAGAIN)
		wsp_notify_send_blocked(ws);
	return err;
}

/**
 * wsp_sock_recv() - receive from the real socket
 * @ws: the socket
 * @to: where the data goes
 * @flags: MSG_* flags from the caller, already checked
 * @from: out, if not NULL: the source address (length 0 if none)
 * @out_flags: out, if not NULL: the result's MSG_* flags (MSG_TRUNC...)
 *
 * Every receive, also a failed one and a peek, re-enables FD_READ and
 * FD_OOB.
 *
 * Context: process context; sleeps for at most SO_RCVTIMEO unless the
 * socket is non-blocking or @flags has MSG_DONTWAIT.
 * Return: the bytes received (0 at end of stream), or -errno.
 */
ssize_t wsp_sock_recv(struct wsp_sock *ws, struct iov_iter *to,
		      unsigned int flags, struct wsp_sockaddr *from,
		      unsigned int *out_flags)
{
	struct sockaddr_storage ss;
	struct msghdr msg = {
		.msg_name = from ? &ss : NULL,
		.msg_iter = *to,
	};
	int ret;

	if (wsp_sock_is_nonblocking(ws))
		flags |= MSG_DONTWAIT;
	ret = sock_recvmsg(ws->sock, &msg, flags);
	wsp_notify_reenable(ws, WSP_FD_READ | WSP_FD_OOB);
	if (ret < 0)
		return ret;
	if (from)
		wsp_addr_out(from, &ss, msg.msg_namelen);
	if (out_flags)
		*out_flags = msg.msg_flags;
	*to = msg.msg_iter;
	return ret;
}

/*
 * The real socket's readiness. The poll table entry is keyed to the
 * descriptor's file but waits on the socket's queue; that is safe because
 * the socket outlives every descriptor (each holds a reference).
 */
__poll_t wsp_sock_poll(struct wsp_sock *ws, struct file *file,
		       poll_table *wait)
{
	struct socket *sock = ws->sock;

	return READ_ONCE(sock->ops)->poll(file, sock, wait);
}

/* FIONREAD (SIOCINQ) and SIOCATMARK, answered by the protocol. */
long wsp_sock_ioctl(struct wsp_sock *ws, unsigned int cmd, unsigned long arg)
{
	struct socket *sock = ws->sock;
	long ret;

	ret = READ_ONCE(sock->ops)->ioctl(sock, cmd, arg);
	return ret == -ENOIOCTLCMD ? -ENOTTY : ret;
}

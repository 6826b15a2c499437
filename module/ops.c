// SPDX-License-Identifier: GPL-2.0
/*
 * ops.c - the module's copies of the protocols' proto_ops, and their
 * wrappers: how wspshare sees the calls that Windows' rules depend on.
 *
 * Owns: one struct proto_ops per protocol (inet and inet6, stream and
 * datagram), copied whole at first use from the ops a fresh socket has, so
 * that every entry the running kernel has keeps its protocol's function;
 * then a few entries are replaced by wrappers that call the protocol's own
 * function and do wspshare's part:
 *
 * - release: detach the socket object (or, without one, take the
 *   module's socket callbacks off), then the protocol's release;
 * - bind: a datagram socket gets FD_WRITE when it becomes bound;
 * - recvmsg, splice_read: every receive (recv, read, recvmsg, recvmmsg,
 *   io_uring's recv, splice and sendfile from the socket) re-enables
 *   FD_READ and FD_OOB, also a failed one (but see notify.c for EFAULT);
 * - sendmsg (and sendpage where it exists): a send that would block
 *   re-arms FD_WRITE; a datagram socket's first send binds it;
 * - accept: the new socket (which the core gave these ops) becomes a
 *   wspshare socket; FD_ACCEPT is re-enabled. A connection whose socket
 *   already has someone else's sk_user_data (a sockmap's psock, put there
 *   by a sock_ops BPF program before the accept) cannot be one: it is
 *   handed out as a plain socket with the protocol's ops and callbacks;
 * - connect: FD_CONNECT's bookkeeping; connect(AF_UNSPEC), like
 *   shutdown(SHUT_RD), stops a listener: notify.c first takes the
 *   module's callbacks off the children in its accept queue, which the
 *   protocol may hand to another SO_REUSEPORT listener;
 * - ioctl, compat_ioctl: wspshare's magic number is the descriptor's
 *   ioctls (descriptor.c); every other number goes to the protocol;
 * - setsockopt: refuses TCP_ULP and IPV6_ADDRFORM, which would replace
 *   these ops; getsockopt: refuses TCP_ZEROCOPY_RECEIVE, which consumes
 *   data no wrapper would see;
 * - show_fdinfo: adds the socket id.
 *
 * Everything else (listen, names, poll, options...) is the
 * protocol's own entry, reached by the kernel's own system calls with
 * every security hook. As net/tls does, the socket's ops pointer is
 * swapped with WRITE_ONCE(); the copies' owner is this module, so each
 * socket holds a module reference (__sock_release() drops it).
 *
 * Locking: wsp_ops_lock (a mutex) serialises filling the table; a filled
 * slot never changes until the module goes, and sockets reach it only
 * after it is filled.
 */
#include <linux/compat.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/net.h>
#include <linux/seq_file.h>
#include <linux/socket.h>
#include <linux/tcp.h>
#include <linux/in6.h>
#include <net/sock.h>

#include "internal.h"

/**
 * struct wsp_proto_ops - one protocol's ops as wspshare sockets have them
 * @base: the protocol's own ops, which the wrappers call
 * @ops: the copy, with the wrappers in place
 */
struct wsp_proto_ops {
	const struct proto_ops *base;
	struct proto_ops ops;
};

/* inet and inet6, stream and datagram: what wsp_sock_create() offers. */
#define WSP_OPS_SLOTS	4

static DEFINE_MUTEX(wsp_ops_lock);
static struct wsp_proto_ops wsp_ops_table[WSP_OPS_SLOTS];

/* The protocol's ops behind a wspshare socket's. */
static const struct proto_ops *wsp_base(const struct socket *sock)
{
	const struct proto_ops *ops = READ_ONCE(sock->ops);

	return container_of(ops, struct wsp_proto_ops, ops)->base;
}

static int wsp_ops_release(struct socket *sock)
{
	const struct proto_ops *base = wsp_base(sock);
	bool attached = wsp_sock_of(sock);
	int ret;

	if (attached)
		wsp_sock_release(sock);
	else if (sock->sk)
		wsp_notify_unhook(sock->sk);	/* a failed accept's child */
	ret = base->release(sock);
	/* The protocol's module reference that attaching kept. */
	if (attached)
		module_put(base->owner);
	return ret;
}

static int wsp_ops_recvmsg(struct socket *sock, struct msghdr *msg,
			   size_t len, int flags)
{
	int ret = wsp_base(sock)->recvmsg(sock, msg, len, flags);
	struct wsp_sock *ws = wsp_sock_of(sock);

	if (ws)
		wsp_notify_received(ws, ret);
	return ret;
}

static ssize_t wsp_ops_splice_read(struct socket *sock, loff_t *ppos,
				   struct pipe_inode_info *pipe, size_t len,
				   unsigned int flags)
{
	ssize_t ret = wsp_base(sock)->splice_read(sock, ppos, pipe, len,
						   flags);
	struct wsp_sock *ws = wsp_sock_of(sock);

	if (ws)
		wsp_notify_received(ws, ret);
	return ret;
}

static void wsp_ops_sent(struct socket *sock, long ret)
{
	struct wsp_sock *ws;

	if (ret != -EAGAIN)
		return;
	ws = wsp_sock_of(sock);
	if (ws)
		wsp_notify_send_blocked(ws);
}

static int wsp_ops_sendmsg(struct socket *sock, struct msghdr *msg,
			   size_t len)
{
	int ret = wsp_base(sock)->sendmsg(sock, msg, len);
	struct wsp_sock *ws;

	wsp_ops_sent(sock, ret);
	/* A datagram socket's first send binds it implicitly. */
	if (sock->type == SOCK_DGRAM) {
		ws = wsp_sock_of(sock);
		if (ws)
			wsp_notify_bound(ws);
	}
	return ret;
}

#ifdef WSP_HAVE_OPS_SENDPAGE
/* Before 6.5, splice and sendfile to a socket came here, not to sendmsg. */
static ssize_t wsp_ops_sendpage(struct socket *sock, struct page *page,
				int offset, size_t size, int flags)
{
	ssize_t ret = wsp_base(sock)->sendpage(sock, page, offset, size,
						flags);

	wsp_ops_sent(sock, ret);
	return ret;
}
#endif

static int wsp_ops_accept(struct socket *sock, struct socket *newsock,
			  WSP_ACCEPT_PARAMS)
{
	const struct proto_ops *base = wsp_base(sock);
	struct wsp_sock *ws = wsp_sock_of(sock);
	struct wsp_sock *nws;
	int err;

	/* Allocate first: a failure leaves the connection queued. */
	nws = wsp_sock_alloc();
	if (!nws)
		return -ENOMEM;
	err = wsp_base_accept(base, sock, newsock);
	if (err) {
		wsp_sock_free(nws);
	} else {
		err = wsp_sock_accepted(sock, newsock, nws);
		if (err == -EBUSY) {
			/* Someone else's socket: hand it out as a plain one. */
			wsp_notify_unhook(newsock->sk);
			wsp_ops_disown(newsock);
			err = 0;
		}
		/*
		 * The core took a reference on the new socket's ops' owner
		 * then (this module); keep the protocol's, which the release
		 * wrapper, or __sock_release() for a disowned one, puts.
		 */
		if (!err)
			__module_get(base->owner);
	}
	if (ws)
		wsp_notify_reenable(ws, WSP_FD_ACCEPT);
	return err;
}

static int wsp_ops_bind(struct socket *sock, struct sockaddr *addr,
			int addr_len)
{
	int err = wsp_base(sock)->bind(sock, addr, addr_len);
	struct wsp_sock *ws;

	if (!err && sock->type == SOCK_DGRAM) {
		ws = wsp_sock_of(sock);
		if (ws)
			wsp_notify_bound(ws);
	}
	return err;
}

static int wsp_ops_connect(struct socket *sock, struct sockaddr *addr,
			   int addr_len, int flags)
{
	struct wsp_sock *ws = wsp_sock_of(sock);
	bool unspec;
	int err;

	unspec = addr_len >= (int)sizeof(addr->sa_family) &&
		 addr->sa_family == AF_UNSPEC;
	if (ws && unspec) {
		wsp_notify_listen_stop_begin(ws);
		err = wsp_base(sock)->connect(sock, addr, addr_len, flags);
		wsp_notify_listen_stop_end(ws);
		return err;
	}
	if (ws)
		wsp_notify_connect_start(ws);
	err = wsp_base(sock)->connect(sock, addr, addr_len, flags);
	if (ws)
		wsp_notify_connect_done(ws, err);
	return err;
}

static int wsp_ops_shutdown(struct socket *sock, int how)
{
	struct wsp_sock *ws = wsp_sock_of(sock);
	int err;

	/* SHUT_RD and SHUT_RDWR stop a listener (inet_shutdown()). */
	if (!ws || (how != SHUT_RD && how != SHUT_RDWR))
		return wsp_base(sock)->shutdown(sock, how);
	wsp_notify_listen_stop_begin(ws);
	err = wsp_base(sock)->shutdown(sock, how);
	wsp_notify_listen_stop_end(ws);
	return err;
}

static int wsp_ops_ioctl(struct socket *sock, unsigned int cmd,
			 unsigned long arg)
{
	struct wsp_sock *ws;

	if (_IOC_TYPE(cmd) != WSP_IOC_MAGIC)
		return wsp_base(sock)->ioctl(sock, cmd, arg);
	ws = wsp_sock_of(sock);
	if (!ws)
		return -ENOTTY;
	return wsp_desc_ioctl(ws, cmd, (void __user *)arg);
}

#ifdef CONFIG_COMPAT
/* The structs are the same for 32-bit callers: only the pointer changes. */
static int wsp_ops_compat_ioctl(struct socket *sock, unsigned int cmd,
				unsigned long arg)
{
	const struct proto_ops *base = wsp_base(sock);
	struct wsp_sock *ws;

	if (_IOC_TYPE(cmd) != WSP_IOC_MAGIC)
		return base->compat_ioctl ?
		       base->compat_ioctl(sock, cmd, arg) : -ENOIOCTLCMD;
	ws = wsp_sock_of(sock);
	if (!ws)
		return -ENOTTY;
	return wsp_desc_ioctl(ws, cmd, compat_ptr(arg));
}
#endif

static int wsp_ops_setsockopt(struct socket *sock, int level, int optname,
			      sockptr_t optval, unsigned int optlen)
{
	/* Each would replace sock->ops, dropping the wrappers. */
	if ((level == SOL_TCP && optname == TCP_ULP) ||
	    (level == SOL_IPV6 && optname == IPV6_ADDRFORM))
		return -EOPNOTSUPP;
	return wsp_base(sock)->setsockopt(sock, level, optname, optval,
					  optlen);
}

static int wsp_ops_getsockopt(struct socket *sock, int level, int optname,
			      char __user *optval, int __user *optlen)
{
	/* It consumes received data that no wrapper would see. */
	if (level == SOL_TCP && optname == TCP_ZEROCOPY_RECEIVE)
		return -EOPNOTSUPP;
	return wsp_base(sock)->getsockopt(sock, level, optname, optval,
					  optlen);
}

static void wsp_ops_show_fdinfo(struct seq_file *m, struct socket *sock)
{
	const struct proto_ops *base = wsp_base(sock);
	struct wsp_sock *ws = wsp_sock_of(sock);

	if (ws)
		seq_printf(m, "wsp-socket-id:\t%llu\n", ws->id);
	if (base->show_fdinfo)
		base->show_fdinfo(m, sock);
}

/* Fill @slot from @base: a whole copy, then the wrappers. */
static void wsp_ops_fill(struct wsp_proto_ops *slot,
			 const struct proto_ops *base)
{
	struct proto_ops *ops = &slot->ops;

	*ops = *base;
	ops->owner = THIS_MODULE;
	ops->release = wsp_ops_release;
	ops->bind = wsp_ops_bind;
	ops->recvmsg = wsp_ops_recvmsg;
	ops->sendmsg = wsp_ops_sendmsg;
	ops->accept = wsp_ops_accept;
	ops->connect = wsp_ops_connect;
	ops->shutdown = wsp_ops_shutdown;
	ops->ioctl = wsp_ops_ioctl;
	ops->setsockopt = wsp_ops_setsockopt;
	ops->getsockopt = wsp_ops_getsockopt;
	ops->show_fdinfo = wsp_ops_show_fdinfo;
	if (base->splice_read)
		ops->splice_read = wsp_ops_splice_read;
#ifdef WSP_HAVE_OPS_SENDPAGE
	if (base->sendpage)
		ops->sendpage = wsp_ops_sendpage;
#endif
#ifdef CONFIG_COMPAT
	ops->compat_ioctl = wsp_ops_compat_ioctl;
#endif
	/* Published to other CPUs with the socket, after the unlock. */
	slot->base = base;
}

/* The copy of @base, made on first use; NULL when the table is full. */
static const struct proto_ops *wsp_ops_for(const struct proto_ops *base)
{
	const struct proto_ops *ops = NULL;
	int i;

	mutex_lock(&wsp_ops_lock);
	for (i = 0; i < WSP_OPS_SLOTS; i++) {
		if (!wsp_ops_table[i].base)
			wsp_ops_fill(&wsp_ops_table[i], base);
		if (wsp_ops_table[i].base == base) {
			ops = &wsp_ops_table[i].ops;
			break;
		}
	}
	mutex_unlock(&wsp_ops_lock);
	return ops;
}

/**
 * wsp_ops_adopt() - give a new socket the module's ops
 * @sock: a socket fresh from sock_create(), reachable by nobody else
 *
 * The socket keeps the protocol's module reference that sock_create()
 * took (the release wrapper drops it) and gains one on this module (which
 * __sock_release() drops).
 *
 * Context: process context.
 * Return: 0, or -EPROTONOSUPPORT if the table has no room for the
 * protocol (it cannot happen for what wsp_sock_create() offers).
 */
int wsp_ops_adopt(struct socket *sock)
{
	const struct proto_ops *ops;

	ops = wsp_ops_for(READ_ONCE(sock->ops));
	if (WARN_ON_ONCE(!ops))
		return -EPROTONOSUPPORT;
	__module_get(THIS_MODULE);
	WRITE_ONCE(sock->ops, ops);
	return 0;
}

/**
 * wsp_ops_disown() - give a socket that wspshare cannot own its
 *	protocol's ops back
 * @sock: a socket with the module's ops and no socket object, reachable
 *	by nobody else (not yet installed in a file table)
 *
 * Drops the module reference the socket held for the module's ops; the
 * caller holds another (it is running the module's code for a socket
 * that has one), and has the socket hold one on the protocol's owner,
 * which __sock_release() will put.
 *
 * Context: process context.
 */
void wsp_ops_disown(struct socket *sock)
{
	WRITE_ONCE(sock->ops, wsp_base(sock));
	module_put(THIS_MODULE);
}

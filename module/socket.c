// SPDX-License-Identifier: GPL-2.0
/*
 * socket.c - the socket object: what wspshare keeps of one real socket.
 *
 * Owns: struct wsp_sock's lifetime and the making of wspshare sockets. A
 * wspshare socket is a real socket with its one file (socket_file_ops,
 * S_ISSOCK): every descriptor of it, however made (WSP_IOC_SOCKET,
 * redemption, dup(2), fork, SCM_RIGHTS, pidfd_getfd(2)), refers to that
 * file, and the kernel's own system calls and security hooks act on it.
 * The module keeps only what Linux lacks, in a struct wsp_sock attached to
 * the socket:
 *
 * - at creation (wsp_sock_create(): sock_create() for the caller, as
 *   socket(2) does, then the module's proto_ops, then the file);
 * - at accept (the accept wrapper calls wsp_sock_accepted() for the new
 *   socket, which inherits the listener's ops from the core);
 * - until the release wrapper calls wsp_sock_release(), when the file's
 *   last reference goes.
 *
 * It is found through sk_user_data (tagged SK_USER_DATA_NOCOPY, so that a
 * socket cloned from a listener starts without it), written only under
 * sk_callback_lock by notify.c.
 *
 * The registry: every attached object is in wsp_socks, keyed by its id,
 * so that WSP_IOC_SOCKETS can list them in id order from a cursor
 * (wsp_sock_list()). Its slot is reserved when the object is allocated
 * and filled once it is attached, and the object leaves it in wsp_sock_release()
 * before it is freed.
 *
 * Locking: wsp_socks_lock (a mutex) serialises a listing with the
 * removal of objects from the registry: while a listing holds it, no
 * object in the registry is freed, so it may read each one, its real
 * socket and that socket's file (whose release is waiting to remove
 * it). Adding needs only the xarray's own lock. Inside it, a listing
 * takes token.c's wsp_token_lock and notify.c's spinlock; nothing takes
 * wsp_socks_lock under those. Otherwise the object adds no lock: its
 * fields are set before the socket is reachable and never change, except
 * the registration (notify.c's lock) and @pending_duplicates and @tokens
 * (token.c's lock). The blocking mode is the file's O_NONBLOCK, changed
 * under the file's f_lock as fcntl(2) does.
 */
#include <linux/atomic.h>
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/ipv6.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/net.h>
#include <linux/nsproxy.h>
#include <linux/slab.h>
#include <linux/socket.h>
#include <linux/uidgid.h>
#include <linux/xarray.h>
#include <net/inet_sock.h>
#include <net/ipv6.h>
#include <net/net_namespace.h>
#include <net/sock.h>
#include <net/tcp_states.h>

#include "internal.h"

static atomic64_t wsp_sock_next_id = ATOMIC64_INIT(0);

/* The most registry entries one hold of wsp_socks_lock looks at. */
#define WSP_SOCKS_SCAN		256

static DEFINE_MUTEX(wsp_socks_lock);
/* The objects' own cache: a wspshare socket costs its size, not a kmalloc bucket's. */
static struct kmem_cache *wsp_sock_cache;
static DEFINE_XARRAY(wsp_socks);

/**
 * wsp_sock_alloc() - allocate a socket object, not yet attached
 *
 * Context: process context.
 * Return: the object, or NULL.
 */
struct wsp_sock *wsp_sock_alloc(void)
{
	struct wsp_sock *ws = kmem_cache_zalloc(wsp_sock_cache, GFP_KERNEL);

	if (!ws)
		return NULL;
	/* The registry's index is the 64-bit id: 64-bit kernels only. */
	BUILD_BUG_ON(sizeof(unsigned long) < sizeof(u64));
	ws->id = atomic64_inc_return(&wsp_sock_next_id);
	INIT_LIST_HEAD(&ws->tokens);
	/* Its registry slot: attaching then allocates nothing. */
	if (xa_reserve(&wsp_socks, ws->id, GFP_KERNEL_ACCOUNT)) {
		kmem_cache_free(wsp_sock_cache, ws);
		return NULL;
	}
	return ws;
}

/**
 * wsp_sock_free() - free a socket object that was never attached
 * @ws: the object, or NULL
 *
 * Context: any.
 */
void wsp_sock_free(struct wsp_sock *ws)
{
	if (ws)
		xa_release(&wsp_socks, ws->id);
	kmem_cache_free(wsp_sock_cache, ws);
}

/* Return: 0, or -EBUSY for a socket with someone else's sk_user_data. */
static int wsp_sock_attach(struct wsp_sock *ws, struct socket *sock,
			   struct wsp_sock *parent)
{
	int err;

	ws->sock = sock;
	err = wsp_notify_attach(ws, parent);
	if (err)
		return err;
	/* Into the slot wsp_sock_alloc() reserved: cannot fail. */
	xa_store(&wsp_socks, ws->id, ws, GFP_KERNEL_ACCOUNT);
	wsp_stat_inc(WSP_STAT_SOCKETS);
	return 0;
}

/**
 * wsp_sock_create() - create a wspshare socket and its file
 * @family: AF_INET or AF_INET6
 * @type: SOCK_STREAM or SOCK_DGRAM
 * @protocol: 0, or the type's own protocol (TCP or UDP)
 * @wsp_flags: %WSP_SOCK_NONBLOCK for a non-blocking socket
 * @filep: out: the socket's file, with the caller's reference
 *
 * The socket is created as socket(2) creates it for the caller
 * (sock_create(): the caller's network namespace and credentials, and the
 * security hooks of socket creation), then given the module's proto_ops
 * and its file.
 *
 * Context: process context.
 * Return: 0; -EAFNOSUPPORT, -ESOCKTNOSUPPORT, -EPROTONOSUPPORT for what
 * wspshare does not offer; -ENOMEM; -EBUSY if the new socket already has
 * someone else's sk_user_data; or what sock_create() returns.
 */
int wsp_sock_create(int family, int type, int protocol, u32 wsp_flags,
		    struct file **filep)
{
	struct socket *sock;
	struct wsp_sock *ws;
	struct file *file;
	int err;

	if (family != AF_INET && family != AF_INET6)
		return -EAFNOSUPPORT;
	if (type != SOCK_STREAM && type != SOCK_DGRAM)
		return -ESOCKTNOSUPPORT;
	if (protocol &&
	    protocol != (type == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP))
		return -EPROTONOSUPPORT;

	ws = wsp_sock_alloc();
	if (!ws)
		return -ENOMEM;
	err = sock_create(family, type, protocol, &sock);
	if (err)
		goto free;
	err = wsp_ops_adopt(sock);
	if (err) {
		sock_release(sock);
		goto free;
	}
	err = wsp_sock_attach(ws, sock, NULL);
	if (err) {
		wsp_ops_disown(sock);
		sock_release(sock);
		goto free;
	}
	/* From here the release wrapper undoes everything. */

	file = sock_alloc_file(sock, wsp_flags & WSP_SOCK_NONBLOCK ?
				     O_NONBLOCK : 0, NULL);
	if (IS_ERR(file))
		return PTR_ERR(file);	/* it released the socket */
	*filep = file;
	return 0;

free:
	wsp_sock_free(ws);
	return err;
}

/**
 * wsp_sock_of() - the socket object of a wspshare socket
 * @sock: a socket whose ops are the module's
 *
 * Context: process context, with a reference on @sock's file or from a
 * proto_ops call on @sock (either keeps the object alive).
 * Return: the object, or NULL for a socket with none (an accept that
 * failed before the new socket was attached).
 */
struct wsp_sock *wsp_sock_of(struct socket *sock)
{
	struct wsp_sock *ws = NULL;
	struct sock *sk = sock->sk;

	if (sk) {
		rcu_read_lock();
		ws = wsp_sock_owning(sk, (uintptr_t)
				     rcu_dereference(__sk_user_data(sk)));
		rcu_read_unlock();
	}
	return ws;
}

/**
 * wsp_sock_accepted() - attach the object of a newly accepted socket
 * @listener: the listening socket
 * @newsock: the socket its accept returned, which has the module's ops
 * @nws: an object from wsp_sock_alloc(), taken over
 *
 * The new socket inherits the listener's registration and blocking mode
 * (Winsock: an accepted socket has the listening socket's properties).
 *
 * Context: process context, inside the accept wrapper.
 * Return: 0; -EINVAL for a listener wspshare does not know; -EBUSY for a
 * new socket with someone else's sk_user_data (a sockmap's psock). On
 * failure @nws is freed and @newsock is left as it was.
 */
int wsp_sock_accepted(struct socket *listener, struct socket *newsock,
		      struct wsp_sock *nws)
{
	struct wsp_sock *ws = wsp_sock_of(listener);
	int err;

	if (WARN_ON_ONCE(!ws)) {
		wsp_sock_free(nws);
		return -EINVAL;
	}
	err = wsp_sock_attach(nws, newsock, ws);
	if (err) {
		wsp_sock_free(nws);
		return -EBUSY;
	}
	/* Nobody else can reach @newsock yet: no lock orders this. */
	if (wsp_sock_is_nonblocking(ws) ||
	    READ_ONCE(nws->notify.kind) != WSP_REG_NONE)
		wsp_sock_set_nonblocking(nws, true);
	return 0;
}

/**
 * wsp_sock_release() - detach and free the object of a socket going away
 * @sock: the socket, from the release wrapper, before the protocol's
 *	release
 *
 * Context: process context.
 */
void wsp_sock_release(struct socket *sock)
{
	struct wsp_sock *ws = wsp_sock_of(sock);

	if (!ws)
		return;
	/* No listing reads it from here on. */
	mutex_lock(&wsp_socks_lock);
	xa_erase(&wsp_socks, ws->id);
	mutex_unlock(&wsp_socks_lock);
	wsp_notify_detach(ws);
	kmem_cache_free(wsp_sock_cache, ws);
	wsp_stat_dec(WSP_STAT_SOCKETS);
}

/**
 * wsp_sock_is_nonblocking() - the socket's blocking mode
 * @ws: the object
 *
 * Context: any.
 * Return: true if the socket's file is O_NONBLOCK.
 */
bool wsp_sock_is_nonblocking(const struct wsp_sock *ws)
{
	struct file *file = READ_ONCE(ws->sock->file);

	return file && (READ_ONCE(file->f_flags) & O_NONBLOCK);
}

/**
 * wsp_sock_set_nonblocking() - set the socket's blocking mode
 * @ws: the object
 * @nonblocking: the mode
 *
 * The mode is the file's O_NONBLOCK, which every descriptor shares;
 * changed under f_lock as setfl() does.
 *
 * Context: process context; never under notify.c's spinlock (f_lock is
 * taken with softirqs enabled elsewhere).
 */
void wsp_sock_set_nonblocking(struct wsp_sock *ws, bool nonblocking)
{
	struct file *file = ws->sock->file;

	if (!file)
		return;
	/*
	 * Already so (every registration after the first): nothing to
	 * write. A concurrent fcntl(F_SETFL) is ordered after this call.
	 */
	if (!!(READ_ONCE(file->f_flags) & O_NONBLOCK) == nonblocking)
		return;
	spin_lock(&file->f_lock);
	if (nonblocking)
		file->f_flags |= O_NONBLOCK;
	else
		file->f_flags &= ~O_NONBLOCK;
	spin_unlock(&file->f_lock);
}

/*
 * The local (@peer false) or peer address of an inet socket, read from
 * the socket's fields as inet_getname() reads them, without its lock:
 * *@len stays 0 for an unbound socket, or one without a peer.
 */
static void wsp_sock_addr(struct sock *sk, bool peer, u8 *buf, u32 *len)
{
	const struct inet_sock *inet = inet_sk(sk);
	int state = READ_ONCE(sk->sk_state);
	__be16 port;

	if (peer) {
		port = READ_ONCE(inet->inet_dport);
		if (!port || ((1 << state) & (TCPF_CLOSE | TCPF_SYN_SENT)))
			return;
	} else {
		port = READ_ONCE(inet->inet_sport);
		if (!READ_ONCE(inet->inet_num))
			return;
	}

	if (sk->sk_family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)buf;

		BUILD_BUG_ON(sizeof(*sin) > WSP_SOCKADDR_SIZE);
		sin->sin_family = AF_INET;
		sin->sin_port = port;
		if (peer)
			sin->sin_addr.s_addr = READ_ONCE(inet->inet_daddr);
		else
			sin->sin_addr.s_addr = READ_ONCE(inet->inet_rcv_saddr) ?:
					       READ_ONCE(inet->inet_saddr);
		*len = sizeof(*sin);
#if IS_ENABLED(CONFIG_IPV6)
	} else if (sk->sk_family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)buf;

		BUILD_BUG_ON(sizeof(*sin6) > WSP_SOCKADDR_SIZE);
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = port;
		if (peer)
			sin6->sin6_addr = sk->sk_v6_daddr;
		else if (ipv6_addr_any(&sk->sk_v6_rcv_saddr))
			sin6->sin6_addr = inet6_sk(sk)->saddr;
		else
			sin6->sin6_addr = sk->sk_v6_rcv_saddr;
		sin6->sin6_scope_id =
			ipv6_iface_scope_id(&sin6->sin6_addr,
					    READ_ONCE(sk->sk_bound_dev_if));
		*len = sizeof(*sin6);
#endif
	}
}

/* Describe one socket; @rec is zeroed. */
static void wsp_sock_record(struct wsp_sock *ws, struct wsp_socket_record *rec)
{
	struct sock *sk = ws->sock->sk;

	rec->socket_id = ws->id;
	rec->family = sk->sk_family;
	rec->type = sk->sk_type;
	rec->protocol = sk->sk_protocol;
	rec->state = READ_ONCE(sk->sk_state);
	rec->nonblocking = wsp_sock_is_nonblocking(ws);
	rec->owner_uid = from_kuid_munged(current_user_ns(), sk->sk_uid);
	wsp_sock_addr(sk, false, rec->local, &rec->local_len);
	wsp_sock_addr(sk, true, rec->peer, &rec->peer_len);
	wsp_notify_record(ws, rec);
	wsp_token_record(ws, rec);
}

/**
 * wsp_sock_list() - describe the sockets the caller may see
 * @after: in: the cursor, only sockets with a larger id; out: the id of
 *	the last socket looked at
 * @recs: out: zeroed records, in increasing id
 * @max: room in @recs
 * @end: out: true when no socket is left after @after
 *
 * The caller sees the sockets of its own network namespace: every one if
 * it has CAP_NET_ADMIN over that namespace, else those whose owner
 * (sk_uid: the creator's fsuid) is its fsuid. Walks the registry from
 * @after until @max are found, none is left, or %WSP_SOCKS_SCAN sockets
 * were looked at: wsp_socks_lock (which every close of a wspshare socket
 * takes, see the top of this file) is held for a bounded walk, however
 * many sockets the caller may not see.
 *
 * Context: process context; may sleep.
 * Return: the number of records filled.
 */
unsigned int wsp_sock_list(u64 *after, struct wsp_socket_record *recs,
			   unsigned int max, bool *end)
{
	struct net *net = current->nsproxy->net_ns;
	bool admin = ns_capable_noaudit(net->user_ns, CAP_NET_ADMIN);
	kuid_t fsuid = current_fsuid();
	unsigned int n = 0, scanned = 0;
	unsigned long index;
	struct wsp_sock *ws;
	struct sock *sk;

	*end = true;
	if (!max || *after >= ULONG_MAX)
		return 0;
	mutex_lock(&wsp_socks_lock);
	xa_for_each_start(&wsp_socks, index, ws, *after + 1) {
		*after = index;
		sk = ws->sock->sk;
		if (net_eq(sock_net(sk), net) &&
		    (admin || uid_eq(sk->sk_uid, fsuid)))
			wsp_sock_record(ws, &recs[n++]);
		if (n == max || ++scanned == WSP_SOCKS_SCAN) {
			*end = index == ULONG_MAX;
			break;
		}
	}
	mutex_unlock(&wsp_socks_lock);
	return n;
}

/**
 * wsp_sock_init() - create the socket objects' cache
 *
 * Context: module init.
 * Return: 0, or -ENOMEM.
 */
int wsp_sock_init(void)
{
	wsp_sock_cache = KMEM_CACHE(wsp_sock, SLAB_ACCOUNT);
	return wsp_sock_cache ? 0 : -ENOMEM;
}

/**
 * wsp_sock_exit() - destroy the cache; every socket object is freed
 *
 * Context: module exit (no socket holds the module any more).
 */
void wsp_sock_exit(void)
{
	kmem_cache_destroy(wsp_sock_cache);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * notify.c - the socket's one registration, its network-event record, and
 * the socket callbacks that feed them.
 *
 * Owns: struct wsp_notify, embedded in every socket object:
 *
 * - the registration: none, event-select (an eventfd) or async-select (a
 *   window, a message number); either ioctl, through any descriptor of the
 *   socket, replaces it whole (WSPEventSelect/WSPAsyncSelect);
 * - the record: the FD_* events recorded since they were last enumerated,
 *   with one error (a Linux errno) per event (WSPEnumNetworkEvents);
 * - the hold set: events reported to the registration and waiting for
 *   their re-enabling call (recv, accept, a send that would block);
 * - the connection facts the events derive from (connect pending,
 *   connected, peer closed, a send blocked);
 * - the hooks on the real socket's sk_data_ready, sk_write_space,
 *   sk_state_change and sk_error_report;
 * - the notices to displaced registrations (a wspshare extension): a
 *   registration made with WSP_SELECT_NOTIFY_DISPLACED that another one
 *   replaces or cancels is told once, unless the call that replaces it
 *   comes from its own process through its own descriptor. An
 *   async-select gets one WSP_FD_DISPLACED message posted to its window
 *   (dropped and counted like any other if the window is full); an
 *   event-select's eventfd is signalled, and a notice (the eventfd's
 *   context, whose reference the registration hands over, the displacing
 *   pid and descriptor) waits in @displaced until an enumeration names
 *   that eventfd, a registration names it again, or the socket is
 *   released. At most WSP_MAX_DISPLACED_NOTICES wait; one more drops the
 *   oldest, counted as a refusal. Both happen in the replacing call's
 *   critical section, where the old registration is taken: once that
 *   call returns, the displaced target has had its last notification.
 *
 * An event goes through wsp_event_locked(): held, it is dropped; else it
 * is recorded and, if selected, reported once (eventfd signalled, or a
 * message posted) and held. A message the window had no room for leaves
 * the event due instead of held (@due): it is posted when the window has
 * room again (wsp_notify_post_due(), called by the window), and nothing
 * of the socket is posted before it. Everything about events is in this
 * file; the spec's rules are in Documentation/wspshare.rst,
 * "Notification". The finer rules, as Windows has them:
 *
 * - a re-enabling call clears what it re-enables, from the hold set and
 *   from the record; what is still true (data or a connection still
 *   waiting) is recorded and reported again at once, what is gone is
 *   forgotten (a greeting received before FD_READ is selected is never
 *   reported);
 * - a receive that fails with EFAULT re-enables only under an
 *   async-select (Windows re-posts above its driver, in message mode);
 * - a datagram socket gets FD_WRITE once, when it becomes bound (bind,
 *   connect, or the first send); its connect re-arms and reports
 *   FD_WRITE and records FD_CONNECT, which is never posted;
 * - a stream whose connect is pending gets no FD_WRITE from a send that
 *   would block: FD_WRITE comes with FD_CONNECT, once.
 *
 * Ownership. A socket is wspshare's only if its sk_user_data carries
 * exactly wspshare's tag (SK_USER_DATA_NOCOPY and no other flag bit) and
 * the object it points to names the socket back (ws->sock->sk == sk):
 * wsp_sock_owning(), which socket.c's lookup uses too. Attaching never
 * overwrites anyone else's sk_user_data (-EBUSY). Our callbacks can also
 * be on a socket nobody owns: a TCP child cloned from a wspshare listener
 * (sk_clone_lock() copies the callbacks; NOCOPY drops the owner) until the
 * accept wrapper attaches it, and sockets whose attach was refused. Such
 * a socket never keeps them:
 *
 * - at its first callback through a slot that holds our hook, the
 *   protocol's callbacks are put back (wsp_notify_unhook(), under
 *   write_lock_bh(sk_callback_lock), re-checking that there is still no
 *   owner, since the accept wrapper may be attaching it) and the
 *   protocol's own callback is chained to. Reached through someone
 *   else's saved copy (a sockmap psock saves ours; its caller may hold
 *   sk_callback_lock for reading), only the chaining is done;
 * - when a TCP listener stops listening (release, shutdown(SHUT_RD) or
 *   connect(AF_UNSPEC): inet_csk_listen_stop() hands the children in its
 *   accept queue to another SO_REUSEPORT listener when tcp_migrate_req is
 *   set, where no accept wrapper will ever see them):
 *   wsp_notify_listen_stop_begin() first puts the listener's own
 *   callbacks back, so that no child cloned from then on has ours; then
 *   synchronize_rcu() waits for the clones made before (children are
 *   cloned and queued in one softirq section, an RCU read side; a
 *   listener never processes packets from a backlog); then the accept
 *   queue is walked under its rskq_lock and every child is unhooked under
 *   its own sk_callback_lock. What is not in the queue then was accepted
 *   (attached), or dropped. After shutdown or connect, the listener's
 *   hooks are put back (wsp_notify_listen_stop_end());
 * - the release wrapper unhooks a socket it finds without an owner (an
 *   accept whose attach failed).
 *
 * So after the last wspshare socket is released, no socket holds a
 * pointer into the module (sock->ops of each held a module reference).
 *
 * Locking, outermost first:
 *
 * - the accept queue's rskq_lock (spinlock, _bh), taken only to walk a
 *   stopping listener's queue; each child's sk_callback_lock nests in it.
 * - sk->sk_callback_lock (the socket's rwlock): callbacks take it for
 *   reading to find their socket object in sk_user_data; attaching,
 *   detaching and unhooking take it for writing, so once detach returns
 *   no callback can reach the object.
 * - socket.c's wsp_socks_lock (a mutex), unrelated to change_lock: a
 *   listing (WSP_IOC_SOCKETS) takes wsp_notify.lock under it to read the
 *   registration; nothing in this file takes it.
 * - wsp_notify.change_lock, a mutex, outermost: it serialises the changes
 *   made from process context, registrations and the blocking mode, so
 *   that WSP_IOC_SET_NONBLOCK's "not while registered" check and a
 *   registration's setting O_NONBLOCK cannot interleave. The socket
 *   file's f_lock (the blocking mode) is taken under it, never under the
 *   spinlock below: f_lock is taken with softirqs enabled elsewhere.
 * - wsp_notify.lock, a spinlock taken with _bh everywhere (callbacks run
 *   in softirq context, and in process context from release_sock()). It
 *   protects every field of struct wsp_notify (@send_blocked is written
 *   under it and also read before it by sk_write_space, which transmitted
 *   datagrams call per packet: see wsp_write_space_wanted()). Signalling the eventfd and
 *   posting to the window happen under it, so once a replacement has
 *   returned, the replaced target is never signalled again.
 * - the eventfd's and the window's own locks, innermost. Under the
 *   window's lock a post that finds the window full also puts the
 *   registration (@waiter) on the window's waiting list, and a
 *   registration that ends or is replaced is taken off it
 *   (wsp_reg_take_locked()).
 *
 * A window's walker: when read() makes room, window.c calls
 * wsp_notify_post_due() for each waiting registration from process
 * context, holding its own service mutex and no spinlock; that takes
 * wsp_notify.lock, so the window's service mutex is outside it, and
 * wsp_notify.lock is never taken under the window's lock. The walker
 * takes no change_lock, so a registration's end may wait for it
 * (wsp_window_unregister(), after wsp_notify.lock is released, with only
 * change_lock held): the socket object is not freed while the walker
 * uses it.
 *
 * Under wsp_notify.lock nothing sleeps, nothing allocates, and the socket
 * is only read (no lock_sock()); its cost does not depend on how many
 * descriptors the socket has. References on the eventfd, the window and
 * the registering pid, and those of the notices that end, are dropped
 * after the lock is released.
 */
#include <linux/bitops.h>
#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/net.h>
#include <linux/pid.h>
#include <linux/poll.h>
#include <linux/sched.h>
#include <linux/skbuff.h>
#include <linux/uio.h>
#include <linux/udp.h>
#include <net/inet_connection_sock.h>
#include <net/inet_sock.h>
#include <net/sock.h>
#include <net/tcp.h>
#include <net/tcp_states.h>

#include "internal.h"
#include "trace.h"

/*
 * A registration's targets, moved out under the lock and put after it;
 * with the notices a replacement ends: the oldest, dropped over the
 * bound (@drop[0]), and one superseded by the new registration (@drop[1]);
 * its kind and mask, for the tracepoint of the one replacing it.
 * Start from all zeroes: wsp_reg_take_locked() does not clear @drop.
 */
struct wsp_reg_refs {
	struct file *efile;
	struct eventfd_ctx *efd;
	struct wsp_window *window;
	struct wsp_window_waiter *waiter;
	struct pid *pid;
	struct wsp_displaced drop[2];
	u32 kind;
	u32 mask;
};

/*
 * The callbacks a TCP and a UDP socket have before anyone hooks them
 * (the same for IPv4 and IPv6). An accepted child is cloned with the
 * listener's callbacks (ours) and, since the listener's sk_user_data is
 * tagged NOCOPY, without its owner: a socket without an owner gets these
 * back and chains to them.
 */
static wsp_sk_cb_t wsp_tcp_defaults[WSP_CB_COUNT];
static wsp_sk_cb_t wsp_udp_defaults[WSP_CB_COUNT];

static wsp_sk_cb_t wsp_default_cb(const struct sock *sk, enum wsp_cb cb)
{
	return sk->sk_type == SOCK_STREAM ? wsp_tcp_defaults[cb] :
					    wsp_udp_defaults[cb];
}

/* The socket's slot for callback @cb. */
static wsp_sk_cb_t *wsp_sk_slot(struct sock *sk, enum wsp_cb cb)
{
	switch (cb) {
	case WSP_CB_DATA_READY:
		return &sk->sk_data_ready;
	case WSP_CB_WRITE_SPACE:
		return &sk->sk_write_space;
	case WSP_CB_STATE_CHANGE:
		return &sk->sk_state_change;
	default:
		return &sk->sk_error_report;
	}
}

static bool wsp_is_stream(const struct sock *sk)
{
	return sk->sk_type == SOCK_STREAM;
}

/* Level conditions: what is true of the socket now. */
static bool wsp_readable(struct sock *sk)
{
	if (wsp_is_stream(sk))
		return tcp_inq(sk) > 0;
	return !skb_queue_empty_lockless(&sk->sk_receive_queue) ||
	       !skb_queue_empty_lockless(&udp_sk(sk)->reader_queue);
}

static bool wsp_urgent(struct sock *sk)
{
	return wsp_is_stream(sk) && !sock_flag(sk, SOCK_URGINLINE) &&
	       (READ_ONCE(tcp_sk(sk)->urg_data) & TCP_URG_VALID);
}

static bool wsp_acceptable(struct sock *sk)
{
	return wsp_is_stream(sk) && READ_ONCE(sk->sk_state) == TCP_LISTEN &&
	       !reqsk_queue_empty(&inet_csk(sk)->icsk_accept_queue);
}

static bool wsp_writable(struct sock *sk)
{
	if (READ_ONCE(sk->sk_shutdown) & SEND_SHUTDOWN)
		return false;
	if (wsp_is_stream(sk))
		return sk_stream_is_writeable(sk);
	return sock_writeable(sk);
}

/* Record event @bit with error @err (a positive errno, or 0), only. */
static void wsp_record_locked(struct wsp_notify *n, int bit, int err)
{
	lockdep_assert_held(&n->lock);
	n->recorded |= BIT(bit);
	n->errors[bit] = err;
	trace_wsp_event_recorded(n, bit, err);
}

/*
 * Post event @bit's message to the async-select window, with the
 * record's error. Queued, the event is held; dropped because the window
 * is full, it is due instead (not held, so not lost): the window puts
 * the registration on its waiting list and calls wsp_notify_post_due()
 * when it has room. While an event is due, a new one is due behind it,
 * so that the socket's messages keep their order. @retry: the event is
 * due already (a drop is not counted again).
 */
static void wsp_post_locked(struct wsp_notify *n, int bit, bool retry)
{
	u32 ev = BIT(bit);
	struct wsp_message msg = {
		.hwnd = n->hwnd,
		.message = n->message,
		.event = ev,
		.wparam = n->descriptor,
		.error = n->errors[bit],
	};

	if (n->due) {
		n->due |= ev;
		return;
	}
	if (retry ? wsp_window_repost(n->window, &msg, &n->waiter) :
		    wsp_window_post(n->window, &msg, &n->waiter)) {
		n->held |= ev;
		trace_wsp_event_delivered(n, ev, WSP_TRACE_MESSAGE);
	} else {
		n->due |= ev;
		if (!retry)
			trace_wsp_message_dropped(n, bit);
	}
}

/*
 * Record event @bit with error @err (a positive errno, or 0) and report it if selected.
 * The one place where events are recorded, reported and held.
 */
static void wsp_event_locked(struct wsp_notify *n, int bit, int err)
{
	u32 ev = BIT(bit);

	lockdep_assert_held(&n->lock);
	if (n->held & ev)
		return;
	n->recorded |= ev;
	n->errors[bit] = err;
	trace_wsp_event_recorded(n, bit, err);
	if (!(n->mask & ev))
		return;
	/* Inherited at accept: no message until a descriptor is named. */
	if (n->kind == WSP_REG_ASYNC &&
	    n->descriptor == WSP_DESCRIPTOR_UNKNOWN)
		return;
	switch (n->kind) {
	case WSP_REG_EVENT:
		n->held |= ev;
		eventfd_signal(n->efd);
		trace_wsp_event_delivered(n, ev, WSP_TRACE_EVENTFD);
		break;
	case WSP_REG_ASYNC:
		wsp_post_locked(n, bit, false);
		break;
	}
}

/*
 * A pending connect has an outcome: FD_CONNECT with it, then FD_WRITE,
 * once, even if sends failed with would-block while it was pending.
 */
static void wsp_check_connect_locked(struct wsp_notify *n, struct sock *sk)
{
	int state = READ_ONCE(sk->sk_state);
	int err;

	if (!n->connect_pending)
		return;
	if (state == TCP_ESTABLISHED || state == TCP_CLOSE_WAIT) {
		n->connect_pending = false;
		n->connected = true;
		WRITE_ONCE(n->send_blocked, false);
		wsp_event_locked(n, WSP_FD_CONNECT_BIT, 0);
		wsp_event_locked(n, WSP_FD_WRITE_BIT, 0);
	} else if (state == TCP_CLOSE) {
		n->connect_pending = false;
		WRITE_ONCE(n->send_blocked, false);
		err = READ_ONCE(sk->sk_err) ?: ECONNREFUSED;
		wsp_event_locked(n, WSP_FD_CONNECT_BIT, err);
	}
}

/* The peer closed (FIN: error 0) or reset the connection: FD_CLOSE once. */
static void wsp_check_close_locked(struct wsp_notify *n, struct sock *sk)
{
	int err = READ_ONCE(sk->sk_err);

	if (!n->connected || n->peer_closed)
		return;
	if (READ_ONCE(sk->sk_state) == TCP_CLOSE && err) {
		n->peer_closed = true;
		n->close_error = err;
	} else if (sock_flag(sk, SOCK_DONE)) {
		n->peer_closed = true;
		n->close_error = 0;
	} else {
		return;
	}
	wsp_event_locked(n, WSP_FD_CLOSE_BIT, n->close_error);
}

/* Data, urgent data or a connection arrived. */
static void wsp_on_readable_locked(struct wsp_notify *n, struct sock *sk)
{
	if (wsp_acceptable(sk))
		wsp_event_locked(n, WSP_FD_ACCEPT_BIT, 0);
	if (wsp_readable(sk))
		wsp_event_locked(n, WSP_FD_READ_BIT, 0);
	if (wsp_urgent(sk))
		wsp_event_locked(n, WSP_FD_OOB_BIT, 0);
	if (wsp_is_stream(sk))
		wsp_check_close_locked(n, sk);
}

/*
 * Space returned after a send that would have blocked. A stream whose
 * connect is pending is "writable" to TCP (SYN_SENT) but gets FD_WRITE
 * only with its FD_CONNECT.
 */
static void wsp_on_writable_locked(struct wsp_notify *n, struct sock *sk)
{
	if (n->connect_pending)
		return;
	if (n->send_blocked && wsp_writable(sk)) {
		WRITE_ONCE(n->send_blocked, false);
		wsp_event_locked(n, WSP_FD_WRITE_BIT, 0);
	}
}

static void wsp_on_state_locked(struct wsp_notify *n, struct sock *sk)
{
	if (!wsp_is_stream(sk))
		return;
	wsp_check_connect_locked(n, sk);
	wsp_check_close_locked(n, sk);
}

/*
 * The callbacks. Each finds its socket object under sk_callback_lock,
 * updates it, and chains to the callback it replaced. A socket without an
 * owner (see "Ownership" above) gets the protocol's callbacks back and
 * chains to them.
 */
static void wsp_sk_data_ready(struct sock *sk);
static void wsp_sk_write_space(struct sock *sk);
static void wsp_sk_state_change(struct sock *sk);
static void wsp_sk_error_report(struct sock *sk);

static const wsp_sk_cb_t wsp_hooks[WSP_CB_COUNT] = {
	[WSP_CB_DATA_READY]	= wsp_sk_data_ready,
	[WSP_CB_WRITE_SPACE]	= wsp_sk_write_space,
	[WSP_CB_STATE_CHANGE]	= wsp_sk_state_change,
	[WSP_CB_ERROR_REPORT]	= wsp_sk_error_report,
};

/**
 * wsp_sock_owning() - the wspshare object that owns a socket, if any
 * @sk: the socket
 * @user_data: the raw value of @sk's sk_user_data, read under
 *	sk_callback_lock or in an RCU read-side section
 *
 * The tag must be exactly wspshare's: SK_USER_DATA_NOCOPY and no other
 * flag bit (a sockmap's psock is tagged NOCOPY|PSOCK, a reuseport array's
 * BPF). The object must name @sk back.
 *
 * Context: any, with @user_data read as above.
 * Return: the object, or NULL.
 */
struct wsp_sock *wsp_sock_owning(const struct sock *sk, uintptr_t user_data)
{
	struct wsp_sock *ws;

	if ((user_data & ~SK_USER_DATA_PTRMASK) != SK_USER_DATA_NOCOPY)
		return NULL;
	ws = (struct wsp_sock *)(user_data & SK_USER_DATA_PTRMASK);
	if (!ws || READ_ONCE(ws->sock->sk) != sk)
		return NULL;
	return ws;
}

/* The owner of @sk; the caller holds sk_callback_lock. */
static struct wsp_sock *wsp_owner_locked(struct sock *sk)
{
	uintptr_t raw = (uintptr_t)rcu_dereference_check(__sk_user_data(sk),
				lockdep_is_held(&sk->sk_callback_lock));

	return wsp_sock_owning(sk, raw);
}

/* Put the protocol's callbacks back where ours are; @sk has no owner. */
static void wsp_unhook_locked(struct sock *sk)
{
	enum wsp_cb cb;

	for (cb = 0; cb < WSP_CB_COUNT; cb++)
		if (*wsp_sk_slot(sk, cb) == wsp_hooks[cb])
			WRITE_ONCE(*wsp_sk_slot(sk, cb), wsp_default_cb(sk, cb));
}

/**
 * wsp_notify_unhook() - take wspshare's callbacks off a socket it does
 *	not own
 * @sk: the socket; nothing is done if it has an owner (an accept wrapper
 *	attached it meanwhile)
 *
 * Context: any; takes @sk's sk_callback_lock for writing, so not with it
 * held.
 */
void wsp_notify_unhook(struct sock *sk)
{
	write_lock_bh(&sk->sk_callback_lock);
	if (!wsp_owner_locked(sk))
		wsp_unhook_locked(sk);
	write_unlock_bh(&sk->sk_callback_lock);
}

/*
 * Whether sk_write_space has anything to do: only after a send that
 * would have blocked. A datagram socket calls it for every packet it
 * transmits, so the flag is read before the notification lock is taken.
 * A send that sets @send_blocked re-checks writability itself, under the
 * lock, after setting it (wsp_notify_send_blocked()); with a full barrier
 * on each side (there, after the store; here, after the space was
 * returned, before the load), either this callback sees the flag, or
 * that send sees the space: a FD_WRITE is never lost.
 */
static bool wsp_write_space_wanted(struct wsp_notify *n)
{
	/* Pairs with the one in wsp_notify_send_blocked(). */
	smp_mb();
	return READ_ONCE(n->send_blocked);
}

static void wsp_callback(struct sock *sk, enum wsp_cb cb,
			 void (*handler)(struct wsp_notify *n, struct sock *sk))
{
	wsp_sk_cb_t chain;
	struct wsp_sock *ws;
	bool unhook;

	read_lock_bh(&sk->sk_callback_lock);
	ws = wsp_owner_locked(sk);
	if (ws) {
		chain = ws->notify.orig[cb];
		if (cb != WSP_CB_WRITE_SPACE ||
		    wsp_write_space_wanted(&ws->notify)) {
			spin_lock_bh(&ws->notify.lock);
			handler(&ws->notify, sk);
			spin_unlock_bh(&ws->notify.lock);
		}
	} else {
		chain = wsp_default_cb(sk, cb);
		/*
		 * Called through the socket's own slot: nobody holds the
		 * lock for us. Through a saved copy (a psock's), its
		 * caller may: only chain.
		 */
		unhook = READ_ONCE(*wsp_sk_slot(sk, cb)) == wsp_hooks[cb];
	}
	read_unlock_bh(&sk->sk_callback_lock);
	if (!ws && unhook)
		wsp_notify_unhook(sk);
	chain(sk);
}

static void wsp_sk_data_ready(struct sock *sk)
{
	wsp_callback(sk, WSP_CB_DATA_READY, wsp_on_readable_locked);
}

static void wsp_sk_write_space(struct sock *sk)
{
	wsp_callback(sk, WSP_CB_WRITE_SPACE, wsp_on_writable_locked);
}

static void wsp_sk_state_change(struct sock *sk)
{
	wsp_callback(sk, WSP_CB_STATE_CHANGE, wsp_on_state_locked);
}

static void wsp_sk_error_report(struct sock *sk)
{
	wsp_callback(sk, WSP_CB_ERROR_REPORT, wsp_on_state_locked);
}

/**
 * wsp_notify_attach() - hook a new socket object's real socket
 * @ws: the object, whose socket nobody else can reach yet
 * @parent: for an accepted socket, the listening socket's object, whose
 *	registration the new one inherits; else NULL
 *
 * Context: process context.
 * Return: 0, or -EBUSY if the socket's sk_user_data is already someone
 * else's (it is left alone, and nothing is hooked).
 */
int wsp_notify_attach(struct wsp_sock *ws, struct wsp_sock *parent)
{
	struct wsp_notify *n = &ws->notify;
	struct sock *sk = ws->sock->sk;
	u32 kind, mask, message;
	struct wsp_reg_refs refs;
	enum wsp_cb cb;
	s32 efd_number;
	u64 hwnd;

	spin_lock_init(&n->lock);
	mutex_init(&n->change_lock);
	wsp_window_waiter_init(&n->waiter);

	write_lock_bh(&sk->sk_callback_lock);
	if (rcu_access_pointer(__sk_user_data(sk))) {
		write_unlock_bh(&sk->sk_callback_lock);
		mutex_destroy(&n->change_lock);
		return -EBUSY;
	}
	for (cb = 0; cb < WSP_CB_COUNT; cb++) {
		/* Cloned from the listener: restore the protocol's own. */
		n->orig[cb] = parent ? parent->notify.orig[cb] :
				       *wsp_sk_slot(sk, cb);
		WRITE_ONCE(*wsp_sk_slot(sk, cb), wsp_hooks[cb]);
	}
	__rcu_assign_sk_user_data_with_flags(sk, ws, SK_USER_DATA_NOCOPY);
	write_unlock_bh(&sk->sk_callback_lock);

	if (!parent)
		return 0;

	/* An accepted socket: connected, writable, and registered as its
	 * listener is (Winsock: same events, same window and message or
	 * same event object). Its descriptor is not known here: accept(2)
	 * installs it after this returns; an async-select names it. The
	 * child's callbacks may already run: take the listener's
	 * registration under its lock, then install it under the child's.
	 */
	spin_lock_bh(&parent->notify.lock);
	kind = parent->notify.kind;
	mask = parent->notify.mask;
	message = parent->notify.message;
	hwnd = parent->notify.hwnd;
	efd_number = parent->notify.efd_number;
	refs.pid = get_pid(parent->notify.pid);
	refs.efile = parent->notify.efile;
	refs.efd = NULL;
	if (refs.efile) {
		get_file(refs.efile);
		refs.efd = eventfd_ctx_fileget(refs.efile);
	}
	refs.window = parent->notify.window;
	if (refs.window)
		wsp_window_ref(refs.window);
	spin_unlock_bh(&parent->notify.lock);

	spin_lock_bh(&n->lock);
	n->kind = kind;
	n->mask = mask;
	n->message = message;
	n->hwnd = hwnd;
	n->pid = refs.pid;
	n->efile = refs.efile;
	n->efd = refs.efd;
	n->efd_number = efd_number;
	n->window = refs.window;
	if (kind != WSP_REG_NONE) {
		n->descriptor = WSP_DESCRIPTOR_UNKNOWN;
		wsp_stat_inc(WSP_STAT_REGISTRATIONS);
		trace_wsp_registration(ws, WSP_DESCRIPTOR_UNKNOWN, NULL,
				       WSP_REG_NONE, 0);
	}
	n->connected = true;
	wsp_event_locked(n, WSP_FD_WRITE_BIT, 0);
	wsp_on_readable_locked(n, sk);
	spin_unlock_bh(&n->lock);
	return 0;
}

static void wsp_displaced_put(struct wsp_displaced *d)
{
	if (d->efd)
		eventfd_ctx_put(d->efd);
	put_pid(d->pid);
}

static void wsp_reg_refs_put(struct wsp_reg_refs *refs)
{
	unsigned int i;

	if (refs->efd)
		eventfd_ctx_put(refs->efd);
	if (refs->efile)
		fput(refs->efile);
	if (refs->window)
		wsp_window_unregister(refs->window, refs->waiter);
	put_pid(refs->pid);
	for (i = 0; i < ARRAY_SIZE(refs->drop); i++)
		wsp_displaced_put(&refs->drop[i]);
}

/* The index of the notice for eventfd @efd, or -1. */
static int wsp_displaced_find_locked(struct wsp_notify *n,
				     struct eventfd_ctx *efd)
{
	u32 i;

	lockdep_assert_held(&n->lock);
	for (i = 0; i < n->ndisplaced; i++)
		if (n->displaced[i].efd == efd)
			return i;
	return -1;
}

/* Move notice @i out into @out (its references with it). */
static void wsp_displaced_remove_locked(struct wsp_notify *n, u32 i,
					struct wsp_displaced *out)
{
	lockdep_assert_held(&n->lock);
	*out = n->displaced[i];
	n->ndisplaced--;
	memmove(&n->displaced[i], &n->displaced[i + 1],
		(n->ndisplaced - i) * sizeof(n->displaced[0]));
	memset(&n->displaced[n->ndisplaced], 0, sizeof(n->displaced[0]));
}

/*
 * The registration is about to be replaced, or cancelled, by a call
 * through @descriptor from the current process, whose new registration
 * names eventfd @new_efd (NULL for none). If it asked for the notice, tell
 * it once, unless the caller is its registrant replacing it through the
 * same descriptor:
 *
 * - an async-select: one WSP_FD_DISPLACED message to its window, with its
 *   message number and descriptor, and the caller's pid as the
 *   registrant's pid namespace sees it; a full window drops it (counted);
 * - an event-select: a notice for its eventfd, which takes over the
 *   registration's reference on the eventfd's context, and the eventfd
 *   signalled. No notice when the new registration names the same
 *   eventfd: that event object is still the socket's, and its
 *   enumeration could not tell the two registrants apart. Over the bound,
 *   the oldest notice is moved to @refs->drop[0] and counted.
 */
static void wsp_notice_displaced_locked(struct wsp_notify *n, u64 descriptor,
					struct eventfd_ctx *new_efd,
					struct wsp_reg_refs *refs)
{
	struct pid *me = task_tgid(current);
	struct wsp_displaced *d;

	lockdep_assert_held(&n->lock);
	if (!n->notice || (n->pid == me && n->descriptor == descriptor))
		return;
	if (n->kind == WSP_REG_ASYNC) {
		struct wsp_message msg = {
			.hwnd = n->hwnd,
			.message = n->message,
			.event = WSP_FD_DISPLACED,
			.wparam = n->descriptor,
			.pid = pid_nr_ns(me, ns_of_pid(n->pid)),
		};

		if (!wsp_window_post(n->window, &msg, NULL))
			trace_wsp_message_dropped(n, WSP_FD_DISPLACED_BIT);
		return;
	}
	if (n->kind != WSP_REG_EVENT || n->efd == new_efd)
		return;
	if (n->ndisplaced == WSP_MAX_DISPLACED_NOTICES) {
		wsp_displaced_remove_locked(n, 0, &refs->drop[0]);
		wsp_refusal(WSP_REFUSED_DISPLACED_NOTICE);
	}
	d = &n->displaced[n->ndisplaced++];
	d->efd = n->efd;
	d->pid = get_pid(me);
	d->descriptor = descriptor;
	/* The registration's reference on the context is the notice's now. */
	n->efd = NULL;
	eventfd_signal(d->efd);
}

/*
 * Move the registration's targets out; the caller puts them unlocked.
 * Its due messages are forgotten, and it leaves its window's waiting
 * list.
 */
static void wsp_reg_take_locked(struct wsp_notify *n,
				struct wsp_reg_refs *refs)
{
	lockdep_assert_held(&n->lock);
	if (n->window)
		wsp_window_cancel_wait(n->window, &n->waiter);
	n->due = 0;
	refs->efile = n->efile;
	refs->efd = n->efd;
	refs->window = n->window;
	refs->waiter = &n->waiter;
	refs->pid = n->pid;
	refs->kind = n->kind;
	refs->mask = n->mask;
	n->efile = NULL;
	n->efd = NULL;
	n->window = NULL;
	n->pid = NULL;
	n->notice = false;
	if (n->kind != WSP_REG_NONE)
		wsp_stat_dec(WSP_STAT_REGISTRATIONS);
	n->kind = WSP_REG_NONE;
	n->mask = 0;
	n->message = 0;
	n->hwnd = 0;
	n->descriptor = 0;
}

/*
 * The registering process for a new registration: the one taken out in
 * @old if it is the caller (a switch of the mask), else a new reference.
 */
static struct pid *wsp_reg_pid(struct wsp_reg_refs *old)
{
	struct pid *pid = task_tgid(current);

	if (old->pid != pid)
		return get_pid(pid);
	old->pid = NULL;
	return pid;
}

/* Put the listener's own callbacks back, keeping its owner. */
static void wsp_restore_locked(struct wsp_notify *n, struct sock *sk)
{
	enum wsp_cb cb;

	for (cb = 0; cb < WSP_CB_COUNT; cb++)
		if (*wsp_sk_slot(sk, cb) == wsp_hooks[cb])
			WRITE_ONCE(*wsp_sk_slot(sk, cb), n->orig[cb]);
}

static bool wsp_tcp_listening(struct sock *sk)
{
	return sk->sk_protocol == IPPROTO_TCP &&
	       READ_ONCE(sk->sk_state) == TCP_LISTEN;
}

/*
 * A TCP listener whose callbacks are no longer ours is about to stop
 * listening: once the clones made from our callbacks are queued, take
 * ours off every child in its accept queue (see "Ownership" above).
 */
static void wsp_unhook_accept_queue(struct sock *sk)
{
	struct request_sock_queue *queue = &inet_csk(sk)->icsk_accept_queue;
	struct request_sock *req;

	synchronize_rcu();
	spin_lock_bh(&queue->rskq_lock);
	for (req = queue->rskq_accept_head; req; req = req->dl_next)
		if (req->sk)
			wsp_notify_unhook(req->sk);
	spin_unlock_bh(&queue->rskq_lock);
}

/**
 * wsp_notify_listen_stop_begin() - a call that may stop a TCP listener
 *	(shutdown(SHUT_RD), connect(AF_UNSPEC)) is about to be made
 * @ws: the socket
 *
 * If it listens, its own callbacks are put back and every child in its
 * accept queue is unhooked, so that none that migrates to another
 * listener keeps ours. Its events until wsp_notify_listen_stop_end() are
 * not seen (a listener that stops has none worth reporting).
 *
 * Context: process context; may sleep (synchronize_rcu()).
 */
void wsp_notify_listen_stop_begin(struct wsp_sock *ws)
{
	struct sock *sk = ws->sock->sk;

	if (!wsp_tcp_listening(sk))
		return;
	write_lock_bh(&sk->sk_callback_lock);
	wsp_restore_locked(&ws->notify, sk);
	write_unlock_bh(&sk->sk_callback_lock);
	wsp_unhook_accept_queue(sk);
}

/**
 * wsp_notify_listen_stop_end() - the call is done: hook the socket again
 * @ws: the socket
 *
 * Context: process context.
 */
void wsp_notify_listen_stop_end(struct wsp_sock *ws)
{
	struct sock *sk = ws->sock->sk;
	enum wsp_cb cb;

	write_lock_bh(&sk->sk_callback_lock);
	for (cb = 0; cb < WSP_CB_COUNT; cb++)
		if (*wsp_sk_slot(sk, cb) == ws->notify.orig[cb])
			WRITE_ONCE(*wsp_sk_slot(sk, cb), wsp_hooks[cb]);
	write_unlock_bh(&sk->sk_callback_lock);
}

/**
 * wsp_notify_detach() - unhook the real socket before it is released
 * @ws: the object, at its last reference
 *
 * Restores the callbacks it replaced (if still in place) and ends the
 * registration, dropping its eventfd or window, and the notices to
 * displaced registrations not yet enumerated. A TCP listener's queued
 * children are unhooked too: the protocol's release that follows may
 * hand them to another listener.
 *
 * Context: process context; may sleep.
 */
void wsp_notify_detach(struct wsp_sock *ws)
{
	struct wsp_displaced notices[WSP_MAX_DISPLACED_NOTICES];
	struct wsp_notify *n = &ws->notify;
	struct sock *sk = ws->sock->sk;
	struct wsp_reg_refs refs = { };
	u32 count, i;

	write_lock_bh(&sk->sk_callback_lock);
	wsp_restore_locked(n, sk);
	rcu_assign_sk_user_data(sk, NULL);
	write_unlock_bh(&sk->sk_callback_lock);
	if (wsp_tcp_listening(sk))
		wsp_unhook_accept_queue(sk);

	/*
	 * No callback can reach @n any more; its window's walker can, until
	 * wsp_window_unregister() returns.
	 */
	spin_lock_bh(&n->lock);
	wsp_reg_take_locked(n, &refs);
	count = n->ndisplaced;
	memcpy(notices, n->displaced, sizeof(notices));
	n->ndisplaced = 0;
	spin_unlock_bh(&n->lock);
	wsp_reg_refs_put(&refs);
	for (i = 0; i < count; i++)
		wsp_displaced_put(&notices[i]);
	mutex_destroy(&n->change_lock);
}

/**
 * wsp_notify_event_select() - WSPEventSelect: replace the registration
 * @ws: the socket
 * @eventfd: the eventfd's file descriptor (unused when @mask is 0)
 * @mask: the events; 0 cancels
 * @descriptor: the descriptor number registered through
 * @flags: %WSP_SELECT_NOTIFY_DISPLACED, or 0
 *
 * Every event is re-armed; the record is kept, and recorded events that
 * match @mask signal the new eventfd at once. Nothing true but already
 * consumed is signalled again; new arrivals are. The socket becomes
 * non-blocking. The registration replaced gets its notice if it asked
 * for one; a notice waiting for the new eventfd is dropped (its
 * registrant is registered again).
 *
 * Context: process context.
 * Return: 0, -EINVAL for mask bits above %WSP_FD_ALL_EVENTS or a file that
 * is not an eventfd, -EBADF for a closed fd.
 */
int wsp_notify_event_select(struct wsp_sock *ws, int eventfd, u32 mask,
			    u64 descriptor, u32 flags)
{
	struct wsp_notify *n = &ws->notify;
	struct eventfd_ctx *efd = NULL;
	struct wsp_reg_refs old = { };
	struct file *efile = NULL;
	struct fd f = {};
	u32 signal;
	int err = 0;
	int i;

	if (mask & ~WSP_FD_ALL_EVENTS)
		return -EINVAL;
	if (mask) {
		f = fdget(eventfd);
		if (!fd_file(f))
			return -EBADF;
	}

	mutex_lock(&n->change_lock);
	/*
	 * The same eventfd again (a switch of the mask): the registration
	 * keeps its references, and none is taken or put.
	 */
	if (mask && fd_file(f) != n->efile) {
		efd = eventfd_ctx_fileget(fd_file(f));
		if (IS_ERR(efd)) {
			err = PTR_ERR(efd);
			goto out;
		}
		efile = get_file(fd_file(f));
	}
	wsp_sock_set_nonblocking(ws, true);
	spin_lock_bh(&n->lock);
	/* No @efile with a mask: the registration's own eventfd again. */
	wsp_notice_displaced_locked(n, descriptor,
				    efile ? efd : mask ? n->efd : NULL, &old);
	wsp_reg_take_locked(n, &old);
	n->held = 0;
	if (mask) {
		if (!efile) {
			swap(efile, old.efile);
			swap(efd, old.efd);
		}
		n->kind = WSP_REG_EVENT;
		wsp_stat_inc(WSP_STAT_REGISTRATIONS);
		n->mask = mask;
		n->efile = efile;
		n->efd = efd;
		n->efd_number = eventfd;
		n->descriptor = descriptor;
		/* Before wsp_reg_pid() may move the previous pid out of @old. */
		trace_wsp_registration(ws, descriptor, old.pid, old.kind,
				       old.mask);
		n->pid = wsp_reg_pid(&old);
		n->notice = flags & WSP_SELECT_NOTIFY_DISPLACED;
		i = wsp_displaced_find_locked(n, efd);
		if (i >= 0)
			wsp_displaced_remove_locked(n, i, &old.drop[1]);
		signal = n->recorded & mask;
		if (signal) {
			n->held = signal;
			eventfd_signal(efd);
			trace_wsp_event_delivered(n, signal,
						  WSP_TRACE_EVENTFD);
		}
	} else {
		trace_wsp_registration(ws, descriptor, old.pid, old.kind,
				       old.mask);
	}
	spin_unlock_bh(&n->lock);
out:
	mutex_unlock(&n->change_lock);
	fdput(f);

	if (!err)
		wsp_reg_refs_put(&old);
	return err;
}

/**
 * wsp_notify_async_select() - WSPAsyncSelect: replace the registration
 * @ws: the socket
 * @window: the window's file descriptor (unused when @mask is 0)
 * @message: the message number to post
 * @mask: the events; 0 cancels
 * @descriptor: the descriptor number registered through (wParam)
 * @flags: %WSP_SELECT_NOTIFY_DISPLACED, or 0
 *
 * Every event is re-armed and every selected condition that is true now
 * is posted at once (never FD_CONNECT). Messages already queued stay. The
 * socket becomes non-blocking. The registration replaced gets its notice
 * if it asked for one.
 *
 * Context: process context.
 * Return: 0, -EINVAL for mask bits above %WSP_FD_ALL_EVENTS or a file
 * that is not a window, -EBADF for a closed fd.
 */
int wsp_notify_async_select(struct wsp_sock *ws, int window, u32 message,
			    u32 mask, u64 descriptor, u32 flags)
{
	struct wsp_notify *n = &ws->notify;
	struct sock *sk = ws->sock->sk;
	struct wsp_reg_refs old = { };
	struct wsp_window *w = NULL;

	if (mask & ~WSP_FD_ALL_EVENTS)
		return -EINVAL;
	if (mask) {
		w = wsp_window_get_fd(window);
		if (IS_ERR(w))
			return PTR_ERR(w);
	}

	mutex_lock(&n->change_lock);
	wsp_sock_set_nonblocking(ws, true);
	spin_lock_bh(&n->lock);
	wsp_notice_displaced_locked(n, descriptor, NULL, &old);
	wsp_reg_take_locked(n, &old);
	n->held = 0;
	if (mask) {
		n->kind = WSP_REG_ASYNC;
		wsp_stat_inc(WSP_STAT_REGISTRATIONS);
		n->mask = mask;
		n->window = w;
		n->hwnd = (u32)window;
		n->message = message;
		n->descriptor = descriptor;
		/* Before wsp_reg_pid() may move the previous pid out of @old. */
		trace_wsp_registration(ws, descriptor, old.pid, old.kind,
				       old.mask);
		n->pid = wsp_reg_pid(&old);
		n->notice = flags & WSP_SELECT_NOTIFY_DISPLACED;

		wsp_on_readable_locked(n, sk);
		if (n->connected && wsp_writable(sk))
			wsp_event_locked(n, WSP_FD_WRITE_BIT, 0);
		else if (!wsp_is_stream(sk) && wsp_writable(sk))
			wsp_event_locked(n, WSP_FD_WRITE_BIT, 0);
		if (n->peer_closed)
			wsp_event_locked(n, WSP_FD_CLOSE_BIT, n->close_error);
	} else {
		trace_wsp_registration(ws, descriptor, old.pid, old.kind,
				       old.mask);
	}
	spin_unlock_bh(&n->lock);
	mutex_unlock(&n->change_lock);

	wsp_reg_refs_put(&old);
	return 0;
}

/*
 * Reset an eventfd (read its counter to zero) without waiting: under
 * wsp_notify.lock, so that it is one step with reading the record. Its
 * poll (a read of the counter, no lock) says whether there is anything
 * to read, so that a reset costs one read, and none for an eventfd
 * already at zero.
 */
static void wsp_eventfd_reset(struct file *file)
{
	struct kiocb kiocb;
	struct iov_iter iter;
	struct kvec kv;
	u64 count;
	int i;

	/* A semaphore-mode eventfd gives one per read: bounded drain. */
	for (i = 0; i < 64 && (vfs_poll(file, NULL) & EPOLLIN); i++) {
		kv.iov_base = &count;
		kv.iov_len = sizeof(count);
		iov_iter_kvec(&iter, ITER_DEST, &kv, 1, sizeof(count));
		init_sync_kiocb(&kiocb, file);
		kiocb.ki_flags |= IOCB_NOWAIT;
		if (file->f_op->read_iter(&kiocb, &iter) <= 0)
			break;
	}
}

/*
 * Whether @file is an eventfd: the registration's own (no reference
 * needed to tell), or one eventfd_ctx_fileget() accepts.
 */
static int wsp_check_eventfd(struct wsp_notify *n, struct file *file)
{
	struct eventfd_ctx *ctx;

	if (file == READ_ONCE(n->efile))
		return 0;
	ctx = eventfd_ctx_fileget(file);
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);
	eventfd_ctx_put(ctx);
	return 0;
}

/**
 * wsp_notify_enum() - WSPEnumNetworkEvents
 * @ws: the socket
 * @a: the arguments: @a->eventfd, an eventfd to reset, or -1. Out:
 *	@a->network_events, the recorded events of the event-select mask (0
 *	with no event-select registration), which leave the record, and
 *	their @a->errors (other slots are not written); or, when
 *	@a->eventfd has a notice waiting, %WSP_FD_DISPLACED alone, with
 *	@a->displaced_pid and @a->displaced_descriptor
 *
 * Copying, clearing and resetting are one step under the socket's
 * notification lock: an event that races with it is either in the result
 * or signals the eventfd again; so is a notice. An enumeration that
 * consumes a notice is its displaced registrant's: it reports and clears
 * none of the active registration's events (whose eventfd is never the
 * notice's: a registration naming that eventfd drops the notice).
 *
 * Context: process context.
 * Return: 0, -EBADF for a closed fd, -EINVAL for a file that is not an
 * eventfd.
 */
int wsp_notify_enum(struct wsp_sock *ws, struct wsp_enum_events_args *a)
{
	struct wsp_notify *n = &ws->notify;
	struct wsp_displaced notice = { };
	struct eventfd_ctx *efd = NULL;
	unsigned long out = 0;
	struct fd f = {};
	int bit, err, i = -1;

	if (a->eventfd != -1) {
		f = fdget(a->eventfd);
		if (!fd_file(f))
			return -EBADF;
		err = wsp_check_eventfd(n, fd_file(f));
		if (err) {
			fdput(f);
			return err;
		}
	}

	spin_lock_bh(&n->lock);
	/*
	 * A notice is never for the registration's own eventfd. Decided
	 * under the lock, so that a notice given meanwhile, whose signal
	 * the reset below clears, is reported now.
	 */
	if (fd_file(f) && n->ndisplaced && fd_file(f) != n->efile) {
		/* An eventfd (checked above): this cannot fail or sleep. */
		efd = eventfd_ctx_fileget(fd_file(f));
		if (IS_ERR(efd))
			efd = NULL;
		else
			i = wsp_displaced_find_locked(n, efd);
	}
	if (i >= 0) {
		wsp_displaced_remove_locked(n, i, &notice);
	} else if (n->kind == WSP_REG_EVENT) {
		out = n->recorded & n->mask;
		n->recorded &= ~out;
		for_each_set_bit(bit, &out, WSP_FD_MAX_EVENTS)
			a->errors[bit] = n->errors[bit];
	}
	if (fd_file(f))
		wsp_eventfd_reset(fd_file(f));
	spin_unlock_bh(&n->lock);

	if (notice.efd) {
		out |= WSP_FD_DISPLACED;
		a->displaced_pid = pid_vnr(notice.pid);
		a->displaced_descriptor = notice.descriptor;
		wsp_displaced_put(&notice);
	}
	if (efd)
		eventfd_ctx_put(efd);
	fdput(f);
	a->network_events = out;
	return 0;
}

/* Re-enable @events: clear them from the hold set and the record. */
static void wsp_reenable_locked(struct wsp_notify *n, struct sock *sk,
				u32 events)
{
	n->held &= ~events;
	n->recorded &= ~events;
	wsp_on_readable_locked(n, sk);
}

/**
 * wsp_notify_reenable() - the re-enabling call for @events was made
 * @ws: the socket
 * @events: FD_ACCEPT after accept (a receive: wsp_notify_received())
 *
 * Re-arms the events and drops them from the record: those still true
 * are recorded and reported again at once, those gone are forgotten (an
 * accept that leaves no connection waiting leaves no FD_ACCEPT recorded).
 *
 * Context: process context.
 */
void wsp_notify_reenable(struct wsp_sock *ws, u32 events)
{
	struct wsp_notify *n = &ws->notify;

	spin_lock_bh(&n->lock);
	wsp_reenable_locked(n, ws->sock->sk, events);
	spin_unlock_bh(&n->lock);
}

/**
 * wsp_notify_received() - a receive returned
 * @ws: the socket
 * @ret: what it returned: a byte count or a negative errno
 *
 * Re-enables FD_READ and FD_OOB (see wsp_notify_reenable()), also after a
 * failed receive; except that a receive that failed with -EFAULT (a
 * buffer the kernel could not write) re-enables nothing under an
 * event-select, as in Windows, where only the message-mode layer above
 * the driver re-posts.
 *
 * Context: process context.
 */
void wsp_notify_received(struct wsp_sock *ws, long ret)
{
	struct wsp_notify *n = &ws->notify;

	spin_lock_bh(&n->lock);
	if (ret != -EFAULT || n->kind == WSP_REG_ASYNC)
		wsp_reenable_locked(n, ws->sock->sk,
				    WSP_FD_READ | WSP_FD_OOB);
	spin_unlock_bh(&n->lock);
}

/**
 * wsp_notify_bound() - a call that may have bound a datagram socket
 *	returned (bind, or a send's implicit bind)
 * @ws: the socket
 *
 * A datagram socket gets FD_WRITE once, when it becomes bound.
 *
 * Context: process context.
 */
void wsp_notify_bound(struct wsp_sock *ws)
{
	struct wsp_notify *n = &ws->notify;
	struct sock *sk = ws->sock->sk;

	if (wsp_is_stream(sk) || READ_ONCE(n->bound) ||
	    !READ_ONCE(inet_sk(sk)->inet_num))
		return;
	spin_lock_bh(&n->lock);
	if (!n->bound) {
		WRITE_ONCE(n->bound, true);
		wsp_event_locked(n, WSP_FD_WRITE_BIT, 0);
	}
	spin_unlock_bh(&n->lock);
}

/**
 * wsp_notify_send_blocked() - a send failed because it would block
 * @ws: the socket
 *
 * Re-arms FD_WRITE, reported when space returns.
 *
 * Context: process context.
 */
void wsp_notify_send_blocked(struct wsp_sock *ws)
{
	struct wsp_notify *n = &ws->notify;

	spin_lock_bh(&n->lock);
	n->held &= ~WSP_FD_WRITE;
	WRITE_ONCE(n->send_blocked, true);
	/*
	 * Space may have returned before the flag was set; a write-space
	 * callback that reads the flag unlocked pairs with this barrier
	 * (wsp_write_space_wanted()).
	 */
	smp_mb();
	wsp_on_writable_locked(n, ws->sock->sk);
	spin_unlock_bh(&n->lock);
}

/**
 * wsp_notify_connect_start() - a connect is about to be attempted
 * @ws: the socket
 *
 * Context: process context.
 */
void wsp_notify_connect_start(struct wsp_sock *ws)
{
	struct wsp_notify *n = &ws->notify;

	spin_lock_bh(&n->lock);
	if (!n->connected && READ_ONCE(ws->sock->sk->sk_state) == TCP_CLOSE)
		n->connect_pending = true;
	spin_unlock_bh(&n->lock);
}

/**
 * wsp_notify_connect_done() - a connect call returned
 * @ws: the socket
 * @err: what it returned
 *
 * A datagram socket's connect completes at once: FD_CONNECT is recorded
 * (reported under an event-select, never posted: Windows posts no
 * FD_CONNECT message for a datagram socket) and FD_WRITE is re-armed and
 * reported. A stream connect that failed at once for a network reason
 * completes with that error; one refused for its arguments reports
 * nothing.
 *
 * Context: process context.
 */
void wsp_notify_connect_done(struct wsp_sock *ws, int err)
{
	struct wsp_notify *n = &ws->notify;
	struct sock *sk = ws->sock->sk;

	spin_lock_bh(&n->lock);
	if (!wsp_is_stream(sk)) {
		n->connect_pending = false;
		if (!err) {
			n->connected = true;
			WRITE_ONCE(n->bound, true);
			if (n->kind == WSP_REG_ASYNC)
				wsp_record_locked(n, WSP_FD_CONNECT_BIT, 0);
			else
				wsp_event_locked(n, WSP_FD_CONNECT_BIT, 0);
			n->held &= ~WSP_FD_WRITE;
			wsp_event_locked(n, WSP_FD_WRITE_BIT, 0);
		}
	} else if (n->connect_pending &&
		   READ_ONCE(sk->sk_state) == TCP_CLOSE) {
		n->connect_pending = false;
		if (err == -ENETUNREACH || err == -EHOSTUNREACH ||
		    err == -ECONNREFUSED || err == -ETIMEDOUT)
			wsp_event_locked(n, WSP_FD_CONNECT_BIT,
					 -err);
	}
	spin_unlock_bh(&n->lock);
}

/* Whether event @bit's condition is still true, for those that have one. */
static bool wsp_still_true(struct sock *sk, int bit)
{
	switch (bit) {
	case WSP_FD_READ_BIT:
		return wsp_readable(sk);
	case WSP_FD_OOB_BIT:
		return wsp_urgent(sk);
	case WSP_FD_ACCEPT_BIT:
		return wsp_acceptable(sk);
	default:
		return true;
	}
}

/**
 * wsp_notify_post_due() - a window has room: post a registration's due
 *	messages
 * @waiter: the registration's waiter, which @w's walker took off its
 *	waiting list
 * @w: the window
 *
 * Posts the due events in the order they happen in (FD_CONNECT,
 * FD_ACCEPT, FD_READ, FD_OOB, FD_WRITE, FD_CLOSE) with their recorded
 * errors, each then held, until the window is full again (the rest stay
 * due and the registration waits again). FD_READ, FD_OOB and FD_ACCEPT
 * are posted only while still true: data or a connection taken since
 * leaves nothing to announce. Nothing is done if the registration no
 * longer names @w (it was replaced or ended meanwhile).
 *
 * Context: process context (the window's walker), holding no spinlock;
 * the socket object lives until wsp_window_unregister() has returned.
 */
void wsp_notify_post_due(struct wsp_window_waiter *waiter,
			 struct wsp_window *w)
{
	static const u8 order[] = {
		WSP_FD_CONNECT_BIT, WSP_FD_ACCEPT_BIT, WSP_FD_READ_BIT,
		WSP_FD_OOB_BIT, WSP_FD_WRITE_BIT, WSP_FD_CLOSE_BIT,
	};
	struct wsp_notify *n = container_of(waiter, struct wsp_notify, waiter);
	struct wsp_sock *ws = container_of(n, struct wsp_sock, notify);
	u32 due;
	int i;

	spin_lock_bh(&n->lock);
	if (n->kind == WSP_REG_ASYNC && n->window == w) {
		due = n->due;
		n->due = 0;
		for (i = 0; i < ARRAY_SIZE(order); i++)
			if ((due & BIT(order[i])) &&
			    wsp_still_true(ws->sock->sk, order[i]))
				wsp_post_locked(n, order[i], true);
	}
	spin_unlock_bh(&n->lock);
}

/**
 * wsp_notify_set_nonblocking() - FIONBIO
 * @ws: the socket
 * @nonblocking: the mode
 *
 * Context: process context.
 * Return: 0, or -EINVAL for blocking mode while a registration with a
 * non-zero mask is active (whoever made it).
 */
int wsp_notify_set_nonblocking(struct wsp_sock *ws, bool nonblocking)
{
	struct wsp_notify *n = &ws->notify;
	bool registered;
	int ret = 0;

	mutex_lock(&n->change_lock);
	spin_lock_bh(&n->lock);
	registered = n->kind != WSP_REG_NONE && n->mask;
	spin_unlock_bh(&n->lock);
	if (!nonblocking && registered)
		ret = -EINVAL;
	else
		wsp_sock_set_nonblocking(ws, nonblocking);
	mutex_unlock(&n->change_lock);
	return ret;
}

/**
 * wsp_notify_get() - describe the registration (introspection)
 * @ws: the socket
 * @reg: out
 *
 * Context: process context.
 */
void wsp_notify_get(struct wsp_sock *ws, struct wsp_registration *reg)
{
	struct wsp_notify *n = &ws->notify;
	struct pid *pid;

	memset(reg, 0, sizeof(*reg));
	spin_lock_bh(&n->lock);
	reg->kind = n->kind;
	reg->mask = n->mask;
	reg->message = n->message;
	reg->descriptor = n->descriptor;
	reg->hwnd = n->hwnd;
	reg->recorded = n->recorded;
	reg->held = n->held;
	pid = get_pid(n->pid);
	spin_unlock_bh(&n->lock);

	reg->pid = pid ? pid_vnr(pid) : 0;
	put_pid(pid);
}

/**
 * wsp_notify_record() - describe the registration for WSP_IOC_SOCKETS
 * @ws: the socket
 * @rec: out: its reg_* fields, @recorded and @held
 *
 * Context: process context.
 */
void wsp_notify_record(struct wsp_sock *ws, struct wsp_socket_record *rec)
{
	struct wsp_notify *n = &ws->notify;

	spin_lock_bh(&n->lock);
	rec->reg_kind = n->kind;
	rec->reg_mask = n->mask;
	rec->reg_message = n->message;
	rec->reg_eventfd = n->kind == WSP_REG_EVENT ? n->efd_number : -1;
	rec->reg_descriptor = n->descriptor;
	rec->reg_hwnd = n->hwnd;
	rec->recorded = n->recorded;
	rec->held = n->held;
	/* Under the lock: the registration's reference keeps it. */
	rec->reg_pid = n->pid ? pid_vnr(n->pid) : 0;
	spin_unlock_bh(&n->lock);
}

/* Learn the callbacks a fresh socket of @type has into @defaults. */
static int wsp_learn_defaults(int type, int protocol, wsp_sk_cb_t *defaults)
{
	struct socket *sock;
	enum wsp_cb cb;
	int err;

	err = sock_create_kern(&init_net, AF_INET, type, protocol, &sock);
	if (err)
		return err;
	for (cb = 0; cb < WSP_CB_COUNT; cb++)
		defaults[cb] = *wsp_sk_slot(sock->sk, cb);
	sock_release(sock);
	return 0;
}

/**
 * wsp_notify_init() - learn the TCP and UDP callbacks a fresh socket has
 *
 * Context: module init.
 * Return: 0, or what creating a kernel socket returns.
 */
int wsp_notify_init(void)
{
	int err;

	err = wsp_learn_defaults(SOCK_STREAM, IPPROTO_TCP, wsp_tcp_defaults);
	if (err)
		return err;
	return wsp_learn_defaults(SOCK_DGRAM, IPPROTO_UDP, wsp_udp_defaults);
}

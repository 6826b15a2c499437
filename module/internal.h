/* SPDX-License-Identifier: GPL-2.0 */
/*
 * internal.h - the types and functions that cross the files of wspshare.
 *
 * Each .c file owns one concept and says at its top what it owns and which
 * lock protects what:
 *
 *   main.c        module init/exit, /dev/wspshare and its ioctls
 *   ioctl.c       the ioctl argument protocol, publishing new fds
 *   socket.c      the socket object: creation, lookup, lifetime
 *   ops.c         the proto_ops copies and their wrappers
 *   descriptor.c  the wspshare ioctls sent to a socket descriptor
 *   token.c       pending duplications
 *   notify.c      the registration, the event record, socket callbacks
 *   window.c      windows: message queues for async-select
 *   stats.c       live object counters (debugfs)
 *   trace.c       the tracepoints (trace.h)
 *
 * Dependencies run one way: main.c uses socket.c, token.c, window.c and
 * ioctl.c; socket.c uses ops.c, notify.c and token.c (to describe a
 * socket); ops.c uses socket.c's lookup, notify.c and descriptor.c;
 * descriptor.c uses notify.c, token.c and ioctl.c; notify.c uses
 * window.c; everything uses stats.c; notify.c and token.c fire the
 * tracepoints of trace.h.
 */
#ifndef _WSPSHARE_INTERNAL_H
#define _WSPSHARE_INTERNAL_H

#include <linux/build_bug.h>
#include <linux/fs.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/refcount.h>
#include <linux/spinlock.h>
#include <linux/stddef.h>
#include <linux/types.h>
#include <linux/uio.h>
#include <uapi/linux/wspshare.h>

#include "compat.h"

/*
 * WSP_MODULE_MAJOR and WSP_MODULE_MINOR come from the top-level VERSION
 * file (module/Kbuild passes them), the one version of the module, libwsp
 * and the packages.
 */

struct socket;
struct sock;
struct pid;
struct eventfd_ctx;

/* ioctl.c: the argument protocol (see "General ioctl format" in the uapi). */

/* The largest argument struct any wspshare ioctl takes. */
#define WSP_IOCTL_ARG_MAX	256

/**
 * struct wsp_ioctl_call - one ioctl in progress
 * @file: the file the ioctl was sent to
 * @priv: the object the ioctl is about (the socket object for a
 *	descriptor's ioctls), set by whoever dispatches
 * @uarg: the user's argument pointer, for handlers that must hand a user
 *	address on to the socket layer
 * @usize: the size of the user's struct (from the ioctl number)
 * @new_fd: a descriptor number reserved by wsp_ioctl_reserve_fd(), or -1
 * @new_file: the file to install at @new_fd once the output is copied out
 * @undo: if set, called when the output cannot be copied out after the
 *	handler succeeded, to take back what the handler did
 * @undo_data: for @undo: what the handler made (in the kernel copy of
 *	the argument struct, still valid when @undo runs)
 *
 * A handler that creates a file reserves its number first, then sets
 * @new_file; the dispatcher copies the output struct to user space and
 * only then installs the file, so that nothing can fail after fd_install()
 * (the ioctl then returns the new descriptor). A handler whose effect is
 * useless unless the caller learns its output (a duplication token) sets
 * @undo, so that a failed copy-out changes nothing.
 */
struct wsp_ioctl_call {
	struct file *file;
	void *priv;
	void __user *uarg;
	unsigned int usize;
	int new_fd;
	struct file *new_file;
	void (*undo)(struct wsp_ioctl_call *call);
	const void *undo_data;
};

/**
 * struct wsp_ioctl_op - one ioctl in a dispatch table
 * @cmd: the ioctl number as this module's header defines it
 * @ksize: the size of the struct the module knows (the size bits of @cmd)
 * @min_size: the size of the struct's first published version
 * @run: the handler; @arg is a kernel copy of the struct, zero-extended,
 *	whose contents are copied back to user space if @run returns >= 0 and
 *	the command has _IOC_READ
 */
struct wsp_ioctl_op {
	unsigned int cmd;
	unsigned int ksize;
	unsigned int min_size;
	long (*run)(struct wsp_ioctl_call *call, void *arg);
};

/*
 * WSP_IOCTL_OP - a dispatch table entry. @_last names the last field of the
 * struct's first published version.
 */
#define WSP_IOCTL_OP(_cmd, _run, _struct, _last)			\
	{								\
		.cmd = (_cmd),						\
		.ksize = sizeof(_struct) +				\
			 BUILD_BUG_ON_ZERO(sizeof(_struct) > WSP_IOCTL_ARG_MAX), \
		.min_size = offsetofend(_struct, _last),		\
		.run = (_run),						\
	}

long wsp_ioctl_dispatch(struct file *file, void *priv, unsigned int cmd,
			unsigned long arg, const struct wsp_ioctl_op *ops,
			size_t n_ops);
bool wsp_ioctl_known(unsigned int cmd, const struct wsp_ioctl_op *ops,
		     size_t n_ops);
int wsp_ioctl_reserve_fd(struct wsp_ioctl_call *call, u32 wsp_flags);
int wsp_ioctl_check_writable(struct wsp_ioctl_call *call, const void *arg,
			     size_t ksize);

/* window.c: message queues. */
struct wsp_window;

/**
 * struct wsp_window_waiter - a registration waiting for room in a window
 * @node: on the window's waiting list, protected by the window's lock;
 *	empty when not waiting
 */
struct wsp_window_waiter {
	struct list_head node;
};

struct file *wsp_window_file(u32 limit, bool nonblock);
struct wsp_window *wsp_window_get_fd(int fd);
void wsp_window_ref(struct wsp_window *w);
void wsp_window_waiter_init(struct wsp_window_waiter *waiter);
void wsp_window_cancel_wait(struct wsp_window *w,
			    struct wsp_window_waiter *waiter);
void wsp_window_unregister(struct wsp_window *w,
			   struct wsp_window_waiter *waiter);
bool wsp_window_post(struct wsp_window *w, const struct wsp_message *msg,
		     struct wsp_window_waiter *waiter);
bool wsp_window_repost(struct wsp_window *w, const struct wsp_message *msg,
		       struct wsp_window_waiter *waiter);

/* The socket callbacks notify.c hooks, and their type. */
enum wsp_cb {
	WSP_CB_DATA_READY,
	WSP_CB_WRITE_SPACE,
	WSP_CB_STATE_CHANGE,
	WSP_CB_ERROR_REPORT,
	WSP_CB_COUNT
};

typedef void (*wsp_sk_cb_t)(struct sock *sk);

/**
 * struct wsp_displaced - a notice to a displaced event-select registration
 *	(%WSP_SELECT_NOTIFY_DISPLACED), kept until its eventfd is enumerated
 * @efd: the displaced registration's eventfd, whose reference it took over
 * @pid: the displacing process
 * @descriptor: the descriptor number the displacing call registered through
 */
struct wsp_displaced {
	struct eventfd_ctx *efd;
	struct pid *pid;
	u64 descriptor;
};

/**
 * struct wsp_notify - a socket's registration and network-event record
 * @change_lock: serialises registrations and blocking-mode changes
 * @lock: protects every field below (see notify.c)
 * @kind: WSP_REG_NONE, WSP_REG_EVENT or WSP_REG_ASYNC
 * @mask: the events the registration selects
 * @message: async-select's message number
 * @hwnd: async-select's window, as the registering process named it
 * @descriptor: the descriptor number registered through (wParam), or
 *	%WSP_DESCRIPTOR_UNKNOWN for one inherited at accept
 * @pid: the registering process
 * @notice: the registration asked to be told when it is displaced
 *	(%WSP_SELECT_NOTIFY_DISPLACED)
 * @efile: event-select's eventfd file
 * @efd: its context, which is signalled
 * @efd_number: the eventfd's descriptor number, as the registering
 *	process named it (shown by WSP_IOC_SOCKETS)
 * @window: async-select's window
 * @waiter: on @window's waiting list while @due is not empty
 * @due: async-select's events whose message @window had no room for;
 *	posted when it has room again (see wsp_notify_post_due())
 * @recorded: the record: events recorded and not yet enumerated
 * @errors: the record's error per event, a positive errno or 0
 * @held: events reported and waiting for their re-enabling call
 * @connect_pending: a stream connect was started and has no outcome yet
 * @connected: the socket has (or had) a connection
 * @peer_closed: FD_CLOSE happened; @close_error is its error
 * @close_error: the errno FD_CLOSE carried (0 for a graceful close)
 * @send_blocked: a send failed with would-block; FD_WRITE when space
 *	returns
 * @bound: a datagram socket is bound (it got its FD_WRITE); also read
 *	without @lock, as a hint
 * @ndisplaced: the number of notices in @displaced
 * @displaced: notices to displaced event-select registrations not yet
 *	enumerated, oldest first
 * @orig: the real socket's callbacks before they were hooked
 */
struct wsp_notify {
	struct mutex change_lock;	/* serialises process-context changes */
	spinlock_t lock;	/* protects all of struct wsp_notify */
	u32 kind;
	u32 mask;
	u32 message;
	u64 hwnd;
	u64 descriptor;
	struct pid *pid;
	bool notice;
	struct file *efile;
	struct eventfd_ctx *efd;
	s32 efd_number;
	struct wsp_window *window;
	struct wsp_window_waiter waiter;
	u32 due;
	u32 recorded;
	s32 errors[WSP_FD_MAX_EVENTS];
	u32 held;
	bool connect_pending;
	bool connected;
	bool peer_closed;
	s32 close_error;
	bool send_blocked;
	bool bound;
	u32 ndisplaced;
	struct wsp_displaced displaced[WSP_MAX_DISPLACED_NOTICES];
	wsp_sk_cb_t orig[WSP_CB_COUNT];
};

/* socket.c: the socket object. */

/**
 * struct wsp_sock - what wspshare keeps of one socket
 * @sock: the real socket; its one file is what every descriptor refers to
 * @id: unique while the module is loaded (fdinfo, WSP_IOC_SOCKET_INFO)
 * @pending_duplicates: duplications made and not yet redeemed; protected
 *	by token.c's wsp_token_lock
 * @tokens: those duplications (struct wsp_token), protected likewise
 * @notify: the registration and the event record (notify.c)
 *
 * It lives exactly as long as the socket: attached when the socket is
 * created (or accepted), found through sk_user_data, freed by the release
 * wrapper. Everything else a socket has (options, blocking mode,
 * connection state, queued data) lives in @sock and its file.
 */
struct wsp_sock {
	struct socket *sock;
	u64 id;
	unsigned int pending_duplicates;
	struct list_head tokens;
	struct wsp_notify notify;
};

int wsp_sock_create(int family, int type, int protocol, u32 wsp_flags,
		    struct file **filep);
struct wsp_sock *wsp_sock_of(struct socket *sock);
int wsp_sock_accepted(struct socket *listener, struct socket *newsock,
		      struct wsp_sock *nws);
struct wsp_sock *wsp_sock_alloc(void);
int wsp_sock_init(void);
void wsp_sock_exit(void);
void wsp_sock_free(struct wsp_sock *ws);
void wsp_sock_release(struct socket *sock);
bool wsp_sock_is_nonblocking(const struct wsp_sock *ws);
unsigned int wsp_sock_list(u64 *after, struct wsp_socket_record *recs,
			   unsigned int max, bool *end);
void wsp_sock_set_nonblocking(struct wsp_sock *ws, bool nonblocking);

/* ops.c: the proto_ops copies. */
int wsp_ops_adopt(struct socket *sock);
void wsp_ops_disown(struct socket *sock);

/* descriptor.c: the wspshare ioctls of a descriptor. */
long wsp_desc_ioctl(struct wsp_sock *ws, unsigned int cmd,
		    void __user *uarg);
bool wsp_desc_ioctl_known(unsigned int cmd);

/* notify.c: the registration and the event record. */
int wsp_notify_init(void);
struct wsp_sock *wsp_sock_owning(const struct sock *sk, uintptr_t user_data);
int wsp_notify_attach(struct wsp_sock *ws, struct wsp_sock *parent);
void wsp_notify_detach(struct wsp_sock *ws);
void wsp_notify_unhook(struct sock *sk);
void wsp_notify_listen_stop_begin(struct wsp_sock *ws);
void wsp_notify_listen_stop_end(struct wsp_sock *ws);
int wsp_notify_event_select(struct wsp_sock *ws, int eventfd, u32 mask,
			    u64 descriptor, u32 flags);
int wsp_notify_async_select(struct wsp_sock *ws, int window, u32 message,
			    u32 mask, u64 descriptor, u32 flags);
int wsp_notify_enum(struct wsp_sock *ws, struct wsp_enum_events_args *a);
void wsp_notify_get(struct wsp_sock *ws, struct wsp_registration *reg);
void wsp_notify_record(struct wsp_sock *ws, struct wsp_socket_record *rec);
void wsp_notify_reenable(struct wsp_sock *ws, u32 events);
void wsp_notify_received(struct wsp_sock *ws, long ret);
void wsp_notify_bound(struct wsp_sock *ws);
void wsp_notify_send_blocked(struct wsp_sock *ws);
void wsp_notify_connect_start(struct wsp_sock *ws);
void wsp_notify_connect_done(struct wsp_sock *ws, int err);
void wsp_notify_post_due(struct wsp_window_waiter *waiter,
			 struct wsp_window *w);
int wsp_notify_set_nonblocking(struct wsp_sock *ws, bool nonblocking);

/* token.c: pending duplications. */
int wsp_token_create(struct wsp_sock *ws, pid_t pid,
		     struct wsp_protocol_info *info);
int wsp_token_redeem(const struct wsp_protocol_info *info, u32 wsp_flags);
void wsp_token_cancel(const struct wsp_protocol_info *info);
void wsp_token_exit(void);
void wsp_token_record(struct wsp_sock *ws, struct wsp_socket_record *rec);

/* stats.c: live object counters. */
enum wsp_stat {
	WSP_STAT_SOCKETS,
	WSP_STAT_PENDING_DUPLICATES,
	WSP_STAT_REGISTRATIONS,
	WSP_STAT_WINDOWS,
	WSP_STAT_COUNT
};

/* Requests refused by a bound, counted in debugfs ("refusals"). */
enum wsp_refused {
	WSP_REFUSED_NOT_PERMITTED,
	WSP_REFUSED_USER_LIMIT,
	WSP_REFUSED_SYSTEM_LIMIT,
	WSP_REFUSED_DISPLACED_NOTICE,
	WSP_REFUSED_COUNT
};

void wsp_refusal(enum wsp_refused why);
void wsp_stat_inc(enum wsp_stat stat);
void wsp_stat_dec(enum wsp_stat stat);
void wsp_stats_init(void);
void wsp_stats_exit(void);

#endif /* _WSPSHARE_INTERNAL_H */

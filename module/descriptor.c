// SPDX-License-Identifier: GPL-2.0
/*
 * descriptor.c - the wspshare ioctls sent to a socket descriptor.
 *
 * Owns: the dispatch table of the ioctls that carry wspshare's magic
 * number on a wspshare socket (ops.c's ioctl wrapper sends them here):
 * duplicate, socket info, blocking mode, event-select, async-select,
 * enumerate, registration. Every handler checks its argument struct, then
 * calls notify.c, token.c or socket.c; none keeps state of its own. What
 * Linux already has (bind, connect, send, options...) is the system calls'
 * business, not an ioctl's.
 *
 * Locking: none of its own.
 */
#include <linux/ioctl.h>
#include <linux/fs.h>
#include <linux/net.h>
#include <linux/uaccess.h>
#include <net/sock.h>

#include "internal.h"

static struct wsp_sock *wsp_desc_sock(struct wsp_ioctl_call *call)
{
	return call->priv;
}

static void wsp_desc_duplicate_undo(struct wsp_ioctl_call *call)
{
	wsp_token_cancel(call->undo_data);
}

static long wsp_desc_duplicate(struct wsp_ioctl_call *call, void *arg)
{
	struct wsp_duplicate_args *a = arg;
	int err;

	if (a->flags)
		return -EINVAL;
	err = wsp_token_create(wsp_desc_sock(call), a->pid, &a->info);
	if (err)
		return err;
	/* A record the caller never receives must not stay pending. */
	call->undo = wsp_desc_duplicate_undo;
	call->undo_data = &a->info;
	return 0;
}

static long wsp_desc_socket_info(struct wsp_ioctl_call *call, void *arg)
{
	struct wsp_sock *ws = wsp_desc_sock(call);
	struct wsp_socket_info *info = arg;

	if (info->flags)
		return -EINVAL;
	memset(info, 0, sizeof(*info));
	info->family = ws->sock->sk->sk_family;
	info->type = ws->sock->sk->sk_type;
	info->protocol = ws->sock->sk->sk_protocol;
	info->nonblocking = wsp_sock_is_nonblocking(ws);
	info->pending_duplicates = READ_ONCE(ws->pending_duplicates);
	info->socket_id = ws->id;
	return 0;
}

static long wsp_desc_set_nonblock(struct wsp_ioctl_call *call, void *arg)
{
	struct wsp_nonblock_args *a = arg;

	if (a->flags || a->nonblocking > 1)
		return -EINVAL;
	return wsp_notify_set_nonblocking(wsp_desc_sock(call), a->nonblocking);
}

static long wsp_desc_event_select(struct wsp_ioctl_call *call, void *arg)
{
	struct wsp_event_select_args *a = arg;

	if ((a->flags & ~WSP_SELECT_NOTIFY_DISPLACED) || a->__reserved)
		return -EINVAL;
	return wsp_notify_event_select(wsp_desc_sock(call), a->eventfd,
				       a->mask, a->descriptor, a->flags);
}

static long wsp_desc_async_select(struct wsp_ioctl_call *call, void *arg)
{
	struct wsp_async_select_args *a = arg;

	if (a->flags & ~WSP_SELECT_NOTIFY_DISPLACED)
		return -EINVAL;
	return wsp_notify_async_select(wsp_desc_sock(call), a->window,
				       a->message, a->mask, a->descriptor,
				       a->flags);
}

static long wsp_desc_enum_events(struct wsp_ioctl_call *call, void *arg)
{
	struct wsp_enum_events_args *a = arg;
	int err;

	if (a->flags || a->__reserved || a->__reserved2)
		return -EINVAL;
	/* Enumerating clears the record: fail before, not after. */
	err = wsp_ioctl_check_writable(call, a, sizeof(*a));
	if (err)
		return err;
	/* An older, smaller struct is written back only as far as it goes. */
	return wsp_notify_enum(wsp_desc_sock(call), a);
}

static long wsp_desc_get_registration(struct wsp_ioctl_call *call, void *arg)
{
	struct wsp_registration *reg = arg;

	if (reg->flags || reg->__reserved)
		return -EINVAL;
	wsp_notify_get(wsp_desc_sock(call), reg);
	return 0;
}

static const struct wsp_ioctl_op wsp_desc_ops[] = {
	WSP_IOCTL_OP(WSP_IOC_DUPLICATE, wsp_desc_duplicate,
		     struct wsp_duplicate_args, info),
	WSP_IOCTL_OP(WSP_IOC_SOCKET_INFO, wsp_desc_socket_info,
		     struct wsp_socket_info, socket_id),
	WSP_IOCTL_OP(WSP_IOC_SET_NONBLOCK, wsp_desc_set_nonblock,
		     struct wsp_nonblock_args, nonblocking),
	WSP_IOCTL_OP(WSP_IOC_EVENT_SELECT, wsp_desc_event_select,
		     struct wsp_event_select_args, descriptor),
	WSP_IOCTL_OP(WSP_IOC_ASYNC_SELECT, wsp_desc_async_select,
		     struct wsp_async_select_args, descriptor),
	WSP_IOCTL_OP(WSP_IOC_ENUM_EVENTS, wsp_desc_enum_events,
		     struct wsp_enum_events_args, errors),
	WSP_IOCTL_OP(WSP_IOC_GET_REGISTRATION, wsp_desc_get_registration,
		     struct wsp_registration, held),
};

/**
 * wsp_desc_ioctl_known() - whether an ioctl number is a descriptor's
 * @cmd: the ioctl number
 *
 * Lets /dev/wspshare answer ENOTSOCK to a descriptor ioctl.
 *
 * Context: any.
 * Return: true if descriptors take @cmd.
 */
bool wsp_desc_ioctl_known(unsigned int cmd)
{
	return wsp_ioctl_known(cmd, wsp_desc_ops, ARRAY_SIZE(wsp_desc_ops));
}

/**
 * wsp_desc_ioctl() - a wspshare ioctl sent to a descriptor
 * @ws: the socket's object
 * @cmd: an ioctl number with wspshare's magic
 * @uarg: the user's argument pointer
 *
 * Context: process context, from the socket's ioctl wrapper.
 * Return: what the handler returns, or -errno (see wsp_ioctl_dispatch()).
 */
long wsp_desc_ioctl(struct wsp_sock *ws, unsigned int cmd,
		    void __user *uarg)
{
	return wsp_ioctl_dispatch(ws->sock->file, ws, cmd,
				  (unsigned long)uarg, wsp_desc_ops,
				  ARRAY_SIZE(wsp_desc_ops));
}

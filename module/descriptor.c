// SPDX-License-Identifier: GPL-2.0
/*
 * descriptor.c - descriptor files: what a process holds of a socket.
 *
 * Owns: the file operations of descriptors and the ioctls sent to them.
 * A descriptor is an open file (anon inode "[wspsock]") whose private data
 * is a reference on one socket object; WSP_IOC_SOCKET, WSP_IOC_REDEEM and
 * WSP_IOC_ACCEPT each make a new one. dup(2), fork and SCM_RIGHTS copy the
 * file as for any other; closing it drops only its own reference.
 *
 * Every handler here checks its argument struct, then calls socket.c,
 * sockopt.c, notify.c or token.c; none keeps state of its own.
 *
 * Locking: none of its own; the file's private data never changes.
 */
#include <linux/anon_inodes.h>
#include <linux/ioctl.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include <linux/sockios.h>
#include <linux/uaccess.h>
#include <asm/ioctls.h>

#include "internal.h"

static const struct file_operations wsp_desc_fops;

static struct wsp_sock *wsp_desc_sock(struct wsp_ioctl_call *call)
{
	return call->file->private_data;
}

static void wsp_desc_duplicate_undo(struct wsp_ioctl_call *call)
{
	wsp_token_cancel(call->undo_cookie);
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
	call->undo_cookie = a->info.token_id;
	return 0;
}

static long wsp_desc_socket_info(struct wsp_ioctl_call *call, void *arg)
{
	struct wsp_sock *ws = wsp_desc_sock(call);
	struct wsp_socket_info *info = arg;

	if (info->flags)
		return -EINVAL;
	memset(info, 0, sizeof(*info));
	wsp_sock_params(ws, &info->family, &info->type, &info->protocol);
	info->nonblocking = wsp_sock_is_nonblocking(ws);
	info->descriptors = atomic_read(&ws->descriptors);
	info->socket_id = ws->id;
	return 0;
}

static long wsp_desc_bind(struct wsp_ioctl_call *call, void *arg)
{
	struct wsp_addr_args *a = arg;

	if (a->flags || a->__reserved)
		return -EINVAL;
	return wsp_sock_bind(wsp_desc_sock(call), &a->addr);
}

static long wsp_desc_listen(struct wsp_ioctl_call *call, void *arg)
{
	struct wsp_listen_args *a = arg;

	if (a->flags)
		return -EINVAL;
	return wsp_sock_listen(wsp_desc_sock(call), a->backlog);
}

static long wsp_desc_connect(struct wsp_ioctl_call *call, void *arg)
{
	struct wsp_addr_args *a = arg;

	if (a->flags || a->__reserved)
		return -EINVAL;
	return wsp_sock_connect(wsp_desc_sock(call), &a->addr);
}

static long wsp_desc_accept(struct wsp_ioctl_call *call, void *arg)
{
	struct wsp_accept_args *a = arg;
	struct wsp_sock *nws;
	int err;

	if ((a->flags & ~WSP_FD_CLOEXEC) || a->__reserved)
		return -EINVAL;
	err = wsp_ioctl_reserve_fd(call, a->flags);
	if (err)
		return err;
	nws = wsp_sock_accept(wsp_desc_sock(call), &a->peer, call->new_fd);
	return wsp_desc_publish(call, nws);
}

/* The user buffer of a send or receive, checked. */
static int wsp_desc_msg_iter(struct wsp_msg_args *a, int rw,
			     struct iov_iter *iter)
{
	if (a->addr.__reserved || a->addr.len > WSP_SOCKADDR_MAX)
		return -EINVAL;
	if (a->len > MAX_RW_COUNT)
		a->len = MAX_RW_COUNT;
	return import_ubuf(rw, u64_to_user_ptr(a->buf), a->len, iter);
}

static long wsp_desc_send(struct wsp_ioctl_call *call, void *arg)
{
	struct wsp_msg_args *a = arg;
	struct iov_iter iter;
	int err;

	if ((a->flags & ~WSP_SEND_FLAGS) || a->out_flags)
		return -EINVAL;
	err = wsp_desc_msg_iter(a, ITER_SOURCE, &iter);
	if (err)
		return err;
	return wsp_sock_send(wsp_desc_sock(call), &iter, a->flags, &a->addr);
}

static long wsp_desc_recv(struct wsp_ioctl_call *call, void *arg)
{
	struct wsp_msg_args *a = arg;
	struct iov_iter iter;
	int err;

	if (a->flags & ~WSP_RECV_FLAGS)
		return -EINVAL;
	err = wsp_desc_msg_iter(a, ITER_DEST, &iter);
	if (err)
		return err;
	return wsp_sock_recv(wsp_desc_sock(call), &iter, a->flags, &a->addr,
			     &a->out_flags);
}

static long wsp_desc_shutdown(struct wsp_ioctl_call *call, void *arg)
{
	struct wsp_shutdown_args *a = arg;

	if (a->flags)
		return -EINVAL;
	return wsp_sock_shutdown(wsp_desc_sock(call), a->how);
}

static long wsp_desc_getname(struct wsp_ioctl_call *call, void *arg,
			     bool peer)
{
	struct wsp_addr_args *a = arg;

	if (a->flags || a->__reserved)
		return -EINVAL;
	return wsp_sock_getname(wsp_desc_sock(call), &a->addr, peer);
}

static long wsp_desc_getsockname(struct wsp_ioctl_call *call, void *arg)
{
	return wsp_desc_getname(call, arg, false);
}

static long wsp_desc_getpeername(struct wsp_ioctl_call *call, void *arg)
{
	return wsp_desc_getname(call, arg, true);
}

static long wsp_desc_setsockopt(struct wsp_ioctl_call *call, void *arg)
{
	struct wsp_sockopt_args *a = arg;

	if (a->flags)
		return -EINVAL;
	return wsp_sockopt_set(wsp_desc_sock(call), a->level, a->name,
			       u64_to_user_ptr(a->optval), a->optlen);
}

static long wsp_desc_getsockopt(struct wsp_ioctl_call *call, void *arg)
{
	struct wsp_sockopt_args __user *uarg = call->uarg;
	struct wsp_sockopt_args *a = arg;

	if (a->flags)
		return -EINVAL;
	return wsp_sockopt_get(wsp_desc_sock(call), a->level, a->name,
			       u64_to_user_ptr(a->optval), &a->optlen,
			       &uarg->optlen);
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

	if (a->flags || a->__reserved)
		return -EINVAL;
	return wsp_notify_event_select(wsp_desc_sock(call), a->eventfd,
				       a->mask, a->descriptor);
}

static long wsp_desc_async_select(struct wsp_ioctl_call *call, void *arg)
{
	struct wsp_async_select_args *a = arg;

	if (a->flags)
		return -EINVAL;
	return wsp_notify_async_select(wsp_desc_sock(call), a->window,
				       a->message, a->mask, a->descriptor);
}

static long wsp_desc_enum_events(struct wsp_ioctl_call *call, void *arg)
{
	struct wsp_enum_events_args *a = arg;
	int err;

	if (a->flags)
		return -EINVAL;
	/* Enumerating clears the record: fail before, not after. */
	err = wsp_ioctl_check_writable(call, a, sizeof(*a));
	if (err)
		return err;
	return wsp_notify_enum(wsp_desc_sock(call), a->eventfd,
			       &a->network_events, a->error_codes);
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
	WSP_IOCTL_OP(WSP_IOC_BIND, wsp_desc_bind, struct wsp_addr_args, addr),
	WSP_IOCTL_OP(WSP_IOC_LISTEN, wsp_desc_listen, struct wsp_listen_args,
		     backlog),
	WSP_IOCTL_OP(WSP_IOC_CONNECT, wsp_desc_connect, struct wsp_addr_args,
		     addr),
	WSP_IOCTL_OP(WSP_IOC_ACCEPT, wsp_desc_accept, struct wsp_accept_args,
		     peer),
	WSP_IOCTL_OP(WSP_IOC_SEND, wsp_desc_send, struct wsp_msg_args, addr),
	WSP_IOCTL_OP(WSP_IOC_RECV, wsp_desc_recv, struct wsp_msg_args, addr),
	WSP_IOCTL_OP(WSP_IOC_SHUTDOWN, wsp_desc_shutdown,
		     struct wsp_shutdown_args, how),
	WSP_IOCTL_OP(WSP_IOC_GETSOCKNAME, wsp_desc_getsockname,
		     struct wsp_addr_args, addr),
	WSP_IOCTL_OP(WSP_IOC_GETPEERNAME, wsp_desc_getpeername,
		     struct wsp_addr_args, addr),
	WSP_IOCTL_OP(WSP_IOC_SETSOCKOPT, wsp_desc_setsockopt,
		     struct wsp_sockopt_args, optval),
	WSP_IOCTL_OP(WSP_IOC_GETSOCKOPT, wsp_desc_getsockopt,
		     struct wsp_sockopt_args, optval),
	WSP_IOCTL_OP(WSP_IOC_SET_NONBLOCK, wsp_desc_set_nonblock,
		     struct wsp_nonblock_args, nonblocking),
	WSP_IOCTL_OP(WSP_IOC_EVENT_SELECT, wsp_desc_event_select,
		     struct wsp_event_select_args, descriptor),
	WSP_IOCTL_OP(WSP_IOC_ASYNC_SELECT, wsp_desc_async_select,
		     struct wsp_async_select_args, descriptor),
	WSP_IOCTL_OP(WSP_IOC_ENUM_EVENTS, wsp_desc_enum_events,
		     struct wsp_enum_events_args, error_codes),
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

static long wsp_desc_ioctl(struct file *file, unsigned int cmd,
			   unsigned long arg)
{
	switch (cmd) {
	case FIONREAD:
	case SIOCATMARK:
		return wsp_sock_ioctl(file->private_data, cmd, arg);
	}
	return wsp_ioctl_dispatch(file, cmd, arg, wsp_desc_ops,
				  ARRAY_SIZE(wsp_desc_ops));
}

/* read() and write() are recv and send with no flags. */
static ssize_t wsp_desc_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	if (!iov_iter_count(to))
		return 0;
	return wsp_sock_recv(iocb->ki_filp->private_data, to, 0, NULL, NULL);
}

static ssize_t wsp_desc_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	return wsp_sock_send(iocb->ki_filp->private_data, from, 0, NULL);
}

static __poll_t wsp_desc_poll(struct file *file, poll_table *wait)
{
	return wsp_sock_poll(file->private_data, file, wait);
}

static int wsp_desc_release(struct inode *inode, struct file *file)
{
	struct wsp_sock *ws = file->private_data;

	atomic_dec(&ws->descriptors);
	wsp_stat_dec(WSP_STAT_DESCRIPTORS);
	wsp_sock_put(ws);
	return 0;
}

static void wsp_desc_show_fdinfo(struct seq_file *m, struct file *file)
{
	struct wsp_sock *ws = file->private_data;

	seq_printf(m, "wsp-socket-id:\t%llu\n", ws->id);
}

static const struct file_operations wsp_desc_fops = {
	.owner		= THIS_MODULE,
	.release	= wsp_desc_release,
	.read_iter	= wsp_desc_read_iter,
	.write_iter	= wsp_desc_write_iter,
	.poll		= wsp_desc_poll,
	.unlocked_ioctl	= wsp_desc_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.show_fdinfo	= wsp_desc_show_fdinfo,
	.llseek		= noop_llseek,
};

/**
 * wsp_desc_publish() - make the new descriptor an ioctl returns
 * @call: the ioctl in progress, whose descriptor number is reserved
 * @ws: the socket, or an ERR_PTR to pass on; the descriptor takes over
 *	the caller's reference, which is dropped if that fails
 *
 * The file is not installed yet: the ioctl dispatcher installs it once
 * nothing can fail any more.
 *
 * Context: process context.
 * Return: 0, or -errno.
 */
long wsp_desc_publish(struct wsp_ioctl_call *call, struct wsp_sock *ws)
{
	struct file *file;

	if (IS_ERR(ws))
		return PTR_ERR(ws);
	file = anon_inode_getfile("[wspsock]", &wsp_desc_fops, ws, O_RDWR);
	if (IS_ERR(file)) {
		wsp_sock_put(ws);
		return PTR_ERR(file);
	}
	stream_open(file_inode(file), file);
	atomic_inc(&ws->descriptors);
	wsp_stat_inc(WSP_STAT_DESCRIPTORS);
	call->new_file = file;
	return 0;
}

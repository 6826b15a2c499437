// SPDX-License-Identifier: GPL-2.0
/*
 * ioctl.c - the argument protocol shared by every wspshare ioctl, and the
 * publishing of new file descriptors.
 *
 * Owns: matching an ioctl number against a dispatch table; copying the
 * argument struct in and out with the size the caller's header encoded in
 * the number ("General ioctl format" in uapi/linux/wspshare.h); installing
 * the file a handler created, after the output was copied out, so that
 * nothing fails once the descriptor is visible to user space.
 *
 * Locking: none; everything here works on a copy on the caller's stack.
 */
#include <linux/file.h>
#include <linux/minmax.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "internal.h"

static const struct wsp_ioctl_op *wsp_ioctl_find(unsigned int cmd,
						 const struct wsp_ioctl_op *ops,
						 size_t n_ops)
{
	size_t i;

	/* The number alone names the command; the size may differ. */
	for (i = 0; i < n_ops; i++)
		if (_IOC_TYPE(cmd) == _IOC_TYPE(ops[i].cmd) &&
		    _IOC_NR(cmd) == _IOC_NR(ops[i].cmd))
			return &ops[i];
	return NULL;
}

/**
 * wsp_ioctl_known() - whether a dispatch table has a command's number
 * @cmd: the ioctl number
 * @ops: the dispatch table
 * @n_ops: its length
 *
 * Context: any.
 * Return: true if @ops has an entry with @cmd's type and number.
 */
bool wsp_ioctl_known(unsigned int cmd, const struct wsp_ioctl_op *ops,
		     size_t n_ops)
{
	return wsp_ioctl_find(cmd, ops, n_ops);
}

/**
 * wsp_ioctl_reserve_fd() - reserve the number of the descriptor an ioctl
 * will return
 * @call: the ioctl in progress
 * @wsp_flags: the ioctl's flags; %WSP_FD_CLOEXEC makes it close-on-exec
 *
 * Reserve before doing anything that cannot be undone (such as redeeming
 * a one-shot token), so that running out of descriptors loses nothing.
 *
 * Context: process context.
 * Return: 0, or -EMFILE.
 */
int wsp_ioctl_reserve_fd(struct wsp_ioctl_call *call, u32 wsp_flags)
{
	int fd;

	if (WARN_ON_ONCE(call->new_fd >= 0))
		return -EINVAL;
	fd = get_unused_fd_flags(wsp_flags & WSP_FD_CLOEXEC ? O_CLOEXEC : 0);
	if (fd < 0)
		return fd;
	call->new_fd = fd;
	return 0;
}

/**
 * wsp_ioctl_check_writable() - make sure the output can be copied out
 * @call: the ioctl in progress
 * @arg: the kernel copy of the struct, still as the caller passed it
 * @ksize: its size
 *
 * Writes the struct back unchanged, for a handler whose effect cannot be
 * undone (an enumeration clears the record): a struct user space cannot
 * receive fails with EFAULT before anything changes.
 *
 * Context: process context; may fault.
 * Return: 0, or -EFAULT.
 */
int wsp_ioctl_check_writable(struct wsp_ioctl_call *call, const void *arg,
			     size_t ksize)
{
	if (copy_to_user(call->uarg, arg, min_t(size_t, call->usize, ksize)))
		return -EFAULT;
	return 0;
}

/**
 * wsp_ioctl_dispatch() - run one ioctl from a dispatch table
 * @file: the file the ioctl was sent to, passed on to the handler
 * @priv: the object the ioctl is about, passed on to the handler
 * @cmd: the ioctl number from user space
 * @arg: the user pointer to the argument struct
 * @ops: the dispatch table
 * @n_ops: the number of entries in @ops
 *
 * Context: process context; may sleep.
 * Return: what the handler returns, or the new descriptor if it created a
 * file; -ENOTTY for a number the table does not have (or has with other
 * direction bits), -EINVAL for a struct smaller than its first version,
 * -E2BIG for a larger one with non-zero bytes the module does not know,
 * -EFAULT for an unusable pointer.
 */
long wsp_ioctl_dispatch(struct file *file, void *priv, unsigned int cmd,
			unsigned long arg, const struct wsp_ioctl_op *ops,
			size_t n_ops)
{
	u64 buf[WSP_IOCTL_ARG_MAX / sizeof(u64)];
	struct wsp_ioctl_call call = {
		.file = file,
		.priv = priv,
		.uarg = (void __user *)arg,
		.usize = _IOC_SIZE(cmd),
		.new_fd = -1,
	};
	const struct wsp_ioctl_op *op;
	unsigned int usize;
	long ret;

	op = wsp_ioctl_find(cmd, ops, n_ops);
	if (!op || _IOC_DIR(cmd) != _IOC_DIR(op->cmd))
		return -ENOTTY;

	usize = _IOC_SIZE(cmd);
	if (usize < op->min_size)
		return -EINVAL;

	if (_IOC_DIR(cmd) & _IOC_WRITE) {
		ret = copy_struct_from_user(buf, op->ksize, call.uarg, usize);
		if (ret)
			return ret;
	} else {
		memset(buf, 0, op->ksize);
	}

	ret = op->run(&call, buf);
	if (ret < 0)
		goto undo;

	if ((_IOC_DIR(cmd) & _IOC_READ) &&
	    copy_to_user(call.uarg, buf, min(usize, op->ksize))) {
		ret = -EFAULT;
		if (call.undo)
			call.undo(&call);
		goto undo;
	}

	if (call.new_file) {
		fd_install(call.new_fd, call.new_file);
		return call.new_fd;
	}
	WARN_ON_ONCE(call.new_fd >= 0);
	return ret;

undo:
	/* The file's release undoes whatever the handler built. */
	if (call.new_file)
		fput(call.new_file);
	if (call.new_fd >= 0)
		put_unused_fd(call.new_fd);
	return ret;
}

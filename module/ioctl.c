// SPDX-License-Identifier: GPL-2.0
/*
 * ioctl.c - the argument protocol shared by every wspshare ioctl.
 *
 * Owns: matching an ioctl number against a dispatch table, and copying the
 * argument struct in and out with the size the caller's header encoded in
 * the number ("General ioctl format" in uapi/linux/wspshare.h).
 *
 * Locking: none; everything here works on a copy on the caller's stack.
 */
#include <linux/minmax.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "internal.h"

/**
 * wsp_ioctl_dispatch() - run one ioctl from a dispatch table
 * @file: the file the ioctl was sent to, passed on to the handler
 * @cmd: the ioctl number from user space
 * @arg: the user pointer to the argument struct
 * @ops: the dispatch table
 * @n_ops: the number of entries in @ops
 *
 * Context: process context; may sleep.
 * Return: what the handler returns, or -ENOTTY for a number the table does
 * not have (or has with other direction bits), -EINVAL for a struct
 * smaller than its first version, -E2BIG for a larger one with non-zero
 * bytes the module does not know, -EFAULT for an unusable pointer.
 */
long wsp_ioctl_dispatch(struct file *file, unsigned int cmd,
			unsigned long arg, const struct wsp_ioctl_op *ops,
			size_t n_ops)
{
	u64 buf[WSP_IOCTL_ARG_MAX / sizeof(u64)];
	void __user *uarg = (void __user *)arg;
	const struct wsp_ioctl_op *op = NULL;
	unsigned int usize, ksize;
	size_t i;
	long ret;

	/* The number alone names the command; the size may differ. */
	for (i = 0; i < n_ops; i++) {
		if (_IOC_TYPE(cmd) == _IOC_TYPE(ops[i].cmd) &&
		    _IOC_NR(cmd) == _IOC_NR(ops[i].cmd)) {
			op = &ops[i];
			break;
		}
	}
	if (!op || _IOC_DIR(cmd) != _IOC_DIR(op->cmd))
		return -ENOTTY;

	usize = _IOC_SIZE(cmd);
	ksize = op->ksize;
	if (usize < op->min_size)
		return -EINVAL;

	if (_IOC_DIR(cmd) & _IOC_WRITE) {
		ret = copy_struct_from_user(buf, ksize, uarg, usize);
		if (ret)
			return ret;
	} else {
		memset(buf, 0, ksize);
	}

	ret = op->run(file, buf);
	if (ret < 0 || !(_IOC_DIR(cmd) & _IOC_READ))
		return ret;

	if (copy_to_user(uarg, buf, min(usize, ksize)))
		return -EFAULT;
	return ret;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * main.c - module entry and exit, the /dev/wspshare misc device and the
 * ioctls sent to the device itself.
 *
 * Owns: the misc device, its file operations and its ioctls (version,
 * create a socket, redeem a duplication, create a window). An open
 * /dev/wspshare holds no state of its own: every object lives behind the
 * file descriptors its ioctls create. Each wspshare socket holds a module
 * reference (its proto_ops' owner is this module), each window file pins
 * the module through its fops' owner, and each pending duplication holds
 * one, so the module cannot be unloaded while any of them exists.
 *
 * Locking: none of its own.
 */
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>

#include "internal.h"

static long wsp_dev_version(struct wsp_ioctl_call *call, void *arg)
{
	struct wsp_version *v = arg;

	if (v->flags || v->__reserved)
		return -EINVAL;

	v->abi_version = WSP_ABI_VERSION;
	v->module_major = WSP_MODULE_MAJOR;
	v->module_minor = WSP_MODULE_MINOR;
	return 0;
}

static long wsp_dev_socket(struct wsp_ioctl_call *call, void *arg)
{
	struct wsp_socket_args *a = arg;
	int err;

	if (a->flags & ~(WSP_FD_CLOEXEC | WSP_SOCK_NONBLOCK))
		return -EINVAL;
	err = wsp_ioctl_reserve_fd(call, a->flags);
	if (err)
		return err;
	return wsp_sock_create(a->family, a->type, a->protocol, a->flags,
			       &call->new_file);
}

static long wsp_dev_redeem(struct wsp_ioctl_call *call, void *arg)
{
	struct wsp_redeem_args *a = arg;

	if ((a->flags & ~WSP_FD_CLOEXEC) || a->__reserved)
		return -EINVAL;
	/* Installs the descriptor itself: nothing is copied out after. */
	return wsp_token_redeem(&a->info, a->flags);
}

static long wsp_dev_window(struct wsp_ioctl_call *call, void *arg)
{
	struct wsp_window_args *a = arg;
	struct file *file;
	u32 limit = a->limit ?: WSP_WINDOW_DEFAULT_LIMIT;
	int err;

	if ((a->flags & ~(WSP_FD_CLOEXEC | WSP_WINDOW_NONBLOCK)) ||
	    limit > WSP_WINDOW_MAX_LIMIT)
		return -EINVAL;
	err = wsp_ioctl_reserve_fd(call, a->flags);
	if (err)
		return err;
	file = wsp_window_file(limit, a->flags & WSP_WINDOW_NONBLOCK);
	if (IS_ERR(file))
		return PTR_ERR(file);
	call->new_file = file;
	return 0;
}

static const struct wsp_ioctl_op wsp_dev_ops[] = {
	WSP_IOCTL_OP(WSP_IOC_VERSION, wsp_dev_version, struct wsp_version,
		     __reserved),
	WSP_IOCTL_OP(WSP_IOC_SOCKET, wsp_dev_socket, struct wsp_socket_args,
		     protocol),
	WSP_IOCTL_OP(WSP_IOC_REDEEM, wsp_dev_redeem, struct wsp_redeem_args,
		     info),
	WSP_IOCTL_OP(WSP_IOC_WINDOW, wsp_dev_window, struct wsp_window_args,
		     limit),
};

static long wsp_dev_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	long ret;

	ret = wsp_ioctl_dispatch(file, NULL, cmd, arg, wsp_dev_ops,
				 ARRAY_SIZE(wsp_dev_ops));
	/* A socket's ioctl sent to the device: it is not a socket. */
	if (ret == -ENOTTY && wsp_desc_ioctl_known(cmd))
		ret = -ENOTSOCK;
	return ret;
}

static const struct file_operations wsp_dev_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= wsp_dev_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

/*
 * Mode 0666: every operation behind the device is one an unprivileged
 * process may already do with socket(2) and eventfd(2), and each socket is
 * created with its caller's credentials and network namespace, so the node
 * itself grants nothing (Documentation/wspshare.rst, "Permissions").
 */
static struct miscdevice wsp_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= WSP_DEVICE_NAME,
	.fops	= &wsp_dev_fops,
	.mode	= 0666,
};

static int __init wsp_init(void)
{
	int ret;

	ret = wsp_notify_init();
	if (ret) {
		pr_err("cannot learn the TCP socket callbacks: %d\n", ret);
		return ret;
	}
	wsp_stats_init();
	ret = misc_register(&wsp_misc);
	if (ret) {
		pr_err("cannot register /dev/%s: %d\n", WSP_DEVICE_NAME, ret);
		wsp_stats_exit();
		return ret;
	}
	pr_info("ABI %d, module %d.%d loaded\n", WSP_ABI_VERSION,
		WSP_MODULE_MAJOR, WSP_MODULE_MINOR);
	return 0;
}

static void __exit wsp_exit(void)
{
	misc_deregister(&wsp_misc);
	wsp_token_exit();
	wsp_stats_exit();
}

module_init(wsp_init);
module_exit(wsp_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Winsock SPI descriptor semantics for Linux sockets");
MODULE_AUTHOR("The wspshare developers");
MODULE_VERSION(__stringify(WSP_MODULE_MAJOR) "." __stringify(WSP_MODULE_MINOR));

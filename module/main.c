// SPDX-License-Identifier: GPL-2.0
/*
 * main.c - module entry and exit, the /dev/wspshare misc device and the
 * ioctls sent to the device itself.
 *
 * Owns: the misc device, its file operations and its ioctls (version,
 * create a socket, redeem a duplication, create a window, list sockets). An open
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
#include <linux/kernel.h>
#include <linux/minmax.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

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

/* WSP_IOC_SOCKETS builds this many records at a time, then copies them. */
#define WSP_SOCKETS_BATCH	16
/* The largest record size a caller may name (a later, longer record). */
#define WSP_SOCKET_RECORD_MAX	4096

/* Copy @rec out as a record of @usize bytes: cut short, or zero-extended. */
static int wsp_dev_record_out(u8 __user *out, u32 usize,
			      const struct wsp_socket_record *rec)
{
	size_t ksize = sizeof(*rec);

	if (copy_to_user(out, rec, min_t(size_t, usize, ksize)))
		return -EFAULT;
	if (usize > ksize && clear_user(out + ksize, usize - ksize))
		return -EFAULT;
	return 0;
}

/*
 * Anyone may call it: it shows only the sockets of the caller's network
 * namespace, and without CAP_NET_ADMIN there only the caller's own
 * (wsp_sock_list()). At most %WSP_SOCKETS_MAX records per call, built
 * %WSP_SOCKETS_BATCH at a time so that the registry's lock is never held
 * across a copy to user space, nor for a long walk over sockets the
 * caller does not see.
 */
static long wsp_dev_sockets(struct wsp_ioctl_call *call, void *arg)
{
	struct wsp_sockets_args *a = arg;
	u8 __user *out = u64_to_user_ptr(a->records);
	u32 usize = a->record_size;
	struct wsp_socket_record *batch;
	u64 after = a->after;
	u32 done = 0, ask, n, i;
	bool end = false;
	long ret = 0;

	static_assert(sizeof(struct wsp_socket_record) >=
		      WSP_SOCKET_RECORD_SIZE_VER0);
	if (a->flags || a->count > WSP_SOCKETS_MAX ||
	    usize < WSP_SOCKET_RECORD_SIZE_VER0 ||
	    usize > WSP_SOCKET_RECORD_MAX)
		return -EINVAL;

	batch = kmalloc_array(WSP_SOCKETS_BATCH, sizeof(*batch), GFP_KERNEL);
	if (!batch)
		return -ENOMEM;
	while (done < a->count && !end) {
		ask = min_t(u32, a->count - done, WSP_SOCKETS_BATCH);
		memset(batch, 0, ask * sizeof(*batch));
		n = wsp_sock_list(&after, batch, ask, &end);
		for (i = 0; i < n; i++, out += usize) {
			ret = wsp_dev_record_out(out, usize, &batch[i]);
			if (ret)
				goto out;
		}
		done += n;
		cond_resched();
	}
	a->count = done;
	a->module_record_size = sizeof(struct wsp_socket_record);
out:
	kfree(batch);
	return ret;
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
	WSP_IOCTL_OP(WSP_IOC_SOCKETS, wsp_dev_sockets, struct wsp_sockets_args,
		     module_record_size),
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
	ret = wsp_sock_init();
	if (ret)
		return ret;
	wsp_stats_init();
	ret = misc_register(&wsp_misc);
	if (ret) {
		pr_err("cannot register /dev/%s: %d\n", WSP_DEVICE_NAME, ret);
		wsp_stats_exit();
		wsp_sock_exit();
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
	wsp_sock_exit();
}

module_init(wsp_init);
module_exit(wsp_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Winsock SPI descriptor semantics for Linux sockets");
MODULE_AUTHOR("The wspshare developers");
MODULE_VERSION(__stringify(WSP_MODULE_MAJOR) "." __stringify(WSP_MODULE_MINOR));

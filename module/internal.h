/* SPDX-License-Identifier: GPL-2.0 */
/*
 * internal.h - types and functions shared between the files of wspshare.
 *
 * Each .c file owns one concept and says at its top what it owns and which
 * lock protects what. This header only declares what crosses files.
 */
#ifndef _WSPSHARE_INTERNAL_H
#define _WSPSHARE_INTERNAL_H

#include <linux/build_bug.h>
#include <linux/fs.h>
#include <linux/stddef.h>
#include <linux/types.h>
#include <uapi/linux/wspshare.h>

#define WSP_MODULE_MAJOR	0
#define WSP_MODULE_MINOR	1

/* ioctl.c: the argument protocol (see "General ioctl format" in the uapi). */

/* The largest argument struct any wspshare ioctl takes. */
#define WSP_IOCTL_ARG_MAX	256

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
	long (*run)(struct file *file, void *arg);
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

long wsp_ioctl_dispatch(struct file *file, unsigned int cmd,
			unsigned long arg, const struct wsp_ioctl_op *ops,
			size_t n_ops);

#endif /* _WSPSHARE_INTERNAL_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * compat.h - every difference between the kernels wspshare builds for
 * (Debian's 6.1 and 6.12), and nothing else.
 *
 * The code is written against the newer API; this header recreates it on
 * older kernels. Features are probed in module/Kbuild by grepping the
 * kernel's headers (WSP_HAVE_*), never by version number, because
 * distributions backport. The one probe used outside this header is
 * WSP_HAVE_OPS_SENDPAGE: ops.c wraps ->sendpage where struct proto_ops
 * still has it (it left in 6.5).
 */
#ifndef _WSPSHARE_COMPAT_H
#define _WSPSHARE_COMPAT_H

#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/net.h>

/* eventfd_signal() lost its count argument in 6.8. */
#ifndef WSP_HAVE_EVENTFD_SIGNAL_CTX_ONLY
#define eventfd_signal(ctx) eventfd_signal((ctx), 1)
#endif

/* struct fd's file is read with fd_file() from 6.12 on (6.11 upstream). */
#ifndef fd_file
#define fd_file(f) ((f).file)
#endif

/* receive_fd() gained the user pointer to report the fd through in 6.8. */
static inline int wsp_receive_fd(struct file *file, unsigned int o_flags)
{
#ifdef WSP_HAVE_RECEIVE_FD_UFD
	return receive_fd(file, NULL, o_flags);
#else
	return receive_fd(file, o_flags);
#endif
}

/*
 * proto_ops->accept takes a struct proto_accept_arg from 6.10 on, flags
 * and kern before. ops.c's wrapper declares its parameters with
 * WSP_ACCEPT_PARAMS and passes them on with wsp_base_accept().
 */
#ifdef WSP_HAVE_PROTO_ACCEPT_ARG
#define WSP_ACCEPT_PARAMS	struct proto_accept_arg *arg
#define wsp_base_accept(base, sock, newsock) \
	((base)->accept((sock), (newsock), arg))
#else
#define WSP_ACCEPT_PARAMS	int flags, bool kern
#define wsp_base_accept(base, sock, newsock) \
	((base)->accept((sock), (newsock), flags, kern))
#endif

#endif /* _WSPSHARE_COMPAT_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * compat.h - every difference between the kernels wspshare builds for
 * (Debian's 6.1 and 6.12), and nothing else.
 *
 * The code is written against the newer API; this header recreates it on
 * older kernels. Features are probed in module/Kbuild by grepping the
 * kernel's headers (WSP_HAVE_*), never by version number, because
 * distributions backport.
 */
#ifndef _WSPSHARE_COMPAT_H
#define _WSPSHARE_COMPAT_H

#include <linux/eventfd.h>
#include <linux/uaccess.h>
#include <linux/uio.h>

/* import_ubuf() arrived in 6.4 (import_single_range() left in 6.9). */
#ifndef WSP_HAVE_IMPORT_UBUF
static inline int import_ubuf(int rw, void __user *buf, size_t len,
			      struct iov_iter *i)
{
	if (len > MAX_RW_COUNT)
		len = MAX_RW_COUNT;
	if (unlikely(!access_ok(buf, len)))
		return -EFAULT;
	iov_iter_ubuf(i, rw, buf, len);
	return 0;
}
#endif

/* eventfd_signal() lost its count argument in 6.8. */
#ifndef WSP_HAVE_EVENTFD_SIGNAL_CTX_ONLY
#define eventfd_signal(ctx) eventfd_signal((ctx), 1)
#endif

#endif /* _WSPSHARE_COMPAT_H */

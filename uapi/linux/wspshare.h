/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * wspshare: Winsock SPI descriptor semantics for Linux sockets.
 *
 * This header is the whole user-space ABI of the wspshare module. It is
 * written as an include/uapi header: fixed-width types only, user pointers
 * as __u64, explicit padding, no enums or bitfields in structs.
 */
#ifndef _UAPI_LINUX_WSPSHARE_H
#define _UAPI_LINUX_WSPSHARE_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* The misc device through which everything starts. */
#define WSP_DEVICE_NAME		"wspshare"
#define WSP_DEVICE_PATH		"/dev/wspshare"

/*
 * WSP_ABI_VERSION - the version of this ABI.
 *
 * It changes only when an existing ioctl changes meaning; new ioctls and
 * new trailing struct fields do not change it (see the general format).
 */
#define WSP_ABI_VERSION		1

/*
 * 0xB9 is free in Documentation/userspace-api/ioctl/ioctl-number.rst
 * (checked against 6.12).
 */
#define WSP_IOC_MAGIC		0xB9

/**
 * DOC: General ioctl format
 *
 * Every wspshare ioctl takes a pointer to one struct. The struct's size is
 * encoded in the ioctl number by _IOR/_IOW/_IOWR, and the module reads it
 * back from there: the command is looked up by its number alone
 * (_IOC_NR), then
 *
 * - a size smaller than the first published version of the struct gets
 *   EINVAL;
 * - a size larger than the module knows is accepted only if every byte the
 *   module does not know is zero, else E2BIG (copy_struct_from_user());
 * - a smaller, older struct is zero-extended, so fields added later must
 *   give the old behaviour when zero;
 * - output is written back up to the smaller of the two sizes.
 *
 * So a program built against an older or newer header keeps working, as
 * long as it does not ask for something the module does not have.
 *
 * Fields named ``flags`` reject unknown bits, and fields named
 * ``__reserved`` or ``__pad`` must be zero: both get EINVAL otherwise.
 *
 * Errors common to every ioctl:
 *
 * ======= ===========================================================
 * ENOTTY  unknown ioctl number, or the right number with the wrong
 *         direction bits, or an ioctl sent to the wrong kind of file
 * EFAULT  the struct pointer (or a pointer inside it) is not readable
 *         or writable
 * EINVAL  struct too small, unknown flag, non-zero reserved field,
 *         value out of range
 * E2BIG   struct larger than the module knows, with non-zero tail
 * ======= ===========================================================
 */

/**
 * struct wsp_version - which ABI the loaded module speaks
 * @flags: must be 0
 * @abi_version: out: %WSP_ABI_VERSION of the loaded module
 * @module_major: out: module release, major number
 * @module_minor: out: module release, minor number
 * @__reserved: must be 0
 *
 * Used by %WSP_IOC_VERSION on /dev/wspshare.
 */
struct wsp_version {
	__u32 flags;
	__u32 abi_version;
	__u32 module_major;
	__u32 module_minor;
	__u64 __reserved;
};

/*
 * Ioctls on /dev/wspshare. Numbers are never reused; a retired number stays
 * listed here as burnt.
 */
#define WSP_IOC_VERSION		_IOWR(WSP_IOC_MAGIC, 0x00, struct wsp_version)

#endif /* _UAPI_LINUX_WSPSHARE_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * wsp_test.h - helpers shared by the wspshare selftests.
 */
#ifndef WSP_TEST_H
#define WSP_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include <linux/wspshare.h>

/*
 * wsp_open_device() - open /dev/wspshare for a test.
 *
 * Returns the fd, or -1 with *why set. The device being absent (module
 * not loaded) is the only reason to skip: any other failure fails.
 */
static inline int wsp_open_device(const char **why, int *skip)
{
	int fd = open(WSP_DEVICE_PATH, O_RDWR | O_CLOEXEC);

	*skip = 0;
	if (fd >= 0)
		return fd;
	*skip = errno == ENOENT || errno == ENODEV || errno == ENXIO;
	*why = *skip ? "wspshare module not loaded" : strerror(errno);
	return -1;
}

/* ioctl() returning -errno, so that ASSERT_EQ(-EINVAL, wsp_ioctl(...)). */
static inline int wsp_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) < 0 ? -errno : 0;
}

#endif /* WSP_TEST_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * wsp_test.h - helpers shared by the wspshare selftests.
 */
#ifndef WSP_TEST_H
#define WSP_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

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

/*
 * In a fixture's setup (it uses the harness's SKIP and ASSERT): @fd gets
 * /dev/wspshare; the test is skipped when the module is not loaded, and
 * fails when the device cannot be opened for any other reason.
 */
#define WSP_SETUP_DEVICE(fd) do {					\
	const char *__why = NULL;					\
	int __skip;							\
									\
	(fd) = wsp_open_device(&__why, &__skip);			\
	if ((fd) < 0 && __skip)						\
		SKIP(return, "%s", __why);				\
	ASSERT_LE(0, (fd)) TH_LOG("open %s: %s", WSP_DEVICE_PATH, __why); \
} while (0)

/* ioctl() returning -errno, so that ASSERT_EQ(-EINVAL, wsp_ioctl(...)). */
static inline int wsp_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) < 0 ? -errno : 0;
}

/* ioctl() returning its value, or -errno. */
static inline long xioctl(int fd, unsigned long cmd, void *arg)
{
	long ret = ioctl(fd, cmd, arg);

	return ret < 0 ? -errno : ret;
}

/* poll() one fd: its revents, 0 on timeout, or -errno. */
static inline int poll1(int fd, short events, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = events };
	int n = poll(&p, 1, timeout_ms);

	if (n < 0)
		return -errno;
	return n ? p.revents : 0;
}

/* Milliseconds on the monotonic clock. */
static inline long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* The number in the file at @path (a /proc or /sys value): 0, or -errno. */
static inline int wsp_read_long(const char *path, long *val)
{
	char buf[64];
	FILE *f = fopen(path, "re");
	int ret = -EIO;

	if (!f)
		return -errno;
	if (fgets(buf, sizeof(buf), f)) {
		*val = atol(buf);
		ret = 0;
	}
	fclose(f);
	return ret;
}

/* 1 if @fd is close-on-exec, 0 if not, or -errno. */
static inline int fd_cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFD);

	return fl < 0 ? -errno : !!(fl & FD_CLOEXEC);
}

/* A page no access may touch, for the EFAULT cases (MAP_FAILED on error). */
static inline void *unmapped_page(void)
{
	return mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

/*
 * Wait until process @pid sleeps (state S), at most 5 s: the way a helper
 * process knows its parent is blocked in a call.
 */
static inline void wait_sleeping(pid_t pid)
{
	char path[64], buf[256];
	long end = now_ms() + 5000;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	while (now_ms() < end) {
		FILE *f = fopen(path, "r");
		char *p = NULL;

		if (f) {
			if (fgets(buf, sizeof(buf), f))
				p = strrchr(buf, ')');
			fclose(f);
		}
		if (p && p[1] == ' ' && p[2] == 'S')
			return;
		poll(NULL, 0, 1);
	}
}

/*
 * Reap child @pid within @ms (a watchdog: children end by their own
 * deadline), SIGKILL it if it does not: its exit status (128 + signal
 * if killed by one), or -1.
 */
static inline int wsp_reap(pid_t pid, long ms)
{
	long end = now_ms() + ms;
	int status;

	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) :
						   128 + WTERMSIG(status);
		if (r < 0 && errno != EINTR)
			return -1;
		if (now_ms() > end) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -1;
		}
		poll(NULL, 0, 2);
	}
}

/*
 * delete_module(2) of wspshare as rmmod calls it (O_NONBLOCK: fail at
 * once instead of waiting for the references to go): 0 if the module was
 * unloaded, or -errno (EWOULDBLOCK while it is in use). Needs root.
 */
static inline int wsp_unload_module(void)
{
	return syscall(SYS_delete_module, "wspshare", O_NONBLOCK) ? -errno : 0;
}

/*
 * finit_module(2) of the module file at @path (WSP_MODULE_FILE: where the
 * test VM's initramfs has it), with no parameters: 0, or -errno. Needs
 * root.
 */
#define WSP_MODULE_FILE "/wspshare.ko"

static inline int wsp_load_module(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int err = 0;

	if (fd < 0)
		return -errno;
	if (syscall(SYS_finit_module, fd, "", 0))
		err = -errno;
	close(fd);
	return err;
}

/* 1 if the wspshare module is loaded. */
static inline int wsp_module_loaded(void)
{
	return access("/sys/module/wspshare", F_OK) == 0;
}

#endif /* WSP_TEST_H */

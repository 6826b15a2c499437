// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * objects.c - the Linux stand-ins for Windows' event objects (eventfds)
 * and windows (wspshare message queues, WSP_IOC_WINDOW).
 *
 * An event is signalled while its eventfd's counter is not zero: set
 * writes 1, reset drains it, wait polls it and leaves it as it is. A
 * window is read one struct wsp_message at a time and handed out as a MSG
 * whose lParam packs the event with its Winsock error code
 * (WSPGetMessageEx also gives the displacing process of a
 * WSP_FD_DISPLACED message).
 */
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

unsigned char wsp_kinds[WSP_KIND_FDS];

/*
 * Whether @e is an eventfd: 0, or the Winsock code (WSA_INVALID_HANDLE).
 * Every anonymous file shares one inode, so the link in /proc tells; with
 * no /proc mounted, any open file is taken. An fd recorded as an event
 * is taken without a system call: if it was closed, the call's own system
 * call fails with EBADF (wsp_event_failed()).
 */
static int wsp_check_event(WSAEVENT e)
{
	char path[64], link[64];
	ssize_t n;

	if (wsp_kind(e) == WSP_KIND_EVENT)
		return 0;
	if (e < 0 || fcntl(e, F_GETFD) < 0)
		return WSA_INVALID_HANDLE;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", e);
	n = readlink(path, link, sizeof(link) - 1);
	if (n >= 0) {
		link[n] = 0;
		if (strcmp(link, "anon_inode:[eventfd]"))
			return WSA_INVALID_HANDLE;
	}
	wsp_set_kind(e, WSP_KIND_EVENT);
	return 0;
}

/* An event's system call failed with @err: the Winsock code. */
static int wsp_event_failed(WSAEVENT e, int err, int *lpErrno)
{
	if (err == EBADF)
		wsp_set_kind(e, WSP_KIND_UNKNOWN);
	return wsp_fail_errno(-1, err, WSP_OP_HANDLE, 0, lpErrno);
}

/* Wait for @fd to be readable: 1, 0 on timeout, or -errno. */
static int wsp_wait_readable(int fd, int timeout_ms)
{
	struct timespec start, now;
	struct pollfd p;
	int left = timeout_ms, ret;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		p.fd = fd;
		p.events = POLLIN;
		p.revents = 0;
		ret = poll(&p, 1, left);
		if (ret > 0)
			return p.revents & POLLNVAL ? -EBADF :
			       (p.revents & POLLIN) ? 1 : -EINVAL;
		if (ret == 0)
			return 0;
		if (errno != EINTR)
			return -errno;
		/* M-5: a signal restarts the wait with the time left. */
		if (timeout_ms > 0) {
			long long ms;

			clock_gettime(CLOCK_MONOTONIC, &now);
			ms = (now.tv_sec - start.tv_sec) * 1000LL +
			     (now.tv_nsec - start.tv_nsec) / 1000000;
			if (ms >= timeout_ms)
				return 0;
			left = timeout_ms - (int)ms;
		}
	}
}

WSAEVENT WSPCreateEvent(int *lpErrno)
{
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	if (fd < 0)
		return wsp_fail_errno(-1, errno, WSP_OP_HANDLE, 0, lpErrno);
	wsp_set_kind(fd, WSP_KIND_EVENT);
	return fd;
}

int WSPSetEvent(WSAEVENT e, int *lpErrno)
{
	uint64_t one = 1;
	int wsa = wsp_check_event(e);

	if (wsa)
		return wsp_fail(lpErrno, wsa);
	/* EAGAIN: the counter is at its maximum, signalled already. */
	if (write(e, &one, sizeof(one)) < 0 && errno != EAGAIN)
		return wsp_event_failed(e, errno, lpErrno);
	return 0;
}

int WSPResetEvent(WSAEVENT e, int *lpErrno)
{
	uint64_t count;
	int wsa = wsp_check_event(e), ret;

	if (wsa)
		return wsp_fail(lpErrno, wsa);
	/* Poll first: an eventfd made elsewhere may be blocking. */
	while ((ret = wsp_wait_readable(e, 0)) == 1)
		if (read(e, &count, sizeof(count)) < 0 && errno != EAGAIN &&
		    errno != EINTR)
			return wsp_event_failed(e, errno, lpErrno);
	if (ret < 0)
		return wsp_event_failed(e, -ret, lpErrno);
	return 0;
}

int WSPCloseEvent(WSAEVENT e, int *lpErrno)
{
	int wsa = wsp_check_event(e);

	if (wsa)
		return wsp_fail(lpErrno, wsa);
	/* Forgotten first: the number is free again once closed. */
	wsp_set_kind(e, WSP_KIND_UNKNOWN);
	if (close(e) < 0 && errno == EBADF)
		return wsp_fail(lpErrno, WSA_INVALID_HANDLE);
	return 0;
}

int WSPWaitForEvent(WSAEVENT e, int timeout_ms, int *lpErrno)
{
	int wsa = wsp_check_event(e), ret;

	if (wsa)
		return wsp_fail(lpErrno, wsa);
	ret = wsp_wait_readable(e, timeout_ms < 0 ? -1 : timeout_ms);
	if (ret < 0)
		return wsp_event_failed(e, -ret, lpErrno);
	return ret;
}

HWND WSPCreateWindow(int *lpErrno)
{
	struct wsp_window_args a;
	int dev, fd;

	dev = wsp_device();
	if (dev < 0)
		return wsp_fail_errno(-1, -dev, WSP_OP_DEVICE, 0, lpErrno);
	memset(&a, 0, sizeof(a));
	/* Non-blocking: WSPGetMessage waits with poll, and may lose a race. */
	a.flags = WSP_FD_CLOEXEC | WSP_WINDOW_NONBLOCK;
	fd = ioctl(dev, WSP_IOC_WINDOW, &a);
	if (fd < 0)
		return wsp_fail(lpErrno, wsp_wsa_from_errno(errno));
	wsp_set_kind(fd, WSP_KIND_WINDOW);
	return fd;
}

/* Whether @w is a window: 0, or WSA_INVALID_HANDLE. */
static int wsp_check_window(HWND w)
{
	struct wsp_window_info info;

	if (w < 0)
		return WSA_INVALID_HANDLE;
	memset(&info, 0, sizeof(info));
	return ioctl(w, WSP_IOC_WINDOW_INFO, &info) < 0 ? WSA_INVALID_HANDLE : 0;
}

int WSPDestroyWindow(HWND w, int *lpErrno)
{
	int wsa = wsp_kind(w) == WSP_KIND_WINDOW ? 0 : wsp_check_window(w);

	if (wsa)
		return wsp_fail(lpErrno, wsa);
	wsp_set_kind(w, WSP_KIND_UNKNOWN);
	if (close(w) < 0 && errno == EBADF)
		return wsp_fail(lpErrno, WSA_INVALID_HANDLE);
	return 0;
}

/*
 * A window WSPCreateWindow made (non-blocking) is read at once, and polled
 * only when it is empty: one read(2) when a message waits. Another is
 * checked with WSP_IOC_WINDOW_INFO and polled first, as it may block.
 */
static int wsp_get_message(HWND w, MSG *msg, DWORD *lpProcessId,
			   int timeout_ms, int *lpErrno)
{
	struct wsp_message m;
	struct timespec start, now;
	int left = timeout_ms < 0 ? -1 : timeout_ms;
	int read_first = wsp_kind(w) == WSP_KIND_WINDOW;
	int wsa = read_first && msg ? 0 : wsp_check_window(w);
	int ret;
	ssize_t n;

	if (wsa)
		return wsp_fail(lpErrno, wsa);
	if (!msg)
		return wsp_fail(lpErrno, WSAEFAULT);
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		if (!read_first) {
			ret = wsp_wait_readable(w, left);
			if (ret < 0)
				return wsp_fail_errno(-1, -ret, WSP_OP_HANDLE, 0, lpErrno);
			if (ret == 0)
				return 0;
		}
		n = read(w, &m, sizeof(m));
		if (n == (ssize_t)sizeof(m))
			break;
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			if (errno == EBADF)
				wsp_set_kind(w, WSP_KIND_UNKNOWN);
			return wsp_fail_errno(-1, errno, WSP_OP_HANDLE, 0, lpErrno);
		}
		if (read_first) {
			/* Empty: timeout 0 only looks; else wait as below. */
			read_first = 0;
			if (timeout_ms == 0)
				return 0;
			continue;
		}
		/* Another reader took it: wait again for the time left. */
		if (timeout_ms > 0) {
			long long ms;

			clock_gettime(CLOCK_MONOTONIC, &now);
			ms = (now.tv_sec - start.tv_sec) * 1000LL +
			     (now.tv_nsec - start.tv_nsec) / 1000000;
			if (ms >= timeout_ms)
				return 0;
			left = timeout_ms - (int)ms;
		} else if (timeout_ms == 0) {
			return 0;
		}
	}
	msg->hwnd = (HWND)m.hwnd;
	msg->message = m.message;
	msg->wParam = (WPARAM)m.wparam;
	/* The module says event and errno; Windows packs them in lParam. */
	msg->lParam = WSAMAKESELECTREPLY(m.event, wsp_event_error(m.event, m.error));
	/* Set only for WSP_FD_DISPLACED, the wspshare extension. */
	if (lpProcessId)
		*lpProcessId = m.pid > 0 ? (DWORD)m.pid : 0;
	return 1;
}

int WSPGetMessage(HWND w, MSG *msg, int timeout_ms, int *lpErrno)
{
	return wsp_get_message(w, msg, NULL, timeout_ms, lpErrno);
}

int WSPGetMessageEx(HWND w, MSG *msg, DWORD *lpProcessId, int timeout_ms,
		    int *lpErrno)
{
	return wsp_get_message(w, msg, lpProcessId, timeout_ms, lpErrno);
}

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * wsp_notify.h - helpers for the registration selftests: windows,
 * event-select, async-select, enumeration, introspection. Each returns
 * the ioctl's result or -errno.
 */
#ifndef WSP_NOTIFY_H
#define WSP_NOTIFY_H

#include <poll.h>
#include <sys/eventfd.h>

#include "wsp_net.h"

/* A window (message queue): its fd, or -errno. */
static inline int wsp_window(int dev, unsigned int flags, unsigned int limit)
{
	struct wsp_window_args a = { .flags = flags, .limit = limit };
	int fd = ioctl(dev, WSP_IOC_WINDOW, &a);

	return fd < 0 ? -errno : fd;
}

/*
 * Two windows of @dev, non-blocking and close-on-exec, of the default limit,
 * in *@win and *@win2 (-errno in the one not made, and *@win2 -1 when
 * the first failed): 0, or the first failure's -errno.
 */
static inline int wsp_window_pair(int dev, int *win, int *win2)
{
	*win2 = -1;
	*win = wsp_window(dev, WSP_WINDOW_NONBLOCK | WSP_FD_CLOEXEC, 0);
	if (*win < 0)
		return *win;
	*win2 = wsp_window(dev, WSP_WINDOW_NONBLOCK | WSP_FD_CLOEXEC, 0);
	return *win2 < 0 ? *win2 : 0;
}

/* Event-select through @fd (its number as the descriptor), with @flags. */
static inline int wsp_event_select_flags(int fd, int efd, unsigned int mask,
					 unsigned int flags)
{
	struct wsp_event_select_args a = {
		.flags = flags, .eventfd = efd, .mask = mask, .descriptor = fd,
	};

	return ioctl(fd, WSP_IOC_EVENT_SELECT, &a) < 0 ? -errno : 0;
}

static inline int wsp_event_select(int fd, int efd, unsigned int mask)
{
	return wsp_event_select_flags(fd, efd, mask, 0);
}

/* Async-select through @fd (its number as the descriptor), with @flags. */
static inline int wsp_async_select_flags(int fd, int window,
					 unsigned int message,
					 unsigned int mask, unsigned int flags)
{
	struct wsp_async_select_args a = {
		.flags = flags, .window = window, .message = message,
		.mask = mask, .descriptor = fd,
	};

	return ioctl(fd, WSP_IOC_ASYNC_SELECT, &a) < 0 ? -errno : 0;
}

static inline int wsp_async_select(int fd, int window, unsigned int message,
				   unsigned int mask)
{
	return wsp_async_select_flags(fd, window, message, mask, 0);
}

/*
 * Enumerate; @a is in/out (its errors[] slots that are not reported keep
 * what the caller put there). @efd is reset, or -1.
 */
static inline int wsp_enum(int fd, int efd, struct wsp_enum_events_args *a)
{
	a->flags = 0;
	a->eventfd = efd;
	return ioctl(fd, WSP_IOC_ENUM_EVENTS, a) < 0 ? -errno : 0;
}

static inline int wsp_get_registration(int fd, struct wsp_registration *r)
{
	memset(r, 0, sizeof(*r));
	return ioctl(fd, WSP_IOC_GET_REGISTRATION, r) < 0 ? -errno : 0;
}

static inline int wsp_window_info(int window, struct wsp_window_info *i)
{
	memset(i, 0, sizeof(*i));
	return ioctl(window, WSP_IOC_WINDOW_INFO, i) < 0 ? -errno : 0;
}

/*
 * Wait up to @ms for @fd to be readable: 1 if it is, 0 on timeout. Use a
 * short @ms only to check that nothing is there.
 */
static inline int wsp_wait_readable(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, ms) == 1 && (p.revents & POLLIN);
}

/* Whether an eventfd is signalled now (does not reset it). */
static inline int wsp_eventfd_is_set(int efd)
{
	return wsp_wait_readable(efd, 0);
}

/*
 * Read the messages queued on a window now (it must be non-blocking, or
 * have them queued): the number read into @msgs, at most @max.
 */
static inline int wsp_read_messages(int window, struct wsp_message *msgs,
				    int max)
{
	int n = 0;

	while (n < max && wsp_wait_readable(window, 0)) {
		ssize_t r = read(window, &msgs[n], sizeof(msgs[n]));

		if (r != sizeof(msgs[n]))
			break;
		n++;
	}
	return n;
}

#define WSP_MSG_EVENT(m)	((m)->event)
#define WSP_MSG_ERROR(m)	((m)->error)

#endif /* WSP_NOTIFY_H */

// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * select.c - the socket's one notification registration:
 * WSPAsyncSelect (WSP_IOC_ASYNC_SELECT), WSPEventSelect
 * (WSP_IOC_EVENT_SELECT), WSPEnumNetworkEvents (WSP_IOC_ENUM_EVENTS, whose
 * Linux errno values become Winsock codes here); and their wspshare
 * extensions with flags (the notice to a displaced registration):
 * WSPAsyncSelectEx, WSPEventSelectEx, WSPEnumNetworkEventsEx.
 */
#include <string.h>

#include "internal.h"

/* A mask that fits the FD_* bits: 0, or WSAEINVAL. */
static int wsp_check_mask(long mask)
{
	return mask < 0 || mask > FD_ALL_EVENTS ? WSAEINVAL : 0;
}

/* Flags of the Ex calls: 0, or WSAEINVAL. */
static int wsp_check_flags(DWORD flags)
{
	return flags & ~WSP_SELECT_NOTIFY_DISPLACED ? WSAEINVAL : 0;
}

static int wsp_async_select(SOCKET s, HWND hWnd, unsigned int wMsg,
			    long lEvent, DWORD dwFlags, int *lpErrno)
{
	struct wsp_async_select_args a;

	if (wsp_check_mask(lEvent) || wsp_check_flags(dwFlags))
		return wsp_fail(lpErrno, WSAEINVAL);
	memset(&a, 0, sizeof(a));
	a.flags = dwFlags;
	a.window = hWnd;
	a.message = wMsg;
	a.mask = (uint32_t)lEvent;
	a.descriptor = (uint64_t)(unsigned int)s;
	/* EBADF or EINVAL for hWnd when s is a descriptor: WSAEINVAL. */
	if (ioctl(s, WSP_IOC_ASYNC_SELECT, &a) < 0)
		return wsp_fail_errno(s, errno, WSP_OP_GENERIC, 0, lpErrno);
	return 0;
}

int WSPAsyncSelect(SOCKET s, HWND hWnd, unsigned int wMsg, long lEvent,
		   int *lpErrno)
{
	return wsp_async_select(s, hWnd, wMsg, lEvent, 0, lpErrno);
}

int WSPAsyncSelectEx(SOCKET s, HWND hWnd, unsigned int wMsg, long lEvent,
		     DWORD dwFlags, int *lpErrno)
{
	return wsp_async_select(s, hWnd, wMsg, lEvent, dwFlags, lpErrno);
}

static int wsp_event_select(SOCKET s, WSAEVENT hEventObject,
			    long lNetworkEvents, DWORD dwFlags, int *lpErrno)
{
	struct wsp_event_select_args a;

	if (wsp_check_mask(lNetworkEvents) || wsp_check_flags(dwFlags))
		return wsp_fail(lpErrno, WSAEINVAL);
	memset(&a, 0, sizeof(a));
	a.flags = dwFlags;
	a.eventfd = hEventObject;
	a.mask = (uint32_t)lNetworkEvents;
	a.descriptor = (uint64_t)(unsigned int)s;
	if (ioctl(s, WSP_IOC_EVENT_SELECT, &a) < 0)
		return wsp_fail_errno(s, errno, WSP_OP_GENERIC, 0, lpErrno);
	return 0;
}

int WSPEventSelect(SOCKET s, WSAEVENT hEventObject, long lNetworkEvents,
		   int *lpErrno)
{
	return wsp_event_select(s, hEventObject, lNetworkEvents, 0, lpErrno);
}

int WSPEventSelectEx(SOCKET s, WSAEVENT hEventObject, long lNetworkEvents,
		     DWORD dwFlags, int *lpErrno)
{
	return wsp_event_select(s, hEventObject, lNetworkEvents, dwFlags,
				lpErrno);
}

static int wsp_enum_events(SOCKET s, WSAEVENT hEventObject,
			   WSANETWORKEVENTS *lpNetworkEvents,
			   WSPDISPLACEMENT *lpDisplacement, int *lpErrno)
{
	struct wsp_enum_events_args a;
	int bit;

	if (!lpNetworkEvents)
		return wsp_fail(lpErrno, WSAEFAULT);
	memset(&a, 0, sizeof(a));
	/* WSA_INVALID_EVENT (-1): no event object to reset. */
	a.eventfd = hEventObject < 0 ? -1 : hEventObject;
	if (ioctl(s, WSP_IOC_ENUM_EVENTS, &a) < 0)
		return wsp_fail_errno(s, errno, WSP_OP_GENERIC, 0, lpErrno);
	lpNetworkEvents->lNetworkEvents = (int32_t)a.network_events;
	/*
	 * The module's errors are errno values; slots of events not
	 * reported keep what the caller had there.
	 */
	for (bit = 0; bit < FD_MAX_EVENTS; bit++)
		if (a.network_events & (1U << bit))
			lpNetworkEvents->iErrorCode[bit] =
				wsp_event_error(1U << bit, a.errors[bit]);
	if (lpDisplacement && (a.network_events & WSP_FD_DISPLACED)) {
		lpDisplacement->dwProcessId =
			a.displaced_pid > 0 ? (DWORD)a.displaced_pid : 0;
		lpDisplacement->dwReserved = 0;
		lpDisplacement->Descriptor = a.displaced_descriptor;
	}
	return 0;
}

int WSPEnumNetworkEvents(SOCKET s, WSAEVENT hEventObject,
			 WSANETWORKEVENTS *lpNetworkEvents, int *lpErrno)
{
	return wsp_enum_events(s, hEventObject, lpNetworkEvents, NULL, lpErrno);
}

int WSPEnumNetworkEventsEx(SOCKET s, WSAEVENT hEventObject,
			   WSANETWORKEVENTS *lpNetworkEvents,
			   WSPDISPLACEMENT *lpDisplacement, int *lpErrno)
{
	return wsp_enum_events(s, hEventObject, lpNetworkEvents,
			       lpDisplacement, lpErrno);
}

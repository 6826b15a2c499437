/* SPDX-License-Identifier: GPL-2.0 */
/*
 * trace.h - wspshare's tracepoints (the "wspshare" trace system).
 *
 * Who holds a socket's one registration, and what becomes of its events
 * and duplications: Documentation/wspshare.rst, "Tracing", lists the
 * events and their fields. Every process id is the global one (the
 * initial pid namespace's thread-group id), as the tracing core prints
 * common_pid. When a tracepoint is off, its call site costs a static
 * branch: every field is computed in TP_fast_assign from what the caller
 * passes and already has.
 *
 * Read by the tracing core's macros several times (TRACE_HEADER_MULTI_READ);
 * trace.c defines the events (CREATE_TRACE_POINTS).
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM wspshare

#if !defined(_WSPSHARE_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _WSPSHARE_TRACE_H

#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/tracepoint.h>

#include "internal.h"

/* How an event was delivered (wsp_event_delivered's "how"). */
#define WSP_TRACE_EVENTFD	0
#define WSP_TRACE_MESSAGE	1

/* What became of a duplication (wsp_duplicate's "action"). */
#define WSP_TRACE_DUP_MADE	0
#define WSP_TRACE_DUP_REDEEMED	1
#define WSP_TRACE_DUP_DROPPED	2

#define wsp_trace_show_kind(kind)					\
	__print_symbolic(kind, { WSP_REG_NONE, "none" },		\
			 { WSP_REG_EVENT, "event" },			\
			 { WSP_REG_ASYNC, "async" })

/*
 * wsp_registration - a registration was made, replaced or cancelled
 * (event-select, async-select, or inherited at accept: descriptor
 * %WSP_DESCRIPTOR_UNKNOWN); "prev_*" describe the one it replaced
 * (prev_pid 0 and prev_mode none if there was none). A cancellation
 * (mode none) names the process that cancelled.
 */
TRACE_EVENT(wsp_registration,
	TP_PROTO(const struct wsp_sock *ws, u64 descriptor,
		 struct pid *prev_pid, u32 prev_kind, u32 prev_mask),
	TP_ARGS(ws, descriptor, prev_pid, prev_kind, prev_mask),
	TP_STRUCT__entry(
		__field(u64, id)
		__field(pid_t, pid)
		__field(u64, descriptor)
		__field(u32, mode)
		__field(u32, mask)
		__field(pid_t, prev_pid)
		__field(u32, prev_mode)
		__field(u32, prev_mask)
	),
	TP_fast_assign(
		__entry->id = ws->id;
		/*
		 * No registrant yet (traced before it is set) or none at all
		 * (a cancellation): the caller, who registers or cancels.
		 */
		__entry->pid = ws->notify.pid ? pid_nr(ws->notify.pid) :
						task_tgid_nr(current);
		/* The caller's, a cancellation's too. */
		__entry->descriptor = descriptor;
		__entry->mode = ws->notify.kind;
		__entry->mask = ws->notify.mask;
		__entry->prev_pid = pid_nr(prev_pid);
		__entry->prev_mode = prev_kind;
		__entry->prev_mask = prev_mask;
	),
	TP_printk("socket=%llu pid=%d descriptor=%lld mode=%s mask=0x%x prev_pid=%d prev_mode=%s prev_mask=0x%x",
		  __entry->id, __entry->pid, (long long)__entry->descriptor,
		  wsp_trace_show_kind(__entry->mode), __entry->mask,
		  __entry->prev_pid, wsp_trace_show_kind(__entry->prev_mode),
		  __entry->prev_mask)
);

/* An event was recorded (whether or not it is selected and reported). */
TRACE_EVENT(wsp_event_recorded,
	TP_PROTO(const struct wsp_notify *n, int bit, int err),
	TP_ARGS(n, bit, err),
	TP_STRUCT__entry(
		__field(u64, id)
		__field(int, bit)
		__field(int, err)
	),
	TP_fast_assign(
		__entry->id = container_of(n, struct wsp_sock, notify)->id;
		__entry->bit = bit;
		__entry->err = err;
	),
	TP_printk("socket=%llu bit=%d errno=%d",
		  __entry->id, __entry->bit, __entry->err)
);

/*
 * Events were reported to the registration: its eventfd signalled (target
 * is the eventfd's descriptor number in the registrant), or a message
 * queued in its window (target is the hwnd).
 */
TRACE_EVENT(wsp_event_delivered,
	TP_PROTO(const struct wsp_notify *n, u32 events, int how),
	TP_ARGS(n, events, how),
	TP_STRUCT__entry(
		__field(u64, id)
		__field(u32, events)
		__field(int, how)
		__field(pid_t, pid)
		__field(s64, target)
	),
	TP_fast_assign(
		__entry->id = container_of(n, struct wsp_sock, notify)->id;
		__entry->events = events;
		__entry->how = how;
		__entry->pid = pid_nr(n->pid);
		__entry->target = how == WSP_TRACE_EVENTFD ? n->efd_number :
							     (s64)n->hwnd;
	),
	TP_printk("socket=%llu events=0x%x how=%s pid=%d target=%lld",
		  __entry->id, __entry->events,
		  __print_symbolic(__entry->how,
				   { WSP_TRACE_EVENTFD, "eventfd" },
				   { WSP_TRACE_MESSAGE, "message" }),
		  __entry->pid, __entry->target)
);

/* A full window had no room for an event's message (it stays due). */
TRACE_EVENT(wsp_message_dropped,
	TP_PROTO(const struct wsp_notify *n, int bit),
	TP_ARGS(n, bit),
	TP_STRUCT__entry(
		__field(u64, id)
		__field(int, bit)
		__field(pid_t, pid)
		__field(u64, hwnd)
	),
	TP_fast_assign(
		__entry->id = container_of(n, struct wsp_sock, notify)->id;
		__entry->bit = bit;
		__entry->pid = pid_nr(n->pid);
		__entry->hwnd = n->hwnd;
	),
	TP_printk("socket=%llu bit=%d pid=%d hwnd=%llu",
		  __entry->id, __entry->bit, __entry->pid, __entry->hwnd)
);

/*
 * A duplication was made, redeemed, or dropped (its target exited, or
 * its maker never received it).
 */
TRACE_EVENT(wsp_duplicate,
	TP_PROTO(const struct wsp_sock *ws, int action,
		 struct pid *target, pid_t source),
	TP_ARGS(ws, action, target, source),
	TP_STRUCT__entry(
		__field(u64, id)
		__field(int, action)
		__field(pid_t, target)
		__field(pid_t, source)
	),
	TP_fast_assign(
		__entry->id = ws->id;
		__entry->action = action;
		__entry->target = pid_nr(target);
		__entry->source = source;
	),
	TP_printk("socket=%llu action=%s target=%d source=%d",
		  __entry->id,
		  __print_symbolic(__entry->action,
				   { WSP_TRACE_DUP_MADE, "made" },
				   { WSP_TRACE_DUP_REDEEMED, "redeemed" },
				   { WSP_TRACE_DUP_DROPPED, "dropped" }),
		  __entry->target, __entry->source)
);

#endif /* _WSPSHARE_TRACE_H */

/* Out of tree: define_trace.h finds this file through -I$(src). */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>

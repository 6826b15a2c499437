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
#define WSP_ABI_VERSION		2

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
 * ======== ==========================================================
 * ENOTTY   unknown ioctl number, or the right number with the wrong
 *          direction bits, or an ioctl sent to the wrong kind of file
 * ENOTSOCK a descriptor's ioctl sent to /dev/wspshare or to a window
 * EFAULT   the struct pointer (or a pointer inside it) is not readable
 *          or writable
 * EINVAL   struct too small, unknown flag, non-zero reserved field,
 *          value out of range
 * E2BIG    struct larger than the module knows, with non-zero tail
 * ======== ==========================================================
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

/* Flags of the ioctls that return a new file descriptor. */
#define WSP_FD_CLOEXEC		0x1U	/* the new fd is close-on-exec */
#define WSP_SOCK_NONBLOCK	0x2U	/* WSP_IOC_SOCKET: non-blocking */

/**
 * struct wsp_socket_args - create a socket and its first descriptor
 * @flags: %WSP_FD_CLOEXEC, %WSP_SOCK_NONBLOCK
 * @family: AF_INET or AF_INET6 (else EAFNOSUPPORT)
 * @type: SOCK_STREAM or SOCK_DGRAM, no flag bits (else ESOCKTNOSUPPORT)
 * @protocol: 0, or IPPROTO_TCP for a stream and IPPROTO_UDP for a
 *	datagram socket (else EPROTONOSUPPORT)
 *
 * Used by %WSP_IOC_SOCKET on /dev/wspshare, which returns the descriptor.
 * The socket is created as socket(2) would create it for the caller.
 */
struct wsp_socket_args {
	__u32 flags;
	__s32 family;
	__s32 type;
	__s32 protocol;
};

/**
 * struct wsp_protocol_info - a pending duplication: what WSPDuplicateSocket
 * writes into WSAPROTOCOL_INFOW for its target process to redeem
 * @family: the socket's address family
 * @type: the socket's type
 * @protocol: the socket's protocol
 * @__reserved: must be 0
 * @token_id: names the pending duplication
 * @token_secret: random; only the exact pair redeems
 *
 * Plain bytes: the source may send them to the target by any means. Only
 * the process named at duplication can redeem them, once.
 */
struct wsp_protocol_info {
	__s32 family;
	__s32 type;
	__s32 protocol;
	__u32 __reserved;
	__u64 token_id;
	__u64 token_secret;
};

/**
 * struct wsp_redeem_args - redeem a duplication for a new descriptor
 * @flags: %WSP_FD_CLOEXEC
 * @__reserved: must be 0
 * @info: the record %WSP_IOC_DUPLICATE wrote; family, type and protocol
 *	must be the socket's (else EINVAL, and the token stays pending)
 *
 * Used by %WSP_IOC_REDEEM on /dev/wspshare, which returns the descriptor:
 * ENOENT for an unknown or already redeemed token, EPERM when the caller's
 * process is not the one the token was made for.
 */
struct wsp_redeem_args {
	__u32 flags;
	__u32 __reserved;
	struct wsp_protocol_info info;
};

/* Ioctls on /dev/wspshare. Numbers are never reused. */
#define WSP_IOC_VERSION		_IOWR(WSP_IOC_MAGIC, 0x00, struct wsp_version)
#define WSP_IOC_SOCKET		_IOW(WSP_IOC_MAGIC, 0x01, struct wsp_socket_args)
#define WSP_IOC_REDEEM		_IOW(WSP_IOC_MAGIC, 0x02, struct wsp_redeem_args)

/*
 * The maximum number of duplications of one socket that may be pending
 * (made and not yet redeemed) at once; one more gets ENOBUFS.
 */
#define WSP_MAX_PENDING_DUPLICATES	64

/**
 * struct wsp_duplicate_args - duplicate a socket for a process
 * @flags: must be 0
 * @pid: the target process (thread group) id, as the caller sees it;
 *	the caller's own is legal (ESRCH when no such process exists)
 * @info: out: the record the target redeems with %WSP_IOC_REDEEM
 *
 * Used by %WSP_IOC_DUPLICATE on a descriptor. The pending duplication holds
 * the socket (not this descriptor) until it is redeemed or the target
 * exits; at most %WSP_MAX_PENDING_DUPLICATES are pending per socket.
 */
struct wsp_duplicate_args {
	__u32 flags;
	__s32 pid;
	struct wsp_protocol_info info;
};

/**
 * struct wsp_nonblock_args - set the socket's blocking mode (FIONBIO)
 * @flags: must be 0
 * @nonblocking: 0 for blocking, 1 for non-blocking (else EINVAL)
 *
 * The mode is the socket file's O_NONBLOCK, which every descriptor of the
 * socket shares. This ioctl refuses blocking mode (EINVAL) while a
 * registration with a non-zero mask exists, whichever descriptor or
 * process made it (Windows' FIONBIO rule). fcntl(F_SETFL) and
 * ioctl(FIONBIO) change the same flag but are handled by the VFS before
 * any driver sees them, so they do not enforce that rule.
 */
struct wsp_nonblock_args {
	__u32 flags;
	__u32 nonblocking;
};

/**
 * struct wsp_socket_info - what a descriptor refers to
 * @flags: must be 0
 * @family: out
 * @type: out
 * @protocol: out
 * @nonblocking: out: 1 if the socket is non-blocking
 * @pending_duplicates: out: duplications made and not yet redeemed
 * @socket_id: out: the socket's id, the same through every descriptor of
 *	one socket and never reused while the module is loaded (also shown
 *	as "wsp-socket-id" in /proc/PID/fdinfo/FD)
 */
struct wsp_socket_info {
	__u32 flags;
	__s32 family;
	__s32 type;
	__s32 protocol;
	__u32 nonblocking;
	__u32 pending_duplicates;
	__u64 socket_id;
};

/*
 * Ioctls on a descriptor: a file descriptor of a socket that
 * %WSP_IOC_SOCKET made, or that was accepted from one. Every other ioctl
 * number on it goes to the protocol as on any socket (FIONREAD,
 * SIOCATMARK...). Numbers 0x20 to 0x2a were bind ... getsockopt in ABI 1;
 * the system calls do that now, and the numbers stay unused.
 */
#define WSP_IOC_DUPLICATE	_IOWR(WSP_IOC_MAGIC, 0x10, struct wsp_duplicate_args)
#define WSP_IOC_SOCKET_INFO	_IOWR(WSP_IOC_MAGIC, 0x11, struct wsp_socket_info)
#define WSP_IOC_SET_NONBLOCK	_IOW(WSP_IOC_MAGIC, 0x2b, struct wsp_nonblock_args)

/*
 * Network events (Winsock's FD_* values, spec part B section 4). A mask
 * with a bit above WSP_FD_ALL_EVENTS gets EINVAL.
 */
#define WSP_FD_READ_BIT			0
#define WSP_FD_WRITE_BIT		1
#define WSP_FD_OOB_BIT			2
#define WSP_FD_ACCEPT_BIT		3
#define WSP_FD_CONNECT_BIT		4
#define WSP_FD_CLOSE_BIT		5
#define WSP_FD_QOS_BIT			6
#define WSP_FD_GROUP_QOS_BIT		7
#define WSP_FD_ROUTING_INTERFACE_CHANGE_BIT	8
#define WSP_FD_ADDRESS_LIST_CHANGE_BIT	9
#define WSP_FD_MAX_EVENTS		10

#define WSP_FD_READ			0x001
#define WSP_FD_WRITE			0x002
#define WSP_FD_OOB			0x004
#define WSP_FD_ACCEPT			0x008
#define WSP_FD_CONNECT			0x010
#define WSP_FD_CLOSE			0x020
#define WSP_FD_QOS			0x040
#define WSP_FD_GROUP_QOS		0x080
#define WSP_FD_ROUTING_INTERFACE_CHANGE	0x100
#define WSP_FD_ADDRESS_LIST_CHANGE	0x200
#define WSP_FD_ALL_EVENTS		0x3ff

/*
 * A wspshare-only event, outside WSP_FD_ALL_EVENTS (so never accepted in a
 * mask: EINVAL): "your registration was replaced". Reported once to a
 * registration made with %WSP_SELECT_NOTIFY_DISPLACED when a later
 * event-select or async-select, through another descriptor or from
 * another process, replaces or cancels it. Bit 15 keeps it inside the 16
 * bits Windows' lParam gives an event (WSAMAKESELECTREPLY).
 */
#define WSP_FD_DISPLACED_BIT		15
#define WSP_FD_DISPLACED		0x8000

/*
 * Flags of %WSP_IOC_EVENT_SELECT and %WSP_IOC_ASYNC_SELECT.
 *
 * WSP_SELECT_NOTIFY_DISPLACED: tell this registration, once, when another
 * one replaces it (%WSP_FD_DISPLACED). Not inherited by accepted sockets;
 * ignored with a zero mask.
 */
#define WSP_SELECT_NOTIFY_DISPLACED	0x1U

/*
 * The most notices to displaced event-select registrations one socket
 * keeps until they are enumerated; one more drops the oldest (counted in
 * debugfs as "displaced_notice_dropped").
 */
#define WSP_MAX_DISPLACED_NOTICES	4

/*
 * An event's error is a Linux errno value, positive (ECONNREFUSED,
 * ETIMEDOUT, ECONNRESET, ...), or 0; libwsp turns it into Winsock's code.
 */

/* Flags of WSP_IOC_WINDOW. */
#define WSP_WINDOW_NONBLOCK		0x2U	/* read() does not wait */

/* Windows' default limit of posted messages per queue. */
#define WSP_WINDOW_DEFAULT_LIMIT	10000
#define WSP_WINDOW_MAX_LIMIT		65536

/**
 * struct wsp_window_args - create a window (a message queue)
 * @flags: %WSP_FD_CLOEXEC, %WSP_WINDOW_NONBLOCK
 * @limit: the most messages it queues, 1 to %WSP_WINDOW_MAX_LIMIT, or 0
 *	for %WSP_WINDOW_DEFAULT_LIMIT (else EINVAL); further posts are
 *	dropped and counted
 *
 * Used by %WSP_IOC_WINDOW on /dev/wspshare, which returns the window's
 * file descriptor (the HWND). read() on it returns whole struct
 * wsp_message records, oldest first (EFAULT leaves them queued); poll()
 * reports POLLIN while one is queued.
 */
struct wsp_window_args {
	__u32 flags;
	__u32 limit;
};

/* wParam of messages whose registration names no descriptor. */
#define WSP_DESCRIPTOR_UNKNOWN		(~(__u64)0)

/**
 * struct wsp_message - one posted message, as read() returns it
 * @hwnd: the window, as the registering process named it
 * @message: the message number of the registration (wMsg)
 * @event: the one FD_* event the message reports
 * @wparam: the descriptor the registration was made through
 * @error: the event's error: a positive Linux errno value, or 0
 * @pid: for %WSP_FD_DISPLACED: the displacing process, as the displaced
 *	registrant's pid namespace sees it (0 if not visible there); else 0
 *
 * libwsp packs @event and @error into Windows' lParam
 * (WSAMAKESELECTREPLY, with Winsock's error code).
 */
struct wsp_message {
	__u64 hwnd;
	__u32 message;
	__u32 event;
	__u64 wparam;
	__s32 error;
	__s32 pid;
};

/**
 * struct wsp_window_info - a window's counters
 * @flags: must be 0
 * @limit: out: the queue's limit
 * @queued: out: messages waiting to be read
 * @__reserved: must be 0
 * @posted: out: messages posted since creation (queued or dropped)
 * @dropped: out: messages dropped because the queue was full
 */
struct wsp_window_info {
	__u32 flags;
	__u32 limit;
	__u32 queued;
	__u32 __reserved;
	__u64 posted;
	__u64 dropped;
};

/**
 * struct wsp_event_select_args - WSPEventSelect
 * @flags: %WSP_SELECT_NOTIFY_DISPLACED
 * @eventfd: an eventfd to signal; ignored when @mask is 0 (else EBADF for
 *	a closed fd, EINVAL for a file that is not an eventfd)
 * @mask: the FD_* events to report; 0 cancels
 * @__reserved: must be 0
 * @descriptor: the descriptor number the caller registers through,
 *	remembered for %WSP_IOC_GET_REGISTRATION
 *
 * Replaces the socket's registration, whichever descriptor or process made
 * it, and makes the socket non-blocking.
 */
struct wsp_event_select_args {
	__u32 flags;
	__s32 eventfd;
	__u32 mask;
	__u32 __reserved;
	__u64 descriptor;
};

/**
 * struct wsp_async_select_args - WSPAsyncSelect
 * @flags: %WSP_SELECT_NOTIFY_DISPLACED
 * @window: a window's file descriptor (%WSP_IOC_WINDOW); ignored when
 *	@mask is 0 (else EBADF, or EINVAL for a file that is not a window)
 * @message: the message number to post (wMsg)
 * @mask: the FD_* events to report; 0 cancels
 * @descriptor: the descriptor number the caller registers through,
 *	posted as wParam
 *
 * Replaces the socket's registration, whichever descriptor or process made
 * it, and makes the socket non-blocking.
 *
 * A socket accepted from a registered listener inherits its registration
 * with the descriptor %WSP_DESCRIPTOR_UNKNOWN (the kernel cannot know the
 * number accept(2) returns). Such a window registration records events but
 * posts nothing until an async-select through the new descriptor names it
 * (libwsp's WSPAccept makes one); that call posts every selected condition
 * true then, as any async-select does.
 */
struct wsp_async_select_args {
	__u32 flags;
	__s32 window;
	__u32 message;
	__u32 mask;
	__u64 descriptor;
};

/**
 * struct wsp_enum_events_args - WSPEnumNetworkEvents
 * @flags: must be 0
 * @eventfd: an eventfd to reset in the same atomic step, or -1
 * @network_events: out: the recorded events of the event-select mask,
 *	now cleared from the record (0 when no event-select is active)
 * @__reserved: must be 0
 * @errors: out: the error of each reported event, a positive Linux errno
 *	value or 0, indexed by WSP_FD_*_BIT; slots of events not reported
 *	are left as the caller passed them
 * @displaced_pid: out, with %WSP_FD_DISPLACED: the process whose
 *	registration displaced the one that named @eventfd, as the caller's
 *	pid namespace sees it (0 if not visible there); else left as passed
 * @__reserved2: must be 0
 * @displaced_descriptor: out, with %WSP_FD_DISPLACED: the descriptor
 *	number that process registered through; else left as passed
 *
 * %WSP_FD_DISPLACED is reported in @network_events when @eventfd is the
 * eventfd of a displaced registration that asked for the notice (see
 * %WSP_SELECT_NOTIFY_DISPLACED); the notice is then consumed, and the
 * eventfd reset. Such an enumeration reports %WSP_FD_DISPLACED alone: it
 * neither reports nor clears the active registration's events (a
 * registration that names the eventfd again drops its notice). A struct
 * without the displaced_* fields (56 bytes, the first version) still
 * gets the bit.
 */
struct wsp_enum_events_args {
	__u32 flags;
	__s32 eventfd;
	__u32 network_events;
	__u32 __reserved;
	__s32 errors[WSP_FD_MAX_EVENTS];
	__s32 displaced_pid;
	__u32 __reserved2;
	__u64 displaced_descriptor;
};

/* Kinds of registration. */
#define WSP_REG_NONE		0
#define WSP_REG_EVENT		1
#define WSP_REG_ASYNC		2

/**
 * struct wsp_registration - who holds the socket's one registration
 * @flags: must be 0
 * @kind: out: %WSP_REG_NONE, %WSP_REG_EVENT or %WSP_REG_ASYNC
 * @mask: out: the events selected
 * @message: out: async-select's message number
 * @pid: out: the registering process, as the caller's pid namespace sees
 *	it (0 if it is not visible there)
 * @__reserved: must be 0
 * @descriptor: out: the descriptor number it registered through
 * @hwnd: out: async-select's window, as the registering process named it
 * @recorded: out: the events in the record now (not cleared)
 * @held: out: the events reported and waiting for their re-enabling call
 */
struct wsp_registration {
	__u32 flags;
	__u32 kind;
	__u32 mask;
	__u32 message;
	__s32 pid;
	__u32 __reserved;
	__u64 descriptor;
	__u64 hwnd;
	__u32 recorded;
	__u32 held;
};

#define WSP_IOC_WINDOW		_IOW(WSP_IOC_MAGIC, 0x03, struct wsp_window_args)

/* The most records %WSP_IOC_SOCKETS returns per call (more is capped). */
#define WSP_SOCKETS_MAX			1024
/* The pending duplications' target pids a socket record lists. */
#define WSP_SOCKET_MAX_TARGETS		8
/* The size of a socket record's address fields (a sockaddr_storage). */
#define WSP_SOCKADDR_SIZE		128

/**
 * struct wsp_socket_record - one wspshare socket, as %WSP_IOC_SOCKETS
 *	describes it (what wspstat prints)
 * @socket_id: the socket's id (as %WSP_IOC_SOCKET_INFO and fdinfo say)
 * @family: AF_INET or AF_INET6
 * @type: SOCK_STREAM or SOCK_DGRAM
 * @protocol: IPPROTO_TCP or IPPROTO_UDP
 * @state: the socket's sk_state (TCP_ESTABLISHED, TCP_LISTEN, ... as in
 *	<netinet/tcp.h>; a datagram socket is TCP_CLOSE, or TCP_ESTABLISHED
 *	when connected)
 * @nonblocking: 1 if the socket is non-blocking
 * @reg_kind: %WSP_REG_NONE, %WSP_REG_EVENT or %WSP_REG_ASYNC
 * @reg_mask: the events the registration selects
 * @reg_message: async-select's message number
 * @reg_pid: the registering process, as the caller's pid namespace sees
 *	it (0 if not visible there or no registration)
 * @reg_eventfd: event-select's eventfd, the descriptor number the
 *	registering process named, or -1
 * @reg_descriptor: the descriptor number the registration was made
 *	through (%WSP_DESCRIPTOR_UNKNOWN if inherited at accept)
 * @reg_hwnd: async-select's window, as the registering process named it
 * @recorded: the events recorded and not yet enumerated
 * @held: the events reported and waiting for their re-enabling call
 * @local_len: the length of @local, 0 if the socket has no local address
 * @peer_len: the length of @peer, 0 if it has no peer
 * @local: the local address, a struct sockaddr_in or sockaddr_in6
 * @peer: the peer's address, likewise
 * @owner_uid: the socket's owner (sk_uid) as the caller's user namespace
 *	sees it (the overflow uid if not mapped)
 * @pending_duplicates: duplications made and not yet redeemed
 * @pending_targets: the target processes of the first of them (at most
 *	%WSP_SOCKET_MAX_TARGETS), as the caller's pid namespace sees them
 *	(0 if not visible there); the other slots are 0
 *
 * A snapshot: the socket may change while or after it is taken, and the
 * addresses are read without the socket's lock (as ss(8) reads them).
 */
struct wsp_socket_record {
	__u64 socket_id;
	__s32 family;
	__s32 type;
	__s32 protocol;
	__u32 state;
	__u32 nonblocking;
	__u32 reg_kind;
	__u32 reg_mask;
	__u32 reg_message;
	__s32 reg_pid;
	__s32 reg_eventfd;
	__u64 reg_descriptor;
	__u64 reg_hwnd;
	__u32 recorded;
	__u32 held;
	__u32 local_len;
	__u32 peer_len;
	__u8 local[WSP_SOCKADDR_SIZE];
	__u8 peer[WSP_SOCKADDR_SIZE];
	__u32 owner_uid;
	__u32 pending_duplicates;
	__s32 pending_targets[WSP_SOCKET_MAX_TARGETS];
};

/**
 * struct wsp_sockets_args - list the wspshare sockets the caller may see
 * @flags: must be 0
 * @count: in: how many records @records has room for, at most
 *	%WSP_SOCKETS_MAX (else EINVAL; 0 returns none); out: how many were
 *	written
 * @after: the cursor: only sockets with a larger id are listed (0 for the
 *	first call, then the last record's @socket_id)
 * @records: a user pointer to an array of @count records of
 *	@record_size bytes each
 * @record_size: the size of one record as the caller's header has it: at
 *	least %WSP_SOCKET_RECORD_SIZE_VER0 (else EINVAL); the module writes
 *	the fields it knows and zeroes the rest
 * @module_record_size: in: ignored; out: the size of the records the
 *	module knows (fields past it in the caller's record are not the
 *	module's, whatever they hold)
 *
 * Used by %WSP_IOC_SOCKETS on /dev/wspshare. Records come in increasing
 * socket id; fewer than asked for means there are no more. Who sees what:
 * only sockets of the caller's network namespace; all of them with
 * CAP_NET_ADMIN over that namespace, else only those whose owner (the
 * creator's uid, sk_uid) is the caller's effective uid.
 */
struct wsp_sockets_args {
	__u32 flags;
	__u32 count;
	__u64 after;
	__u64 records;
	__u32 record_size;
	__u32 module_record_size;
};

/* The size of the first published struct wsp_socket_record. */
#define WSP_SOCKET_RECORD_SIZE_VER0	376

#define WSP_IOC_SOCKETS		_IOWR(WSP_IOC_MAGIC, 0x04, struct wsp_sockets_args)

#define WSP_IOC_EVENT_SELECT	_IOW(WSP_IOC_MAGIC, 0x30, struct wsp_event_select_args)
#define WSP_IOC_ASYNC_SELECT	_IOW(WSP_IOC_MAGIC, 0x31, struct wsp_async_select_args)
#define WSP_IOC_ENUM_EVENTS	_IOWR(WSP_IOC_MAGIC, 0x32, struct wsp_enum_events_args)
#define WSP_IOC_GET_REGISTRATION _IOWR(WSP_IOC_MAGIC, 0x33, struct wsp_registration)

/* Ioctls on a window. */
#define WSP_IOC_WINDOW_INFO	_IOWR(WSP_IOC_MAGIC, 0x40, struct wsp_window_info)

#endif /* _UAPI_LINUX_WSPSHARE_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * wsp_net.h - socket helpers shared by the wspshare selftests: thin
 * wrappers around the socket system calls that return -errno, loopback
 * addresses, a connected TCP pair and the module's live object counters.
 *
 * A wspshare descriptor is a real socket descriptor: every helper here
 * except wsp_socket(), wsp_set_nonblock(), wsp_info(), wsp_duplicate() and
 * wsp_redeem() is the plain system call.
 */
#ifndef WSP_NET_H
#define WSP_NET_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "wsp_test.h"

#define WSP_COUNTERS_PATH "/sys/kernel/debug/wspshare/counters"
#define WSP_REFUSALS_PATH "/sys/kernel/debug/wspshare/refusals"
#define WSP_MAX_PENDING_PATH \
	"/sys/module/wspshare/parameters/max_pending_duplicates"

/* A new socket through /dev/wspshare: its descriptor, or -errno. */
static inline int wsp_socket(int dev, int family, int type, int protocol,
			     unsigned int flags)
{
	struct wsp_socket_args a = {
		.flags = flags, .family = family, .type = type,
		.protocol = protocol,
	};
	int fd = ioctl(dev, WSP_IOC_SOCKET, &a);

	return fd < 0 ? -errno : fd;
}

/* A socket address of any family, with its length. */
struct test_addr {
	socklen_t len;
	union {
		struct sockaddr sa;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
		struct sockaddr_storage ss;
		unsigned char data[sizeof(struct sockaddr_storage)];
	};
};

/* The loopback address of @family with @port (host order). */
static inline void wsp_loopback(struct test_addr *a, int family,
				uint16_t port)
{
	memset(a, 0, sizeof(*a));
	if (family == AF_INET6) {
		a->in6.sin6_family = AF_INET6;
		a->in6.sin6_port = htons(port);
		a->in6.sin6_addr = in6addr_loopback;
		a->len = sizeof(a->in6);
	} else {
		a->in.sin_family = AF_INET;
		a->in.sin_port = htons(port);
		a->in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		a->len = sizeof(a->in);
	}
}

/* The port (host order) in an AF_INET or AF_INET6 address. */
static inline uint16_t wsp_port(const struct test_addr *a)
{
	return ntohs(a->in.sin_port);	/* same offset in sockaddr_in6 */
}

static inline int wsp_bind(int fd, struct test_addr *addr)
{
	return bind(fd, &addr->sa, addr->len) < 0 ? -errno : 0;
}

static inline int wsp_connect(int fd, struct test_addr *addr)
{
	return connect(fd, &addr->sa, addr->len) < 0 ? -errno : 0;
}

static inline int wsp_getsockname(int fd, struct test_addr *addr)
{
	addr->len = sizeof(addr->ss);
	return getsockname(fd, &addr->sa, &addr->len) < 0 ? -errno : 0;
}

static inline int wsp_getpeername(int fd, struct test_addr *addr)
{
	addr->len = sizeof(addr->ss);
	return getpeername(fd, &addr->sa, &addr->len) < 0 ? -errno : 0;
}

static inline int wsp_listen(int fd, int backlog)
{
	return listen(fd, backlog) < 0 ? -errno : 0;
}

/* Accept (close-on-exec): the new descriptor, or -errno; the peer if @peer. */
static inline int wsp_accept(int fd, struct test_addr *peer)
{
	struct test_addr a;
	int nfd;

	a.len = sizeof(a.ss);
	nfd = accept4(fd, &a.sa, &a.len, SOCK_CLOEXEC);
	if (nfd < 0)
		return -errno;
	if (peer)
		*peer = a;
	return nfd;
}

/* send(2) without SIGPIPE, as Winsock has none. */
static inline long wsp_send(int fd, const void *buf, size_t len,
			    unsigned int flags)
{
	long n = send(fd, buf, len, flags | MSG_NOSIGNAL);

	return n < 0 ? -errno : n;
}

static inline long wsp_recv(int fd, void *buf, size_t len,
			    unsigned int flags)
{
	long n = recv(fd, buf, len, flags);

	return n < 0 ? -errno : n;
}

static inline int wsp_setsockopt(int fd, int level, int name,
				 const void *val, unsigned int len)
{
	return setsockopt(fd, level, name, val, len) < 0 ? -errno : 0;
}

/* Get an option; *len is the buffer's length in, the value's out. */
static inline int wsp_getsockopt(int fd, int level, int name, void *val,
				 unsigned int *len)
{
	socklen_t l = *len;

	if (getsockopt(fd, level, name, val, &l) < 0)
		return -errno;
	*len = l;
	return 0;
}

static inline int wsp_getsockopt_int(int fd, int level, int name, int *val)
{
	unsigned int len = sizeof(*val);

	return wsp_getsockopt(fd, level, name, val, &len);
}

/* WSP_IOC_SET_NONBLOCK: the socket's blocking mode, Windows' FIONBIO. */
static inline int wsp_set_nonblock(int fd, int nonblocking)
{
	struct wsp_nonblock_args a = { .nonblocking = nonblocking };

	return ioctl(fd, WSP_IOC_SET_NONBLOCK, &a) < 0 ? -errno : 0;
}

static inline int wsp_info(int fd, struct wsp_socket_info *info)
{
	memset(info, 0, sizeof(*info));
	return ioctl(fd, WSP_IOC_SOCKET_INFO, info) < 0 ? -errno : 0;
}

/* The socket id of a descriptor, or 0 if it is not a wspshare socket. */
static inline unsigned long long wsp_socket_id(int fd)
{
	struct wsp_socket_info info;

	return wsp_info(fd, &info) ? 0 : info.socket_id;
}

/*
 * A listening socket on loopback (port chosen by the kernel) and a
 * connected pair: *client connected to it, *server accepted. Returns 0 or
 * -errno; on failure nothing stays open.
 */
static inline int wsp_tcp_pair(int dev, int family, int *listener,
			       int *client, int *server)
{
	struct test_addr addr;
	int l, c = -1, s = -1, ret;

	l = wsp_socket(dev, family, SOCK_STREAM, 0, WSP_FD_CLOEXEC);
	if (l < 0)
		return l;
	wsp_loopback(&addr, family, 0);
	ret = wsp_bind(l, &addr);
	if (!ret)
		ret = wsp_listen(l, 16);
	if (!ret)
		ret = wsp_getsockname(l, &addr);
	if (!ret) {
		c = wsp_socket(dev, family, SOCK_STREAM, 0, WSP_FD_CLOEXEC);
		ret = c < 0 ? c : wsp_connect(c, &addr);
	}
	if (!ret) {
		s = wsp_accept(l, NULL);
		ret = s < 0 ? s : 0;
	}
	if (ret) {
		if (s >= 0)
			close(s);
		if (c >= 0)
			close(c);
		close(l);
		return ret;
	}
	*listener = l;
	*client = c;
	*server = s;
	return 0;
}

/* WSP_IOC_DUPLICATE for process @pid: 0 and the record, or -errno. */
static inline int wsp_duplicate(int fd, pid_t pid,
				struct wsp_protocol_info *info)
{
	struct wsp_duplicate_args a = { .pid = pid };

	if (ioctl(fd, WSP_IOC_DUPLICATE, &a) < 0)
		return -errno;
	*info = a.info;
	return 0;
}

/* WSP_IOC_REDEEM (close-on-exec): the new descriptor, or -errno. */
static inline int wsp_redeem(int dev, const struct wsp_protocol_info *info)
{
	struct wsp_redeem_args a = { .flags = WSP_FD_CLOEXEC, .info = *info };
	int fd = ioctl(dev, WSP_IOC_REDEEM, &a);

	return fd < 0 ? -errno : fd;
}

/*
 * The "wsp-socket-id:\t<id>" line of /proc/self/fdinfo/<fd>: 0, -ENOENT
 * when there is no such line, -EINVAL when it is malformed, or -errno.
 */
static inline int wsp_fdinfo_socket_id(int fd, unsigned long long *id)
{
	static const char key[] = "wsp-socket-id:\t";
	char path[64], line[256], *end;
	int ret = -ENOENT;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, sizeof(key) - 1))
			continue;
		*id = strtoull(line + sizeof(key) - 1, &end, 10);
		ret = end != line + sizeof(key) - 1 && !strcmp(end, "\n") ?
		      0 : -EINVAL;
		break;
	}
	fclose(f);
	return ret;
}

/* The message wsp_send_fd() sends and wsp_recv_fd() receives. */
struct wsp_fd_msg {
	char byte;
	struct iovec iov;
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr m;
};

/* One byte of data, and room for one fd in the control part. */
static inline void wsp_fd_msg_init(struct wsp_fd_msg *f)
{
	memset(f, 0, sizeof(*f));
	f->byte = 'F';
	f->iov.iov_base = &f->byte;
	f->iov.iov_len = 1;
	f->m.msg_iov = &f->iov;
	f->m.msg_iovlen = 1;
	f->m.msg_control = f->u.buf;
	f->m.msg_controllen = sizeof(f->u.buf);
}

/* Pass @fd over the AF_UNIX socket @sock (SCM_RIGHTS): 0 or -errno. */
static inline int wsp_send_fd(int sock, int fd)
{
	struct wsp_fd_msg f;
	struct cmsghdr *c;

	wsp_fd_msg_init(&f);
	c = CMSG_FIRSTHDR(&f.m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(fd));
	return sendmsg(sock, &f.m, 0) == 1 ? 0 : -errno;
}

/* The fd received over @sock (close-on-exec), or -errno. */
static inline int wsp_recv_fd(int sock)
{
	struct wsp_fd_msg f;
	struct cmsghdr *c;
	int fd;

	wsp_fd_msg_init(&f);
	if (recvmsg(sock, &f.m, MSG_CMSG_CLOEXEC) != 1)
		return -EIO;
	c = CMSG_FIRSTHDR(&f.m);
	if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
		return -EBADMSG;
	memcpy(&fd, CMSG_DATA(c), sizeof(fd));
	return fd;
}

/* The module's live object counts (debugfs). */
struct wsp_counters {
	long sockets;
	long pending_duplicates;
	long windows;
	long registrations;
};

/* 0, or -errno when the counters cannot be read. */
static inline int wsp_read_counters(struct wsp_counters *c)
{
	char name[64];
	long value;
	FILE *f = fopen(WSP_COUNTERS_PATH, "r");

	if (!f)
		return -errno;
	memset(c, 0xff, sizeof(*c));
	while (fscanf(f, "%63[^:]: %ld\n", name, &value) == 2) {
		if (!strcmp(name, "sockets"))
			c->sockets = value;
		else if (!strcmp(name, "pending_duplicates"))
			c->pending_duplicates = value;
		else if (!strcmp(name, "windows"))
			c->windows = value;
		else if (!strcmp(name, "registrations"))
			c->registrations = value;
	}
	fclose(f);
	return 0;
}

/*
 * Whether the counters @got are what @want says: every field equal, except
 * that -1 in @want matches any value (a count the caller does not know).
 */
static inline int wsp_counters_match(const struct wsp_counters *want,
				     const struct wsp_counters *got)
{
	return (want->sockets == -1 || want->sockets == got->sockets) &&
	       (want->pending_duplicates == -1 ||
		want->pending_duplicates == got->pending_duplicates) &&
	       (want->windows == -1 || want->windows == got->windows) &&
	       (want->registrations == -1 ||
		want->registrations == got->registrations);
}

/* A counters reading and what was wanted, for a test's log. */
#define WSP_COUNTERS_FMT \
	"sockets %ld/%ld pending %ld/%ld windows %ld/%ld registrations %ld/%ld (now/want)"
#define WSP_COUNTERS_ARGS(got, want) \
	(got).sockets, (want).sockets, \
	(got).pending_duplicates, (want).pending_duplicates, \
	(got).windows, (want).windows, \
	(got).registrations, (want).registrations

/*
 * Wait up to @ms for the counters to match @want (wsp_counters_match()):
 * objects a duplication held are freed by a worker soon after its target
 * exits. 0, or -1 with *got the last reading.
 */
static inline int wsp_await_counters(const struct wsp_counters *want,
				     struct wsp_counters *got, long ms)
{
	long end = now_ms() + ms;

	for (;;) {
		if (wsp_read_counters(got))
			return -1;
		if (wsp_counters_match(want, got))
			return 0;
		if (now_ms() > end)
			return -1;
		poll(NULL, 0, 10);
	}
}

/*
 * The refusal counter @name ("duplicate_not_permitted",
 * "duplicate_user_limit", "duplicate_system_limit") of
 * WSP_REFUSALS_PATH: its value, or -1 when the file or the line is not
 * there.
 */
static inline long wsp_read_refusals(const char *name)
{
	char got[64];
	long value, ret = -1;
	FILE *f = fopen(WSP_REFUSALS_PATH, "re");

	if (!f)
		return -1;
	while (fscanf(f, "%63[^:]: %ld\n", got, &value) == 2) {
		if (!strcmp(got, name))
			ret = value;
	}
	fclose(f);
	return ret;
}

#endif /* WSP_NET_H */

// SPDX-License-Identifier: GPL-2.0
/*
 * wspstat - list wspshare sockets, as ss(8) lists sockets.
 *
 * One line per socket the caller may see (WSP_IOC_SOCKETS on
 * /dev/wspshare: root sees every socket of its network namespace, a user
 * only their own): id, netid, state, local and peer address, the
 * processes holding descriptors of it (pid:fd, found as ss -p finds them,
 * by the "wsp-socket-id:" line of /proc/PID/fdinfo/FD, so a user sees only
 * their own processes' descriptors), the events recorded and not yet
 * enumerated, the pending duplications' target pids, and the one
 * registration: its kind, mask, registrant and what it signals.
 *
 *   wspstat            every socket
 *   wspstat -s ID      one socket
 *   wspstat -w [-n N]  the list, then a line per registration change
 *                      (polled every 200 ms), until interrupted or N lines
 *
 * Exit status: 0, or 1 with a message (the module is not loaded, ...).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/wspshare.h>

#define PAGE_RECORDS	256
#define WATCH_MS	200

struct holder {
	unsigned long long id;
	int pid;
	int fd;
};

static struct holder *holders;
static size_t n_holders, cap_holders;

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "wspstat: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: wspstat [-s ID] [-w [-n COUNT]] [-h]\n"
		"  -s ID     only the socket with this id\n"
		"  -w        then print a line whenever a registration changes\n"
		"  -n COUNT  with -w: stop after COUNT changes\n"
		"  -h        this help\n");
}

/* Every socket the caller can see, in id order; *n records. */
static struct wsp_socket_record *list_sockets(int dev, size_t *n)
{
	struct wsp_socket_record *recs = NULL;
	struct wsp_sockets_args a;
	size_t have = 0;

	for (;;) {
		recs = realloc(recs, (have + PAGE_RECORDS) * sizeof(*recs));
		if (!recs)
			die("out of memory");
		memset(&a, 0, sizeof(a));
		a.count = PAGE_RECORDS;
		a.after = have ? recs[have - 1].socket_id : 0;
		a.records = (uintptr_t)(recs + have);
		a.record_size = sizeof(*recs);
		if (ioctl(dev, WSP_IOC_SOCKETS, &a))
			die("WSP_IOC_SOCKETS: %s%s", strerror(errno),
			    errno == ENOTTY ? " (the module is older)" : "");
		have += a.count;
		if (a.count < PAGE_RECORDS)
			break;
	}
	*n = have;
	return recs;
}

static void add_holder(unsigned long long id, int pid, int fd)
{
	if (n_holders == cap_holders) {
		cap_holders = cap_holders ? 2 * cap_holders : 64;
		holders = realloc(holders, cap_holders * sizeof(*holders));
		if (!holders)
			die("out of memory");
	}
	holders[n_holders++] = (struct holder){ id, pid, fd };
}

static int all_digits(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return 0;
	return 1;
}

/* The wspshare socket id of descriptor @fd of @pid, or 0. */
static unsigned long long fd_socket_id(const char *pid, const char *fd)
{
	char path[600], line[256], link[64];
	unsigned long long id = 0;
	ssize_t len;
	FILE *f;

	/* Only sockets have fdinfo worth reading. */
	snprintf(path, sizeof(path), "/proc/%s/fd/%s", pid, fd);
	len = readlink(path, link, sizeof(link) - 1);
	if (len < 0)
		return 0;
	link[len] = '\0';
	if (strncmp(link, "socket:", 7))
		return 0;
	snprintf(path, sizeof(path), "/proc/%s/fdinfo/%s", pid, fd);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "wsp-socket-id: %llu", &id) == 1)
			break;
	fclose(f);
	return id;
}

/*
 * Which processes hold descriptors of which socket: every readable
 * /proc/PID/fdinfo/FD with a "wsp-socket-id:" line (ss -p reads
 * /proc/PID/fd the same way). Others' processes are not readable.
 */
static void scan_holders(void)
{
	struct dirent *p, *d;
	unsigned long long id;
	char path[300];
	DIR *proc, *fds;

	n_holders = 0;
	proc = opendir("/proc");
	if (!proc)
		die("/proc: %s", strerror(errno));
	while ((p = readdir(proc))) {
		if (!all_digits(p->d_name))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/fd", p->d_name);
		fds = opendir(path);
		if (!fds)
			continue;
		while ((d = readdir(fds))) {
			if (!all_digits(d->d_name))
				continue;
			id = fd_socket_id(p->d_name, d->d_name);
			if (id)
				add_holder(id, atoi(p->d_name), atoi(d->d_name));
		}
		closedir(fds);
	}
	closedir(proc);
}

static const char *netid(const struct wsp_socket_record *r)
{
	int v6 = r->family == AF_INET6;

	if (r->type == SOCK_STREAM)
		return v6 ? "tcp6" : "tcp4";
	return v6 ? "udp6" : "udp4";
}

/* ss's names for the TCP states (a datagram socket: UNCONN or ESTAB). */
static const char *state_name(const struct wsp_socket_record *r)
{
	static const char *const names[] = {
		[1] = "ESTAB", [2] = "SYN-SENT", [3] = "SYN-RECV",
		[4] = "FIN-WAIT-1", [5] = "FIN-WAIT-2", [6] = "TIME-WAIT",
		[7] = "UNCONN", [8] = "CLOSE-WAIT", [9] = "LAST-ACK",
		[10] = "LISTEN", [11] = "CLOSING",
	};

	if (r->state < sizeof(names) / sizeof(names[0]) && names[r->state])
		return names[r->state];
	return "UNKNOWN";
}

/* "addr:port", "[addr6]:port", or "*" for none. */
static void format_addr(char *buf, size_t size, const __u8 *sa, __u32 len)
{
	const struct sockaddr_in *sin = (const void *)sa;
	const struct sockaddr_in6 *sin6 = (const void *)sa;
	char host[INET6_ADDRSTRLEN];

	if (len >= sizeof(*sin) && sin->sin_family == AF_INET) {
		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		snprintf(buf, size, "%s:%u", host, ntohs(sin->sin_port));
	} else if (len >= sizeof(*sin6) && sin6->sin6_family == AF_INET6) {
		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		snprintf(buf, size, "[%s]:%u", host, ntohs(sin6->sin6_port));
	} else {
		snprintf(buf, size, "*");
	}
}

/* "READ|WRITE", or "-" for none. */
static void format_events(char *buf, size_t size, __u32 events)
{
	static const char *const names[WSP_FD_MAX_EVENTS] = {
		"READ", "WRITE", "OOB", "ACCEPT", "CONNECT", "CLOSE", "QOS",
		"GROUP_QOS", "ROUTING_INTERFACE_CHANGE", "ADDRESS_LIST_CHANGE",
	};
	size_t used = 0;
	int bit;

	buf[0] = '\0';
	for (bit = 0; bit < WSP_FD_MAX_EVENTS; bit++)
		if (events & (1U << bit))
			used += snprintf(buf + used, size - used, "%s%s",
					 used ? "|" : "", names[bit]);
	if (events & ~WSP_FD_ALL_EVENTS)
		snprintf(buf + used, size - used, "%s0x%x", used ? "|" : "",
			 events & ~WSP_FD_ALL_EVENTS);
	if (!buf[0])
		snprintf(buf, size, "-");
}

static void format_descriptor(char *buf, size_t size, __u64 d)
{
	if (d == WSP_DESCRIPTOR_UNKNOWN)
		snprintf(buf, size, "?");
	else
		snprintf(buf, size, "%llu", (unsigned long long)d);
}

/* The registration, "-" for none. */
static void format_registration(char *buf, size_t size,
				const struct wsp_socket_record *r)
{
	char mask[256], desc[32];

	format_events(mask, sizeof(mask), r->reg_mask);
	format_descriptor(desc, sizeof(desc), r->reg_descriptor);
	switch (r->reg_kind) {
	case WSP_REG_EVENT:
		snprintf(buf, size, "event mask=%s by pid %d fd %s eventfd %d",
			 mask, r->reg_pid, desc, r->reg_eventfd);
		break;
	case WSP_REG_ASYNC:
		snprintf(buf, size,
			 "async mask=%s by pid %d fd %s hwnd %llu msg 0x%x",
			 mask, r->reg_pid, desc,
			 (unsigned long long)r->reg_hwnd, r->reg_message);
		break;
	default:
		snprintf(buf, size, "-");
	}
}

static void format_holders(char *buf, size_t size, unsigned long long id)
{
	size_t used = 0, i;

	buf[0] = '\0';
	for (i = 0; i < n_holders && used < size; i++)
		if (holders[i].id == id)
			used += snprintf(buf + used, size - used, "%s%d:%d",
					 used ? "," : "", holders[i].pid,
					 holders[i].fd);
	if (!buf[0])
		snprintf(buf, size, "-");
}

/* Target pids, "+N" for those not listed, "-" for none. */
static void format_pending(char *buf, size_t size,
			   const struct wsp_socket_record *r)
{
	unsigned int shown = r->pending_duplicates, i;
	size_t used = 0;

	if (shown > WSP_SOCKET_MAX_TARGETS)
		shown = WSP_SOCKET_MAX_TARGETS;
	buf[0] = '\0';
	for (i = 0; i < shown && used < size; i++)
		used += snprintf(buf + used, size - used, "%s%d",
				 i ? "," : "", r->pending_targets[i]);
	if (r->pending_duplicates > shown && used < size)
		snprintf(buf + used, size - used, "%s+%u", used ? "," : "",
			 r->pending_duplicates - shown);
	if (!buf[0])
		snprintf(buf, size, "-");
}

#define LINE_FMT "%-6s %-5s %-10s %-24s %-24s %-20s %-12s %-10s %s\n"

static void print_header(void)
{
	printf(LINE_FMT, "ID", "NETID", "STATE", "LOCAL", "PEER", "HOLDERS",
	       "RECORDED", "PENDING", "REGISTRATION");
}

static void print_socket(const struct wsp_socket_record *r)
{
	char id[24], local[64], peer[64], hold[1024], rec[256], pend[128];
	char reg[512];

	snprintf(id, sizeof(id), "%llu", (unsigned long long)r->socket_id);
	format_addr(local, sizeof(local), r->local, r->local_len);
	format_addr(peer, sizeof(peer), r->peer, r->peer_len);
	format_holders(hold, sizeof(hold), r->socket_id);
	format_events(rec, sizeof(rec), r->recorded);
	format_pending(pend, sizeof(pend), r);
	format_registration(reg, sizeof(reg), r);
	printf(LINE_FMT, id, netid(r), state_name(r), local, peer, hold, rec,
	       pend, reg);
}

/* Whether the registrations of two records of one socket differ. */
static int registration_changed(const struct wsp_socket_record *a,
				const struct wsp_socket_record *b)
{
	return a->reg_kind != b->reg_kind || a->reg_mask != b->reg_mask ||
	       a->reg_pid != b->reg_pid ||
	       a->reg_descriptor != b->reg_descriptor ||
	       a->reg_eventfd != b->reg_eventfd ||
	       a->reg_hwnd != b->reg_hwnd || a->reg_message != b->reg_message;
}

static const struct wsp_socket_record *
find_record(const struct wsp_socket_record *recs, size_t n,
	    unsigned long long id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (recs[i].socket_id == id)
			return &recs[i];
	return NULL;
}

/* Keep only socket @id (0: all) of @recs. */
static size_t select_socket(struct wsp_socket_record *recs, size_t n,
			    unsigned long long id)
{
	const struct wsp_socket_record *r;

	if (!id)
		return n;
	r = find_record(recs, n, id);
	if (!r)
		return 0;
	recs[0] = *r;
	return 1;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* Print a line per registration change until @count lines (0: forever). */
static void watch(int dev, struct wsp_socket_record *old, size_t n_old,
		  unsigned long long only, long count)
{
	const struct wsp_socket_record *prev;
	struct wsp_socket_record *now, none;
	char before[512], after[512];
	long changes = 0;
	size_t n_now, i;

	memset(&none, 0, sizeof(none));
	none.reg_eventfd = -1;
	for (;;) {
		sleep_ms(WATCH_MS);
		now = list_sockets(dev, &n_now);
		n_now = select_socket(now, n_now, only);
		for (i = 0; i < n_now; i++) {
			prev = find_record(old, n_old, now[i].socket_id);
			if (!prev)
				prev = &none;
			if (!registration_changed(prev, &now[i]))
				continue;
			format_registration(before, sizeof(before), prev);
			format_registration(after, sizeof(after), &now[i]);
			printf("socket %llu: %s (was: %s)\n",
			       (unsigned long long)now[i].socket_id, after,
			       before);
			fflush(stdout);
			if (count && ++changes >= count) {
				free(now);
				return;
			}
		}
		free(old);
		old = now;
		n_old = n_now;
	}
}

int main(int argc, char **argv)
{
	unsigned long long only = 0;
	struct wsp_socket_record *recs;
	int dev, opt, follow = 0;
	long count = 0;
	size_t n, i;
	char *end;

	while ((opt = getopt(argc, argv, "s:wn:h")) != -1) {
		switch (opt) {
		case 's':
			errno = 0;
			only = strtoull(optarg, &end, 10);
			if (errno || *end || !only)
				die("-s: not a socket id: %s", optarg);
			break;
		case 'w':
			follow = 1;
			break;
		case 'n':
			count = strtol(optarg, &end, 10);
			if (*end || count <= 0)
				die("-n: not a positive count: %s", optarg);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 1;
	}
	if (count && !follow)
		die("-n goes with -w");

	dev = open(WSP_DEVICE_PATH, O_RDONLY | O_CLOEXEC);
	if (dev < 0)
		die("%s: %s%s", WSP_DEVICE_PATH, strerror(errno),
		    errno == ENOENT ? " (is the wspshare module loaded?)" : "");

	recs = list_sockets(dev, &n);
	n = select_socket(recs, n, only);
	if (only && !n && !follow)
		die("no socket %llu (or not yours to see)", only);
	scan_holders();
	print_header();
	for (i = 0; i < n; i++)
		print_socket(&recs[i]);
	fflush(stdout);
	if (follow)
		watch(dev, recs, n, only, count);
	else
		free(recs);
	free(holders);
	close(dev);
	return 0;
}

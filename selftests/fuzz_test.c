// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_test - every ioctl of wspshare with hostile arguments: each ioctl
 * number on each kind of file, random and degenerate struct contents,
 * sizes from 0 to 16383 encoded in the number, NULL, unmapped, read-only,
 * misaligned and kernel pointers, wrong kinds of file in every fd field,
 * and stale tokens; mixed with the socket system calls on the descriptors
 * (send, recv, shutdown, setsockopt, getsockopt, bind, listen, connect,
 * accept4...) with random arguments, and registrations. The numbers of
 * ABI 1's socket ioctls (0x20 to 0x2a) must get ENOTTY on a descriptor,
 * and every wspshare ioctl ENOTTY on a plain socket. Only errno values
 * may come back (and the documented ones where the ABI fixes them), the
 * process never crashes, nothing blocks for good, the kernel log stays
 * clean, and afterwards the live counters are back where they started
 * and a fresh pair still works.
 *
 * The random part is bounded by time (WSP_FUZZ_MS, default 15000 ms) and
 * by an iteration cap (WSP_FUZZ_ITERS, default 3000000), and seeded
 * (WSP_FUZZ_SEED, default 0xf0220006). Each iteration draws from its own
 * generator, seeded from the seed and the iteration number, so that a
 * failure names the iteration that reproduces it. A 20 ms interval timer
 * interrupts any call that would block; a call that still takes longer
 * than HANG_MS counts as a hang.
 *
 * The named regression tests at the end are the bugs this found.
 */
#include <limits.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "wsp_notify.h"
#include "wsp_stress.h"

#define KERNEL_PTR	0xffffffff81000000ul
#define WAIT_MS		5000	/* a condition that should come at once */
#define COUNTERS_MS	10000	/* asynchronous frees after an exit */
#define HANG_MS		5000	/* a call interrupted every 20 ms */
#define PAGE		4096
#define SCRATCH		65536	/* the valid buffer inner pointers use */
#define MAX_CREATED	48	/* fds the fuzzer's calls made, kept open */
#define MAX_TOKENS	32
#define MAX_LOG		8	/* violations described in full */
#define PID_MAX_LIMIT_	4194304

static uint64_t fuzz_seed(void)
{
	return env_ul("WSP_FUZZ_SEED", 0xf0220006ul);
}

static void fill_random(uint64_t *s, void *buf, size_t len)
{
	unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++) {
		if (i % 8 == 0) {
			uint64_t v = rnd(s);

			memcpy(p + i, &v, len - i < 8 ? len - i : 8);
			i += (len - i < 8 ? len - i : 8) - 1;
		}
	}
}

/* ------------------------------------------------------------------ */
/* The live counters.                                                 */
/* ------------------------------------------------------------------ */

static long pending_now(void)
{
	struct wsp_counters c;

	return wsp_read_counters(&c) ? -1 : c.pending_duplicates;
}

/* Wait up to @ms for the pending duplications to be @want. */
static int await_pending(long want, long ms)
{
	long end = now_ms() + ms;

	while (pending_now() != want) {
		if (now_ms() > end)
			return -1;
		poll(NULL, 0, 10);
	}
	return 0;
}

/*
 * Wait (bounded) until no duplication is pending: a program or test
 * before this one may have left some for processes that just exited.
 */
static long settle_pending(void)
{
	await_pending(0, COUNTERS_MS);
	return pending_now();
}

/* ------------------------------------------------------------------ */
/* The ioctls the header defines.                                     */
/* ------------------------------------------------------------------ */

enum target { T_DEV, T_DESC, T_WIN, T_SOCKIOCTL };

struct cmd_desc {
	unsigned long cmd;
	const char *name;
	enum target target;
	bool makes_fd;		/* success returns a new fd */
};

#define CMD(c, t, f) { c, #c, t, f }
static const struct cmd_desc cmds[] = {
	CMD(WSP_IOC_VERSION, T_DEV, false),
	CMD(WSP_IOC_SOCKET, T_DEV, true),
	CMD(WSP_IOC_REDEEM, T_DEV, true),
	CMD(WSP_IOC_WINDOW, T_DEV, true),
	CMD(WSP_IOC_SOCKETS, T_DEV, false),
	CMD(WSP_IOC_DUPLICATE, T_DESC, false),
	CMD(WSP_IOC_SOCKET_INFO, T_DESC, false),
	CMD(WSP_IOC_SET_NONBLOCK, T_DESC, false),
	CMD(WSP_IOC_EVENT_SELECT, T_DESC, false),
	CMD(WSP_IOC_ASYNC_SELECT, T_DESC, false),
	CMD(WSP_IOC_ENUM_EVENTS, T_DESC, false),
	CMD(WSP_IOC_GET_REGISTRATION, T_DESC, false),
	CMD(WSP_IOC_WINDOW_INFO, T_WIN, false),
	CMD(FIONREAD, T_SOCKIOCTL, false),
	CMD(SIOCATMARK, T_SOCKIOCTL, false),
};
#define N_CMDS ((int)(sizeof(cmds) / sizeof(cmds[0])))

/*
 * ABI 1's bind ... getsockopt ioctls: the system calls do that now, and
 * the numbers stay unused (ENOTTY everywhere).
 */
#define REMOVED_NR_FIRST	0x20
#define REMOVED_NR_LAST		0x2a

/* The header's command with @cmd's type and number, or NULL. */
static const struct cmd_desc *known_nr(unsigned long cmd)
{
	int i;

	if (_IOC_TYPE(cmd) != WSP_IOC_MAGIC)
		return NULL;
	for (i = 0; i < N_CMDS; i++)
		if (cmds[i].target != T_SOCKIOCTL &&
		    _IOC_NR(cmds[i].cmd) == _IOC_NR(cmd))
			return &cmds[i];
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Files of every kind.                                               */
/* ------------------------------------------------------------------ */

enum kind {
	K_DEV, K_TCP_C, K_TCP_S, K_LISTEN, K_UDP, K_UDP6, K_WIN, K_EVENTFD,
	K_PIPE, K_CLOSED, K_COUNT,
	K_DESC_NEW = K_COUNT,	/* made by the fuzzer's calls */
	K_WIN_NEW,
};

static const char *const kind_names[] = {
	"device", "tcp-client", "tcp-server", "listener", "udp", "udp6",
	"window", "eventfd", "pipe", "closed-fd", "new-descriptor",
	"new-window",
};

static bool kind_is_desc(int k)
{
	return (k >= K_TCP_C && k <= K_UDP6) || k == K_DESC_NEW;
}

static bool kind_is_win(int k)
{
	return k == K_WIN || k == K_WIN_NEW;
}

/* A number that is no open file: high above anything opened here. */
#define CLOSED_FD 1000

struct files {
	int fd[K_COUNT];
	int pipe_w;
	struct test_addr listen_addr;
};

static int make_udp(int dev, int family)
{
	struct test_addr a;
	int fd = wsp_socket(dev, family, SOCK_DGRAM, 0,
			    WSP_FD_CLOEXEC | WSP_SOCK_NONBLOCK);

	if (fd < 0)
		return fd;
	wsp_loopback(&a, family, 0);
	if (wsp_bind(fd, &a)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Why the last files_open() failed: which kind, and its result. */
static int open_fail_kind, open_fail_ret;

/* A fresh set of every kind; 0, or -1 (what is open stays in @f). */
static int files_open(int dev, struct files *f)
{
	int p[2], l, c, s, ret;

	memset(f, 0xff, sizeof(*f));
	f->fd[K_DEV] = dev;
	f->fd[K_CLOSED] = CLOSED_FD;
	ret = wsp_tcp_pair(dev, AF_INET, &l, &c, &s);
	if (ret) {
		open_fail_kind = K_LISTEN;
		open_fail_ret = ret;
		return -1;
	}
	f->fd[K_LISTEN] = l;
	f->fd[K_TCP_C] = c;
	f->fd[K_TCP_S] = s;
	wsp_set_nonblock(l, 1);
	wsp_set_nonblock(c, 1);
	wsp_set_nonblock(s, 1);
	wsp_getsockname(l, &f->listen_addr);
	f->fd[K_UDP] = make_udp(dev, AF_INET);
	f->fd[K_UDP6] = make_udp(dev, AF_INET6);
	if (f->fd[K_UDP6] < 0)	/* no IPv6: a second IPv4 socket */
		f->fd[K_UDP6] = make_udp(dev, AF_INET);
	f->fd[K_WIN] = wsp_window(dev, WSP_FD_CLOEXEC | WSP_WINDOW_NONBLOCK, 64);
	f->fd[K_EVENTFD] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) == 0) {
		f->fd[K_PIPE] = p[0];
		f->pipe_w = p[1];
	}
	for (l = 0; l < K_COUNT; l++) {
		if (f->fd[l] < 0) {
			open_fail_kind = l;
			open_fail_ret = f->fd[l];
			return -1;
		}
	}
	return 0;
}

static void files_close(struct files *f)
{
	int k;

	for (k = 0; k < K_COUNT; k++)
		if (k != K_DEV && k != K_CLOSED && f->fd[k] >= 0)
			close(f->fd[k]);
	if (f->pipe_w >= 0)
		close(f->pipe_w);
	memset(f, 0xff, sizeof(*f));
}

/* ------------------------------------------------------------------ */
/* Memory of every kind.                                              */
/* ------------------------------------------------------------------ */

struct mem {
	unsigned char *unmapped;	/* a page nothing maps */
	unsigned char *ro_zero;		/* read-only, zeros */
	unsigned char *ro_ff;		/* read-only, 0xff */
	unsigned char *edge;		/* a page followed by an unmapped one */
	unsigned char *scratch;		/* SCRATCH bytes, then a guard page */
	unsigned char *buf;		/* 16384 + PAGE: ioctl structs */
};

static void *map(size_t len, int prot)
{
	void *p = mmap(NULL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static int mem_init(struct mem *m)
{
	memset(m, 0, sizeof(*m));
	m->unmapped = map(PAGE, PROT_NONE);
	m->ro_zero = map(PAGE, PROT_READ);
	m->ro_ff = map(PAGE, PROT_READ | PROT_WRITE);
	m->edge = map(2 * PAGE, PROT_READ | PROT_WRITE);
	m->scratch = map(SCRATCH + PAGE, PROT_READ | PROT_WRITE);
	m->buf = map(16384 + PAGE, PROT_READ | PROT_WRITE);
	if (!m->unmapped || !m->ro_zero || !m->ro_ff || !m->edge ||
	    !m->scratch || !m->buf)
		return -1;
	munmap(m->unmapped, PAGE);
	memset(m->ro_ff, 0xff, PAGE);
	mprotect(m->ro_ff, PAGE, PROT_READ);
	munmap(m->edge + PAGE, PAGE);
	mprotect(m->scratch + SCRATCH, PAGE, PROT_NONE);
	return 0;
}

/* ------------------------------------------------------------------ */
/* The fuzzer's state.                                                */
/* ------------------------------------------------------------------ */

struct created {
	int fd;
	int kind;	/* K_DESC_NEW or K_WIN_NEW */
};

struct stats {
	long iterations, calls, successes, new_fds, hangs, violations;
	long tokens_made, tokens_redeemed, pool_rebuilds, max_call_ms;
	long errnos[160];
	char log[MAX_LOG][256];
};

struct fuzzer {
	int dev;
	struct files f;
	struct mem m;
	struct created created[MAX_CREATED];
	int n_created;
	struct wsp_protocol_info tokens[MAX_TOKENS];
	int n_tokens;
	struct stats *st;
	uint64_t seed;
	long iter;
};

static void violation(struct fuzzer *z, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void violation(struct fuzzer *z, const char *fmt, ...)
{
	va_list ap;
	long n = z->st->violations++;

	if (n >= MAX_LOG)
		return;
	va_start(ap, fmt);
	vsnprintf(z->st->log[n], sizeof(z->st->log[n]), fmt, ap);
	va_end(ap);
}

static void track_fd(struct fuzzer *z, int fd, int kind)
{
	int i;

	z->st->new_fds++;
	if (z->n_created == MAX_CREATED) {
		/* The oldest goes: whatever it held goes with it. */
		close(z->created[0].fd);
		for (i = 1; i < MAX_CREATED; i++)
			z->created[i - 1] = z->created[i];
		z->n_created--;
	}
	z->created[z->n_created].fd = fd;
	z->created[z->n_created].kind = kind;
	z->n_created++;
}

static void close_created(struct fuzzer *z)
{
	while (z->n_created > 0)
		close(z->created[--z->n_created].fd);
}

static void remember_token(struct fuzzer *z, const struct wsp_protocol_info *i)
{
	z->st->tokens_made++;
	if (z->n_tokens == MAX_TOKENS) {
		memmove(&z->tokens[0], &z->tokens[1],
			sizeof(z->tokens[0]) * (MAX_TOKENS - 1));
		z->n_tokens--;
	}
	z->tokens[z->n_tokens++] = *i;
}

/* A random file of a random kind: the fd, and its kind in *kind. */
static int pick_fd(struct fuzzer *z, uint64_t *r, int *kind)
{
	uint32_t x = rn(r, 100);

	if (x < 20 && z->n_created) {
		struct created *c = &z->created[rn(r, z->n_created)];

		*kind = c->kind;
		return c->fd;
	}
	if (x < 24) {
		static const int odd[] = { -1, INT_MAX, 65535, CLOSED_FD + 1 };

		*kind = K_CLOSED;
		return odd[rn(r, 4)];
	}
	*kind = rn(r, K_COUNT);
	return z->f.fd[*kind];
}

/*
 * A value for an fd field: the right kind now and then, mostly a wrong
 * one (a pipe, a closed fd, an eventfd where a window is expected and
 * the reverse, a descriptor of another socket, the device, odd numbers).
 */
static int pick_fd_field(struct fuzzer *z, uint64_t *r, int self_fd)
{
	switch (rn(r, 12)) {
	case 0: return z->f.fd[K_PIPE];
	case 1: return CLOSED_FD;
	case 2: return z->f.fd[K_EVENTFD];
	case 3: return z->f.fd[K_WIN];
	case 4: return z->f.fd[rn(r, 2) ? K_TCP_C : K_UDP];
	case 5: return z->f.fd[K_DEV];
	case 6: return self_fd;
	case 7: return -1;
	case 8: return (int)rnd(r);
	case 9: return z->f.pipe_w;
	case 10:
		if (z->n_created)
			return z->created[rn(r, z->n_created)].fd;
		return INT_MAX;
	default: return rn(r, 2) ? z->f.fd[K_EVENTFD] : z->f.fd[K_WIN];
	}
}

/* A user pointer inside a struct, with its length. */
static uint64_t pick_uptr(struct fuzzer *z, uint64_t *r, uint64_t *len)
{
	static const uint64_t lens[] = {
		0, 1, 4, 8, 16, 100, 4096, SCRATCH, SCRATCH + 1, 1ull << 31,
		1ull << 40, ~0ull,
	};
	uint64_t p;

	switch (rn(r, 10)) {
	case 0: p = 0; break;
	case 1: p = (uintptr_t)z->m.unmapped; break;
	case 2: p = KERNEL_PTR; break;
	case 3: p = (uintptr_t)z->m.ro_zero; break;
	case 4: p = (uintptr_t)z->m.scratch + 1 + rn(r, 7); break;
	case 5: p = rnd(r) | (1ull << 63); break;	/* never ours */
	case 6: p = (uintptr_t)z->m.scratch + SCRATCH - rn(r, 64); break;
	default: p = (uintptr_t)z->m.scratch; break;
	}
	if (len)
		*len = rn(r, 3) ? RN_PICK(r, lens) :
				  rnd(r) % (2 * SCRATCH);
	return p;
}

static void pick_sockaddr(struct fuzzer *z, uint64_t *r, struct test_addr *a)
{
	static const uint32_t lens[] = { 0, 1, 2, 8, 15, 16, 24, 27, 28, 127, 128 };

	switch (rn(r, 8)) {
	case 0:		/* a listener that exists */
		*a = z->f.listen_addr;
		break;
	case 1:
		wsp_loopback(a, AF_INET, rn(r, 65536));
		break;
	case 2:
		wsp_loopback(a, AF_INET6, rn(r, 65536));
		break;
	case 3:		/* AF_UNSPEC: disconnect */
		memset(a, 0, sizeof(*a));
		a->len = 16;
		break;
	case 4:
		memset(a, 0, sizeof(*a));
		fill_random(r, a->data, sizeof(a->data));
		a->len = RN_PICK(r, lens);
		break;
	case 5:
		wsp_loopback(a, rn(r, 2) ? AF_INET : AF_INET6, 0);
		a->len = RN_PICK(r, lens);
		break;
	case 6:
		fill_random(r, a, sizeof(*a));
		break;
	default:
		wsp_loopback(a, AF_INET, rn(r, 2) ? 0 : wsp_port(&z->f.listen_addr));
		((struct sockaddr_in *)a->data)->sin_addr.s_addr =
			rn(r, 2) ? 0 : htonl(0x7f000000u | rn(r, 1 << 24));
	}
	if (rn(r, 16) == 0)
		a->len = rnd(r);
	if (a->len > sizeof(a->data) && rn(r, 2))
		a->len = sizeof(a->data);	/* else mostly EINVAL */
}

static uint32_t pick_flags(uint64_t *r, uint32_t good)
{
	switch (rn(r, 8)) {
	case 0: return 0;
	case 1: return (uint32_t)rnd(r);
	case 2: return 1u << rn(r, 32);
	default: return good & (uint32_t)rnd(r);
	}
}

static uint32_t pick_mask(uint64_t *r)
{
	switch (rn(r, 6)) {
	case 0: return 0;
	case 1: return WSP_FD_ALL_EVENTS;
	case 2: return WSP_FD_ALL_EVENTS + 1;
	case 3: return (uint32_t)rnd(r);
	default: return (uint32_t)rnd(r) & WSP_FD_ALL_EVENTS;
	}
}

/*
 * Socket options worth setting. SO_LINGER is only ever set to "off" or
 * "reset at close": a lingering close of a socket whose last reference is
 * a pending duplication waits in the module's reaper (see the regression
 * test reaper_not_stalled_by_lingering_close).
 */
struct sockopt_call {
	int level;
	int name;
	uint64_t optval;
	uint32_t optlen;
};

static void pick_sockopt(struct fuzzer *z, uint64_t *r,
			 struct sockopt_call *a)
{
	static const int sol[] = {
		SO_REUSEADDR, SO_REUSEPORT, SO_KEEPALIVE, SO_OOBINLINE,
		SO_BROADCAST, SO_DONTROUTE, SO_SNDBUF, SO_RCVBUF, SO_RCVLOWAT,
		SO_SNDLOWAT, SO_PRIORITY, SO_ERROR, SO_TYPE, SO_PROTOCOL,
		SO_DOMAIN, SO_ACCEPTCONN, SO_LINGER, SO_RCVTIMEO_OLD,
		SO_SNDTIMEO_OLD, SO_RCVTIMEO_NEW, SO_SNDTIMEO_NEW,
		SO_BINDTODEVICE, SO_MARK, SO_PEERCRED, SO_BUSY_POLL,
	};
	static const int tcp[] = {
		TCP_NODELAY, TCP_MAXSEG, TCP_CORK, TCP_KEEPIDLE, TCP_KEEPINTVL,
		TCP_KEEPCNT, TCP_SYNCNT, TCP_LINGER2, TCP_DEFER_ACCEPT,
		TCP_WINDOW_CLAMP, TCP_INFO, TCP_QUICKACK, TCP_CONGESTION,
		TCP_USER_TIMEOUT, TCP_NOTSENT_LOWAT, TCP_ULP,
		TCP_ZEROCOPY_RECEIVE,
	};
	static const int ip[] = {
		IP_TOS, IP_TTL, IP_OPTIONS, IP_RECVERR, IP_MTU_DISCOVER,
		IP_MTU, IP_FREEBIND, IP_BIND_ADDRESS_NO_PORT, IP_PKTINFO,
	};
	static const int ip6[] = {
		IPV6_V6ONLY, IPV6_UNICAST_HOPS, IPV6_TCLASS, IPV6_RECVERR,
		IPV6_MTU, IPV6_RECVPKTINFO, IPV6_ADDRFORM,
	};
	static const int levels[] = {
		SOL_SOCKET, IPPROTO_TCP, IPPROTO_IP, IPPROTO_IPV6,
	};
	uint64_t len;

	switch (rn(r, 6)) {
	case 0:
		a->level = SOL_SOCKET;
		a->name = RN_PICK(r, sol);
		break;
	case 1:
		a->level = IPPROTO_TCP;
		a->name = RN_PICK(r, tcp);
		break;
	case 2:
		a->level = IPPROTO_IP;
		a->name = RN_PICK(r, ip);
		break;
	case 3:
		a->level = IPPROTO_IPV6;
		a->name = RN_PICK(r, ip6);
		break;
	case 4:
		a->level = levels[rn(r, 4)];
		a->name = (int)rnd(r);
		break;
	default:
		a->level = (int)rnd(r);
		a->name = rn(r, 80);
	}
	a->optval = pick_uptr(z, r, &len);
	a->optlen = rn(r, 2) ? (uint32_t[]){ 0, 1, 4, 8, 16, 64, 128 }[rn(r, 7)] :
			       (uint32_t)len;
	if (a->optval == (uintptr_t)z->m.scratch) {
		/* Plausible values: small ints, timevals, "lo", "cubic". */
		switch (rn(r, 6)) {
		case 0: memset(z->m.scratch, 0, 64); break;
		case 1: *(int *)z->m.scratch = rn(r, 3); break;
		case 2: strcpy((char *)z->m.scratch, rn(r, 2) ? "lo" : "cubic"); break;
		case 5:	/* what TCP_ULP and IPV6_ADDRFORM would take */
			if (rn(r, 2))
				strcpy((char *)z->m.scratch, "tls");
			else
				*(int *)z->m.scratch = AF_INET;
			break;
		case 3: fill_random(r, z->m.scratch, 64); break;
		default: *(int *)z->m.scratch = rn(r, 1 << 20); break;
		}
	}
	if (a->level == SOL_SOCKET && a->name == SO_LINGER) {
		struct linger lg = { .l_onoff = rn(r, 2), .l_linger = 0 };

		/* Only off, or a reset at close: never a lingering close. */
		a->optval = (uintptr_t)z->m.scratch;
		memcpy(z->m.scratch, &lg, sizeof(lg));
	}
}

static void pick_token(struct fuzzer *z, uint64_t *r, struct wsp_protocol_info *i)
{
	if (!z->n_tokens || rn(r, 4) == 0) {
		fill_random(r, i, sizeof(*i));
		if (rn(r, 2)) {
			i->family = AF_INET;
			i->type = SOCK_STREAM;
			i->protocol = IPPROTO_TCP;
			i->__reserved = 0;
			i->token_id = rn(r, 2) ? rn(r, 4096) : rnd(r);
		}
		return;
	}
	*i = z->tokens[rn(r, z->n_tokens)];
	switch (rn(r, 10)) {
	case 0: i->token_secret ^= 1ull << rn(r, 64); break;
	case 1: i->token_id += rn(r, 2) ? 1 : (1ull << 32); break;
	case 2: i->family = i->family == AF_INET ? AF_INET6 : AF_INET; break;
	case 3: i->type ^= 3; break;
	case 4: i->protocol = (int)rnd(r); break;
	case 5: i->__reserved = 1 + rn(r, 100); break;
	default: break;		/* as made: fresh, or already redeemed */
	}
}

/*
 * Fill the struct of @cmd at @p (@size bytes, already random) with
 * plausible and hostile field values.
 */
static void semantic_struct(struct fuzzer *z, uint64_t *r, unsigned long cmd,
			    unsigned char *p, size_t size, int self_fd)
{
	union {
		struct wsp_version v;
		struct wsp_socket_args s;
		struct wsp_redeem_args rd;
		struct wsp_window_args w;
		struct wsp_duplicate_args d;
		struct wsp_socket_info si;
		struct wsp_nonblock_args nb;
		struct wsp_event_select_args es;
		struct wsp_async_select_args as;
		struct wsp_enum_events_args en;
		struct wsp_registration rg;
		struct wsp_window_info wi;
		struct wsp_sockets_args ss;
		unsigned char raw[256];
	} u;
	const struct cmd_desc *c = known_nr(cmd);

	if (!c)
		return;
	memset(&u, 0, sizeof(u));
	if (rn(r, 8) == 0)
		fill_random(r, &u, sizeof(u));
	switch (_IOC_NR(c->cmd)) {
	case _IOC_NR(WSP_IOC_VERSION):
		u.v.flags = pick_flags(r, 0);
		u.v.__reserved = rn(r, 8) ? 0 : rnd(r);
		break;
	case _IOC_NR(WSP_IOC_SOCKET): {
		static const int fam[] = { AF_INET, AF_INET6, AF_INET, AF_UNIX, 0, -1, AF_PACKET };
		static const int typ[] = { SOCK_STREAM, SOCK_DGRAM, SOCK_RAW,
			SOCK_STREAM | SOCK_NONBLOCK, SOCK_SEQPACKET, 0 };
		static const int pro[] = { 0, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP, -1 };

		u.s.flags = rn(r, 10) ? WSP_SOCK_NONBLOCK | (rn(r, 2) ? WSP_FD_CLOEXEC : 0) :
					pick_flags(r, 3);
		u.s.family = rn(r, 16) ? fam[rn(r, 7)] : (int)rnd(r);
		u.s.type = rn(r, 16) ? typ[rn(r, 6)] : (int)rnd(r);
		u.s.protocol = rn(r, 16) ? pro[rn(r, 5)] : (int)rnd(r);
		break;
	}
	case _IOC_NR(WSP_IOC_REDEEM):
		u.rd.flags = rn(r, 4) ? WSP_FD_CLOEXEC : pick_flags(r, 1);
		u.rd.__reserved = rn(r, 8) ? 0 : rnd(r);
		pick_token(z, r, &u.rd.info);
		break;
	case _IOC_NR(WSP_IOC_WINDOW): {
		static const uint32_t lim[] = { 1, 2, 16, 64, 4096 };
		static const uint32_t big[] = { 0, 65536, 65537, ~0u };

		u.w.flags = rn(r, 4) ? WSP_WINDOW_NONBLOCK | (rn(r, 2) ? WSP_FD_CLOEXEC : 0) :
				       pick_flags(r, 3);
		/*
		 * Big rings (0 is 10000 messages, 320 KB) are rare: windows
		 * live on in the registrations of sockets that pending
		 * duplications keep until the fuzzer exits.
		 */
		u.w.limit = rn(r, 16) ? lim[rn(r, 5)] :
			    rn(r, 2) ? big[rn(r, 4)] : (uint32_t)rnd(r);
		break;
	}
	case _IOC_NR(WSP_IOC_SOCKETS): {
		/* Records land in scratch (room for 170), or nowhere valid. */
		const uint64_t where[] = {
			(uintptr_t)z->m.scratch, (uintptr_t)z->m.scratch,
			(uintptr_t)z->m.scratch + SCRATCH - 384,
			(uintptr_t)z->m.unmapped, (uintptr_t)z->m.ro_zero,
			KERNEL_PTR, 0,
		};
		static const uint32_t sizes[] = {
			sizeof(struct wsp_socket_record),
			sizeof(struct wsp_socket_record) + 8, 0, 8, 4097,
		};

		u.ss.flags = rn(r, 4) ? 0 : pick_flags(r, 0);
		u.ss.count = rn(r, 8) ? rn(r, 170) : (uint32_t)rnd(r);
		u.ss.after = rn(r, 2) ? 0 : rn(r, 4) ? rn(r, 4096) : rnd(r);
		u.ss.records = where[rn(r, 7)];
		u.ss.record_size = rn(r, 4) ? sizes[0] : sizes[rn(r, 5)];
		u.ss.module_record_size = rn(r, 8) ? 0 : rnd(r);
		break;
	}
	case _IOC_NR(WSP_IOC_DUPLICATE): {
		static const int pids[] = { 0, -1, INT_MIN, INT_MAX, PID_MAX_LIMIT_ + 1 };

		u.d.flags = rn(r, 4) ? 0 : pick_flags(r, 0);
		u.d.pid = rn(r, 2) ? getpid() : pids[rn(r, 5)];
		break;
	}
	case _IOC_NR(WSP_IOC_SOCKET_INFO):
	case _IOC_NR(WSP_IOC_GET_REGISTRATION):
	case _IOC_NR(WSP_IOC_WINDOW_INFO):
		/* flags first; the registration's and window info's reserved too */
		u.si.flags = rn(r, 4) ? 0 : pick_flags(r, 0);
		if (_IOC_NR(c->cmd) == _IOC_NR(WSP_IOC_GET_REGISTRATION))
			u.rg.__reserved = rn(r, 8) ? 0 : rnd(r);
		if (_IOC_NR(c->cmd) == _IOC_NR(WSP_IOC_WINDOW_INFO))
			u.wi.__reserved = rn(r, 8) ? 0 : rnd(r);
		break;
	case _IOC_NR(WSP_IOC_SET_NONBLOCK):
		u.nb.flags = rn(r, 4) ? 0 : pick_flags(r, 0);
		u.nb.nonblocking = rn(r, 4) ? rn(r, 3) : (uint32_t)rnd(r);
		break;
	case _IOC_NR(WSP_IOC_EVENT_SELECT):
		u.es.flags = rn(r, 4) ? 0 : pick_flags(r, WSP_SELECT_NOTIFY_DISPLACED);
		u.es.eventfd = pick_fd_field(z, r, self_fd);
		u.es.mask = pick_mask(r);
		u.es.__reserved = rn(r, 8) ? 0 : rnd(r);
		u.es.descriptor = rn(r, 2) ? (uint64_t)self_fd : rnd(r);
		break;
	case _IOC_NR(WSP_IOC_ASYNC_SELECT):
		u.as.flags = rn(r, 4) ? 0 : pick_flags(r, WSP_SELECT_NOTIFY_DISPLACED);
		u.as.window = pick_fd_field(z, r, self_fd);
		u.as.message = rnd(r);
		u.as.mask = pick_mask(r);
		u.as.descriptor = rn(r, 2) ? (uint64_t)self_fd : rnd(r);
		break;
	case _IOC_NR(WSP_IOC_ENUM_EVENTS):
		u.en.flags = rn(r, 4) ? 0 : pick_flags(r, 0);
		u.en.eventfd = rn(r, 3) ? -1 : pick_fd_field(z, r, self_fd);
		u.en.__reserved = rn(r, 8) ? 0 : rnd(r);
		u.en.__reserved2 = rn(r, 8) ? 0 : rnd(r);
		fill_random(r, u.en.errors, sizeof(u.en.errors));
		break;
	}
	memcpy(p, &u, size < sizeof(u) ? size : sizeof(u));
}

/*
 * Never duplicate for a process that outlives the fuzzer (pid 1, the
 * shell): such a token would pin a socket and the module until that
 * process exits. Any pid that might exist becomes our own.
 */
static void sanitize(unsigned long cmd, unsigned char *p, size_t size)
{
	int32_t pid;

	if (_IOC_TYPE(cmd) != WSP_IOC_MAGIC ||
	    _IOC_NR(cmd) != _IOC_NR(WSP_IOC_DUPLICATE) || size < 8)
		return;
	memcpy(&pid, p + 4, 4);
	if (pid > 0 && pid <= PID_MAX_LIMIT_ && pid != getpid()) {
		pid = getpid();
		memcpy(p + 4, &pid, 4);
	}
}

/* ------------------------------------------------------------------ */
/* One call and its judgement.                                        */
/* ------------------------------------------------------------------ */

enum argkind { A_BUF, A_NULL, A_UNMAPPED, A_KERNEL, A_RO_ZERO, A_RO_FF,
	       A_EDGE, A_MISALIGNED, A_COUNT };

static const char *const arg_names[] = {
	"buffer", "NULL", "unmapped", "kernel", "ro-zero", "ro-0xff",
	"page-edge", "misaligned",
};

static void note_errno(struct stats *st, int e)
{
	if (e > 0 && e < (int)(sizeof(st->errnos) / sizeof(st->errnos[0])))
		st->errnos[e]++;
}

/*
 * The size of @c's first published struct: a smaller one gets EINVAL.
 * Only the enumeration's has grown since (the displaced_* fields).
 */
static size_t first_size(const struct cmd_desc *c)
{
	if (_IOC_NR(c->cmd) == _IOC_NR(WSP_IOC_ENUM_EVENTS))
		return offsetof(struct wsp_enum_events_args, displaced_pid);
	return _IOC_SIZE(c->cmd);
}

/*
 * The errno the ABI fixes for @cmd on a file of @kind with this argument,
 * or 0 where it leaves the answer to the handler. @readable: the whole
 * encoded size can be read at the pointer; @tail_zero: the bytes past the
 * module's struct are zero.
 */
static int expected_errno(unsigned long cmd, int kind, int argk,
			  bool readable, bool tail_zero)
{
	const struct cmd_desc *c = known_nr(cmd);
	size_t usize = _IOC_SIZE(cmd);
	size_t ksize;

	if (kind == K_CLOSED)
		return EBADF;
	if (_IOC_TYPE(cmd) != WSP_IOC_MAGIC)
		return 0;
	if (kind == K_PIPE || kind == K_EVENTFD)
		return ENOTTY;
	if (!c)
		return ENOTTY;
	if ((kind == K_DEV || kind_is_win(kind)) && c->target == T_DESC)
		return ENOTSOCK;
	if ((kind == K_DEV && c->target != T_DEV) ||
	    (kind_is_win(kind) && c->target != T_WIN) ||
	    (kind_is_desc(kind) && c->target != T_DESC))
		return ENOTTY;
	if (_IOC_DIR(cmd) != _IOC_DIR(c->cmd))
		return ENOTTY;
	ksize = _IOC_SIZE(c->cmd);
	if (usize < first_size(c))
		return EINVAL;
	if (argk == A_NULL || argk == A_UNMAPPED || argk == A_KERNEL)
		return EFAULT;
	if (readable && usize > ksize && !tail_zero)
		return E2BIG;
	return 0;
}

/* The interval timer's signal: only interrupts. */
static void on_alarm(int sig)
{
}

static void watchdog(bool on)
{
	struct itimerval it = { 0 };
	struct sigaction sa = { .sa_handler = on_alarm };

	if (on) {
		sigaction(SIGALRM, &sa, NULL);	/* no SA_RESTART */
		it.it_interval.tv_usec = 20000;
		it.it_value.tv_usec = 20000;
	}
	setitimer(ITIMER_REAL, &it, NULL);
}

/* ioctl, timed: the result or -errno; a call over HANG_MS is a hang. */
/*
 * Account one call that started at @t0: the call count, the longest call
 * and, past HANG_MS, a hang. Returns how long it took (ms).
 */
static long call_took(struct fuzzer *z, long t0)
{
	long dt = now_ms() - t0;

	z->st->calls++;
	if (dt > z->st->max_call_ms)
		z->st->max_call_ms = dt;
	if (dt > HANG_MS)
		z->st->hangs++;
	return dt;
}

static long timed_ioctl(struct fuzzer *z, int fd, unsigned long cmd,
			unsigned long arg, const char *what)
{
	long t0 = now_ms(), dt, ret;

	ret = ioctl(fd, cmd, arg);
	if (ret < 0)
		ret = -errno;
	dt = call_took(z, t0);
	if (dt > HANG_MS)
		violation(z, "iteration %ld: %s took %ld ms (cmd %#lx)",
			  z->iter, what, dt, cmd);
	if (ret >= 0)
		z->st->successes++;
	else
		note_errno(z->st, -ret);
	return ret;
}

/*
 * Issue @cmd on @fd (@kind) with an argument of kind @argk; @r draws the
 * contents. Judges the result and keeps what it made.
 */
static void fuzz_call(struct fuzzer *z, uint64_t *r, int fd, int kind,
		      unsigned long cmd, int argk, int content)
{
	const struct cmd_desc *c = known_nr(cmd);
	size_t size = _IOC_SIZE(cmd), ksize = c ? _IOC_SIZE(c->cmd) : 0;
	unsigned char *p = z->m.buf;
	unsigned long arg;
	bool readable = true, tail_zero = true;
	char what[96];
	long ret;
	int want;
	size_t i;

	if (cmd == FIONREAD || cmd == SIOCATMARK)
		size = sizeof(int);
	switch (argk) {
	case A_NULL: arg = 0; readable = false; break;
	case A_UNMAPPED: arg = (uintptr_t)z->m.unmapped; readable = false; break;
	case A_KERNEL: arg = KERNEL_PTR; readable = false; break;
	case A_RO_ZERO: arg = (uintptr_t)z->m.ro_zero; readable = size <= PAGE; break;
	case A_RO_FF:
		arg = (uintptr_t)z->m.ro_ff;
		readable = size <= PAGE;
		tail_zero = size <= ksize;
		break;
	default:
		if (argk == A_MISALIGNED)
			p += 1 + rn(r, 7);
		switch (content) {
		case 0: memset(p, 0, size); break;
		case 1: memset(p, 0xff, size); break;
		case 2: fill_random(r, p, size); break;
		default:
			fill_random(r, p, size);
			semantic_struct(z, r, cmd, p, size, fd);
		}
		/* A zero tail past the module's struct, mostly. */
		if (size > ksize && content != 1) {
			memset(p + ksize, 0, size - ksize);
			if (rn(r, 4) == 0)
				p[ksize + rn(r, size - ksize)] = 1 + rn(r, 255);
		}
		sanitize(cmd, p, size);
		for (i = ksize; i < size; i++)
			if (p[i]) {
				tail_zero = false;
				break;
			}
		if (argk == A_EDGE) {
			/* The struct runs into an unmapped page. */
			size_t keep = rn(r, (size < PAGE ? size : PAGE) + 1);
			unsigned char *q = z->m.edge + PAGE - keep;

			memcpy(q, p, keep);
			p = q;
			readable = keep >= size;
		}
		arg = (uintptr_t)p;
	}
	snprintf(what, sizeof(what), "%s %s on %s with %s",
		 c ? c->name : "cmd", c && c->cmd == cmd ? "" : "(re-encoded)",
		 kind_names[kind], arg_names[argk]);

	ret = timed_ioctl(z, fd, cmd, arg, what);
	want = expected_errno(cmd, kind, argk, readable, tail_zero);
	if (want && ret != -want)
		violation(z, "iteration %ld: %s (cmd %#lx): got %ld, want -%d",
			  z->iter, what, cmd, ret, want);
	if (ret < -4095)
		violation(z, "iteration %ld: %s: not an errno: %ld",
			  z->iter, what, ret);
	if (ret < 0 || !c)
		return;

	/* What succeeded: new files, tokens, the blocking mode. */
	if (c->makes_fd && _IOC_TYPE(cmd) == WSP_IOC_MAGIC &&
	    ((kind == K_DEV && c->target == T_DEV) ||
	     (kind_is_desc(kind) && c->target == T_DESC))) {
		if (ret > 2 && fcntl(ret, F_GETFD) >= 0)
			track_fd(z, ret, _IOC_NR(cmd) == _IOC_NR(WSP_IOC_WINDOW) ?
				 K_WIN_NEW : K_DESC_NEW);
		else
			violation(z, "iteration %ld: %s returned %ld, not a new fd",
				  z->iter, what, ret);
		if (_IOC_NR(cmd) == _IOC_NR(WSP_IOC_REDEEM))
			z->st->tokens_redeemed++;
	}
	if (_IOC_NR(cmd) == _IOC_NR(WSP_IOC_DUPLICATE) && kind_is_desc(kind) &&
	    (_IOC_DIR(cmd) & _IOC_READ) && argk != A_RO_ZERO &&
	    argk != A_RO_FF && size >= sizeof(struct wsp_duplicate_args))
		remember_token(z, &((struct wsp_duplicate_args *)p)->info);
	if (_IOC_NR(cmd) == _IOC_NR(WSP_IOC_SET_NONBLOCK) && kind_is_desc(kind) &&
	    rn(r, 8))
		wsp_set_nonblock(fd, 1);	/* mostly keep calls from waiting */
}

/* read(), write() and poll() on a random file with a random buffer. */
static void fuzz_rw(struct fuzzer *z, uint64_t *r)
{
	struct pollfd pfd;
	uint64_t len;
	uint64_t ptr;
	int kind, fd = pick_fd(z, r, &kind);
	long t0 = now_ms(), dt;
	ssize_t n;

	ptr = pick_uptr(z, r, &len);
	if (len > SCRATCH && ptr == (uintptr_t)z->m.scratch && rn(r, 2))
		len = SCRATCH;
	switch (rn(r, 3)) {
	case 0:
		if (kind == K_PIPE || kind == K_EVENTFD)
			break;		/* ours only: a pipe read could block */
		n = read(fd, (void *)(uintptr_t)ptr, len);
		if (n < 0)
			note_errno(z->st, errno);
		if (n > 0 && (uint64_t)n > len)
			violation(z, "iteration %ld: read on %s returned %zd > %llu",
				  z->iter, kind_names[kind], n,
				  (unsigned long long)len);
		break;
	case 1:
		if (kind == K_PIPE || kind == K_EVENTFD)
			break;
		n = write(fd, (void *)(uintptr_t)ptr, len);
		if (n < 0)
			note_errno(z->st, errno);
		break;
	default:
		pfd.fd = fd;
		pfd.events = (short)rnd(r);
		if (poll(&pfd, 1, 0) < 0 && errno != EINTR)
			violation(z, "iteration %ld: poll on %s: %s", z->iter,
				  kind_names[kind], strerror(errno));
	}
	dt = now_ms() - t0;
	z->st->calls++;
	if (dt > HANG_MS) {
		z->st->hangs++;
		violation(z, "iteration %ld: read/write/poll on %s took %ld ms",
			  z->iter, kind_names[kind], dt);
	}
}

/* Mostly a descriptor (pool or made by the fuzzer), else any file. */
static int pick_desc(struct fuzzer *z, uint64_t *r, int *kind)
{
	static const int descs[] = { K_TCP_C, K_TCP_S, K_LISTEN, K_UDP, K_UDP6 };

	if (rn(r, 4) == 0)
		return pick_fd(z, r, kind);
	if (z->n_created && rn(r, 4) == 0) {
		struct created *c = &z->created[rn(r, z->n_created)];

		*kind = c->kind;
		return c->fd;
	}
	*kind = descs[rn(r, 5)];
	return z->f.fd[*kind];
}

static uint32_t pick_msg_flags(uint64_t *r)
{
	static const uint32_t fl[] = {
		0, MSG_OOB, MSG_DONTWAIT, MSG_PEEK, MSG_WAITALL,
		MSG_PEEK | MSG_DONTWAIT, MSG_OOB | MSG_PEEK, MSG_TRUNC,
		MSG_NOSIGNAL, MSG_MORE, MSG_CONFIRM, MSG_ERRQUEUE,
		MSG_ZEROCOPY, MSG_FASTOPEN,
	};

	return rn(r, 8) ? RN_PICK(r, fl) :
			  (uint32_t)rnd(r);
}

/*
 * The options a wspshare socket refuses (they would replace its ops, or
 * consume data it does not see): any call naming them must fail.
 */
static bool refused_option(int level, int name, bool set)
{
	if (set)
		return (level == IPPROTO_TCP && name == TCP_ULP) ||
		       (level == IPPROTO_IPV6 && name == IPV6_ADDRFORM);
	return level == IPPROTO_TCP && name == TCP_ZEROCOPY_RECEIVE;
}

enum sysop {
	S_SENDTO, S_RECVFROM, S_SHUTDOWN, S_SETSOCKOPT, S_GETSOCKOPT, S_BIND,
	S_LISTEN, S_CONNECT, S_ACCEPT4, S_GETNAME, S_FCNTL, S_SOCKIOCTL,
	S_REGISTER, S_COUNT,
};

static const char *const sysop_names[] = {
	"sendto", "recvfrom", "shutdown", "setsockopt", "getsockopt", "bind",
	"listen", "connect", "accept4", "getsockname/getpeername",
	"fcntl(F_SETFL)", "ioctl(FIONBIO/FIONREAD/SIOCATMARK/SIOCOUTQ)",
	"event/async-select",
};

/*
 * A socket system call on a random file, mostly a descriptor, with random
 * arguments. Only errno values may come back; what accept4 returns on a
 * wspshare listener is a wspshare socket; a refused option fails and the
 * socket stays a wspshare socket.
 */
static void fuzz_syscall(struct fuzzer *z, uint64_t *r)
{
	int kind, fd = pick_desc(z, r, &kind), op = rn(r, S_COUNT), v;
	struct sockopt_call so = { 0 };
	struct test_addr a;
	socklen_t sl;
	uint64_t len, ptr;
	long t0, dt, ret = 0;
	bool refused = false;

	ptr = pick_uptr(z, r, &len);
	if (len > SCRATCH && ptr == (uintptr_t)z->m.scratch && rn(r, 2))
		len = SCRATCH;
	pick_sockaddr(z, r, &a);
	t0 = now_ms();
	switch (op) {
	case S_SENDTO:
		ret = sendto(fd, (void *)(uintptr_t)ptr, len, pick_msg_flags(r),
			     rn(r, 2) ? &a.sa : NULL, a.len);
		break;
	case S_RECVFROM:
		sl = rn(r, 4) ? sizeof(a.ss) : (socklen_t)rnd(r);
		ret = recvfrom(fd, (void *)(uintptr_t)ptr, len, pick_msg_flags(r),
			       rn(r, 2) ? &a.sa : NULL, rn(r, 4) ? &sl : NULL);
		break;
	case S_SHUTDOWN:
		ret = shutdown(fd, rn(r, 4) ? (int)rn(r, 3) : (int)rnd(r));
		break;
	case S_SETSOCKOPT:
		pick_sockopt(z, r, &so);
		refused = refused_option(so.level, so.name, true);
		ret = setsockopt(fd, so.level, so.name,
				 (void *)(uintptr_t)so.optval, so.optlen);
		break;
	case S_GETSOCKOPT:
		pick_sockopt(z, r, &so);
		refused = refused_option(so.level, so.name, false);
		sl = so.optlen;
		ret = getsockopt(fd, so.level, so.name,
				 (void *)(uintptr_t)so.optval,
				 rn(r, 8) ? &sl : (socklen_t *)z->m.unmapped);
		break;
	case S_BIND:
		ret = bind(fd, rn(r, 16) ? &a.sa : (struct sockaddr *)z->m.unmapped,
			   a.len);
		break;
	case S_LISTEN:
		ret = listen(fd, rn(r, 2) ? (int)rn(r, 8) : (int)rnd(r));
		break;
	case S_CONNECT:
		ret = connect(fd, rn(r, 16) ? &a.sa : (struct sockaddr *)z->m.unmapped,
			      a.len);
		break;
	case S_ACCEPT4: {
		static const int fl[] = {
			SOCK_CLOEXEC, SOCK_CLOEXEC | SOCK_NONBLOCK, 0,
			SOCK_NONBLOCK,
		};

		sl = rn(r, 4) ? sizeof(a.ss) : (socklen_t)rnd(r);
		ret = accept4(fd, rn(r, 2) ? &a.sa : NULL, rn(r, 4) ? &sl : NULL,
			      rn(r, 8) ? fl[rn(r, 4)] : (int)rnd(r));
		break;
	}
	case S_GETNAME:
		sl = rn(r, 4) ? sizeof(a.ss) : (socklen_t)rnd(r);
		if (rn(r, 2))
			ret = getsockname(fd, (struct sockaddr *)(uintptr_t)ptr, &sl);
		else
			ret = getpeername(fd, (struct sockaddr *)(uintptr_t)ptr, &sl);
		break;
	case S_FCNTL:
		v = fcntl(fd, F_GETFL);
		ret = v < 0 ? v : fcntl(fd, F_SETFL, rn(r, 2) ? v | O_NONBLOCK :
						     v & ~O_NONBLOCK);
		break;
	case S_SOCKIOCTL: {
		static const unsigned long ioc[] = {
			FIONBIO, FIONREAD, SIOCATMARK, SIOCOUTQ,
		};

		v = rn(r, 2);
		ret = ioctl(fd, ioc[rn(r, 4)], rn(r, 8) ? (void *)&v :
			    (void *)(uintptr_t)ptr);
		break;
	}
	default:
		/* Registrations, mixed in: the pool's targets or a wrong one. */
		v = rn(r, 4) ? (rn(r, 2) ? z->f.fd[K_EVENTFD] : z->f.fd[K_WIN]) :
			       pick_fd_field(z, r, fd);
		ret = rn(r, 2) ? wsp_event_select(fd, v, pick_mask(r)) :
				 wsp_async_select(fd, v, (uint32_t)rnd(r),
						  pick_mask(r));
		if (ret < 0) {
			errno = -ret;
			ret = -1;
		}
	}
	if (ret < 0)
		ret = -errno;
	dt = call_took(z, t0);
	if (dt > HANG_MS)
		violation(z, "iteration %ld: %s on %s took %ld ms", z->iter,
			  sysop_names[op], kind_names[kind], dt);
	if (ret < 0) {
		note_errno(z->st, -ret);
		if (ret < -4095)
			violation(z, "iteration %ld: %s on %s: not an errno: %ld",
				  z->iter, sysop_names[op], kind_names[kind], ret);
	} else {
		z->st->successes++;
	}
	if (refused && kind_is_desc(kind)) {
		if (ret >= 0)
			violation(z, "iteration %ld: %s(%d, %d) on %s succeeded",
				  z->iter, sysop_names[op], so.level, so.name,
				  kind_names[kind]);
		if (!wsp_socket_id(fd))
			violation(z, "iteration %ld: after %s(%d, %d), %s is no wspshare socket",
				  z->iter, sysop_names[op], so.level, so.name,
				  kind_names[kind]);
	}
	/* (recvfrom with MSG_TRUNC returns a datagram's whole length) */
	if (op == S_SENDTO && ret > 0 && (uint64_t)ret > len)
		violation(z, "iteration %ld: %s on %s returned %ld > %llu",
			  z->iter, sysop_names[op], kind_names[kind], ret,
			  (unsigned long long)len);
	if (op == S_ACCEPT4 && ret >= 0) {
		if (ret <= 2 || fcntl(ret, F_GETFD) < 0) {
			violation(z, "iteration %ld: accept4 on %s returned %ld, not a new fd",
				  z->iter, kind_names[kind], ret);
			return;
		}
		if (kind_is_desc(kind) && !wsp_socket_id(ret))
			violation(z, "iteration %ld: accept4 on %s: not a wspshare socket",
				  z->iter, kind_names[kind]);
		track_fd(z, ret, K_DESC_NEW);
	}
}

/* A random ioctl number: mostly the header's, else re-encoded or foreign. */
static unsigned long pick_cmd(uint64_t *r, int kind)
{
	const struct cmd_desc *c;
	uint32_t x = rn(r, 100);
	unsigned int size;
	int i;

	if (x < 55) {
		/* Biased towards the commands of the file's kind. */
		for (i = 0; i < 4; i++) {
			c = &cmds[rn(r, N_CMDS)];
			if ((kind == K_DEV && c->target == T_DEV) ||
			    (kind_is_desc(kind) && (c->target == T_DESC ||
						    c->target == T_SOCKIOCTL)) ||
			    (kind_is_win(kind) && c->target == T_WIN))
				break;
		}
		return c->cmd;
	}
	size = rn(r, 2) ? rn(r, 300) : rn(r, 16384);
	if (x < 75) {
		c = &cmds[rn(r, N_CMDS - 2)];
		return _IOC(rn(r, 4), WSP_IOC_MAGIC, _IOC_NR(c->cmd),
			    rn(r, 2) ? _IOC_SIZE(c->cmd) + rn(r, 2) * rn(r, 64) : size);
	}
	if (x < 88)
		return _IOC(rn(r, 4), WSP_IOC_MAGIC, rn(r, 256), size);
	/* Another magic: anything but the VFS's own generic numbers. */
	return _IOC(rn(r, 4), 0xc0 + rn(r, 0x3f), rn(r, 256), size);
}

/*
 * The pool again from scratch: closes (and so unregisters) everything.
 * A failure is a violation (with its reason), and the fuzzing stops.
 */
static int rebuild(struct fuzzer *z)
{
	int tries;

	z->st->pool_rebuilds++;
	/* Its blocking connect and accept must not see the interval timer. */
	watchdog(false);
	for (tries = 0; tries < 5; tries++) {
		files_close(&z->f);
		if (!files_open(z->dev, &z->f)) {
			watchdog(true);
			return 0;
		}
		poll(NULL, 0, 100);
	}
	violation(z, "iteration %ld: cannot open a new pool: %s: %d (%s)",
		  z->iter, kind_names[open_fail_kind], open_fail_ret,
		  open_fail_ret < 0 ? strerror(-open_fail_ret) : "");
	files_close(&z->f);
	return -1;
}

static void fuzz_iteration(struct fuzzer *z)
{
	uint64_t r = mix64(z->seed ^ mix64(z->iter));
	uint32_t x = rn(&r, 100);
	int kind, fd, argk;

	if (x < 8) {
		fuzz_rw(z, &r);
		return;
	}
	if (x < 10 && z->n_created) {
		int i = rn(&r, z->n_created);

		if (rn(&r, 2)) {
			close(z->created[i].fd);
			z->created[i] = z->created[--z->n_created];
		} else {
			int d = dup(z->created[i].fd);

			if (d >= 0)
				track_fd(z, d, z->created[i].kind);
		}
		return;
	}
	if (x < 35) {
		fuzz_syscall(z, &r);
		return;
	}
	fd = pick_fd(z, &r, &kind);
	x = rn(&r, 100);
	argk = x < 70 ? A_BUF : x < 74 ? A_NULL : x < 77 ? A_UNMAPPED :
	       x < 80 ? A_KERNEL : x < 84 ? A_RO_ZERO : x < 87 ? A_RO_FF :
	       x < 93 ? A_EDGE : A_MISALIGNED;
	x = rn(&r, 100);
	fuzz_call(z, &r, fd, kind, pick_cmd(&r, kind), argk,
		  x < 10 ? 0 : x < 15 ? 1 : x < 35 ? 2 : 3);
}

/* ------------------------------------------------------------------ */
/* Fixture.                                                           */
/* ------------------------------------------------------------------ */

FIXTURE(fuzz) {
	int dev;
	int kmsg;
	struct wsp_counters start;
	struct stats *st;
	uint64_t seed;
	pid_t kid;
	int fds[8];	/* closed at teardown when >= 0 */
};

FIXTURE_SETUP(fuzz)
{
	int i;

	self->kid = 0;
	self->st = NULL;
	for (i = 0; i < 8; i++)
		self->fds[i] = -1;
	/* Descriptors are sockets: a write after a shutdown is EPIPE only. */
	signal(SIGPIPE, SIG_IGN);
	self->kmsg = kmsg_open();
	WSP_SETUP_DEVICE(self->dev);
	settle_pending();
	ASSERT_EQ(0, wsp_read_counters(&self->start));
	self->st = mmap(NULL, sizeof(*self->st), PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->st);
	memset(self->st, 0, sizeof(*self->st));
	self->seed = fuzz_seed();
}

FIXTURE_TEARDOWN(fuzz)
{
	int i;

	if (self->kid > 0) {
		kill(self->kid, SIGKILL);
		waitpid(self->kid, NULL, 0);
	}
	for (i = 0; i < 8; i++)
		if (self->fds[i] >= 0)
			close(self->fds[i]);
	if (self->st && self->st != MAP_FAILED)
		munmap(self->st, sizeof(*self->st));
	if (self->dev >= 0)
		close(self->dev);
	if (self->kmsg >= 0)
		close(self->kmsg);
}

/* Nothing bad in the kernel log since setup. */
#define EXPECT_KMSG_CLEAN() do {					\
	char __first[256] = "";						\
	int __bad = kmsg_scan(self->kmsg, __first, sizeof(__first));	\
	EXPECT_EQ(0, __bad) TH_LOG("kernel log: %d bad records, first: %s", \
				   __bad, __first);			\
} while (0)

/* Back to the counters at setup, once everything is closed. */
#define EXPECT_COUNTERS_BACK() do {					\
	struct wsp_counters __got;					\
	EXPECT_EQ(0, wsp_await_counters(&self->start, &__got,		\
					COUNTERS_MS))				\
		TH_LOG("counters: " WSP_COUNTERS_FMT,			\
		       WSP_COUNTERS_ARGS(__got, self->start));		\
} while (0)

static void log_stats(struct __test_metadata *_metadata, struct stats *st)
{
	char line[512];
	int n = 0, e;

	for (e = 1; e < (int)(sizeof(st->errnos) / sizeof(st->errnos[0])); e++)
		if (st->errnos[e] && n < (int)sizeof(line) - 32)
			n += snprintf(line + n, sizeof(line) - n, " %s:%ld",
				      strerrorname_np(e) ?: "?", st->errnos[e]);
	line[n] = 0;
	TH_LOG("%ld iterations, %ld calls, %ld succeeded, %ld new fds, %ld tokens made, %ld redeemed, %ld pool rebuilds, longest call %ld ms",
	       st->iterations, st->calls, st->successes, st->new_fds,
	       st->tokens_made, st->tokens_redeemed, st->pool_rebuilds,
	       st->max_call_ms);
	TH_LOG("errnos:%s", line);
	for (e = 0; e < MAX_LOG && e < st->violations; e++)
		TH_LOG("violation: %s", st->log[e]);
}

/* A fresh TCP pair still carries data both ways. */
static int round_trip(int dev)
{
	char out[64] = "wspshare fuzz sanity", in[64];
	int l, c, s, ret = -1;

	if (wsp_tcp_pair(dev, AF_INET, &l, &c, &s))
		return -2;
	if (wsp_send(c, out, sizeof(out), 0) == sizeof(out) &&
	    wsp_wait_readable(s, WAIT_MS) &&
	    wsp_recv(s, in, sizeof(in), MSG_WAITALL) == sizeof(in) &&
	    !memcmp(in, out, sizeof(in)) &&
	    wsp_send(s, in, 10, 0) == 10 && wsp_wait_readable(c, WAIT_MS) &&
	    wsp_recv(c, out, 10, 0) == 10)
		ret = 0;
	close(s);
	close(c);
	close(l);
	return ret;
}

/* ------------------------------------------------------------------ */
/* 1. Every ioctl on every kind of file with every kind of pointer.   */
/* ------------------------------------------------------------------ */

static int sweep(int dev, uint64_t seed, struct stats *st)
{
	struct fuzzer z = { .dev = dev, .st = st, .seed = seed };
	int c, k, a, content;

	if (mem_init(&z.m) || files_open(dev, &z.f))
		return 2;
	watchdog(true);
	for (c = 0; c < N_CMDS; c++) {
		for (k = 0; k < K_COUNT; k++) {
			for (a = 0; a < A_COUNT; a++) {
				for (content = 0; content < 4; content++) {
					uint64_t r = mix64(seed ^ mix64(z.iter));

					if (a != A_BUF && a != A_MISALIGNED &&
					    a != A_EDGE && content)
						break;
					fuzz_call(&z, &r, z.f.fd[k], k, cmds[c].cmd,
						  a, content);
					z.iter++;
				}
			}
			/* Sweeps can shut down or reconnect the pool. */
			if (k == K_COUNT - 1 && c % 4 == 3 && rebuild(&z))
				return 3;
		}
	}
	watchdog(false);
	st->iterations = z.iter;
	close_created(&z);
	files_close(&z.f);
	return st->violations ? 1 : 0;
}

TEST_F_TIMEOUT(fuzz, every_ioctl_every_file_every_pointer, 120)
{
	int status;

	TH_LOG("seed %#llx", (unsigned long long)self->seed);
	self->kid = fork();
	ASSERT_LE(0, self->kid);
	if (self->kid == 0)
		_exit(sweep(self->dev, self->seed, self->st));
	status = wsp_reap(self->kid, 100000);
	self->kid = 0;
	log_stats(_metadata, self->st);
	EXPECT_EQ(0, status);
	EXPECT_EQ(0, self->st->violations);
	EXPECT_EQ(0, self->st->hangs);
	EXPECT_COUNTERS_BACK();
	EXPECT_KMSG_CLEAN();
}

/* ------------------------------------------------------------------ */
/* 2. Random ioctls, random numbers, random contents.                 */
/* ------------------------------------------------------------------ */

static int fuzz_random(int dev, uint64_t seed, struct stats *st, long run_ms,
		       long cap)
{
	struct fuzzer z = { .dev = dev, .st = st, .seed = seed };
	long end = now_ms() + run_ms, next_rebuild;

	if (mem_init(&z.m) || files_open(dev, &z.f))
		return 2;
	next_rebuild = now_ms() + 1000;
	watchdog(true);
	for (z.iter = 0; z.iter < cap; z.iter++) {
		st->iterations = z.iter;
		if ((z.iter & 63) == 0) {
			long t = now_ms();

			if (t > end)
				break;
			if (t > next_rebuild) {
				next_rebuild = t + 1000;
				if (rebuild(&z)) {
					close_created(&z);
					return 3;
				}
			}
		}
		fuzz_iteration(&z);
	}
	watchdog(false);
	st->iterations = z.iter;
	close_created(&z);
	files_close(&z.f);
	/* Tokens still pending for this process go when it exits. */
	return st->violations ? 1 : 0;
}

TEST_F_TIMEOUT(fuzz, random_ioctls, 180)
{
	long run_ms = env_ul("WSP_FUZZ_MS", 15000);
	long cap = env_ul("WSP_FUZZ_ITERS", 3000000);
	int status;

	TH_LOG("seed %#llx, budget %ld ms, cap %ld iterations",
	       (unsigned long long)self->seed, run_ms, cap);
	self->kid = fork();
	ASSERT_LE(0, self->kid);
	if (self->kid == 0)
		_exit(fuzz_random(self->dev, self->seed, self->st, run_ms, cap));
	status = wsp_reap(self->kid, run_ms + 60000);
	self->kid = 0;
	log_stats(_metadata, self->st);
	ksft_print_msg("fuzz: seed %#llx, %ld iterations, %ld calls\n",
		       (unsigned long long)self->seed, self->st->iterations,
		       self->st->calls);
	EXPECT_EQ(0, status);
	EXPECT_EQ(0, self->st->violations);
	EXPECT_EQ(0, self->st->hangs);
	EXPECT_LT(0, self->st->iterations);
	EXPECT_COUNTERS_BACK();
	/* The module still works. */
	EXPECT_EQ(0, round_trip(self->dev));
	EXPECT_COUNTERS_BACK();
	EXPECT_KMSG_CLEAN();
}

/* ------------------------------------------------------------------ */
/* 3. Wrong kinds of file in every fd field.                          */
/* ------------------------------------------------------------------ */

struct wrong {
	const char *name;
	int fd;
	int es_err;	/* WSP_IOC_EVENT_SELECT with a mask */
	int as_err;	/* WSP_IOC_ASYNC_SELECT with a mask */
	int enum_err;	/* WSP_IOC_ENUM_EVENTS */
};

TEST_F(fuzz, wrong_files_in_fd_fields)
{
	struct wsp_registration before, after;
	struct wsp_enum_events_args e;
	int l, c, s, u, w, efd, p[2], closed;

	ASSERT_EQ(0, wsp_tcp_pair(self->dev, AF_INET, &l, &c, &s));
	self->fds[0] = l;
	self->fds[1] = c;
	self->fds[2] = s;
	u = self->fds[3] = make_udp(self->dev, AF_INET);
	ASSERT_LE(0, u);
	w = self->fds[4] = wsp_window(self->dev, WSP_FD_CLOEXEC, 4);
	ASSERT_LE(0, w);
	efd = self->fds[5] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_LE(0, efd);
	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	self->fds[6] = p[0];
	self->fds[7] = p[1];
	closed = dup(efd);
	ASSERT_LE(0, closed);
	close(closed);

	{
		const struct wrong cases[] = {
			{ "pipe", p[0], EINVAL, EINVAL, EINVAL },
			{ "pipe (write end)", p[1], EINVAL, EINVAL, EINVAL },
			{ "closed fd", closed, EBADF, EBADF, EBADF },
			{ "-2", -2, EBADF, EBADF, EBADF },
			{ "INT_MAX", INT_MAX, EBADF, EBADF, EBADF },
			{ "eventfd", efd, 0, EINVAL, 0 },
			{ "window", w, EINVAL, 0, EINVAL },
			{ "this socket's descriptor", c, EINVAL, EINVAL, EINVAL },
			{ "another socket's descriptor", u, EINVAL, EINVAL, EINVAL },
			{ "listener", l, EINVAL, EINVAL, EINVAL },
			{ "/dev/wspshare", self->dev, EINVAL, EINVAL, EINVAL },
		};
		int i;

		for (i = 0; i < (int)(sizeof(cases) / sizeof(cases[0])); i++) {
			const struct wrong *t = &cases[i];

			/* A rejected call changes nothing: start from one. */
			ASSERT_EQ(0, wsp_async_select(c, w, 0x77, WSP_FD_READ));
			ASSERT_EQ(0, wsp_get_registration(c, &before));

			EXPECT_EQ(-t->es_err, wsp_event_select(c, t->fd, WSP_FD_READ))
				TH_LOG("event-select with %s", t->name);
			if (!t->es_err)
				ASSERT_EQ(0, wsp_async_select(c, w, 0x77, WSP_FD_READ));
			EXPECT_EQ(-t->as_err, wsp_async_select(c, t->fd, 0x78, WSP_FD_READ))
				TH_LOG("async-select with %s", t->name);
			if (!t->as_err)
				ASSERT_EQ(0, wsp_async_select(c, w, 0x77, WSP_FD_READ));
			memset(&e, 0, sizeof(e));
			EXPECT_EQ(-t->enum_err, wsp_enum(c, t->fd, &e))
				TH_LOG("enum with %s", t->name);
			ASSERT_EQ(0, wsp_get_registration(c, &after));
			EXPECT_EQ(0, memcmp(&before, &after, sizeof(before)))
				TH_LOG("the registration changed after %s", t->name);

			/* With a zero mask the field is ignored: a cancel. */
			EXPECT_EQ(0, wsp_event_select(c, t->fd, 0))
				TH_LOG("cancel with %s", t->name);
			EXPECT_EQ(0, wsp_async_select(c, t->fd, 0, 0))
				TH_LOG("cancel with %s", t->name);
			ASSERT_EQ(0, wsp_get_registration(c, &after));
			EXPECT_EQ(WSP_REG_NONE, after.kind);
		}
	}
	/* -1 is "no eventfd" for enumeration only. */
	memset(&e, 0, sizeof(e));
	EXPECT_EQ(0, wsp_enum(c, -1, &e));
	EXPECT_EQ(-EBADF, wsp_event_select(c, -1, WSP_FD_READ));
	EXPECT_EQ(-EBADF, wsp_async_select(c, -1, 1, WSP_FD_READ));
	EXPECT_KMSG_CLEAN();
}

/* Every ioctl of the header sent to a file of the wrong kind. */
TEST_F(fuzz, every_ioctl_on_wrong_files)
{
	int l, c, s, w, efd, p[2], i, k;
	unsigned char buf[512];

	ASSERT_EQ(0, wsp_tcp_pair(self->dev, AF_INET, &l, &c, &s));
	self->fds[0] = l;
	self->fds[1] = c;
	self->fds[2] = s;
	w = self->fds[3] = wsp_window(self->dev, WSP_FD_CLOEXEC, 4);
	ASSERT_LE(0, w);
	efd = self->fds[4] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_LE(0, efd);
	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	self->fds[5] = p[0];
	self->fds[6] = p[1];

	for (i = 0; i < N_CMDS; i++) {
		const struct cmd_desc *cd = &cmds[i];
		struct { int fd; int kind; } files[] = {
			{ self->dev, K_DEV }, { c, K_TCP_C }, { w, K_WIN },
			{ efd, K_EVENTFD }, { p[0], K_PIPE },
			{ CLOSED_FD, K_CLOSED },
		};

		if (cd->target == T_SOCKIOCTL)
			continue;
		for (k = 0; k < 6; k++) {
			int want = expected_errno(cd->cmd, files[k].kind, A_BUF,
						  true, true);

			if (!want)
				continue;	/* the right file */
			memset(buf, 0, sizeof(buf));
			EXPECT_EQ(-want, wsp_ioctl(files[k].fd, cd->cmd, buf))
				TH_LOG("%s on %s", cd->name, kind_names[files[k].kind]);
			EXPECT_EQ(-want, wsp_ioctl(files[k].fd, cd->cmd, NULL))
				TH_LOG("%s on %s, NULL", cd->name,
				       kind_names[files[k].kind]);
		}
	}
	EXPECT_KMSG_CLEAN();
}

/* Sizes worth encoding: zero, ABI 1's structs and around, the maximum. */
static const unsigned int sweep_sizes[] = {
	0, 1, 4, 8, 12, 16, 20, 24, 28, 32, 40, 48, 56, 64, 72, 128, 136,
	144, 152, 160, 256, 512, 4096, 16383,
};

/*
 * ABI 1's bind ... getsockopt ioctls (0x20 to 0x2a) are gone: on every
 * kind of descriptor, with every direction, size and argument, ENOTTY,
 * and the socket is unchanged (still connected, nothing sent).
 */
TEST_F(fuzz, removed_socket_ioctls_enotty)
{
	unsigned char *buf, *unmapped = unmapped_page();
	unsigned int nr, dir, k, z, a, bad = 0, calls = 0;
	char first[160] = "";
	int l, c, s, u, fds[4];

	ASSERT_NE(MAP_FAILED, unmapped);
	buf = mmap(NULL, 2 * 16384, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, buf);
	ASSERT_EQ(0, wsp_tcp_pair(self->dev, AF_INET, &l, &c, &s));
	self->fds[0] = fds[0] = l;
	self->fds[1] = fds[1] = c;
	self->fds[2] = fds[2] = s;
	u = self->fds[3] = fds[3] = make_udp(self->dev, AF_INET);
	ASSERT_LE(0, u);

	for (nr = REMOVED_NR_FIRST; nr <= REMOVED_NR_LAST; nr++) {
		for (dir = 0; dir < 4; dir++) {
			for (z = 0; z < ARRAY_SIZE(sweep_sizes); z++) {
				unsigned long cmd = _IOC(dir, WSP_IOC_MAGIC, nr,
							 sweep_sizes[z]);

				for (k = 0; k < 4; k++) {
					for (a = 0; a < 4; a++) {
						void *arg = a == 0 ? NULL :
							    a == 1 ? (void *)unmapped :
							    (void *)buf;
						long ret;

						memset(buf, a == 3 ? 0xff : 0, 2 * 16384);
						ret = wsp_ioctl(fds[k], cmd, arg);
						calls++;
						if (ret == -ENOTTY)
							continue;
						if (!bad++)
							snprintf(first, sizeof(first),
								 "cmd %#lx (nr %#x) on fd %d: %ld",
								 cmd, nr, fds[k], ret);
					}
				}
			}
		}
	}
	EXPECT_EQ(0, bad) TH_LOG("%u of %u calls did not get ENOTTY; first: %s",
				 bad, calls, first);
	/* Nothing happened to the connection. */
	EXPECT_EQ(0, wsp_wait_readable(s, 0));
	EXPECT_EQ(0, wsp_wait_readable(c, 0));
	EXPECT_EQ(5, wsp_send(c, "alive", 5, 0));
	EXPECT_EQ(1, wsp_wait_readable(s, WAIT_MS));
	munmap(buf, 2 * 16384);
	munmap(unmapped, 4096);
	EXPECT_KMSG_CLEAN();
}

/*
 * Every wspshare ioctl on a plain socket(2) socket: ENOTTY, as any ioctl
 * number a socket does not know.
 */
TEST_F(fuzz, wsp_ioctls_on_plain_socket_enotty)
{
	static const int types[] = { SOCK_STREAM, SOCK_DGRAM };
	unsigned char buf[512];
	int i, t;

	for (t = 0; t < 2; t++) {
		int fd = self->fds[t] = socket(AF_INET, types[t] | SOCK_CLOEXEC, 0);

		ASSERT_LE(0, fd);
		for (i = 0; i < N_CMDS; i++) {
			if (cmds[i].target == T_SOCKIOCTL)
				continue;
			memset(buf, 0, sizeof(buf));
			((struct wsp_duplicate_args *)buf)->pid = getpid();
			EXPECT_EQ(-ENOTTY, wsp_ioctl(fd, cmds[i].cmd, buf))
				TH_LOG("%s on a plain %s socket", cmds[i].name,
				       t ? "UDP" : "TCP");
			EXPECT_EQ(-ENOTTY, wsp_ioctl(fd, cmds[i].cmd, NULL))
				TH_LOG("%s on a plain %s socket, NULL",
				       cmds[i].name, t ? "UDP" : "TCP");
		}
	}
	EXPECT_KMSG_CLEAN();
}

/* ------------------------------------------------------------------ */
/* 4. Stale tokens.                                                   */
/* ------------------------------------------------------------------ */

/* A child that waits until its pipe closes, then exits. */
static pid_t waiting_child(int *release)
{
	int p[2];
	pid_t pid;
	char ch;

	if (pipe2(p, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid == 0) {
		close(p[1]);
		while (read(p[0], &ch, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(p[0]);
	*release = p[1];
	return pid;
}

TEST_F(fuzz, stale_tokens)
{
	struct wsp_protocol_info info, other, forged;
	uint64_t r = self->seed;
	long pending0;
	int fd, fd2, nfd, rel, i;
	pid_t kid;

	fd = self->fds[0] = wsp_socket(self->dev, AF_INET, SOCK_STREAM, 0,
				       WSP_FD_CLOEXEC);
	ASSERT_LE(0, fd);
	fd2 = self->fds[1] = wsp_socket(self->dev, AF_INET6, SOCK_DGRAM, 0,
					WSP_FD_CLOEXEC);
	if (fd2 < 0)
		fd2 = self->fds[1] = wsp_socket(self->dev, AF_INET, SOCK_DGRAM,
						0, WSP_FD_CLOEXEC);
	ASSERT_LE(0, fd2);
	pending0 = pending_now();

	/*
	 * Redeemed once: ENOENT the second time, and forever after. (The
	 * other token is made first: a redeemed token's id is reused.)
	 */
	ASSERT_EQ(0, wsp_duplicate(fd, getpid(), &info));
	ASSERT_EQ(0, wsp_duplicate(fd2, getpid(), &other));
	ASSERT_NE(info.token_id, other.token_id);
	nfd = wsp_redeem(self->dev, &info);
	ASSERT_LE(0, nfd);
	close(nfd);
	EXPECT_EQ(-ENOENT, wsp_redeem(self->dev, &info));
	EXPECT_EQ(-ENOENT, wsp_redeem(self->dev, &info));

	/* Another socket's token, with this one's id or secret. */
	forged = other;
	forged.token_id = info.token_id;
	EXPECT_EQ(-ENOENT, wsp_redeem(self->dev, &forged));
	forged = info;
	forged.token_secret = other.token_secret;
	EXPECT_EQ(-ENOENT, wsp_redeem(self->dev, &forged));
	/* Right token, wrong family or type: EINVAL, and it stays. */
	forged = other;
	forged.family = other.family == AF_INET ? AF_INET6 : AF_INET;
	EXPECT_EQ(-EINVAL, wsp_redeem(self->dev, &forged));
	forged = other;
	forged.type = SOCK_STREAM;
	EXPECT_EQ(-EINVAL, wsp_redeem(self->dev, &forged));
	forged = other;
	forged.__reserved = 1;
	EXPECT_EQ(-EINVAL, wsp_redeem(self->dev, &forged));
	nfd = wsp_redeem(self->dev, &other);
	EXPECT_LE(0, nfd);
	if (nfd >= 0)
		close(nfd);

	/* Random ids and secrets. */
	for (i = 0; i < 2000; i++) {
		forged = info;
		forged.token_id = i < 1000 ? (uint64_t)i : rnd(&r);
		forged.token_secret = rnd(&r);
		if (i % 3 == 0)
			forged.token_id |= 1ull << (32 + rn(&r, 32));
		EXPECT_EQ(-ENOENT, wsp_redeem(self->dev, &forged))
			TH_LOG("id %#llx", (unsigned long long)forged.token_id);
	}

	/* Made for a child: EPERM here while it lives. */
	kid = waiting_child(&rel);
	ASSERT_LT(0, kid);
	self->kid = kid;
	ASSERT_EQ(0, wsp_duplicate(fd, kid, &info));
	EXPECT_EQ(-EPERM, wsp_redeem(self->dev, &info));
	EXPECT_EQ(pending0 + 1, pending_now());
	/* After it exits: freed soon, then ENOENT. */
	close(rel);
	EXPECT_EQ(0, wsp_reap(kid, WAIT_MS));
	self->kid = 0;
	EXPECT_EQ(0, await_pending(pending0, COUNTERS_MS))
		TH_LOG("the dead child's token is still pending");
	EXPECT_EQ(-ENOENT, wsp_redeem(self->dev, &info));
	/* And a reaped pid cannot be duplicated for. */
	EXPECT_EQ(-ESRCH, wsp_duplicate(fd, kid, &info));

	/* A token for a child that dies before anyone redeems, many times. */
	for (i = 0; i < 8; i++) {
		kid = waiting_child(&rel);
		ASSERT_LT(0, kid);
		self->kid = kid;
		ASSERT_EQ(0, wsp_duplicate(i % 2 ? fd : fd2, kid, &info));
		kill(kid, SIGKILL);
		close(rel);
		wsp_reap(kid, WAIT_MS);
		self->kid = 0;
		EXPECT_GT(0, wsp_redeem(self->dev, &info));
	}
	EXPECT_EQ(0, await_pending(pending0, COUNTERS_MS));
	EXPECT_KMSG_CLEAN();
}

/* ------------------------------------------------------------------ */
/* Regression tests: the bugs the fuzzer and its review found.        */
/* ------------------------------------------------------------------ */

/*
 * WSP_IOC_DUPLICATE whose struct cannot be written back gets EFAULT, but
 * the pending duplication it made stays: nobody can redeem it (its secret
 * never reached user space), it counts against the socket's 64, and it
 * holds the socket and the module until the target process exits, which
 * for a long-lived target is never. A failed call must change nothing.
 */
TEST_F(fuzz, duplicate_efault_leaves_no_pending_duplicate)
{
	struct wsp_duplicate_args *ro;
	long pending0;
	int fd, i;

	fd = self->fds[0] = wsp_socket(self->dev, AF_INET, SOCK_STREAM, 0,
				       WSP_FD_CLOEXEC);
	ASSERT_LE(0, fd);
	ro = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	memset(ro, 0, sizeof(*ro));
	ro->pid = getpid();
	ASSERT_EQ(0, mprotect(ro, PAGE, PROT_READ));
	pending0 = pending_now();

	EXPECT_EQ(-EFAULT, wsp_ioctl(fd, WSP_IOC_DUPLICATE, ro));
	EXPECT_EQ(pending0, pending_now())
		TH_LOG("a duplication that returned EFAULT is pending");
	/* Repeated, it fills the socket's quota: ENOBUFS for good. */
	for (i = 0; i < WSP_MAX_PENDING_DUPLICATES; i++)
		wsp_ioctl(fd, WSP_IOC_DUPLICATE, ro);
	{
		struct wsp_protocol_info info;

		EXPECT_EQ(0, wsp_duplicate(fd, getpid(), &info))
			TH_LOG("failed duplications used up the quota");
	}
	munmap(ro, PAGE);
	EXPECT_KMSG_CLEAN();
}

/*
 * A pending duplication can be a socket's last reference; when its
 * target exits, the module's reaper (a work item) releases the socket.
 * With SO_LINGER on and data the peer does not read, that release waits
 * for the linger time in the worker (nothing interrupts a kworker; an
 * infinite linger waits forever), and every other pending duplication of
 * every socket waits behind it: their targets have exited, but their
 * sockets and module references stay.
 */
TEST_F_TIMEOUT(fuzz, reaper_not_stalled_by_lingering_close, 60)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 20 };
	struct wsp_protocol_info info;
	static char data[65536];
	int l, c, s, other, small = 4096, rel, rel2;
	long pending0, n, sent = 0;
	pid_t kid, kid2;

	ASSERT_EQ(0, wsp_tcp_pair(self->dev, AF_INET, &l, &c, &s));
	self->fds[0] = l;
	self->fds[1] = s;	/* never reads */
	pending0 = pending_now();
	ASSERT_EQ(0, wsp_setsockopt(s, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)));
	ASSERT_EQ(0, wsp_setsockopt(c, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)));
	ASSERT_EQ(0, wsp_setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	/* Fill the pipe: the peer's window and our send queue. */
	for (;;) {
		n = wsp_send(c, data, sizeof(data), MSG_DONTWAIT);
		if (n <= 0)
			break;
		sent += n;
	}
	ASSERT_EQ(-EAGAIN, n);
	TH_LOG("%ld bytes queued", sent);

	/* The token becomes the client's last reference. */
	kid = waiting_child(&rel);
	ASSERT_LT(0, kid);
	self->kid = kid;
	ASSERT_EQ(0, wsp_duplicate(c, kid, &info));
	close(c);
	/* Its target exits: the reaper releases the lingering socket. */
	close(rel);
	EXPECT_EQ(0, wsp_reap(kid, WAIT_MS));
	self->kid = 0;

	/* Another socket's token for another exiting process. */
	other = self->fds[2] = wsp_socket(self->dev, AF_INET, SOCK_DGRAM, 0,
					  WSP_FD_CLOEXEC);
	ASSERT_LE(0, other);
	kid2 = waiting_child(&rel2);
	ASSERT_LT(0, kid2);
	self->kid = kid2;
	ASSERT_EQ(0, wsp_duplicate(other, kid2, &info));
	close(rel2);
	EXPECT_EQ(0, wsp_reap(kid2, WAIT_MS));
	self->kid = 0;
	EXPECT_EQ(0, await_pending(pending0, 5000))
		TH_LOG("pending %ld, want %ld: the reaper is stuck behind the lingering close",
		       pending_now(), pending0);

	/* The peer goes: that ends the linger either way. */
	close(s);
	self->fds[1] = -1;
	EXPECT_EQ(0, await_pending(pending0, 30000));
	EXPECT_KMSG_CLEAN();
}

TEST_HARNESS_MAIN

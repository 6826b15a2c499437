// SPDX-License-Identifier: GPL-2.0
/*
 * stress_test - many processes and threads doing everything at once to a
 * shared pool of sockets, while a killer SIGKILLs them mid-call and
 * respawns them.
 *
 * The parent sets up the pool (TCP pairs over loopback with their
 * listeners, UDP sockets) and duplicates it into each of WORKERS worker
 * processes, each running THREADS threads that mix, at random: sends and
 * receives, registrations of both kinds through random descriptors (with
 * shared, long-lived or fresh targets), enumeration, window reads,
 * duplication for themselves and for the other workers (through shared
 * mailboxes) and redemption, dup(2), fork (a child redeems a duplication
 * and registers), sockets of their own connecting to the pool's
 * listeners, accepting, shutting down, resetting and closing; all the
 * socket calls are the system calls on the descriptors.
 *
 * Invariants, while it runs:
 * - every registration a socket reports is one that was made on that
 *   socket (kind, mask, message, window, process: each registration
 *   carries its id in the upper half of its descriptor field, and the
 *   registering thread wrote what it asked for in a shared table first);
 * - an accepted socket reports either no registration (all zero) or one
 *   it inherited from its listener, with WSP_DESCRIPTOR_UNKNOWN;
 * - every message a window receives is one of those registrations', with
 *   one event and a known errno (an inherited async-select posts nothing);
 * - a fresh target whose registration was replaced (its socket reports
 *   another) receives nothing more;
 * - a duplication redeems only in the incarnation it was made for;
 * - every descriptor of a pool socket reports the pool socket's id;
 * - nothing bad appears in the kernel log.
 * At the end: the parent makes the last registration on every pool
 * socket, traffic goes to its new targets only, and once everything is
 * closed the live counters are back where they started.
 *
 * Bounded: WSP_STRESS_MS (default 16000) of wall time, WSP_STRESS_ITERS
 * iterations per thread (default 200000), WSP_STRESS_KILLS kills (default
 * 40); seeded by WSP_STRESS_SEED (default 0x57e55006).
 */
#include <dirent.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "wsp_notify.h"
#include "wsp_stress.h"

#define WORKERS		4
#define THREADS		2
#define N_PAIRS		3	/* TCP: listener, client, server each */
#define N_UDP		2
#define POOL		(3 * N_PAIRS + N_UDP)
#define N_SHARED	2	/* shared windows, and shared eventfds */
#define REG_CAP		(1 << 19)
#define REG_RESERVE	256	/* ids kept for the parent's last registrations */
#define MBOX		16
#define MAX_LOG		12
#define WAIT_MS		5000
#define COUNTERS_MS	10000
#define OWN_MAX		8
#define EXTRA_MAX	8
#define WATCH_MAX	4
#define TOK_MAX		4
#define TIMEO_MS	50	/* SO_RCVTIMEO/SO_SNDTIMEO of pool sockets */
#define PARENT_SLOT	WORKERS

/*
 * Kill and reap every child of this process, including orphans it
 * adopted as a subreaper: the number that were still there.
 */
static int reap_all_children(long ms)
{
	long end = now_ms() + ms;
	int left = 0;
	DIR *d;
	struct dirent *de;

	while (now_ms() < end) {
		pid_t r = waitpid(-1, NULL, WNOHANG);

		if (r < 0)
			return 0;	/* ECHILD: none */
		if (r == 0)
			poll(NULL, 0, 5);
	}
	d = opendir("/proc");
	while (d && (de = readdir(d))) {
		char path[64], buf[256], *p;
		int pid = atoi(de->d_name), ppid;
		FILE *f;

		if (pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
		f = fopen(path, "r");
		if (!f)
			continue;
		p = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
		fclose(f);
		if (p && sscanf(p + 2, "%*c %d", &ppid) == 1 && ppid == getpid()) {
			kill(pid, SIGKILL);
			left++;
		}
	}
	if (d)
		closedir(d);
	while (waitpid(-1, NULL, 0) > 0)
		;
	return left;
}

/* ------------------------------------------------------------------ */
/* Shared state.                                                      */
/* ------------------------------------------------------------------ */

enum pool_kind { P_LISTEN, P_CLIENT, P_SERVER, P_UDP };

/* What a registration asked for, written before the ioctl. */
struct reg_entry {
	uint64_t socket_id;
	uint64_t hwnd;
	uint32_t kind;
	uint32_t mask;
	uint32_t message;
	int32_t pid;
	uint32_t valid;
};

struct mbox_slot {
	uint32_t state;		/* 0 empty, 1 writing, 2 full, 3 reading */
	uint32_t target_gen;	/* the incarnation it was made for */
	int32_t target_pid;
	int32_t pad;
	struct wsp_protocol_info info;
};

struct tstats {
	long iterations, ops, registrations, replaced_checked, messages;
	long redeemed_self, redeemed_mbox, stale_refused, forks, accepts;
	long connects, resets, sends, recvs;
};

/* Violations, counted by kind (their format string): the first in full. */
struct vkind {
	const char *fmt;
	int count;
	char first[256];
};

struct shared {
	int stop;
	int violations;
	struct vkind vk[MAX_LOG];
	uint32_t next_reg;
	pid_t pid[WORKERS];
	uint32_t gen[WORKERS];
	struct mbox_slot mbox[WORKERS][MBOX];
	uint64_t pool_id[POOL];
	int pool_kind[POOL];
	struct test_addr listen_addr[N_PAIRS];
	struct test_addr udp_addr[N_UDP];
	struct tstats ts[WORKERS][THREADS];
	long worker_starts;
	struct reg_entry regs[REG_CAP];
};

static struct shared *sh;

static void violation(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void violation(const char *fmt, ...)
{
	va_list ap;
	int i;

	__atomic_fetch_add(&sh->violations, 1, __ATOMIC_RELAXED);
	for (i = 0; i < MAX_LOG; i++) {
		const char *none = NULL;

		if (__atomic_compare_exchange_n(&sh->vk[i].fmt, &none, fmt, false,
						__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
			va_start(ap, fmt);
			vsnprintf(sh->vk[i].first, sizeof(sh->vk[i].first), fmt, ap);
			va_end(ap);
		}
		if (__atomic_load_n(&sh->vk[i].fmt, __ATOMIC_ACQUIRE) == fmt) {
			__atomic_fetch_add(&sh->vk[i].count, 1, __ATOMIC_RELAXED);
			return;
		}
	}
}

/* A new registration id, or 0 when the table is full. */
static uint32_t new_reg(uint64_t socket_id, uint32_t kind, uint32_t mask,
			uint32_t message, uint64_t hwnd, bool parent)
{
	struct reg_entry *e;
	uint32_t id;

	if (!parent && __atomic_load_n(&sh->next_reg, __ATOMIC_RELAXED) >=
		       REG_CAP - REG_RESERVE)
		return 0;
	id = __atomic_add_fetch(&sh->next_reg, 1, __ATOMIC_RELAXED);
	if (id >= REG_CAP)
		return 0;
	e = &sh->regs[id];
	e->socket_id = socket_id;
	e->kind = kind;
	e->mask = mask;
	e->message = kind == WSP_REG_ASYNC ? message : 0;
	e->hwnd = kind == WSP_REG_ASYNC ? hwnd : 0;
	e->pid = getpid();
	__atomic_store_n(&e->valid, 1, __ATOMIC_RELEASE);
	return id;
}

/*
 * The errors an event may carry: positive errno values of the network
 * (EPIPE is what tcp_reset() records for a reset in CLOSE_WAIT).
 */
static bool known_error(int32_t err)
{
	switch (err) {
	case 0: case ENETDOWN: case ENETUNREACH: case ECONNABORTED:
	case ECONNRESET: case ENOBUFS: case ETIMEDOUT: case ECONNREFUSED:
	case EHOSTUNREACH: case EPIPE:
		return true;
	}
	return false;
}

/*
 * Whether a socket's registration is one that was made on it. @inherited:
 * the socket was accepted from a listener that may have had one, so it
 * may carry that with the descriptor WSP_DESCRIPTOR_UNKNOWN; @accepted:
 * it was accepted at all.
 */
static bool reg_ok(uint64_t socket_id, const struct wsp_registration *r,
		   bool inherited, bool accepted, char *why, size_t len)
{
	uint64_t id = r->descriptor >> 32;
	const struct reg_entry *e;

	if (r->kind == WSP_REG_NONE) {
		/* Accepted or not: an absent registration is all zero. */
		if (r->mask || r->message || r->descriptor || r->hwnd || r->pid) {
			snprintf(why, len, "no registration, but mask %#x message %#x descriptor %#llx hwnd %llu pid %d",
				 r->mask, r->message,
				 (unsigned long long)r->descriptor,
				 (unsigned long long)r->hwnd, r->pid);
			return false;
		}
		return true;
	}
	if (r->kind != WSP_REG_EVENT && r->kind != WSP_REG_ASYNC) {
		snprintf(why, len, "kind %u", r->kind);
		return false;
	}
	if (!r->mask || (r->mask & ~WSP_FD_ALL_EVENTS)) {
		snprintf(why, len, "kind %u with mask %#x", r->kind, r->mask);
		return false;
	}
	if (r->kind == WSP_REG_EVENT && (r->message || r->hwnd)) {
		snprintf(why, len, "event-select with message %#x hwnd %llu",
			 r->message, (unsigned long long)r->hwnd);
		return false;
	}
	if (r->descriptor == WSP_DESCRIPTOR_UNKNOWN && inherited)
		return true;	/* the listener's, which we cannot tell */
	if (!id || id >= REG_CAP ||
	    !__atomic_load_n(&sh->regs[id].valid, __ATOMIC_ACQUIRE)) {
		snprintf(why, len, "descriptor %#llx names no registration made",
			 (unsigned long long)r->descriptor);
		return false;
	}
	e = &sh->regs[id];
	if (e->socket_id != socket_id || e->kind != r->kind ||
	    e->mask != r->mask || e->message != r->message ||
	    e->hwnd != r->hwnd || e->pid != r->pid) {
		snprintf(why, len, "registration %llu: socket %llu kind %u mask %#x message %#x hwnd %llu pid %d, made as socket %llu kind %u mask %#x message %#x hwnd %llu pid %d",
			 (unsigned long long)id, (unsigned long long)socket_id,
			 r->kind, r->mask, r->message,
			 (unsigned long long)r->hwnd, r->pid,
			 (unsigned long long)e->socket_id, e->kind, e->mask,
			 e->message, (unsigned long long)e->hwnd, e->pid);
		return false;
	}
	return true;
}

/* Whether a window message is one a registration made would post. */
static bool message_ok(const struct wsp_message *m, char *why, size_t len)
{
	uint32_t ev = WSP_MSG_EVENT(m);
	int32_t err = WSP_MSG_ERROR(m);
	uint64_t id = m->wparam >> 32;
	const struct reg_entry *e;

	if (!ev || (ev & (ev - 1)) || (ev & ~WSP_FD_ALL_EVENTS) ||
	    !known_error(err) || m->pid) {
		snprintf(why, len, "message %#x event %#x error %d pid %d",
			 m->message, ev, err, m->pid);
		return false;
	}
	if (m->wparam == WSP_DESCRIPTOR_UNKNOWN) {
		snprintf(why, len, "message %#x event %#x posted by an inherited async-select before any async-select through the accepted descriptor",
			 m->message, ev);
		return false;
	}
	if (!id || id >= REG_CAP || !__atomic_load_n(&sh->regs[id].valid, __ATOMIC_ACQUIRE)) {
		snprintf(why, len, "wparam %#llx names no registration",
			 (unsigned long long)m->wparam);
		return false;
	}
	e = &sh->regs[id];
	if (e->kind != WSP_REG_ASYNC || e->message != m->message ||
	    e->hwnd != m->hwnd || !(e->mask & ev)) {
		snprintf(why, len, "message %#x hwnd %llu event %#x for registration %llu (kind %u message %#x hwnd %llu mask %#x)",
			 m->message, (unsigned long long)m->hwnd, ev,
			 (unsigned long long)id, e->kind, e->message,
			 (unsigned long long)e->hwnd, e->mask);
		return false;
	}
	return true;
}

static uint64_t socket_id_of(int fd)
{
	struct wsp_socket_info i;

	return wsp_info(fd, &i) ? 0 : i.socket_id;
}

/* ------------------------------------------------------------------ */
/* A worker thread.                                                   */
/* ------------------------------------------------------------------ */

struct own {
	int fd;
	uint64_t id;
	bool tcp, accepted;
};

struct extra {
	int fd;
	int pool;	/* which pool socket it is a descriptor of */
};

struct watch {
	int target;	/* a fresh eventfd or window, ours alone */
	bool window;
	int sock;	/* a descriptor of the socket, owned by the thread */
	uint64_t socket_id;
	uint32_t reg;
	int state;	/* 0 active, 1 replaced: check at @check_at */
	uint64_t posted;
	long check_at;
};

struct worker {
	int dev;
	int slot;
	uint32_t gen;
	int base[POOL];		/* the redeemed pool descriptors, shared */
	int shared_win[N_SHARED];
	int shared_efd[N_SHARED];
	long end;
	long cap;
	uint64_t seed;
};

struct thread {
	struct worker *w;
	int tid;
	uint64_t r;
	struct tstats *st;
	long iter;
	int efd, win;		/* long-lived targets */
	struct own own[OWN_MAX];
	int n_own;
	struct extra extra[EXTRA_MAX];
	int n_extra;
	struct watch watch[WATCH_MAX];
	int n_watch;
	struct wsp_protocol_info tok[TOK_MAX];
	int n_tok;
};

#define TVIOL(t, fmt, ...) violation("worker %d.%d gen %u iteration %ld: " fmt, \
	(t)->w->slot, (t)->tid, (t)->w->gen, (t)->iter, ##__VA_ARGS__)

static bool net_errno(long e)
{
	switch (-e) {
	case EAGAIN: case EINPROGRESS: case EALREADY: case EISCONN:
	case ENOTCONN: case ECONNREFUSED: case ECONNRESET: case EPIPE:
	case ECONNABORTED: case ETIMEDOUT: case EINTR: case EINVAL:
	case EDESTADDRREQ: case EOPNOTSUPP: case ENETUNREACH:
	case EADDRNOTAVAIL: case EADDRINUSE:
		return true;
	}
	return false;
}

/* A descriptor of pool socket @i the thread may use: base or extra. */
static int pool_fd(struct thread *t, int i)
{
	int k, n = 0, pick[EXTRA_MAX + 1];

	pick[n++] = t->w->base[i];
	for (k = 0; k < t->n_extra; k++)
		if (t->extra[k].pool == i)
			pick[n++] = t->extra[k].fd;
	return pick[rn(&t->r, n)];
}

/* Forget watches through @fd, which is about to close. */
static void drop_watches(struct thread *t, int fd)
{
	int i;

	for (i = 0; i < t->n_watch; i++) {
		if (t->watch[i].sock != fd)
			continue;
		close(t->watch[i].target);
		t->watch[i--] = t->watch[--t->n_watch];
	}
}

static void close_own(struct thread *t, int i, bool reset)
{
	if (reset) {
		struct linger lg = { .l_onoff = 1, .l_linger = 0 };

		wsp_setsockopt(t->own[i].fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		t->st->resets++;
	}
	drop_watches(t, t->own[i].fd);
	close(t->own[i].fd);
	t->own[i] = t->own[--t->n_own];
}

static void add_own(struct thread *t, int fd, bool tcp, bool accepted)
{
	if (t->n_own == OWN_MAX)
		close_own(t, rn(&t->r, OWN_MAX), rn(&t->r, 2));
	t->own[t->n_own].fd = fd;
	t->own[t->n_own].id = socket_id_of(fd);
	t->own[t->n_own].tcp = tcp;
	t->own[t->n_own].accepted = accepted;
	t->n_own++;
}

static void add_extra(struct thread *t, int fd, int pool)
{
	if (t->n_extra == EXTRA_MAX) {
		int k = rn(&t->r, EXTRA_MAX);

		drop_watches(t, t->extra[k].fd);
		close(t->extra[k].fd);
		t->extra[k] = t->extra[--t->n_extra];
	}
	t->extra[t->n_extra].fd = fd;
	t->extra[t->n_extra].pool = pool;
	t->n_extra++;
}

/* Pick a socket: a pool one (its index in *pool) or one of ours. */
static int pick_socket(struct thread *t, int *pool, uint64_t *id, bool *inherited,
		       bool *accepted)
{
	if (t->n_own && rn(&t->r, 3) == 0) {
		struct own *o = &t->own[rn(&t->r, t->n_own)];

		*pool = -1;
		*id = o->id;
		*inherited = *accepted = o->accepted;
		return o->fd;
	}
	*pool = rn(&t->r, POOL);
	*id = sh->pool_id[*pool];
	/* Servers were accepted, from listeners with no registration. */
	*inherited = false;
	*accepted = sh->pool_kind[*pool] == P_SERVER;
	return pool_fd(t, *pool);
}

static void op_register(struct thread *t)
{
	int pool, fd, target = -1, ret;
	bool inherited, accepted, async = rn(&t->r, 2), fresh = false, listener;
	uint32_t mask, message = (uint32_t)rnd(&t->r), id;
	uint64_t sid;
	uint64_t x = rn(&t->r, 100);

	fd = pick_socket(t, &pool, &sid, &inherited, &accepted);
	listener = pool >= 0 && sh->pool_kind[pool] == P_LISTEN;
	mask = rn(&t->r, 10) ? (uint32_t)rnd(&t->r) & WSP_FD_ALL_EVENTS : 0;
	if (mask && x < 30 && !listener && t->n_watch < WATCH_MAX) {
		/* A fresh target, watched after its replacement. */
		target = async ? wsp_window(t->w->dev, WSP_FD_CLOEXEC |
					    WSP_WINDOW_NONBLOCK, 8) :
				 eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (target < 0) {
			TVIOL(t, "cannot make a target: %d", target);
			return;
		}
		fresh = true;
	} else if (x < 65) {
		target = async ? t->w->shared_win[rn(&t->r, N_SHARED)] :
				 t->w->shared_efd[rn(&t->r, N_SHARED)];
	} else {
		target = async ? t->win : t->efd;
	}
	id = new_reg(sid, mask ? (async ? WSP_REG_ASYNC : WSP_REG_EVENT) : 0,
		     mask, message, (uint32_t)target, false);
	if (!id) {
		if (fresh)
			close(target);
		return;
	}
	if (async) {
		struct wsp_async_select_args a = {
			.window = target, .message = message, .mask = mask,
			.descriptor = (uint64_t)id << 32 | (uint32_t)fd,
		};

		ret = ioctl(fd, WSP_IOC_ASYNC_SELECT, &a) < 0 ? -errno : 0;
	} else {
		struct wsp_event_select_args a = {
			.eventfd = target, .mask = mask,
			.descriptor = (uint64_t)id << 32 | (uint32_t)fd,
		};

		ret = ioctl(fd, WSP_IOC_EVENT_SELECT, &a) < 0 ? -errno : 0;
	}
	t->st->registrations++;
	if (ret) {
		TVIOL(t, "%s-select on socket %llu: %d", async ? "async" : "event",
		      (unsigned long long)sid, ret);
		if (fresh)
			close(target);
		return;
	}
	if (fresh) {
		struct watch *w = &t->watch[t->n_watch++];

		memset(w, 0, sizeof(*w));
		w->target = target;
		w->window = async;
		w->sock = fd;
		w->socket_id = sid;
		w->reg = id;
	}
}

/* Look at one watched target: replaced yet? silent since? */
static void op_watch(struct thread *t)
{
	struct wsp_registration reg;
	struct wsp_window_info wi;
	struct watch *w;
	char why[256];
	uint64_t v;
	int i;

	if (!t->n_watch)
		return;
	i = rn(&t->r, t->n_watch);
	w = &t->watch[i];
	if (w->state == 0) {
		if (wsp_get_registration(w->sock, &reg)) {
			TVIOL(t, "get-registration failed: %s", strerror(errno));
			return;
		}
		if (!reg_ok(w->socket_id, &reg, true, true, why, sizeof(why)))
			TVIOL(t, "socket %llu: %s", (unsigned long long)w->socket_id, why);
		if (reg.kind != WSP_REG_NONE && reg.descriptor >> 32 == w->reg)
			return;		/* still ours */
		/* Replaced: from now on the target gets nothing. */
		if (w->window) {
			if (wsp_window_info(w->target, &wi))
				TVIOL(t, "window-info failed");
			w->posted = wi.posted;
		} else {
			while (read(w->target, &v, sizeof(v)) == sizeof(v))
				;
		}
		w->state = 1;
		w->check_at = t->iter + 5 + rn(&t->r, 60);
		return;
	}
	if (t->iter < w->check_at)
		return;
	if (w->window) {
		if (wsp_window_info(w->target, &wi))
			TVIOL(t, "window-info failed");
		else if (wi.posted != w->posted)
			TVIOL(t, "registration %u on socket %llu was replaced, yet its window got %llu more messages",
			      w->reg, (unsigned long long)w->socket_id,
			      (unsigned long long)(wi.posted - w->posted));
	} else if (wsp_eventfd_is_set(w->target)) {
		TVIOL(t, "registration %u on socket %llu was replaced, yet its eventfd was signalled",
		      w->reg, (unsigned long long)w->socket_id);
	}
	t->st->replaced_checked++;
	close(w->target);
	t->watch[i] = t->watch[--t->n_watch];
}

static void op_check_registration(struct thread *t)
{
	struct wsp_registration reg;
	struct wsp_socket_info info;
	bool inherited, accepted;
	uint64_t sid;
	char why[256];
	int pool, fd = pick_socket(t, &pool, &sid, &inherited, &accepted);

	if (wsp_get_registration(fd, &reg)) {
		TVIOL(t, "get-registration: %s", strerror(errno));
		return;
	}
	if (!reg_ok(sid, &reg, inherited, accepted, why, sizeof(why)))
		TVIOL(t, "socket %llu: %s", (unsigned long long)sid, why);
	if (wsp_info(fd, &info))
		TVIOL(t, "socket-info: %s", strerror(errno));
	else if (info.socket_id != sid ||
		 info.pending_duplicates > WSP_MAX_PENDING_DUPLICATES)
		TVIOL(t, "descriptor %d: socket %llu with %u pending duplications, want socket %llu",
		      fd, (unsigned long long)info.socket_id,
		      info.pending_duplicates, (unsigned long long)sid);
}

static void op_enum(struct thread *t)
{
	struct wsp_enum_events_args e;
	bool inherited, accepted;
	uint64_t sid;
	int pool, fd = pick_socket(t, &pool, &sid, &inherited, &accepted), ret, bit;

	memset(&e, 0, sizeof(e));
	for (bit = 0; bit < WSP_FD_MAX_EVENTS; bit++)
		e.errors[bit] = -1;
	ret = wsp_enum(fd, rn(&t->r, 2) ? -1 : t->efd, &e);
	if (ret)
		TVIOL(t, "enum: %d", ret);
	if (e.network_events & ~WSP_FD_ALL_EVENTS)
		TVIOL(t, "enum: events %#x", e.network_events);
	for (bit = 0; bit < WSP_FD_MAX_EVENTS; bit++) {
		bool set = e.network_events & (1 << bit);

		if (set ? !known_error(e.errors[bit]) : e.errors[bit] != -1)
			TVIOL(t, "enum: events %#x, slot %d: %d",
			      e.network_events, bit, e.errors[bit]);
	}
}

static void op_read_window(struct thread *t)
{
	struct wsp_message m[16];
	char why[256];
	int w = rn(&t->r, 2) ? t->win : t->w->shared_win[rn(&t->r, N_SHARED)];
	ssize_t n = read(w, m, sizeof(m[0]) * (1 + rn(&t->r, 16)));
	int i;

	if (n < 0) {
		if (errno != EAGAIN)
			TVIOL(t, "window read: %s", strerror(errno));
		return;
	}
	if (n % sizeof(m[0]))
		TVIOL(t, "window read returned %zd", n);
	for (i = 0; i < n / (ssize_t)sizeof(m[0]); i++) {
		t->st->messages++;
		if (!message_ok(&m[i], why, sizeof(why)))
			TVIOL(t, "window %d: %s", w, why);
	}
	if (rn(&t->r, 8) == 0) {
		uint64_t v;

		while (read(rn(&t->r, 2) ? t->efd :
			    t->w->shared_efd[rn(&t->r, N_SHARED)],
			    &v, sizeof(v)) == sizeof(v))
			;
	}
}

/* Data on the pool's connections and datagram sockets. */
static void op_pool_data(struct thread *t)
{
	static __thread char buf[4096];
	int i = rn(&t->r, POOL), fd = pool_fd(t, i);
	int kind = sh->pool_kind[i];
	long n;

	if (kind == P_LISTEN) {
		int nfd = wsp_accept(fd, NULL);

		if (nfd >= 0) {
			t->st->accepts++;
			add_own(t, nfd, true, true);
		} else if (nfd != -EAGAIN && nfd != -ECONNABORTED) {
			TVIOL(t, "accept on the pool's listener: %d", nfd);
		}
		return;
	}
	if (rn(&t->r, 2)) {
		unsigned int flags = MSG_NOSIGNAL |
				     (rn(&t->r, 2) ? MSG_DONTWAIT : 0);
		size_t len = 1 + rn(&t->r, sizeof(buf));

		if (kind == P_UDP) {
			struct test_addr *a = &sh->udp_addr[rn(&t->r, N_UDP)];

			n = sendto(fd, buf, len, flags, &a->sa, a->len);
		} else {
			n = send(fd, buf, len, flags);
		}
		if (n < 0)
			n = -errno;
		t->st->sends++;
		if (n < 0 && n != -EAGAIN)
			TVIOL(t, "send on pool socket %d: %ld", i, n);
	} else {
		n = wsp_recv(fd, buf, 1 + rn(&t->r, sizeof(buf)),
			     rn(&t->r, 2) ? MSG_DONTWAIT : 0);
		t->st->recvs++;
		if (n <= 0 && n != -EAGAIN)
			TVIOL(t, "recv on pool socket %d: %ld", i, n);
	}
}

/* Sockets of our own: connect to the pool, talk, shut down, reset. */
static void op_own(struct thread *t)
{
	static __thread char buf[2048];
	struct own *o;
	long n;
	int fd;

	if (!t->n_own || rn(&t->r, 4) == 0) {
		bool tcp = rn(&t->r, 4) != 0;
		struct test_addr a;

		a = tcp ? sh->listen_addr[rn(&t->r, N_PAIRS)] :
			  sh->udp_addr[rn(&t->r, N_UDP)];
		fd = wsp_socket(t->w->dev, a.len > sizeof(struct sockaddr_in) ?
				AF_INET6 : AF_INET, tcp ? SOCK_STREAM : SOCK_DGRAM,
				0, WSP_FD_CLOEXEC | (rn(&t->r, 2) ? WSP_SOCK_NONBLOCK : 0));
		if (fd < 0) {
			TVIOL(t, "socket: %d", fd);
			return;
		}
		{
			struct timeval tv = { .tv_usec = TIMEO_MS * 1000 };

			/* Blocking calls wait 50 ms at most. */
			wsp_setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO_OLD, &tv, sizeof(tv));
			wsp_setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO_OLD, &tv, sizeof(tv));
		}
		n = wsp_connect(fd, &a);
		t->st->connects++;
		if (n && !net_errno(n))
			TVIOL(t, "connect: %ld", n);
		add_own(t, fd, tcp, false);
		return;
	}
	o = &t->own[rn(&t->r, t->n_own)];
	switch (rn(&t->r, 8)) {
	case 0:
	case 1:
		n = wsp_send(o->fd, buf, 1 + rn(&t->r, sizeof(buf)), MSG_DONTWAIT);
		t->st->sends++;
		break;
	case 2:
	case 3:
		n = wsp_recv(o->fd, buf, 1 + rn(&t->r, sizeof(buf)),
			     rn(&t->r, 2) ? MSG_DONTWAIT : 0);
		t->st->recvs++;
		break;
	case 4:
		n = shutdown(o->fd, rn(&t->r, 3)) ? -errno : 0;
		break;
	case 5:
		close_own(t, o - t->own, rn(&t->r, 2));
		return;
	case 6:
		n = wsp_set_nonblock(o->fd, rn(&t->r, 2));
		break;
	default:
		fd = dup(o->fd);
		if (fd < 0) {
			TVIOL(t, "dup: %s", strerror(errno));
			return;
		}
		add_own(t, fd, o->tcp, o->accepted);
		return;
	}
	if (n < 0 && !net_errno(n))
		TVIOL(t, "own socket %llu: %ld", (unsigned long long)o->id, n);
}

/* Duplicate for ourselves: redeem now, later, or never. */
static void op_dup_self(struct thread *t)
{
	struct wsp_protocol_info info;
	int i, fd, ret;

	if (t->n_tok && rn(&t->r, 2)) {
		i = rn(&t->r, t->n_tok);
		info = t->tok[i];
		t->tok[i] = t->tok[--t->n_tok];
		goto redeem;
	}
	i = rn(&t->r, POOL);
	ret = wsp_duplicate(pool_fd(t, i), getpid(), &info);
	if (ret == -ENOBUFS)
		return;		/* 64 pending: other threads' and workers' */
	if (ret) {
		TVIOL(t, "duplicate pool socket %d for ourselves: %d", i, ret);
		return;
	}
	if (rn(&t->r, 2) && t->n_tok < TOK_MAX) {
		t->tok[t->n_tok++] = info;	/* pending: maybe until we die */
		return;
	}
redeem:
	fd = wsp_redeem(t->w->dev, &info);
	if (fd < 0) {
		TVIOL(t, "redeem our own duplication: %d", fd);
		return;
	}
	t->st->redeemed_self++;
	for (i = 0; i < POOL; i++)
		if (sh->pool_id[i] == socket_id_of(fd))
			break;
	if (i == POOL) {
		TVIOL(t, "redeemed a descriptor of socket %llu, no pool socket",
		      (unsigned long long)socket_id_of(fd));
		close(fd);
		return;
	}
	add_extra(t, fd, i);
	if (rn(&t->r, 2)) {
		int d = dup(fd);

		if (d >= 0)
			add_extra(t, d, i);
	}
}

/* Duplicate something for another worker, through its mailbox. */
static void op_dup_other(struct thread *t)
{
	int slot = rn(&t->r, WORKERS), k, fd;
	struct mbox_slot *m;
	struct wsp_protocol_info info;
	pid_t pid;
	uint32_t gen, zero = 0;

	if (slot == t->w->slot)
		return;
	/*
	 * The pid first: the parent bumps the generation before it forks
	 * and publishes the pid after, so a new pid comes with its new
	 * generation (an old pid with a new generation is only refused).
	 */
	pid = __atomic_load_n(&sh->pid[slot], __ATOMIC_ACQUIRE);
	gen = __atomic_load_n(&sh->gen[slot], __ATOMIC_ACQUIRE);
	if (pid <= 0)
		return;
	k = rn(&t->r, MBOX);
	m = &sh->mbox[slot][k];
	if (!__atomic_compare_exchange_n(&m->state, &zero, 1, false,
					 __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return;
	if (t->n_own && rn(&t->r, 2))
		fd = t->own[rn(&t->r, t->n_own)].fd;
	else
		fd = pool_fd(t, rn(&t->r, POOL));
	if (wsp_duplicate(fd, pid, &info)) {
		/* It died (ESRCH), or the socket has 64 pending. */
		__atomic_store_n(&m->state, 0, __ATOMIC_RELEASE);
		return;
	}
	m->info = info;
	m->target_pid = pid;
	m->target_gen = gen;
	__atomic_store_n(&m->state, 2, __ATOMIC_RELEASE);
}

static void op_mailbox(struct thread *t)
{
	struct mbox_slot *m = &sh->mbox[t->w->slot][rn(&t->r, MBOX)];
	struct wsp_protocol_info info;
	struct wsp_registration reg;
	uint32_t full = 2, gen;
	pid_t pid;
	int fd;

	if (!__atomic_compare_exchange_n(&m->state, &full, 3, false,
					 __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return;
	info = m->info;
	pid = m->target_pid;
	gen = m->target_gen;
	__atomic_store_n(&m->state, 0, __ATOMIC_RELEASE);
	fd = wsp_redeem(t->w->dev, &info);
	if (pid == getpid() && gen == t->w->gen) {
		if (fd < 0) {
			TVIOL(t, "redeem a duplication made for us: %d", fd);
			return;
		}
		t->st->redeemed_mbox++;
	} else {
		/* Made for an earlier incarnation of this slot. */
		if (fd >= 0) {
			TVIOL(t, "a duplication made for pid %d (gen %u) redeemed in pid %d (gen %u)",
			      pid, gen, getpid(), t->w->gen);
			close(fd);
		} else if (fd != -EPERM && fd != -ENOENT) {
			TVIOL(t, "stale duplication: %d", fd);
		} else {
			t->st->stale_refused++;
		}
		return;
	}
	if (wsp_get_registration(fd, &reg))
		TVIOL(t, "get-registration on a redeemed descriptor: %s",
		      strerror(errno));
	close(fd);
}

/* Fork a child that redeems a duplication and registers through it. */
static void op_fork(struct thread *t)
{
	struct wsp_protocol_info info;
	int p[2], i = rn(&t->r, POOL), st;
	bool give = rn(&t->r, 4) != 0;
	uint64_t sid = sh->pool_id[i];
	pid_t kid;

	if (pipe2(p, O_CLOEXEC))
		return;
	kid = fork();
	if (kid < 0) {
		close(p[0]);
		close(p[1]);
		return;
	}
	if (kid == 0) {
		struct pollfd pf = { .fd = p[0], .events = POLLIN };
		struct wsp_registration reg;
		uint32_t id;
		int fd;

		close(p[1]);
		if (poll(&pf, 1, 2000) != 1 ||
		    read(p[0], &info, sizeof(info)) != sizeof(info))
			_exit(0);	/* no duplication for us */
		fd = wsp_redeem(t->w->dev, &info);
		if (fd < 0)
			_exit(10);
		if (socket_id_of(fd) != sid)
			_exit(11);
		id = new_reg(sid, WSP_REG_EVENT, WSP_FD_READ, 0, 0, false);
		if (id) {
			struct wsp_event_select_args a = {
				.eventfd = t->efd, .mask = WSP_FD_READ,
				.descriptor = (uint64_t)id << 32 | (uint32_t)fd,
			};

			if (ioctl(fd, WSP_IOC_EVENT_SELECT, &a))
				_exit(12);
		}
		if (wsp_get_registration(fd, &reg))
			_exit(13);
		_exit(0);
	}
	close(p[0]);
	t->st->forks++;
	if (give) {
		int ret = wsp_duplicate(pool_fd(t, i), kid, &info);

		if (ret && ret != -ENOBUFS)
			TVIOL(t, "duplicate for our child: %d", ret);
		if (!ret && write(p[1], &info, sizeof(info)) != sizeof(info))
			TVIOL(t, "pipe to our child");
	}
	close(p[1]);
	st = wsp_reap(kid, WAIT_MS);
	if (st)
		TVIOL(t, "forked child: status %d", st);
}

static void thread_loop(struct thread *t)
{
	struct worker *w = t->w;

	for (t->iter = 0; t->iter < w->cap; t->iter++) {
		uint32_t x;

		if ((t->iter & 15) == 0 &&
		    (now_ms() > w->end || __atomic_load_n(&sh->stop, __ATOMIC_ACQUIRE)))
			break;
		x = rn(&t->r, 100);
		if (x < 22)
			op_pool_data(t);
		else if (x < 40)
			op_register(t);
		else if (x < 48)
			op_watch(t);
		else if (x < 54)
			op_check_registration(t);
		else if (x < 60)
			op_enum(t);
		else if (x < 67)
			op_read_window(t);
		else if (x < 80)
			op_own(t);
		else if (x < 87)
			op_dup_self(t);
		else if (x < 92)
			op_dup_other(t);
		else if (x < 97)
			op_mailbox(t);
		else if (x < 99 || t->tid)
			op_watch(t);
		else
			op_fork(t);	/* one thread forks */
		t->st->ops++;
		t->st->iterations = t->iter;
	}
}

static void *thread_main(void *arg)
{
	thread_loop(arg);
	return NULL;
}

static int worker_main(struct worker *w, int from)
{
	struct wsp_protocol_info info[POOL];
	struct thread th[THREADS];
	struct pollfd pf = { .fd = from, .events = POLLIN };
	pthread_t pt[THREADS];
	size_t got = 0;
	int i;

	while (got < sizeof(info)) {
		ssize_t n;

		if (poll(&pf, 1, WAIT_MS) != 1)
			return 2;
		n = read(from, (char *)info + got, sizeof(info) - got);
		if (n <= 0)
			return 2;
		got += n;
	}
	close(from);
	for (i = 0; i < POOL; i++) {
		w->base[i] = wsp_redeem(w->dev, &info[i]);
		if (w->base[i] < 0)
			return 3;
		if (socket_id_of(w->base[i]) != sh->pool_id[i])
			return 4;
	}
	for (i = 0; i < THREADS; i++) {
		memset(&th[i], 0, sizeof(th[i]));
		th[i].w = w;
		th[i].tid = i;
		th[i].r = mix64(w->seed ^ mix64(w->slot * 1000003ull +
						 w->gen * 101ull + i));
		th[i].st = &sh->ts[w->slot][i];
		th[i].efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		th[i].win = wsp_window(w->dev, WSP_FD_CLOEXEC | WSP_WINDOW_NONBLOCK, 64);
		if (th[i].efd < 0 || th[i].win < 0)
			return 5;
	}
	for (i = 1; i < THREADS; i++)
		if (pthread_create(&pt[i], NULL, thread_main, &th[i]))
			return 6;
	thread_loop(&th[0]);
	for (i = 1; i < THREADS; i++)
		pthread_join(pt[i], NULL);
	/* Pending duplications and everything else go with the exit. */
	return 0;
}

/* ------------------------------------------------------------------ */
/* The parent: the pool, the workers, the killer, the checks.         */
/* ------------------------------------------------------------------ */

struct pool {
	int fd[POOL];
	int shared_win[N_SHARED];
	int shared_efd[N_SHARED];
};

static int pool_open(int dev, struct pool *p)
{
	struct timeval tv = { .tv_usec = TIMEO_MS * 1000 };
	int i, k = 0, l, c, s;

	memset(p, 0xff, sizeof(*p));
	for (i = 0; i < N_PAIRS; i++) {
		int fam = i == N_PAIRS - 1 ? AF_INET6 : AF_INET;

		if (wsp_tcp_pair(dev, fam, &l, &c, &s) &&
		    wsp_tcp_pair(dev, AF_INET, &l, &c, &s))
			return -1;
		if (wsp_getsockname(l, &sh->listen_addr[i]))
			return -1;
		sh->pool_kind[k] = P_LISTEN;
		p->fd[k++] = l;
		sh->pool_kind[k] = P_CLIENT;
		p->fd[k++] = c;
		sh->pool_kind[k] = P_SERVER;
		p->fd[k++] = s;
	}
	for (i = 0; i < N_UDP; i++) {
		struct test_addr a;
		int u = wsp_socket(dev, AF_INET, SOCK_DGRAM, 0, WSP_FD_CLOEXEC);

		if (u < 0)
			return -1;
		wsp_loopback(&a, AF_INET, 0);
		if (wsp_bind(u, &a) || wsp_getsockname(u, &sh->udp_addr[i]))
			return -1;
		sh->pool_kind[k] = P_UDP;
		p->fd[k++] = u;
	}
	for (i = 0; i < POOL; i++) {
		int one = 1;

		/* Blocking calls on the pool wait 50 ms at most. */
		if (wsp_setsockopt(p->fd[i], SOL_SOCKET, SO_RCVTIMEO_OLD, &tv, sizeof(tv)) ||
		    wsp_setsockopt(p->fd[i], SOL_SOCKET, SO_SNDTIMEO_OLD, &tv, sizeof(tv)))
			return -1;
		if (sh->pool_kind[i] == P_CLIENT || sh->pool_kind[i] == P_SERVER)
			wsp_setsockopt(p->fd[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		sh->pool_id[i] = socket_id_of(p->fd[i]);
	}
	for (i = 0; i < N_SHARED; i++) {
		p->shared_win[i] = wsp_window(dev, WSP_FD_CLOEXEC | WSP_WINDOW_NONBLOCK, 256);
		p->shared_efd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (p->shared_win[i] < 0 || p->shared_efd[i] < 0)
			return -1;
	}
	return 0;
}

static void pool_close(struct pool *p)
{
	int i;

	for (i = 0; i < POOL; i++)
		if (p->fd[i] >= 0)
			close(p->fd[i]);
	for (i = 0; i < N_SHARED; i++) {
		if (p->shared_win[i] >= 0)
			close(p->shared_win[i]);
		if (p->shared_efd[i] >= 0)
			close(p->shared_efd[i]);
	}
	memset(p, 0xff, sizeof(*p));
}

/* Start (or restart) the worker of @slot; its pid, or -1. */
static pid_t spawn(int dev, struct pool *p, int slot, long end, long cap,
		   uint64_t seed)
{
	struct wsp_protocol_info info[POOL];
	int pp[2], i;
	pid_t pid;

	if (pipe2(pp, O_CLOEXEC))
		return -1;
	__atomic_add_fetch(&sh->gen[slot], 1, __ATOMIC_RELEASE);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		struct worker w = {
			.dev = dev, .slot = slot, .end = end, .cap = cap,
			.seed = seed,
			.gen = __atomic_load_n(&sh->gen[slot], __ATOMIC_ACQUIRE),
		};

		close(pp[1]);
		memcpy(w.shared_win, p->shared_win, sizeof(w.shared_win));
		memcpy(w.shared_efd, p->shared_efd, sizeof(w.shared_efd));
		/* Only the worker's own descriptors of the pool. */
		for (i = 0; i < POOL; i++)
			close(p->fd[i]);
		_exit(worker_main(&w, pp[0]));
	}
	close(pp[0]);
	__atomic_store_n(&sh->pid[slot], pid, __ATOMIC_RELEASE);
	sh->worker_starts++;
	for (i = 0; i < POOL; i++) {
		long until = now_ms() + WAIT_MS;
		int ret;

		/* 64 pending on one socket: wait for some to go. */
		while ((ret = wsp_duplicate(p->fd[i], pid, &info[i])) == -ENOBUFS &&
		       now_ms() < until)
			poll(NULL, 0, 10);
		if (ret) {
			violation("duplicate pool socket %d for worker %d: %d",
				  i, slot, ret);
			break;
		}
	}
	if (i == POOL && write(pp[1], info, sizeof(info)) != sizeof(info))
		violation("pipe to worker %d", slot);
	close(pp[1]);
	return pid;
}

/* Every pool socket reports a registration that was made on it. */
static void check_pool(struct pool *p)
{
	struct wsp_registration reg;
	struct wsp_socket_info info;
	char why[256];
	int i;

	for (i = 0; i < POOL; i++) {
		if (wsp_get_registration(p->fd[i], &reg)) {
			violation("parent: get-registration of pool socket %d: %s",
				  i, strerror(errno));
			continue;
		}
		if (!reg_ok(sh->pool_id[i], &reg, false,
			    sh->pool_kind[i] == P_SERVER, why, sizeof(why)))
			violation("parent: pool socket %d: %s", i, why);
		if (wsp_info(p->fd[i], &info) || info.socket_id != sh->pool_id[i])
			violation("parent: pool socket %d: socket-info", i);
	}
}

FIXTURE(stress) {
	int dev;
	int kmsg;
	struct wsp_counters start;
	struct pool pool;
	pid_t kids[WORKERS];
	uint64_t seed;
	char kmsg_first[256];
	int kmsg_bad;
};

FIXTURE_SETUP(stress)
{
	long end = now_ms() + COUNTERS_MS;

	memset(self->kids, 0, sizeof(self->kids));
	memset(&self->pool, 0xff, sizeof(self->pool));
	self->kmsg_first[0] = 0;
	self->kmsg_bad = 0;
	self->kmsg = kmsg_open();
	WSP_SETUP_DEVICE(self->dev);
	/* Duplications of a program that just ended may still be pending. */
	do {
		ASSERT_EQ(0, wsp_read_counters(&self->start));
	} while (self->start.pending_duplicates && now_ms() < end &&
		 !poll(NULL, 0, 10));
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, sh);
	self->seed = env_ul("WSP_STRESS_SEED", 0x57e55006ul);
	/* Orphans of killed workers come back to us, to be reaped. */
	ASSERT_EQ(0, prctl(PR_SET_CHILD_SUBREAPER, 1));
}

FIXTURE_TEARDOWN(stress)
{
	int i;

	__atomic_store_n(&sh->stop, 1, __ATOMIC_RELEASE);
	for (i = 0; i < WORKERS; i++) {
		if (self->kids[i] > 0) {
			kill(self->kids[i], SIGKILL);
			waitpid(self->kids[i], NULL, 0);
		}
	}
	reap_all_children(0);
	pool_close(&self->pool);
	if (self->dev >= 0)
		close(self->dev);
	if (self->kmsg >= 0)
		close(self->kmsg);
}

static void log_violations(struct __test_metadata *_metadata)
{
	int i;

	for (i = 0; i < MAX_LOG && sh->vk[i].fmt; i++)
		TH_LOG("violation (%d like it): %s", sh->vk[i].count,
		       sh->vk[i].first);
}

/* The last registration of every pool socket, and only it, reports. */
static void final_check(struct __test_metadata *_metadata,
			FIXTURE_DATA(stress) *self)
{
	struct pool *p = &self->pool;
	int target[POOL], i, round;
	uint64_t posted0[N_SHARED];
	struct wsp_window_info wi;
	static char buf[65536];
	uint32_t id[POOL];
	uint64_t v;

	/* What the workers left: data, connections waiting. */
	for (i = 0; i < POOL; i++) {
		if (sh->pool_kind[i] == P_LISTEN) {
			int nfd;

			while ((nfd = wsp_accept(p->fd[i], NULL)) >= 0)
				close(nfd);
		} else {
			while (wsp_recv(p->fd[i], buf, sizeof(buf), MSG_DONTWAIT) > 0)
				;
		}
	}
	for (i = 0; i < POOL; i++) {
		bool async = i % 2;
		uint32_t mask = sh->pool_kind[i] == P_LISTEN ? WSP_FD_ACCEPT :
							     WSP_FD_READ;
		uint32_t msg = 0xf1000 + i;

		target[i] = async ? wsp_window(self->dev, WSP_FD_CLOEXEC |
					       WSP_WINDOW_NONBLOCK, 64) :
				    eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		ASSERT_LE(0, target[i]);
		id[i] = new_reg(sh->pool_id[i], async ? WSP_REG_ASYNC : WSP_REG_EVENT,
				mask, msg, (uint32_t)target[i], true);
		ASSERT_NE(0, id[i]) TH_LOG("registration table full");
		if (async) {
			struct wsp_async_select_args a = {
				.window = target[i], .message = msg, .mask = mask,
				.descriptor = (uint64_t)id[i] << 32 | (uint32_t)p->fd[i],
			};

			ASSERT_EQ(0, wsp_ioctl(p->fd[i], WSP_IOC_ASYNC_SELECT, &a));
		} else {
			struct wsp_event_select_args a = {
				.eventfd = target[i], .mask = mask,
				.descriptor = (uint64_t)id[i] << 32 | (uint32_t)p->fd[i],
			};

			ASSERT_EQ(0, wsp_ioctl(p->fd[i], WSP_IOC_EVENT_SELECT, &a));
		}
	}
	/* The replaced targets: what they got before, they keep... */
	for (i = 0; i < N_SHARED; i++) {
		struct wsp_message m[64];

		while (read(p->shared_win[i], m, sizeof(m)) > 0)
			;
		while (read(p->shared_efd[i], &v, sizeof(v)) == sizeof(v))
			;
		ASSERT_EQ(0, wsp_window_info(p->shared_win[i], &wi));
		posted0[i] = wi.posted;
	}
	/* ...and after it they get nothing, while the new ones do. */
	for (round = 0; round < 3; round++) {
		int conn[N_PAIRS];
		int k = 0;

		for (i = 0; i < POOL; i++) {
			/*
			 * The re-enabling calls: events held are re-armed.
			 * Data the workers queued may still be arriving (a
			 * peer's send queue drains as this side reads): take
			 * it until the call would block.
			 */
			long n;

			do {
				n = sh->pool_kind[i] == P_LISTEN ?
				    wsp_accept(p->fd[i], NULL) :
				    wsp_recv(p->fd[i], buf, sizeof(buf),
					     MSG_DONTWAIT);
				if (n >= 0 && sh->pool_kind[i] == P_LISTEN)
					close(n);
			} while (n > 0 || (n == 0 && sh->pool_kind[i] == P_LISTEN));
			ASSERT_EQ(-EAGAIN, n) TH_LOG("pool socket %d", i);
			if (i % 2) {
				while (read(target[i], buf, sizeof(buf)) > 0)
					;
			} else {
				struct wsp_enum_events_args e;

				ASSERT_EQ(0, wsp_enum(p->fd[i], target[i], &e));
			}
		}
		for (i = 0; i < POOL; i++) {
			switch (sh->pool_kind[i]) {
			case P_LISTEN:
				conn[k] = wsp_socket(self->dev,
						     sh->listen_addr[k].len > 16 ? AF_INET6 : AF_INET,
						     SOCK_STREAM, 0, WSP_FD_CLOEXEC);
				ASSERT_LE(0, conn[k]);
				ASSERT_EQ(0, wsp_connect(conn[k], &sh->listen_addr[k]));
				k++;
				break;
			case P_CLIENT:
				ASSERT_EQ(100, wsp_send(p->fd[i], buf, 100, 0));
				break;
			case P_SERVER:
				ASSERT_EQ(100, wsp_send(p->fd[i], buf, 100, 0));
				break;
			case P_UDP: {
				struct test_addr *a = &sh->udp_addr[(i + 1) % N_UDP];

				ASSERT_EQ(100, sendto(p->fd[i], buf, 100, 0,
						      &a->sa, a->len));
				break;
			}
			}
		}
		for (i = 0; i < POOL; i++) {
			struct wsp_registration reg;
			char why[256];

			ASSERT_TRUE(wsp_wait_readable(target[i], WAIT_MS))
				TH_LOG("round %d: pool socket %d's last registration got nothing",
				       round, i);
			if (i % 2) {
				struct wsp_message m;

				ASSERT_EQ(sizeof(m), read(target[i], &m, sizeof(m)));
				EXPECT_EQ(0xf1000u + i, m.message);
				EXPECT_EQ((uint64_t)target[i], m.hwnd);
				EXPECT_EQ((uint64_t)id[i] << 32 | (uint32_t)p->fd[i], m.wparam);
				EXPECT_TRUE(message_ok(&m, why, sizeof(why))) TH_LOG("%s", why);
			}
			ASSERT_EQ(0, wsp_get_registration(p->fd[i], &reg));
			EXPECT_EQ(id[i], reg.descriptor >> 32)
				TH_LOG("pool socket %d", i);
			EXPECT_EQ(getpid(), reg.pid);
			EXPECT_TRUE(reg_ok(sh->pool_id[i], &reg, false, false, why, sizeof(why)))
				TH_LOG("%s", why);
			if (sh->pool_kind[i] == P_LISTEN) {
				int nfd = wsp_accept(p->fd[i], NULL);

				EXPECT_LE(0, nfd);
				if (nfd >= 0)
					close(nfd);
			} else {
				while (wsp_recv(p->fd[i], buf, sizeof(buf), MSG_DONTWAIT) > 0)
					;
			}
		}
		for (i = 0; i < N_PAIRS; i++)
			close(conn[i]);
		for (i = 0; i < N_SHARED; i++) {
			ASSERT_EQ(0, wsp_window_info(p->shared_win[i], &wi));
			EXPECT_EQ(posted0[i], wi.posted)
				TH_LOG("round %d: shared window %d, replaced, got %llu posts",
				       round, i, (unsigned long long)(wi.posted - posted0[i]));
			EXPECT_FALSE(wsp_eventfd_is_set(p->shared_efd[i]))
				TH_LOG("round %d: shared eventfd %d, replaced, was signalled",
				       round, i);
		}
	}
	for (i = 0; i < POOL; i++)
		close(target[i]);
}

TEST_F_TIMEOUT(stress, mixed_workload, 240)
{
	long run_ms = env_ul("WSP_STRESS_MS", 16000);
	long cap = env_ul("WSP_STRESS_ITERS", 200000);
	long max_kills = env_ul("WSP_STRESS_KILLS", 40);
	long t0 = now_ms(), end = t0 + run_ms, next_check = 0, next_kill;
	long kills = 0, checks = 0, total_iters = 0;
	struct wsp_counters want, got;
	uint64_t r = self->seed;
	struct tstats sum = { 0 };
	int i, j, st;

	TH_LOG("seed %#llx, budget %ld ms, cap %ld iterations a thread, %ld kills at most",
	       (unsigned long long)self->seed, run_ms, cap, max_kills);
	ASSERT_EQ(0, pool_open(self->dev, &self->pool));
	for (i = 0; i < WORKERS; i++) {
		self->kids[i] = spawn(self->dev, &self->pool, i, end, cap, self->seed);
		ASSERT_LT(0, self->kids[i]);
	}
	next_kill = now_ms() + 300 + rn(&r, 500);

	while (now_ms() < end) {
		long t = now_ms();
		pid_t pid;

		poll(NULL, 0, 10 + rn(&r, 30));
		/* A worker that ended before its time failed. */
		while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
			for (i = 0; i < WORKERS; i++)
				if (self->kids[i] == pid)
					break;
			if (i == WORKERS)
				continue;	/* a worker's orphan */
			/* At its deadline (or cap), with 0, it is done. */
			if (st || now_ms() < end - 500)
				violation("worker %d (pid %d) ended early: status %#x",
					  i, pid, st);
			self->kids[i] = -1;
			if (now_ms() < end - 500)
				self->kids[i] = spawn(self->dev, &self->pool, i,
						      end, cap, self->seed);
		}
		if (t >= next_check) {
			check_pool(&self->pool);
			self->kmsg_bad += kmsg_scan(self->kmsg, self->kmsg_first,
						    sizeof(self->kmsg_first));
			checks++;
			next_check = t + 100;
		}
		if (t >= next_kill && kills < max_kills && end - t > 1000) {
			/* SIGKILL mid-call, and a new incarnation. */
			i = rn(&r, WORKERS);
			if (self->kids[i] <= 0)
				continue;
			kill(self->kids[i], SIGKILL);
			st = wsp_reap(self->kids[i], WAIT_MS);
			if (st != 128 + SIGKILL && st != 0)
				violation("killed worker %d: status %d", i, st);
			kills++;
			self->kids[i] = spawn(self->dev, &self->pool, i, end, cap,
					      self->seed);
			next_kill = t + 100 + rn(&r, 400);
		}
	}
	__atomic_store_n(&sh->stop, 1, __ATOMIC_RELEASE);
	for (i = 0; i < WORKERS; i++) {
		if (self->kids[i] <= 0)
			continue;
		st = wsp_reap(self->kids[i], 2 * WAIT_MS);
		self->kids[i] = 0;
		EXPECT_EQ(0, st) TH_LOG("worker %d did not end cleanly: %d", i, st);
	}
	EXPECT_EQ(0, reap_all_children(WAIT_MS)) TH_LOG("children left behind");
	check_pool(&self->pool);

	for (i = 0; i < WORKERS; i++) {
		for (j = 0; j < THREADS; j++) {
			struct tstats *s = &sh->ts[i][j];

			sum.ops += s->ops;
			sum.registrations += s->registrations;
			sum.replaced_checked += s->replaced_checked;
			sum.messages += s->messages;
			sum.redeemed_self += s->redeemed_self;
			sum.redeemed_mbox += s->redeemed_mbox;
			sum.stale_refused += s->stale_refused;
			sum.forks += s->forks;
			sum.accepts += s->accepts;
			sum.connects += s->connects;
			sum.resets += s->resets;
			sum.sends += s->sends;
			sum.recvs += s->recvs;
		}
	}
	total_iters = sum.ops;
	TH_LOG("%ld ms: %ld operations, %ld worker starts, %ld kills, %ld pool checks",
	       now_ms() - t0, total_iters, sh->worker_starts, kills, checks);
	TH_LOG("%ld registrations (%u ids), %ld replaced targets checked silent, %ld messages read, %ld self-redeemed, %ld redeemed from mailboxes, %ld stale refused",
	       sum.registrations, sh->next_reg, sum.replaced_checked, sum.messages,
	       sum.redeemed_self, sum.redeemed_mbox, sum.stale_refused);
	TH_LOG("%ld forks, %ld accepts, %ld connects, %ld resets, %ld sends, %ld receives",
	       sum.forks, sum.accepts, sum.connects, sum.resets, sum.sends,
	       sum.recvs);
	ksft_print_msg("stress: seed %#llx, %ld operations, %ld kills\n",
		       (unsigned long long)self->seed, total_iters, kills);
	log_violations(_metadata);
	EXPECT_EQ(0, sh->violations);
	EXPECT_LT(0, sum.registrations);
	EXPECT_LT(0, kills);

	/* Only the pool and its targets are left, once the exits settle. */
	/*
	 * A dead worker's window lives on in the registration that names
	 * it, until the last registrations below replace it: take the
	 * windows as they are.
	 */
	want = self->start;
	want.sockets += POOL;
	want.windows = -1;
	want.registrations = -1;
	EXPECT_EQ(0, wsp_await_counters(&want, &got, COUNTERS_MS))
		TH_LOG("before the last registrations: " WSP_COUNTERS_FMT,
		       WSP_COUNTERS_ARGS(got, want));
	final_check(_metadata, self);

	pool_close(&self->pool);
	EXPECT_EQ(0, wsp_await_counters(&self->start, &got, COUNTERS_MS))
		TH_LOG("at the end: " WSP_COUNTERS_FMT,
		       WSP_COUNTERS_ARGS(got, self->start));
	self->kmsg_bad += kmsg_scan(self->kmsg, self->kmsg_first,
				    sizeof(self->kmsg_first));
	EXPECT_EQ(0, self->kmsg_bad) TH_LOG("kernel log: %s", self->kmsg_first);
}

/* ------------------------------------------------------------------ */
/* Killed while blocked in each kind of call.                         */
/* ------------------------------------------------------------------ */

/* Wait until @pid sleeps (in the call it announced): 0, or -1. */
static int await_sleeping(pid_t pid)
{
	long end = now_ms() + WAIT_MS;
	char path[64], buf[256], *p;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	while (now_ms() < end) {
		FILE *f = fopen(path, "r");

		if (!f)
			return -1;
		p = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
		fclose(f);
		if (p && p[1] == ' ' && p[2] == 'S')
			return 0;
		poll(NULL, 0, 5);
	}
	return -1;
}

enum blocker { B_RECV, B_ACCEPT, B_WINDOW_READ, B_SEND, B_COUNT };

static const char *const blocker_names[] = {
	"receive", "accept", "window read", "send into a full pipe",
};

/* A child that redeems, gets ready, and blocks in one call for good. */
static int blocked_child(int dev, int from, int ready, enum blocker b,
			 int window)
{
	struct wsp_protocol_info info, tok;
	static char buf[65536];
	struct wsp_message m;
	int fd;

	if (read(from, &info, sizeof(info)) != sizeof(info))
		return 2;
	fd = wsp_redeem(dev, &info);
	if (fd < 0)
		return 3;
	/* Blocking for good: no timeout, blocking mode. */
	wsp_setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO_OLD,
		       &(struct timeval){ 0 }, sizeof(struct timeval));
	wsp_setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO_OLD,
		       &(struct timeval){ 0 }, sizeof(struct timeval));
	/* A pending duplication for ourselves, freed at our death. */
	if (wsp_duplicate(fd, getpid(), &tok))
		return 4;
	if (write(ready, "r", 1) != 1)
		return 5;
	switch (b) {
	case B_RECV:
		wsp_recv(fd, buf, sizeof(buf), 0);
		break;
	case B_ACCEPT:
		wsp_accept(fd, NULL);
		break;
	case B_WINDOW_READ:
		if (read(window, &m, sizeof(m)) < 0)
			return 6;
		break;
	default:
		for (;;)
			if (wsp_send(fd, buf, sizeof(buf), 0) < 0)
				break;
	}
	return 7;	/* it should never have returned */
}

TEST_F_TIMEOUT(stress, killed_while_blocked, 120)
{
	struct wsp_counters got;
	struct wsp_registration reg;
	struct wsp_counters want;
	int l, c, s, b, w, rd[2], to[2], rcvbuf = 262144, sndbuf = 65536, st;
	struct wsp_protocol_info info;
	static char buf[65536];
	pid_t kid;

	ASSERT_EQ(0, wsp_tcp_pair(self->dev, AF_INET, &l, &c, &s));
	self->pool.fd[0] = l;
	self->pool.fd[1] = c;
	self->pool.fd[2] = s;
	/*
	 * Bounded buffers, still larger than two loopback segments so that
	 * reading reopens the window at once (no zero-window probing).
	 */
	ASSERT_EQ(0, wsp_setsockopt(s, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)));
	ASSERT_EQ(0, wsp_setsockopt(c, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)));

	for (b = 0; b < B_COUNT; b++) {
		int fd = b == B_ACCEPT ? l : b == B_SEND ? c : s;

		/* The blocked reader's window, registered on the socket. */
		ASSERT_EQ(0, wsp_set_nonblock(fd, 0));
		w = wsp_window(self->dev, WSP_FD_CLOEXEC, 4);
		ASSERT_LE(0, w);
		ASSERT_EQ(0, pipe2(rd, O_CLOEXEC));
		ASSERT_EQ(0, pipe2(to, O_CLOEXEC));
		kid = fork();
		ASSERT_LE(0, kid);
		if (kid == 0) {
			close(rd[0]);
			close(to[1]);
			_exit(blocked_child(self->dev, to[0], rd[1], b, w));
		}
		self->kids[0] = kid;
		close(rd[1]);
		close(to[0]);
		ASSERT_EQ(0, wsp_duplicate(fd, kid, &info));
		ASSERT_EQ(sizeof(info), write(to[1], &info, sizeof(info)));
		close(to[1]);
		ASSERT_TRUE(wsp_wait_readable(rd[0], WAIT_MS))
			TH_LOG("%s: the child never got ready", blocker_names[b]);
		close(rd[0]);
		if (b == B_WINDOW_READ)
			ASSERT_EQ(0, wsp_async_select(fd, w, 0x99, WSP_FD_OOB));
		EXPECT_EQ(0, await_sleeping(kid))
			TH_LOG("%s: the child does not sleep", blocker_names[b]);
		TH_LOG("%s: killing the child", blocker_names[b]);
		kill(kid, SIGKILL);
		st = wsp_reap(kid, WAIT_MS);
		self->kids[0] = 0;
		EXPECT_EQ(128 + SIGKILL, st) TH_LOG("%s", blocker_names[b]);

		TH_LOG("%s: reaped", blocker_names[b]);
		/* The socket is whole, and works for the others. */
		ASSERT_EQ(0, wsp_get_registration(fd, &reg));
		if (b == B_WINDOW_READ) {
			EXPECT_EQ(WSP_REG_ASYNC, reg.kind);
			ASSERT_EQ(0, wsp_async_select(fd, -1, 0, 0));
		}
		if (b == B_SEND) {
			/* What the killed sender queued drains. */
			long until = now_ms() + WAIT_MS, n, total = 0;

			for (;;) {
				n = wsp_recv(s, buf, sizeof(buf), MSG_DONTWAIT);
				if (n > 0) {
					total += n;
					continue;
				}
				if (n == 0 || now_ms() > until ||
				    !wsp_wait_readable(s, 200))
					break;
			}
			TH_LOG("%ld bytes the killed sender queued, then %ld", total, n);
			{
				struct pollfd pf = { .fd = c, .events = POLLOUT };

				EXPECT_EQ(1, poll(&pf, 1, WAIT_MS));
			}
		}
		ASSERT_EQ(0, wsp_set_nonblock(c, 1));
		ASSERT_EQ(0, wsp_set_nonblock(s, 1));
		ASSERT_EQ(10, wsp_send(c, "0123456789", 10, 0))
			TH_LOG("after the %s", blocker_names[b]);
		ASSERT_TRUE(wsp_wait_readable(s, WAIT_MS))
			TH_LOG("after the %s", blocker_names[b]);
		ASSERT_EQ(10, wsp_recv(s, buf, 10, 0))
			TH_LOG("after the %s", blocker_names[b]);
		ASSERT_EQ(0, wsp_set_nonblock(c, 0));
		ASSERT_EQ(0, wsp_set_nonblock(s, 0));
		close(w);
	}
	want = self->start;
	want.sockets += 3;
	EXPECT_EQ(0, wsp_await_counters(&want, &got, COUNTERS_MS))
		TH_LOG(WSP_COUNTERS_FMT, WSP_COUNTERS_ARGS(got, want));
	pool_close(&self->pool);
	EXPECT_EQ(0, wsp_await_counters(&self->start, &got, COUNTERS_MS))
		TH_LOG(WSP_COUNTERS_FMT, WSP_COUNTERS_ARGS(got, self->start));
	self->kmsg_bad += kmsg_scan(self->kmsg, self->kmsg_first,
				    sizeof(self->kmsg_first));
	EXPECT_EQ(0, self->kmsg_bad) TH_LOG("kernel log: %s", self->kmsg_first);
}

/*
 * Regression: a socket accepted from a listener that has no registration
 * reported no registration (kind WSP_REG_NONE) but its descriptor number
 * in the descriptor field. An absent registration is all zero, accepted
 * or not (as after a cancel).
 */
TEST_F(stress, accepted_unregistered_socket_reports_no_registration)
{
	struct wsp_registration reg;
	int l, c, s;

	ASSERT_EQ(0, wsp_tcp_pair(self->dev, AF_INET, &l, &c, &s));
	self->pool.fd[0] = l;
	self->pool.fd[1] = c;
	self->pool.fd[2] = s;
	ASSERT_EQ(0, wsp_get_registration(s, &reg));
	EXPECT_EQ(WSP_REG_NONE, reg.kind);
	EXPECT_EQ(0, reg.descriptor) TH_LOG("descriptor %#llx, the accepted fd is %d",
					    (unsigned long long)reg.descriptor, s);
	EXPECT_EQ(0, reg.mask);
	EXPECT_EQ(0, reg.message);
	EXPECT_EQ(0, reg.hwnd);
	EXPECT_EQ(0, reg.pid);
	/* A cancel leaves it so. */
	ASSERT_EQ(0, wsp_event_select(s, -1, 0));
	ASSERT_EQ(0, wsp_get_registration(s, &reg));
	EXPECT_EQ(WSP_REG_NONE, reg.kind);
	EXPECT_EQ(0, reg.descriptor);
}

/*
 * A socket accepted from a registered listener reports the listener's
 * registration with the descriptor WSP_DESCRIPTOR_UNKNOWN (the kernel
 * cannot know the number accept4 returned), event-select and
 * async-select alike.
 */
TEST_F(stress, accepted_socket_inherits_registration_with_unknown_descriptor)
{
	struct wsp_registration reg;
	struct test_addr addr;
	int l, c, s, w, efd, round;

	l = self->pool.fd[0] = wsp_socket(self->dev, AF_INET, SOCK_STREAM, 0,
					  WSP_FD_CLOEXEC);
	ASSERT_LE(0, l);
	wsp_loopback(&addr, AF_INET, 0);
	ASSERT_EQ(0, wsp_bind(l, &addr));
	ASSERT_EQ(0, wsp_listen(l, 4));
	ASSERT_EQ(0, wsp_getsockname(l, &addr));
	efd = self->pool.shared_efd[0] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_LE(0, efd);
	w = self->pool.shared_win[0] = wsp_window(self->dev, WSP_FD_CLOEXEC |
						  WSP_WINDOW_NONBLOCK, 16);
	ASSERT_LE(0, w);

	for (round = 0; round < 2; round++) {
		bool async = round;

		ASSERT_EQ(0, async ? wsp_async_select(l, w, 0x4242,
						      WSP_FD_ACCEPT | WSP_FD_READ) :
				     wsp_event_select(l, efd,
						      WSP_FD_ACCEPT | WSP_FD_READ));
		c = self->pool.fd[1] = wsp_socket(self->dev, AF_INET,
						  SOCK_STREAM, 0, WSP_FD_CLOEXEC);
		ASSERT_LE(0, c);
		ASSERT_EQ(0, wsp_connect(c, &addr));
		ASSERT_TRUE(wsp_wait_readable(l, WAIT_MS));
		s = self->pool.fd[2] = wsp_accept(l, NULL);
		ASSERT_LE(0, s);
		ASSERT_EQ(0, wsp_get_registration(s, &reg));
		EXPECT_EQ(async ? WSP_REG_ASYNC : WSP_REG_EVENT, reg.kind);
		EXPECT_EQ(WSP_FD_ACCEPT | WSP_FD_READ, reg.mask);
		EXPECT_EQ(WSP_DESCRIPTOR_UNKNOWN, reg.descriptor)
			TH_LOG("%s: descriptor %#llx, the accepted fd is %d",
			       async ? "async" : "event",
			       (unsigned long long)reg.descriptor, s);
		EXPECT_EQ(async ? 0x4242u : 0u, reg.message);
		EXPECT_EQ(async ? (uint64_t)w : 0, reg.hwnd);
		EXPECT_EQ(getpid(), reg.pid);
		close(s);
		close(c);
		self->pool.fd[1] = self->pool.fd[2] = -1;
	}
}

#define MANY_TOKENS	3000

/*
 * A process that exits while thousands of duplications for it are
 * pending (MANY_TOKENS, over as many sockets as the per-socket bound
 * needs, each socket's descriptor closed: the tokens hold them): its exit
 * costs one wake-up, the tokens and their sockets are all freed soon
 * after, and the kernel logs nothing bad.
 */
TEST_F_TIMEOUT(stress, target_exits_holding_thousands_of_tokens, 120)
{
	struct rlimit rl = { .rlim_cur = 2 * MANY_TOKENS,
			     .rlim_max = 2 * MANY_TOKENS };
	struct wsp_protocol_info info;
	struct wsp_counters want, got;
	int hold[2], made = 0, sockets = 0, s, i, status;
	long t0;
	pid_t target;
	char c;

	/* The tokens are charged to us: at most our RLIMIT_NOFILE. */
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &rl));
	ASSERT_EQ(0, pipe2(hold, O_CLOEXEC));
	target = fork();
	ASSERT_LE(0, target);
	if (target == 0) {
		close(hold[1]);
		_exit(read(hold[0], &c, 1) < 0);
	}
	close(hold[0]);

	while (made < MANY_TOKENS) {
		s = wsp_socket(self->dev, AF_INET,
			       sockets % 2 ? SOCK_DGRAM : SOCK_STREAM, 0,
			       WSP_FD_CLOEXEC);
		ASSERT_LE(0, s);
		sockets++;
		for (i = 0; i < WSP_MAX_PENDING_DUPLICATES && made < MANY_TOKENS;
		     i++, made++)
			ASSERT_EQ(0, wsp_duplicate(s, target, &info))
				TH_LOG("token %d", made);
		close(s);
	}
	want = self->start;
	want.sockets += sockets;
	want.pending_duplicates += MANY_TOKENS;
	ASSERT_EQ(0, wsp_read_counters(&got));
	EXPECT_TRUE(wsp_counters_match(&want, &got))
		TH_LOG(WSP_COUNTERS_FMT, WSP_COUNTERS_ARGS(got, want));

	t0 = now_ms();
	close(hold[1]);
	ASSERT_EQ(target, waitpid(target, &status, 0));
	EXPECT_EQ(0, wsp_await_counters(&self->start, &got, WAIT_MS))
		TH_LOG("not reaped in %d ms: " WSP_COUNTERS_FMT, WAIT_MS,
		       WSP_COUNTERS_ARGS(got, self->start));
	TH_LOG("%d tokens on %d sockets freed %ld ms after the exit",
	       MANY_TOKENS, sockets, now_ms() - t0);
	self->kmsg_bad += kmsg_scan(self->kmsg, self->kmsg_first,
				    sizeof(self->kmsg_first));
	EXPECT_EQ(0, self->kmsg_bad) TH_LOG("kernel log: %s", self->kmsg_first);
}

TEST_HARNESS_MAIN

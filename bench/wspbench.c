// SPDX-License-Identifier: GPL-2.0
/*
 * wspbench - wspshare against native Linux doing the same job, in one
 * process, in one run.
 *
 * Each case runs its variants in alternating rounds (wspshare, native,
 * wspshare, native, ...) with the same number of operations per round,
 * pinned to one CPU, after an untimed warm-up that also picks the round
 * length. What counts is the ratio wspshare/native from the same run:
 * absolute times under QEMU's TCG mean nothing, and a machine shared with
 * other work makes single rounds noisy, so the per-round ratios' spread is
 * printed beside the ratio of the medians.
 *
 * The cases (through the uapi and the system calls, no libwsp):
 *   dup       WSP_IOC_DUPLICATE (for getpid()) + WSP_IOC_REDEEM + close,
 *             against pidfd_getfd + close and against dup + close
 *   pingpong  a 1-byte TCP round trip over loopback, woken through
 *             event-select (poll on the eventfd, WSP_IOC_ENUM_EVENTS with
 *             the eventfd reset, recv, send), against epoll_wait + recv +
 *             send on plain sockets
 *   reselect  switching the registration between FD_READ and FD_WRITE
 *             (WSP_IOC_EVENT_SELECT), against EPOLL_CTL_MOD between
 *             EPOLLIN and EPOLLOUT
 *   bulk      64 KiB over loopback TCP, wspshare sockets against plain
 *             sockets (both are real sockets: expect about 1.0)
 *
 * usage: wspbench [-r ROUNDS] [-t ROUND_MS] [CSV_PATH]
 *   -r  rounds per variant (default 21)
 *   -t  the length of a round of the slowest variant, in ms (default 150)
 *
 * The table goes to stdout, between "WSPBENCH-TABLE-BEGIN/END" lines, and
 * the CSV to CSV_PATH (default /tmp/wspbench.csv) and to stdout between
 * "WSPBENCH-CSV-BEGIN/END" lines, which is how scripts/bench.sh gets it
 * out of the test VM. The module must be loaded. Exit status 0, or 1 when
 * a call fails or the module's counters are not back at zero at the end.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <linux/wspshare.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

#define MAX_ROUNDS	99
#define MAX_VARIANTS	3
#define BULK_SIZE	(64 * 1024)
/* How long a wait for something that must already be there may take. */
#define WAIT_MS		5000

static int rounds = 21;
static long round_ms = 150;
static int dev = -1;

static void die(const char *what, ...)
{
	va_list ap;
	int err = errno;

	fprintf(stdout, "wspbench: ");
	va_start(ap, what);
	vfprintf(stdout, what, ap);
	va_end(ap);
	fprintf(stdout, ": %s\n", strerror(err));
	exit(1);
}

static void die_msg(const char *what)
{
	fprintf(stdout, "wspbench: %s\n", what);
	exit(1);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/*
 * A variant of a case: @op does @n operations (it fails the whole program
 * on any error, so a broken path never looks fast).
 */
struct variant {
	const char *name;
	void (*op)(long n);
};

/* The state every case's operations use, set up by the case. */
static struct {
	int wsp, plain;		/* dup: one socket of each kind */
	int pidfd;
	int a, b;		/* a connected pair */
	int efd_a, efd_b;	/* their eventfds (wspshare) */
	int ep_a, ep_b;		/* their epoll fds (native) */
	char *buf, *rbuf;	/* bulk */
} st = {
	.wsp = -1, .plain = -1, .pidfd = -1, .a = -1, .b = -1,
	.efd_a = -1, .efd_b = -1, .ep_a = -1, .ep_b = -1,
};

/* -------------------------------------------------------------- sockets */

static int wsp_socket(int family, int type, unsigned int flags)
{
	struct wsp_socket_args a = {
		.flags = flags, .family = family, .type = type,
	};
	int fd = ioctl(dev, WSP_IOC_SOCKET, &a);

	if (fd < 0)
		die("WSP_IOC_SOCKET");
	return fd;
}

static int plain_socket(int family, int type)
{
	int fd = socket(family, type | SOCK_CLOEXEC, 0);

	if (fd < 0)
		die("socket");
	return fd;
}

/*
 * A connected TCP pair over 127.0.0.1 with TCP_NODELAY on both ends, of
 * wspshare sockets (the listener too, so that the accepted end is one) or
 * of plain sockets.
 */
static void tcp_pair(int wsp, int *a, int *b)
{
	struct sockaddr_in addr = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	socklen_t len = sizeof(addr);
	int l, one = 1;

	l = wsp ? wsp_socket(AF_INET, SOCK_STREAM, WSP_FD_CLOEXEC) :
		  plain_socket(AF_INET, SOCK_STREAM);
	if (bind(l, (struct sockaddr *)&addr, sizeof(addr)) ||
	    listen(l, 1) ||
	    getsockname(l, (struct sockaddr *)&addr, &len))
		die("listener");
	*a = wsp ? wsp_socket(AF_INET, SOCK_STREAM, WSP_FD_CLOEXEC) :
		   plain_socket(AF_INET, SOCK_STREAM);
	if (connect(*a, (struct sockaddr *)&addr, sizeof(addr)))
		die("connect");
	*b = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	if (*b < 0)
		die("accept4");
	close(l);
	if (setsockopt(*a, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) ||
	    setsockopt(*b, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)))
		die("TCP_NODELAY");
}

static void set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK))
		die("O_NONBLOCK");
}

static void event_select(int fd, int efd, unsigned int mask)
{
	struct wsp_event_select_args a = {
		.eventfd = efd, .mask = mask, .descriptor = fd,
	};

	if (ioctl(fd, WSP_IOC_EVENT_SELECT, &a))
		die("WSP_IOC_EVENT_SELECT");
}

static int new_eventfd(void)
{
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	if (efd < 0)
		die("eventfd");
	return efd;
}

static int new_epoll(int fd, unsigned int events)
{
	struct epoll_event ev = { .events = events, .data.fd = fd };
	int ep = epoll_create1(EPOLL_CLOEXEC);

	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev))
		die("epoll");
	return ep;
}

static void close_all(int *fds[], int n)
{
	for (int i = 0; i < n; i++) {
		if (*fds[i] >= 0 && close(*fds[i]))
			die("close");
		*fds[i] = -1;
	}
}

/* ------------------------------------------------------ 1: duplication */

static void op_wsp_dup(long n)
{
	pid_t self = getpid();

	for (long i = 0; i < n; i++) {
		struct wsp_duplicate_args d = { .pid = self };
		struct wsp_redeem_args r = { .flags = WSP_FD_CLOEXEC };
		int fd;

		if (ioctl(st.wsp, WSP_IOC_DUPLICATE, &d))
			die("WSP_IOC_DUPLICATE");
		r.info = d.info;
		fd = ioctl(dev, WSP_IOC_REDEEM, &r);
		if (fd < 0)
			die("WSP_IOC_REDEEM");
		if (close(fd))
			die("close");
	}
}

static void op_pidfd_getfd(long n)
{
	for (long i = 0; i < n; i++) {
		int fd = syscall(SYS_pidfd_getfd, st.pidfd, st.plain, 0);

		if (fd < 0)
			die("pidfd_getfd");
		if (close(fd))
			die("close");
	}
}

static void op_dup(long n)
{
	for (long i = 0; i < n; i++) {
		int fd = dup(st.plain);

		if (fd < 0)
			die("dup");
		if (close(fd))
			die("close");
	}
}

static void setup_dup(void)
{
	st.wsp = wsp_socket(AF_INET, SOCK_STREAM, WSP_FD_CLOEXEC);
	st.plain = plain_socket(AF_INET, SOCK_STREAM);
	st.pidfd = syscall(SYS_pidfd_open, getpid(), 0);
	if (st.pidfd < 0)
		die("pidfd_open");
}

static void teardown_dup(void)
{
	int *fds[] = { &st.wsp, &st.plain, &st.pidfd };

	close_all(fds, 3);
}

/* -------------------------------------------------- 2: 1-byte ping-pong */

/*
 * Both ends live in this process and this thread: a loopback send delivers
 * to the peer's receive queue before it returns (the softirq runs on the
 * way out of the send), so the notification is already there when the
 * other end waits. What is measured is then the notification path itself
 * (the socket's wakeup, the record, the eventfd, the enumeration), not the
 * scheduler: a forked peer pinned to the same CPU would add two context
 * switches per round trip to both variants and drown the difference.
 */
static void wsp_wait(int fd, int efd)
{
	struct pollfd p = { .fd = efd, .events = POLLIN };
	struct wsp_enum_events_args e = { .eventfd = efd };

	if (poll(&p, 1, WAIT_MS) != 1)
		die_msg("pingpong: the eventfd was not signalled");
	if (ioctl(fd, WSP_IOC_ENUM_EVENTS, &e))
		die("WSP_IOC_ENUM_EVENTS");
	if (!(e.network_events & WSP_FD_READ))
		die_msg("pingpong: no FD_READ recorded");
}

static void native_wait(int ep)
{
	struct epoll_event ev;

	if (epoll_wait(ep, &ev, 1, WAIT_MS) != 1)
		die_msg("pingpong: epoll_wait found nothing");
}

static void xsend1(int fd, char c)
{
	if (send(fd, &c, 1, 0) != 1)
		die("send");
}

static void xrecv1(int fd)
{
	char c;

	if (recv(fd, &c, 1, 0) != 1)
		die("recv");
}

static void op_wsp_pingpong(long n)
{
	for (long i = 0; i < n; i++) {
		xsend1(st.a, 'p');
		wsp_wait(st.b, st.efd_b);
		xrecv1(st.b);
		xsend1(st.b, 'q');
		wsp_wait(st.a, st.efd_a);
		xrecv1(st.a);
	}
}

static void op_native_pingpong(long n)
{
	for (long i = 0; i < n; i++) {
		xsend1(st.a, 'p');
		native_wait(st.ep_b);
		xrecv1(st.b);
		xsend1(st.b, 'q');
		native_wait(st.ep_a);
		xrecv1(st.a);
	}
}

/*
 * One pair of each kind; the wspshare pair has an FD_READ event-select on
 * each end (which makes them non-blocking), the plain pair is made
 * non-blocking too and has an epoll instance per end.
 */
static int wsp_a = -1, wsp_b = -1, plain_a = -1, plain_b = -1;

static void setup_pingpong(void)
{
	tcp_pair(1, &wsp_a, &wsp_b);
	tcp_pair(0, &plain_a, &plain_b);
	st.efd_a = new_eventfd();
	st.efd_b = new_eventfd();
	event_select(wsp_a, st.efd_a, WSP_FD_READ);
	event_select(wsp_b, st.efd_b, WSP_FD_READ);
	set_nonblock(plain_a);
	set_nonblock(plain_b);
	st.ep_a = new_epoll(plain_a, EPOLLIN);
	st.ep_b = new_epoll(plain_b, EPOLLIN);
}

static void use_wsp_pair(void)
{
	st.a = wsp_a;
	st.b = wsp_b;
}

static void use_plain_pair(void)
{
	st.a = plain_a;
	st.b = plain_b;
}

static void op_wsp_pingpong_pair(long n)
{
	use_wsp_pair();
	op_wsp_pingpong(n);
}

static void op_native_pingpong_pair(long n)
{
	use_plain_pair();
	op_native_pingpong(n);
}

static void teardown_pair(void)
{
	int *fds[] = { &wsp_a, &wsp_b, &plain_a, &plain_b, &st.efd_a,
		       &st.efd_b, &st.ep_a, &st.ep_b };

	close_all(fds, 8);
}

/* ------------------------------------------- 3: registration switching */

/*
 * On a connected, writable socket: FD_WRITE is true at once, so every
 * switch to it records the event and signals the eventfd, as EPOLLOUT
 * puts the item on epoll's ready list. Each operation is one switch.
 */
static void op_wsp_reselect(long n)
{
	eventfd_t v;

	for (long i = 0; i < n; i++)
		event_select(wsp_a, st.efd_a,
			     (i & 1) ? WSP_FD_WRITE : WSP_FD_READ);
	/* Reset the eventfd (one read per round: noise, not a cost). */
	eventfd_read(st.efd_a, &v);
}

static void op_native_reselect(long n)
{
	for (long i = 0; i < n; i++) {
		struct epoll_event ev = {
			.events = (i & 1) ? EPOLLOUT : EPOLLIN,
			.data.fd = plain_a,
		};

		if (epoll_ctl(st.ep_a, EPOLL_CTL_MOD, plain_a, &ev))
			die("EPOLL_CTL_MOD");
	}
}

static void setup_reselect(void)
{
	tcp_pair(1, &wsp_a, &wsp_b);
	tcp_pair(0, &plain_a, &plain_b);
	st.efd_a = new_eventfd();
	event_select(wsp_a, st.efd_a, WSP_FD_READ);
	set_nonblock(plain_a);
	st.ep_a = new_epoll(plain_a, EPOLLIN);
}

/* ----------------------------------------------------------- 4: bulk */

/*
 * 64 KiB from a to b, both non-blocking, in this one thread: send what
 * the socket takes, receive what has arrived, until all of it is across.
 * Each operation is one 64 KiB transfer.
 */
static void bulk_once(void)
{
	size_t sent = 0, got = 0;

	while (got < BULK_SIZE) {
		int progress = 0;
		ssize_t r;

		if (sent < BULK_SIZE) {
			r = send(st.a, st.buf + sent, BULK_SIZE - sent,
				 MSG_DONTWAIT);
			if (r > 0) {
				sent += r;
				progress = 1;
			} else if (r < 0 && errno != EAGAIN) {
				die("bulk: send");
			}
		}
		r = recv(st.b, st.rbuf, BULK_SIZE, MSG_DONTWAIT);
		if (r > 0) {
			got += r;
			progress = 1;
		} else if (r == 0) {
			die_msg("bulk: the peer closed");
		} else if (errno != EAGAIN) {
			die("bulk: recv");
		}
		if (!progress) {
			struct pollfd p = { .fd = st.b, .events = POLLIN };

			if (poll(&p, 1, WAIT_MS) != 1)
				die_msg("bulk: no data arrived");
		}
	}
	if (got != BULK_SIZE)
		die_msg("bulk: received more than was sent");
}

static void op_wsp_bulk(long n)
{
	use_wsp_pair();
	for (long i = 0; i < n; i++)
		bulk_once();
}

static void op_native_bulk(long n)
{
	use_plain_pair();
	for (long i = 0; i < n; i++)
		bulk_once();
}

static void setup_bulk(void)
{
	tcp_pair(1, &wsp_a, &wsp_b);
	tcp_pair(0, &plain_a, &plain_b);
	set_nonblock(wsp_a);
	set_nonblock(wsp_b);
	set_nonblock(plain_a);
	set_nonblock(plain_b);
	st.buf = calloc(1, BULK_SIZE);
	st.rbuf = malloc(BULK_SIZE);
	if (!st.buf || !st.rbuf)
		die("malloc");
	memset(st.buf, 'b', BULK_SIZE);
}

static void teardown_bulk(void)
{
	teardown_pair();
	free(st.buf);
	free(st.rbuf);
	st.buf = NULL;
	st.rbuf = NULL;
}

/* ---------------------------------------------------------- the driver */

struct bench_case {
	const char *name;
	const char *what;
	/* variants[0] is wspshare; each other one is a native to compare */
	struct variant variants[MAX_VARIANTS];
	int nvariants;
	/* bytes per operation, for a throughput column; 0 if none */
	long bytes;
	void (*setup)(void);
	void (*teardown)(void);
};

static struct bench_case cases[] = {
	{
		.name = "dup",
		.what = "duplicate+redeem+close per op",
		.variants = {
			{ "wsp-dup-redeem", op_wsp_dup },
			{ "pidfd_getfd", op_pidfd_getfd },
			{ "dup", op_dup },
		},
		.nvariants = 3,
		.setup = setup_dup,
		.teardown = teardown_dup,
	},
	{
		.name = "pingpong",
		.what = "1-byte TCP round trip per op",
		.variants = {
			{ "wsp-eventselect", op_wsp_pingpong_pair },
			{ "epoll", op_native_pingpong_pair },
		},
		.nvariants = 2,
		.setup = setup_pingpong,
		.teardown = teardown_pair,
	},
	{
		.name = "reselect",
		.what = "one registration switch per op",
		.variants = {
			{ "wsp-eventselect", op_wsp_reselect },
			{ "epoll_ctl-mod", op_native_reselect },
		},
		.nvariants = 2,
		.setup = setup_reselect,
		.teardown = teardown_pair,
	},
	{
		.name = "bulk",
		.what = "64 KiB over loopback TCP per op",
		.variants = {
			{ "wsp-socket", op_wsp_bulk },
			{ "plain-socket", op_native_bulk },
		},
		.nvariants = 2,
		.bytes = BULK_SIZE,
		.setup = setup_bulk,
		.teardown = teardown_bulk,
	},
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define NCASES ARRAY_SIZE(cases)

/* One comparison row: a case's wspshare variant against one native one. */
struct result {
	const char *cas, *wsp, *native;
	long iters, bytes;
	double wsp_med, nat_med, ratio;
	double r_min, r_q1, r_med, r_q3, r_max;
};

static struct result results[NCASES * (MAX_VARIANTS - 1)];
static int nresults;

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The @p quantile of sorted @v[@n], interpolated. */
static double quantile(const double *v, int n, double p)
{
	double pos = p * (n - 1);
	int i = (int)pos;

	if (i + 1 >= n)
		return v[n - 1];
	return v[i] + (pos - i) * (v[i + 1] - v[i]);
}

static double median_of(const double *v, int n)
{
	double s[MAX_ROUNDS];

	memcpy(s, v, n * sizeof(*v));
	qsort(s, n, sizeof(*s), cmp_double);
	return quantile(s, n, 0.5);
}

/* ns per operation of @n operations of @v. */
static double timed(const struct variant *v, long n)
{
	uint64_t t0 = now_ns();

	v->op(n);
	return (double)(now_ns() - t0) / n;
}

/*
 * Warm up every variant (under TCG the first run of a code path also
 * translates it, which takes far longer than running it), then choose the
 * operations per round: double them until the slowest variant's batch
 * takes an eighth of a round, time three more batches of each, and take
 * as many operations as make the slowest variant's round about round_ms
 * long by its fastest batch (the fastest, because a host busy with other
 * work stops the VM for milliseconds at a time, which only ever adds).
 */
static long calibrate(const struct bench_case *c)
{
	uint64_t limit = (uint64_t)round_ms * 1000000;
	double slowest = 0;
	long n;

	for (int v = 0; v < c->nvariants; v++)
		c->variants[v].op(64);
	for (n = 16; n < (1L << 24); n *= 2) {
		uint64_t worst = 0;

		for (int v = 0; v < c->nvariants; v++) {
			uint64_t t = now_ns();

			c->variants[v].op(n);
			t = now_ns() - t;
			if (t > worst)
				worst = t;
		}
		if (worst * 8 >= limit)
			break;
	}
	for (int v = 0; v < c->nvariants; v++) {
		double best = 0;

		for (int i = 0; i < 3; i++) {
			double t = timed(&c->variants[v], n);

			if (!i || t < best)
				best = t;
		}
		if (best > slowest)
			slowest = best;
	}
	n = (long)((double)limit / slowest);
	return n < 16 ? 16 : n;
}

static void run_case(struct bench_case *c)
{
	double ns[MAX_VARIANTS][MAX_ROUNDS];
	long n;

	printf("# %s: %s; warming up\n", c->name, c->what);
	c->setup();
	n = calibrate(c);
	printf("# %s: %d rounds of %ld ops per variant, alternating\n",
	       c->name, rounds, n);
	for (int r = 0; r < rounds; r++) {
		printf("# %s round %d/%d:", c->name, r + 1, rounds);
		for (int v = 0; v < c->nvariants; v++) {
			ns[v][r] = timed(&c->variants[v], n);
			printf(" %s %.0f ns", c->variants[v].name, ns[v][r]);
		}
		printf("\n");
	}
	c->teardown();

	for (int v = 1; v < c->nvariants; v++) {
		struct result *res = &results[nresults++];
		double ratio[MAX_ROUNDS];

		for (int r = 0; r < rounds; r++)
			ratio[r] = ns[0][r] / ns[v][r];
		qsort(ratio, rounds, sizeof(*ratio), cmp_double);
		res->cas = c->name;
		res->wsp = c->variants[0].name;
		res->native = c->variants[v].name;
		res->iters = n;
		res->bytes = c->bytes;
		res->wsp_med = median_of(ns[0], rounds);
		res->nat_med = median_of(ns[v], rounds);
		res->ratio = res->wsp_med / res->nat_med;
		res->r_min = ratio[0];
		res->r_q1 = quantile(ratio, rounds, 0.25);
		res->r_med = quantile(ratio, rounds, 0.5);
		res->r_q3 = quantile(ratio, rounds, 0.75);
		res->r_max = ratio[rounds - 1];
	}
}

static void print_table(FILE *f, const char *kernel, int cpu)
{
	fprintf(f, "wspbench on %s, CPU %d, %d alternating rounds per variant\n",
		kernel, cpu, rounds);
	fprintf(f, "ns/op: median over the rounds; ratio: wspshare/native of the medians;\n"
		"per-round: median, min-max and IQR of each round's wspshare/native\n");
	fprintf(f, "%-9s %-21s %-13s %10s %10s %6s %6s %11s %11s\n",
		"case", "wspshare", "native", "wsp ns/op", "nat ns/op",
		"ratio", "round", "round min-", "round IQR");
	fprintf(f, "%-9s %-21s %-13s %10s %10s %6s %6s %11s %11s\n",
		"", "", "", "", "", "", "median", "max", "");
	for (int i = 0; i < nresults; i++) {
		struct result *r = &results[i];
		char mm[32], iqr[32];

		snprintf(mm, sizeof(mm), "%.2f-%.2f", r->r_min, r->r_max);
		snprintf(iqr, sizeof(iqr), "%.2f-%.2f", r->r_q1, r->r_q3);
		fprintf(f, "%-9s %-21s %-13s %10.0f %10.0f %6.2f %6.2f %11s %11s\n",
			r->cas, r->wsp, r->native, r->wsp_med, r->nat_med,
			r->ratio, r->r_med, mm, iqr);
		if (r->bytes)
			fprintf(f, "%-9s (throughput: wspshare %.1f MiB/s, native %.1f MiB/s)\n",
				"", r->bytes / r->wsp_med * 1e9 / 1048576,
				r->bytes / r->nat_med * 1e9 / 1048576);
	}
}

static void print_csv(FILE *f, const char *kernel)
{
	fprintf(f, "kernel,case,wspshare,native,rounds,ops_per_round,bytes_per_op,"
		"wsp_median_ns,native_median_ns,ratio,"
		"ratio_min,ratio_q1,ratio_median,ratio_q3,ratio_max\n");
	for (int i = 0; i < nresults; i++) {
		struct result *r = &results[i];

		fprintf(f, "%s,%s,%s,%s,%d,%ld,%ld,%.1f,%.1f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f\n",
			kernel, r->cas, r->wsp, r->native, rounds, r->iters,
			r->bytes, r->wsp_med, r->nat_med, r->ratio, r->r_min,
			r->r_q1, r->r_med, r->r_q3, r->r_max);
	}
}

/* Pin to one CPU: the last one this process may use. */
static int pin(void)
{
	cpu_set_t set;
	int cpu = -1;

	if (sched_getaffinity(0, sizeof(set), &set))
		die("sched_getaffinity");
	for (int i = 0; i < CPU_SETSIZE; i++)
		if (CPU_ISSET(i, &set))
			cpu = i;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("sched_setaffinity");
	return cpu;
}

/* The module's counters must all be back at zero: 0 if they are. */
static int check_counters(void)
{
	FILE *f = fopen("/sys/kernel/debug/wspshare/counters", "r");
	char name[64];
	long value;
	int bad = 0;

	if (!f) {
		printf("# counters: not readable (%s), not checked\n",
		       strerror(errno));
		return 0;
	}
	while (fscanf(f, "%63[^:]: %ld\n", name, &value) == 2) {
		if (value) {
			printf("wspbench: counter %s is %ld at the end\n",
			       name, value);
			bad = 1;
		}
	}
	fclose(f);
	if (!bad)
		printf("# counters: all zero\n");
	return bad;
}

int main(int argc, char **argv)
{
	const char *csv_path = "/tmp/wspbench.csv";
	struct wsp_version ver = { 0 };
	struct utsname u;
	FILE *csv;
	int opt, cpu;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((opt = getopt(argc, argv, "r:t:")) != -1) {
		switch (opt) {
		case 'r':
			rounds = atoi(optarg);
			break;
		case 't':
			round_ms = atol(optarg);
			break;
		default:
			goto usage;
		}
	}
	if (optind < argc)
		csv_path = argv[optind++];
	if (optind < argc || rounds < 1 || rounds > MAX_ROUNDS || round_ms < 1)
		goto usage;

	uname(&u);
	dev = open(WSP_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	if (dev < 0)
		die("%s (is the module loaded?)", WSP_DEVICE_PATH);
	if (ioctl(dev, WSP_IOC_VERSION, &ver))
		die("WSP_IOC_VERSION");
	if (ver.abi_version != WSP_ABI_VERSION) {
		printf("wspbench: the module speaks ABI %u, this program %d\n",
		       ver.abi_version, WSP_ABI_VERSION);
		return 1;
	}
	cpu = pin();
	printf("# wspbench: kernel %s, module ABI %u (%u.%u), pinned to CPU %d, "
	       "%d rounds of ~%ld ms\n",
	       u.release, ver.abi_version, ver.module_major, ver.module_minor,
	       cpu, rounds, round_ms);

	for (size_t i = 0; i < NCASES; i++)
		run_case(&cases[i]);
	close(dev);

	printf("WSPBENCH-TABLE-BEGIN\n");
	print_table(stdout, u.release, cpu);
	printf("WSPBENCH-TABLE-END\n");
	printf("WSPBENCH-CSV-BEGIN\n");
	print_csv(stdout, u.release);
	printf("WSPBENCH-CSV-END\n");
	csv = fopen(csv_path, "w");
	if (!csv)
		die("%s", csv_path);
	print_csv(csv, u.release);
	if (fclose(csv))
		die("%s", csv_path);
	printf("# CSV written to %s\n", csv_path);
	return check_counters();

usage:
	fprintf(stderr, "usage: %s [-r ROUNDS] [-t ROUND_MS] [CSV_PATH]\n",
		argv[0]);
	return 2;
}

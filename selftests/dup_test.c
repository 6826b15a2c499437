// SPDX-License-Identifier: GPL-2.0
/*
 * dup_test - duplicated descriptors (WSP_IOC_DUPLICATE, WSP_IOC_REDEEM):
 * a wspshare descriptor is a descriptor of a real socket file, and a
 * redemption, like dup(2), fork and SCM_RIGHTS, gives one more descriptor
 * of that same file (same socket id, same inode). So every descriptor of
 * one socket shares its state (options, blocking mode = the file's
 * O_NONBLOCK, registration), and the socket lives until the last
 * descriptor and the last pending duplication are gone.
 *
 * Cross-process tests use "agents": children forked from the test process
 * before the sockets of the test exist, that run one command at a time
 * sent over a pipe and answer over another. The parent waits for each
 * answer with poll() and a timeout; every agent is reaped by the test (its
 * exit status checked) or, when the test fails early, killed and reaped by
 * the fixture's teardown.
 */
#include <limits.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "wsp_notify.h"

/* How long the parent waits for an agent or a peer before failing. */
#define WAIT_MS		10000
/* How long "nothing happens" is watched for (a poll that must time out). */
#define QUIET_MS	100

/* ---------------------------------------------------------------- */
/* Small local helpers                                               */
/* ---------------------------------------------------------------- */

static long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000L + ts.tv_nsec / 1000;
}

/* WSP_IOC_REDEEM with @flags: the new descriptor or -errno. */
static int redeem(int dev, const struct wsp_protocol_info *info,
		  unsigned int flags)
{
	struct wsp_redeem_args a = { .flags = flags, .info = *info };
	int fd = ioctl(dev, WSP_IOC_REDEEM, &a);

	return fd < 0 ? -errno : fd;
}

/* WSP_IOC_SOCKET_INFO's socket_id, asserted to work. */
static uint64_t socket_id(struct __test_metadata *_metadata, int fd)
{
	struct wsp_socket_info si;

	ASSERT_EQ(0, wsp_info(fd, &si)) TH_LOG("SOCKET_INFO on fd %d", fd);
	return si.socket_id;
}

/* WSP_IOC_SOCKET_INFO's pending_duplicates, asserted to work. */
static unsigned int pending(struct __test_metadata *_metadata, int fd)
{
	struct wsp_socket_info si;

	ASSERT_EQ(0, wsp_info(fd, &si)) TH_LOG("SOCKET_INFO on fd %d", fd);
	return si.pending_duplicates;
}

/* The inode of the file @fd refers to (0 if fstat fails or it is no socket). */
static unsigned long long file_ino(int fd)
{
	struct stat st;

	if (fstat(fd, &st) || !S_ISSOCK(st.st_mode))
		return 0;
	return st.st_ino;
}

/* Whether @fd is non-blocking: the file's O_NONBLOCK, or -errno. */
static int file_nonblocking(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 ? -errno : !!(fl & O_NONBLOCK);
}

/* The state letter of /proc/<pid>/stat (of the thread group's leader). */
static char proc_state(pid_t pid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : 0;
}

/* Plain kernel sockets: the peers and the port probes. */

static void loop4(struct sockaddr_in *sin, uint16_t port)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
}

/* A plain listening TCP socket on 127.0.0.1, port chosen by the kernel. */
static int plain_listener(uint16_t *port)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	loop4(&sin, 0);
	if (bind(fd, (void *)&sin, sizeof(sin)) || listen(fd, 8) ||
	    getsockname(fd, (void *)&sin, &len)) {
		int err = -errno;

		close(fd);
		return err;
	}
	*port = ntohs(sin.sin_port);
	return fd;
}

/* A plain socket of @type connected to 127.0.0.1:@port, or -errno. */
static int plain_connect(int type, uint16_t port)
{
	struct sockaddr_in sin;
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	loop4(&sin, port);
	if (connect(fd, (void *)&sin, sizeof(sin))) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/*
 * Whether 127.0.0.1:@port can be bound now by a fresh socket of @type
 * WITHOUT SO_REUSEADDR: 0, or -errno (EADDRINUSE while the port is held).
 */
static int plain_bind_probe(int type, uint16_t port)
{
	struct sockaddr_in sin;
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0), ret;

	if (fd < 0)
		return -errno;
	loop4(&sin, port);
	ret = bind(fd, (void *)&sin, sizeof(sin)) ? -errno : 0;
	close(fd);
	return ret;
}

/* poll() one fd for @events: the revents, 0 on timeout, -errno. */
static int poll_one(int fd, short events, int ms)
{
	struct pollfd p = { .fd = fd, .events = events };
	int n = poll(&p, 1, ms);

	if (n < 0)
		return -errno;
	return n ? p.revents : 0;
}

/* Read exactly @len bytes from a plain socket within WAIT_MS: 0 or -1. */
static int plain_read_exact(int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n;

		if (poll_one(fd, POLLIN, WAIT_MS) <= 0)
			return -1;
		n = recv(fd, (char *)buf + got, len - got, MSG_DONTWAIT);
		if (n <= 0)
			return -1;
		got += n;
	}
	return 0;
}

/* A wspshare socket of @type bound to 127.0.0.1:0; *port its port. */
static int wsp_bound(int dev, int type, uint16_t *port)
{
	struct test_addr addr;
	int fd = wsp_socket(dev, AF_INET, type, 0, WSP_FD_CLOEXEC), ret;

	if (fd < 0)
		return fd;
	wsp_loopback(&addr, AF_INET, 0);
	ret = wsp_bind(fd, &addr);
	if (!ret)
		ret = wsp_getsockname(fd, &addr);
	if (ret) {
		close(fd);
		return ret;
	}
	*port = wsp_port(&addr);
	return fd;
}

/*
 * The counters now, as a reference for wsp_counters_match(): the windows
 * are not these tests' business (-1 matches any count).
 */
static int read_counters_no_windows(struct wsp_counters *c)
{
	int ret = wsp_read_counters(c);

	c->windows = -1;
	return ret;
}

/* Explain a counters check that failed: @c now, @c0 as they were. */
static void log_counters(struct __test_metadata *_metadata,
			 const struct wsp_counters *c,
			 const struct wsp_counters *c0)
{
	TH_LOG("sockets %ld (was %ld), pending %ld (was %ld), registrations %ld (was %ld)",
	       c->sockets, c0->sockets, c->pending_duplicates,
	       c0->pending_duplicates, c->registrations, c0->registrations);
}

/* ---------------------------------------------------------------- */
/* Agents: child processes that run one command at a time            */
/* ---------------------------------------------------------------- */

#define MAX_AGENTS	3
#define AG_DATA		64

enum ag_op {
	AG_EXIT, AG_SOCKET, AG_REDEEM, AG_DUPLICATE, AG_INFO, AG_FDINFO,
	AG_GETOPT, AG_SETOPT, AG_NONBLOCK, AG_SEND, AG_RECV, AG_ACCEPT,
	AG_CLOSE, AG_RECVFD, AG_LEADER_EXIT, AG_FSTAT, AG_GETFL, AG_SETFL,
	AG_EVENT_SELECT, AG_GET_REGISTRATION,
};

struct ag_cmd {
	int op;
	int fd;
	int a, b, c;		/* socket: family/type/protocol; opt: level/name */
	unsigned int flags;
	unsigned int len;
	int pid;
	struct wsp_protocol_info info;
	unsigned char data[AG_DATA];
};

struct ag_reply {
	long ret;		/* the result, or -errno */
	long usec;		/* how long the call took */
	unsigned int len;
	unsigned long long id;	/* fdinfo's socket id; fstat's inode */
	struct wsp_socket_info si;
	struct wsp_registration reg;
	struct wsp_protocol_info info;
	unsigned char data[AG_DATA];
};

struct agent {
	pid_t pid;		/* the child to reap; 0: not running */
	pid_t target;		/* who runs the commands, as we see it */
	int cmd;		/* write end of the command pipe */
	int reply;		/* read end of the reply pipe */
};

/* Agent exit statuses. */
#define AG_EXIT_OK	0
#define AG_EXIT_ORPHAN	2	/* the test went away */
#define AG_EXIT_IO	3
#define AG_EXIT_NS	4	/* no new pid namespace */

static void __attribute__((noreturn)) agent_main(int in, int out);

struct agent_io {
	int in, out;
};

static void *agent_thread(void *arg)
{
	struct agent_io *io = arg;

	agent_main(io->in, io->out);
}

static ssize_t read_full(int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, (char *)buf + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return got ? (ssize_t)got : n;
		got += n;
	}
	return got;
}

static void __attribute__((noreturn)) agent_main(int in, int out)
{
	for (;;) {
		struct ag_cmd c;
		struct ag_reply r;
		ssize_t n = read_full(in, &c, sizeof(c));
		long t0;

		if (n == 0)
			_exit(AG_EXIT_ORPHAN);
		if (n != sizeof(c))
			_exit(AG_EXIT_IO);
		memset(&r, 0, sizeof(r));
		t0 = now_us();
		switch (c.op) {
		case AG_EXIT:
			_exit(AG_EXIT_OK);
		case AG_SOCKET:
			r.ret = wsp_socket(c.fd, c.a, c.b, c.c, c.flags);
			break;
		case AG_REDEEM:
			r.ret = redeem(c.fd, &c.info, c.flags);
			break;
		case AG_DUPLICATE:
			r.ret = wsp_duplicate(c.fd, c.pid, &r.info);
			break;
		case AG_INFO:
			r.ret = wsp_info(c.fd, &r.si);
			break;
		case AG_FDINFO:
			r.ret = wsp_fdinfo_socket_id(c.fd, &r.id);
			break;
		case AG_GETOPT:
			r.len = sizeof(r.data);
			r.ret = wsp_getsockopt(c.fd, c.a, c.b, r.data, &r.len);
			break;
		case AG_SETOPT:
			r.ret = wsp_setsockopt(c.fd, c.a, c.b, c.data, c.len);
			break;
		case AG_NONBLOCK:
			r.ret = wsp_set_nonblock(c.fd, c.a);
			break;
		case AG_SEND:
			r.ret = wsp_send(c.fd, c.data, c.len, c.flags);
			break;
		case AG_RECV:
			r.ret = wsp_recv(c.fd, r.data,
					 c.len < AG_DATA ? c.len : AG_DATA,
					 c.flags);
			r.len = r.ret > 0 ? r.ret : 0;
			break;
		case AG_ACCEPT:
			r.ret = wsp_accept(c.fd, NULL);
			break;
		case AG_CLOSE:
			r.ret = close(c.fd) ? -errno : 0;
			break;
		case AG_RECVFD:
			r.ret = wsp_recv_fd(c.fd);
			break;
		case AG_FSTAT:
			r.id = file_ino(c.fd);
			r.ret = r.id ? 0 : -EBADF;
			break;
		case AG_GETFL:
			r.ret = fcntl(c.fd, F_GETFL);
			if (r.ret < 0)
				r.ret = -errno;
			break;
		case AG_SETFL:
			r.ret = fcntl(c.fd, F_SETFL, c.a) ? -errno : 0;
			break;
		case AG_EVENT_SELECT:
			r.ret = wsp_event_select(c.fd, c.a, c.b);
			break;
		case AG_GET_REGISTRATION:
			r.ret = wsp_get_registration(c.fd, &r.reg);
			break;
		case AG_LEADER_EXIT: {
			/*
			 * Go on in another thread, and end this one, the
			 * thread group's leader: the process lives on.
			 */
			static struct agent_io io;
			pthread_t th;

			io.in = in;
			io.out = out;
			r.ret = -pthread_create(&th, NULL, agent_thread, &io);
			if (write(out, &r, sizeof(r)) != sizeof(r))
				_exit(AG_EXIT_IO);
			if (!r.ret)
				pthread_exit(NULL);
			continue;
		}
		default:
			r.ret = -EINVAL;
		}
		r.usec = now_us() - t0;
		if (write(out, &r, sizeof(r)) != sizeof(r))
			_exit(AG_EXIT_IO);
	}
}

/*
 * Fork the process of agent @i of @all, with a command and a reply pipe.
 * In the child: 0, with *cmd_in and *reply_out its ends (the others' pipe
 * ends are not inherited). In the parent: the child's pid, recorded with
 * the parent's ends in all[i].
 */
static pid_t agent_fork(struct __test_metadata *_metadata, struct agent *all,
			int i, int *cmd_in, int *reply_out)
{
	int cmd[2], rep[2], j;
	pid_t pid;

	ASSERT_EQ(0, all[i].pid);
	ASSERT_EQ(0, pipe2(cmd, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(rep, O_CLOEXEC));
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		for (j = 0; j < MAX_AGENTS; j++) {
			if (all[j].pid) {
				close(all[j].cmd);
				close(all[j].reply);
			}
		}
		close(cmd[1]);
		close(rep[0]);
		*cmd_in = cmd[0];
		*reply_out = rep[1];
		return 0;
	}
	close(cmd[0]);
	close(rep[1]);
	all[i].pid = pid;
	all[i].target = pid;	/* agent_start_pidns() learns better */
	all[i].cmd = cmd[1];
	all[i].reply = rep[0];
	return pid;
}

/* Start agent @i of @all. */
static void agent_start(struct __test_metadata *_metadata,
			struct agent *all, int i)
{
	int cmd, rep;

	if (agent_fork(_metadata, all, i, &cmd, &rep) == 0)
		agent_main(cmd, rep);
}

/*
 * Start agent @i in a new pid namespace: the child unshares and forks the
 * agent (pid 1 there), tells us its pid as we see it, and waits for it.
 */
static void agent_start_pidns(struct __test_metadata *_metadata,
			      struct agent *all, int i)
{
	int cmd, rep, status;
	pid_t g = 0;

	if (agent_fork(_metadata, all, i, &cmd, &rep) == 0) {
		if (unshare(CLONE_NEWPID))
			_exit(AG_EXIT_NS);
		g = fork();
		if (g < 0)
			_exit(AG_EXIT_NS);
		if (g == 0)
			agent_main(cmd, rep);
		close(cmd);
		if (write(rep, &g, sizeof(g)) != sizeof(g))
			_exit(AG_EXIT_IO);
		close(rep);
		if (waitpid(g, &status, 0) != g)
			_exit(AG_EXIT_IO);
		_exit(WIFEXITED(status) ? WEXITSTATUS(status) : AG_EXIT_IO);
	}
	ASSERT_NE(0, poll_one(all[i].reply, POLLIN, WAIT_MS));
	ASSERT_EQ(sizeof(g), read_full(all[i].reply, &g, sizeof(g)))
		TH_LOG("no agent in a new pid namespace (unshare needs root)");
	ASSERT_LT(1, g);
	all[i].target = g;
}

/* Send one command and wait (bounded) for its answer. */
static void ag_call(struct __test_metadata *_metadata, struct agent *a,
		    struct ag_cmd *c, struct ag_reply *r)
{
	ASSERT_NE(0, a->pid);
	ASSERT_EQ(sizeof(*c), write(a->cmd, c, sizeof(*c)));
	ASSERT_EQ(POLLIN, poll_one(a->reply, POLLIN, WAIT_MS) & POLLIN)
		TH_LOG("agent %d did not answer command %d (it died, or took over %d ms)",
		       a->pid, c->op, WAIT_MS);
	ASSERT_EQ(sizeof(*r), read_full(a->reply, r, sizeof(*r)))
		TH_LOG("agent %d died during command %d", a->pid, c->op);
}

/* Tell the agent to exit; check that it did, with status 0. */
static void agent_stop(struct __test_metadata *_metadata, struct agent *a)
{
	struct ag_cmd c = { .op = AG_EXIT };
	int status = 0;
	pid_t pid = a->pid;
	char byte;

	ASSERT_NE(0, pid);
	ASSERT_EQ(sizeof(c), write(a->cmd, &c, sizeof(c)));
	/* Its exit closes the reply pipe. */
	ASSERT_NE(0, poll_one(a->reply, POLLIN, WAIT_MS))
		TH_LOG("agent %d did not exit within %d ms", pid, WAIT_MS);
	ASSERT_EQ(0, read(a->reply, &byte, 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	close(a->cmd);
	close(a->reply);
	a->pid = 0;
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(AG_EXIT_OK, WEXITSTATUS(status));
}

/* Teardown: kill and reap whatever agent a failed test left running. */
static void agents_reap(struct agent *all)
{
	int i;

	for (i = 0; i < MAX_AGENTS; i++) {
		if (!all[i].pid)
			continue;
		if (all[i].target != all[i].pid)
			kill(all[i].target, SIGKILL);
		kill(all[i].pid, SIGKILL);
		waitpid(all[i].pid, NULL, 0);
		close(all[i].cmd);
		close(all[i].reply);
		all[i].pid = 0;
	}
}

static long ag_simple(struct __test_metadata *_metadata, struct agent *a,
		      int op, int fd, int arg)
{
	struct ag_cmd c = { .op = op, .fd = fd, .a = arg };
	struct ag_reply r;

	ag_call(_metadata, a, &c, &r);
	return r.ret;
}

static long ag_redeem(struct __test_metadata *_metadata, struct agent *a,
		      int dev, const struct wsp_protocol_info *info,
		      unsigned int flags)
{
	struct ag_cmd c = {
		.op = AG_REDEEM, .fd = dev, .flags = flags, .info = *info,
	};
	struct ag_reply r;

	ag_call(_metadata, a, &c, &r);
	return r.ret;
}

static long ag_duplicate(struct __test_metadata *_metadata, struct agent *a,
			 int fd, pid_t pid, struct wsp_protocol_info *info)
{
	struct ag_cmd c = { .op = AG_DUPLICATE, .fd = fd, .pid = pid };
	struct ag_reply r;

	ag_call(_metadata, a, &c, &r);
	*info = r.info;
	return r.ret;
}

static long ag_info(struct __test_metadata *_metadata, struct agent *a,
		    int fd, struct wsp_socket_info *si)
{
	struct ag_cmd c = { .op = AG_INFO, .fd = fd };
	struct ag_reply r;

	ag_call(_metadata, a, &c, &r);
	*si = r.si;
	return r.ret;
}

static long ag_fdinfo(struct __test_metadata *_metadata, struct agent *a,
		      int fd, unsigned long long *id)
{
	struct ag_cmd c = { .op = AG_FDINFO, .fd = fd };
	struct ag_reply r;

	ag_call(_metadata, a, &c, &r);
	*id = r.id;
	return r.ret;
}

/* The inode of the agent's @fd (0 on failure). */
static unsigned long long ag_ino(struct __test_metadata *_metadata,
				 struct agent *a, int fd)
{
	struct ag_cmd c = { .op = AG_FSTAT, .fd = fd };
	struct ag_reply r;

	ag_call(_metadata, a, &c, &r);
	return r.ret ? 0 : r.id;
}

static long ag_get_registration(struct __test_metadata *_metadata,
				struct agent *a, int fd,
				struct wsp_registration *reg)
{
	struct ag_cmd c = { .op = AG_GET_REGISTRATION, .fd = fd };
	struct ag_reply r;

	ag_call(_metadata, a, &c, &r);
	*reg = r.reg;
	return r.ret;
}

static long ag_event_select(struct __test_metadata *_metadata,
			    struct agent *a, int fd, int efd,
			    unsigned int mask)
{
	struct ag_cmd c = { .op = AG_EVENT_SELECT, .fd = fd, .a = efd,
			    .b = mask };
	struct ag_reply r;

	ag_call(_metadata, a, &c, &r);
	return r.ret;
}

static long ag_getopt(struct __test_metadata *_metadata, struct agent *a,
		      int fd, int level, int name, void *val,
		      unsigned int *len)
{
	struct ag_cmd c = { .op = AG_GETOPT, .fd = fd, .a = level, .b = name };
	struct ag_reply r;

	ag_call(_metadata, a, &c, &r);
	if (r.ret == 0) {
		ASSERT_GE(*len, r.len);
		memcpy(val, r.data, r.len);
		*len = r.len;
	}
	return r.ret;
}

static long ag_setopt(struct __test_metadata *_metadata, struct agent *a,
		      int fd, int level, int name, const void *val,
		      unsigned int len)
{
	struct ag_cmd c = {
		.op = AG_SETOPT, .fd = fd, .a = level, .b = name, .len = len,
	};
	struct ag_reply r;

	ASSERT_GE(AG_DATA, len);
	memcpy(c.data, val, len);
	ag_call(_metadata, a, &c, &r);
	return r.ret;
}

static long ag_send(struct __test_metadata *_metadata, struct agent *a,
		    int fd, const void *buf, unsigned int len)
{
	struct ag_cmd c = { .op = AG_SEND, .fd = fd, .len = len };
	struct ag_reply r;

	ASSERT_GE(AG_DATA, len);
	memcpy(c.data, buf, len);
	ag_call(_metadata, a, &c, &r);
	return r.ret;
}

static long ag_recv(struct __test_metadata *_metadata, struct agent *a,
		    int fd, void *buf, unsigned int len, unsigned int flags,
		    long *usec)
{
	struct ag_cmd c = { .op = AG_RECV, .fd = fd, .len = len,
			    .flags = flags };
	struct ag_reply r;

	ag_call(_metadata, a, &c, &r);
	if (r.ret > 0)
		memcpy(buf, r.data, r.len);
	if (usec)
		*usec = r.usec;
	return r.ret;
}

static long ag_socket(struct __test_metadata *_metadata, struct agent *a,
		      int dev, int family, int type)
{
	struct ag_cmd c = { .op = AG_SOCKET, .fd = dev, .a = family,
			    .b = type, .flags = WSP_FD_CLOEXEC };
	struct ag_reply r;

	ag_call(_metadata, a, &c, &r);
	return r.ret;
}

/* ---------------------------------------------------------------- */
/* Holders: one descriptor, in this process or in an agent           */
/* ---------------------------------------------------------------- */

struct holder {
	struct agent *ag;	/* NULL: this process */
	int fd;
};

static long h_info(struct __test_metadata *_metadata, const struct holder *h,
		   struct wsp_socket_info *si)
{
	return h->ag ? ag_info(_metadata, h->ag, h->fd, si) : wsp_info(h->fd, si);
}

static long h_close(struct __test_metadata *_metadata, const struct holder *h)
{
	if (h->ag)
		return ag_simple(_metadata, h->ag, AG_CLOSE, h->fd, 0);
	return close(h->fd) ? -errno : 0;
}

static long h_send(struct __test_metadata *_metadata, const struct holder *h,
		   const void *buf, unsigned int len)
{
	if (h->ag)
		return ag_send(_metadata, h->ag, h->fd, buf, len);
	return wsp_send(h->fd, buf, len, 0);
}

static long h_recv(struct __test_metadata *_metadata, const struct holder *h,
		   void *buf, unsigned int len, unsigned int flags, long *usec)
{
	long t0, n;

	if (h->ag)
		return ag_recv(_metadata, h->ag, h->fd, buf, len, flags, usec);
	t0 = now_us();
	n = wsp_recv(h->fd, buf, len, flags);
	if (usec)
		*usec = now_us() - t0;
	return n;
}

static long h_nonblock(struct __test_metadata *_metadata,
		       const struct holder *h, int on)
{
	if (h->ag)
		return ag_simple(_metadata, h->ag, AG_NONBLOCK, h->fd, on);
	return wsp_set_nonblock(h->fd, on);
}

/* The file's O_NONBLOCK through @h: 0, 1, or -errno. */
static long h_file_nonblocking(struct __test_metadata *_metadata,
			       const struct holder *h)
{
	long fl;

	if (!h->ag)
		return file_nonblocking(h->fd);
	fl = ag_simple(_metadata, h->ag, AG_GETFL, h->fd, 0);
	return fl < 0 ? fl : !!(fl & O_NONBLOCK);
}

/* fcntl(F_SETFL) through @h: O_NONBLOCK on or off, the rest kept. */
static long h_set_o_nonblock(struct __test_metadata *_metadata,
			     const struct holder *h, int on)
{
	long fl;

	if (!h->ag) {
		fl = fcntl(h->fd, F_GETFL);
		if (fl < 0)
			return -errno;
		fl = on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK;
		return fcntl(h->fd, F_SETFL, fl) ? -errno : 0;
	}
	fl = ag_simple(_metadata, h->ag, AG_GETFL, h->fd, 0);
	if (fl < 0)
		return fl;
	fl = on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK;
	return ag_simple(_metadata, h->ag, AG_SETFL, h->fd, fl);
}

static long h_event_select(struct __test_metadata *_metadata,
			   const struct holder *h, int efd, unsigned int mask)
{
	if (h->ag)
		return ag_event_select(_metadata, h->ag, h->fd, efd, mask);
	return wsp_event_select(h->fd, efd, mask);
}

static long h_get_registration(struct __test_metadata *_metadata,
			       const struct holder *h,
			       struct wsp_registration *reg)
{
	if (h->ag)
		return ag_get_registration(_metadata, h->ag, h->fd, reg);
	return wsp_get_registration(h->fd, reg);
}

static unsigned long long h_ino(struct __test_metadata *_metadata,
				const struct holder *h)
{
	return h->ag ? ag_ino(_metadata, h->ag, h->fd) : file_ino(h->fd);
}

static long h_setopt(struct __test_metadata *_metadata, const struct holder *h,
		     int level, int name, const void *val, unsigned int len)
{
	if (h->ag)
		return ag_setopt(_metadata, h->ag, h->fd, level, name, val, len);
	return wsp_setsockopt(h->fd, level, name, val, len);
}

static long h_getopt(struct __test_metadata *_metadata, const struct holder *h,
		     int level, int name, void *val, unsigned int *len)
{
	if (h->ag)
		return ag_getopt(_metadata, h->ag, h->fd, level, name, val, len);
	return wsp_getsockopt(h->fd, level, name, val, len);
}

static int h_getopt_int(struct __test_metadata *_metadata,
			const struct holder *h, int level, int name)
{
	unsigned int len = sizeof(int);
	int val = -1;

	ASSERT_EQ(0, h_getopt(_metadata, h, level, name, &val, &len))
		TH_LOG("getsockopt(%d, %d) through %s", level, name,
		       h->ag ? "the agent" : "this process");
	ASSERT_EQ(sizeof(int), len);
	return val;
}

static void h_setopt_int(struct __test_metadata *_metadata,
			 const struct holder *h, int level, int name, int val)
{
	ASSERT_EQ(0, h_setopt(_metadata, h, level, name, &val, sizeof(val)))
		TH_LOG("setsockopt(%d, %d, %d) through %s", level, name, val,
		       h->ag ? "the agent" : "this process");
}

/*
 * Duplicate @src for @ag's process (this one when NULL) and redeem it
 * there: the new descriptor, checked to be of the same socket.
 */
static struct holder make_dup(struct __test_metadata *_metadata, int dev,
			      int src, struct agent *ag)
{
	struct wsp_protocol_info info;
	struct wsp_socket_info si, si2;
	struct holder h = { .ag = ag, .fd = -1 };
	long fd;

	ASSERT_EQ(0, wsp_info(src, &si));
	ASSERT_EQ(0, wsp_duplicate(src, ag ? ag->target : getpid(), &info));
	if (ag)
		fd = ag_redeem(_metadata, ag, dev, &info, WSP_FD_CLOEXEC);
	else
		fd = redeem(dev, &info, WSP_FD_CLOEXEC);
	ASSERT_LE(0, fd) TH_LOG("redeem: %s", strerror(-fd));
	h.fd = fd;
	ASSERT_EQ(0, h_info(_metadata, &h, &si2));
	ASSERT_EQ(si.socket_id, si2.socket_id);
	ASSERT_NE(0, file_ino(src));
	ASSERT_EQ(file_ino(src), h_ino(_metadata, &h))
		TH_LOG("the redeemed descriptor is not of the same socket file");
	return h;
}

/* A wspshare TCP client (*client) connected to a plain peer (*peer). */
static void tcp_to_plain_peer(struct __test_metadata *_metadata, int dev,
			      int *client, int *peer)
{
	struct test_addr addr;
	uint16_t port = 0;
	int l;

	l = plain_listener(&port);
	ASSERT_LE(0, l);
	*client = wsp_socket(dev, AF_INET, SOCK_STREAM, 0, WSP_FD_CLOEXEC);
	ASSERT_LE(0, *client) TH_LOG("WSP_IOC_SOCKET: %s", strerror(-*client));
	wsp_loopback(&addr, AF_INET, port);
	ASSERT_EQ(0, wsp_connect(*client, &addr));
	*peer = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	ASSERT_LE(0, *peer);
	close(l);
}

/* Everything a peer sent through @h is read, exactly. */
static void h_expect_data(struct __test_metadata *_metadata,
			  const struct holder *h, const char *want)
{
	char buf[AG_DATA] = "";
	size_t len = strlen(want), got = 0;

	while (got < len) {
		long n = h_recv(_metadata, h, buf + got, len - got, 0, NULL);

		ASSERT_LT(0, n) TH_LOG("recv: %s", n ? strerror(-n) : "EOF");
		got += n;
	}
	ASSERT_EQ(0, memcmp(buf, want, len));
}

static void peer_expect_data(struct __test_metadata *_metadata, int peer,
			     const char *want)
{
	char buf[AG_DATA] = "";
	size_t len = strlen(want);

	ASSERT_EQ(0, plain_read_exact(peer, buf, len))
		TH_LOG("the peer did not receive \"%s\"", want);
	ASSERT_EQ(0, memcmp(buf, want, len));
}

/* ---------------------------------------------------------------- */
/* The fixture of most tests                                         */
/* ---------------------------------------------------------------- */

/* The device and the agents of the dup, order and counters fixtures. */
static void agents_setup(struct __test_metadata *_metadata, int *dev,
			 struct agent *ag)
{
	memset(ag, 0, MAX_AGENTS * sizeof(*ag));
	/* A write to a dead agent or peer fails with EPIPE, and says so. */
	signal(SIGPIPE, SIG_IGN);
	WSP_SETUP_DEVICE(*dev);
}

static void agents_teardown(int dev, struct agent *ag)
{
	agents_reap(ag);
	if (dev >= 0)
		close(dev);
}

FIXTURE(dup) {
	int dev;
	struct agent ag[MAX_AGENTS];
};

FIXTURE_SETUP(dup)
{
	agents_setup(_metadata, &self->dev, self->ag);
}

FIXTURE_TEARDOWN(dup)
{
	agents_teardown(self->dev, self->ag);
}

static int new_tcp(struct __test_metadata *_metadata, int dev)
{
	int fd = wsp_socket(dev, AF_INET, SOCK_STREAM, 0, WSP_FD_CLOEXEC);

	ASSERT_LE(0, fd) TH_LOG("WSP_IOC_SOCKET: %s", strerror(-fd));
	return fd;
}

/* The record describes the socket: family, type, protocol. */
TEST_F(dup, record_describes_socket)
{
	static const struct { int family, type; } kinds[] = {
		{ AF_INET, SOCK_STREAM }, { AF_INET, SOCK_DGRAM },
		{ AF_INET6, SOCK_STREAM }, { AF_INET6, SOCK_DGRAM },
	};
	struct wsp_protocol_info info;
	struct wsp_socket_info si;
	unsigned int i;
	int fd, r;

	for (i = 0; i < ARRAY_SIZE(kinds); i++) {
		fd = wsp_socket(self->dev, kinds[i].family, kinds[i].type, 0,
				WSP_FD_CLOEXEC);
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, wsp_info(fd, &si));
		memset(&info, 0xa5, sizeof(info));
		ASSERT_EQ(0, wsp_duplicate(fd, getpid(), &info));
		EXPECT_EQ(kinds[i].family, info.family);
		EXPECT_EQ(kinds[i].type, info.type);
		EXPECT_EQ(si.protocol, info.protocol);
		EXPECT_EQ(kinds[i].type == SOCK_STREAM ? IPPROTO_TCP :
			  IPPROTO_UDP, info.protocol);
		EXPECT_EQ(0, info.__reserved);
		r = redeem(self->dev, &info, WSP_FD_CLOEXEC);
		ASSERT_LE(0, r);
		close(r);
		close(fd);
	}
}

/* Each duplication has its own token and a random secret. */
TEST_F(dup, tokens_are_distinct)
{
	struct wsp_protocol_info a, b;
	int fd = new_tcp(_metadata, self->dev), r;

	ASSERT_EQ(0, wsp_duplicate(fd, getpid(), &a));
	ASSERT_EQ(0, wsp_duplicate(fd, getpid(), &b));
	EXPECT_NE(a.token_id, b.token_id);
	EXPECT_NE(a.token_secret, b.token_secret);
	EXPECT_NE(0, a.token_secret | b.token_secret);
	r = redeem(self->dev, &a, WSP_FD_CLOEXEC);
	ASSERT_LE(0, r);
	close(r);
	r = redeem(self->dev, &b, WSP_FD_CLOEXEC);
	ASSERT_LE(0, r);
	close(r);
	close(fd);
}

/*
 * Duplicate for the caller's own pid and redeem: a new fd number, of the
 * same socket file (same socket id, same inode, a socket).
 */
TEST_F(dup, redeem_same_process)
{
	struct wsp_protocol_info info;
	struct wsp_socket_info si, si2;
	int fd = new_tcp(_metadata, self->dev), r;

	ASSERT_EQ(0, wsp_info(fd, &si));
	ASSERT_EQ(0, wsp_duplicate(fd, getpid(), &info));
	r = redeem(self->dev, &info, 0);
	ASSERT_LE(0, r) TH_LOG("redeem: %s", strerror(-r));
	EXPECT_NE(fd, r);
	ASSERT_EQ(0, wsp_info(r, &si2));
	EXPECT_EQ(si.socket_id, si2.socket_id);
	EXPECT_EQ(AF_INET, si2.family);
	EXPECT_EQ(SOCK_STREAM, si2.type);
	EXPECT_EQ(si.protocol, si2.protocol);
	EXPECT_EQ(0, si2.pending_duplicates);
	ASSERT_NE(0, file_ino(fd));
	EXPECT_EQ(file_ino(fd), file_ino(r));
	close(fd);
	/* The redeemed descriptor alone keeps the socket. */
	EXPECT_EQ(si.socket_id, socket_id(_metadata, r));
	close(r);
}

/*
 * pending_duplicates counts the tokens made and not yet redeemed, from
 * whichever descriptor; dup(2) copies and redemptions are no tokens.
 */
TEST_F(dup, pending_duplicates_counts_tokens)
{
	struct wsp_protocol_info a, b;
	int fd = new_tcp(_metadata, self->dev), r1, r2, copy;

	EXPECT_EQ(0, pending(_metadata, fd));
	ASSERT_EQ(0, wsp_duplicate(fd, getpid(), &a));
	EXPECT_EQ(1, pending(_metadata, fd));
	r1 = redeem(self->dev, &a, WSP_FD_CLOEXEC);
	ASSERT_LE(0, r1);
	EXPECT_EQ(0, pending(_metadata, fd));
	ASSERT_EQ(0, wsp_duplicate(r1, getpid(), &a));	/* from the duplicate */
	ASSERT_EQ(0, wsp_duplicate(fd, getpid(), &b));
	EXPECT_EQ(2, pending(_metadata, fd));
	EXPECT_EQ(2, pending(_metadata, r1));
	copy = dup(fd);
	ASSERT_LE(0, copy);
	EXPECT_EQ(2, pending(_metadata, copy));
	r2 = redeem(self->dev, &b, WSP_FD_CLOEXEC);
	ASSERT_LE(0, r2);
	EXPECT_EQ(1, pending(_metadata, r2));
	close(r2);
	close(copy);
	EXPECT_EQ(1, pending(_metadata, fd));
	r2 = redeem(self->dev, &a, WSP_FD_CLOEXEC);
	ASSERT_LE(0, r2);
	EXPECT_EQ(0, pending(_metadata, fd));
	close(r2);
	close(r1);
	close(fd);
}

/*
 * All the descriptors of one socket are one open file: fstat shows one
 * inode, and the file status flags set through one show through all.
 */
TEST_F(dup, redeemed_descriptor_is_same_open_file)
{
	struct wsp_protocol_info info;
	struct stat st1, st2;
	int fd = new_tcp(_metadata, self->dev), r;

	ASSERT_EQ(0, wsp_duplicate(fd, getpid(), &info));
	r = redeem(self->dev, &info, WSP_FD_CLOEXEC);
	ASSERT_LE(0, r);
	ASSERT_EQ(0, fstat(fd, &st1));
	ASSERT_EQ(0, fstat(r, &st2));
	EXPECT_TRUE(S_ISSOCK(st1.st_mode));
	EXPECT_TRUE(S_ISSOCK(st2.st_mode));
	EXPECT_EQ(st1.st_dev, st2.st_dev);
	EXPECT_EQ(st1.st_ino, st2.st_ino);
	EXPECT_EQ(0, file_nonblocking(r));
	ASSERT_EQ(0, fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK));
	EXPECT_EQ(1, file_nonblocking(r));
	/* Descriptor flags are per descriptor, as for any dup. */
	EXPECT_EQ(1, fd_cloexec(r));
	ASSERT_EQ(0, fcntl(r, F_SETFD, 0));
	EXPECT_EQ(1, fd_cloexec(fd));
	close(r);
	close(fd);
}

/* /proc/self/fdinfo/<fd> names the socket: "wsp-socket-id:\t<id>". */
TEST_F(dup, fdinfo_socket_id)
{
	struct wsp_protocol_info info;
	unsigned long long id = 0;
	int fd = new_tcp(_metadata, self->dev), r, other;

	ASSERT_EQ(0, wsp_fdinfo_socket_id(fd, &id));
	EXPECT_EQ(socket_id(_metadata, fd), id);
	ASSERT_EQ(0, wsp_duplicate(fd, getpid(), &info));
	r = redeem(self->dev, &info, WSP_FD_CLOEXEC);
	ASSERT_LE(0, r);
	id = 0;
	ASSERT_EQ(0, wsp_fdinfo_socket_id(r, &id));
	EXPECT_EQ(socket_id(_metadata, fd), id);

	/* Another socket has another id. */
	other = new_tcp(_metadata, self->dev);
	ASSERT_EQ(0, wsp_fdinfo_socket_id(other, &id));
	EXPECT_EQ(socket_id(_metadata, other), id);
	EXPECT_NE(socket_id(_metadata, fd), id);
	close(other);

	/* A plain socket(2) socket has no such line. */
	other = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, other);
	EXPECT_EQ(-ENOENT, wsp_fdinfo_socket_id(other, &id));
	close(other);
	close(r);
	close(fd);
}

TEST_F(dup, redeem_cloexec)
{
	struct wsp_protocol_info info;
	int fd = new_tcp(_metadata, self->dev), r;

	ASSERT_EQ(0, wsp_duplicate(fd, getpid(), &info));
	r = redeem(self->dev, &info, WSP_FD_CLOEXEC);
	ASSERT_LE(0, r);
	EXPECT_EQ(FD_CLOEXEC, fcntl(r, F_GETFD) & FD_CLOEXEC);
	close(r);

	ASSERT_EQ(0, wsp_duplicate(fd, getpid(), &info));
	r = redeem(self->dev, &info, 0);
	ASSERT_LE(0, r);
	EXPECT_EQ(0, fcntl(r, F_GETFD) & FD_CLOEXEC);
	close(r);
	close(fd);
}

/* A token redeems once. */
TEST_F(dup, redeem_twice_enoent)
{
	struct wsp_protocol_info info;
	int fd = new_tcp(_metadata, self->dev), r;

	ASSERT_EQ(0, wsp_duplicate(fd, getpid(), &info));
	r = redeem(self->dev, &info, WSP_FD_CLOEXEC);
	ASSERT_LE(0, r);
	EXPECT_EQ(-ENOENT, redeem(self->dev, &info, WSP_FD_CLOEXEC));
	EXPECT_EQ(-ENOENT, redeem(self->dev, &info, 0));
	EXPECT_EQ(0, pending(_metadata, fd));
	close(r);
	close(fd);
}

/* Forged records: unknown ids, a real id with another token's secret. */
TEST_F(dup, redeem_unknown_token_enoent)
{
	struct wsp_protocol_info a, b, forged;
	int fd = new_tcp(_metadata, self->dev), r;

	ASSERT_EQ(0, wsp_duplicate(fd, getpid(), &a));
	ASSERT_EQ(0, wsp_duplicate(fd, getpid(), &b));

	forged = a;
	forged.token_id = a.token_id + b.token_id + 1000;
	if (forged.token_id == b.token_id)
		forged.token_id++;
	EXPECT_EQ(-ENOENT, redeem(self->dev, &forged, WSP_FD_CLOEXEC));
	forged.token_id = 0;
	EXPECT_EQ(-ENOENT, redeem(self->dev, &forged, WSP_FD_CLOEXEC));
	forged.token_id = ~0ULL;
	EXPECT_EQ(-ENOENT, redeem(self->dev, &forged, WSP_FD_CLOEXEC));

	/* Secrets swapped between two real tokens. */
	forged = a;
	forged.token_secret = b.token_secret;
	EXPECT_EQ(-ENOENT, redeem(self->dev, &forged, WSP_FD_CLOEXEC));
	forged = b;
	forged.token_secret = a.token_secret;
	EXPECT_EQ(-ENOENT, redeem(self->dev, &forged, WSP_FD_CLOEXEC));
	EXPECT_EQ(2, pending(_metadata, fd));

	r = redeem(self->dev, &a, WSP_FD_CLOEXEC);
	ASSERT_LE(0, r);
	close(r);
	r = redeem(self->dev, &b, WSP_FD_CLOEXEC);
	ASSERT_LE(0, r);
	close(r);
	close(fd);
}

/* A wrong secret does not burn the token: the exact pair still redeems. */
TEST_F(dup, wrong_secret_keeps_token)
{
	struct wsp_protocol_info info, forged;
	int fd = new_tcp(_metadata, self->dev), r;

	ASSERT_EQ(0, wsp_duplicate(fd, getpid(), &info));
	forged = info;
	forged.token_secret ^= 1;
	EXPECT_EQ(-ENOENT, redeem(self->dev, &forged, WSP_FD_CLOEXEC));
	forged.token_secret = 0;
	EXPECT_EQ(-ENOENT, redeem(self->dev, &forged, WSP_FD_CLOEXEC));
	r = redeem(self->dev, &info, WSP_FD_CLOEXEC);
	ASSERT_LE(0, r) TH_LOG("redeem: %s", strerror(-r));
	EXPECT_EQ(socket_id(_metadata, fd), socket_id(_metadata, r));
	close(r);
	close(fd);
}

/* family/type/protocol must be the socket's; the token stays pending. */
TEST_F(dup, redeem_mismatch_einval)
{
	struct wsp_protocol_info info, bad;
	int tcp = new_tcp(_metadata, self->dev), udp, r;

	ASSERT_EQ(0, wsp_duplicate(tcp, getpid(), &info));
	bad = info;
	bad.family = AF_INET6;
	EXPECT_EQ(-EINVAL, redeem(self->dev, &bad, WSP_FD_CLOEXEC));
	bad = info;
	bad.family = AF_UNIX;
	EXPECT_EQ(-EINVAL, redeem(self->dev, &bad, WSP_FD_CLOEXEC));
	bad = info;
	bad.type = SOCK_DGRAM;
	EXPECT_EQ(-EINVAL, redeem(self->dev, &bad, WSP_FD_CLOEXEC));
	bad = info;
	bad.protocol = IPPROTO_UDP;
	EXPECT_EQ(-EINVAL, redeem(self->dev, &bad, WSP_FD_CLOEXEC));
	EXPECT_EQ(1, pending(_metadata, tcp));
	r = redeem(self->dev, &info, WSP_FD_CLOEXEC);
	ASSERT_LE(0, r) TH_LOG("the token did not stay pending: %s",
			       strerror(-r));
	EXPECT_EQ(socket_id(_metadata, tcp), socket_id(_metadata, r));
	close(r);

	udp = wsp_socket(self->dev, AF_INET6, SOCK_DGRAM, 0, WSP_FD_CLOEXEC);
	ASSERT_LE(0, udp);
	ASSERT_EQ(0, wsp_duplicate(udp, getpid(), &info));
	bad = info;
	bad.family = AF_INET;
	EXPECT_EQ(-EINVAL, redeem(self->dev, &bad, WSP_FD_CLOEXEC));
	bad = info;
	bad.type = SOCK_STREAM;
	EXPECT_EQ(-EINVAL, redeem(self->dev, &bad, WSP_FD_CLOEXEC));
	bad = info;
	bad.protocol = IPPROTO_TCP;
	EXPECT_EQ(-EINVAL, redeem(self->dev, &bad, WSP_FD_CLOEXEC));
	r = redeem(self->dev, &info, WSP_FD_CLOEXEC);
	ASSERT_LE(0, r);
	EXPECT_EQ(socket_id(_metadata, udp), socket_id(_metadata, r));
	close(r);
	close(udp);
	close(tcp);
}

/* Only WSP_FD_CLOEXEC; a rejected call leaves the token pending. */
TEST_F(dup, redeem_bad_flags_einval)
{
	static const unsigned int bad[] = {
		WSP_SOCK_NONBLOCK, 1U << 2, 1U << 31,
		WSP_FD_CLOEXEC | (1U << 31),
	};
	struct wsp_protocol_info info;
	int fd = new_tcp(_metadata, self->dev), r;
	unsigned int i;

	ASSERT_EQ(0, wsp_duplicate(fd, getpid(), &info));
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		EXPECT_EQ(-EINVAL, redeem(self->dev, &info, bad[i]))
			TH_LOG("flags %#x", bad[i]);
	r = redeem(self->dev, &info, WSP_FD_CLOEXEC);
	ASSERT_LE(0, r) TH_LOG("the token did not stay pending: %s",
			       strerror(-r));
	close(r);
	close(fd);
}

TEST_F(dup, redeem_nonzero_reserved_einval)
{
	struct wsp_protocol_info info;
	struct wsp_redeem_args a;
	int fd = new_tcp(_metadata, self->dev), r;

	ASSERT_EQ(0, wsp_duplicate(fd, getpid(), &info));

	memset(&a, 0, sizeof(a));
	a.info = info;
	a.__reserved = 1;
	EXPECT_EQ(-EINVAL, wsp_ioctl(self->dev, WSP_IOC_REDEEM, &a));
	memset(&a, 0, sizeof(a));
	a.info = info;
	a.info.__reserved = 0x80000000u;
	EXPECT_EQ(-EINVAL, wsp_ioctl(self->dev, WSP_IOC_REDEEM, &a));

	r = redeem(self->dev, &info, WSP_FD_CLOEXEC);
	ASSERT_LE(0, r) TH_LOG("the token did not stay pending: %s",
			       strerror(-r));
	close(r);
	close(fd);
}

TEST_F(dup, bad_pointer_efault)
{
	int fd = new_tcp(_metadata, self->dev);

	EXPECT_EQ(-EFAULT, wsp_ioctl(self->dev, WSP_IOC_REDEEM, NULL));
	EXPECT_EQ(-EFAULT, wsp_ioctl(fd, WSP_IOC_DUPLICATE, NULL));
	close(fd);
}

/*
 * DUPLICATE is a descriptor's ioctl: the device answers ENOTSOCK (it is
 * not a socket, Documentation/wspshare.rst), any other file for itself.
 */
TEST_F(dup, duplicate_on_device_enotsock)
{
	struct wsp_duplicate_args d = { .pid = getpid() };
	int p[2];

	EXPECT_EQ(-ENOTSOCK, wsp_ioctl(self->dev, WSP_IOC_DUPLICATE, &d));
	EXPECT_EQ(0, d.info.token_id | d.info.token_secret);
	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	EXPECT_EQ(-ENOTTY, wsp_ioctl(p[0], WSP_IOC_DUPLICATE, &d));
	close(p[0]);
	close(p[1]);
}

/* REDEEM is the device's ioctl: a descriptor answers ENOTTY. */
TEST_F(dup, redeem_on_descriptor_enotty)
{
	struct wsp_protocol_info info;
	struct wsp_redeem_args a = { .flags = WSP_FD_CLOEXEC };
	int fd = new_tcp(_metadata, self->dev), r;

	ASSERT_EQ(0, wsp_duplicate(fd, getpid(), &info));
	a.info = info;
	EXPECT_EQ(-ENOTTY, wsp_ioctl(fd, WSP_IOC_REDEEM, &a));
	r = redeem(self->dev, &info, WSP_FD_CLOEXEC);
	ASSERT_LE(0, r) TH_LOG("the token did not stay pending: %s",
			       strerror(-r));
	close(r);
	close(fd);
}

/* No fd left: EMFILE, checked before the token is taken. */
TEST_F(dup, redeem_emfile_keeps_token)
{
	struct rlimit lim, low;
	struct wsp_protocol_info info;
	int fd = new_tcp(_metadata, self->dev), fds[64], n = 0, r;

	ASSERT_EQ(0, wsp_duplicate(fd, getpid(), &info));
	ASSERT_EQ(0, getrlimit(RLIMIT_NOFILE, &lim));
	low = lim;
	low.rlim_cur = 64;
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &low));
	while (n < 64) {
		int d = fcntl(self->dev, F_DUPFD_CLOEXEC, 0);

		if (d < 0) {
			ASSERT_EQ(EMFILE, errno);
			break;
		}
		fds[n++] = d;
	}
	ASSERT_GT(64, n);
	EXPECT_EQ(-EMFILE, redeem(self->dev, &info, WSP_FD_CLOEXEC));
	EXPECT_EQ(1, pending(_metadata, fd));
	while (n > 0)
		close(fds[--n]);
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &lim));
	r = redeem(self->dev, &info, WSP_FD_CLOEXEC);
	ASSERT_LE(0, r) TH_LOG("the token did not stay pending: %s",
			       strerror(-r));
	close(r);
	close(fd);
}

/* The ioctl numbers with another struct size (see the general format). */
#define DUPLICATE_IOC(size) _IOC(_IOC_READ | _IOC_WRITE, WSP_IOC_MAGIC, \
				 _IOC_NR(WSP_IOC_DUPLICATE), (size))
#define REDEEM_IOC(size) _IOC(_IOC_WRITE, WSP_IOC_MAGIC, \
			      _IOC_NR(WSP_IOC_REDEEM), (size))

/* Smaller than the first version: EINVAL; larger: a zero tail only. */
TEST_F(dup, struct_size_protocol)
{
	struct {
		struct wsp_duplicate_args d;
		uint64_t tail[2];
	} bigd;
	struct {
		struct wsp_redeem_args r;
		uint64_t tail[2];
	} bigr;
	int fd = new_tcp(_metadata, self->dev), r;

	memset(&bigd, 0, sizeof(bigd));
	bigd.d.pid = getpid();
	EXPECT_EQ(-EINVAL, wsp_ioctl(fd, DUPLICATE_IOC(8), &bigd));
	EXPECT_EQ(-EINVAL, wsp_ioctl(fd, DUPLICATE_IOC(
		sizeof(struct wsp_duplicate_args) - 1), &bigd));
	bigd.tail[1] = 1;
	EXPECT_EQ(-E2BIG, wsp_ioctl(fd, DUPLICATE_IOC(sizeof(bigd)), &bigd));
	EXPECT_EQ(0, bigd.d.info.token_id | bigd.d.info.token_secret);
	bigd.tail[1] = 0;
	ASSERT_EQ(0, wsp_ioctl(fd, DUPLICATE_IOC(sizeof(bigd)), &bigd));
	EXPECT_EQ(AF_INET, bigd.d.info.family);
	EXPECT_EQ(0, bigd.tail[0] | bigd.tail[1]);

	memset(&bigr, 0, sizeof(bigr));
	bigr.r.flags = WSP_FD_CLOEXEC;
	bigr.r.info = bigd.d.info;
	EXPECT_EQ(-EINVAL, wsp_ioctl(self->dev, REDEEM_IOC(
		sizeof(struct wsp_redeem_args) - 1), &bigr));
	bigr.tail[0] = 1;
	EXPECT_EQ(-E2BIG, wsp_ioctl(self->dev, REDEEM_IOC(sizeof(bigr)), &bigr));
	bigr.tail[0] = 0;
	r = ioctl(self->dev, REDEEM_IOC(sizeof(bigr)), &bigr);
	ASSERT_LE(0, r) TH_LOG("redeem with a larger struct: %s",
			       strerror(errno));
	EXPECT_EQ(socket_id(_metadata, fd), socket_id(_metadata, r));
	close(r);
	close(fd);
}

static void expect_no_pending_change(struct __test_metadata *_metadata,
				     const struct wsp_counters *before)
{
	struct wsp_counters now;

	ASSERT_EQ(0, wsp_read_counters(&now));
	EXPECT_EQ(before->pending_duplicates, now.pending_duplicates);
}

TEST_F(dup, duplicate_bad_flags_einval)
{
	struct wsp_duplicate_args a;
	struct wsp_counters c0;
	int fd = new_tcp(_metadata, self->dev);

	ASSERT_EQ(0, wsp_read_counters(&c0));
	memset(&a, 0, sizeof(a));
	a.pid = getpid();
	a.flags = 1;
	EXPECT_EQ(-EINVAL, wsp_ioctl(fd, WSP_IOC_DUPLICATE, &a));
	a.flags = 0x80000000u;
	EXPECT_EQ(-EINVAL, wsp_ioctl(fd, WSP_IOC_DUPLICATE, &a));
	EXPECT_EQ(0, a.info.token_id);	/* nothing was written back */
	EXPECT_EQ(0, a.info.family);
	expect_no_pending_change(_metadata, &c0);
	close(fd);
}

TEST_F(dup, duplicate_nonpositive_pid_einval)
{
	static const int bad[] = { 0, -1, -2, INT_MIN };
	struct wsp_protocol_info info;
	struct wsp_counters c0;
	int fd = new_tcp(_metadata, self->dev);
	unsigned int i;

	ASSERT_EQ(0, wsp_read_counters(&c0));
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		memset(&info, 0, sizeof(info));
		EXPECT_EQ(-EINVAL, wsp_duplicate(fd, bad[i], &info))
			TH_LOG("pid %d", bad[i]);
		EXPECT_EQ(0, info.token_id);
	}
	expect_no_pending_change(_metadata, &c0);
	close(fd);
}

TEST_F(dup, duplicate_no_such_process_esrch)
{
	struct wsp_protocol_info info;
	struct wsp_counters c0;
	int fd = new_tcp(_metadata, self->dev), status;
	long pid_max = 0;
	pid_t gone;

	ASSERT_EQ(0, wsp_read_counters(&c0));

	/* A child that has exited and been reaped. */
	gone = fork();
	ASSERT_LE(0, gone);
	if (gone == 0)
		_exit(0);
	ASSERT_EQ(gone, waitpid(gone, &status, 0));
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	EXPECT_EQ(-ESRCH, wsp_duplicate(fd, gone, &info)) TH_LOG("pid %d", gone);

	/* pid_max itself is never a pid; nor is INT_MAX. */
	ASSERT_EQ(0, wsp_read_long("/proc/sys/kernel/pid_max", &pid_max));
	ASSERT_LT(1, pid_max);
	EXPECT_EQ(-ESRCH, wsp_duplicate(fd, pid_max, &info)) TH_LOG("pid %ld", pid_max);
	EXPECT_EQ(-ESRCH, wsp_duplicate(fd, INT_MAX, &info));
	expect_no_pending_change(_metadata, &c0);
	close(fd);
}

/* A process that has exited (a zombie not yet reaped) is no target. */
TEST_F(dup, duplicate_exited_process_esrch)
{
	struct wsp_protocol_info info;
	siginfo_t si;
	int fd = new_tcp(_metadata, self->dev), status;
	pid_t child;

	child = fork();
	ASSERT_LE(0, child);
	if (child == 0)
		_exit(0);
	/* Wait for its exit, leaving it a zombie. */
	memset(&si, 0, sizeof(si));
	ASSERT_EQ(0, waitid(P_PID, child, &si, WEXITED | WNOWAIT));
	ASSERT_EQ(child, si.si_pid);
	EXPECT_EQ('Z', proc_state(child));
	EXPECT_EQ(-ESRCH, wsp_duplicate(fd, child, &info));
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(fd);
}

/* At most WSP_MAX_PENDING_DUPLICATES per socket; redeeming frees a slot. */
TEST_F(dup, pending_limit_enobufs)
{
	struct wsp_protocol_info info[WSP_MAX_PENDING_DUPLICATES + 1], extra;
	struct wsp_counters c0, c;
	int fd, other, r, i;

	ASSERT_EQ(0, read_counters_no_windows(&c0));
	fd = new_tcp(_metadata, self->dev);
	for (i = 0; i < WSP_MAX_PENDING_DUPLICATES; i++)
		ASSERT_EQ(0, wsp_duplicate(fd, getpid(), &info[i]))
			TH_LOG("duplication %d", i + 1);
	EXPECT_EQ(-ENOBUFS, wsp_duplicate(fd, getpid(), &extra));
	ASSERT_EQ(0, wsp_read_counters(&c));
	EXPECT_EQ(c0.pending_duplicates + WSP_MAX_PENDING_DUPLICATES,
		  c.pending_duplicates);

	/* The bound is per socket. */
	other = new_tcp(_metadata, self->dev);
	ASSERT_EQ(0, wsp_duplicate(other, getpid(), &extra));
	r = redeem(self->dev, &extra, WSP_FD_CLOEXEC);
	ASSERT_LE(0, r);
	close(r);
	close(other);

	/* Redeeming one frees one slot, and only one. */
	r = redeem(self->dev, &info[0], WSP_FD_CLOEXEC);
	ASSERT_LE(0, r);
	close(r);
	ASSERT_EQ(0, wsp_duplicate(fd, getpid(), &info[0]));
	EXPECT_EQ(-ENOBUFS, wsp_duplicate(fd, getpid(), &extra));

	for (i = 0; i < WSP_MAX_PENDING_DUPLICATES; i++) {
		r = redeem(self->dev, &info[i], WSP_FD_CLOEXEC);
		ASSERT_LE(0, r) TH_LOG("redeem %d: %s", i, strerror(-r));
		close(r);
	}
	close(fd);
	ASSERT_EQ(0, wsp_read_counters(&c));
	EXPECT_TRUE(wsp_counters_match(&c0, &c))
		log_counters(_metadata, &c, &c0);
}

/* Duplicate for another process, send the record over a pipe, redeem. */
TEST_F(dup, cross_process_redeem)
{
	struct wsp_protocol_info info;
	struct wsp_socket_info si, si2;
	unsigned long long id = 0;
	int fd, p[2];
	struct ag_cmd c;
	struct ag_reply r;
	long nfd;

	agent_start(_metadata, self->ag, 0);
	fd = new_tcp(_metadata, self->dev);
	ASSERT_EQ(0, wsp_info(fd, &si));
	ASSERT_EQ(0, wsp_duplicate(fd, self->ag[0].target, &info));

	/* The record is plain bytes: it goes through a pipe like any data. */
	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	ASSERT_EQ(sizeof(info), write(p[1], &info, sizeof(info)));
	memset(&c, 0, sizeof(c));
	ASSERT_EQ(sizeof(c.info), read(p[0], &c.info, sizeof(c.info)));
	close(p[0]);
	close(p[1]);
	c.op = AG_REDEEM;
	c.fd = self->dev;
	c.flags = WSP_FD_CLOEXEC;
	ag_call(_metadata, &self->ag[0], &c, &r);
	nfd = r.ret;
	ASSERT_LE(0, nfd) TH_LOG("redeem in the target: %s", strerror(-nfd));

	ASSERT_EQ(0, ag_info(_metadata, &self->ag[0], nfd, &si2));
	EXPECT_EQ(si.socket_id, si2.socket_id);
	EXPECT_EQ(0, si2.pending_duplicates);
	ASSERT_NE(0, file_ino(fd));
	EXPECT_EQ(file_ino(fd), ag_ino(_metadata, &self->ag[0], nfd))
		TH_LOG("the target's descriptor is of another file");
	ASSERT_EQ(0, ag_fdinfo(_metadata, &self->ag[0], nfd, &id));
	EXPECT_EQ(si.socket_id, id);

	/* Either side's close leaves the other's descriptor working. */
	close(fd);
	ASSERT_EQ(0, ag_info(_metadata, &self->ag[0], nfd, &si2));
	EXPECT_EQ(si.socket_id, si2.socket_id);
	EXPECT_EQ(0, ag_simple(_metadata, &self->ag[0], AG_CLOSE, nfd, 0));
	agent_stop(_metadata, &self->ag[0]);
}

/* Only the named process redeems; the others get EPERM, token unharmed. */
TEST_F(dup, other_process_eperm)
{
	struct wsp_protocol_info info;
	int fd;
	long nfd;

	agent_start(_metadata, self->ag, 0);	/* the target */
	agent_start(_metadata, self->ag, 1);	/* a third process */
	fd = new_tcp(_metadata, self->dev);
	ASSERT_EQ(0, wsp_duplicate(fd, self->ag[0].target, &info));

	EXPECT_EQ(-EPERM, ag_redeem(_metadata, &self->ag[1], self->dev, &info,
				    WSP_FD_CLOEXEC));
	EXPECT_EQ(-EPERM, redeem(self->dev, &info, WSP_FD_CLOEXEC));
	EXPECT_EQ(1, pending(_metadata, fd));

	nfd = ag_redeem(_metadata, &self->ag[0], self->dev, &info,
			WSP_FD_CLOEXEC);
	ASSERT_LE(0, nfd) TH_LOG("redeem in the target: %s", strerror(-nfd));
	EXPECT_EQ(0, pending(_metadata, fd));
	EXPECT_EQ(-ENOENT, ag_redeem(_metadata, &self->ag[0], self->dev, &info,
				     WSP_FD_CLOEXEC));
	EXPECT_EQ(0, ag_simple(_metadata, &self->ag[0], AG_CLOSE, nfd, 0));
	agent_stop(_metadata, &self->ag[1]);
	agent_stop(_metadata, &self->ag[0]);
	close(fd);
}

/* The pid names a process: any of its threads may redeem. */
struct thread_args {
	int dev, fd;
	struct wsp_protocol_info info;
	int ret;
};

static void *thread_duplicate(void *arg)
{
	struct thread_args *t = arg;

	t->ret = wsp_duplicate(t->fd, getpid(), &t->info);
	return NULL;
}

static void *thread_redeem(void *arg)
{
	struct thread_args *t = arg;

	t->ret = redeem(t->dev, &t->info, WSP_FD_CLOEXEC);
	return NULL;
}

TEST_F(dup, any_thread_of_target)
{
	struct thread_args t = { .dev = self->dev };
	pthread_t th;
	int r;

	t.fd = new_tcp(_metadata, self->dev);

	/* Duplicated by another thread for this pid, redeemed by this one. */
	ASSERT_EQ(0, pthread_create(&th, NULL, thread_duplicate, &t));
	ASSERT_EQ(0, pthread_join(th, NULL));
	ASSERT_EQ(0, t.ret);
	r = redeem(self->dev, &t.info, WSP_FD_CLOEXEC);
	ASSERT_LE(0, r) TH_LOG("redeem: %s", strerror(-r));
	EXPECT_EQ(socket_id(_metadata, t.fd), socket_id(_metadata, r));
	close(r);

	/* Duplicated by this thread, redeemed by another. */
	ASSERT_EQ(0, wsp_duplicate(t.fd, getpid(), &t.info));
	ASSERT_EQ(0, pthread_create(&th, NULL, thread_redeem, &t));
	ASSERT_EQ(0, pthread_join(th, NULL));
	ASSERT_LE(0, t.ret) TH_LOG("redeem: %s", strerror(-t.ret));
	EXPECT_EQ(socket_id(_metadata, t.fd), socket_id(_metadata, t.ret));
	close(t.ret);
	close(t.fd);
}

/* A thread's id that is not its group's is no process id. */
struct tid_args {
	pid_t tid;
	int release[2];		/* the thread waits for EOF on release[0] */
	int ready[2];
};

static void *thread_report_tid(void *arg)
{
	struct tid_args *t = arg;
	char byte;

	t->tid = gettid();
	if (write(t->ready[1], "r", 1) != 1)
		return NULL;
	while (read(t->release[0], &byte, 1) > 0)
		;
	return NULL;
}

TEST_F(dup, duplicate_thread_id_esrch)
{
	struct tid_args t;
	struct wsp_protocol_info info;
	pthread_t th;
	char byte;
	int fd = new_tcp(_metadata, self->dev);

	ASSERT_EQ(0, pipe2(t.release, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(t.ready, O_CLOEXEC));
	ASSERT_EQ(0, pthread_create(&th, NULL, thread_report_tid, &t));
	ASSERT_NE(0, poll_one(t.ready[0], POLLIN, WAIT_MS));
	ASSERT_EQ(1, read(t.ready[0], &byte, 1));
	ASSERT_NE(getpid(), t.tid);
	EXPECT_EQ(-ESRCH, wsp_duplicate(fd, t.tid, &info)) TH_LOG("tid %d", t.tid);
	close(t.release[1]);
	ASSERT_EQ(0, pthread_join(th, NULL));
	close(t.release[0]);
	close(t.ready[0]);
	close(t.ready[1]);
	close(fd);
}

/*
 * Exactly one of many threads of the target racing to redeem one token
 * gets it; the others get ENOENT.
 */
#define RACERS	8

struct racer {
	int dev;
	const struct wsp_protocol_info *info;
	pthread_barrier_t *start;
	int ret;
};

static void *racer_redeem(void *arg)
{
	struct racer *r = arg;

	pthread_barrier_wait(r->start);
	r->ret = redeem(r->dev, r->info, WSP_FD_CLOEXEC);
	return NULL;
}

TEST_F(dup, concurrent_redeem_once)
{
	struct wsp_protocol_info info;
	struct racer r[RACERS];
	pthread_barrier_t start;
	pthread_t th[RACERS];
	int fd = new_tcp(_metadata, self->dev), round, i, won;

	for (round = 0; round < 20; round++) {
		ASSERT_EQ(0, wsp_duplicate(fd, getpid(), &info));
		ASSERT_EQ(0, pthread_barrier_init(&start, NULL, RACERS));
		for (i = 0; i < RACERS; i++) {
			r[i].dev = self->dev;
			r[i].info = &info;
			r[i].start = &start;
			r[i].ret = -1;
			ASSERT_EQ(0, pthread_create(&th[i], NULL, racer_redeem,
						    &r[i]));
		}
		won = 0;
		for (i = 0; i < RACERS; i++) {
			ASSERT_EQ(0, pthread_join(th[i], NULL));
			if (r[i].ret >= 0) {
				won++;
				EXPECT_EQ(socket_id(_metadata, fd), socket_id(_metadata, r[i].ret));
				close(r[i].ret);
			} else {
				EXPECT_EQ(-ENOENT, r[i].ret);
			}
		}
		pthread_barrier_destroy(&start);
		ASSERT_EQ(1, won) TH_LOG("round %d", round);
	}
	EXPECT_EQ(0, pending(_metadata, fd));
	close(fd);
}

/*
 * A process whose leader thread has exited, while another thread runs,
 * has not exited: it can be named, and it redeems. Its tokens go when
 * its last thread exits.
 */
TEST_F(dup, target_lives_while_any_thread_lives)
{
	struct wsp_protocol_info info;
	struct wsp_counters c0, c;
	char state = 0;
	int fd, i;
	long nfd;

	ASSERT_EQ(0, read_counters_no_windows(&c0));
	agent_start(_metadata, self->ag, 0);
	ASSERT_EQ(0, ag_simple(_metadata, &self->ag[0], AG_LEADER_EXIT, -1, 0));
	for (i = 0; i < WAIT_MS / 10; i++) {
		state = proc_state(self->ag[0].pid);
		if (state == 'Z')
			break;
		usleep(10000);
	}
	ASSERT_EQ('Z', state) TH_LOG("the agent's leader did not exit");

	fd = new_tcp(_metadata, self->dev);
	ASSERT_EQ(0, wsp_duplicate(fd, self->ag[0].target, &info));
	nfd = ag_redeem(_metadata, &self->ag[0], self->dev, &info,
			WSP_FD_CLOEXEC);
	ASSERT_LE(0, nfd) TH_LOG("redeem in the leaderless agent: %s",
				 strerror(-nfd));
	EXPECT_EQ(0, ag_simple(_metadata, &self->ag[0], AG_CLOSE, nfd, 0));

	/* Pending for it: stays while it lives, goes when it ends. */
	ASSERT_EQ(0, wsp_duplicate(fd, self->ag[0].target, &info));
	close(fd);
	ASSERT_EQ(0, wsp_read_counters(&c));
	EXPECT_EQ(c0.pending_duplicates + 1, c.pending_duplicates);
	EXPECT_EQ(c0.sockets + 1, c.sockets);
	agent_stop(_metadata, &self->ag[0]);
	ASSERT_EQ(0, wsp_await_counters(&c0, &c, WAIT_MS))
		log_counters(_metadata, &c, &c0);
}

/* pids are the caller's: a process in a child pid namespace. */
TEST_F(dup, pid_is_in_callers_namespace)
{
	struct wsp_protocol_info info;
	struct wsp_socket_info si;
	int fd;
	long nfd, afd;

	agent_start_pidns(_metadata, self->ag, 0);

	/* We name it by the pid we see; it redeems. */
	fd = new_tcp(_metadata, self->dev);
	ASSERT_EQ(0, wsp_duplicate(fd, self->ag[0].target, &info));
	nfd = ag_redeem(_metadata, &self->ag[0], self->dev, &info,
			WSP_FD_CLOEXEC);
	ASSERT_LE(0, nfd) TH_LOG("redeem in the namespace: %s", strerror(-nfd));
	ASSERT_EQ(0, ag_info(_metadata, &self->ag[0], nfd, &si));
	EXPECT_EQ(socket_id(_metadata, fd), si.socket_id);
	EXPECT_EQ(0, ag_simple(_metadata, &self->ag[0], AG_CLOSE, nfd, 0));

	/* It names itself 1; our pid names nothing it can see. */
	afd = ag_socket(_metadata, &self->ag[0], self->dev, AF_INET,
			SOCK_DGRAM);
	ASSERT_LE(0, afd);
	EXPECT_EQ(-ESRCH, ag_duplicate(_metadata, &self->ag[0], afd, getpid(),
				       &info));
	ASSERT_EQ(0, ag_duplicate(_metadata, &self->ag[0], afd, 1, &info));
	EXPECT_EQ(-EPERM, redeem(self->dev, &info, WSP_FD_CLOEXEC));
	nfd = ag_redeem(_metadata, &self->ag[0], self->dev, &info,
			WSP_FD_CLOEXEC);
	ASSERT_LE(0, nfd) TH_LOG("redeem of its own token: %s",
				 strerror(-nfd));
	EXPECT_EQ(0, ag_simple(_metadata, &self->ag[0], AG_CLOSE, nfd, 0));
	EXPECT_EQ(0, ag_simple(_metadata, &self->ag[0], AG_CLOSE, afd, 0));
	agent_stop(_metadata, &self->ag[0]);
	close(fd);
}

/* A token holds the socket: the source may close its only descriptor. */
TEST_F(dup, token_survives_source_close)
{
	struct wsp_protocol_info info;
	struct wsp_counters c0, c;
	unsigned long long ino;
	uint64_t id;
	int fd, r, val = 1;

	ASSERT_EQ(0, read_counters_no_windows(&c0));
	fd = new_tcp(_metadata, self->dev);
	ASSERT_EQ(0, wsp_setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &val,
				    sizeof(val)));
	id = socket_id(_metadata, fd);
	ino = file_ino(fd);
	ASSERT_NE(0, ino);
	ASSERT_EQ(0, wsp_duplicate(fd, getpid(), &info));
	close(fd);

	ASSERT_EQ(0, wsp_read_counters(&c));
	EXPECT_EQ(c0.sockets + 1, c.sockets);
	EXPECT_EQ(c0.pending_duplicates + 1, c.pending_duplicates);

	r = redeem(self->dev, &info, WSP_FD_CLOEXEC);
	ASSERT_LE(0, r) TH_LOG("redeem: %s", strerror(-r));
	EXPECT_EQ(id, socket_id(_metadata, r));
	EXPECT_EQ(ino, file_ino(r)) TH_LOG("not the same socket file");
	EXPECT_EQ(0, pending(_metadata, r));
	val = 0;
	ASSERT_EQ(0, wsp_getsockopt_int(r, SOL_SOCKET, SO_KEEPALIVE, &val));
	EXPECT_EQ(1, val);
	close(r);
	ASSERT_EQ(0, wsp_read_counters(&c));
	EXPECT_TRUE(wsp_counters_match(&c0, &c));
}

/*
 * Cross-process: a connected socket is duplicated for another process and
 * the source closes its only descriptor. The connection lives on: the
 * peer sees no end-of-stream, and the target redeems and uses it.
 */
TEST_F(dup, token_survives_source_close_cross)
{
	struct wsp_protocol_info info;
	struct wsp_socket_info si;
	struct holder h;
	char buf[8];
	uint64_t id;
	int client, peer;
	long nfd;

	agent_start(_metadata, self->ag, 0);
	tcp_to_plain_peer(_metadata, self->dev, &client, &peer);
	id = socket_id(_metadata, client);
	ASSERT_EQ(0, wsp_duplicate(client, self->ag[0].target, &info));
	ASSERT_EQ(0, close(client));
	EXPECT_EQ(0, poll_one(peer, POLLIN, QUIET_MS))
		TH_LOG("the peer saw something after the source's close");

	nfd = ag_redeem(_metadata, &self->ag[0], self->dev, &info,
			WSP_FD_CLOEXEC);
	ASSERT_LE(0, nfd) TH_LOG("redeem: %s", strerror(-nfd));
	h.ag = &self->ag[0];
	h.fd = nfd;
	ASSERT_EQ(0, h_info(_metadata, &h, &si));
	EXPECT_EQ(id, si.socket_id);
	EXPECT_EQ(0, si.pending_duplicates);
	ASSERT_EQ(5, h_send(_metadata, &h, "hello", 5));
	peer_expect_data(_metadata, peer, "hello");
	ASSERT_EQ(3, send(peer, "abc", 3, 0));
	h_expect_data(_metadata, &h, "abc");

	ASSERT_EQ(0, h_close(_metadata, &h));
	ASSERT_EQ(POLLIN, poll_one(peer, POLLIN, WAIT_MS) & POLLIN);
	EXPECT_EQ(0, recv(peer, buf, sizeof(buf), MSG_DONTWAIT));
	close(peer);
	agent_stop(_metadata, &self->ag[0]);
}

/* The socket that made a token may outlive its process. */
TEST_F(dup, token_survives_source_process_exit)
{
	struct wsp_protocol_info info;
	struct wsp_socket_info si;
	int val = 1, r;
	long fd;

	agent_start(_metadata, self->ag, 0);
	fd = ag_socket(_metadata, &self->ag[0], self->dev, AF_INET,
		       SOCK_STREAM);
	ASSERT_LE(0, fd) TH_LOG("WSP_IOC_SOCKET in the agent: %s",
				strerror(-fd));
	ASSERT_EQ(0, ag_setopt(_metadata, &self->ag[0], fd, SOL_SOCKET,
			       SO_KEEPALIVE, &val, sizeof(val)));
	ASSERT_EQ(0, ag_info(_metadata, &self->ag[0], fd, &si));
	ASSERT_EQ(0, ag_duplicate(_metadata, &self->ag[0], fd, getpid(),
				  &info));
	agent_stop(_metadata, &self->ag[0]);

	r = redeem(self->dev, &info, WSP_FD_CLOEXEC);
	ASSERT_LE(0, r) TH_LOG("redeem: %s", strerror(-r));
	EXPECT_EQ(si.socket_id, socket_id(_metadata, r));
	EXPECT_EQ(0, pending(_metadata, r));
	val = 0;
	ASSERT_EQ(0, wsp_getsockopt_int(r, SOL_SOCKET, SO_KEEPALIVE, &val));
	EXPECT_EQ(1, val);
	close(r);
}

/* A pending token alone keeps the real socket (and its port). */
TEST_F(dup, pending_token_keeps_port)
{
	struct wsp_protocol_info info;
	uint16_t port;
	int fd, r;

	fd = wsp_bound(self->dev, SOCK_DGRAM, &port);
	ASSERT_LE(0, fd);
	ASSERT_EQ(-EADDRINUSE, plain_bind_probe(SOCK_DGRAM, port));
	ASSERT_EQ(0, wsp_duplicate(fd, getpid(), &info));
	close(fd);
	EXPECT_EQ(-EADDRINUSE, plain_bind_probe(SOCK_DGRAM, port));
	r = redeem(self->dev, &info, WSP_FD_CLOEXEC);
	ASSERT_LE(0, r);
	close(r);
	EXPECT_EQ(0, plain_bind_probe(SOCK_DGRAM, port));
}

/* The target exits without redeeming: the token, then the socket, go. */
TEST_F(dup, token_freed_when_target_exits)
{
	struct wsp_protocol_info info;
	struct wsp_counters c0, c;
	uint16_t port;
	int fd, i, bound = -1;

	ASSERT_EQ(0, read_counters_no_windows(&c0));
	agent_start(_metadata, self->ag, 0);
	fd = wsp_bound(self->dev, SOCK_DGRAM, &port);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, wsp_duplicate(fd, self->ag[0].target, &info));
	close(fd);

	ASSERT_EQ(0, wsp_read_counters(&c));
	EXPECT_EQ(c0.sockets + 1, c.sockets);
	EXPECT_EQ(c0.pending_duplicates + 1, c.pending_duplicates);
	EXPECT_EQ(-EADDRINUSE, plain_bind_probe(SOCK_DGRAM, port));

	agent_stop(_metadata, &self->ag[0]);

	/* Freed asynchronously: wait (bounded) for it. */
	for (i = 0; i < WAIT_MS / 10; i++) {
		ASSERT_EQ(0, wsp_read_counters(&c));
		bound = plain_bind_probe(SOCK_DGRAM, port);
		if (wsp_counters_match(&c0, &c) && bound == 0)
			break;
		usleep(10000);
	}
	EXPECT_TRUE(wsp_counters_match(&c0, &c))
		log_counters(_metadata, &c, &c0);
	EXPECT_EQ(0, bound) TH_LOG("port %u still bound", port);
	/* The token is gone for everyone. */
	EXPECT_EQ(-ENOENT, redeem(self->dev, &info, WSP_FD_CLOEXEC));
}

/*
 * SO_LINGER {1, 0} asks for a reset at close. When the socket's last
 * reference is the token of a target that exits, that close still resets:
 * the peer reads ECONNRESET, not end of file.
 */
TEST_F(dup, orphan_with_zero_linger_resets_peer)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	struct wsp_protocol_info info;
	char byte;
	int l, c, s;

	agent_start(_metadata, self->ag, 0);
	ASSERT_EQ(0, wsp_tcp_pair(self->dev, AF_INET, &l, &c, &s));
	close(l);
	ASSERT_EQ(0, wsp_setsockopt(s, SOL_SOCKET, SO_LINGER, &lg,
				    sizeof(lg)));
	ASSERT_EQ(0, wsp_duplicate(s, self->ag[0].target, &info));
	close(s);
	agent_stop(_metadata, &self->ag[0]);

	ASSERT_LT(0, poll_one(c, POLLIN, WAIT_MS))
		TH_LOG("the orphaned socket was not closed");
	EXPECT_EQ(-ECONNRESET, wsp_recv(c, &byte, 1, 0))
		TH_LOG("the peer saw a graceful close, not a reset");
	close(c);
}

/* dup(2) and F_DUPFD copy the fd: same open file, same socket. */
TEST_F(dup, dup2_shares_socket)
{
	int fd = new_tcp(_metadata, self->dev), d, d2;
	unsigned long long id;
	uint64_t sid = socket_id(_metadata, fd);

	d = dup(fd);
	ASSERT_LE(0, d);
	d2 = fcntl(fd, F_DUPFD_CLOEXEC, 100);
	ASSERT_LE(100, d2);
	EXPECT_EQ(sid, socket_id(_metadata, d));
	EXPECT_EQ(sid, socket_id(_metadata, d2));
	ASSERT_NE(0, file_ino(fd));
	EXPECT_EQ(file_ino(fd), file_ino(d));
	EXPECT_EQ(file_ino(fd), file_ino(d2));
	ASSERT_EQ(0, wsp_fdinfo_socket_id(d2, &id));
	EXPECT_EQ(sid, id);
	close(fd);
	EXPECT_EQ(sid, socket_id(_metadata, d));
	EXPECT_EQ(0, pending(_metadata, d2));
	close(d);
	close(d2);
}

/* A forked child inherits the fd: same socket, same file. */
TEST_F(dup, fork_shares_socket)
{
	struct wsp_socket_info si, si2;
	unsigned long long id = 0;
	int fd = new_tcp(_metadata, self->dev);

	ASSERT_EQ(0, wsp_info(fd, &si));
	agent_start(_metadata, self->ag, 0);	/* inherits fd */
	ASSERT_EQ(0, ag_info(_metadata, &self->ag[0], fd, &si2));
	EXPECT_EQ(si.socket_id, si2.socket_id);
	EXPECT_EQ(file_ino(fd), ag_ino(_metadata, &self->ag[0], fd));
	ASSERT_EQ(0, ag_fdinfo(_metadata, &self->ag[0], fd, &id));
	EXPECT_EQ(si.socket_id, id);
	EXPECT_EQ(0, ag_simple(_metadata, &self->ag[0], AG_CLOSE, fd, 0));
	EXPECT_EQ(si.socket_id, socket_id(_metadata, fd));
	agent_stop(_metadata, &self->ag[0]);
	EXPECT_EQ(si.socket_id, socket_id(_metadata, fd));
	close(fd);
}

/* SCM_RIGHTS passes the fd to another process: same socket. */
TEST_F(dup, scm_rights_shares_socket)
{
	struct wsp_socket_info si, si2;
	unsigned long long id = 0;
	int sp[2], fd;
	long rfd;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp));
	agent_start(_metadata, self->ag, 0);
	close(sp[1]);	/* the agent has its copy */
	fd = new_tcp(_metadata, self->dev);
	ASSERT_EQ(0, wsp_info(fd, &si));
	ASSERT_EQ(0, wsp_send_fd(sp[0], fd));
	rfd = ag_simple(_metadata, &self->ag[0], AG_RECVFD, sp[1], 0);
	ASSERT_LE(0, rfd) TH_LOG("recv_fd: %s", strerror(-rfd));
	ASSERT_EQ(0, ag_info(_metadata, &self->ag[0], rfd, &si2));
	EXPECT_EQ(si.socket_id, si2.socket_id);
	EXPECT_EQ(file_ino(fd), ag_ino(_metadata, &self->ag[0], rfd));
	ASSERT_EQ(0, ag_fdinfo(_metadata, &self->ag[0], rfd, &id));
	EXPECT_EQ(si.socket_id, id);
	EXPECT_EQ(0, ag_simple(_metadata, &self->ag[0], AG_CLOSE, rfd, 0));
	EXPECT_EQ(si.socket_id, socket_id(_metadata, fd));
	agent_stop(_metadata, &self->ag[0]);
	close(sp[0]);
	close(fd);
}

/*
 * Options set through one descriptor are read through the other, both
 * ways: SO_RCVBUF/SO_SNDBUF, SO_KEEPALIVE, SO_LINGER, TCP_NODELAY.
 */
static void check_options_shared(struct __test_metadata *_metadata,
				 const struct holder *a, const struct holder *b)
{
	struct linger l = { .l_onoff = 1, .l_linger = 7 }, got;
	unsigned int len;
	int before, after;

	before = h_getopt_int(_metadata, a, SOL_SOCKET, SO_RCVBUF);
	h_setopt_int(_metadata, a, SOL_SOCKET, SO_RCVBUF, 24576);
	after = h_getopt_int(_metadata, a, SOL_SOCKET, SO_RCVBUF);
	EXPECT_NE(before, after);
	EXPECT_EQ(after, h_getopt_int(_metadata, b, SOL_SOCKET, SO_RCVBUF));

	EXPECT_EQ(0, h_getopt_int(_metadata, b, SOL_SOCKET, SO_KEEPALIVE));
	h_setopt_int(_metadata, a, SOL_SOCKET, SO_KEEPALIVE, 1);
	EXPECT_EQ(1, h_getopt_int(_metadata, b, SOL_SOCKET, SO_KEEPALIVE));

	EXPECT_EQ(0, h_getopt_int(_metadata, b, IPPROTO_TCP, TCP_NODELAY));
	h_setopt_int(_metadata, a, IPPROTO_TCP, TCP_NODELAY, 1);
	EXPECT_EQ(1, h_getopt_int(_metadata, b, IPPROTO_TCP, TCP_NODELAY));

	ASSERT_EQ(0, h_setopt(_metadata, a, SOL_SOCKET, SO_LINGER, &l,
			      sizeof(l)));
	memset(&got, 0, sizeof(got));
	len = sizeof(got);
	ASSERT_EQ(0, h_getopt(_metadata, b, SOL_SOCKET, SO_LINGER, &got, &len));
	EXPECT_EQ(sizeof(got), len);
	EXPECT_EQ(1, got.l_onoff);
	EXPECT_EQ(7, got.l_linger);

	/* And back the other way. */
	before = h_getopt_int(_metadata, b, SOL_SOCKET, SO_SNDBUF);
	h_setopt_int(_metadata, b, SOL_SOCKET, SO_SNDBUF, 32768);
	after = h_getopt_int(_metadata, b, SOL_SOCKET, SO_SNDBUF);
	EXPECT_NE(before, after);
	EXPECT_EQ(after, h_getopt_int(_metadata, a, SOL_SOCKET, SO_SNDBUF));
	h_setopt_int(_metadata, b, SOL_SOCKET, SO_KEEPALIVE, 0);
	EXPECT_EQ(0, h_getopt_int(_metadata, a, SOL_SOCKET, SO_KEEPALIVE));
	h_setopt_int(_metadata, b, IPPROTO_TCP, TCP_NODELAY, 0);
	EXPECT_EQ(0, h_getopt_int(_metadata, a, IPPROTO_TCP, TCP_NODELAY));
	l.l_onoff = 0;
	l.l_linger = 0;
	ASSERT_EQ(0, h_setopt(_metadata, b, SOL_SOCKET, SO_LINGER, &l,
			      sizeof(l)));
	len = sizeof(got);
	ASSERT_EQ(0, h_getopt(_metadata, a, SOL_SOCKET, SO_LINGER, &got, &len));
	EXPECT_EQ(0, got.l_onoff);
}

TEST_F(dup, options_shared_same_process)
{
	int fd = new_tcp(_metadata, self->dev);
	struct holder a = { .ag = NULL, .fd = fd }, b;

	b = make_dup(_metadata, self->dev, fd, NULL);
	check_options_shared(_metadata, &a, &b);
	close(b.fd);
	close(fd);
}

TEST_F(dup, options_shared_across_processes)
{
	struct holder a = { .ag = NULL }, b;

	agent_start(_metadata, self->ag, 0);
	a.fd = new_tcp(_metadata, self->dev);
	b = make_dup(_metadata, self->dev, a.fd, &self->ag[0]);
	check_options_shared(_metadata, &a, &b);
	EXPECT_EQ(0, h_close(_metadata, &b));
	agent_stop(_metadata, &self->ag[0]);
	close(a.fd);
}

/*
 * Non-blocking mode set through @a governs @b; set back through @b, it
 * governs @a. @peer is the connection's plain peer.
 */
static void check_nonblock_shared(struct __test_metadata *_metadata,
				  const struct holder *a,
				  const struct holder *b, int peer)
{
	struct timeval tv = { .tv_sec = 3 };
	struct wsp_socket_info si;
	char buf[16];
	long n, usec;

	/*
	 * A safety net, and shared too: a recv that wrongly blocks ends
	 * after 3 s instead of hanging the test.
	 */
	ASSERT_EQ(0, h_setopt(_metadata, a, SOL_SOCKET, SO_RCVTIMEO, &tv,
			      sizeof(tv)));

	ASSERT_EQ(0, h_info(_metadata, b, &si));
	EXPECT_EQ(0, si.nonblocking);
	EXPECT_EQ(0, h_file_nonblocking(_metadata, b));
	ASSERT_EQ(0, h_nonblock(_metadata, a, 1));
	ASSERT_EQ(0, h_info(_metadata, a, &si));
	EXPECT_EQ(1, si.nonblocking);
	ASSERT_EQ(0, h_info(_metadata, b, &si));
	EXPECT_EQ(1, si.nonblocking);
	/* The mode is the file's O_NONBLOCK, seen through both. */
	EXPECT_EQ(1, h_file_nonblocking(_metadata, a));
	EXPECT_EQ(1, h_file_nonblocking(_metadata, b));

	n = h_recv(_metadata, b, buf, sizeof(buf), 0, &usec);
	EXPECT_EQ(-EAGAIN, n);
	EXPECT_GT(1000000, usec) TH_LOG("recv took %ld us", usec);
	n = h_recv(_metadata, a, buf, sizeof(buf), 0, &usec);
	EXPECT_EQ(-EAGAIN, n);
	EXPECT_GT(1000000, usec) TH_LOG("recv took %ld us", usec);

	/* Back to blocking, through the other descriptor. */
	ASSERT_EQ(0, h_nonblock(_metadata, b, 0));
	ASSERT_EQ(0, h_info(_metadata, a, &si));
	EXPECT_EQ(0, si.nonblocking);
	ASSERT_EQ(0, h_info(_metadata, b, &si));
	EXPECT_EQ(0, si.nonblocking);
	EXPECT_EQ(0, h_file_nonblocking(_metadata, a));
	EXPECT_EQ(0, h_file_nonblocking(_metadata, b));

	/* A blocking recv now waits, up to the receive timeout. */
	tv.tv_sec = 0;
	tv.tv_usec = 300000;
	ASSERT_EQ(0, h_setopt(_metadata, b, SOL_SOCKET, SO_RCVTIMEO, &tv,
			      sizeof(tv)));
	n = h_recv(_metadata, a, buf, sizeof(buf), 0, &usec);
	EXPECT_EQ(-EAGAIN, n);
	EXPECT_LE(250000, usec) TH_LOG("recv returned after %ld us", usec);

	/* Data present: the blocking recv returns it. */
	ASSERT_EQ(2, send(peer, "ok", 2, 0));
	h_expect_data(_metadata, a, "ok");
}

TEST_F(dup, nonblocking_shared_same_process)
{
	struct holder a = { .ag = NULL }, b;
	int peer;

	tcp_to_plain_peer(_metadata, self->dev, &a.fd, &peer);
	b = make_dup(_metadata, self->dev, a.fd, NULL);
	check_nonblock_shared(_metadata, &a, &b, peer);
	close(b.fd);
	close(a.fd);
	close(peer);
}

TEST_F(dup, nonblocking_shared_across_processes)
{
	struct holder a = { .ag = NULL }, b;
	int peer;

	agent_start(_metadata, self->ag, 0);
	tcp_to_plain_peer(_metadata, self->dev, &a.fd, &peer);
	b = make_dup(_metadata, self->dev, a.fd, &self->ag[0]);
	check_nonblock_shared(_metadata, &a, &b, peer);
	/* And the other way round: the agent's descriptor sets the mode. */
	check_nonblock_shared(_metadata, &b, &a, peer);
	EXPECT_EQ(0, h_close(_metadata, &b));
	agent_stop(_metadata, &self->ag[0]);
	close(a.fd);
	close(peer);
}

/*
 * fcntl(F_SETFL, O_NONBLOCK) through one descriptor is the socket's
 * blocking mode for every descriptor, in every process: SOCKET_INFO
 * reports it, and a receive through the other returns EAGAIN at once.
 */
static void check_o_nonblock_is_mode(struct __test_metadata *_metadata,
				     const struct holder *a,
				     const struct holder *b)
{
	struct timeval tv = { .tv_sec = 3 };
	struct wsp_socket_info si;
	char buf[8];
	long n, usec;

	/* A safety net: a receive that wrongly blocks ends after 3 s. */
	ASSERT_EQ(0, h_setopt(_metadata, a, SOL_SOCKET, SO_RCVTIMEO, &tv,
			      sizeof(tv)));
	ASSERT_EQ(0, h_set_o_nonblock(_metadata, a, 1));
	ASSERT_EQ(0, h_info(_metadata, b, &si));
	EXPECT_EQ(1, si.nonblocking);
	EXPECT_EQ(1, h_file_nonblocking(_metadata, b));
	n = h_recv(_metadata, b, buf, sizeof(buf), 0, &usec);
	EXPECT_EQ(-EAGAIN, n);
	EXPECT_GT(1000000, usec) TH_LOG("recv took %ld us", usec);

	ASSERT_EQ(0, h_set_o_nonblock(_metadata, b, 0));
	ASSERT_EQ(0, h_info(_metadata, a, &si));
	EXPECT_EQ(0, si.nonblocking);
	EXPECT_EQ(0, h_file_nonblocking(_metadata, a));
}

TEST_F(dup, o_nonblock_is_socket_mode_same_process)
{
	struct holder a = { .ag = NULL }, b;
	int peer;

	tcp_to_plain_peer(_metadata, self->dev, &a.fd, &peer);
	b = make_dup(_metadata, self->dev, a.fd, NULL);
	check_o_nonblock_is_mode(_metadata, &a, &b);
	check_o_nonblock_is_mode(_metadata, &b, &a);
	close(b.fd);
	close(a.fd);
	close(peer);
}

TEST_F(dup, o_nonblock_is_socket_mode_across_processes)
{
	struct holder a = { .ag = NULL }, b;
	int peer;

	agent_start(_metadata, self->ag, 0);
	tcp_to_plain_peer(_metadata, self->dev, &a.fd, &peer);
	b = make_dup(_metadata, self->dev, a.fd, &self->ag[0]);
	check_o_nonblock_is_mode(_metadata, &a, &b);
	check_o_nonblock_is_mode(_metadata, &b, &a);
	EXPECT_EQ(0, h_close(_metadata, &b));
	agent_stop(_metadata, &self->ag[0]);
	close(a.fd);
	close(peer);
}

/* ioctl(FIONBIO) is the same flag: seen through a redeemed descriptor. */
TEST_F(dup, fionbio_is_socket_mode)
{
	struct holder a = { .ag = NULL }, b;
	struct wsp_socket_info si;
	int on = 1, peer;

	tcp_to_plain_peer(_metadata, self->dev, &a.fd, &peer);
	b = make_dup(_metadata, self->dev, a.fd, NULL);
	ASSERT_EQ(0, ioctl(a.fd, FIONBIO, &on));
	ASSERT_EQ(0, wsp_info(b.fd, &si));
	EXPECT_EQ(1, si.nonblocking);
	EXPECT_EQ(1, file_nonblocking(b.fd));
	on = 0;
	ASSERT_EQ(0, ioctl(b.fd, FIONBIO, &on));
	ASSERT_EQ(0, wsp_info(a.fd, &si));
	EXPECT_EQ(0, si.nonblocking);
	EXPECT_EQ(0, file_nonblocking(a.fd));
	close(b.fd);
	close(a.fd);
	close(peer);
}

/*
 * The socket has one registration, whichever descriptor or process made
 * it: seen through every descriptor, replaced or cancelled through any;
 * it makes the socket non-blocking for all, and while it has a mask
 * WSP_IOC_SET_NONBLOCK{0} through any descriptor gets EINVAL.
 */
static void check_registration_shared(struct __test_metadata *_metadata,
				      const struct holder *a,
				      const struct holder *b, int efd_a,
				      int efd_b)
{
	struct wsp_registration reg;
	struct wsp_socket_info si;

	ASSERT_EQ(0, h_nonblock(_metadata, a, 0));
	EXPECT_EQ(0, h_file_nonblocking(_metadata, b));

	ASSERT_EQ(0, h_event_select(_metadata, a, efd_a, WSP_FD_READ | WSP_FD_CLOSE));
	ASSERT_EQ(0, h_get_registration(_metadata, b, &reg));
	EXPECT_EQ(WSP_REG_EVENT, reg.kind);
	EXPECT_EQ(WSP_FD_READ | WSP_FD_CLOSE, reg.mask);
	EXPECT_EQ((uint64_t)a->fd, reg.descriptor);
	EXPECT_EQ(a->ag ? a->ag->target : getpid(), reg.pid);

	/* Non-blocking for every descriptor; blocking refused through any. */
	EXPECT_EQ(1, h_file_nonblocking(_metadata, b));
	ASSERT_EQ(0, h_info(_metadata, b, &si));
	EXPECT_EQ(1, si.nonblocking);
	EXPECT_EQ(-EINVAL, h_nonblock(_metadata, b, 0));
	EXPECT_EQ(-EINVAL, h_nonblock(_metadata, a, 0));
	EXPECT_EQ(1, h_file_nonblocking(_metadata, a));

	/* Replaced through the other descriptor. */
	ASSERT_EQ(0, h_event_select(_metadata, b, efd_b, WSP_FD_WRITE));
	ASSERT_EQ(0, h_get_registration(_metadata, a, &reg));
	EXPECT_EQ(WSP_REG_EVENT, reg.kind);
	EXPECT_EQ(WSP_FD_WRITE, reg.mask);
	EXPECT_EQ((uint64_t)b->fd, reg.descriptor);

	/* Cancelled through the first: blocking mode is allowed again. */
	ASSERT_EQ(0, h_event_select(_metadata, a, -1, 0));
	ASSERT_EQ(0, h_get_registration(_metadata, b, &reg));
	EXPECT_EQ(WSP_REG_NONE, reg.kind);
	EXPECT_EQ(0, h_nonblock(_metadata, b, 0));
	EXPECT_EQ(0, h_file_nonblocking(_metadata, a));
}

TEST_F(dup, registration_shared_same_process)
{
	struct holder a = { .ag = NULL }, b;
	int peer, efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	ASSERT_LE(0, efd);
	tcp_to_plain_peer(_metadata, self->dev, &a.fd, &peer);
	b = make_dup(_metadata, self->dev, a.fd, NULL);
	check_registration_shared(_metadata, &a, &b, efd, efd);
	check_registration_shared(_metadata, &b, &a, efd, efd);
	close(b.fd);
	close(a.fd);
	close(peer);
	close(efd);
}

TEST_F(dup, registration_shared_across_processes)
{
	struct holder a = { .ag = NULL }, b;
	int peer, efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	/* The agent inherits the eventfd: the same number in both. */
	ASSERT_LE(0, efd);
	agent_start(_metadata, self->ag, 0);
	tcp_to_plain_peer(_metadata, self->dev, &a.fd, &peer);
	b = make_dup(_metadata, self->dev, a.fd, &self->ag[0]);
	check_registration_shared(_metadata, &a, &b, efd, efd);
	check_registration_shared(_metadata, &b, &a, efd, efd);
	EXPECT_EQ(0, h_close(_metadata, &b));
	agent_stop(_metadata, &self->ag[0]);
	close(a.fd);
	close(peer);
	close(efd);
}

/* Data written through any descriptor, in any process, reaches the peer. */
TEST_F(dup, send_through_any_descriptor)
{
	struct holder a = { .ag = NULL }, b, c;
	int peer;

	agent_start(_metadata, self->ag, 0);
	tcp_to_plain_peer(_metadata, self->dev, &a.fd, &peer);
	b = make_dup(_metadata, self->dev, a.fd, &self->ag[0]);
	c = make_dup(_metadata, self->dev, a.fd, NULL);
	ASSERT_EQ(3, h_send(_metadata, &a, "one", 3));
	ASSERT_EQ(3, h_send(_metadata, &b, "two", 3));
	ASSERT_EQ(5, h_send(_metadata, &c, "three", 5));
	peer_expect_data(_metadata, peer, "onetwothree");
	EXPECT_EQ(0, h_close(_metadata, &b));
	agent_stop(_metadata, &self->ag[0]);
	close(c.fd);
	close(a.fd);
	close(peer);
}

/* Data arriving is readable through any descriptor, in any process. */
TEST_F(dup, recv_through_any_descriptor)
{
	struct holder a = { .ag = NULL }, b, c;
	int peer;

	agent_start(_metadata, self->ag, 0);
	tcp_to_plain_peer(_metadata, self->dev, &a.fd, &peer);
	b = make_dup(_metadata, self->dev, a.fd, &self->ag[0]);
	c = make_dup(_metadata, self->dev, a.fd, NULL);
	ASSERT_EQ(3, send(peer, "abc", 3, 0));
	h_expect_data(_metadata, &b, "abc");
	ASSERT_EQ(3, send(peer, "def", 3, 0));
	h_expect_data(_metadata, &a, "def");
	ASSERT_EQ(3, send(peer, "ghi", 3, 0));
	h_expect_data(_metadata, &c, "ghi");
	EXPECT_EQ(0, h_close(_metadata, &b));
	agent_stop(_metadata, &self->ag[0]);
	close(c.fd);
	close(a.fd);
	close(peer);
}

/* A duplicated listener accepts, in the other process and in this one. */
TEST_F(dup, accept_through_duplicated_listener)
{
	struct wsp_socket_info si;
	struct holder l = { .ag = NULL }, d, acc = { .ag = NULL };
	uint16_t port;
	int c1, c2;
	long afd;

	agent_start(_metadata, self->ag, 0);
	l.fd = wsp_bound(self->dev, SOCK_STREAM, &port);
	ASSERT_LE(0, l.fd);
	ASSERT_EQ(0, wsp_listen(l.fd, 8));
	d = make_dup(_metadata, self->dev, l.fd, &self->ag[0]);

	c1 = plain_connect(SOCK_STREAM, port);
	ASSERT_LE(0, c1);
	afd = ag_simple(_metadata, &self->ag[0], AG_ACCEPT, d.fd, 0);
	ASSERT_LE(0, afd) TH_LOG("accept in the agent: %s", strerror(-afd));
	acc.ag = &self->ag[0];
	acc.fd = afd;
	ASSERT_EQ(0, h_info(_metadata, &acc, &si));
	EXPECT_NE(socket_id(_metadata, l.fd), si.socket_id);
	EXPECT_EQ(SOCK_STREAM, si.type);
	ASSERT_EQ(2, send(c1, "hi", 2, 0));
	h_expect_data(_metadata, &acc, "hi");
	EXPECT_EQ(0, h_close(_metadata, &acc));

	c2 = plain_connect(SOCK_STREAM, port);
	ASSERT_LE(0, c2);
	acc.ag = NULL;
	acc.fd = wsp_accept(l.fd, NULL);
	ASSERT_LE(0, acc.fd);
	ASSERT_EQ(2, send(c2, "yo", 2, 0));
	h_expect_data(_metadata, &acc, "yo");
	close(acc.fd);

	EXPECT_EQ(0, h_close(_metadata, &d));
	agent_stop(_metadata, &self->ag[0]);
	close(c1);
	close(c2);
	close(l.fd);
}

/* ---------------------------------------------------------------- */
/* Close order: the real socket goes at the last close, in any order */
/* ---------------------------------------------------------------- */

FIXTURE(order) {
	int dev;
	struct agent ag[MAX_AGENTS];
};

FIXTURE_VARIANT(order) {
	bool cross;		/* the duplicate lives in another process */
	bool source_first;	/* the source descriptor is closed first */
};

FIXTURE_VARIANT_ADD(order, local_source_first) {
	.cross = false, .source_first = true,
};

FIXTURE_VARIANT_ADD(order, local_duplicate_first) {
	.cross = false, .source_first = false,
};

FIXTURE_VARIANT_ADD(order, cross_source_first) {
	.cross = true, .source_first = true,
};

FIXTURE_VARIANT_ADD(order, cross_duplicate_first) {
	.cross = true, .source_first = false,
};

FIXTURE_SETUP(order)
{
	agents_setup(_metadata, &self->dev, self->ag);
	/* Before any socket exists, so that it inherits none. */
	if (self->dev >= 0 && variant->cross)
		agent_start(_metadata, self->ag, 0);
}

FIXTURE_TEARDOWN(order)
{
	agents_teardown(self->dev, self->ag);
}

/* h[0] the source, h[1] its duplicate (here or in the agent). */
static void order_dup(struct __test_metadata *_metadata,
		      FIXTURE_DATA(order) *self,
		      const FIXTURE_VARIANT(order) *variant, int src,
		      struct holder h[2])
{
	h[0].ag = NULL;
	h[0].fd = src;
	h[1] = make_dup(_metadata, self->dev, src,
			variant->cross ? &self->ag[0] : NULL);
}

static void order_end(struct __test_metadata *_metadata,
		      FIXTURE_DATA(order) *self,
		      const FIXTURE_VARIANT(order) *variant)
{
	if (variant->cross)
		agent_stop(_metadata, &self->ag[0]);
}

/* The peer sees end-of-stream at the last close, never before. */
TEST_F(order, tcp_peer_eof_at_last_close)
{
	int first = variant->source_first ? 0 : 1, client, peer;
	struct holder h[2];
	char buf[8];

	tcp_to_plain_peer(_metadata, self->dev, &client, &peer);
	order_dup(_metadata, self, variant, client, h);

	ASSERT_EQ(0, h_close(_metadata, &h[first]));
	EXPECT_EQ(0, poll_one(peer, POLLIN, QUIET_MS))
		TH_LOG("the peer saw data or end-of-stream after the first close");

	/* The remaining descriptor still works both ways. */
	ASSERT_EQ(5, h_send(_metadata, &h[!first], "still", 5));
	peer_expect_data(_metadata, peer, "still");
	ASSERT_EQ(4, send(peer, "here", 4, 0));
	h_expect_data(_metadata, &h[!first], "here");
	EXPECT_EQ(0, poll_one(peer, POLLIN, QUIET_MS));

	ASSERT_EQ(0, h_close(_metadata, &h[!first]));
	ASSERT_EQ(POLLIN, poll_one(peer, POLLIN, WAIT_MS) & POLLIN)
		TH_LOG("no end-of-stream at the peer after the last close");
	EXPECT_EQ(0, recv(peer, buf, sizeof(buf), MSG_DONTWAIT));
	close(peer);
	order_end(_metadata, self, variant);
}

/*
 * A bound listening TCP socket (that never accepted a connection) keeps
 * its port until the last close; then a fresh socket binds it at once,
 * without SO_REUSEADDR.
 */
TEST_F(order, tcp_listener_port_free_at_last_close)
{
	int first = variant->source_first ? 0 : 1, l, c;
	struct holder h[2];
	uint16_t port;
	int val = 0;

	l = wsp_bound(self->dev, SOCK_STREAM, &port);
	ASSERT_LE(0, l);
	ASSERT_EQ(0, wsp_listen(l, 8));
	order_dup(_metadata, self, variant, l, h);
	ASSERT_EQ(-EADDRINUSE, plain_bind_probe(SOCK_STREAM, port));

	ASSERT_EQ(0, h_close(_metadata, &h[first]));
	EXPECT_EQ(-EADDRINUSE, plain_bind_probe(SOCK_STREAM, port));
	val = h_getopt_int(_metadata, &h[!first], SOL_SOCKET, SO_ACCEPTCONN);
	EXPECT_EQ(1, val);
	/* Still listening: a connection completes (and is never accepted). */
	c = plain_connect(SOCK_STREAM, port);
	ASSERT_LE(0, c) TH_LOG("connect after the first close: %s",
			       strerror(-c));
	EXPECT_EQ(0, poll_one(c, POLLIN, QUIET_MS));

	ASSERT_EQ(0, h_close(_metadata, &h[!first]));
	/* The listener is gone: its pending connection is reset. */
	EXPECT_NE(0, poll_one(c, POLLIN, WAIT_MS));
	close(c);
	EXPECT_EQ(0, plain_bind_probe(SOCK_STREAM, port))
		TH_LOG("port %u not free after the last close", port);
	order_end(_metadata, self, variant);
}

/* A bound UDP socket keeps its port until the last close, in any order. */
TEST_F(order, udp_port_free_at_last_close)
{
	int first = variant->source_first ? 0 : 1, u, s;
	struct holder h[2];
	uint16_t port;

	u = wsp_bound(self->dev, SOCK_DGRAM, &port);
	ASSERT_LE(0, u);
	order_dup(_metadata, self, variant, u, h);
	ASSERT_EQ(-EADDRINUSE, plain_bind_probe(SOCK_DGRAM, port));

	ASSERT_EQ(0, h_close(_metadata, &h[first]));
	EXPECT_EQ(-EADDRINUSE, plain_bind_probe(SOCK_DGRAM, port));
	/* Still receiving. */
	s = plain_connect(SOCK_DGRAM, port);
	ASSERT_LE(0, s);
	ASSERT_EQ(4, send(s, "ping", 4, 0));
	h_expect_data(_metadata, &h[!first], "ping");
	close(s);

	ASSERT_EQ(0, h_close(_metadata, &h[!first]));
	EXPECT_EQ(0, plain_bind_probe(SOCK_DGRAM, port))
		TH_LOG("port %u not free after the last close", port);
	order_end(_metadata, self, variant);
}

/* ---------------------------------------------------------------- */
/* Last: everything made by a full cycle is gone again               */
/* ---------------------------------------------------------------- */

FIXTURE(counters) {
	int dev;
	struct agent ag[MAX_AGENTS];
};

FIXTURE_SETUP(counters)
{
	agents_setup(_metadata, &self->dev, self->ag);
}

FIXTURE_TEARDOWN(counters)
{
	agents_teardown(self->dev, self->ag);
}

TEST_F(counters, track_and_return_to_start)
{
	struct wsp_protocol_info info, lost;
	struct wsp_counters c0, c, want;
	int fd, r, copy;
	long afd;

	ASSERT_EQ(0, read_counters_no_windows(&c0));
	EXPECT_LE(0, c0.sockets);
	EXPECT_LE(0, c0.pending_duplicates);
	EXPECT_LE(0, c0.registrations);
	agent_start(_metadata, self->ag, 0);

	fd = new_tcp(_metadata, self->dev);
	want = c0;
	want.sockets++;
	ASSERT_EQ(0, wsp_read_counters(&c));
	EXPECT_TRUE(wsp_counters_match(&want, &c)) log_counters(_metadata, &c, &want);

	ASSERT_EQ(0, wsp_duplicate(fd, getpid(), &info));
	want.pending_duplicates++;
	ASSERT_EQ(0, wsp_read_counters(&c));
	EXPECT_TRUE(wsp_counters_match(&want, &c)) log_counters(_metadata, &c, &want);

	/* A redemption is a descriptor of the same socket: no new one. */
	r = redeem(self->dev, &info, WSP_FD_CLOEXEC);
	ASSERT_LE(0, r);
	want.pending_duplicates--;
	ASSERT_EQ(0, wsp_read_counters(&c));
	EXPECT_TRUE(wsp_counters_match(&want, &c)) log_counters(_metadata, &c, &want);

	copy = dup(r);
	ASSERT_LE(0, copy);
	ASSERT_EQ(0, wsp_read_counters(&c));
	EXPECT_TRUE(wsp_counters_match(&want, &c)) log_counters(_metadata, &c, &want);

	/* One redeemed in the agent, one left for the agent to drop. */
	ASSERT_EQ(0, wsp_duplicate(fd, self->ag[0].target, &info));
	ASSERT_EQ(0, wsp_duplicate(fd, self->ag[0].target, &lost));
	afd = ag_redeem(_metadata, &self->ag[0], self->dev, &info,
			WSP_FD_CLOEXEC);
	ASSERT_LE(0, afd);
	want.pending_duplicates++;
	ASSERT_EQ(0, wsp_read_counters(&c));
	EXPECT_TRUE(wsp_counters_match(&want, &c)) log_counters(_metadata, &c, &want);

	close(fd);
	close(r);
	close(copy);
	/* The agent's descriptor and its pending token keep the socket. */
	ASSERT_EQ(0, wsp_read_counters(&c));
	EXPECT_TRUE(wsp_counters_match(&want, &c)) log_counters(_metadata, &c, &want);
	agent_stop(_metadata, &self->ag[0]);	/* closes afd, drops lost */

	ASSERT_EQ(0, wsp_await_counters(&c0, &c, WAIT_MS))
		log_counters(_metadata, &c, &c0);
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/*
 * ownership_test - wspshare's socket callbacks stay on the sockets it
 * owns. A TCP connection that reaches a wspshare listener is cloned with
 * the listener's callbacks (the module's); if the listener stops
 * listening while the connection waits in its accept queue, SO_REUSEPORT
 * request migration (net.ipv4.tcp_migrate_req) hands it to another
 * listener of the port, here a plain socket(2) one, and it never becomes
 * a wspshare socket. It must carry none of the module's code: after the
 * module is unloaded, it still works both ways and closes.
 *
 * Each test runs in a network namespace of its own (as root, in the test
 * VM), unloads the module and loads it again from WSP_MODULE_FILE, so
 * this program runs after the others of its boot.
 */
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "wsp_net.h"

/* How long a test waits for a condition that should come at once. */
#define WAIT_MS 5000
/* Connections tried until one lands in the wspshare listener's queue. */
#define MAX_CLIENTS 64

#define MIGRATE_REQ_PATH "/proc/sys/net/ipv4/tcp_migrate_req"

/* How the wspshare listener stops listening. */
enum stop_how {
	STOP_CLOSE,		/* close(2): the release wrapper */
	STOP_SHUTDOWN,		/* shutdown(SHUT_RD) */
	STOP_DISCONNECT,	/* connect(AF_UNSPEC) */
};

/* A network namespace of our own with lo up and request migration on. */
static int private_net(const char **why)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	int fd, ok;

	if (unshare(CLONE_NEWNET)) {
		*why = "unshare(CLONE_NEWNET)";
		return -errno;
	}
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		*why = "socket";
		return -errno;
	}
	ok = !ioctl(fd, SIOCGIFFLAGS, &ifr);
	ifr.ifr_flags |= IFF_UP;
	ok = ok && !ioctl(fd, SIOCSIFFLAGS, &ifr);
	close(fd);
	if (!ok) {
		*why = "bringing lo up";
		return -errno;
	}
	fd = open(MIGRATE_REQ_PATH, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		*why = MIGRATE_REQ_PATH;
		return -errno;
	}
	ok = write(fd, "1\n", 2) == 2;
	close(fd);
	if (!ok) {
		*why = "writing " MIGRATE_REQ_PATH;
		return -EIO;
	}
	return 0;
}

/* A TCP listener on @addr (port 0: one is chosen and stored back). */
static int reuseport_listener(int fd, struct test_addr *addr)
{
	int one = 1;

	if (fd < 0)
		return fd;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) ||
	    bind(fd, &addr->sa, addr->len) || listen(fd, MAX_CLIENTS))
		return -errno;
	return wsp_getsockname(fd, addr);
}

static void exchange(struct __test_metadata *_metadata, int from, int to,
		     const char *text)
{
	char buf[16] = "";
	size_t len = strlen(text);

	ASSERT_EQ((long)len, wsp_send(from, text, len, 0));
	ASSERT_NE(0, poll1(to, POLLIN, WAIT_MS) & POLLIN);
	ASSERT_EQ((long)len, wsp_recv(to, buf, sizeof(buf), 0));
	ASSERT_EQ(0, memcmp(buf, text, len));
}

/*
 * A connection waits in a wspshare listener's queue; the listener stops
 * (@how) and the connection migrates to a plain listener; the module is
 * unloaded; the connection works both ways and closes; the module is
 * loaded again.
 */
static void migrate_then_unload(struct __test_metadata *_metadata,
				enum stop_how how)
{
	int clients[MAX_CLIENTS], accepted[MAX_CLIENTS];
	int dev, wl, pl, child, client = -1, n, i, err;
	struct test_addr addr, mine, peer;
	struct sockaddr unspec = { .sa_family = AF_UNSPEC };
	const char *why = "";
	struct pollfd pfd[2];
	char byte;

	if (geteuid())
		SKIP(return, "needs root (unshare, sysctl, delete_module)");
	if (access(WSP_MODULE_FILE, R_OK))
		SKIP(return, "%s: %s: cannot load the module again",
		     WSP_MODULE_FILE, strerror(errno));
	WSP_SETUP_DEVICE(dev);
	err = private_net(&why);
	if (err == -ENOENT)
		SKIP(return, "%s: no request migration", why);
	ASSERT_EQ(0, err) TH_LOG("%s: %s", why, strerror(-err));

	wsp_loopback(&addr, AF_INET, 0);
	wl = wsp_socket(dev, AF_INET, SOCK_STREAM, 0, 0);
	close(dev);
	ASSERT_EQ(0, reuseport_listener(wl, &addr));
	pl = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_EQ(0, reuseport_listener(pl, &addr));

	/*
	 * Reuseport picks the listener by the 4-tuple: connect until one
	 * connection waits in the wspshare listener's queue. Each lands in
	 * one of the two queues; the plain listener's are taken at once so
	 * that its readiness is always the newest connection's.
	 */
	pfd[0] = (struct pollfd){ .fd = wl, .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = pl, .events = POLLIN };
	for (n = 0; n < MAX_CLIENTS && client < 0; n++) {
		clients[n] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		ASSERT_EQ(0, wsp_connect(clients[n], &addr));
		accepted[n] = -1;
		ASSERT_EQ(1, poll(pfd, 2, WAIT_MS));
		if (pfd[0].revents & POLLIN)
			client = clients[n];
		else
			accepted[n] = wsp_accept(pl, NULL);
	}
	ASSERT_LE(0, client) TH_LOG("no connection reached the listener");
	ASSERT_EQ(0, wsp_getsockname(client, &mine));

	switch (how) {
	case STOP_CLOSE:
		break;
	case STOP_SHUTDOWN:
		ASSERT_EQ(0, shutdown(wl, SHUT_RD));
		break;
	case STOP_DISCONNECT:
		ASSERT_EQ(0, connect(wl, &unspec, sizeof(unspec)));
		break;
	}
	/* Stopped or not, the wspshare socket goes: the module must be free. */
	close(wl);

	/* The connection migrated to the plain listener: the same peer. */
	ASSERT_NE(0, poll1(pl, POLLIN, WAIT_MS) & POLLIN);
	child = wsp_accept(pl, &peer);
	ASSERT_LE(0, child);
	ASSERT_EQ(wsp_port(&mine), wsp_port(&peer));
	close(pl);
	for (i = 0; i < n; i++) {
		if (clients[i] != client)
			close(clients[i]);
		if (accepted[i] >= 0)
			close(accepted[i]);
	}

	ASSERT_EQ(0, wsp_unload_module());
	exchange(_metadata, client, child, "ping");
	exchange(_metadata, child, client, "pong");
	close(child);
	ASSERT_NE(0, poll1(client, POLLIN, WAIT_MS) & POLLIN);
	ASSERT_EQ(0, wsp_recv(client, &byte, 1, 0));	/* the FIN */
	close(client);
	ASSERT_EQ(0, wsp_load_module(WSP_MODULE_FILE));
}

TEST(child_migrated_at_close_works_after_unload)
{
	migrate_then_unload(_metadata, STOP_CLOSE);
}

TEST(child_migrated_at_shutdown_works_after_unload)
{
	migrate_then_unload(_metadata, STOP_SHUTDOWN);
}

TEST(child_migrated_at_disconnect_works_after_unload)
{
	migrate_then_unload(_metadata, STOP_DISCONNECT);
}

TEST_HARNESS_MAIN

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
 * A fast-open connection is queued at its SYN, before any callback of its
 * own has run: it is made by a raw socket from an address the SYN-ACK
 * cannot reach, so that it stays that way until the test resets it.
 *
 * Each test runs in a network namespace of its own (as root, in the test
 * VM), unloads the module and loads it again from WSP_MODULE_FILE, so
 * this program runs after the others of its boot.
 */
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
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
#define FASTOPEN_PATH "/proc/sys/net/ipv4/tcp_fastopen"
/* Server fast open without a cookie (TFO_SERVER_ENABLE, _COOKIE_NOT_REQD). */
#define FASTOPEN_SERVER "514\n"

/* The fast-open peer: a network routed to lo that is nobody's address. */
#define PEER_NET 0x0a090900u	/* 10.9.9.0/24 */
#define PEER_ADDR 0x0a090909u	/* 10.9.9.9 */
#define PEER_ISN 1000u
#define PEER_DATA "hello"

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

/* Write @text to the sysctl file @path: 0, or -errno. */
/*
 * What every test here needs: root, the module file to load it again, the
 * device (@dev), and a network namespace of its own with request
 * migration (@why and @err say what failed).
 */
#define MIGRATION_PREAMBLE(dev, why, err) do {				\
	if (geteuid())							\
		SKIP(return, "needs root (unshare, sysctl, delete_module)"); \
	if (access(WSP_MODULE_FILE, R_OK))				\
		SKIP(return, "%s: %s: cannot load the module again",	\
		     WSP_MODULE_FILE, strerror(errno));			\
	WSP_SETUP_DEVICE(dev);						\
	(err) = private_net(&(why));					\
	if ((err) == -ENOENT)						\
		SKIP(return, "%s: no request migration", (why));	\
	ASSERT_EQ(0, (err)) TH_LOG("%s: %s", (why), strerror(-(err)));	\
} while (0)

static int write_sysctl(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t len = strlen(text);
	int err = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, text, len) != len)
		err = -EIO;
	close(fd);
	return err;
}

/* Route PEER_NET to lo: packets to it leave and are dropped. */
static int route_peer_net(void)
{
	struct rtentry rt = { .rt_flags = RTF_UP, .rt_dev = "lo" };
	struct sockaddr_in *dst = (struct sockaddr_in *)&rt.rt_dst;
	struct sockaddr_in *mask = (struct sockaddr_in *)&rt.rt_genmask;
	int fd, err = 0;

	dst->sin_family = AF_INET;
	dst->sin_addr.s_addr = htonl(PEER_NET);
	mask->sin_family = AF_INET;
	mask->sin_addr.s_addr = htonl(0xffffff00u);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, SIOCADDRT, &rt))
		err = -errno;
	close(fd);
	return err;
}

static uint32_t csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (p[i] << 8) | p[i + 1];
	if (len & 1)
		sum += p[len - 1] << 8;
	return sum;
}

/*
 * Send a TCP segment from PEER_ADDR:@sport to 127.0.0.1:@dport through
 * the raw socket @raw: @flags (TH_*), sequence number @seq, @data.
 */
static int send_segment(int raw, uint16_t sport, uint16_t dport,
			uint8_t flags, uint32_t seq, const char *data)
{
	struct {
		struct iphdr ip;
		struct tcphdr tcp;
		char data[16];
	} __attribute__((packed)) pkt = {};
	struct {
		uint32_t saddr, daddr;
		uint8_t zero, proto;
		uint16_t len;
	} __attribute__((packed)) pseudo;
	struct sockaddr_in to = { .sin_family = AF_INET };
	size_t dlen = strlen(data);
	size_t tlen = sizeof(pkt.tcp) + dlen;
	uint32_t sum;

	pkt.ip.version = 4;
	pkt.ip.ihl = 5;
	pkt.ip.ttl = 64;
	pkt.ip.protocol = IPPROTO_TCP;
	pkt.ip.saddr = htonl(PEER_ADDR);
	pkt.ip.daddr = htonl(INADDR_LOOPBACK);
	pkt.tcp.th_sport = htons(sport);
	pkt.tcp.th_dport = htons(dport);
	pkt.tcp.th_seq = htonl(seq);
	pkt.tcp.th_off = 5;
	pkt.tcp.th_flags = flags;
	pkt.tcp.th_win = htons(65535);
	memcpy(pkt.data, data, dlen);
	pseudo = (typeof(pseudo)){ pkt.ip.saddr, pkt.ip.daddr, 0,
				   IPPROTO_TCP, htons(tlen) };
	sum = csum_add(csum_add(0, &pseudo, sizeof(pseudo)), &pkt.tcp, tlen);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	pkt.tcp.th_sum = htons(~sum & 0xffff);
	to.sin_addr = (struct in_addr){ pkt.ip.daddr };
	if (sendto(raw, &pkt, sizeof(pkt.ip) + tlen, 0,
		   (struct sockaddr *)&to, sizeof(to)) < 0)
		return -errno;
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
	struct test_addr addr, mine, peer = {};
	struct sockaddr unspec = { .sa_family = AF_UNSPEC };
	const char *why = "";
	struct pollfd pfd[2];
	char byte;

	MIGRATION_PREAMBLE(dev, why, err);

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

/*
 * A fast-open connection (queued at its SYN, before any callback of its
 * own has run) waits in a wspshare listener's queue; the listener is
 * closed and the connection migrates to a plain listener; the module is
 * unloaded; the peer resets the connection, which reaches the socket's
 * callbacks: the reset is reported and the kernel survives.
 */
TEST(fast_open_child_migrated_at_close_works_after_unload)
{
	int dev, wl, pl, raw, child, other, qlen = 16, err, found = 0;
	const size_t dlen = strlen(PEER_DATA);
	struct test_addr addr, peer = {};
	struct pollfd pfd[2];
	const char *why = "";
	uint16_t sport;
	char buf[16];

	MIGRATION_PREAMBLE(dev, why, err);
	ASSERT_EQ(0, write_sysctl(FASTOPEN_PATH, FASTOPEN_SERVER));
	ASSERT_EQ(0, route_peer_net());
	raw = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	ASSERT_LE(0, raw);

	wsp_loopback(&addr, AF_INET, 0);
	wl = wsp_socket(dev, AF_INET, SOCK_STREAM, 0, 0);
	close(dev);
	ASSERT_EQ(0, setsockopt(wl, SOL_TCP, TCP_FASTOPEN, &qlen,
				sizeof(qlen)));
	ASSERT_EQ(0, reuseport_listener(wl, &addr));
	pl = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_EQ(0, setsockopt(pl, SOL_TCP, TCP_FASTOPEN, &qlen,
				sizeof(qlen)));
	ASSERT_EQ(0, reuseport_listener(pl, &addr));

	/* SYNs with data from new ports until one is the wspshare one's. */
	pfd[0] = (struct pollfd){ .fd = wl, .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = pl, .events = POLLIN };
	for (sport = 40000; sport < 40000 + MAX_CLIENTS && !found; sport++) {
		ASSERT_EQ(0, send_segment(raw, sport, wsp_port(&addr), TH_SYN,
					  PEER_ISN, PEER_DATA));
		ASSERT_EQ(1, poll(pfd, 2, WAIT_MS));
		if (pfd[0].revents & POLLIN) {
			found = 1;
		} else {
			other = wsp_accept(pl, NULL);
			ASSERT_LE(0, other);
			close(other);
		}
	}
	sport--;
	ASSERT_TRUE(found) TH_LOG("no connection reached the listener");

	close(wl);
	ASSERT_NE(0, poll1(pl, POLLIN, WAIT_MS) & POLLIN);
	child = wsp_accept(pl, &peer);
	ASSERT_LE(0, child);
	close(pl);
	ASSERT_EQ(sport, wsp_port(&peer));
	ASSERT_EQ((long)dlen, wsp_recv(child, buf, sizeof(buf), 0));
	ASSERT_EQ(0, memcmp(buf, PEER_DATA, dlen));

	ASSERT_EQ(0, wsp_unload_module());
	ASSERT_EQ(0, send_segment(raw, sport, wsp_port(&addr), TH_RST,
				  PEER_ISN + 1 + dlen, ""));
	ASSERT_NE(0, poll1(child, POLLIN, WAIT_MS));
	ASSERT_EQ(-ECONNRESET, wsp_recv(child, buf, sizeof(buf), 0));
	close(child);
	close(raw);
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

// SPDX-License-Identifier: GPL-2.0
/*
 * echo_server - a small echo server written with libwsp's event-select
 * calls, to be read from top to bottom.
 *
 *   wsp-echo-server [PORT]       serve on 127.0.0.1:PORT (default 7007)
 *   wsp-echo-server --self-test  serve on a free port, echo one client
 *                                that this program forks, print TAP
 *
 * The pattern, as on Windows:
 *
 *   1. one event object for every socket (WSPCreateEvent);
 *   2. each socket registers the events it wants on it (WSPEventSelect:
 *      FD_ACCEPT for the listener, FD_READ | FD_CLOSE for a client);
 *   3. the loop waits for the event (WSPWaitForEvent), resets it, and
 *      asks every socket what happened (WSPEnumNetworkEvents).
 *
 * A SOCKET is the file descriptor of a real Linux socket: the program
 * could as well call poll(2) or getpeername(2) on it.
 *
 * Build: make (it is built into build/examples/), or out of the tree:
 *   cc echo_server.c $(pkg-config --cflags --libs wsp)
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <wsp.h>

#define MAX_SOCKETS 64

static SOCKET sockets[MAX_SOCKETS];	/* [0] is the listener */
static int nsockets;

static void die(const char *what, int err)
{
	fprintf(stderr, "echo_server: %s failed: Winsock error %d\n", what, err);
	exit(1);
}

/* A listening socket on 127.0.0.1:port (0: any free port). */
static SOCKET listen_on(uint16_t port, uint16_t *bound)
{
	struct sockaddr_in addr;
	int len = sizeof(addr), err;
	SOCKET l;

	l = WSPSocket(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0, 0, &err);
	if (l == INVALID_SOCKET)
		die("WSPSocket", err);
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_port = htons(port);
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (WSPBind(l, (struct sockaddr *)&addr, sizeof(addr), &err))
		die("WSPBind", err);
	if (WSPListen(l, 16, &err))
		die("WSPListen", err);
	if (WSPGetSockName(l, (struct sockaddr *)&addr, &len, &err))
		die("WSPGetSockName", err);
	*bound = ntohs(addr.sin_port);
	return l;
}

static void forget(int i)
{
	int err;

	WSPCloseSocket(sockets[i], &err);
	sockets[i] = sockets[--nsockets];
}

/*
 * Echo what a client sent. Its socket is non-blocking (WSPEventSelect
 * made it so): read until WSAEWOULDBLOCK. Returns 0 when the client is
 * done (its orderly end, or an error), 1 while it stays.
 */
static int echo(SOCKET s)
{
	char data[4096];
	WSABUF buf = { sizeof(data), data };
	DWORD n, sent, flags;
	int err;

	for (;;) {
		flags = 0;
		if (WSPRecv(s, &buf, 1, &n, &flags, NULL, NULL, NULL, &err))
			return err == WSAEWOULDBLOCK;	/* all read for now */
		if (n == 0)
			return 0;			/* the client's end */
		WSABUF out = { n, data };
		/*
		 * A real server keeps what it could not send and waits for
		 * FD_WRITE; this one gives up on a client that slow.
		 */
		if (WSPSend(s, &out, 1, &sent, 0, NULL, NULL, NULL, &err) || sent != n)
			return 0;
	}
}

/* Serve until @clients clients have come and gone (0: for ever). */
static void serve(SOCKET listener, int clients)
{
	WSANETWORKEVENTS ne;
	WSAEVENT event;
	int err, done = 0;

	/* 1. One event object for all the sockets. */
	event = WSPCreateEvent(&err);
	if (event == WSA_INVALID_EVENT)
		die("WSPCreateEvent", err);

	/* 2. The listener reports connections waiting to be accepted. */
	if (WSPEventSelect(listener, event, FD_ACCEPT, &err))
		die("WSPEventSelect", err);
	sockets[nsockets++] = listener;

	while (!clients || done < clients) {
		/* 3. Wait, reset, then ask every socket. */
		if (WSPWaitForEvent(event, -1, &err) != 1)
			die("WSPWaitForEvent", err);
		/*
		 * Reset before asking, and ask with WSA_INVALID_EVENT: an
		 * event that happens from now on sets the object again, so
		 * the next wait sees it. (Passing the event object to each
		 * WSPEnumNetworkEvents would reset it once per socket and
		 * could lose what another socket signalled meanwhile.)
		 */
		WSPResetEvent(event, &err);
		for (int i = nsockets - 1; i >= 0; i--) {
			SOCKET s = sockets[i];

			memset(&ne, 0, sizeof(ne));
			if (WSPEnumNetworkEvents(s, WSA_INVALID_EVENT, &ne, &err))
				die("WSPEnumNetworkEvents", err);

			if (ne.lNetworkEvents & FD_ACCEPT) {
				struct sockaddr_in peer;
				int plen = sizeof(peer);
				char name[INET_ADDRSTRLEN];
				SOCKET c = WSPAccept(s, (struct sockaddr *)&peer,
						     &plen, NULL, 0, &err);

				if (c == INVALID_SOCKET)
					continue;	/* gone already */
				if (nsockets == MAX_SOCKETS) {
					WSPCloseSocket(c, &err);
					continue;
				}
				/*
				 * The new socket inherited the listener's
				 * registration (FD_ACCEPT): register what a
				 * client needs.
				 */
				if (WSPEventSelect(c, event, FD_READ | FD_CLOSE, &err))
					die("WSPEventSelect", err);
				sockets[nsockets++] = c;
				printf("# client %s:%u connected (descriptor %d)\n",
				       inet_ntop(AF_INET, &peer.sin_addr, name,
						 sizeof(name)),
				       ntohs(peer.sin_port), c);
			}
			if (ne.lNetworkEvents & (FD_READ | FD_CLOSE)) {
				/*
				 * FD_CLOSE comes when the client's end arrives,
				 * even with data still unread: echo it first.
				 */
				if (!echo(s) || (ne.lNetworkEvents & FD_CLOSE)) {
					/* 0, or WSAECONNABORTED after a reset. */
				printf("# client gone (descriptor %d, error %d)\n",
					       s, ne.iErrorCode[FD_CLOSE_BIT]);
					forget(i);
					done++;
				}
			}
		}
	}
	while (nsockets)
		forget(nsockets - 1);
	WSPCloseEvent(event, &err);
}

/* --self-test: a client process that sends a line and reads it back. */
static int client(uint16_t port)
{
	const char line[] = "hello, echo";
	char back[sizeof(line)];
	struct sockaddr_in addr;
	WSABUF out = { sizeof(line), (char *)line }, in = { sizeof(back), back };
	DWORD n, flags = MSG_WAITALL;
	int err;
	SOCKET c;

	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_port = htons(port);
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	c = WSPSocket(AF_INET, SOCK_STREAM, 0, NULL, 0, 0, &err);
	if (c == INVALID_SOCKET ||
	    WSPConnect(c, (struct sockaddr *)&addr, sizeof(addr), NULL, NULL,
		       NULL, NULL, &err) ||
	    WSPSend(c, &out, 1, &n, 0, NULL, NULL, NULL, &err) ||
	    WSPRecv(c, &in, 1, &n, &flags, NULL, NULL, NULL, &err) ||
	    n != sizeof(line) || memcmp(back, line, n))
		return 1;
	return WSPCloseSocket(c, &err) ? 1 : 0;
}

int main(int argc, char **argv)
{
	int self_test = argc > 1 && !strcmp(argv[1], "--self-test");
	uint16_t port = argc > 1 && !self_test ? (uint16_t)atoi(argv[1]) : 7007;
	SOCKET listener;
	int status;
	pid_t pid;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!self_test) {
		listener = listen_on(port, &port);
		printf("echo_server: listening on 127.0.0.1:%u\n", port);
		serve(listener, 0);
		return 0;
	}

	printf("TAP version 13\n1..1\n");
	listener = listen_on(0, &port);
	pid = fork();
	if (pid == 0)
		_exit(client(port));
	serve(listener, 1);
	status = -1;
	waitpid(pid, &status, 0);
	printf("%sok 1 echo_server: one client echoed and gone\n",
	       WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "" : "not ");
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}

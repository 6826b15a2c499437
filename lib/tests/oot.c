// SPDX-License-Identifier: GPL-2.0
/*
 * oot - a program built outside the tree against the installed libwsp:
 *
 *   cc oot.c $(pkg-config --static --cflags --libs wsp) -static
 *
 * Its only header beyond the C library's stdio is <wsp.h>. It runs one
 * round trip with the contract's functions and prints TAP.
 */
#include <stdio.h>
#include <wsp.h>

static int step(int ok, const char *what, int err)
{
	if (!ok)
		printf("# %s failed: Winsock error %d\n", what, err);
	return ok;
}

static int round_trip(void)
{
	struct sockaddr_storage addr;
	WSANETWORKEVENTS ne;
	char text[] = "out of tree", in[32];
	WSABUF out = { sizeof(text), text }, buf = { sizeof(in), in };
	DWORD n = 0, flags = 0;
	int len = sizeof(addr), e = 0;
	SOCKET l, c, s;
	WSAEVENT ev;
	char *p = (char *)&addr;

	for (unsigned int i = 0; i < sizeof(addr); i++)
		p[i] = 0;
	addr.ss_family = AF_INET;
	((unsigned char *)&addr)[4] = 127;	/* sin_addr 127.0.0.1 */
	((unsigned char *)&addr)[7] = 1;

	l = WSPSocket(AF_INET, SOCK_STREAM, 0, NULL, 0, 0, &e);
	if (!step(l != INVALID_SOCKET, "WSPSocket", e) ||
	    !step(!WSPBind(l, (struct sockaddr *)&addr, 16, &e), "WSPBind", e) ||
	    !step(!WSPListen(l, 4, &e), "WSPListen", e) ||
	    !step(!WSPGetSockName(l, (struct sockaddr *)&addr, &len, &e), "WSPGetSockName", e))
		return 0;
	c = WSPSocket(AF_INET, SOCK_STREAM, 0, NULL, 0, 0, &e);
	if (!step(c != INVALID_SOCKET, "WSPSocket", e) ||
	    !step(!WSPConnect(c, (struct sockaddr *)&addr, len, NULL, NULL, NULL, NULL, &e),
		  "WSPConnect", e))
		return 0;
	s = WSPAccept(l, NULL, NULL, NULL, 0, &e);
	if (!step(s != INVALID_SOCKET, "WSPAccept", e))
		return 0;
	ev = WSPCreateEvent(&e);
	if (!step(ev != WSA_INVALID_EVENT, "WSPCreateEvent", e) ||
	    !step(!WSPEventSelect(s, ev, FD_READ, &e), "WSPEventSelect", e) ||
	    !step(!WSPSend(c, &out, 1, &n, 0, NULL, NULL, NULL, &e), "WSPSend", e) ||
	    !step(WSPWaitForEvent(ev, 10000, &e) == 1, "WSPWaitForEvent", e) ||
	    !step(!WSPEnumNetworkEvents(s, ev, &ne, &e), "WSPEnumNetworkEvents", e) ||
	    !step(ne.lNetworkEvents == FD_READ, "FD_READ", ne.lNetworkEvents) ||
	    !step(!WSPRecv(s, &buf, 1, &n, &flags, NULL, NULL, NULL, &e), "WSPRecv", e) ||
	    !step(n == sizeof(text), "the byte count", (int)n))
		return 0;
	for (unsigned int i = 0; i < sizeof(text); i++)
		if (!step(in[i] == text[i], "the data", i))
			return 0;
	return step(!WSPCloseEvent(ev, &e), "WSPCloseEvent", e) &&
	       step(!WSPCloseSocket(s, &e), "WSPCloseSocket", e) &&
	       step(!WSPCloseSocket(c, &e), "WSPCloseSocket", e) &&
	       step(!WSPCloseSocket(l, &e), "WSPCloseSocket", e);
}

int main(void)
{
	int ok;

	printf("TAP version 13\n1..1\n");
	ok = round_trip();
	printf("%sok 1 oot: built with pkg-config against the installed libwsp\n",
	       ok ? "" : "not ");
	return ok ? 0 : 1;
}

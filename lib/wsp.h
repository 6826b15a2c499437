/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * wsp.h - libwsp: the Winsock Service Provider Interface's WSP* functions
 * over /dev/wspshare (ABI 2: a descriptor is a file descriptor of a real
 * Linux socket, so the socket system calls work on it too).
 *
 * Every function returns as the SPI does: 0 (or a descriptor, or a count
 * where said) on success; SOCKET_ERROR (or INVALID_SOCKET) on failure with
 * a Winsock error code (WSAE*, the Windows numbers) stored through lpErrno,
 * which is left alone on success. Linux values for what Linux has (address
 * families, socket types, protocols, option levels and names, struct
 * sockaddr, FIONBIO/FIONREAD/SIOCATMARK, MSG_*); Winsock values for what it
 * lacks (FD_*, WSANETWORKEVENTS, WSAMAKESELECTREPLY, WSAE*).
 *
 * Documentation/libwsp.rst says what each function maps to and where it
 * differs from Windows.
 */
#ifndef WSP_H
#define WSP_H

#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <linux/wspshare.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) && defined(WSP_BUILDING_LIBRARY)
#define WSPAPI __attribute__((visibility("default")))
#else
#define WSPAPI
#endif

/* Types */

typedef int SOCKET;		/* a wspshare descriptor: a socket's fd */
typedef int WSAEVENT;		/* an event object: an eventfd */
typedef int HWND;		/* a window: a wspshare message queue (fd) */
typedef uint32_t DWORD;
typedef unsigned int GROUP;
typedef uintptr_t WPARAM;
typedef intptr_t LPARAM;
typedef uint16_t WCHAR;

#define INVALID_SOCKET		(-1)
#define SOCKET_ERROR		(-1)
#define FROM_PROTOCOL_INFO	(-1)
#define WSA_INVALID_EVENT	(-1)

typedef struct _WSABUF {
	uint32_t len;
	char *buf;
} WSABUF;

/* Network events (Winsock values). */
#define FD_READ_BIT			0
#define FD_WRITE_BIT			1
#define FD_OOB_BIT			2
#define FD_ACCEPT_BIT			3
#define FD_CONNECT_BIT			4
#define FD_CLOSE_BIT			5
#define FD_QOS_BIT			6
#define FD_GROUP_QOS_BIT		7
#define FD_ROUTING_INTERFACE_CHANGE_BIT	8
#define FD_ADDRESS_LIST_CHANGE_BIT	9
#define FD_MAX_EVENTS			10

#define FD_READ				0x01
#define FD_WRITE			0x02
#define FD_OOB				0x04
#define FD_ACCEPT			0x08
#define FD_CONNECT			0x10
#define FD_CLOSE			0x20
#define FD_QOS				0x40
#define FD_GROUP_QOS			0x80
#define FD_ROUTING_INTERFACE_CHANGE	0x100
#define FD_ADDRESS_LIST_CHANGE		0x200
#define FD_ALL_EVENTS			0x3FF

typedef struct _WSANETWORKEVENTS {
	int32_t lNetworkEvents;
	int32_t iErrorCode[FD_MAX_EVENTS];
} WSANETWORKEVENTS;

typedef struct tagMSG {		/* one message taken from a window */
	HWND hwnd;
	unsigned int message;
	WPARAM wParam;		/* the descriptor the registration was made with */
	LPARAM lParam;		/* WSAMAKESELECTREPLY(event, error) */
} MSG;

/*
 * lParam of a window message: the event in the low 16 bits, its Winsock
 * error code in the high 16 (the module reports a Linux errno; libwsp
 * turns it into the code, as for WSPEnumNetworkEvents).
 */
#define WSAMAKESELECTREPLY(event, error) \
	((LPARAM)(((uint32_t)(uint16_t)(event)) | ((uint32_t)(uint16_t)(error) << 16)))
#define WSAGETSELECTEVENT(lParam)	((unsigned int)((uintptr_t)(lParam) & 0xFFFF))
#define WSAGETSELECTERROR(lParam)	((unsigned int)(((uintptr_t)(lParam) >> 16) & 0xFFFF))

/* WSAPROTOCOL_INFOW: the Windows layout, 628 bytes, plain data. */
#define MAX_PROTOCOL_CHAIN	7
#define BASE_PROTOCOL		1
#define LAYERED_PROTOCOL	0
#define WSAPROTOCOL_LEN		255

typedef struct _GUID {
	uint32_t Data1;
	uint16_t Data2;
	uint16_t Data3;
	uint8_t Data4[8];
} GUID;

typedef struct _WSAPROTOCOLCHAIN {
	int ChainLen;
	DWORD ChainEntries[MAX_PROTOCOL_CHAIN];
} WSAPROTOCOLCHAIN;

typedef struct _WSAPROTOCOL_INFOW {
	DWORD dwServiceFlags1;
	DWORD dwServiceFlags2;
	DWORD dwServiceFlags3;
	DWORD dwServiceFlags4;
	DWORD dwProviderFlags;
	GUID ProviderId;
	DWORD dwCatalogEntryId;
	WSAPROTOCOLCHAIN ProtocolChain;
	int iVersion;
	int iAddressFamily;
	int iMaxSockAddr;
	int iMinSockAddr;
	int iSocketType;
	int iProtocol;
	int iProtocolMaxOffset;
	int iNetworkByteOrder;
	int iSecurityScheme;
	DWORD dwMessageSize;
	DWORD dwProviderReserved;
	WCHAR szProtocol[WSAPROTOCOL_LEN + 1];
} WSAPROTOCOL_INFOW;

/* C99 and C++ alike: fails to compile unless the record is 628 bytes. */
typedef char wsp_protocol_info_is_628_bytes[sizeof(WSAPROTOCOL_INFOW) == 628 ? 1 : -1];

/* dwServiceFlags1 bits that libwsp sets (Winsock values). */
#define XP1_CONNECTIONLESS		0x00000001
#define XP1_GUARANTEED_DELIVERY		0x00000002
#define XP1_GUARANTEED_ORDER		0x00000004
#define XP1_MESSAGE_ORIENTED		0x00000008
#define XP1_GRACEFUL_CLOSE		0x00000020
#define XP1_EXPEDITED_DATA		0x00000040
#define XP1_SUPPORT_BROADCAST		0x00000200
#define XP1_SUPPORT_MULTIPOINT		0x00000400
#define XP1_IFS_HANDLES			0x00020000

/* WSPSocket flags. */
#define WSA_FLAG_OVERLAPPED		0x01
#define WSA_FLAG_NO_HANDLE_INHERIT	0x80	/* the descriptor is close-on-exec */

/* WSPShutdown: the same values as SHUT_RD, SHUT_WR, SHUT_RDWR. */
#define SD_RECEIVE	0
#define SD_SEND		1
#define SD_BOTH		2

/* Error codes (Windows numbers). */
#define WSA_INVALID_HANDLE		6
#define WSA_NOT_ENOUGH_MEMORY		8
#define WSA_INVALID_PARAMETER		87
#define WSA_OPERATION_ABORTED		995
#define WSA_IO_INCOMPLETE		996
#define WSA_IO_PENDING			997

#define WSABASEERR			10000
#define WSAEINTR			10004
#define WSAEBADF			10009
#define WSAEACCES			10013
#define WSAEFAULT			10014
#define WSAEINVAL			10022
#define WSAEMFILE			10024
#define WSAEWOULDBLOCK			10035
#define WSAEINPROGRESS			10036
#define WSAEALREADY			10037
#define WSAENOTSOCK			10038
#define WSAEDESTADDRREQ			10039
#define WSAEMSGSIZE			10040
#define WSAEPROTOTYPE			10041
#define WSAENOPROTOOPT			10042
#define WSAEPROTONOSUPPORT		10043
#define WSAESOCKTNOSUPPORT		10044
#define WSAEOPNOTSUPP			10045
#define WSAEPFNOSUPPORT			10046
#define WSAEAFNOSUPPORT			10047
#define WSAEADDRINUSE			10048
#define WSAEADDRNOTAVAIL		10049
#define WSAENETDOWN			10050
#define WSAENETUNREACH			10051
#define WSAENETRESET			10052
#define WSAECONNABORTED			10053
#define WSAECONNRESET			10054
#define WSAENOBUFS			10055
#define WSAEISCONN			10056
#define WSAENOTCONN			10057
#define WSAESHUTDOWN			10058
#define WSAETOOMANYREFS			10059
#define WSAETIMEDOUT			10060
#define WSAECONNREFUSED			10061
#define WSAELOOP			10062
#define WSAENAMETOOLONG			10063
#define WSAEHOSTDOWN			10064
#define WSAEHOSTUNREACH			10065
#define WSAENOTEMPTY			10066
#define WSAEPROCLIM			10067
#define WSAEUSERS			10068
#define WSAEDQUOT			10069
#define WSAESTALE			10070
#define WSAEREMOTE			10071
#define WSASYSNOTREADY			10091
#define WSAVERNOTSUPPORTED		10092
#define WSANOTINITIALISED		10093
#define WSAEDISCON			10101
#define WSAENOMORE			10102
#define WSAECANCELLED			10103
#define WSAEINVALIDPROCTABLE		10104
#define WSAEINVALIDPROVIDER		10105
#define WSAEPROVIDERFAILEDINIT		10106
#define WSASYSCALLFAILURE		10107
#define WSASERVICE_NOT_FOUND		10108
#define WSATYPE_NOT_FOUND		10109
#define WSA_E_NO_MORE			10110
#define WSA_E_CANCELLED			10111
#define WSAEREFUSED			10112
#define WSAHOST_NOT_FOUND		11001
#define WSATRY_AGAIN			11002
#define WSANO_RECOVERY			11003
#define WSANO_DATA			11004

/* The SPI functions. */

WSPAPI SOCKET WSPSocket(int af, int type, int protocol,
			WSAPROTOCOL_INFOW *lpProtocolInfo, GROUP g,
			DWORD dwFlags, int *lpErrno);
WSPAPI int WSPCloseSocket(SOCKET s, int *lpErrno);
WSPAPI int WSPDuplicateSocket(SOCKET s, DWORD dwProcessId,
			      WSAPROTOCOL_INFOW *lpProtocolInfo, int *lpErrno);

WSPAPI int WSPBind(SOCKET s, const struct sockaddr *name, int namelen,
		   int *lpErrno);
WSPAPI int WSPListen(SOCKET s, int backlog, int *lpErrno);
WSPAPI SOCKET WSPAccept(SOCKET s, struct sockaddr *addr, int *addrlen,
			void *lpfnCondition, uintptr_t dwCallbackData,
			int *lpErrno);
WSPAPI int WSPConnect(SOCKET s, const struct sockaddr *name, int namelen,
		      WSABUF *lpCallerData, WSABUF *lpCalleeData, void *lpSQOS,
		      void *lpGQOS, int *lpErrno);
WSPAPI int WSPShutdown(SOCKET s, int how, int *lpErrno);
WSPAPI int WSPGetSockName(SOCKET s, struct sockaddr *name, int *namelen,
			  int *lpErrno);
WSPAPI int WSPGetPeerName(SOCKET s, struct sockaddr *name, int *namelen,
			  int *lpErrno);

WSPAPI int WSPSend(SOCKET s, WSABUF *lpBuffers, DWORD dwBufferCount,
		   DWORD *lpNumberOfBytesSent, DWORD dwFlags,
		   void *lpOverlapped, void *lpCompletionRoutine,
		   void *lpThreadId, int *lpErrno);
WSPAPI int WSPSendTo(SOCKET s, WSABUF *lpBuffers, DWORD dwBufferCount,
		     DWORD *lpNumberOfBytesSent, DWORD dwFlags,
		     const struct sockaddr *lpTo, int iTolen,
		     void *lpOverlapped, void *lpCompletionRoutine,
		     void *lpThreadId, int *lpErrno);
WSPAPI int WSPRecv(SOCKET s, WSABUF *lpBuffers, DWORD dwBufferCount,
		   DWORD *lpNumberOfBytesRecvd, DWORD *lpFlags,
		   void *lpOverlapped, void *lpCompletionRoutine,
		   void *lpThreadId, int *lpErrno);
WSPAPI int WSPRecvFrom(SOCKET s, WSABUF *lpBuffers, DWORD dwBufferCount,
		       DWORD *lpNumberOfBytesRecvd, DWORD *lpFlags,
		       struct sockaddr *lpFrom, int *lpFromlen,
		       void *lpOverlapped, void *lpCompletionRoutine,
		       void *lpThreadId, int *lpErrno);

WSPAPI int WSPSetSockOpt(SOCKET s, int level, int optname, const char *optval,
			 int optlen, int *lpErrno);
WSPAPI int WSPGetSockOpt(SOCKET s, int level, int optname, char *optval,
			 int *optlen, int *lpErrno);
WSPAPI int WSPIoctl(SOCKET s, DWORD dwIoControlCode, void *lpvInBuffer,
		    DWORD cbInBuffer, void *lpvOutBuffer, DWORD cbOutBuffer,
		    DWORD *lpcbBytesReturned, void *lpOverlapped,
		    void *lpCompletionRoutine, void *lpThreadId, int *lpErrno);

WSPAPI int WSPAsyncSelect(SOCKET s, HWND hWnd, unsigned int wMsg, long lEvent,
			  int *lpErrno);
WSPAPI int WSPEventSelect(SOCKET s, WSAEVENT hEventObject, long lNetworkEvents,
			  int *lpErrno);
WSPAPI int WSPEnumNetworkEvents(SOCKET s, WSAEVENT hEventObject,
				WSANETWORKEVENTS *lpNetworkEvents, int *lpErrno);

/* The Linux stand-ins for Windows' event and window objects. */

WSPAPI WSAEVENT WSPCreateEvent(int *lpErrno);		/* non-signalled */
WSPAPI int WSPSetEvent(WSAEVENT e, int *lpErrno);
WSPAPI int WSPResetEvent(WSAEVENT e, int *lpErrno);
WSPAPI int WSPCloseEvent(WSAEVENT e, int *lpErrno);
/*
 * 1 signalled (the event stays signalled), 0 timed out, SOCKET_ERROR on
 * error; timeout_ms < 0 waits for ever.
 */
WSPAPI int WSPWaitForEvent(WSAEVENT e, int timeout_ms, int *lpErrno);

WSPAPI HWND WSPCreateWindow(int *lpErrno);
WSPAPI int WSPDestroyWindow(HWND w, int *lpErrno);
/*
 * 1 a message was taken into *msg, 0 timed out, SOCKET_ERROR on error;
 * timeout_ms 0 only peeks the queue; < 0 waits for ever.
 */
WSPAPI int WSPGetMessage(HWND w, MSG *msg, int timeout_ms, int *lpErrno);

/*
 * wspshare extensions (Windows has none of this): a registration that
 * asks for it is told when another one replaces it, through any other
 * descriptor or from any other process (Documentation/libwsp.rst,
 * "The displaced notice"). <linux/wspshare.h> gives the flag
 * WSP_SELECT_NOTIFY_DISPLACED and the event WSP_FD_DISPLACED (0x8000, in
 * no FD_* mask).
 *
 * WSPEventSelectEx and WSPAsyncSelectEx are WSPEventSelect and
 * WSPAsyncSelect with dwFlags: 0, or WSP_SELECT_NOTIFY_DISPLACED (another
 * bit: WSAEINVAL). Displaced, an event-select's event object is
 * signalled and its WSPEnumNetworkEvents(s, hEventObject, ...) reports
 * WSP_FD_DISPLACED (alone, once); an async-select's window gets one
 * message whose lParam is WSAMAKESELECTREPLY(WSP_FD_DISPLACED, 0) and
 * whose wParam is the descriptor it registered through.
 */
WSPAPI int WSPEventSelectEx(SOCKET s, WSAEVENT hEventObject,
			    long lNetworkEvents, DWORD dwFlags, int *lpErrno);
WSPAPI int WSPAsyncSelectEx(SOCKET s, HWND hWnd, unsigned int wMsg,
			    long lEvent, DWORD dwFlags, int *lpErrno);

/* Who displaced a registration. */
typedef struct _WSPDISPLACEMENT {
	DWORD dwProcessId;	/* the displacing process; 0 if not visible */
	DWORD dwReserved;	/* 0 */
	uint64_t Descriptor;	/* the descriptor it registered through,
				 * a number in its own process */
} WSPDISPLACEMENT;

/*
 * WSPEnumNetworkEvents, and when it reports WSP_FD_DISPLACED, who
 * displaced the registration into *lpDisplacement (may be NULL; left
 * alone otherwise).
 */
WSPAPI int WSPEnumNetworkEventsEx(SOCKET s, WSAEVENT hEventObject,
				  WSANETWORKEVENTS *lpNetworkEvents,
				  WSPDISPLACEMENT *lpDisplacement,
				  int *lpErrno);
/*
 * WSPGetMessage, and into *lpProcessId (may be NULL) the message's
 * process: for WSP_FD_DISPLACED the displacing one (0 if not visible),
 * else 0.
 */
WSPAPI int WSPGetMessageEx(HWND w, MSG *msg, DWORD *lpProcessId,
			   int timeout_ms, int *lpErrno);

#ifdef __cplusplus
}
#endif

#endif /* WSP_H */

// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * protocol.c - WSPDuplicateSocket and WSPSocket's redemption of its
 * record: a WSAPROTOCOL_INFOW that carries a wspshare duplication token.
 *
 * Where the token lives in the 628-byte record:
 *
 *   ProviderId            libwsp's GUID (marks a record libwsp wrote)
 *   ProtocolChain         ChainLen BASE_PROTOCOL (1); ChainEntries[0..1]
 *                         token_secret, low and high 32 bits
 *   dwServiceFlags3/4     token_id, low and high 32 bits (the fields
 *                         ReactOS uses for its duplication handles)
 *   dwProviderReserved    WSP_ABI_VERSION of the record's format
 *   iAddressFamily,
 *   iSocketType,
 *   iProtocol             the socket's family, type and protocol
 *
 * The rest describes the protocol as Windows' catalogue would. The record
 * is plain bytes: the caller may send it to the target process by any
 * means; only that process can redeem it, once.
 */
#include <limits.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

/* {5753505F-7368-6172-6500-6C6962777370}: "WSP_shar" "e\0libwsp". */
static const GUID wsp_provider_id = {
	0x5753505f, 0x7368, 0x6172,
	{ 0x65, 0x00, 0x6c, 0x69, 0x62, 0x77, 0x73, 0x70 }
};

/* The Windows layout, checked field by field. */
#define WSP_CHECK_OFFSET(field, offset) \
	typedef char wsp_check_##field[offsetof(WSAPROTOCOL_INFOW, field) == (offset) ? 1 : -1]
WSP_CHECK_OFFSET(dwServiceFlags3, 8);
WSP_CHECK_OFFSET(ProviderId, 20);
WSP_CHECK_OFFSET(dwCatalogEntryId, 36);
WSP_CHECK_OFFSET(ProtocolChain, 40);
WSP_CHECK_OFFSET(iVersion, 72);
WSP_CHECK_OFFSET(iAddressFamily, 76);
WSP_CHECK_OFFSET(iSocketType, 88);
WSP_CHECK_OFFSET(iProtocol, 92);
WSP_CHECK_OFFSET(dwMessageSize, 108);
WSP_CHECK_OFFSET(dwProviderReserved, 112);
WSP_CHECK_OFFSET(szProtocol, 116);
_Static_assert(sizeof(WSAPROTOCOL_INFOW) == 628, "WSAPROTOCOL_INFOW is 628 bytes");

static void wsp_set_name(WCHAR *dst, const char *src)
{
	size_t i;

	for (i = 0; src[i] && i < WSAPROTOCOL_LEN; i++)
		dst[i] = (WCHAR)(unsigned char)src[i];
	dst[i] = 0;
}

/* Fill @pi for @info's socket and token. */
static void wsp_fill_record(WSAPROTOCOL_INFOW *pi,
			    const struct wsp_protocol_info *info)
{
	int stream = info->type == SOCK_STREAM;
	int v6 = info->family == AF_INET6;

	memset(pi, 0, sizeof(*pi));
	pi->dwServiceFlags1 = stream ?
		XP1_GUARANTEED_DELIVERY | XP1_GUARANTEED_ORDER |
		XP1_GRACEFUL_CLOSE | XP1_EXPEDITED_DATA | XP1_IFS_HANDLES :
		XP1_CONNECTIONLESS | XP1_MESSAGE_ORIENTED |
		XP1_SUPPORT_BROADCAST | XP1_SUPPORT_MULTIPOINT | XP1_IFS_HANDLES;
	pi->dwServiceFlags3 = (DWORD)info->token_id;
	pi->dwServiceFlags4 = (DWORD)(info->token_id >> 32);
	pi->ProviderId = wsp_provider_id;
	pi->ProtocolChain.ChainLen = BASE_PROTOCOL;
	pi->ProtocolChain.ChainEntries[0] = (DWORD)info->token_secret;
	pi->ProtocolChain.ChainEntries[1] = (DWORD)(info->token_secret >> 32);
	pi->iVersion = 2;
	pi->iAddressFamily = info->family;
	pi->iMaxSockAddr = v6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	pi->iMinSockAddr = pi->iMaxSockAddr;
	pi->iSocketType = info->type;
	pi->iProtocol = info->protocol;
	pi->iNetworkByteOrder = 0;	/* BIGENDIAN */
	pi->dwMessageSize = stream ? 0 : 65467;
	pi->dwProviderReserved = WSP_ABI_VERSION;
	wsp_set_name(pi->szProtocol,
		     stream ? (v6 ? "wspshare TCP/IPv6" : "wspshare TCP/IP") :
			      (v6 ? "wspshare UDP/IPv6" : "wspshare UDP/IP"));
}

int WSPDuplicateSocket(SOCKET s, DWORD dwProcessId,
		       WSAPROTOCOL_INFOW *lpProtocolInfo, int *lpErrno)
{
	struct wsp_socket_info info;
	struct wsp_duplicate_args a;
	int err;

	/*
	 * Windows' order (Wine's dlls/ws2_32/tests/sock.c,
	 * test_WSADuplicateSocket): not a socket is WSAENOTSOCK whatever
	 * the other two are (socket 0, pid 0, NULL record); then a process
	 * id that cannot be one is WSAEINVAL, even with a NULL record; only
	 * then a NULL record is WSAEFAULT. Nothing is made before all three
	 * are checked, so a refused call leaves no pending token.
	 *
	 * With a possible process id and a record, WSP_IOC_DUPLICATE is the
	 * socket check: it fails with EBADF, ENOTTY or ENOTSOCK on what is
	 * not a descriptor (WSAENOTSOCK, wsp_error()). Only a call that
	 * will fail anyway asks WSP_IOC_SOCKET_INFO first.
	 */
	if (dwProcessId == 0 || dwProcessId > INT_MAX || !lpProtocolInfo) {
		err = wsp_socket_info(s, &info);
		if (err)
			return wsp_fail_errno(s, -err, WSP_OP_DUPLICATE, 0, lpErrno);
		/* Not a process id Linux can have (0, 0xFFFFFFFF, above INT_MAX). */
		if (dwProcessId == 0 || dwProcessId > INT_MAX)
			return wsp_fail(lpErrno, WSAEINVAL);
		return wsp_fail(lpErrno, WSAEFAULT);
	}
	memset(&a, 0, sizeof(a));
	a.pid = (int32_t)dwProcessId;
	if (ioctl(s, WSP_IOC_DUPLICATE, &a) < 0)
		return wsp_fail_errno(s, errno, WSP_OP_DUPLICATE, 0, lpErrno);
	wsp_fill_record(lpProtocolInfo, &a.info);
	return 0;
}

/* One of WSPSocket's af, type, protocol against the record's value. */
static int wsp_pick(int given, int recorded, int wildcard_ok)
{
	if (given == FROM_PROTOCOL_INFO || (wildcard_ok && given == 0))
		return recorded;
	return given;
}

/*
 * wsp_redeem() - WSPSocket with a record: a new descriptor of the
 * duplicated socket. af and type may be FROM_PROTOCOL_INFO, 0 or the
 * record's values; protocol FROM_PROTOCOL_INFO, 0 (the type's default,
 * as in Linux) or the record's. Anything else, a record libwsp did not
 * write, a token already redeemed or made for another process: WSAEINVAL
 * (the token stays pending when only af/type/protocol were wrong).
 */
SOCKET wsp_redeem(int af, int type, int protocol, const WSAPROTOCOL_INFOW *pi,
		  unsigned int flags, int *lpErrno)
{
	struct wsp_redeem_args a;
	int dev, fd;

	if (memcmp(&pi->ProviderId, &wsp_provider_id, sizeof(GUID)) ||
	    pi->ProtocolChain.ChainLen != BASE_PROTOCOL ||
	    pi->dwProviderReserved != WSP_ABI_VERSION)
		return wsp_fail(lpErrno, WSAEINVAL);
	dev = wsp_device();
	if (dev < 0)
		return wsp_fail_errno(-1, -dev, WSP_OP_DEVICE, 0, lpErrno);
	memset(&a, 0, sizeof(a));
	a.flags = flags;
	a.info.family = wsp_pick(af, pi->iAddressFamily, 1);
	a.info.type = wsp_pick(type, pi->iSocketType, 1);
	a.info.protocol = wsp_pick(protocol, pi->iProtocol, 1);
	a.info.token_id = pi->dwServiceFlags3 | (uint64_t)pi->dwServiceFlags4 << 32;
	a.info.token_secret = pi->ProtocolChain.ChainEntries[0] |
			      (uint64_t)pi->ProtocolChain.ChainEntries[1] << 32;
	fd = ioctl(dev, WSP_IOC_REDEEM, &a);
	if (fd < 0)
		return wsp_fail_errno(-1, errno, WSP_OP_DUPLICATE, 0, lpErrno);
	wsp_set_kind(fd, WSP_KIND_SOCKET);
	return fd;
}

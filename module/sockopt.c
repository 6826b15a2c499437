// SPDX-License-Identifier: GPL-2.0
/*
 * sockopt.c - socket options, set and read through any descriptor.
 *
 * Owns: the option levels wspshare passes to the real socket (SOL_SOCKET,
 * IPPROTO_TCP, IPPROTO_IP, IPPROTO_IPV6) and the answers to SOL_SOCKET
 * reads. Options live in the one real socket, so every descriptor sees
 * what any other set.
 *
 * Setting goes through sock_setsockopt() and the protocol's setsockopt, as
 * setsockopt(2) does. Reading the protocol levels goes through the
 * protocol's getsockopt; SOL_SOCKET is answered here from the socket's
 * fields, because Linux 6.1 exports no SOL_SOCKET getsockopt to modules
 * (do_sock_getsockopt() is exported only from 6.9); the same code serves
 * every kernel, and the options it knows are listed in wsp_sol_socket_get().
 *
 * Locking: each value is a single field of the socket, read once (the
 * bit-fields sk_reuse and sk_reuseport plainly, as sk_getsockopt() does);
 * the socket layer's own locking covers the setters.
 */
#include <linux/net.h>
#include <linux/socket.h>
#include <linux/time.h>
#include <linux/uaccess.h>
#include <net/sock.h>
#include <net/tcp_states.h>

#include "internal.h"

static bool wsp_level_ok(int level)
{
	return level == SOL_SOCKET || level == IPPROTO_TCP ||
	       level == IPPROTO_IP || level == IPPROTO_IPV6;
}

/**
 * wsp_sockopt_set() - set an option of the real socket
 * @ws: the socket
 * @level: SOL_SOCKET, IPPROTO_TCP, IPPROTO_IP or IPPROTO_IPV6
 * @name: the option
 * @optval: the user's value
 * @optlen: its length
 *
 * Capability checks (SO_PRIORITY, SO_MARK, ...) see the caller, as they
 * would for setsockopt(2).
 *
 * Context: process context.
 * Return: 0, -EOPNOTSUPP for another level, or what the socket layer says.
 */
int wsp_sockopt_set(struct wsp_sock *ws, int level, int name,
		    void __user *optval, unsigned int optlen)
{
	struct socket *sock = ws->sock;

	if (!wsp_level_ok(level))
		return -EOPNOTSUPP;
	if (level == SOL_SOCKET)
		return sock_setsockopt(sock, level, name, USER_SOCKPTR(optval),
				       optlen);
	return READ_ONCE(sock->ops)->setsockopt(sock, level, name,
						USER_SOCKPTR(optval), optlen);
}

/* A timeout in jiffies as the struct timeval of SO_RCVTIMEO/SO_SNDTIMEO. */
static void wsp_timeo_to_timeval(long timeo, struct __kernel_sock_timeval *tv)
{
	if (timeo == MAX_SCHEDULE_TIMEOUT) {
		tv->tv_sec = 0;
		tv->tv_usec = 0;
	} else {
		tv->tv_sec = timeo / HZ;
		tv->tv_usec = ((timeo % HZ) * USEC_PER_SEC) / HZ;
	}
}

/*
 * A SOL_SOCKET option's value, as sk_getsockopt() computes it for the
 * options listed; anything else is -ENOPROTOOPT.
 */
static int wsp_sol_socket_get(struct sock *sk, int name, void *val, int *len)
{
	int *v = val;

	*len = sizeof(int);
	switch (name) {
	case SO_REUSEADDR:
		*v = sk->sk_reuse;
		break;
	case SO_REUSEPORT:
		*v = sk->sk_reuseport;
		break;
	case SO_KEEPALIVE:
		*v = sock_flag(sk, SOCK_KEEPOPEN);
		break;
	case SO_OOBINLINE:
		*v = sock_flag(sk, SOCK_URGINLINE);
		break;
	case SO_BROADCAST:
		*v = sock_flag(sk, SOCK_BROADCAST);
		break;
	case SO_DONTROUTE:
		*v = sock_flag(sk, SOCK_LOCALROUTE);
		break;
	case SO_SNDBUF:
		*v = READ_ONCE(sk->sk_sndbuf);
		break;
	case SO_RCVBUF:
		*v = READ_ONCE(sk->sk_rcvbuf);
		break;
	case SO_RCVLOWAT:
		*v = READ_ONCE(sk->sk_rcvlowat);
		break;
	case SO_SNDLOWAT:
		*v = 1;
		break;
	case SO_PRIORITY:
		*v = READ_ONCE(sk->sk_priority);
		break;
	case SO_ERROR:
		*v = -sock_error(sk);
		break;
	case SO_TYPE:
		*v = sk->sk_type;
		break;
	case SO_PROTOCOL:
		*v = sk->sk_protocol;
		break;
	case SO_DOMAIN:
		*v = sk->sk_family;
		break;
	case SO_ACCEPTCONN:
		*v = READ_ONCE(sk->sk_state) == TCP_LISTEN;
		break;
	case SO_LINGER: {
		struct linger *l = val;

		*len = sizeof(*l);
		l->l_onoff = sock_flag(sk, SOCK_LINGER);
		l->l_linger = READ_ONCE(sk->sk_lingertime) / HZ;
		break;
	}
	case SO_RCVTIMEO_OLD:
	case SO_RCVTIMEO_NEW:
	case SO_SNDTIMEO_OLD:
	case SO_SNDTIMEO_NEW: {
		bool rcv = name == SO_RCVTIMEO_OLD || name == SO_RCVTIMEO_NEW;
		struct __kernel_sock_timeval *tv = val;

		/* Both layouts are two 64-bit fields on 64-bit kernels. */
		BUILD_BUG_ON(sizeof(struct __kernel_old_timeval) != sizeof(*tv));
		*len = sizeof(*tv);
		wsp_timeo_to_timeval(rcv ? READ_ONCE(sk->sk_rcvtimeo) :
					   READ_ONCE(sk->sk_sndtimeo), tv);
		break;
	}
	default:
		return -ENOPROTOOPT;
	}
	return 0;
}

/**
 * wsp_sockopt_get() - read an option of the real socket
 * @ws: the socket
 * @level: SOL_SOCKET, IPPROTO_TCP, IPPROTO_IP or IPPROTO_IPV6
 * @name: the option
 * @optval: the user's buffer
 * @optlen: in: the buffer's length; out: the value's
 * @uoptlen: where @optlen lives in user space (the argument struct's
 *	field), which the protocol's getsockopt reads and writes itself
 *
 * Context: process context.
 * Return: 0, -EOPNOTSUPP for another level, -EINVAL for a negative
 * length, -EFAULT, or what the socket layer says.
 */
int wsp_sockopt_get(struct wsp_sock *ws, int level, int name,
		    void __user *optval, u32 *optlen, u32 __user *uoptlen)
{
	struct socket *sock = ws->sock;
	union {
		int val;
		struct linger linger;
		struct __kernel_sock_timeval tv;
	} v;
	int len, err;

	if (!wsp_level_ok(level))
		return -EOPNOTSUPP;
	if ((int)*optlen < 0)
		return -EINVAL;

	if (level != SOL_SOCKET) {
		if (put_user(*optlen, uoptlen))
			return -EFAULT;
		err = READ_ONCE(sock->ops)->getsockopt(sock, level, name,
						       optval,
						       (int __user *)uoptlen);
		if (err)
			return err;
		return get_user(*optlen, uoptlen);
	}

	memset(&v, 0, sizeof(v));
	err = wsp_sol_socket_get(sock->sk, name, &v, &len);
	if (err)
		return err;
	len = min_t(int, len, *optlen);
	if (copy_to_user(optval, &v, len))
		return -EFAULT;
	*optlen = len;
	return 0;
}

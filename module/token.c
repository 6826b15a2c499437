// SPDX-License-Identifier: GPL-2.0
/*
 * token.c - pending duplications: WSPDuplicateSocket's half-way state.
 *
 * Owns: the tokens made by WSP_IOC_DUPLICATE and taken by WSP_IOC_REDEEM.
 * A token names one socket and one target process (its thread group,
 * held as a struct pid so that a recycled pid number never matches). It
 * holds a reference on the socket's file (not on the source descriptor,
 * which may be closed), and one on the module. It ends when the target
 * redeems it (once: the file is installed in the target with receive_fd(),
 * as SCM_RIGHTS does, security hook included), or when the target exits:
 * a wait entry on the target's pid (the queue pidfds poll) wakes the
 * reaper, which drops the tokens of exited processes.
 *
 * Locking: wsp_token_lock (a mutex) protects the token table and every
 * socket's pending_duplicates count. It is never held while a socket is
 * released. The exit callback runs under the pid's wait-queue lock with
 * interrupts off: it only reads the token and schedules the reaper; a
 * token is unlinked from that queue (remove_wait_queue(), which takes the
 * same lock) before it is freed.
 */
#include <linux/file.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pid.h>
#include <linux/random.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include <net/sock.h>

#include "internal.h"

/**
 * struct wsp_token - one pending duplication
 * @ws: the socket's object, alive as long as @file
 * @file: the socket's file; the token holds a reference
 * @target: the process that may redeem; the token holds a reference
 * @secret: random; must match on redemption
 * @id: the token's index in wsp_tokens
 * @redeeming: a redemption is installing the file; others must not
 * @exit_wait: on @target's wait_pidfd queue, to learn of its exit
 * @reap_node: on the reaper's private list while being freed
 */
struct wsp_token {
	struct wsp_sock *ws;
	struct file *file;
	struct pid *target;
	u64 secret;
	u32 id;
	bool redeeming;
	wait_queue_entry_t exit_wait;
	struct list_head reap_node;
};

static DEFINE_MUTEX(wsp_token_lock);
static DEFINE_XARRAY_ALLOC1(wsp_tokens);

static void wsp_token_reap(struct work_struct *work);
static DECLARE_WORK(wsp_token_reaper, wsp_token_reap);

/*
 * Whether a thread group has exited, as thread_group_exited() says (which
 * 6.12 does not export): its leader is gone or a zombie with no threads.
 */
static bool wsp_target_exited(struct pid *pid)
{
	struct task_struct *task;
	bool exited;

	rcu_read_lock();
	task = pid_task(pid, PIDTYPE_PID);
	exited = !task ||
		 (READ_ONCE(task->exit_state) && thread_group_empty(task));
	rcu_read_unlock();
	return exited;
}

/* Called on the target's pid wait queue: at its exit, among others. */
static int wsp_token_target_woke(wait_queue_entry_t *wait, unsigned int mode,
				 int sync, void *key)
{
	struct wsp_token *tok = container_of(wait, struct wsp_token, exit_wait);

	if (wsp_target_exited(tok->target))
		schedule_work(&wsp_token_reaper);
	return 0;
}

/* Unlink a token from everything; its references are dropped later. */
static void wsp_token_unlink(struct wsp_token *tok)
{
	lockdep_assert_held(&wsp_token_lock);
	xa_erase(&wsp_tokens, tok->id);
	tok->ws->pending_duplicates--;
	remove_wait_queue(&tok->target->wait_pidfd, &tok->exit_wait);
	wsp_stat_dec(WSP_STAT_PENDING_DUPLICATES);
}

/* Free an unlinked token and drop its references. */
static void wsp_token_free(struct wsp_token *tok)
{
	fput(tok->file);
	put_pid(tok->target);
	kfree(tok);
	module_put(THIS_MODULE);
}

/*
 * The target exited: the token's reference goes as an exiting process's
 * close does. If it is the socket's last, nobody can take another (no
 * descriptor exists), and the socket must not linger in the reaper: an
 * exiting process's close does not linger either.
 */
static void wsp_token_free_orphaned(struct wsp_token *tok)
{
	struct sock *sk = tok->ws->sock->sk;

	if (file_count(tok->file) == 1) {
		lock_sock(sk);
		sock_reset_flag(sk, SOCK_LINGER);
		release_sock(sk);
	}
	wsp_token_free(tok);
}

static void wsp_token_reap(struct work_struct *work)
{
	struct wsp_token *tok, *next;
	unsigned long id;
	LIST_HEAD(dead);

	mutex_lock(&wsp_token_lock);
	xa_for_each(&wsp_tokens, id, tok) {
		if (!tok->redeeming && wsp_target_exited(tok->target)) {
			wsp_token_unlink(tok);
			list_add(&tok->reap_node, &dead);
		}
	}
	mutex_unlock(&wsp_token_lock);

	list_for_each_entry_safe(tok, next, &dead, reap_node)
		wsp_token_free_orphaned(tok);
}

/**
 * wsp_token_create() - make a pending duplication of a socket
 * @ws: the socket's object; the caller holds its file (a descriptor's)
 * @pid: the target process id in the caller's pid namespace
 * @info: out: the record the target redeems
 *
 * Context: process context.
 * Return: 0; -EINVAL for a pid <= 0; -ESRCH when no process has that id
 * (or it is a thread that does not lead its group, or has exited);
 * -ENOBUFS when the socket has %WSP_MAX_PENDING_DUPLICATES pending;
 * -ENOMEM.
 */
int wsp_token_create(struct wsp_sock *ws, pid_t pid,
		     struct wsp_protocol_info *info)
{
	struct wsp_token *tok;
	struct pid *target;
	int err;

	if (pid <= 0)
		return -EINVAL;
	target = find_get_pid(pid);
	if (!target)
		return -ESRCH;
	if (!pid_has_task(target, PIDTYPE_TGID) || wsp_target_exited(target)) {
		err = -ESRCH;
		goto put_target;
	}

	tok = kzalloc(sizeof(*tok), GFP_KERNEL_ACCOUNT);
	if (!tok) {
		err = -ENOMEM;
		goto put_target;
	}
	tok->ws = ws;
	tok->file = ws->sock->file;
	tok->target = target;
	get_random_bytes(&tok->secret, sizeof(tok->secret));
	init_waitqueue_func_entry(&tok->exit_wait, wsp_token_target_woke);

	mutex_lock(&wsp_token_lock);
	if (ws->pending_duplicates >= WSP_MAX_PENDING_DUPLICATES) {
		err = -ENOBUFS;
		goto unlock;
	}
	err = xa_alloc(&wsp_tokens, &tok->id, tok, xa_limit_32b,
		       GFP_KERNEL_ACCOUNT);
	if (err)
		goto unlock;
	ws->pending_duplicates++;
	get_file(tok->file);
	__module_get(THIS_MODULE);
	wsp_stat_inc(WSP_STAT_PENDING_DUPLICATES);
	add_wait_queue(&target->wait_pidfd, &tok->exit_wait);

	memset(info, 0, sizeof(*info));
	info->family = ws->sock->sk->sk_family;
	info->type = ws->sock->sk->sk_type;
	info->protocol = ws->sock->sk->sk_protocol;
	info->token_id = tok->id;
	info->token_secret = tok->secret;
	mutex_unlock(&wsp_token_lock);

	/* An exit before the wait entry was queued woke nobody: look now. */
	if (wsp_target_exited(target))
		schedule_work(&wsp_token_reaper);
	return 0;

unlock:
	mutex_unlock(&wsp_token_lock);
	kfree(tok);
put_target:
	put_pid(target);
	return err;
}

/**
 * wsp_token_redeem() - take a pending duplication
 * @info: the record from wsp_token_create(), as the target received it
 * @wsp_flags: %WSP_FD_CLOEXEC for a close-on-exec descriptor
 *
 * Installs the socket's file in the caller, as SCM_RIGHTS would
 * (receive_fd(): the security hook of receiving a file, the socket's
 * cgroup data); the token ends only if that succeeds.
 *
 * Context: process context; current must be (in) the target process.
 * Return: the new descriptor; -ENOENT for an unknown, already redeemed
 * (or being redeemed) or forged token, -EPERM when current is not the
 * target, -EINVAL when the family, type or protocol are not the socket's,
 * or what receive_fd() returns (-EMFILE...). On error the token stays as
 * it was.
 */
int wsp_token_redeem(const struct wsp_protocol_info *info, u32 wsp_flags)
{
	struct wsp_token *tok;
	struct sock *sk;
	int fd;

	if (info->__reserved)
		return -EINVAL;
	if (info->token_id > U32_MAX)
		return -ENOENT;

	mutex_lock(&wsp_token_lock);
	tok = xa_load(&wsp_tokens, info->token_id);
	if (!tok || tok->redeeming || tok->secret != info->token_secret) {
		fd = -ENOENT;
		goto unlock;
	}
	if (tok->target != task_tgid(current)) {
		fd = -EPERM;
		goto unlock;
	}
	sk = tok->ws->sock->sk;
	if (info->family != sk->sk_family || info->type != sk->sk_type ||
	    info->protocol != sk->sk_protocol) {
		fd = -EINVAL;
		goto unlock;
	}
	tok->redeeming = true;
	mutex_unlock(&wsp_token_lock);

	fd = wsp_receive_fd(tok->file,
			    wsp_flags & WSP_FD_CLOEXEC ? O_CLOEXEC : 0);

	mutex_lock(&wsp_token_lock);
	tok->redeeming = false;
	if (fd < 0) {
		/* The target is running this: it has not exited. */
		mutex_unlock(&wsp_token_lock);
		return fd;
	}
	wsp_token_unlink(tok);
	mutex_unlock(&wsp_token_lock);
	wsp_token_free(tok);
	return fd;

unlock:
	mutex_unlock(&wsp_token_lock);
	return fd;
}

/**
 * wsp_token_cancel() - take back a duplication its maker never learnt of
 * @token_id: the token's id
 *
 * For WSP_IOC_DUPLICATE whose output could not be copied out: nobody can
 * redeem the token, so it must not hold its socket until the target exits.
 *
 * Context: process context.
 */
void wsp_token_cancel(u64 token_id)
{
	struct wsp_token *tok;

	mutex_lock(&wsp_token_lock);
	tok = xa_load(&wsp_tokens, token_id);
	if (tok && tok->redeeming)
		tok = NULL;	/* its target holds the record: not ours */
	if (tok)
		wsp_token_unlink(tok);
	mutex_unlock(&wsp_token_lock);

	if (tok)
		wsp_token_free(tok);
}

/**
 * wsp_token_exit() - wait for the reaper before the module goes
 *
 * Every token pins the module, so none is left at exit; the reaper may
 * still be returning from freeing the last one.
 *
 * Context: module exit.
 */
void wsp_token_exit(void)
{
	flush_work(&wsp_token_reaper);
	WARN_ON(!xa_empty(&wsp_tokens));
}

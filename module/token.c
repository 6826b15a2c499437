// SPDX-License-Identifier: GPL-2.0
/*
 * token.c - pending duplications: WSPDuplicateSocket's half-way state.
 *
 * Owns: the tokens made by WSP_IOC_DUPLICATE and taken by WSP_IOC_REDEEM,
 * the processes they target, and their bounds.
 *
 * A token names one socket and one target process (its thread group,
 * held as a struct pid so that a recycled pid number never matches). It
 * holds a reference on the socket's file (not on the source descriptor,
 * which may be closed), and one on the module. It ends when the target
 * redeems it (once: the file is installed in the target with receive_fd(),
 * as SCM_RIGHTS does, security hook included), when the duplication's
 * record could not be copied out, or when the target exits.
 *
 * Who may make one: the caller may duplicate into a process only if it
 * could reach it as pidfd_getfd(2) requires (wsp_may_reach()), and a
 * token is charged to the caller's user: at most RLIMIT_NOFILE pending per
 * user, %WSP_MAX_PENDING_DUPLICATES per socket, and max_pending_duplicates
 * (a module parameter) in all. So no user keeps more sockets alive through
 * tokens than it could hold as descriptors.
 *
 * Each target process has one struct wsp_target, with one wait entry on
 * its pid's wait_pidfd queue (woken at its exit) and the list of its
 * tokens. The wake-up only queues the target on wsp_dead_targets; the
 * reaper then drops that target's tokens: no work per token in the exit
 * path, no walk over other processes' tokens.
 *
 * A target whose last token ends stays hooked, idle, so that a process
 * that keeps receiving duplications (or duplicates into itself) is hooked
 * once, not on every round trip. At most %WSP_MAX_IDLE_TARGETS are idle
 * at once; beyond that a target is unhooked and freed when its last token
 * ends. An idle target holds no token, socket or module reference; its
 * process's exit reaps it as any other, and module exit unhooks the idle
 * ones left (no callback into the module survives it).
 *
 * Locking: wsp_token_lock (a mutex) protects the token and target tables,
 * the per-user counts, every target's token list and every socket's
 * pending_duplicates count and token list (read by WSP_IOC_SOCKETS under
 * socket.c's wsp_socks_lock, which is taken outside this one). It is
 * never held while a socket is released (fput() happens after it is
 * dropped). The exit callback runs under the
 * pid's wait-queue lock with interrupts off: it reads only the target's
 * pid, sets WSP_TARGET_QUEUED and adds the target to an llist. A target is
 * freed only after remove_wait_queue() (which takes that lock, so no
 * callback is running or can run) and only by whoever finds it off the
 * llist: by the reaper if the callback queued it, else at once.
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/file.h>
#include <linux/list.h>
#include <linux/llist.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/pid.h>
#include <linux/random.h>
#include <linux/sched/coredump.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/uidgid.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include <net/sock.h>

#include "internal.h"
#include "trace.h"

static unsigned int wsp_max_pending = 65536;
module_param_named(max_pending_duplicates, wsp_max_pending, uint, 0644);
MODULE_PARM_DESC(max_pending_duplicates,
		 "Duplications pending at once, all users together (default 65536)");

/* Bits of struct wsp_target's flags. */
enum {
	WSP_TARGET_QUEUED,	/* on wsp_dead_targets, or being reaped */
};

/* Targets kept hooked without tokens, all processes together. */
#define WSP_MAX_IDLE_TARGETS	64

/**
 * struct wsp_target - a process that pending duplications target
 * @pid: the process (thread group); the target holds a reference
 * @index: its key in wsp_targets (the pid number in the initial namespace)
 * @exit_wait: on @pid's wait_pidfd queue, to learn of its exit
 * @tokens: its pending tokens (struct wsp_token.target_node)
 * @dead_node: on wsp_dead_targets once it has exited
 * @flags: WSP_TARGET_QUEUED
 * @unhooked: @exit_wait is off the queue and the target out of the table;
 *	whoever takes it off wsp_dead_targets frees it
 * @idle: no token left; counted in wsp_idle_targets
 */
struct wsp_target {
	struct pid *pid;
	unsigned long index;
	wait_queue_entry_t exit_wait;
	struct list_head tokens;
	struct llist_node dead_node;
	unsigned long flags;
	bool unhooked;
	bool idle;
};

/**
 * struct wsp_token - one pending duplication
 * @ws: the socket's object, alive as long as @file
 * @file: the socket's file; the token holds a reference
 * @target: the process that may redeem
 * @owner: the user it is charged to (the creator's real uid)
 * @secret: random; must match on redemption
 * @id: the token's index in wsp_tokens; its id is @id + 1 (0 names none)
 * @redeeming: a redemption is installing the file; others must not
 * @target_node: on @target's list
 * @reap_node: on a private list while being freed
 * @sock_node: on the socket's list (struct wsp_sock.tokens)
 * @source: the maker's process id in the initial pid namespace, for the
 *	tracepoints
 */
struct wsp_token {
	struct wsp_sock *ws;
	struct file *file;
	struct wsp_target *target;
	kuid_t owner;
	u64 secret;
	u32 id;
	bool redeeming;
	struct list_head target_node;
	struct list_head reap_node;
	struct list_head sock_node;
	pid_t source;
};

static DEFINE_MUTEX(wsp_token_lock);
/*
 * Indexed from 0 (ids from 1): a lone token sits in the array's head and
 * needs no node, so a duplicate-redeem round trip allocates none.
 */
static DEFINE_XARRAY_ALLOC(wsp_tokens);
static DEFINE_XARRAY(wsp_targets);
static DEFINE_XARRAY(wsp_user_pending);	/* uid -> xa_mk_value(count) */
static unsigned int wsp_pending_total;
static unsigned int wsp_idle_targets;

static LLIST_HEAD(wsp_dead_targets);
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

/*
 * Whether current may duplicate into @task: what ptrace_may_access()
 * allows with PTRACE_MODE_ATTACH_REALCREDS, the check pidfd_getfd(2)
 * makes (ptrace_may_access() is not exported, and the LSM ptrace hooks
 * such as Yama's are not consulted): its own process; a process whose
 * uids and gids are all the caller's real ones, whose permitted
 * capabilities the caller also has, and which is dumpable; or any process
 * if the caller has CAP_SYS_PTRACE over it.
 */
static bool wsp_may_reach(struct task_struct *task)
{
	const struct cred *cred = current_cred(), *tcred;
	struct mm_struct *mm;
	bool ok;

	if (same_thread_group(task, current))
		return true;

	rcu_read_lock();
	tcred = __task_cred(task);
	ok = uid_eq(cred->uid, tcred->euid) &&
	     uid_eq(cred->uid, tcred->suid) &&
	     uid_eq(cred->uid, tcred->uid) &&
	     gid_eq(cred->gid, tcred->egid) &&
	     gid_eq(cred->gid, tcred->sgid) &&
	     gid_eq(cred->gid, tcred->gid) &&
	     cap_issubset(tcred->cap_permitted, cred->cap_permitted);
	if (!ok)
		ok = ns_capable(tcred->user_ns, CAP_SYS_PTRACE);
	rcu_read_unlock();
	if (!ok)
		return false;

	task_lock(task);
	mm = task->mm;
	if (mm && get_dumpable(mm) != SUID_DUMP_USER &&
	    !ns_capable(mm->user_ns, CAP_SYS_PTRACE))
		ok = false;
	task_unlock(task);
	return ok;
}

/* Called on the target's pid wait queue: at its exit, among others. */
static int wsp_target_woke(wait_queue_entry_t *wait, unsigned int mode,
			   int sync, void *key)
{
	struct wsp_target *t = container_of(wait, struct wsp_target,
					    exit_wait);

	if (wsp_target_exited(t->pid) &&
	    !test_and_set_bit(WSP_TARGET_QUEUED, &t->flags)) {
		llist_add(&t->dead_node, &wsp_dead_targets);
		schedule_work(&wsp_token_reaper);
	}
	return 0;
}

static void wsp_target_free(struct wsp_target *t)
{
	put_pid(t->pid);
	kfree(t);
}

/* A target with no token left: unhook it; free it unless it is queued. */
static void wsp_target_unhook(struct wsp_target *t)
{
	lockdep_assert_held(&wsp_token_lock);
	if (t->idle) {
		t->idle = false;
		wsp_idle_targets--;
	}
	remove_wait_queue(&t->pid->wait_pidfd, &t->exit_wait);
	xa_erase(&wsp_targets, t->index);
	/* No callback runs now: the bit is stable. */
	if (test_and_set_bit(WSP_TARGET_QUEUED, &t->flags))
		t->unhooked = true;	/* the reaper frees it */
	else
		wsp_target_free(t);
}

/* A target's last token ended: keep it hooked, idle, if there is room. */
static void wsp_target_put_idle(struct wsp_target *t)
{
	lockdep_assert_held(&wsp_token_lock);
	if (wsp_idle_targets >= WSP_MAX_IDLE_TARGETS) {
		wsp_target_unhook(t);
		return;
	}
	t->idle = true;
	wsp_idle_targets++;
}

/*
 * The target of a new token for @pid: the existing one, or a new one
 * hooked on the pid's wait queue. Looked up first, so that a process
 * that already has pending tokens costs no allocation. NULL without
 * memory.
 */
static struct wsp_target *wsp_target_get(struct pid *pid)
{
	unsigned long index = pid_nr(pid);
	struct wsp_target *t;

	lockdep_assert_held(&wsp_token_lock);
	t = xa_load(&wsp_targets, index);
	if (t) {
		/*
		 * Another process had this number: it exited (its number was
		 * freed) and the reaper has not dropped its target yet.
		 */
		if (t->pid != pid)
			return ERR_PTR(-EAGAIN);
		if (t->idle) {
			t->idle = false;
			wsp_idle_targets--;
		}
		return t;
	}
	t = kzalloc(sizeof(*t), GFP_KERNEL_ACCOUNT);
	if (!t)
		return ERR_PTR(-ENOMEM);
	if (xa_err(xa_store(&wsp_targets, index, t, GFP_KERNEL_ACCOUNT))) {
		kfree(t);
		return ERR_PTR(-ENOMEM);
	}
	t->pid = get_pid(pid);
	t->index = index;
	INIT_LIST_HEAD(&t->tokens);
	init_waitqueue_func_entry(&t->exit_wait, wsp_target_woke);
	add_wait_queue(&pid->wait_pidfd, &t->exit_wait);
	/* An exit before the entry was queued woke nobody: look now. */
	wsp_target_woke(&t->exit_wait, 0, 0, NULL);
	return t;
}

static unsigned long wsp_user_count(kuid_t uid)
{
	void *entry = xa_load(&wsp_user_pending,
			      from_kuid(&init_user_ns, uid));

	return entry ? xa_to_value(entry) : 0;
}

static int wsp_user_set(kuid_t uid, unsigned long count)
{
	unsigned long index = from_kuid(&init_user_ns, uid);

	if (!count) {
		xa_erase(&wsp_user_pending, index);
		return 0;
	}
	return xa_err(xa_store(&wsp_user_pending, index, xa_mk_value(count),
			       GFP_KERNEL_ACCOUNT));
}

/* Unlink a token from everything; its references are dropped later. */
static void wsp_token_unlink(struct wsp_token *tok)
{
	struct wsp_target *t = tok->target;

	lockdep_assert_held(&wsp_token_lock);
	xa_erase(&wsp_tokens, tok->id);
	list_del(&tok->target_node);
	list_del(&tok->sock_node);
	tok->ws->pending_duplicates--;
	wsp_pending_total--;
	/* Lowering a count never allocates. */
	wsp_user_set(tok->owner, wsp_user_count(tok->owner) - 1);
	wsp_stat_dec(WSP_STAT_PENDING_DUPLICATES);
	if (list_empty(&t->tokens) && !test_bit(WSP_TARGET_QUEUED, &t->flags))
		wsp_target_put_idle(t);
}

/* Free an unlinked token and drop its references. */
static void wsp_token_free(struct wsp_token *tok)
{
	fput(tok->file);
	kfree(tok);
	module_put(THIS_MODULE);
}

/*
 * The target exited: the token's reference goes as an exiting process's
 * close does. If it is the socket's last, nobody can take another (no
 * descriptor exists), and the socket must not linger in the reaper: an
 * exiting process's close does not linger either. A zero linger time
 * (an abortive close, a reset) is kept: it does not wait.
 */
static void wsp_token_free_orphaned(struct wsp_token *tok)
{
	struct sock *sk = tok->ws->sock->sk;

	if (file_count(tok->file) == 1) {
		lock_sock(sk);
		if (sk->sk_lingertime)
			sock_reset_flag(sk, SOCK_LINGER);
		release_sock(sk);
	}
	wsp_token_free(tok);
}

/* Drop the tokens of one exited target, which the callback queued. */
static void wsp_target_reap(struct wsp_target *t, struct list_head *dead)
{
	struct wsp_token *tok, *next;

	if (t->unhooked) {
		wsp_target_free(t);
		return;
	}
	list_for_each_entry_safe(tok, next, &t->tokens, target_node) {
		if (tok->redeeming)
			continue;	/* its thread is alive: not exited */
		wsp_token_unlink(tok);
		trace_wsp_duplicate(tok->ws, WSP_TRACE_DUP_DROPPED, t->pid,
				    tok->source);
		list_add(&tok->reap_node, dead);
	}
	if (list_empty(&t->tokens)) {
		clear_bit(WSP_TARGET_QUEUED, &t->flags);
		wsp_target_unhook(t);
	} else {
		/* Left for a redemption in progress; its exit queues again. */
		clear_bit(WSP_TARGET_QUEUED, &t->flags);
	}
}

static void wsp_token_reap(struct work_struct *work)
{
	struct wsp_target *t, *tn;
	struct wsp_token *tok, *next;
	struct llist_node *queued;
	LIST_HEAD(dead);

	queued = llist_del_all(&wsp_dead_targets);
	mutex_lock(&wsp_token_lock);
	llist_for_each_entry_safe(t, tn, queued, dead_node)
		wsp_target_reap(t, &dead);
	mutex_unlock(&wsp_token_lock);

	list_for_each_entry_safe(tok, next, &dead, reap_node)
		wsp_token_free_orphaned(tok);
}

/* Whether the caller may have one more token pending; -errno if not. */
static int wsp_token_charge(struct wsp_sock *ws, kuid_t owner)
{
	lockdep_assert_held(&wsp_token_lock);
	if (ws->pending_duplicates >= WSP_MAX_PENDING_DUPLICATES)
		return -ENOBUFS;
	if (wsp_user_count(owner) >= rlimit(RLIMIT_NOFILE)) {
		wsp_refusal(WSP_REFUSED_USER_LIMIT);
		return -EMFILE;
	}
	if (wsp_pending_total >= READ_ONCE(wsp_max_pending)) {
		wsp_refusal(WSP_REFUSED_SYSTEM_LIMIT);
		return -ENFILE;
	}
	return wsp_user_set(owner, wsp_user_count(owner) + 1);
}

/* The target process of a duplication for @nr, with a reference. */
static struct pid *wsp_token_target(pid_t nr, int *err)
{
	struct task_struct *task;
	struct pid *pid;

	*err = -EINVAL;
	if (nr <= 0)
		return NULL;
	/* The caller's own process: running, and reachable by itself. */
	if (nr == task_tgid_vnr(current))
		return get_pid(task_tgid(current));
	*err = -ESRCH;
	pid = find_get_pid(nr);
	if (!pid)
		return NULL;
	task = get_pid_task(pid, PIDTYPE_TGID);
	if (!task || wsp_target_exited(pid))
		goto put;
	*err = -EPERM;
	if (!wsp_may_reach(task)) {
		wsp_refusal(WSP_REFUSED_NOT_PERMITTED);
		goto put;
	}
	put_task_struct(task);
	return pid;
put:
	if (task)
		put_task_struct(task);
	put_pid(pid);
	return NULL;
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
 * -EPERM when the caller may not reach it (wsp_may_reach()); -ENOBUFS
 * when the socket has %WSP_MAX_PENDING_DUPLICATES pending; -EMFILE when
 * the caller's user has RLIMIT_NOFILE pending; -ENFILE at the
 * system-wide limit; -ENOMEM.
 */
int wsp_token_create(struct wsp_sock *ws, pid_t pid,
		     struct wsp_protocol_info *info)
{
	struct wsp_target *t;
	struct wsp_token *tok;
	struct pid *target;
	int err, retries = 0;

	target = wsp_token_target(pid, &err);
	if (!target)
		return err;

	err = -ENOMEM;
	tok = kzalloc(sizeof(*tok), GFP_KERNEL_ACCOUNT);
	if (!tok)
		goto free;
	tok->ws = ws;
	tok->file = ws->sock->file;
	tok->owner = current_uid();
	tok->source = task_tgid_nr(current);
	/*
	 * From the per-CPU batch of the crng: as unpredictable as
	 * get_random_bytes() for a 64-bit secret, without a ChaCha block
	 * per token.
	 */
	tok->secret = get_random_u64();

retry:
	mutex_lock(&wsp_token_lock);
	err = wsp_token_charge(ws, tok->owner);
	if (err)
		goto unlock;
	err = xa_alloc(&wsp_tokens, &tok->id, tok, XA_LIMIT(0, U32_MAX - 1),
		       GFP_KERNEL_ACCOUNT);
	if (err)
		goto uncharge;
	t = wsp_target_get(target);
	if (IS_ERR(t)) {
		xa_erase(&wsp_tokens, tok->id);
		err = PTR_ERR(t);
		goto uncharge;
	}
	tok->target = t;
	list_add(&tok->target_node, &t->tokens);
	list_add_tail(&tok->sock_node, &ws->tokens);
	ws->pending_duplicates++;
	wsp_pending_total++;
	get_file(tok->file);
	__module_get(THIS_MODULE);
	wsp_stat_inc(WSP_STAT_PENDING_DUPLICATES);

	memset(info, 0, sizeof(*info));
	info->family = ws->sock->sk->sk_family;
	info->type = ws->sock->sk->sk_type;
	info->protocol = ws->sock->sk->sk_protocol;
	info->token_id = (u64)tok->id + 1;
	info->token_secret = tok->secret;
	trace_wsp_duplicate(ws, WSP_TRACE_DUP_MADE, target, tok->source);
	mutex_unlock(&wsp_token_lock);

	put_pid(target);
	return 0;

uncharge:
	wsp_user_set(tok->owner, wsp_user_count(tok->owner) - 1);
unlock:
	mutex_unlock(&wsp_token_lock);
	/* A stale target of a recycled pid number: let the reaper drop it. */
	if (err == -EAGAIN && retries++ < 3) {
		flush_work(&wsp_token_reaper);
		goto retry;
	}
free:
	kfree(tok);
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
 * it was, and can be redeemed again.
 */
int wsp_token_redeem(const struct wsp_protocol_info *info, u32 wsp_flags)
{
	struct wsp_token *tok;
	struct sock *sk;
	int fd;

	if (info->__reserved)
		return -EINVAL;
	if (!info->token_id || info->token_id > U32_MAX)
		return -ENOENT;

	mutex_lock(&wsp_token_lock);
	tok = xa_load(&wsp_tokens, info->token_id - 1);
	if (!tok || tok->redeeming || tok->secret != info->token_secret) {
		fd = -ENOENT;
		goto unlock;
	}
	if (tok->target->pid != task_tgid(current)) {
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
	trace_wsp_duplicate(tok->ws, WSP_TRACE_DUP_REDEEMED, tok->target->pid,
			    tok->source);
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
 * @info: the record wsp_token_create() made, which could not be copied out
 *
 * For WSP_IOC_DUPLICATE whose output could not be copied out: nobody can
 * redeem the token, so it must not hold its socket until the target exits.
 * The token is found by id and secret, so that only the one made is
 * cancelled.
 *
 * Context: process context.
 */
void wsp_token_cancel(const struct wsp_protocol_info *info)
{
	struct wsp_token *tok;

	if (!info->token_id || info->token_id > U32_MAX)
		return;
	mutex_lock(&wsp_token_lock);
	tok = xa_load(&wsp_tokens, info->token_id - 1);
	if (tok && (tok->redeeming || tok->secret != info->token_secret))
		tok = NULL;
	if (tok) {
		trace_wsp_duplicate(tok->ws, WSP_TRACE_DUP_DROPPED,
				    tok->target->pid, tok->source);
		wsp_token_unlink(tok);
	}
	mutex_unlock(&wsp_token_lock);

	if (tok)
		wsp_token_free(tok);
}

/**
 * wsp_token_exit() - wait for the reaper before the module goes
 *
 * Every token pins the module, so none is left at exit; idle targets are
 * unhooked here; the reaper may still be returning from freeing the last
 * token, and an unhooked target may still be queued.
 *
 * Context: module exit.
 */
void wsp_token_exit(void)
{
	struct wsp_target *t;
	unsigned long index;

	mutex_lock(&wsp_token_lock);
	xa_for_each(&wsp_targets, index, t)
		wsp_target_unhook(t);
	mutex_unlock(&wsp_token_lock);
	flush_work(&wsp_token_reaper);
	wsp_token_reap(NULL);
	WARN_ON(!xa_empty(&wsp_tokens));
	WARN_ON(!xa_empty(&wsp_targets));
}

/**
 * wsp_token_record() - a socket's pending duplications, for
 *	WSP_IOC_SOCKETS
 * @ws: the socket
 * @rec: out: @pending_duplicates, and @pending_targets of the oldest
 *	ones, as the caller's pid namespace sees them
 *
 * Context: process context; may sleep.
 */
void wsp_token_record(struct wsp_sock *ws, struct wsp_socket_record *rec)
{
	struct wsp_token *tok;
	int i = 0;

	mutex_lock(&wsp_token_lock);
	rec->pending_duplicates = ws->pending_duplicates;
	list_for_each_entry(tok, &ws->tokens, sock_node) {
		if (i == WSP_SOCKET_MAX_TARGETS)
			break;
		rec->pending_targets[i++] = pid_vnr(tok->target->pid);
	}
	mutex_unlock(&wsp_token_lock);
}

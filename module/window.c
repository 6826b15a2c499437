// SPDX-License-Identifier: GPL-2.0
/*
 * window.c - windows: the message queues WSPAsyncSelect posts to.
 *
 * Owns: struct wsp_window and its file (anon inode "[wspwindow]"), made by
 * WSP_IOC_WINDOW on /dev/wspshare. A window is a bounded ring of struct
 * wsp_message, allocated whole at creation and charged to its creator, so
 * posting from a socket callback allocates nothing; a post to a full ring
 * is dropped and counted, never queued. read() returns whole messages,
 * oldest first; poll() reports POLLIN while one is queued. Messages stay
 * queued when the registration that posted them is replaced (as in
 * Windows). A window may serve many sockets.
 *
 * Lifetime: the file holds one reference and every async-select
 * registration naming the window holds one; the ring is freed with the
 * last. Posts after the file is closed go to a queue nobody reads: they
 * are bounded like any other.
 *
 * Waiting registrations. A post that finds the ring full is dropped and
 * counted, and the registration that made it (its struct
 * wsp_window_waiter, embedded in struct wsp_notify) goes on @waiting, in
 * the same critical section: the message stays due in notify.c. Room
 * comes back only through read(), so a read() that takes messages while
 * @waiting is not empty walks it (wsp_window_service()): it takes the
 * first waiter off the list and calls wsp_notify_post_due() for it, until
 * the ring is full again or the list is empty. A due message that still
 * finds no room puts its waiter back at the tail.
 *
 * Locking:
 *
 * - @service_lock, a mutex: one walker at a time. Taken in process
 *   context only (read(), and a registration ending), never under a
 *   spinlock. The walker calls wsp_notify_post_due(), which takes the
 *   socket's notification lock: the walker holds no spinlock then.
 * - @lock, a spinlock, innermost: it protects the ring, the counters,
 *   @waiting and @servicing. It is taken with interrupts saved, since
 *   posts come from socket callbacks in softirq (or process) context,
 *   under the socket's notification lock; nothing else is ever taken
 *   under it. @count is also read without it, by poll() and read()'s
 *   wait condition: it is written with WRITE_ONCE() under @lock and read
 *   there with READ_ONCE().
 *
 * A waiter's lifetime: it is on @waiting only while its registration
 * names the window (and so holds a reference on it). notify.c takes it
 * off under its own lock when the registration ends
 * (wsp_window_cancel_wait(), under the notification lock, which nests
 * outside @lock), and then, unlocked, calls wsp_window_unregister(): if
 * the walker has just taken that waiter off the list (@servicing), it
 * waits for the walk to finish (@service_lock) before the registration's
 * reference, and the socket object, may go. A walker that calls
 * wsp_notify_post_due() for a registration that has meanwhile moved to
 * another window or ended posts nothing (notify.c checks, under its
 * lock, that the registration still names this window).
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <linux/wait.h>

#include "internal.h"

/**
 * struct wsp_window - a message queue
 * @ref: the file's reference and one per registration naming the window
 * @service_lock: one walker of @waiting at a time
 * @lock: protects everything below
 * @wait: readers and pollers
 * @waiting: registrations with a due message the ring had no room for
 * @servicing: the waiter the walker took off @waiting and is serving
 * @ring: @limit slots
 * @limit: the ring's size
 * @head: the oldest message's slot
 * @count: messages queued
 * @posted: messages posted, queued or dropped (a due message posted again
 *	and queued counts again; see wsp_window_queue())
 * @dropped: messages dropped because the ring was full
 */
struct wsp_window {
	refcount_t ref;
	struct mutex service_lock;	/* one walker at a time */
	spinlock_t lock;	/* protects the ring, counters, waiters */
	wait_queue_head_t wait;
	struct list_head waiting;
	struct wsp_window_waiter *servicing;
	struct wsp_message *ring;
	u32 limit;
	u32 head;
	u32 count;
	u64 posted;
	u64 dropped;
};

static const struct file_operations wsp_window_fops;

static void wsp_window_put(struct wsp_window *w)
{
	if (!refcount_dec_and_test(&w->ref))
		return;
	/* Every waiter's registration held a reference. */
	WARN_ON_ONCE(!list_empty(&w->waiting));
	mutex_destroy(&w->service_lock);
	kvfree(w->ring);
	kfree(w);
	wsp_stat_dec(WSP_STAT_WINDOWS);
}

/**
 * wsp_window_get_fd() - the window behind a file descriptor
 * @fd: a window's file descriptor
 *
 * Context: process context.
 * Return: the window with a new reference, or ERR_PTR(-EBADF) for a
 * closed fd, ERR_PTR(-EINVAL) for a file that is not a window.
 */
struct wsp_window *wsp_window_get_fd(int fd)
{
	struct wsp_window *w = ERR_PTR(-EINVAL);
	struct fd f = fdget(fd);

	if (!fd_file(f))
		return ERR_PTR(-EBADF);
	if (fd_file(f)->f_op == &wsp_window_fops) {
		w = fd_file(f)->private_data;
		refcount_inc(&w->ref);
	}
	fdput(f);
	return w;
}

/**
 * wsp_window_ref() - take another reference on a window
 * @w: the window; the caller holds a reference
 *
 * Context: any.
 */
void wsp_window_ref(struct wsp_window *w)
{
	refcount_inc(&w->ref);
}

/**
 * wsp_window_waiter_init() - make a waiter ready for use
 * @waiter: the waiter, on no list
 *
 * Context: any.
 */
void wsp_window_waiter_init(struct wsp_window_waiter *waiter)
{
	INIT_LIST_HEAD(&waiter->node);
}

/**
 * wsp_window_cancel_wait() - take a waiter off a window's waiting list
 * @w: the window its registration names
 * @waiter: the waiter; nothing is done if it is not waiting
 *
 * Context: any; may be called under the socket's notification lock.
 */
void wsp_window_cancel_wait(struct wsp_window *w,
			    struct wsp_window_waiter *waiter)
{
	unsigned long flags;

	spin_lock_irqsave(&w->lock, flags);
	list_del_init(&waiter->node);
	spin_unlock_irqrestore(&w->lock, flags);
}

/**
 * wsp_window_unregister() - drop a registration's reference on a window
 * @w: the window
 * @waiter: the registration's waiter, already taken off the list by
 *	wsp_window_cancel_wait() (the registration no longer names @w; the
 *	waiter may already serve a new registration of the same socket)
 *
 * Waits until no walker of @w's waiting list is serving @waiter, so that
 * the caller may free it.
 *
 * Context: process context; may sleep; not under a spinlock or while
 * holding a mutex a walker could need.
 */
void wsp_window_unregister(struct wsp_window *w,
			   struct wsp_window_waiter *waiter)
{
	bool busy;

	spin_lock_irq(&w->lock);
	busy = w->servicing == waiter;
	spin_unlock_irq(&w->lock);
	if (busy) {
		/* The walker is done with @waiter once it lets go. */
		mutex_lock(&w->service_lock);
		mutex_unlock(&w->service_lock);
	}
	wsp_window_put(w);
}

/*
 * Queue @msg if there is room; else put @waiter (if any) on the waiting
 * list, and count a drop unless @retry (the message was counted when it
 * was first dropped). @posted counts the first attempt and a successful
 * retry, so that @posted - @dropped is the number of messages queued.
 */
static bool wsp_window_queue(struct wsp_window *w,
			     const struct wsp_message *msg,
			     struct wsp_window_waiter *waiter, bool retry)
{
	unsigned long flags;
	bool queued = false;

	spin_lock_irqsave(&w->lock, flags);
	if (w->count < w->limit) {
		w->ring[(w->head + w->count) % w->limit] = *msg;
		WRITE_ONCE(w->count, w->count + 1);
		w->posted++;
		queued = true;
	} else {
		if (!retry) {
			w->posted++;
			w->dropped++;
		}
		if (waiter && list_empty(&waiter->node))
			list_add_tail(&waiter->node, &w->waiting);
	}
	spin_unlock_irqrestore(&w->lock, flags);

	if (queued)
		wake_up_interruptible_poll(&w->wait, EPOLLIN | EPOLLRDNORM);
	return queued;
}

/**
 * wsp_window_post() - post one message
 * @w: the window
 * @msg: the message
 * @waiter: where a dropped message's registration waits for room, or
 *	NULL
 *
 * A message the ring has no room for is dropped and counted, and
 * @waiter goes on the waiting list (if not already there): the walker
 * will call wsp_notify_post_due() for it once read() makes room.
 *
 * Context: any; never sleeps, never allocates.
 * Return: true if queued, false if dropped because the queue was full.
 */
bool wsp_window_post(struct wsp_window *w, const struct wsp_message *msg,
		     struct wsp_window_waiter *waiter)
{
	return wsp_window_queue(w, msg, waiter, false);
}

/**
 * wsp_window_repost() - post again a message that was dropped, or that
 *	waited behind one
 * @w: the window
 * @msg: the message
 * @waiter: where its registration waits again if there is still no room
 *
 * As wsp_window_post(), except that no room is not counted as a drop
 * again.
 *
 * Context: any; never sleeps, never allocates.
 * Return: true if queued.
 */
bool wsp_window_repost(struct wsp_window *w, const struct wsp_message *msg,
		       struct wsp_window_waiter *waiter)
{
	return wsp_window_queue(w, msg, waiter, true);
}

/*
 * Room was made: post the waiting registrations' due messages, first
 * come first served, while there is room. Only one walker at a time; a
 * read() that made room while another walks waits its turn, so that no
 * room made goes unused while a registration waits.
 */
static void wsp_window_service(struct wsp_window *w)
{
	struct wsp_window_waiter *waiter;

	mutex_lock(&w->service_lock);
	spin_lock_irq(&w->lock);
	while (w->count < w->limit && !list_empty(&w->waiting)) {
		waiter = list_first_entry(&w->waiting,
					  struct wsp_window_waiter, node);
		list_del_init(&waiter->node);
		w->servicing = waiter;
		spin_unlock_irq(&w->lock);
		/* May post, and may put @waiter back on the list. */
		wsp_notify_post_due(waiter, w);
		spin_lock_irq(&w->lock);
		w->servicing = NULL;
	}
	spin_unlock_irq(&w->lock);
	mutex_unlock(&w->service_lock);
}

/*
 * Take up to @max messages off the ring into @out; the number taken.
 * *@waiters is set if registrations wait for the room made.
 */
static u32 wsp_window_take(struct wsp_window *w, struct wsp_message *out,
			   u32 max, bool *waiters)
{
	u32 n;

	spin_lock_irq(&w->lock);
	for (n = 0; n < max && w->count; n++) {
		out[n] = w->ring[w->head];
		w->head = (w->head + 1) % w->limit;
		WRITE_ONCE(w->count, w->count - 1);
	}
	if (n && !list_empty(&w->waiting))
		*waiters = true;
	spin_unlock_irq(&w->lock);
	return n;
}

/*
 * Put back at the head the @n messages just taken (their copy to user
 * space failed), as far as posts since have left room.
 */
static void wsp_window_unget(struct wsp_window *w,
			     const struct wsp_message *msgs, u32 n)
{
	u32 room;

	spin_lock_irq(&w->lock);
	room = min(n, w->limit - w->count);
	w->dropped += n - room;
	while (room--) {
		w->head = (w->head + w->limit - 1) % w->limit;
		w->ring[w->head] = msgs[room];
		WRITE_ONCE(w->count, w->count + 1);
	}
	spin_unlock_irq(&w->lock);
}

static bool wsp_window_has_message(struct wsp_window *w)
{
	return READ_ONCE(w->count) != 0;
}

/*
 * read(): whole messages only (a buffer smaller than one gets EINVAL);
 * waits for the first unless the file is non-blocking. Messages that
 * cannot be copied out go back to the head of the queue. The room made
 * goes to registrations waiting with a due message, before returning.
 */
static ssize_t wsp_window_read(struct file *file, char __user *buf,
			       size_t len, loff_t *ppos)
{
	struct wsp_window *w = file->private_data;
	struct wsp_message batch[8];
	bool waiters = false;
	ssize_t done = 0;
	ssize_t ret;
	u32 n;
	int err;

	if (len < sizeof(batch[0]))
		return -EINVAL;

	while (len - done >= sizeof(batch[0])) {
		n = wsp_window_take(w, batch,
				    min_t(size_t, ARRAY_SIZE(batch),
					  (len - done) / sizeof(batch[0])),
				    &waiters);
		if (!n) {
			if (done)
				break;
			if (file->f_flags & O_NONBLOCK)
				return -EAGAIN;
			err = wait_event_interruptible(w->wait,
						       wsp_window_has_message(w));
			if (err)
				return err;
			continue;
		}
		if (copy_to_user(buf + done, batch, n * sizeof(batch[0]))) {
			wsp_window_unget(w, batch, n);
			ret = done ? done : -EFAULT;
			goto out;
		}
		done += n * sizeof(batch[0]);
	}
	ret = done;
out:
	if (waiters)
		wsp_window_service(w);
	return ret;
}

static __poll_t wsp_window_poll(struct file *file, poll_table *wait)
{
	struct wsp_window *w = file->private_data;

	poll_wait(file, &w->wait, wait);
	return wsp_window_has_message(w) ? EPOLLIN | EPOLLRDNORM : 0;
}

static long wsp_window_info(struct wsp_ioctl_call *call, void *arg)
{
	struct wsp_window *w = call->file->private_data;
	struct wsp_window_info *info = arg;

	if (info->flags || info->__reserved)
		return -EINVAL;
	memset(info, 0, sizeof(*info));
	spin_lock_irq(&w->lock);
	info->limit = w->limit;
	info->queued = w->count;
	info->posted = w->posted;
	info->dropped = w->dropped;
	spin_unlock_irq(&w->lock);
	return 0;
}

static const struct wsp_ioctl_op wsp_window_ops[] = {
	WSP_IOCTL_OP(WSP_IOC_WINDOW_INFO, wsp_window_info,
		     struct wsp_window_info, dropped),
};

static long wsp_window_ioctl(struct file *file, unsigned int cmd,
			     unsigned long arg)
{
	long ret;

	ret = wsp_ioctl_dispatch(file, file->private_data, cmd, arg,
				 wsp_window_ops, ARRAY_SIZE(wsp_window_ops));
	/* A socket's ioctl sent to a window: it is not a socket. */
	if (ret == -ENOTTY && wsp_desc_ioctl_known(cmd))
		ret = -ENOTSOCK;
	return ret;
}

static int wsp_window_release(struct inode *inode, struct file *file)
{
	wsp_window_put(file->private_data);
	return 0;
}

static const struct file_operations wsp_window_fops = {
	.owner		= THIS_MODULE,
	.release	= wsp_window_release,
	.read		= wsp_window_read,
	.poll		= wsp_window_poll,
	.unlocked_ioctl	= wsp_window_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

/**
 * wsp_window_file() - create a window and its file
 * @limit: the queue's limit, 1 to %WSP_WINDOW_MAX_LIMIT
 * @nonblock: whether read() on the file does not wait
 *
 * Context: process context.
 * Return: the file (not installed), or an ERR_PTR.
 */
struct file *wsp_window_file(u32 limit, bool nonblock)
{
	struct wsp_window *w;
	struct file *file;

	w = kzalloc(sizeof(*w), GFP_KERNEL_ACCOUNT);
	if (!w)
		return ERR_PTR(-ENOMEM);
	w->ring = kvcalloc(limit, sizeof(*w->ring), GFP_KERNEL_ACCOUNT);
	if (!w->ring) {
		kfree(w);
		return ERR_PTR(-ENOMEM);
	}
	refcount_set(&w->ref, 1);
	mutex_init(&w->service_lock);
	spin_lock_init(&w->lock);
	init_waitqueue_head(&w->wait);
	INIT_LIST_HEAD(&w->waiting);
	w->limit = limit;
	wsp_stat_inc(WSP_STAT_WINDOWS);

	file = anon_inode_getfile("[wspwindow]", &wsp_window_fops, w,
				  O_RDWR | (nonblock ? O_NONBLOCK : 0));
	if (IS_ERR(file)) {
		wsp_window_put(w);
		return file;
	}
	stream_open(file_inode(file), file);
	return file;
}

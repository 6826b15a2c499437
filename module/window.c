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
 * Locking: @lock protects the ring and the counters. It is taken with
 * interrupts saved, since posts come from socket callbacks in softirq (or
 * process) context, under the socket's notification lock. @count is also
 * read without it, by poll() and read()'s wait condition: it is written
 * with WRITE_ONCE() under @lock and read there with READ_ONCE().
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/mm.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <linux/wait.h>

#include "internal.h"

/**
 * struct wsp_window - a message queue
 * @ref: the file's reference and one per registration naming the window
 * @lock: protects everything below
 * @wait: readers and pollers
 * @ring: @limit slots
 * @limit: the ring's size
 * @head: the oldest message's slot
 * @count: messages queued
 * @posted: messages posted, queued or dropped
 * @dropped: messages dropped because the ring was full
 */
struct wsp_window {
	refcount_t ref;
	spinlock_t lock;	/* protects the ring and the counters */
	wait_queue_head_t wait;
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
	struct wsp_window *w;
	struct file *file;

	file = fget(fd);
	if (!file)
		return ERR_PTR(-EBADF);
	if (file->f_op != &wsp_window_fops) {
		fput(file);
		return ERR_PTR(-EINVAL);
	}
	w = file->private_data;
	refcount_inc(&w->ref);
	fput(file);
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
 * wsp_window_unref() - drop a registration's reference on a window
 * @w: the window
 *
 * Context: process context.
 */
void wsp_window_unref(struct wsp_window *w)
{
	wsp_window_put(w);
}

/**
 * wsp_window_post() - post one message
 * @w: the window
 * @msg: the message
 *
 * Context: any; never sleeps, never allocates.
 * Return: true if queued, false if dropped because the queue was full.
 */
bool wsp_window_post(struct wsp_window *w, const struct wsp_message *msg)
{
	unsigned long flags;
	bool queued = false;

	spin_lock_irqsave(&w->lock, flags);
	w->posted++;
	if (w->count < w->limit) {
		w->ring[(w->head + w->count) % w->limit] = *msg;
		WRITE_ONCE(w->count, w->count + 1);
		queued = true;
	} else {
		w->dropped++;
	}
	spin_unlock_irqrestore(&w->lock, flags);

	if (queued)
		wake_up_interruptible_poll(&w->wait, EPOLLIN | EPOLLRDNORM);
	return queued;
}

/* Take up to @max messages off the ring into @out; the number taken. */
static u32 wsp_window_take(struct wsp_window *w, struct wsp_message *out,
			   u32 max)
{
	u32 n;

	spin_lock_irq(&w->lock);
	for (n = 0; n < max && w->count; n++) {
		out[n] = w->ring[w->head];
		w->head = (w->head + 1) % w->limit;
		WRITE_ONCE(w->count, w->count - 1);
	}
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
 * cannot be copied out go back to the head of the queue.
 */
static ssize_t wsp_window_read(struct file *file, char __user *buf,
			       size_t len, loff_t *ppos)
{
	struct wsp_window *w = file->private_data;
	struct wsp_message batch[8];
	ssize_t done = 0;
	u32 n;
	int err;

	if (len < sizeof(batch[0]))
		return -EINVAL;

	while (len - done >= sizeof(batch[0])) {
		n = wsp_window_take(w, batch,
				    min_t(size_t, ARRAY_SIZE(batch),
					  (len - done) / sizeof(batch[0])));
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
			return done ? done : -EFAULT;
		}
		done += n * sizeof(batch[0]);
	}
	return done;
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
	spin_lock_init(&w->lock);
	init_waitqueue_head(&w->wait);
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

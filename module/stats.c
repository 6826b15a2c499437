// SPDX-License-Identifier: GPL-2.0
/*
 * stats.c - live object counters, for tests and for anyone chasing a leak.
 *
 * Owns: one counter per kind of object the module holds on behalf of user
 * space (socket objects, pending duplications, registrations, windows),
 * in /sys/kernel/debug/wspshare/counters, one "name: value" per line:
 * every test run ends by checking they are back to zero. And one counter
 * per kind of refused request (a duplication not permitted, or over its
 * user's or the system's bound; a displaced registration's notice dropped
 * over the per-socket bound), in .../refusals, which only grow.
 *
 * Locking: the counters are atomics; nothing else is shared.
 */
#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/seq_file.h>

#include "internal.h"

static atomic_long_t wsp_stats[WSP_STAT_COUNT];
static atomic_long_t wsp_refusals[WSP_REFUSED_COUNT];
static struct dentry *wsp_debugfs_dir;

static const char *const wsp_stat_names[WSP_STAT_COUNT] = {
	[WSP_STAT_SOCKETS]		= "sockets",
	[WSP_STAT_PENDING_DUPLICATES]	= "pending_duplicates",
	[WSP_STAT_REGISTRATIONS]	= "registrations",
	[WSP_STAT_WINDOWS]		= "windows",
};

static const char *const wsp_refusal_names[WSP_REFUSED_COUNT] = {
	[WSP_REFUSED_NOT_PERMITTED]	= "duplicate_not_permitted",
	[WSP_REFUSED_USER_LIMIT]	= "duplicate_user_limit",
	[WSP_REFUSED_SYSTEM_LIMIT]	= "duplicate_system_limit",
	[WSP_REFUSED_DISPLACED_NOTICE]	= "displaced_notice_dropped",
};

/**
 * wsp_refusal() - count a request refused by a permission check or bound
 * @why: which
 *
 * Context: any.
 */
void wsp_refusal(enum wsp_refused why)
{
	atomic_long_inc(&wsp_refusals[why]);
}

void wsp_stat_inc(enum wsp_stat stat)
{
	atomic_long_inc(&wsp_stats[stat]);
}

void wsp_stat_dec(enum wsp_stat stat)
{
	atomic_long_dec(&wsp_stats[stat]);
}

static int wsp_counters_show(struct seq_file *m, void *unused)
{
	int i;

	for (i = 0; i < WSP_STAT_COUNT; i++)
		seq_printf(m, "%s: %ld\n", wsp_stat_names[i],
			   atomic_long_read(&wsp_stats[i]));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(wsp_counters);

static int wsp_refusals_show(struct seq_file *m, void *unused)
{
	int i;

	for (i = 0; i < WSP_REFUSED_COUNT; i++)
		seq_printf(m, "%s: %ld\n", wsp_refusal_names[i],
			   atomic_long_read(&wsp_refusals[i]));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(wsp_refusals);

/**
 * wsp_stats_init() - publish the counters in debugfs
 *
 * A kernel without debugfs simply has no file; the module works the same.
 *
 * Context: module init.
 */
void wsp_stats_init(void)
{
	wsp_debugfs_dir = debugfs_create_dir(WSP_DEVICE_NAME, NULL);
	debugfs_create_file("counters", 0444, wsp_debugfs_dir, NULL,
			    &wsp_counters_fops);
	debugfs_create_file("refusals", 0444, wsp_debugfs_dir, NULL,
			    &wsp_refusals_fops);
}

/**
 * wsp_stats_exit() - remove the debugfs files
 *
 * Context: module exit.
 */
void wsp_stats_exit(void)
{
	debugfs_remove_recursive(wsp_debugfs_dir);
}

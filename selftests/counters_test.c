// SPDX-License-Identifier: GPL-2.0
/*
 * counters_test - runs last: once every other test program has exited,
 * the module holds nothing for user space. A reference leaked anywhere in
 * the suite shows up here, on every kernel, kmemleak or not.
 */
#include <time.h>

#include "kselftest_harness.h"
#include "wsp_net.h"

/*
 * Duplications whose target just exited are freed by a work item: wait
 * (bounded) for the counts to settle, then require zero.
 */
TEST(everything_released)
{
	struct wsp_counters c;
	long deadline = now_ms() + 10000;
	struct timespec tick = { .tv_nsec = 10 * 1000 * 1000 };

	for (;;) {
		ASSERT_EQ(0, wsp_read_counters(&c)) {
			TH_LOG("cannot read %s", WSP_COUNTERS_PATH);
		}
		if (!c.sockets && !c.pending_duplicates &&
		    !c.registrations && !c.windows)
			break;
		if (now_ms() > deadline)
			break;
		nanosleep(&tick, NULL);
	}
	EXPECT_EQ(0, c.sockets);
	EXPECT_EQ(0, c.pending_duplicates);
	EXPECT_EQ(0, c.registrations);
	EXPECT_EQ(0, c.windows);
}

TEST_HARNESS_MAIN

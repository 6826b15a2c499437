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

/*
 * The file lists exactly the four counts of ABI 2, each once: a
 * descriptor is a socket file now, and the module counts no descriptors.
 */
TEST(lists_exactly_the_four_counts)
{
	static const char *const want[] = {
		"sockets", "pending_duplicates", "registrations", "windows",
	};
	int seen[4] = { 0 }, lines = 0, i;
	char name[64];
	long value;
	FILE *f;

	f = fopen(WSP_COUNTERS_PATH, "r");
	ASSERT_NE(NULL, f) TH_LOG("cannot read %s", WSP_COUNTERS_PATH);
	while (fscanf(f, "%63[^:]: %ld\n", name, &value) == 2) {
		lines++;
		for (i = 0; i < 4; i++)
			if (!strcmp(name, want[i]))
				seen[i]++;
		EXPECT_STRNE("descriptors", name);
		EXPECT_LE(0, value) TH_LOG("%s: %ld", name, value);
	}
	EXPECT_NE(0, feof(f)) TH_LOG("a line is not \"name: value\"");
	fclose(f);
	EXPECT_EQ(4, lines);
	EXPECT_EQ(1, seen[0]) TH_LOG("sockets");
	EXPECT_EQ(1, seen[1]) TH_LOG("pending_duplicates");
	EXPECT_EQ(1, seen[2]) TH_LOG("registrations");
	EXPECT_EQ(1, seen[3]) TH_LOG("windows");
}

TEST_HARNESS_MAIN

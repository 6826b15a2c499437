/* SPDX-License-Identifier: GPL-2.0 */
/*
 * wsp_stress.h - helpers shared by the randomised selftests (fuzz_test,
 * stress_test): settings from the environment, a seeded generator, and a
 * scan of the kernel log for what must never appear there.
 */
#ifndef WSP_STRESS_H
#define WSP_STRESS_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

/* The number in environment variable @name, or @def when it is unset. */
static inline unsigned long env_ul(const char *name, unsigned long def)
{
	const char *s = getenv(name);

	return s && *s ? strtoul(s, NULL, 0) : def;
}

/* splitmix64, to derive one generator's seed from another number. */
static inline uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* xorshift64*: the same sequence for the same seed. */
static inline uint64_t rnd(uint64_t *s)
{
	uint64_t x = *s ? *s : 0x2545f4914f6cdd1dull;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dull;
}

/* A number below @n (0 if @n is 0). */
static inline uint32_t rn(uint64_t *s, uint32_t n)
{
	return n ? (uint32_t)(rnd(s) >> 32) % n : 0;
}

/* One element of the array @a, at random. */
#define RN_PICK(s, a) ((a)[rn((s), sizeof(a) / sizeof((a)[0]))])

/* What the kernel logs only when something went wrong. */
static const char *const wsp_kmsg_bad_patterns[] = {
	"BUG:", "WARNING:", "Oops", "general protection", "KASAN",
	"unreferenced object", "possible recursive locking",
	"circular locking", "suspicious RCU usage", "Kernel panic",
	"hung_task", "soft lockup", "Call Trace:", "UBSAN",
};

/* /dev/kmsg from its end: what the kernel logs from now on (or -1). */
static inline int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

/*
 * Read what is new on @fd (from kmsg_open()): the number of bad records.
 * The text of the first is put in @first (@len bytes) if @first is still
 * empty, so that a caller scanning again keeps the first of all.
 */
static inline int kmsg_scan(int fd, char *first, size_t len)
{
	const size_t npat = sizeof(wsp_kmsg_bad_patterns) /
			    sizeof(wsp_kmsg_bad_patterns[0]);
	char rec[2048];
	int bad = 0;
	size_t i, k;

	if (fd < 0)
		return 0;
	for (;;) {
		ssize_t n = read(fd, rec, sizeof(rec) - 1);

		if (n < 0 && errno == EPIPE)
			continue;	/* overwritten: go on from the next */
		if (n <= 0)
			break;
		rec[n] = 0;
		for (i = 0; i < npat; i++) {
			char *msg;

			if (!strstr(rec, wsp_kmsg_bad_patterns[i]))
				continue;
			if (!bad++ && first && first[0] == 0) {
				msg = strchr(rec, ';');
				msg = msg ? msg + 1 : rec;
				k = strcspn(msg, "\n");
				if (k >= len)
					k = len - 1;
				memcpy(first, msg, k);
				first[k] = 0;
			}
			break;
		}
	}
	return bad;
}

#endif /* WSP_STRESS_H */

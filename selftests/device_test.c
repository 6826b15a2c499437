// SPDX-License-Identifier: GPL-2.0
/*
 * device_test - /dev/wspshare itself: the node, the version ioctl and the
 * argument protocol every ioctl shares ("General ioctl format" in
 * uapi/linux/wspshare.h).
 */
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "wsp_test.h"

/* The version ioctl with the struct size a caller's header may differ in. */
#define VERSION_IOC(size) _IOC(_IOC_READ | _IOC_WRITE, WSP_IOC_MAGIC, \
			       _IOC_NR(WSP_IOC_VERSION), (size))

/*
 * Every uapi struct is a multiple of 8 bytes, so that i386 and x86-64 lay
 * it out alike and a field added later cannot change its alignment.
 */
TEST(uapi_structs_are_multiples_of_8_bytes)
{
#define EXPECT_SIZE_8(type) \
	EXPECT_EQ(0, sizeof(struct type) % 8) TH_LOG(#type ": %zu bytes", \
						   sizeof(struct type))
	EXPECT_SIZE_8(wsp_version);
	EXPECT_SIZE_8(wsp_socket_args);
	EXPECT_SIZE_8(wsp_protocol_info);
	EXPECT_SIZE_8(wsp_redeem_args);
	EXPECT_SIZE_8(wsp_duplicate_args);
	EXPECT_SIZE_8(wsp_nonblock_args);
	EXPECT_SIZE_8(wsp_socket_info);
	EXPECT_SIZE_8(wsp_window_args);
	EXPECT_SIZE_8(wsp_message);
	EXPECT_SIZE_8(wsp_window_info);
	EXPECT_SIZE_8(wsp_event_select_args);
	EXPECT_SIZE_8(wsp_async_select_args);
	EXPECT_SIZE_8(wsp_enum_events_args);
	EXPECT_SIZE_8(wsp_registration);
#undef EXPECT_SIZE_8
}

FIXTURE(dev) {
	int fd;
};

FIXTURE_SETUP(dev)
{
	WSP_SETUP_DEVICE(self->fd);
}

FIXTURE_TEARDOWN(dev)
{
	if (self->fd >= 0)
		close(self->fd);
}

/* A misc character device that anyone may open (see Documentation). */
TEST_F(dev, node_is_world_accessible_char_device)
{
	struct stat st;

	ASSERT_EQ(0, fstat(self->fd, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(10, major(st.st_rdev));	/* MISC_MAJOR */
	EXPECT_EQ(0666, st.st_mode & 07777);
}

TEST_F(dev, version_reports_abi)
{
	struct wsp_version v = { 0 };

	ASSERT_EQ(0, wsp_ioctl(self->fd, WSP_IOC_VERSION, &v));
	EXPECT_EQ(WSP_ABI_VERSION, v.abi_version);
	/* Descriptors are real sockets since ABI 2. */
	EXPECT_EQ(2, v.abi_version);
	EXPECT_EQ(0, v.flags);
	EXPECT_EQ(0, v.__reserved);
}

/* The module's release in sysfs agrees with the ioctl. */
TEST_F(dev, version_matches_sysfs)
{
	struct wsp_version v = { 0 };
	char want[32], got[32] = "";
	FILE *f;

	ASSERT_EQ(0, wsp_ioctl(self->fd, WSP_IOC_VERSION, &v));
	snprintf(want, sizeof(want), "%u.%u", v.module_major, v.module_minor);
	f = fopen("/sys/module/wspshare/version", "r");
	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(got, sizeof(got), f));
	fclose(f);
	got[strcspn(got, "\n")] = 0;
	EXPECT_STREQ(want, got);
}

TEST_F(dev, unknown_flags_einval)
{
	struct wsp_version v = { .flags = 1 };

	EXPECT_EQ(-EINVAL, wsp_ioctl(self->fd, WSP_IOC_VERSION, &v));
	v.flags = 0x80000000u;
	EXPECT_EQ(-EINVAL, wsp_ioctl(self->fd, WSP_IOC_VERSION, &v));
	EXPECT_EQ(0, v.abi_version);	/* nothing was written back */
}

TEST_F(dev, nonzero_reserved_einval)
{
	struct wsp_version v = { .__reserved = 1 };

	EXPECT_EQ(-EINVAL, wsp_ioctl(self->fd, WSP_IOC_VERSION, &v));
	EXPECT_EQ(0, v.abi_version);
}

TEST_F(dev, unknown_ioctl_enotty)
{
	struct wsp_version v = { 0 };

	/* A number past the table, one in another magic, one of no struct. */
	EXPECT_EQ(-ENOTTY, wsp_ioctl(self->fd, _IOWR(WSP_IOC_MAGIC, 0xff,
						      struct wsp_version), &v));
	EXPECT_EQ(-ENOTTY, wsp_ioctl(self->fd, _IOWR('T', 0,
						      struct wsp_version), &v));
	EXPECT_EQ(-ENOTTY, wsp_ioctl(self->fd, _IO(WSP_IOC_MAGIC, 0x7f), NULL));
	/* A socket ioctl: the device is not a socket. */
	EXPECT_EQ(-ENOTTY, wsp_ioctl(self->fd, FIONREAD, &v));
}

/*
 * ABI 1's bind ... getsockopt ioctls (0x20 to 0x2a) are gone: the
 * numbers are unknown now, whatever their direction and size.
 */
TEST_F(dev, retired_abi1_socket_ioctls_enotty)
{
	unsigned char buf[256] = { 0 };
	unsigned int nr;

	for (nr = 0x20; nr <= 0x2a; nr++) {
		EXPECT_EQ(-ENOTTY, wsp_ioctl(self->fd,
			_IOC(_IOC_READ | _IOC_WRITE, WSP_IOC_MAGIC, nr, 64),
			buf)) TH_LOG("nr %#x", nr);
		EXPECT_EQ(-ENOTTY, wsp_ioctl(self->fd,
			_IOC(_IOC_WRITE, WSP_IOC_MAGIC, nr, 16), buf))
			TH_LOG("nr %#x", nr);
	}
}

/* The device is a character device, not a socket: socket calls fail. */
TEST_F(dev, socket_calls_on_device_enotsock)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int v;

	EXPECT_EQ(-1, getsockname(self->fd, (struct sockaddr *)&a, &len));
	EXPECT_EQ(ENOTSOCK, errno);
	len = sizeof(v);
	EXPECT_EQ(-1, getsockopt(self->fd, SOL_SOCKET, SO_TYPE, &v, &len));
	EXPECT_EQ(ENOTSOCK, errno);
}

/* The right number with the wrong direction bits is a different ioctl. */
TEST_F(dev, wrong_direction_enotty)
{
	struct wsp_version v = { 0 };

	EXPECT_EQ(-ENOTTY, wsp_ioctl(self->fd, _IOR(WSP_IOC_MAGIC,
		_IOC_NR(WSP_IOC_VERSION), struct wsp_version), &v));
	EXPECT_EQ(-ENOTTY, wsp_ioctl(self->fd, _IOW(WSP_IOC_MAGIC,
		_IOC_NR(WSP_IOC_VERSION), struct wsp_version), &v));
	EXPECT_EQ(-ENOTTY, wsp_ioctl(self->fd, _IO(WSP_IOC_MAGIC,
		_IOC_NR(WSP_IOC_VERSION)), NULL));
}

TEST_F(dev, struct_too_small_einval)
{
	struct wsp_version v = { 0 };

	EXPECT_EQ(-EINVAL, wsp_ioctl(self->fd, VERSION_IOC(4), &v));
	EXPECT_EQ(-EINVAL, wsp_ioctl(self->fd,
				     VERSION_IOC(sizeof(v) - 1), &v));
}

/* A newer caller's larger struct works while its tail is zero. */
TEST_F(dev, larger_struct_zero_tail_ok)
{
	struct {
		struct wsp_version v;
		uint64_t tail[4];
	} big;

	memset(&big, 0, sizeof(big));
	ASSERT_EQ(0, wsp_ioctl(self->fd, VERSION_IOC(sizeof(big)), &big));
	EXPECT_EQ(WSP_ABI_VERSION, big.v.abi_version);
	EXPECT_EQ(0, big.tail[0]);
	EXPECT_EQ(0, big.tail[3]);
}

TEST_F(dev, larger_struct_nonzero_tail_e2big)
{
	struct {
		struct wsp_version v;
		uint64_t tail[4];
	} big;

	memset(&big, 0, sizeof(big));
	big.tail[3] = 1;
	EXPECT_EQ(-E2BIG, wsp_ioctl(self->fd, VERSION_IOC(sizeof(big)), &big));
	EXPECT_EQ(0, big.v.abi_version);
}

TEST_F(dev, bad_pointer_efault)
{
	void *unmapped;

	EXPECT_EQ(-EFAULT, wsp_ioctl(self->fd, WSP_IOC_VERSION, NULL));

	unmapped = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
			-1, 0);
	ASSERT_NE(MAP_FAILED, unmapped);
	EXPECT_EQ(-EFAULT, wsp_ioctl(self->fd, WSP_IOC_VERSION, unmapped));
	munmap(unmapped, 4096);

	/* A kernel address is never a valid user pointer. */
	EXPECT_EQ(-EFAULT, wsp_ioctl(self->fd, WSP_IOC_VERSION,
				     (void *)0xffffffff81000000ul));
}

/* Read-only memory: the input is readable, the output cannot be written. */
TEST_F(dev, readonly_struct_efault)
{
	struct wsp_version *v;

	v = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, v);
	EXPECT_EQ(-EFAULT, wsp_ioctl(self->fd, WSP_IOC_VERSION, v));
	munmap(v, 4096);
}

/* An open device file pins the module (fops owner). */
TEST_F(dev, open_file_pins_module)
{
	static const char refcnt[] = "/sys/module/wspshare/refcnt";
	long before = 0, after = 0;
	int fd2;

	ASSERT_EQ(0, wsp_read_long(refcnt, &before));
	EXPECT_LE(1, before);

	fd2 = open(WSP_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, wsp_read_long(refcnt, &after));
	close(fd2);
	EXPECT_EQ(before + 1, after);
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/*
 * wspdemo - what `make demo` runs inside the VM.
 *
 * For now it opens /dev/wspshare and prints the ABI and module version the
 * loaded module reports. The seed's scenario (one registration per socket,
 * whichever descriptor makes it) joins it with the registration ioctls.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/wspshare.h>

int main(void)
{
	struct wsp_version v = { 0 };
	int fd;

	fd = open(WSP_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "open %s: %s\n", WSP_DEVICE_PATH, strerror(errno));
		return 1;
	}
	if (ioctl(fd, WSP_IOC_VERSION, &v) < 0) {
		fprintf(stderr, "WSP_IOC_VERSION: %s\n", strerror(errno));
		close(fd);
		return 1;
	}
	printf("%s: wspshare module %u.%u, ABI version %u (this program was built for ABI %u)\n",
	       WSP_DEVICE_PATH, v.module_major, v.module_minor, v.abi_version,
	       WSP_ABI_VERSION);
	close(fd);
	return v.abi_version == WSP_ABI_VERSION ? 0 : 1;
}

# SPDX-License-Identifier: GPL-2.0
#
# wspshare: the user-facing targets. The module itself is built by Kbuild
# (./Kbuild and module/Kbuild); this file only calls it. `make help`
# prints the lines below that start with "make", and the README's command
# list must be the same text (scripts/check-help.sh, run by `make style`).
#
#   make                  the module (against KDIR) and make programs
#   make module           the module alone, against KDIR (default: uname -r)
#   make modules_install  the module into KDIR's /lib/modules tree
#   make lib              libwsp.so and libwsp.a into build/lib
#   make programs         libwsp, wspstat, tests, examples, the demo: no module
#   make install          libwsp, wsp.h, wsp.pc, the tools into PREFIX (DESTDIR)
#   make uninstall        remove what make install installed
#   make oot              install into build/stage, build with pkg-config there
#   make dkms-source      the module's source for DKMS into /usr/src (DESTDIR)
#   make deb              the Debian packages into build/deb (dpkg-buildpackage)
#   make check            style, W=1, sparse, every test in a VM on 6.1, 6.12
#   make check-debug      tests, stress, fuzzing under KASAN, lockdep, kmemleak
#   make check-packages   install the packages, DKMS, VM tests on both, lintian
#   make demo             the demo in a VM on the newest installed kernel
#   make bench            wspshare vs native Linux in a VM (build/bench/)
#   make style            checkpatch --strict; make help against the README
#   make sparse           the module with sparse (C=2) and W=1 against KDIR
#   make clean            remove build/ and Kbuild's output
#   make help             this list
#
# make check KERNELS=6.12 tests one kernel.

# The kernel to build against: the running one's headers when it has them,
# else the newest Debian headers under /usr/src.
KDIR ?= $(or $(wildcard /lib/modules/$(shell uname -r)/build),\
	     $(lastword $(shell ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -V)))
KERNELS ?= 6.1 6.12

BUILD := $(CURDIR)/build
KSRC := $(BUILD)/linux-source
CHECKPATCH := $(KSRC)/scripts/checkpatch.pl
STYLE_FILES := $(filter-out module/trace.h,$(wildcard module/*.c module/*.h)) \
	uapi/linux/wspshare.h

# The one version of the module, libwsp, dkms.conf and the packages.
WSP_VERSION := $(shell cat VERSION)

# Where `make install` puts libwsp and the tools; LIBDIR (PREFIX/lib) and
# INCLUDEDIR (PREFIX/include) reach lib/Makefile from the command line.
PREFIX ?= /usr/local
DESTDIR ?=
# The installed programs' flags (the distribution's, e.g. dpkg-buildflags).
CFLAGS ?= -O2 -g
# The staged install that `make oot` builds against.
STAGE := $(BUILD)/stage

all: module programs

module:
	@test -n "$(KDIR)" -a -f "$(KDIR)/Makefile" || \
		{ echo "no kernel headers: set KDIR, or run scripts/deps.sh" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

sparse:
	@test -n "$(KDIR)" -a -f "$(KDIR)/Makefile" || \
		{ echo "no kernel headers: set KDIR" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=1 C=2 modules

modules_install: module
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules_install

programs: lib tools selftests demo-program examples oot

lib:
	$(MAKE) -C lib OUTPUT=$(BUILD)/lib

tools: $(BUILD)/tools/wspstat

$(BUILD)/tools/wspstat: tools/wspstat.c uapi/linux/wspshare.h
	$(MAKE) -C tools OUTPUT=$(BUILD)/tools CFLAGS="$(CFLAGS)" $@

# The programs `make install` puts in PREFIX/bin (and the Debian package
# wspshare-tools ships), each linked as usual, not static.
INSTALL_PROGRAMS := $(BUILD)/demo/wspshare-demo $(BUILD)/tools/wspstat

install: $(INSTALL_PROGRAMS)
	$(MAKE) -C lib OUTPUT=$(BUILD)/lib PREFIX=$(PREFIX) DESTDIR=$(DESTDIR) install
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 755 $(INSTALL_PROGRAMS) $(DESTDIR)$(PREFIX)/bin/

uninstall:
	$(MAKE) -C lib OUTPUT=$(BUILD)/lib PREFIX=$(PREFIX) DESTDIR=$(DESTDIR) uninstall
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/bin/,$(notdir $(INSTALL_PROGRAMS)))

# What DKMS builds the module from, and nothing more (no libwsp, no
# tests): Kbuild, the module, the uapi header, VERSION, and this Makefile
# for its `module` target, which dkms.conf's MAKE line calls.
DKMS_DIR = $(DESTDIR)/usr/src/wspshare-$(WSP_VERSION)
DKMS_FILES := Makefile Kbuild VERSION module/Kbuild \
	$(sort $(wildcard module/*.c module/*.h)) uapi/linux/wspshare.h

dkms-source:
	for f in $(DKMS_FILES); do install -D -m 644 $$f $(DKMS_DIR)/$$f || exit 1; done
	sed 's/#MODULE_VERSION#/$(WSP_VERSION)/' dkms.conf >$(DKMS_DIR)/dkms.conf

examples: lib
	$(MAKE) -C examples OUTPUT=$(BUILD)/examples

selftests: lib
	$(MAKE) -C selftests OUTPUT=$(BUILD)/selftests KSRC=$(KSRC)

# A program outside the tree, built only with what `make install` put in
# the stage and what pkg-config says: static (it runs in the test VM) and
# shared (linked only, to check the shared flags).
OOT_PC = PKG_CONFIG_SYSROOT_DIR=$(STAGE) PKG_CONFIG_LIBDIR=$(STAGE)/usr/lib/pkgconfig \
	 pkg-config
oot: lib
	rm -rf $(STAGE)
	$(MAKE) -C lib OUTPUT=$(BUILD)/lib PREFIX=/usr DESTDIR=$(STAGE) install
	@mkdir -p $(BUILD)/oot
	$(CC) -std=c99 -O2 -Wall -Wextra -Werror -o $(BUILD)/oot/wsp-oot lib/tests/oot.c \
		$$($(OOT_PC) --static --cflags --libs wsp) -static
	$(CC) -std=c99 -O2 -Wall -Wextra -Werror -o $(BUILD)/oot/wsp-oot-shared lib/tests/oot.c \
		$$($(OOT_PC) --cflags --libs wsp)

demo-program: $(BUILD)/demo/wspdemo

$(BUILD)/demo/wspdemo: demo/wspdemo.c uapi/linux/wspshare.h
	@mkdir -p $(dir $@)
	$(CC) -O2 -g -Wall -Wextra -static -Iuapi -o $@ $<

# The demo as installed: the same program, linked dynamically.
$(BUILD)/demo/wspshare-demo: demo/wspdemo.c uapi/linux/wspshare.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -Wall -Wextra -Iuapi $(LDFLAGS) -o $@ $<

# CONST_STRUCT: module/ops.c fills its struct proto_ops copies at run time
# from the protocol's own (as net/tls/tls_main.c does), so they cannot be
# const; every other check applies.
#
# module/trace.h is laid out as the kernel's include/trace/events/*.h are
# (TP_STRUCT__entry( and TP_fast_assign( open a block), which --strict
# reads as open-ended lines and misaligned arguments; only those two
# checks are off for it.
style: $(CHECKPATCH)
	$(CHECKPATCH) --no-tree --strict --quiet --ignore CONST_STRUCT \
		-f $(STYLE_FILES)
	$(CHECKPATCH) --no-tree --strict --quiet \
		--ignore OPEN_ENDED_LINE,PARENTHESIS_ALIGNMENT -f module/trace.h
	scripts/check-help.sh

$(CHECKPATCH):
	scripts/kernel-source.sh $(KSRC)

check:
	scripts/check.sh $(KERNELS)

check-debug:
	scripts/check-debug.sh

check-packages:
	scripts/check-packages.sh

deb:
	scripts/deb.sh

demo:
	scripts/demo.sh

# bench/ is also a directory: the rule must always run.
.PHONY: bench
bench:
	scripts/bench.sh

clean:
	@if [ -n "$(KDIR)" ] && [ -f "$(KDIR)/Makefile" ]; then \
		$(MAKE) -C $(KDIR) M=$(CURDIR) clean; fi
	rm -rf $(BUILD)

help:
	@sed -n 's/^#   \(make.*\)/\1/p' $(firstword $(MAKEFILE_LIST))

# Steps of the targets above, not run on their own: make help leaves them
# out (scripts/check-help.sh: every other .PHONY target is in make help).
HELP_INTERNAL := selftests examples demo-program tools

.PHONY: all module sparse modules_install programs tools selftests demo-program \
	style check check-debug demo clean lib install uninstall examples oot \
	dkms-source deb check-packages help

# SPDX-License-Identifier: GPL-2.0
#
# wspshare: the user-facing targets. The module itself is built by Kbuild
# (./Kbuild and module/Kbuild); this file only calls it.
#
#   make                  the module against KDIR, libwsp, wspstat, the
#                         tests, the examples and the demo
#   make lib              libwsp.so and libwsp.a into build/lib
#   make install          libwsp's headers, libraries and wsp.pc, and
#                         wspstat (PREFIX=/usr/local, DESTDIR=); make
#                         uninstall
#   make oot              install into build/stage and build a program
#                         against it with pkg-config, as a user would
#   make check            everything, tested in a VM on Debian's 6.1 and 6.12
#   make check KERNELS=6.12
#   make check-debug      the tests, stress and fuzzing under KASAN, lockdep,
#                         kmemleak (a debug kernel, built once into a cache)
#   make demo             the demo in a VM on the newest installed kernel
#   make bench            wspshare against native Linux, in a VM on the
#                         newest installed kernel (build/bench/results.csv)
#   make style            checkpatch --strict on the module and the uapi
#   make sparse           the module with sparse (C=2) and W=1 against KDIR

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

# Where `make install` puts libwsp.
PREFIX ?= /usr/local
DESTDIR ?=
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

install uninstall:
	$(MAKE) -C lib OUTPUT=$(BUILD)/lib PREFIX=$(PREFIX) DESTDIR=$(DESTDIR) $@
	$(MAKE) -C tools OUTPUT=$(BUILD)/tools PREFIX=$(PREFIX) DESTDIR=$(DESTDIR) $@

tools:
	$(MAKE) -C tools OUTPUT=$(BUILD)/tools

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

$(CHECKPATCH):
	scripts/kernel-source.sh $(KSRC)

check:
	scripts/check.sh $(KERNELS)

check-debug:
	scripts/check-debug.sh

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

.PHONY: all module sparse modules_install programs tools selftests demo-program \
	style check check-debug demo clean lib install uninstall examples oot

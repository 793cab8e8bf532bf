# filemond - build, test, install.
#   make            build ./filemond
#   make demo       install build deps if missing, build, trace a real compile to demo.log
#   make test       install test deps if missing, run every test suite (host, BPF levels, VMs)
#   make test-kernels  the bats suite inside Debian's 6.1 and 6.12 kernels (tests/vm/)
#   make SANITIZE=1 build with ASan/UBSan (into build-asan/)
#   make deb        the Debian package, checked by lintian (build-deb/)

VERSION    := 0.1.0
CC         ?= cc
CLANG      ?= clang
BPFTOOL    ?= bpftool
PREFIX     ?= /usr/local

ifeq ($(SANITIZE),1)
BUILD      := build-asan
SAN_FLAGS  := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
BIN        := $(BUILD)/filemond
else
BUILD      := build
BIN        := filemond
endif

CFLAGS     ?= -O2 -g
CFLAGS     += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror $(SAN_FLAGS) \
              -Iinclude -Isrc -I$(BUILD) -DFILEMOND_VERSION='"$(VERSION)"' \
              $(shell pkg-config --cflags fuse3 2>/dev/null)
LDFLAGS    += $(SAN_FLAGS) -pthread
LDLIBS     := -lbpf -lelf -lz $(shell pkg-config --libs fuse3 2>/dev/null || echo -lfuse3)

BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_x86 -Wall -Werror -Iinclude -Ibpf

SRCS       := $(wildcard src/*.c)
OBJS       := $(patsubst src/%.c,$(BUILD)/%.o,$(SRCS))
LIB_OBJS   := $(filter-out $(BUILD)/main.o,$(OBJS))
BPF_HDRS   := $(wildcard bpf/*.h) include/filemond.h
UNIT_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/test_*.c))
TEST_PROGS := $(patsubst tests/prog/%.c,$(BUILD)/tests/%,$(wildcard tests/prog/*.c)) $(BUILD)/tests/fmtest-static
BENCH_PROGS := $(BUILD)/bench/openloop $(BUILD)/bench/floor

.PHONY: all deps demo test test-kernels bench install clean deb
.DELETE_ON_ERROR:
.SECONDARY:

all: $(BIN) $(UNIT_TESTS) $(TEST_PROGS) $(BENCH_PROGS)

$(BUILD) $(BUILD)/tests $(BUILD)/bench:
	mkdir -p $@

# The BPF object at each kernel level (bpf/path.bpf.h): 3 for Linux 6.17+,
# 2 for 6.2-6.16, 1 for 6.1; all embedded, one chosen at start (tracer.c).
# The probe object tells 3 from 2 (the untyped bpf_rdonly_cast).
$(BUILD)/filemond.bpf.o: bpf/filemond.bpf.c $(BPF_HDRS) | $(BUILD)
	$(CLANG) $(BPF_CFLAGS) -DFM_KLEVEL=3 -c $< -o $@

$(BUILD)/filemond_k%.bpf.o: bpf/filemond.bpf.c $(BPF_HDRS) | $(BUILD)
	$(CLANG) $(BPF_CFLAGS) -DFM_KLEVEL=$* -c $< -o $@

$(BUILD)/probe_cast.bpf.o: bpf/probe_cast.bpf.c bpf/core_types.h | $(BUILD)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/filemond.skel.h: $(BUILD)/filemond.bpf.o
	$(BPFTOOL) gen skeleton $< name filemond_bpf > $@

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(BPFTOOL) gen skeleton $< name $*_bpf > $@

SKELETONS  := $(BUILD)/filemond.skel.h $(BUILD)/filemond_k2.skel.h $(BUILD)/filemond_k1.skel.h $(BUILD)/probe_cast.skel.h

$(BUILD)/%.o: src/%.c $(wildcard src/*.h) include/filemond.h $(SKELETONS) | $(BUILD)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(BIN): $(OBJS)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/tests/test_%: tests/unit/test_%.c tests/unit/check.h $(LIB_OBJS) | $(BUILD)/tests
	$(CC) $(CFLAGS) -Itests/unit $< $(LIB_OBJS) $(LDFLAGS) $(LDLIBS) -o $@

$(BUILD)/tests/%: tests/prog/%.c | $(BUILD)/tests
	$(CC) $(CFLAGS) -pthread $< $(LDFLAGS) -o $@

# The test client speaks the daemon's protocol.
$(BUILD)/tests/fmclient: tests/prog/fmclient.c src/protocol.c src/protocol.h | $(BUILD)/tests
	$(CC) $(CFLAGS) tests/prog/fmclient.c src/protocol.c $(LDFLAGS) -o $@

# A static copy of fmtest runs inside a bare chroot.
$(BUILD)/tests/fmtest-static: tests/prog/fmtest.c | $(BUILD)/tests
	$(CC) $(filter-out -fsanitize%,$(CFLAGS)) -static -pthread $< -o $@

# Benchmark programs (bench/): openloop is static so that its exec phase
# costs what the kernel does; floor is the minimal reference tracer.
$(BUILD)/bench/openloop: bench/openloop.c | $(BUILD)/bench
	$(CC) $(filter-out -fsanitize%,$(CFLAGS)) -static $< -o $@

$(BUILD)/bench/floor.bpf.o: bench/floor/floor.bpf.c bench/floor/floor.h bpf/core_types.h | $(BUILD)/bench
	$(CLANG) $(BPF_CFLAGS) -Ibench/floor -c $< -o $@

$(BUILD)/bench/floor.skel.h: $(BUILD)/bench/floor.bpf.o
	$(BPFTOOL) gen skeleton $< name floor_bpf > $@

$(BUILD)/bench/floor: bench/floor/floor.c bench/floor/floor.h $(BUILD)/bench/floor.skel.h src/tracefs.c src/tracefs.h
	$(CC) $(CFLAGS) -Ibench/floor -I$(BUILD)/bench bench/floor/floor.c src/tracefs.c $(LDFLAGS) $(LDLIBS) -o $@

deps:
	scripts/install-deps build

demo: deps
	$(MAKE) $(BIN)
	scripts/demo

test:
	scripts/install-deps build test vm deb
	tests/run

# The whole bats suite inside Debian's 6.1 and 6.12 kernels (tests/vm/).
test-kernels: $(BIN) $(TEST_PROGS)
	scripts/install-deps build test vm
	tests/vm/test-kernels

bench: deps
	scripts/install-deps bench
	bench/run.sh -n 5 | tee bench/results.md

# install: the binary, the man page, /dev/filemon's header, the units (paths from PREFIX; the
# unit directory from systemd's pkg-config, else /lib/systemd/system) and
# the audit's configuration unless one is there already.
SYSCONFDIR ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
UNITDIR    ?= $(or $(shell pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null),/lib/systemd/system)
UNIT_SUBST := sed -e 's|@SBINDIR@|$(PREFIX)/sbin|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g'

install: $(BIN)
	install -D -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/sbin/filemond
	install -D -m 0644 man/filemond.8 $(DESTDIR)$(PREFIX)/share/man/man8/filemond.8
	install -D -m 0644 include/dev/filemon/filemon.h $(DESTDIR)$(PREFIX)/include/dev/filemon/filemon.h
	install -d $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSCONFDIR)/filemond
	for u in filemond-audit.service filemond-device.service filemond.service; do \
		$(UNIT_SUBST) packaging/$$u.in >$(DESTDIR)$(UNITDIR)/$$u && chmod 0644 $(DESTDIR)$(UNITDIR)/$$u || exit 1; \
	done
	install -m 0644 packaging/filemond.socket $(DESTDIR)$(UNITDIR)/filemond.socket
	[ -e $(DESTDIR)$(SYSCONFDIR)/filemond/audit.conf ] || \
		install -m 0644 packaging/filemond-audit.conf $(DESTDIR)$(SYSCONFDIR)/filemond/audit.conf

# make deb: the Debian package (debian/), built by dpkg-buildpackage in a
# copy of the tree (it cleans the tree it builds in), then checked by
# lintian: $(DEB_DIR)/filemond_$(VERSION)_amd64.deb.
DEB_DIR    := build-deb

deb:
	scripts/install-deps build deb
	rm -rf $(DEB_DIR) && mkdir -p $(DEB_DIR)/filemond-$(VERSION)
	tar --exclude=./build --exclude=./build-asan --exclude=./build-fuzz --exclude=./$(DEB_DIR) \
	    --exclude=./.git --exclude=./filemond --exclude=./demo.log --exclude=./bench/cache \
	    --exclude=./bench/results -cf - . | tar -C $(DEB_DIR)/filemond-$(VERSION) -xf -
	cd $(DEB_DIR)/filemond-$(VERSION) && dpkg-buildpackage -us -uc -b
	lintian --fail-on error,warning $(DEB_DIR)/filemond_$(VERSION)_amd64.changes

clean:
	rm -rf build build-asan build-fuzz build-deb filemond demo.log

# Fuzzers (tests/fuzz) ------------------------------------------------------
#   make fuzz [FUZZ_SECONDS=60] [FUZZERS="fuzz_protocol fuzz_record"]
# builds the libFuzzer harnesses into build-fuzz/ (clang, libclang-rt-14-dev)
# and runs each for FUZZ_SECONDS over a fresh copy of its seed corpus
# (tests/fuzz/corpus/NAME, copied to build-fuzz/corpus/NAME).  Fails if any
# finds a crash, a leak or a timeout; the reproducer is written to
# build-fuzz/artifacts/ and named in the output.  The src/ objects are
# compiled with the fuzzing flags; fuzz_protocol links protocol.o alone,
# fuzz_record takes what it needs from an archive of the others.
FUZZ_BUILD    := build-fuzz
FUZZ_SECONDS  ?= 60
FUZZERS       ?= fuzz_protocol fuzz_record
FUZZ_SAN      := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS   := $(FUZZ_SAN) -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Iinclude -Isrc -I$(BUILD) \
                 $(shell pkg-config --cflags fuse3 2>/dev/null) \
                 -DFILEMOND_VERSION='"$(VERSION)"'
FUZZ_OBJS     := $(patsubst src/%.c,$(FUZZ_BUILD)/obj/%.o,$(filter-out src/main.c,$(SRCS)))
# libFuzzer -max_len: a whole ring record (header + FM_DATA_MAX); a few frames
FUZZ_MAX_LEN_fuzz_record   := 20524
FUZZ_MAX_LEN_fuzz_protocol := 4096

.PHONY: fuzz fuzz-build

fuzz-build: $(addprefix $(FUZZ_BUILD)/,$(FUZZERS))

$(FUZZ_BUILD)/obj $(FUZZ_BUILD)/artifacts:
	mkdir -p $@

$(FUZZ_BUILD)/obj/%.o: src/%.c $(wildcard src/*.h) include/filemond.h $(SKELETONS) | $(FUZZ_BUILD)/obj
	$(CLANG) $(FUZZ_CFLAGS) -c $< -o $@

$(FUZZ_BUILD)/libfilemond.a: $(FUZZ_OBJS)
	rm -f $@
	ar rcs $@ $^

$(FUZZ_BUILD)/fuzz_protocol: tests/fuzz/fuzz_protocol.c $(FUZZ_BUILD)/obj/protocol.o
	$(CLANG) $(FUZZ_CFLAGS) $^ $(LDLIBS) -o $@

$(FUZZ_BUILD)/fuzz_record: tests/fuzz/fuzz_record.c $(FUZZ_BUILD)/libfilemond.a
	$(CLANG) $(FUZZ_CFLAGS) $^ -pthread $(LDLIBS) -o $@

fuzz: fuzz-build | $(FUZZ_BUILD)/artifacts
	@st=0; \
	for fm in $(foreach f,$(FUZZERS),$(f):$(or $(FUZZ_MAX_LEN_$(f)),4096)); do \
		f=$${fm%:*}; ml=$${fm#*:}; n=$${f#fuzz_}; c=$(FUZZ_BUILD)/corpus/$$n; log=$(FUZZ_BUILD)/$$f.log; \
		rm -rf $$c && mkdir -p $$c && cp tests/fuzz/corpus/$$n/* $$c/; \
		echo "fuzz: $$f for $(FUZZ_SECONDS) s (log: $$log)"; \
		if UBSAN_OPTIONS=$${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
		   $(FUZZ_BUILD)/$$f -max_total_time=$(FUZZ_SECONDS) -max_len=$$ml -timeout=10 \
		   -print_final_stats=1 -artifact_prefix=$(FUZZ_BUILD)/artifacts/$$f- $$c >$$log 2>&1; then \
			grep -E '^Done [0-9]+ runs' $$log | sed "s/^/fuzz: $$f: /"; \
		else \
			st=1; tail -n 40 $$log; \
			echo "fuzz: $$f FAILED: $$(grep -o 'Test unit written to .*' $$log | sed 's/Test unit written to //' | tr '\n' ' ')"; \
		fi; \
	done; exit $$st

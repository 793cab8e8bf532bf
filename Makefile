# filemond - build, test, install.
#   make            build ./filemond
#   make demo       install build deps if missing, build, trace a real compile to demo.log
#   make test       install test deps if missing, run every test suite
#   make SANITIZE=1 build with ASan/UBSan (into build-asan/)

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
              -Iinclude -Isrc -I$(BUILD) -DFILEMOND_VERSION='"$(VERSION)"'
LDFLAGS    += $(SAN_FLAGS) -pthread
LDLIBS     := -lbpf -lelf -lz

BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_x86 -Wall -Werror -Iinclude -Ibpf

SRCS       := $(wildcard src/*.c)
OBJS       := $(patsubst src/%.c,$(BUILD)/%.o,$(SRCS))
LIB_OBJS   := $(filter-out $(BUILD)/main.o,$(OBJS))
BPF_HDRS   := $(wildcard bpf/*.h) include/filemond.h
UNIT_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/test_*.c))
TEST_PROGS := $(patsubst tests/prog/%.c,$(BUILD)/tests/%,$(wildcard tests/prog/*.c)) $(BUILD)/tests/fmtest-static
BENCH_PROGS := $(BUILD)/bench/openloop $(BUILD)/bench/floor

.PHONY: all deps demo test bench install clean
.DELETE_ON_ERROR:
.SECONDARY:

all: $(BIN) $(UNIT_TESTS) $(TEST_PROGS) $(BENCH_PROGS)

$(BUILD) $(BUILD)/tests $(BUILD)/bench:
	mkdir -p $@

$(BUILD)/filemond.bpf.o: bpf/filemond.bpf.c $(BPF_HDRS) | $(BUILD)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/filemond.skel.h: $(BUILD)/filemond.bpf.o
	$(BPFTOOL) gen skeleton $< name filemond_bpf > $@

$(BUILD)/%.o: src/%.c $(wildcard src/*.h) include/filemond.h $(BUILD)/filemond.skel.h | $(BUILD)
	$(CC) $(CFLAGS) -c $< -o $@

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
	scripts/install-deps build test
	tests/run

bench: deps
	scripts/install-deps bench
	bench/run.sh -n 5 | tee bench/results.md

install: $(BIN)
	install -D -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/sbin/filemond
	install -D -m 0644 man/filemond.8 $(DESTDIR)$(PREFIX)/share/man/man8/filemond.8
	install -D -m 0644 packaging/filemond.service $(DESTDIR)/lib/systemd/system/filemond.service

clean:
	rm -rf build build-asan filemond demo.log

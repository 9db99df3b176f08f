# SPDX-License-Identifier: GPL-2.0
# Plain GNU make. `make` builds criu/criu; `make test` installs what the tests need,
# builds everything and runs the whole suite; `make deps` installs Debian packages.

CC	?= gcc
CFLAGS	?= -O2 -g
CFLAGS	+= -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers
CFLAGS	+= -D_GNU_SOURCE -Iinclude -Icriu/include -Iimages -I/usr/include/libnl3 -MMD -MP
LDLIBS	+= -lprotobuf-c -lnl-3
VERSION	:= 0.1

PIE_CFLAGS := -O2 -g0 -fpie -ffreestanding -nostdlib -fno-stack-protector -U_FORTIFY_SOURCE \
	-fno-asynchronous-unwind-tables -fno-unwind-tables -fvisibility=hidden -fno-builtin \
	-fno-tree-loop-distribute-patterns -fno-jump-tables -mno-red-zone -fcf-protection=none \
	-Wall -Wextra -Wno-unused-parameter -D_GNU_SOURCE -Iinclude -Icriu/pie/lib -MMD -MP

PROTOS		:= $(wildcard images/*.proto)
PROTO_C		:= $(PROTOS:.proto=.pb-c.c)
PROTO_H		:= $(PROTOS:.proto=.pb-c.h)
PROTO_OBJS	:= $(PROTOS:.proto=.pb-c.o)

CRIU_SRCS	:= $(wildcard criu/*.c)
CRIU_OBJS	:= $(CRIU_SRCS:.c=.o)
# Everything but main(): shared with the unit tests.
CRIU_LIB_OBJS	:= $(filter-out criu/crtools.o,$(CRIU_OBJS)) $(PROTO_OBJS)

PIE_LIB_OBJS	:= $(patsubst %.c,%.o,$(wildcard criu/pie/lib/*.c))
BLOBS		:= parasite restorer
BLOB_HDRS	:= $(foreach b,$(BLOBS),criu/pie/$(b)-blob.h)

all: criu/criu

criu/criu: $(CRIU_OBJS) $(PROTO_OBJS)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Static pattern rules: the generated headers are built first, never guessed at.
$(CRIU_OBJS): criu/%.o: criu/%.c $(PROTO_H) $(BLOB_HDRS)
	$(CC) $(CFLAGS) -DCRIU_VERSION=\"$(VERSION)\" -c -o $@ $<

images/%.pb-c.c images/%.pb-c.h: images/%.proto
	protoc-c --proto_path=images --c_out=images $<

$(PROTO_OBJS): images/%.pb-c.o: images/%.pb-c.c $(PROTO_H)
	$(CC) $(CFLAGS) -Wno-unused-parameter -c -o $@ $<

# Blobs: freestanding objects -> ELF at address 0 -> flat bytes -> C header.
criu/pie/%.pie.o: criu/pie/%.c
	$(CC) $(PIE_CFLAGS) -c -o $@ $<
criu/pie/lib/%.o: criu/pie/lib/%.c
	$(CC) $(PIE_CFLAGS) -c -o $@ $<
criu/pie/%.elf: criu/pie/%.pie.o $(PIE_LIB_OBJS) criu/pie/pie.lds
	$(LD) -nostdlib -static -T criu/pie/pie.lds -o $@ $< $(PIE_LIB_OBJS)
criu/pie/%.bin: criu/pie/%.elf
	objcopy -O binary $< $@
criu/pie/%-blob.h: criu/pie/%.elf criu/pie/%.bin scripts/gen-blob.sh
	scripts/gen-blob.sh $* criu/pie/$*.elf criu/pie/$*.bin > $@.tmp && mv $@.tmp $@
.PRECIOUS: criu/pie/%.elf criu/pie/%.bin criu/pie/%.pie.o

# The generated headers, named: GNU make 4.3 drops a pattern rule whose plain
# prerequisite neither exists nor is mentioned anywhere, so a fresh clone fell
# back to the builtin %.o rule (no -DCRIU_VERSION, no protoc-c run).
generated-headers: $(PROTO_H) $(BLOB_HDRS)

# Sanitizer build: the same sources, ASan + UBSan, objects under build/asan so
# they never mix with the normal ones. The blobs are the normal, freestanding ones.
SAN_FLAGS	:= -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
ASAN_CC		?= $(CC)
ASAN_DIR	:= build/asan
ASAN_OBJS	:= $(patsubst %.c,$(ASAN_DIR)/%.o,$(CRIU_SRCS) $(PROTO_C))

asan: criu/criu-asan

criu/criu-asan: $(ASAN_OBJS)
	$(ASAN_CC) $(CFLAGS) $(SAN_FLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(ASAN_DIR)/%.o: %.c $(PROTO_H) $(BLOB_HDRS)
	@mkdir -p $(@D)
	$(ASAN_CC) $(CFLAGS) $(SAN_FLAGS) -DCRIU_VERSION=\"$(VERSION)\" -c -o $@ $<

# The suite's plain mode and the negative tests against criu/criu-asan. Any
# report aborts the process that hit it and leaves a file in build/asan/logs:
# also the processes whose exit status no test looks at (the restore child
# before it becomes the target). Leak checking stays on: the restore child
# and the lazy-pages keeper leave by _exit() or by turning into the target,
# so LSan only runs at the exit of criu itself, where every leak is real.
ASAN_LOGS	:= $(CURDIR)/$(ASAN_DIR)/logs
ASAN_ENV	:= ASAN_OPTIONS=halt_on_error=1:abort_on_error=1:detect_leaks=1:log_path=$(ASAN_LOGS)/asan \
		   UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:log_path=$(ASAN_LOGS)/ubsan

asan-test: asan zdtm-build
	rm -rf $(ASAN_LOGS) && mkdir -p $(ASAN_LOGS)
	$(ASAN_ENV) /usr/bin/python3 test/zdtm.py run --all --mode plain --criu criu/criu-asan --no-build
	$(ASAN_ENV) /usr/bin/python3 test/negative.py --criu criu/criu-asan --no-build
	@if [ -n "$$(ls -A $(ASAN_LOGS))" ]; then cat $(ASAN_LOGS)/*; echo "asan-test: sanitizer reports above"; exit 1; fi

# libFuzzer targets for every parser of untrusted input (test/fuzz/fuzz-*.c),
# linked against the tool's objects built by clang with the sanitizers and
# coverage in build/fuzz. `make fuzz`: FUZZ_TIME seconds each; `make
# fuzz-smoke`: a few seconds each, part of `make test`. Any crash fails.
FUZZ_CC		?= clang
FUZZ_DIR	:= build/fuzz
FUZZ_CFLAGS	:= $(filter-out -O2 -g,$(CFLAGS)) -O1 -g $(SAN_FLAGS) -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
FUZZ_LIB_OBJS	:= $(patsubst %.c,$(FUZZ_DIR)/%.o,$(filter-out criu/crtools.c,$(CRIU_SRCS)) $(PROTO_C))
FUZZ_BINS	:= $(patsubst test/fuzz/%.c,$(FUZZ_DIR)/%,$(wildcard test/fuzz/fuzz-*.c))
FUZZ_TIME	?= 20
FUZZ_SMOKE_TIME	?= 4

$(FUZZ_DIR)/%.o: %.c $(PROTO_H) $(BLOB_HDRS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -DCRIU_VERSION=\"$(VERSION)\" -c -o $@ $<

# An archive: a target that #includes a criu/*.c file replaces that member.
$(FUZZ_DIR)/libcriu.a: $(FUZZ_LIB_OBJS)
	rm -f $@ && ar rcs $@ $^

$(FUZZ_DIR)/fuzz-%: test/fuzz/fuzz-%.c test/fuzz/fz.c test/fuzz/fz.h $(FUZZ_DIR)/libcriu.a $(CRIU_SRCS)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -Itest/fuzz -o $@ $< test/fuzz/fz.c $(FUZZ_DIR)/libcriu.a \
		$(LDLIBS) -lpthread

$(FUZZ_DIR)/gen-seeds: test/fuzz/gen-seeds.c test/fuzz/fz.h $(FUZZ_DIR)/libcriu.a
	$(FUZZ_CC) $(FUZZ_CFLAGS) -Itest/fuzz -o $@ $< $(FUZZ_DIR)/libcriu.a $(LDLIBS)

fuzz-build: $(FUZZ_BINS) $(FUZZ_DIR)/gen-seeds
	rm -rf $(FUZZ_DIR)/seeds && $(FUZZ_DIR)/gen-seeds $(FUZZ_DIR)/seeds

fuzz: fuzz-build
	test/fuzz/run.sh $(FUZZ_TIME) $(FUZZ_BINS)

fuzz-smoke: fuzz-build
	test/fuzz/run.sh $(FUZZ_SMOKE_TIME) $(FUZZ_BINS)

# Unit tests of the pure parts.
UNIT_SRCS	:= $(wildcard test/unit/*.c)
test/unit/unit-tests: $(UNIT_SRCS) $(CRIU_LIB_OBJS)
	$(CC) $(CFLAGS) -o $@ $(UNIT_SRCS) $(CRIU_LIB_OBJS) $(LDLIBS)

unit: test/unit/unit-tests
	test/unit/unit-tests

zdtm-build:
	$(MAKE) -C test/zdtm

deps:
	scripts/install-deps.sh

# The whole suite, from a bare machine: packages, build, unit tests, end-to-end tests.
test: deps
	$(MAKE) all
	$(MAKE) unit
	$(MAKE) fuzz-smoke
	$(MAKE) -C test/parasite check
	$(MAKE) -C test/uffd check
	$(MAKE) zdtm-build
	/usr/bin/python3 test/zdtm.py run --all --mode plain --mode lazy --mode remote-lazy
	/usr/bin/python3 test/negative.py
	/usr/bin/python3 test/lazy_negative.py --no-build
	/usr/bin/python3 test/others/run_combo.py
	/usr/bin/python3 test/others/run_workloads.py

demo: deps
	$(MAKE) all
	$(MAKE) -C test/demo
	/usr/bin/python3 scripts/demo.py

bench: all
	$(MAKE) -C test/bench
	test/bench/run.sh

clean:
	rm -f criu/criu criu/*.o criu/*.d images/*.pb-c.* criu/pie/*.o criu/pie/*.d criu/pie/lib/*.o \
		criu/pie/lib/*.d criu/pie/*.elf criu/pie/*.bin criu/pie/*-blob.h test/unit/unit-tests
	rm -rf build criu/criu-asan
	-$(MAKE) -C test/zdtm clean

.PHONY: all unit zdtm-build deps test demo bench clean asan asan-test generated-headers fuzz fuzz-build fuzz-smoke
-include $(wildcard criu/*.d criu/pie/*.d criu/pie/lib/*.d)
-include $(wildcard $(ASAN_DIR)/criu/*.d $(ASAN_DIR)/images/*.d $(FUZZ_DIR)/criu/*.d $(FUZZ_DIR)/images/*.d)

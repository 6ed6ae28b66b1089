# C core tier (usermod_mdnsfast/mdnsfast.c): the shared vectors on the host under
# ASan/UBSan and on rv32imac under QEMU, the Xtensa code size, libFuzzer, bench.
# Also builds the CPython extension that test-py runs the vectors on.
.PHONY: test-c test-c-host test-c-rv32 test-c-size fuzz-short fuzz bench-c
TEST_TIERS += test-c fuzz-short
BENCH_PARTS += bench-c

CBUILD := $(BUILD)/c
FAST_SRC := usermod_mdnsfast/mdnsfast.c
FAST_HDR := usermod_mdnsfast/mdnsfast.h
FAST_VECTORS = $(sort $(wildcard tests/vectors/fast_*.txt))
FAST_VEC_H := $(CBUILD)/fast_vectors.h
# the warnings a MicroPython port builds user C modules with, and a few more
CWARN := -std=c99 -Wall -Wextra -Werror -Wdouble-promotion -Wfloat-conversion -Wpointer-arith -Wshadow
XTENSA_TEXT_MAX := 3072
FUZZ_SECONDS ?= 300
FUZZ_SHORT_SECONDS ?= 25
FUZZ_FLAGS := -max_len=2048 -timeout=10 -rss_limit_mb=1024 -print_final_stats=1

# $(call c_need,TOOL,PACKAGE): fail with the Debian package to install when TOOL is missing
c_need = command -v $(1) >/dev/null 2>&1 || { echo "$@: $(1) not found: install the Debian package $(2): apt-get install $(2) - or make setup-debian as root" >&2; exit 1; }

# ---- the CPython extension for test-py (MDNS_HOST_FAST=$(HOST_FAST_DIR)) ----
HOST_FAST_DIR := $(BUILD)/host
HOST_FAST_LIB := $(HOST_FAST_DIR)/mdnsfast.so
.PHONY: host-fast
host-fast: $(HOST_FAST_LIB)

$(HOST_FAST_LIB): $(FAST_SRC) $(FAST_HDR) tests/c/cpymod.c $(STAMP)/venv
	@$(call c_need,gcc,gcc)
	@mkdir -p $(@D)
	@echo "== build: host mdnsfast extension for CPython: $@"
	@inc=$$($(PY) -c 'import sysconfig; print(sysconfig.get_paths()["include"])'); \
	 test -f "$$inc/Python.h" || { echo "$@: $$inc/Python.h missing: install the Debian package python3-dev" >&2; exit 1; }; \
	 gcc -shared -fPIC -O2 $(CWARN) -Iusermod_mdnsfast -I"$$inc" $(FAST_SRC) tests/c/cpymod.c -o $@

# ---- vectors as a C header (host and RV32 programs) ----
$(FAST_VEC_H): tests/c/gen_vectors_h.py tests/vectors/loader.py $(FAST_VECTORS)
	@mkdir -p $(@D)
	@python3 tests/c/gen_vectors_h.py $@ $(FAST_VECTORS)

# ---- host: ASan + UBSan, every error fatal ----
$(CBUILD)/test_fast_host: tests/c/test_fast.c $(FAST_SRC) $(FAST_HDR) $(FAST_VEC_H)
	@$(call c_need,gcc,gcc)
	gcc -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer $(CWARN) \
	  -Iusermod_mdnsfast -I$(CBUILD) -DTEST_FAST_NAME='"test-c host (gcc, ASan+UBSan)"' \
	  tests/c/test_fast.c $(FAST_SRC) -o $@

test-c-host: $(CBUILD)/test_fast_host
	@echo "== test-c: vectors on the host under AddressSanitizer + UndefinedBehaviorSanitizer"
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 $<

# ---- RV32 (ESP32-C3/C6 ISA) with picolibc under QEMU; main's status leaves by semihosting ----
RV_CC := riscv64-unknown-elf-gcc
RV_FLAGS := -march=rv32imac -mabi=ilp32 -Os
RV_LINK := --specs=picolibc.specs --crt0=semihost --oslib=semihost \
  -Wl,--defsym=__flash=0x80000000 -Wl,--defsym=__flash_size=0x100000 \
  -Wl,--defsym=__ram=0x80100000 -Wl,--defsym=__ram_size=0x100000
QEMU_RV32 := qemu-system-riscv32 -M virt -bios none -display none -monitor none -serial none \
  -semihosting-config enable=on,target=native

$(CBUILD)/test_fast_rv32.elf: tests/c/test_fast.c $(FAST_SRC) $(FAST_HDR) $(FAST_VEC_H)
	@$(call c_need,$(RV_CC),gcc-riscv64-unknown-elf)
	@test "$$($(RV_CC) -print-file-name=picolibc.specs)" != picolibc.specs || \
	  { echo "$@: picolibc.specs not found: install the Debian package picolibc-riscv64-unknown-elf" >&2; exit 1; }
	$(RV_CC) $(RV_FLAGS) $(RV_LINK) $(CWARN) -Iusermod_mdnsfast -I$(CBUILD) \
	  -DTEST_FAST_NAME='"test-c rv32imac/ilp32 (QEMU)"' tests/c/test_fast.c $(FAST_SRC) -o $@

test-c-rv32: $(CBUILD)/test_fast_rv32.elf
	@$(call c_need,qemu-system-riscv32,qemu-system-misc)
	@echo "== test-c: vectors on rv32imac/ilp32 (picolibc) under qemu-system-riscv32"
	@timeout 300 $(QEMU_RV32) -kernel $< ; rc=$$?; \
	 if [ $$rc = 124 ]; then echo "test-c-rv32: QEMU timed out (no semihosting exit?)" >&2; fi; \
	 [ $$rc = 0 ] || { echo "test-c-rv32: FAILED (exit status $$rc)" >&2; exit 1; }

# ---- code size: .text of mdnsfast.c for the ESP8266/ESP32 Xtensa ISA and for RV32 ----
XT_SPECS := /usr/lib/xtensa-lx106-elf/picolibc.specs

test-c-size: $(FAST_SRC) $(FAST_HDR)
	@$(call c_need,xtensa-lx106-elf-gcc,gcc-xtensa-lx106)
	@$(call c_need,$(RV_CC),gcc-riscv64-unknown-elf)
	@test -f $(XT_SPECS) || { echo "$@: $(XT_SPECS) missing: install the Debian package picolibc-xtensa-lx106-elf" >&2; exit 1; }
	@mkdir -p $(CBUILD)
	@xtensa-lx106-elf-gcc --specs=$(XT_SPECS) -Os -mlongcalls $(CWARN) -c $(FAST_SRC) -o $(CBUILD)/mdnsfast.xtensa.o
	@$(RV_CC) --specs=picolibc.specs $(RV_FLAGS) $(CWARN) -c $(FAST_SRC) -o $(CBUILD)/mdnsfast.rv32.o
	@sec() { $$1 -A $$2 | awk -v s=$$3 '$$1 == s { print $$2 }'; }; \
	 xt=$$(sec xtensa-lx106-elf-size $(CBUILD)/mdnsfast.xtensa.o .text); \
	 xl=$$(sec xtensa-lx106-elf-size $(CBUILD)/mdnsfast.xtensa.o .literal); \
	 rv=$$(sec riscv64-unknown-elf-size $(CBUILD)/mdnsfast.rv32.o .text); \
	 echo "== test-c: size of mdnsfast.c at -Os: xtensa-lx106 .text $$xt + .literal $${xl:-0} bytes (limit $(XTENSA_TEXT_MAX)), rv32imac .text $$rv bytes"; \
	 [ -n "$$xt" ] && [ $$(( xt + $${xl:-0} )) -le $(XTENSA_TEXT_MAX) ] || \
	   { echo "test-c-size: FAILED: xtensa .text + .literal over $(XTENSA_TEXT_MAX) bytes" >&2; exit 1; }

test-c: test-c-host test-c-rv32 test-c-size
	@echo "== test-c: passed (host sanitizers, RV32 under QEMU, Xtensa size)"

# ---- libFuzzer over read_name / name_eq / walk / match / write_name ----
$(CBUILD)/fuzz_fast: tests/c/fuzz_fast.c $(FAST_SRC) $(FAST_HDR)
	@$(call c_need,clang,clang)
	@mkdir -p $(@D)
	@clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all $(CWARN) -Iusermod_mdnsfast \
	  tests/c/fuzz_fast.c $(FAST_SRC) -o $@ || \
	  { echo "$@: clang could not link libFuzzer: install the Debian packages clang libclang-rt-14-dev" >&2; exit 1; }

# new inputs go to build/c/fuzz-corpus; the committed seeds in tests/c/corpus stay as they are
define run_fuzz
	@mkdir -p $(CBUILD)/fuzz-corpus
	@echo "== $(1): libFuzzer for $(2) s (seeds: tests/c/corpus; log: $(CBUILD)/$(1).log)"
	@$(CBUILD)/fuzz_fast $(FUZZ_FLAGS) -max_total_time=$(2) -artifact_prefix=$(CBUILD)/$(1)- \
	  $(CBUILD)/fuzz-corpus tests/c/corpus > $(CBUILD)/$(1).log 2>&1; rc=$$?; \
	 runs=$$(sed -n 's/^stat::number_of_executed_units: *//p' $(CBUILD)/$(1).log); \
	 eps=$$(sed -n 's/^stat::average_exec_per_sec: *//p' $(CBUILD)/$(1).log); \
	 if [ $$rc != 0 ]; then tail -40 $(CBUILD)/$(1).log; echo "$(1): FAILED (crash input: $(CBUILD)/$(1)-*)" >&2; exit 1; fi; \
	 echo "== $(1): passed: $$runs runs, $$eps execs/s, corpus $$(ls $(CBUILD)/fuzz-corpus | wc -l) inputs"
endef

fuzz-short: $(CBUILD)/fuzz_fast
	$(call run_fuzz,fuzz-short,$(FUZZ_SHORT_SECONDS))

fuzz: $(CBUILD)/fuzz_fast
	$(call run_fuzz,fuzz,$(FUZZ_SECONDS))

# ---- bench: native -O2 walk and walk+match over tests/corpus/*.hex ----
$(CBUILD)/bench_fast: tests/c/bench_fast.c $(FAST_SRC) $(FAST_HDR)
	@$(call c_need,gcc,gcc)
	@mkdir -p $(@D)
	@gcc -O2 $(CWARN) -Iusermod_mdnsfast tests/c/bench_fast.c $(FAST_SRC) -o $@

# The corpus and the result file are bench.mk's (BENCH_CORPUS, BENCH_DIR), so bench-report
# puts the native figures beside the Python ones of the same run.
bench-c: $(CBUILD)/bench_fast $$(BENCH_CORPUS) | $(STAMP)/venv
	@echo "== bench-c: C core, native -O2, corpus $(BENCH_CORPUS)"
	@mkdir -p $(BENCH_DIR)
	@$< $(BENCH_CORPUS) | $(PY) tools/bench/from_lines.py bench-c $(BENCH_DIR)/bench-c.json "C core, native gcc -O2"

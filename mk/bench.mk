# Benchmarks (`make bench`): packets per second of our decoder on CPython (pure Python and
# with the C extension), python-zeroconf's on the same corpus, and ours inside MicroPython
# (WebAssembly), plus heap bytes per decode there. Figures go to BENCHMARKS.md by hand.
# Benchmarks never assert timings. Each part writes $(BENCH_DIR)/<part>.json tagged with
# BENCH_RUN; bench-report prints them together with ratios measured in the same run.
.PHONY: bench-py bench-mpy bench-report
BENCH_PARTS += bench-py bench-mpy bench-report
# $$(...) in prerequisites below is expanded after every mk file is read (HOST_FAST_LIB
# comes from mk/c.mk, the other parts' names from theirs).
.SECONDEXPANSION:

ifndef BENCH_RUN
BENCH_RUN := $(shell date -u +%Y%m%dT%H%M%S)-$(shell echo $$$$)
endif
export BENCH_RUN
BENCH_DIR := $(BUILD)/bench
BENCH_SECONDS ?= 1.5
# The corpus, one for every part (bench-c reads $(BENCH_CORPUS) too): every tests/corpus/*.hex
# (captured traffic and the small synthetic set) plus a 72-datagram mix of announcements,
# probes, queries and goodbyes built with python-zeroconf's DNSOutgoing.
# Override: make bench BENCH_CORPUS="a.hex b.hex".
BENCH_CORPUS ?= $(sort $(wildcard $(TOP)/tests/corpus/*.hex)) $(BENCH_DIR)/zeroconf-mix.hex
export BENCH_CORPUS

$(BENCH_DIR)/zeroconf-mix.hex: tools/bench/gen_corpus.py | $(STAMP)/venv
	@mkdir -p $(@D)
	$(PY) tools/bench/gen_corpus.py $@

bench-py: $(STAMP)/venv $(BENCH_CORPUS) $$(HOST_FAST_LIB)
	@echo "== bench-py: CPython, ours (pure Python, C extension) vs python-zeroconf"
	MDNS_HOST_FAST=$(HOST_FAST_DIR) $(PY) tools/bench/bench_py.py --seconds $(BENCH_SECONDS) --json $(BENCH_DIR)/bench-py.json $(BENCH_CORPUS)

bench-mpy: $(STAMP)/venv $(STAMP)/npm mpy-compile $(BENCH_CORPUS)
	@echo "== bench-mpy: MicroPython $(MPY_WASM_VERSION) (WebAssembly), pure Python from .mpy"
	$(PY) tools/bench/run_mpy.py --lib $(MPY_LIB) --seconds $(BENCH_SECONDS) --json $(BENCH_DIR)/bench-mpy.json $(BENCH_CORPUS)

# Runs after every other part.
bench-report: $$(filter-out bench-report,$$(BENCH_PARTS))
	@$(PY) tools/bench/report.py $(BENCH_DIR)

# Browser benchmarks (issue 4): cache heap per record and per browsed service in MicroPython
# (wasm), and as root on the namespace testbed: time to the first `up` against Avahi and
# datagrams sent while browsing 24 services, each next to python-zeroconf's browser.
.PHONY: bench-browser
BENCH_PARTS := bench-browser $(BENCH_PARTS)
BENCH_BROWSE_RUNS ?= 5
BENCH_BUSY_SECONDS ?= 30

bench-browser: $(STAMP)/venv $(STAMP)/npm mpy-compile
	@echo "== bench-browser: cache heap (MicroPython); first up vs Avahi and packets on a busy LAN (root)"
	$(PY) tools/bench/bench_browser.py --lib $(MPY_LIB) \
	  $(if $(filter 0,$(shell id -u)),--avahi $(BENCH_BROWSE_RUNS) --busy $(BENCH_BUSY_SECONDS),) \
	  --json $(BENCH_DIR)/bench-browser.json

# Responder benchmarks (issue 3): cost of answering per query (CPython, MicroPython wasm)
# and, as root, time from start to "resolved by Avahi" in the namespace testbed.
.PHONY: bench-responder
BENCH_PARTS := bench-responder $(BENCH_PARTS)
BENCH_AVAHI_RUNS ?= 5

bench-responder: $(STAMP)/venv $(STAMP)/npm mpy-compile
	@echo "== bench-responder: answering cost per query; start -> resolvable by Avahi (root)"
	MDNS_HOST_FAST=$(HOST_FAST_DIR) $(PY) tools/bench/bench_responder.py --seconds $(BENCH_SECONDS) --lib $(MPY_LIB) \
	  $(if $(filter 0,$(shell id -u)),--avahi $(BENCH_AVAHI_RUNS),) --json $(BENCH_DIR)/bench-responder.json

# Fleet OTA benchmark (issue 7): `fleet upgrade` of 10 simulated devices with a 1.5 MB
# image in network namespaces (root), bytes sent per device, and the heap of the
# device-side upgrade path in MicroPython. The fleet's tests run in test-py, test-mpy
# and test-interop (tests/*/test_fleet*.py).
.PHONY: bench-fleet
BENCH_PARTS := bench-fleet $(BENCH_PARTS)
BENCH_FLEET_DEVICES ?= 10
BENCH_FLEET_SIZE ?= 1500000

bench-fleet: $(STAMP)/venv $(STAMP)/npm mpy-compile
	@echo "== bench-fleet: fleet upgrade of $(BENCH_FLEET_DEVICES) simulated devices ($(BENCH_FLEET_SIZE)-byte image), device heap in MicroPython"
	MDNS_VENV=$(VENV) $(PY) tools/bench/bench_fleet.py --lib $(MPY_LIB) --devices $(BENCH_FLEET_DEVICES) \
	  --size $(BENCH_FLEET_SIZE) --json $(BENCH_DIR)/bench-fleet.json

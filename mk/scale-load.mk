# Scale, load side (issue 13, scenarios 3 and 5), on a virtual LAN of network namespaces
# (tests/interop/testbed.py; root, as the interop tier):
#   make scale-flood [FLOOD_RATE=5000 FLOOD_SECONDS=60] [MICROPY_DIR=...]
#       FLOOD_RATE datagrams/s for FLOOD_SECONDS at one responder (CPython, then the 32-bit
#       unix binary with mdnsfast built by `make unix UNIX_BITS=32`), then a browser under
#       1,000 services at once (tools/scale/flood.py), and python-zeroconf's responder under the
#       same flood for the ratio; part of `make bench-scale`.
#   make soak [SOAK_MINUTES=30] [MICROPY_DIR=...]
#       churn across 50 hosts with our browser, responder and resolver and python-zeroconf's
#       browser throughout (tools/scale/soak.py); writes $(SCALE_DIR)/soak-N.json and a PNG.
#   make test-scale-load   the short versions, part of `make test` (tests/interop/test_scale_load.py).
# Without MICROPY_DIR (and no binary already built) the unix-binary half is left out, said so.
.PHONY: scale-flood soak test-scale-load
TEST_TIERS += test-scale-load
SCALE_PARTS += scale-flood
SCALE_DIR := $(BUILD)/scale
SCALE_PY := $(VENV)/bin/python tools/scale
SCALE_HEAP_KB ?= 256
FLOOD_RATE ?= 5000
FLOOD_SECONDS ?= 60
SOAK_MINUTES ?= 30
# the browsers' cache sized for the churn (up to ~400 records alive): at the API's defaults
# (256 / 32768) they miss events, see BENCHMARKS.md
SOAK_MAX_RECORDS ?= 2048
SOAK_MAX_BYTES ?= 262144
INTEROP_DESELECT += and not scale_load

scale-need-root = @if [ "$$(id -u)" != 0 ]; then echo "$@: needs root (network namespaces); CI runs as root" >&2; exit 1; fi

# the 32-bit unix binary: SCALE_MPY and scale-mpy (mk/scale-lan.mk)

scale-flood: $(STAMP)/venv $(STAMP)/debian scale-mpy
	$(scale-need-root)
	@mkdir -p $(SCALE_DIR)
	@echo "== scale-flood: CPython responder, $(FLOOD_RATE)/s for $(FLOOD_SECONDS) s"
	$(SCALE_PY)/flood.py --rate $(FLOOD_RATE) --seconds $(FLOOD_SECONDS) --browser --json $(SCALE_DIR)/flood-cpython.json
	@echo "== scale-flood: python-zeroconf's responder on the same names, for the ratio"
	$(SCALE_PY)/flood.py --rate $(FLOOD_RATE) --seconds $(FLOOD_SECONDS) --peer zeroconf --json $(SCALE_DIR)/flood-zeroconf.json
	@if [ -x $(SCALE_MPY) ]; then echo "== scale-flood: MicroPython unix responder ($(SCALE_MPY), -X heapsize=$(SCALE_HEAP_KB)K)"; \
	  $(SCALE_PY)/flood.py --rate $(FLOOD_RATE) --seconds $(FLOOD_SECONDS) --browser --mpy $(SCALE_MPY) \
	    --heap-kb $(SCALE_HEAP_KB) --json $(SCALE_DIR)/flood-mpy.json && \
	  $(SCALE_PY)/plot.py flood $(SCALE_DIR)/flood-cpython.json $(SCALE_DIR)/flood-mpy.json $(SCALE_DIR)/flood-heap.png; fi

soak: $(STAMP)/venv $(STAMP)/debian scale-mpy
	$(scale-need-root)
	@mkdir -p $(SCALE_DIR)
	@echo "== soak: $(SOAK_MINUTES) min of churn across 50 hosts"
	$(SCALE_PY)/soak.py --minutes $(SOAK_MINUTES) --hosts 50 --max-records $(SOAK_MAX_RECORDS) --max-bytes $(SOAK_MAX_BYTES) \
	  $$([ -x "$(SCALE_MPY)" ] && echo "--mpy $(SCALE_MPY) --heap-kb 1024") \
	  --json $(SCALE_DIR)/soak-$(SOAK_MINUTES).json; s=$$?; \
	  $(SCALE_PY)/plot.py soak $(SCALE_DIR)/soak-$(SOAK_MINUTES).json $(SCALE_DIR)/soak-$(SOAK_MINUTES).png && \
	  echo "soak: plot in $(SCALE_DIR)/soak-$(SOAK_MINUTES).png"; exit $$s

test-scale-load: $(STAMP)/venv $(STAMP)/debian
	@echo "== test-scale-load: a short flood, the 1,000-service browser flood and a short soak (namespaces: root)"
	$(scale-need-root)
	MDNS_VENV=$(VENV) $(PYTEST) -q tests/interop/test_scale_load.py

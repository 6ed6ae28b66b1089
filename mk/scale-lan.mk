# Scale scenarios of issue 13 on the network-namespace testbed (root; never skipped):
#   make scale-discovery   200 responders on one LAN (ours, python-zeroconf, Avahi), then
#                          each browser in turn: time to all found, datagrams and bytes sent,
#                          known-answer packets (TC). With MICROPY_DIR (or SCALE_MPY=binary)
#                          the 32-bit unix binary browses too.
#   make scale-flap        link down/up, address change, move to another bridge (many rounds)
#   make bench-scale       every long scale scenario ($(SCALE_PARTS))
#   make test-scale-lan    the short versions (part of make test): 90 devices, one round of flaps
# Figures go to $(BENCH_DIR)/scale-*.json and, by hand, to BENCHMARKS.md.
.PHONY: scale-discovery scale-flap bench-scale test-scale-lan scale-mpy
TEST_TIERS += test-scale-lan
SCALE_PARTS += scale-discovery scale-flap
SCALE_TIMEOUT ?= 300
SCALE_ROUNDS ?= 10
# The 32-bit unix binary (a board's object sizes) for every scale target: SCALE_MPY=path, or
# built into it from MICROPY_DIR; without either the MicroPython half is left out, said so.
SCALE_MPY ?= $(BUILD)/unix-standard-32/micropython
scale-mpy-arg = $$([ -x "$(SCALE_MPY)" ] && echo "--mpy $(SCALE_MPY)")

bench-scale:
	@$(MAKE) --no-print-directory $(SCALE_PARTS)

scale-root = @if [ "$$(id -u)" != 0 ]; then echo "$@: needs root (network namespaces): run 'sudo make $@'; CI runs as root" >&2; exit 1; fi

scale-mpy:
ifneq ($(MICROPY_DIR),)
	@$(MAKE) --no-print-directory unix UNIX_BITS=32 MICROPY_DIR=$(MICROPY_DIR)
endif
	@[ -x "$(SCALE_MPY)" ] || echo "== scale: no MicroPython unix binary at $(SCALE_MPY): the MicroPython half is left out (give MICROPY_DIR=/path/to/micropython or SCALE_MPY=binary)"

scale-discovery: $(STAMP)/venv $(STAMP)/debian scale-mpy
	$(scale-root)
	@mkdir -p $(BENCH_DIR)
	@echo "== scale-discovery: 200 responders on one LAN; our browser vs python-zeroconf's and Avahi's"
	MDNS_VENV=$(VENV) $(PY) tools/scale/discovery.py --json $(BENCH_DIR)/scale-discovery.json $(scale-mpy-arg)

scale-flap: $(STAMP)/venv $(STAMP)/debian scale-mpy
	$(scale-root)
	@mkdir -p $(BENCH_DIR)
	@echo "== scale-flap: link down/up, address change, move to another bridge ($(SCALE_ROUNDS) rounds each)"
	MDNS_VENV=$(VENV) $(PY) tools/scale/flap.py --rounds $(SCALE_ROUNDS) --json $(BENCH_DIR)/scale-flap.json $(scale-mpy-arg)

test-scale-lan: $(STAMP)/venv $(STAMP)/debian
	$(scale-root)
	@echo "== test-scale-lan: 90 devices found by our browser, python-zeroconf and Avahi; link flaps re-announced"
	MDNS_VENV=$(VENV) MDNS_INTEROP_TIMEOUT=$(SCALE_TIMEOUT) $(PYTEST) -q tests/interop/test_scale_discovery.py \
	  tests/interop/test_link_flap.py -k 'not micropython_unix'

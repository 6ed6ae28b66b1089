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
# The unix binary: SCALE_MPY=path, or built from MICROPY_DIR (32-bit, as a board's objects).
SCALE_MPY ?= $(if $(MICROPY_DIR),$(BUILD)/unix-standard-32/micropython)

bench-scale:
	@$(MAKE) --no-print-directory $(SCALE_PARTS)

scale-root = @if [ "$$(id -u)" != 0 ]; then echo "$@: needs root (network namespaces): run 'sudo make $@'; CI runs as root" >&2; exit 1; fi

scale-mpy:
ifneq ($(MICROPY_DIR),)
	@[ -x "$(SCALE_MPY)" ] || $(MAKE) --no-print-directory unix UNIX_BITS=32
endif

scale-discovery: $(STAMP)/venv $(STAMP)/debian scale-mpy
	$(scale-root)
	@mkdir -p $(BENCH_DIR)
	@echo "== scale-discovery: 200 responders on one LAN; our browser vs python-zeroconf's and Avahi's"
	@[ -n "$(SCALE_MPY)" ] || echo "scale-discovery: MICROPY_DIR (or SCALE_MPY) is not set: the unix-binary browser is left out"
	MDNS_VENV=$(VENV) $(PY) tools/scale/discovery.py --json $(BENCH_DIR)/scale-discovery.json $(if $(SCALE_MPY),--mpy $(SCALE_MPY))

scale-flap: $(STAMP)/venv $(STAMP)/debian scale-mpy
	$(scale-root)
	@mkdir -p $(BENCH_DIR)
	@echo "== scale-flap: link down/up, address change, move to another bridge ($(SCALE_ROUNDS) rounds each)"
	@[ -n "$(SCALE_MPY)" ] || echo "scale-flap: MICROPY_DIR (or SCALE_MPY) is not set: the unix-binary responder is left out"
	MDNS_VENV=$(VENV) $(PY) tools/scale/flap.py --rounds $(SCALE_ROUNDS) --json $(BENCH_DIR)/scale-flap.json $(if $(SCALE_MPY),--mpy $(SCALE_MPY))

test-scale-lan: $(STAMP)/venv $(STAMP)/debian
	$(scale-root)
	@echo "== test-scale-lan: 90 devices found by our browser, python-zeroconf and Avahi; link flaps re-announced"
	MDNS_VENV=$(VENV) MDNS_INTEROP_TIMEOUT=$(SCALE_TIMEOUT) $(PYTEST) -q tests/interop/test_scale_discovery.py \
	  tests/interop/test_link_flap.py -k 'not micropython_unix'

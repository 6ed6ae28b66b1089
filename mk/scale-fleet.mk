# Scale, fleet upgrades (issue 13, scenario 2): `fleet upgrade` of many simulated devices
# (several per namespace and process, tools/scale/fleet_devs.py) on the namespace testbed,
# a --max-parallel sweep and the host's memory against the number of devices. Root only
# (namespaces); both targets fail, never skip, without it.
#   make scale-fleet        100 devices, two boards, 1.5 MB image, --canary 1, --max-parallel 4,10,25
#   make test-scale-fleet   the short version in `make test` (16 devices, 256 KiB image)
.PHONY: scale-fleet test-scale-fleet
TEST_TIERS += test-scale-fleet
SCALE_PARTS += scale-fleet
SCALE_FLEET_DEVICES ?= 100
SCALE_FLEET_SIZE ?= 1500000
SCALE_FLEET_PARALLEL ?= 4,10,25
SCALE_DIR ?= $(BUILD)/scale

scale-fleet: $(STAMP)/venv $(STAMP)/debian
	@mkdir -p $(SCALE_DIR)
	@echo "== scale-fleet: fleet upgrade of $(SCALE_FLEET_DEVICES) simulated devices, $(SCALE_FLEET_SIZE)-byte image, --max-parallel $(SCALE_FLEET_PARALLEL)"
	MDNS_VENV=$(VENV) $(PY) tools/scale/fleet.py --devices $(SCALE_FLEET_DEVICES) --size $(SCALE_FLEET_SIZE) \
	  --parallel $(SCALE_FLEET_PARALLEL) --json $(SCALE_DIR)/scale-fleet.json

test-scale-fleet: $(STAMP)/venv $(STAMP)/debian
	@echo "== test-scale-fleet: 16 simulated devices upgraded, host memory against device count"
	@if [ "$$(id -u)" != 0 ]; then \
	  echo "test-scale-fleet: needs root (network namespaces): run 'sudo make test-scale-fleet'; CI runs as root" >&2; \
	  exit 1; fi
	MDNS_VENV=$(VENV) MDNS_INTEROP_TIMEOUT=400 $(PYTEST) -q tests/interop/test_scale_fleet.py

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

# The fleet's public key onto a device (issues 7, 12): copied to /fleet.pub on its
# filesystem, where mdns.fleet reads it; never part of an image, and never the private
# key. KEY is the KEY.pub that `python -m mdns fleet keygen KEY` wrote.
#   make provision-key PORT=/dev/ttyUSB0 KEY=fleet.key.pub
.PHONY: provision-key
MPREMOTE ?= $(VENV)/bin/mpremote
no_key = KEY is not set: make $@ PORT=... KEY=fleet.key.pub (make a key pair with: python -m mdns fleet keygen fleet.key)

provision-key:
	$(if $(PORT),,$(error PORT is not set: make $@ PORT=/dev/ttyUSB0 KEY=fleet.key.pub (the board's serial port; mpremote devs lists them)))
	$(if $(KEY),,$(error $(no_key)))
	@PYTHONPATH=$(TOP)/frozen python3 -c 'import sys; from mdns.fleet.offer import load_pub; \
	  sys.exit(0 if load_pub(sys.argv[1]) else "provision-key: %s is not a fleet public key (the KEY.pub written by: python -m mdns fleet keygen KEY; never the private key)" % sys.argv[1])' "$(KEY)"
	@echo "== provision-key: $(KEY) -> $(PORT):fleet.pub"
	@$(MPREMOTE) connect $(PORT) cp $(KEY) :fleet.pub

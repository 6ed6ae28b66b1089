# Interop tier: real mDNS peers (Avahi, python-zeroconf, dig) and our own code on a virtual
# LAN of network namespaces that the tests create and remove (tests/interop/testbed.py).
# Needs root; fails (never skips) without it. The MicroPython unix-port scenarios need a
# built binary and run in `make test-unix MICROPY_DIR=...` instead; the scale tests of issue 13
# (test_scale_*, test_scale_lan_*) run in their own tiers (mk/scale-*.mk), which may also deselect
# tests here through INTEROP_DESELECT. Per-test limit: MDNS_INTEROP_TIMEOUT seconds.
.PHONY: test-interop
TEST_TIERS += test-interop
MDNS_INTEROP_TIMEOUT ?= 180

test-interop: $(STAMP)/venv $(STAMP)/debian
	@echo "== test-interop: Avahi, python-zeroconf and our stack in network namespaces"
	@if [ "$$(id -u)" != 0 ]; then \
	  echo "test-interop: needs root (network namespaces, veth, bridge): run 'sudo make test-interop'; CI runs as root" >&2; \
	  exit 1; fi
	MDNS_VENV=$(VENV) MDNS_INTEROP_TIMEOUT=$(MDNS_INTEROP_TIMEOUT) $(PYTEST) -q tests/interop -k 'not micropython_unix and not scale_lan $(INTEROP_DESELECT)' \
	  --ignore-glob='tests/interop/test_scale_*'  # issue 13: their own tiers (mk/scale-*.mk)

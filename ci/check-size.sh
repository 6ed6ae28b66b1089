#!/bin/sh
# CI step: the board's app image (micropython.bin, the OTA payload) must fit its OTA slot;
# prints the size and headroom, and the measured size to record in board.json.
#   ci/check-size.sh BOARD [BUILD_DIR]   (default build/firmware/BOARD)
set -eu
cd "$(dirname "$0")/.."
[ $# -ge 1 ] || { echo "usage: ci/check-size.sh BOARD [BUILD_DIR]" >&2; exit 2; }
exec python3 tools/firmware/release.py check --board "$1" --build "${2:-build/firmware/$1}"

#!/bin/sh
# CI step "release": build/release/ from every board built under build/firmware/
# (merged image, app image, JSON manifest per board, release.json, SHA256SUMS).
set -eu
cd "$(dirname "$0")/.."
exec python3 tools/firmware/release.py make --builds build/firmware --out build/release

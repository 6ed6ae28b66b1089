#!/bin/sh
# CI step "test": every test tier, the same command a developer types (as .ci/run).
set -eu
cd "$(dirname "$0")/.."
exec make test

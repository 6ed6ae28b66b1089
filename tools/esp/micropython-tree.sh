#!/usr/bin/env bash
# Lays out a MicroPython tree for an offline esp32 build: the tag from a git directory plus the
# submodules the esp32 port needs (micropython-lib for the port's frozen manifest,
# berkeley-db-1.xx for btree), each from its own git directory. What `make submodules` would
# clone, without a network.
#
#   MPY_GIT=/path/micropython.git MIRRORS=/path/mirrors OUT=/path/micropython-v1.28.0 tools/esp/micropython-tree.sh
#
# MPY_GIT   git directory of MicroPython holding the tag
# MPY_REF   the tag (default v1.28.0: the newest release in the snapshots seen; the product pin for
#           online builds stays in versions.env)
# MIRRORS   folder of git directories (see idf-tree.sh)
# OUT       the tree to write (MICROPY_DIR for the build)
set -euo pipefail
: "${MPY_GIT:?set MPY_GIT to a MicroPython git directory}" "${MIRRORS:?set MIRRORS to a folder of git directories}" "${OUT:?set OUT}"
MPY_REF=${MPY_REF:-v1.28.0}
TREE=micropython-tree SRC_GIT=$MPY_GIT SRC_REF=$MPY_REF
# shellcheck source=tools/esp/tree-lib.sh
. "$(dirname "$0")/tree-lib.sh"

if [ ! -e "$OUT/.mpy-tree-base" ]; then
  say "MicroPython $MPY_REF -> $OUT"
  rm -rf "$OUT" && mkdir -p "$OUT"
  git -C "$MPY_GIT" archive "$MPY_REF" | tar -x -C "$OUT"
  : >"$OUT/SUBSTITUTIONS"
  touch "$OUT/.mpy-tree-base"
fi
sub lib/micropython-lib micropython/micropython-lib master
sub lib/berkeley-db-1.xx micropython/berkeley-db-1.xx main
say "done: MICROPY_DIR=$OUT ($(wc -l <"$OUT/SUBSTITUTIONS") substitutions)"

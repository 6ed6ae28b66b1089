#!/bin/sh
# Build MicroPython's unix port with the mdnsfast C module and the same frozen mdns
# device modules as the boards (ports/unix/manifest.py), into its own build folder.
# Called by `make unix MICROPY_DIR=...`; usable alone:
#   MICROPY_DIR=/path/to/micropython tools/firmware/build-unix.sh [OUT_DIR]
# Env: MICROPY_DIR (required), UNIX_BITS=64|32, UNIX_VARIANT (default standard),
#      UNIX_FLAGS (extra make variables), UNIX_MANIFEST (frozen manifest; default
#      ports/unix/manifest.py), PYTHON, JOBS (default 2).
# Prints the path of the binary on its last line.
set -eu
TOP=$(cd "$(dirname "$0")/../.." && pwd)
BITS=${UNIX_BITS:-64}
VARIANT=${UNIX_VARIANT:-standard}
OUT=${1:-$TOP/build/unix-$VARIANT-$BITS}
PYTHON=${PYTHON:-python3}
JOBS=${JOBS:-2}
say() { echo "== unix: $*"; }
die() { echo "unix: $*" >&2; exit 2; }

[ -n "${MICROPY_DIR:-}" ] || die "MICROPY_DIR is not set. Give a MicroPython checkout (pinned ${MICROPY_VERSION:-v1.29.0}):
  git clone --depth 1 --branch ${MICROPY_VERSION:-v1.29.0} https://github.com/micropython/micropython
  make -C micropython/ports/unix submodules
  make unix MICROPY_DIR=\$PWD/micropython"
MPY=$(cd "$MICROPY_DIR" 2>/dev/null && pwd) || die "MICROPY_DIR=$MICROPY_DIR does not exist"
[ -f "$MPY/ports/unix/Makefile" ] || die "$MPY is not a MicroPython tree (no ports/unix/Makefile)"
[ -f "$TOP/usermod_mdnsfast/micropython.mk" ] || die "usermod_mdnsfast/micropython.mk is missing: the C module cannot be built for the unix port"

# Gotchas of the unix port (see docs/firmware.md):
# - FROZEN_MANIFEST makes the build insist on $(MPY_LIB_DIR)/README.md (micropython-lib).
[ -f "$MPY/lib/micropython-lib/README.md" ] || die "$MPY/lib/micropython-lib is empty; freezing needs it. Run:
  make -C $MPY/ports/unix submodules   (or: git -C $MPY submodule update --init lib/micropython-lib)"
FLAGS="VARIANT=$VARIANT"
# - a missing submodule turns its feature off rather than stopping the build.
if [ ! -f "$MPY/lib/berkeley-db-1.xx/README" ] && [ -z "$(ls -A "$MPY/lib/berkeley-db-1.xx" 2>/dev/null)" ]; then
  say "lib/berkeley-db-1.xx missing: building without btree"
  FLAGS="$FLAGS MICROPY_PY_BTREE=0"
fi
if [ -z "$(ls -A "$MPY/lib/mbedtls" 2>/dev/null)" ]; then
  say "lib/mbedtls missing: building without ssl"
  FLAGS="$FLAGS MICROPY_PY_SSL=0"
fi
# - 32-bit (ESP32-like object sizes; heap bounds in the cases assume it): MicroPython
#   v1.29 dropped MICROPY_FORCE_32BIT, so pass -m32 (gcc-multilib) or set
#   UNIX_FLAGS="CROSS_COMPILE=i686-linux-gnu-"; FFI off; its own build folder.
if [ "$BITS" = 32 ]; then
  case "${UNIX_FLAGS:-}" in
    *CROSS_COMPILE=*|*CFLAGS_EXTRA=*) FLAGS="$FLAGS MICROPY_PY_FFI=0" ;;
    *) echo 'int main(void){return 0;}' | ${CC:-gcc} -m32 -x c - -o /dev/null 2>/dev/null ||
         die "UNIX_BITS=32 needs a compiler that builds with -m32: install the Debian package gcc-multilib (apt-get install gcc-multilib), or set UNIX_FLAGS=CROSS_COMPILE=i686-linux-gnu-"
       FLAGS="$FLAGS CFLAGS_EXTRA=-m32 LDFLAGS_EXTRA=-m32 MICROPY_PY_FFI=0" ;;
  esac
elif ! pkg-config --exists libffi 2>/dev/null; then
  say "libffi (pkg-config) not found: building without ffi"
  FLAGS="$FLAGS MICROPY_PY_FFI=0"
fi
FLAGS="$FLAGS ${UNIX_FLAGS:-}"

mkdir -p "$OUT"
say "mpy-cross"
LOG=$OUT/mpy-cross.log
make -C "$MPY/mpy-cross" -j"$JOBS" PYTHON="$PYTHON" >"$LOG" 2>&1 || { tail -20 "$LOG" >&2 || :; die "mpy-cross failed (log: $LOG)"; }
say "build info"
MDNSFAST_BUILDINFO_DIR="$OUT/gen"
export MDNSFAST_BUILDINFO_DIR
"$PYTHON" "$TOP/tools/firmware/buildinfo.py" "$MDNSFAST_BUILDINFO_DIR" --board unix --micropython "$MPY"
say "ports/unix ($FLAGS) -> $OUT"
# USER_C_MODULES names the folder above the module: every */micropython.mk under it is
# included, and usermod_mdnsfast is the only one in this project.
# shellcheck disable=SC2086
make -C "$MPY/ports/unix" -j"$JOBS" $FLAGS PYTHON="$PYTHON" BUILD="$OUT" \
  USER_C_MODULES="$TOP" FROZEN_MANIFEST="${UNIX_MANIFEST:-$TOP/ports/unix/manifest.py}"
say "check: import mdns, mdnsfast"
if [ "$BITS" = 32 ] && [ "$("$OUT/micropython" -c 'import struct; print(struct.calcsize("P"))')" != 4 ]; then
  die "UNIX_BITS=32 but $OUT/micropython is not a 32-bit binary"
fi
"$OUT/micropython" -c "import mdns, mdnsfast, mdns.buildinfo as b; print(mdns.__version__, b.BUILD)"
echo "$OUT/micropython"

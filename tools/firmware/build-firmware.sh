#!/usr/bin/env bash
# Build one board's firmware with ESP-IDF: `make firmware BOARD=NAME` calls this.
#   tools/firmware/build-firmware.sh BOARD        (VARIANT=NOBLE in the environment: a board variant)
#
# Uses IDF_PATH and MICROPY_DIR when set (an ESP-IDF checkout, e.g. inside the
# espressif/idf container, and a MicroPython checkout); otherwise clones the versions
# pinned in versions.env into the cache folder (MDNSFAST_CACHE, default .cache/) and runs
# the IDF's install.sh for the board's chip (tools go to $MDNSFAST_CACHE/espressif).
# Offline (no install.sh, no downloads): IDF_PATH and MICROPY_DIR laid out by tools/esp/idf-tree.sh
# and tools/esp/micropython-tree.sh, IDF_PYTHON_ENV_PATH a venv with ESP-IDF's
# tools/requirements/requirements.core.txt, and the compilers built by tools/esp/toolchain.sh
# (found in TOOLCHAIN_DIR, default ~/.cache/mdnsfast/toolchains, or already on PATH).
# Output: build/firmware/BOARD/ (firmware.bin, micropython.bin, ..., mdnsfast-build.json).
# Stops at once, saying what is missing and how to provide it, when a piece is missing
# and cannot be fetched (no git, no network, unsupported host).
set -eu
TOP=$(cd "$(dirname "$0")/../.." && pwd)
BOARD=${1:-}
# shellcheck disable=SC1091
. "$TOP/versions.env"
CACHE=${MDNSFAST_CACHE:-$TOP/.cache}
VARIANT=${VARIANT:-}
OUT=${FIRMWARE_BUILD_DIR:-$TOP/build/firmware}/$BOARD${VARIANT:+-$VARIANT}
PYTHON=${PYTHON:-python3}
JOBS=${JOBS:-2}
MPY_URL=${MICROPY_GIT_URL:-https://github.com/micropython/micropython.git}
IDF_URL=${IDF_GIT_URL:-https://github.com/espressif/esp-idf.git}

say() { echo "== firmware [$BOARD]: $*"; }
die() { printf 'firmware [%s]: %s\n' "$BOARD" "$*" >&2; exit 2; }

HOW_TO="Provide the missing pieces in one of these ways:
  - an ESP-IDF $IDF_VERSION install and a MicroPython $MICROPY_VERSION checkout:
      make firmware BOARD=$BOARD IDF_PATH=/path/to/esp-idf MICROPY_DIR=/path/to/micropython
  - network access to github.com, so they are cloned into $CACHE (several GB once);
  - the ESP-IDF container, with this checkout mounted (no set-up on the host):
      docker run --rm -v \$PWD:/project -w /project espressif/idf:$IDF_VERSION ci/build-firmware.sh $BOARD"

[ -n "$BOARD" ] || { echo "firmware: no board given. Boards: $("$PYTHON" "$TOP/tools/firmware/board.py" list)" >&2; exit 2; }
CHIP=$("$PYTHON" "$TOP/tools/firmware/board.py" get "$BOARD" chip) || exit 2
BOARD_DIR=$TOP/ports/esp32/boards/$BOARD
VARIANT_ARG=""
if [ -n "$VARIANT" ]; then
  [ -f "$BOARD_DIR/mpconfigvariant_$VARIANT.cmake" ] || die "no variant $VARIANT for $BOARD (variants: $(cd "$BOARD_DIR" && ls mpconfigvariant_*.cmake 2>/dev/null | sed 's/mpconfigvariant_//; s/.cmake//' | tr '\n' ' '))"
  VARIANT_ARG="BOARD_VARIANT=$VARIANT"
fi
say "board $BOARD_DIR${VARIANT:+ variant $VARIANT} (chip $CHIP), MicroPython $MICROPY_VERSION, ESP-IDF $IDF_VERSION"

# ---- what is missing? (decided before anything slow happens) ----
NEED_CLONE=""
MISSING=""
if [ -n "${MICROPY_DIR:-}" ]; then
  MPY=$(cd "$MICROPY_DIR" 2>/dev/null && pwd) || die "MICROPY_DIR=$MICROPY_DIR does not exist"
  [ -f "$MPY/ports/esp32/Makefile" ] || die "MICROPY_DIR=$MPY is not a MicroPython tree (no ports/esp32/Makefile)"
else
  MPY=$CACHE/micropython-$MICROPY_VERSION
  [ -f "$MPY/ports/esp32/Makefile" ] || { NEED_CLONE="$NEED_CLONE micropython"; MISSING="$MISSING
  - MicroPython $MICROPY_VERSION: MICROPY_DIR is not set and $MPY does not exist"; }
fi
if [ -n "${IDF_PATH:-}" ]; then
  [ -f "$IDF_PATH/tools/idf.py" ] || die "IDF_PATH=$IDF_PATH is not an ESP-IDF tree (no tools/idf.py)"
  IDF=$IDF_PATH
else
  IDF=$CACHE/esp-idf-$IDF_VERSION
  [ -f "$IDF/export.sh" ] || { NEED_CLONE="$NEED_CLONE esp-idf"; MISSING="$MISSING
  - ESP-IDF $IDF_VERSION: IDF_PATH is not set and $IDF does not exist"; }
  # install.sh supports Linux (x86_64, aarch64, arm) and macOS; elsewhere use the container.
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64|Linux-aarch64|Linux-arm*|Darwin-*) ;;
    *) die "ESP-IDF is not set (IDF_PATH) and install.sh does not support this host ($(uname -s) $(uname -m)).
$HOW_TO" ;;
  esac
fi
if [ -n "$NEED_CLONE" ]; then
  command -v git >/dev/null 2>&1 || die "missing:$MISSING
and git is not installed to fetch them.
$HOW_TO"
  say "checking that github.com is reachable (to fetch:$NEED_CLONE)"
  probe=$(mktemp)
  if ! GIT_TERMINAL_PROMPT=0 timeout 30 git ls-remote --exit-code "$MPY_URL" "refs/tags/$MICROPY_VERSION" >/dev/null 2>"$probe"; then
    why=$(tail -1 "$probe" 2>/dev/null || true); rm -f "$probe"
    die "missing:$MISSING
and they cannot be fetched: no network (${why:-git ls-remote timed out}).
$HOW_TO"
  fi
  rm -f "$probe"
fi
[ -f "$TOP/usermod_mdnsfast/micropython.cmake" ] || die "usermod_mdnsfast/micropython.cmake is missing: the C module cannot be built"
mkdir -p "$CACHE"

# ---- fetch what is missing ----
case "$NEED_CLONE" in *micropython*)
  say "fetching MicroPython $MICROPY_VERSION into $MPY"
  rm -rf "$MPY.tmp"
  git clone -q --depth 1 --branch "$MICROPY_VERSION" "$MPY_URL" "$MPY.tmp" || die "git clone of MicroPython failed"
  mv "$MPY.tmp" "$MPY" ;;
esac
case "$NEED_CLONE" in *esp-idf*)
  say "fetching ESP-IDF $IDF_VERSION into $IDF (with submodules; this takes a while)"
  rm -rf "$IDF.tmp"
  git clone -q --depth 1 --branch "$IDF_VERSION" --recursive --shallow-submodules "$IDF_URL" "$IDF.tmp" \
    || die "git clone of ESP-IDF failed"
  mv "$IDF.tmp" "$IDF" ;;
esac
if [ -z "${IDF_PATH:-}" ]; then
  # Tools (compilers, Python env) next to the cache, not in ~/.espressif.
  IDF_TOOLS_PATH=${IDF_TOOLS_PATH:-$CACHE/espressif}; export IDF_TOOLS_PATH
  if [ ! -f "$IDF/.mdnsfast-installed-$CHIP" ]; then
    say "ESP-IDF install.sh $CHIP (tools into $IDF_TOOLS_PATH)"
    "$IDF/install.sh" "$CHIP" || die "ESP-IDF install.sh $CHIP failed (see above)"
    touch "$IDF/.mdnsfast-installed-$CHIP"
  fi
fi

# ---- environment ----
IDF_PATH=$IDF; export IDF_PATH
case "$CHIP" in
  esp32c*|esp32h*|esp32p*) CC_NAME=riscv32-esp-elf ;;
  *) CC_NAME=xtensa-$CHIP-elf ;;
esac
if [ -n "${IDF_PYTHON_ENV_PATH:-}" ]; then
  # Offline: no export.sh (it checks for Espressif's own toolchain release and would download it).
  say "ESP-IDF environment (local: $IDF, Python env $IDF_PYTHON_ENV_PATH)"
  [ -x "$IDF_PYTHON_ENV_PATH/bin/python" ] || die "IDF_PYTHON_ENV_PATH=$IDF_PYTHON_ENV_PATH has no bin/python (make it with: python3 -m venv DIR && DIR/bin/pip install -r $IDF/tools/requirements/requirements.core.txt)"
  TOOLCHAIN_DIR=${TOOLCHAIN_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/mdnsfast/toolchains}
  command -v "$CC_NAME-gcc" >/dev/null 2>&1 || PATH=$TOOLCHAIN_DIR/$CC_NAME/bin:$PATH
  command -v "$CC_NAME-gcc" >/dev/null 2>&1 \
    || die "no $CC_NAME-gcc on PATH nor in $TOOLCHAIN_DIR/$CC_NAME/bin: build it with tools/esp/toolchain.sh $CC_NAME"
  PATH=$IDF/tools:$IDF_PYTHON_ENV_PATH/bin:$PATH
  PYTHON=$IDF_PYTHON_ENV_PATH/bin/python
  IDF_PYTHON_CHECK_CONSTRAINTS=no
  # ESP-IDF refuses a compiler whose version is not Espressif's release (esp-14.2.0_20241119);
  # ours is GCC 14.2.0 built from source and says so. IDF_MAINTAINER is ESP-IDF's own switch
  # that turns the refusal into a warning.
  IDF_MAINTAINER=${IDF_MAINTAINER:-1}; export IDF_MAINTAINER
  # ROM ELF files only serve the debugger's gdbinit; without the variable the build prints an error.
  ESP_ROM_ELF_DIR=${ESP_ROM_ELF_DIR:-$OUT/no-rom-elfs}; mkdir -p "$ESP_ROM_ELF_DIR"
  export PATH IDF_PYTHON_ENV_PATH IDF_PYTHON_CHECK_CONSTRAINTS ESP_ROM_ELF_DIR
  # The Component Manager needs the network: components laid out by tools/esp/idf-tree.sh are
  # given to the build instead (mdnsfast_common.cmake reads MDNSFAST_EXTRA_COMPONENT_DIRS).
  if [ -d "$IDF/mdnsfast-components" ]; then
    IDF_COMPONENT_MANAGER=0 MDNSFAST_EXTRA_COMPONENT_DIRS=$IDF/mdnsfast-components
    export IDF_COMPONENT_MANAGER MDNSFAST_EXTRA_COMPONENT_DIRS
  fi
  if [ -e "$IDF/mdnsfast-headers/mdns/mdns.h" ]; then
    # MicroPython includes mdns.h even with its mDNS off; only the header is given
    EXTRA_CFLAGS="${EXTRA_CFLAGS:+$EXTRA_CFLAGS }-I$IDF/mdnsfast-headers/mdns"; export EXTRA_CFLAGS
  fi
  # Only what `main` requires: idf-tree.sh fills only the submodules the firmware uses. The
  # manager would add main/idf_component.yml's components for this chip (lan867x on the ESP32,
  # tinyusb on the S2/S3/P4) and their headers to main: both done here by hand.
  case "$CHIP" in esp32) XCOMP=espressif__lan867x ;; esp32s2|esp32s3|esp32p4) XCOMP=espressif__tinyusb ;; *) XCOMP= ;; esac
  MDNSFAST_IDF_COMPONENTS=${MDNSFAST_IDF_COMPONENTS:-main${XCOMP:+ $XCOMP}}; export MDNSFAST_IDF_COMPONENTS
  # its public headers (lan867x: include/, tinyusb: src/)
  XINC=; for d in include src; do [ -n "$XCOMP" ] && [ -d "$IDF/mdnsfast-components/$XCOMP/$d" ] && { XINC=$IDF/mdnsfast-components/$XCOMP/$d; break; }; done
  if [ -n "$XINC" ]; then
    # main's compile and MicroPython's qstr pass, and main's link (usermod_mdnsfast/micropython.cmake)
    MDNSFAST_MAIN_INCLUDES=$XINC MDNSFAST_MAIN_LINKS=$XCOMP; export MDNSFAST_MAIN_INCLUDES MDNSFAST_MAIN_LINKS
    EXTRA_CFLAGS="${EXTRA_CFLAGS:+$EXTRA_CFLAGS }-I$XINC"; export EXTRA_CFLAGS
  fi
  if [ ! -e "$IDF/components/lwip/lwip/src/include/lwip/acd.h" ]; then
    MDNSFAST_LWIP_NO_ACD=1; export MDNSFAST_LWIP_NO_ACD
    say "lwIP without lwip/acd.h: ports/esp32/sdkconfig.lwip_noacd applies (no DHCP address check)"
    # its PPP output callback takes u8_t * where v5.5.1's esp_netif passes one taking const
    # void * (same ABI): GCC 14 calls that an error, the older lwIP needs it a warning
    EXTRA_CFLAGS="${EXTRA_CFLAGS:+$EXTRA_CFLAGS }-Wno-error=incompatible-pointer-types"; export EXTRA_CFLAGS
  fi
  if grep -q "used=Mbed-TLS/mbedtls@" "$IDF/SUBSTITUTIONS" 2>/dev/null; then
    MDNSFAST_MBEDTLS_UPSTREAM=1; export MDNSFAST_MBEDTLS_UPSTREAM
    say "upstream Mbed-TLS in place of Espressif's fork: ports/esp32/sdkconfig.mbedtls_upstream applies"
  fi
  [ -s "$IDF/SUBSTITUTIONS" ] && say "ESP-IDF tree substitutions: $(tr '\n' ';' <"$IDF/SUBSTITUTIONS")"
  [ -s "$MPY/SUBSTITUTIONS" ] && say "MicroPython tree substitutions: $(tr '\n' ';' <"$MPY/SUBSTITUTIONS")"
  say "compiler: $(command -v "$CC_NAME-gcc") ($("$CC_NAME-gcc" --version | head -n 1))"
else
  [ -f "$IDF/export.sh" ] || die "IDF_PATH=$IDF has no export.sh: set IDF_PYTHON_ENV_PATH for a local tree (see docs/firmware.md)"
  say "ESP-IDF environment ($IDF/export.sh)"
  # shellcheck disable=SC1091
  . "$IDF/export.sh" >"$CACHE/export-$BOARD.log" 2>&1 || { tail -20 "$CACHE/export-$BOARD.log" >&2; die "sourcing $IDF/export.sh failed; run $IDF/install.sh $CHIP"; }
fi
command -v idf.py >/dev/null 2>&1 || die "idf.py not on PATH; run $IDF/install.sh $CHIP, or set IDF_PYTHON_ENV_PATH for a local tree"
IDF_V=$(idf.py --version 2>/dev/null | sed -n 's/^ESP-IDF //p')
case "$IDF_V" in
  "$IDF_VERSION"|"$IDF_VERSION"-*) ;;
  *) say "warning: ESP-IDF is ${IDF_V:-unknown}, pinned is $IDF_VERSION (lockfile differences are reported by the build)" ;;
esac
MPY_V=$("$PYTHON" "$TOP/tools/firmware/buildinfo.py" --print-version "$MPY")
case "$MPY_V" in "$MICROPY_VERSION"|"$MICROPY_VERSION "*) ;; *) say "warning: MicroPython is $MPY_V, pinned is $MICROPY_VERSION" ;; esac

# ---- build ----
say "mpy-cross"
make -C "$MPY/mpy-cross" -j"$JOBS" >"$CACHE/mpy-cross.log" 2>&1 || { tail -20 "$CACHE/mpy-cross.log" >&2; die "mpy-cross failed"; }
# The port's build would otherwise run `make -C mpy-cross` itself, and that nested make inherits
# BUILD=$OUT from the command line below (GNU make passes it down): mpy-cross would build into
# the firmware's folder and fail. MICROPY_MPYCROSS is the port's own switch for a built one.
MICROPY_MPYCROSS=$MPY/mpy-cross/build/mpy-cross; export MICROPY_MPYCROSS
mkdir -p "$OUT"
if [ -e "$MPY/.mpy-tree-base" ]; then
  say "submodules: laid out by tools/esp/micropython-tree.sh"
else
  say "submodules for $CHIP"
  make -C "$MPY/ports/esp32" BOARD_DIR="$BOARD_DIR" $VARIANT_ARG BUILD="$OUT" submodules \
    || die "fetching MicroPython's submodules failed (network?); run: make -C $MPY/ports/esp32 BOARD_DIR=$BOARD_DIR submodules"
fi
say "build info"
MDNSFAST_BUILDINFO_DIR=$OUT/gen; export MDNSFAST_BUILDINFO_DIR
"$PYTHON" "$TOP/tools/firmware/buildinfo.py" "$MDNSFAST_BUILDINFO_DIR" --board "$BOARD" --micropython "$MPY" --idf "${IDF_V:-$IDF}" \
  --json "$OUT/mdnsfast-build.json" --chip "$CHIP" --variant "$VARIANT"
say "compile (ports/esp32, BUILD=$OUT)"
make -C "$MPY/ports/esp32" -j"$JOBS" BOARD_DIR="$BOARD_DIR" $VARIANT_ARG BUILD="$OUT" \
  USER_C_MODULES="$TOP/usermod_mdnsfast/micropython.cmake"
say "size check against the OTA slot"
"$PYTHON" "$TOP/tools/firmware/release.py" check --board "$BOARD" --build "$OUT"
say "done: $OUT/firmware.bin (flash at $("$PYTHON" "$TOP/tools/firmware/board.py" get "$BOARD" flash_offset)), $OUT/micropython.bin (OTA)"

#!/usr/bin/env bash
# Builds an ESP-IDF cross toolchain (binutils, GCC with C and C++, newlib, libstdc++) from
# source, for machines that cannot download Espressif's prebuilt one.
#
#   tools/esp/toolchain.sh riscv32-esp-elf        # ESP32-C3 (rv32imc_zicsr_zifencei / ilp32)
#   tools/esp/toolchain.sh xtensa-esp32-elf       # ESP32    (needs XTENSA_OVERLAYS)
#   tools/esp/toolchain.sh xtensa-esp32s3-elf     # ESP32-S3 (needs XTENSA_OVERLAYS)
#
# The names are the ones ESP-IDF's tools/cmake/toolchain-<chip>.cmake call. Each step leaves
# a stamp, so a second run skips what is done and an interrupted one resumes at its step.
#
# Environment (all optional):
#   TOOLCHAIN_DIR    where toolchains go, one folder per target
#                    (default ${XDG_CACHE_HOME:-$HOME/.cache}/mdnsfast/toolchains: outside the
#                    checkout, so a fresh clone or `git clean` keeps an hour of GCC build)
#   TOOLCHAIN_DEBS   folder holding gcc-14-source, binutils-source and newlib-source .deb files;
#                    missing ones are downloaded from Debian trixie with a private apt
#                    directory (the machine's own apt sources are never touched)
#   DEBIAN_MIRROR    mirror for that download (default: the one in the machine's apt sources)
#   NEWLIB_SRC       a newlib tree to use instead of Debian's (e.g. a checkout of Espressif's
#                    newlib-esp32, branch esp-4.3.0: the fork ESP-IDF v5.5's toolchain ships)
#   XTENSA_OVERLAYS  a checkout of espressif/xtensa-overlays (Xtensa targets only)
#   JOBS             parallel make jobs (default: nproc)
set -euo pipefail

TARGET=${1:-}
case "$TARGET" in
  riscv32-esp-elf) CHIP=; GCC_CPU="--with-arch=rv32imc_zicsr_zifencei --with-abi=ilp32" ;;
  xtensa-esp32-elf) CHIP=esp32; GCC_CPU= ;;
  xtensa-esp32s3-elf) CHIP=esp32s3; GCC_CPU= ;;
  *) echo "usage: $0 riscv32-esp-elf|xtensa-esp32-elf|xtensa-esp32s3-elf" >&2; exit 2 ;;
esac

TOOLCHAIN_DIR=${TOOLCHAIN_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/mdnsfast/toolchains}
PREFIX=$TOOLCHAIN_DIR/$TARGET
WORK=$TOOLCHAIN_DIR/build/$TARGET
SRC=$TOOLCHAIN_DIR/src
DEBS=${TOOLCHAIN_DEBS:-$TOOLCHAIN_DIR/debs}
JOBS=${JOBS:-$(nproc)}
STAMPS=$WORK/stamps
mkdir -p "$PREFIX" "$WORK" "$SRC" "$DEBS" "$STAMPS"
export PATH=$PREFIX/bin:$PATH
T0=$(date +%s)

say() { printf '[toolchain %s +%ds] %s\n' "$TARGET" $(( $(date +%s) - T0 )) "$*"; }
die() { say "error: $*" >&2; exit 1; }
need() { command -v "$1" >/dev/null 2>&1 || die "missing host program '$1' (Debian: apt-get install $2)"; }

# Runs a long command with its output in a log, printing a line a minute so a reader sees it
# move; on failure shows the log's tail and the log's path.
run() {
  local name=$1; shift
  local log=$WORK/$name.log start=$(date +%s)
  say "$name: started (log: $log)"
  ( "$@" ) >"$log" 2>&1 &
  local pid=$! n=0
  while kill -0 $pid 2>/dev/null; do
    sleep 5
    n=$((n + 1))
    if (( n % 12 == 0 )); then
      say "$name: $(( $(date +%s) - start ))s, $(wc -l <"$log") log lines, last: $(tail -n 1 "$log" | grep -o -E '[^ /]+\.(c|cc|S)( |$)' | tail -n 1)"
    fi
  done
  if ! wait $pid; then
    tail -n 40 "$log" >&2
    die "$name failed after $(( $(date +%s) - start ))s; full log: $log"
  fi
  say "$name: done in $(( $(date +%s) - start ))s"
}

step() { [ -e "$STAMPS/$1" ]; }
done_step() { touch "$STAMPS/$1"; }

for p in make gcc g++ tar xz dpkg-deb makeinfo flex bison; do
  case $p in makeinfo) need $p texinfo ;; g++) need $p g++ ;; xz) need $p xz-utils ;; dpkg-deb) need $p dpkg ;; *) need $p $p ;; esac
done
for h in gmp.h mpfr.h mpc.h; do
  [ -e /usr/include/$h ] || [ -e /usr/include/x86_64-linux-gnu/$h ] || [ -e /usr/include/aarch64-linux-gnu/$h ] \
    || die "missing $h (Debian: apt-get install libgmp-dev libmpfr-dev libmpc-dev)"
done

# ---- sources: Debian trixie's source packages (GCC 14.2 = the major.minor of ESP-IDF v5.5's esp-14.2.0) ----
fetch_debs() {
  local want=() p
  for p in gcc-14-source binutils-source newlib-source; do
    [ -n "$NEWLIB_SRC_SET" ] && [ $p = newlib-source ] && continue
    ls "$DEBS"/${p}_*.deb >/dev/null 2>&1 || want+=("$p")
  done
  [ ${#want[@]} = 0 ] && return 0
  say "sources: downloading ${want[*]} from Debian trixie into $DEBS"
  local mirror=${DEBIAN_MIRROR:-}
  if [ -z "$mirror" ]; then
    mirror=$(grep -h -o -E 'https?://[^ ]*debian/?' /etc/apt/sources.list /etc/apt/sources.list.d/*.sources \
             /etc/apt/sources.list.d/*.list 2>/dev/null | grep -v security | head -n 1 || true)
  fi
  [ -n "$mirror" ] || die "no Debian mirror known: set DEBIAN_MIRROR, or put ${want[*]} .deb files in $DEBS"
  local A=$TOOLCHAIN_DIR/apt-trixie
  mkdir -p "$A/lists/partial" "$A/cache/archives/partial"
  echo "deb $mirror trixie main" >"$A/sources.list"
  local opts=(-o Dir::Etc::sourcelist="$A/sources.list" -o Dir::Etc::sourceparts=- -o Dir::State::Lists="$A/lists"
              -o Dir::Cache="$A/cache" -o APT::Sandbox::User=root)
  apt-get "${opts[@]}" update -qq || die "apt-get update of the private trixie list failed"
  (cd "$DEBS" && apt-get "${opts[@]}" download "${want[@]}") || die "download of ${want[*]} failed"
}

unpack() {  # unpack DEB-PACKAGE TARBALL-GLOB DIR-NAME
  local pkg=$1 glob=$2 dir=$3 deb tb
  [ -d "$SRC/$dir" ] && return 0
  deb=$(ls "$DEBS"/${pkg}_*.deb 2>/dev/null | head -n 1)
  [ -n "$deb" ] || die "source package $pkg is missing from $DEBS"
  say "sources: unpacking $(basename "$deb")"
  rm -rf "$SRC/.x" && mkdir -p "$SRC/.x" && dpkg-deb -x "$deb" "$SRC/.x"
  tb=$(find "$SRC/.x" -name "$glob" | head -n 1)
  [ -n "$tb" ] || die "$deb holds no $glob"
  rm -rf "$SRC/.t" && mkdir -p "$SRC/.t" && tar -xf "$tb" -C "$SRC/.t"
  mv "$SRC/.t"/* "$SRC/$dir" && rm -rf "$SRC/.x" "$SRC/.t"
}

NEWLIB_SRC_SET=${NEWLIB_SRC:-}
if ! step sources; then
  fetch_debs
  unpack gcc-14-source 'gcc-*.tar.*' gcc
  unpack binutils-source 'binutils-*.tar.*' binutils
  [ -n "$NEWLIB_SRC_SET" ] || unpack newlib-source 'newlib-*.tar.*' newlib
  done_step sources
fi
NEWLIB_SRC=${NEWLIB_SRC:-$SRC/newlib}
[ -e "$NEWLIB_SRC/newlib/libc/include/stdio.h" ] || die "NEWLIB_SRC=$NEWLIB_SRC is not a newlib tree"
say "sources: gcc $(cat "$SRC/gcc/gcc/BASE-VER"), binutils $(sed -n 's/^m4_define(\[BFD_VERSION\], \[\(.*\)\])/\1/p' "$SRC/binutils/bfd/version.m4"), newlib $(sed -n "s/^PACKAGE_VERSION='\(.*\)'/\1/p" "$NEWLIB_SRC/newlib/configure") from $NEWLIB_SRC"

# ---- Xtensa: the chip's core description replaces the generic one (one toolchain per chip) ----
GCC_S=$SRC/gcc BIN_S=$SRC/binutils NL_S=$NEWLIB_SRC
if [ -n "$CHIP" ]; then
  OV=${XTENSA_OVERLAYS:-}
  [ -n "$OV" ] && [ -d "$OV/xtensa_$CHIP" ] || die "set XTENSA_OVERLAYS to a checkout of espressif/xtensa-overlays (needs xtensa_$CHIP/)"
  if ! step overlay; then
    say "overlay: xtensa_$CHIP onto per-target copies of the sources (hard links, overlaid files replaced)"
    rm -rf "$WORK/src" && mkdir -p "$WORK/src"
    cp -al "$SRC/gcc" "$WORK/src/gcc"; cp -al "$SRC/binutils" "$WORK/src/binutils"; cp -al "$NEWLIB_SRC" "$WORK/src/newlib"
    for part in gcc binutils newlib; do
      (cd "$OV/xtensa_$CHIP/$part" && find . -type f) | while read -r f; do
        dst=$f
        # the overlays follow Espressif's newlib fork (libc/sys/xtensa); upstream newlib 4.x keeps
        # the same core description in libc/machine/xtensa
        [ -d "$WORK/src/$part/$(dirname "$dst")" ] || dst=${dst/\/sys\/xtensa\//\/machine\/xtensa\/}
        [ -d "$WORK/src/$part/$(dirname "$dst")" ] || die "overlay file $part/$f has no place in the $part sources"
        rm -f "$WORK/src/$part/$dst"; cp "$OV/xtensa_$CHIP/$part/$f" "$WORK/src/$part/$dst"
      done
    done
    # newlib carries its own copy of binutils' include/xtensa-config.h
    if [ -e "$WORK/src/newlib/include/xtensa-config.h" ]; then
      rm -f "$WORK/src/newlib/include/xtensa-config.h"
      cp "$OV/xtensa_$CHIP/binutils/include/xtensa-config.h" "$WORK/src/newlib/include/xtensa-config.h"
    fi
    done_step overlay
  fi
  GCC_S=$WORK/src/gcc BIN_S=$WORK/src/binutils NL_S=$WORK/src/newlib
  # ESP-IDF compiles everything with -mdisable-hardware-atomics when PSRAM is on (ESP32 and
  # ESP32-S3: S32C1I is not atomic on external RAM, CONFIG_STDATOMIC_S32C1I_SPIRAM_WORKAROUND).
  # Espressif's GCC has the option, upstream's does not: added the same way. With it, atomic
  # operations become __atomic_*/__sync_* calls, which ESP-IDF's newlib component provides
  # (stdatomic_s32c1i.c checks the address and locks for PSRAM). sed -i writes new files, so the
  # hard-linked shared sources stay as they are. A GCC built before the patch is built again.
  XO=$GCC_S/gcc/config/xtensa
  if ! grep -q '^mdisable-hardware-atomics$' "$XO/xtensa.opt"; then
    say "gcc: adding -mdisable-hardware-atomics (as Espressif's GCC has it)"
    printf '\nmdisable-hardware-atomics\nTarget Mask(DISABLE_HARDWARE_ATOMICS)\nDo not use the S32C1I instruction for atomic operations; call the __atomic and __sync library functions.\n' >"$XO/xtensa.opt.new"
    cat "$XO/xtensa.opt" "$XO/xtensa.opt.new" >"$XO/xtensa.opt.tmp" && rm -f "$XO/xtensa.opt" "$XO/xtensa.opt.new" && mv "$XO/xtensa.opt.tmp" "$XO/xtensa.opt"
    sed -i 's/^#define TARGET_S32C1I\t\tXCHAL_HAVE_S32C1I$/#define TARGET_S32C1I\t\t(XCHAL_HAVE_S32C1I \&\& !TARGET_DISABLE_HARDWARE_ATOMICS)/' "$XO/xtensa.h"
    grep -q 'TARGET_DISABLE_HARDWARE_ATOMICS' "$XO/xtensa.h" || die "could not patch $XO/xtensa.h (TARGET_S32C1I)"
    rm -f "$STAMPS/gcc"
  fi
fi

# Upstream newlib knows *-esp-* targets (sys/esp, GETREENT_PROVIDED) but its sys/config.h lacks
# what Espressif's fork sets for them: ESP-IDF gives every task its own struct _reent through
# __getreent() (__DYNAMIC_REENT__), the small reent, 128-byte stdio buffers. A tree patched
# after newlib was built with it rebuilds newlib and libstdc++.
# The fork's sys/features.h also says what ESP-IDF's pthread and timer code provides (POSIX
# threads, timers, monotonic clock: time.h then declares timer_create and pulls in signal.h),
# and its sys/sched.h declares sched_yield.
esp_block() {  # FILE SED-ADDRESS TEXT: insert TEXT (\n-separated) after the line at ADDRESS, once
  local f=$NL_S/newlib/libc/include/$1
  grep -q "mdnsfast: Espressif targets" "$f" && return 0
  sed -i "$2"'a\
/* mdnsfast: Espressif targets (as Espressif'"'"'s newlib fork has it) */\
'"$3" "$f"
  grep -q "mdnsfast: Espressif targets" "$f" || die "could not patch $f"
  say "newlib: $1 given the Espressif block of the fork"
  rm -f "$STAMPS/headers" "$STAMPS/newlib" "$STAMPS/newlib-nano" "$STAMPS/libstdcxx"
}
esp_block sys/config.h '/^#include <sys\/features.h>/' '#define __BUFSIZ__ 128\
#define __DYNAMIC_REENT__\
#define _REENT_SMALL'
esp_block sys/features.h '/^#endif \/\* __CYGWIN__ \*\//' '#define _POSIX_THREADS 1\
#define _POSIX_TIMEOUTS 1\
#define _POSIX_TIMERS 1\
#define _POSIX_MONOTONIC_CLOCK 200112L\
#define _POSIX_CLOCK_SELECTION 200112L\
#define _UNIX98_THREAD_MUTEX_ATTRIBUTES 1'
esp_block sys/sched.h '/^};/' 'int sched_yield(void);'


# Upstream newlib gives Espressif's system directory (sys/esp: dirent, getreent and signals
# provided by ESP-IDF) to *-esp-* triplets, as Espressif's own xtensa-esp-elf; ESP-IDF v5.5
# calls the per-chip names xtensa-esp32-elf / xtensa-esp32s3-elf, which must match too.
if [ -n "$CHIP" ] && ! grep -q "xtensa-esp32\*-\*" "$NL_S/newlib/configure.host"; then
  sed -i 's/^  \*-esp-\*)$/  *-esp-* | xtensa-esp32*-*)/' "$NL_S/newlib/configure.host"
  grep -q "xtensa-esp32\*-\*" "$NL_S/newlib/configure.host" || die "could not patch newlib/configure.host"
  say "newlib: configure.host treats $TARGET as an Espressif target (sys/esp)"
  rm -f "$STAMPS/headers" "$STAMPS/newlib" "$STAMPS/newlib-nano" "$STAMPS/libstdcxx"
fi

HOSTFLAGS="-O2 -g0"
COMMON=(--target="$TARGET" --prefix="$PREFIX" --disable-nls --disable-werror)

# ---- binutils ----
if ! step binutils; then
  rm -rf "$WORK/binutils" && mkdir -p "$WORK/binutils"
  run binutils bash -c "cd '$WORK/binutils' && CFLAGS='$HOSTFLAGS' CXXFLAGS='$HOSTFLAGS' '$BIN_S/configure' ${COMMON[*]} \
      --disable-gdb --disable-gdbserver --disable-sim --disable-gprofng --disable-libdecnumber --disable-readline \
      --enable-plugins --with-system-zlib && make -j$JOBS && make install"
  done_step binutils
fi

# ---- newlib's headers first, so one GCC build serves C and C++ (no second compiler pass) ----
# A cross GCC looks for the target's limits.h in $TARGET/sys-include while it builds (its
# LIMITS_H_TEST): only then does its own limits.h chain to newlib's (PATH_MAX and the POSIX
# limits). Nothing else goes there: sys-include comes before include in the compiler's search,
# and newlib's installed headers (its generated newlib.h among them) must win.
if ! step headers; then
  mkdir -p "$PREFIX/$TARGET/include"
  cp -r "$NL_S/newlib/libc/include/." "$PREFIX/$TARGET/include/"
  rm -rf "$PREFIX/$TARGET/sys-include" && mkdir -p "$PREFIX/$TARGET/sys-include"
  cp "$NL_S/newlib/libc/include/limits.h" "$PREFIX/$TARGET/sys-include/"
  done_step headers
fi

# ---- GCC: the compilers and libgcc ----
GCC_CONF=("${COMMON[@]}" --enable-languages=c,c++ --with-newlib --with-gnu-as --with-gnu-ld
          --disable-shared --disable-threads --disable-tls --disable-multilib --disable-lto
          --disable-libssp --disable-libquadmath --disable-libgomp --disable-libatomic --disable-libitm
          --disable-libsanitizer --disable-libvtv --disable-libstdcxx-pch --disable-libstdcxx-verbose
          --enable-cxx-flags=-ffunction-sections --disable-bootstrap --with-system-zlib $GCC_CPU)
if ! step gcc; then
  mkdir -p "$WORK/gcc"
  [ -e "$WORK/gcc/Makefile" ] || run gcc-configure bash -c "cd '$WORK/gcc' && CFLAGS='$HOSTFLAGS' CXXFLAGS='$HOSTFLAGS' '$GCC_S/configure' ${GCC_CONF[*]}"
  # Debian's GCC tarball is the DFSG one (GFDL manuals stripped): genhooks then stops at
  # s-tm-texi. The stamp only holds once the first make has built genhooks, so: let make stop
  # there once, touch the stamp, and go on.
  if ! (cd "$WORK/gcc" && make -j"$JOBS" all-gcc >"$WORK/gcc-pass1.log" 2>&1); then
    if grep -q -E "s-tm-texi|No place specified to document hook" "$WORK/gcc-pass1.log"; then
      say "gcc: DFSG tarball stopped at s-tm-texi as expected; touching the stamp and going on"
      touch "$WORK/gcc/gcc/s-tm-texi"
    else
      say "gcc: first make pass failed for another reason; retrying in the logged step"
    fi
  fi
  run gcc bash -c "cd '$WORK/gcc' && make -j$JOBS all-gcc && make install-gcc"
  done_step gcc
fi
# A toolchain built before the sys-include copy existed has the stand-alone limits.h: rebuild it
# as GCC's Makefile does when it finds the target's limits.h (limitx.h + glimits.h + limity.h).
LIM=$PREFIX/lib/gcc/$TARGET/$(cat "$GCC_S/gcc/BASE-VER")/include/limits.h
if [ -e "$LIM" ] && ! grep -q include_next "$LIM"; then
  cat "$GCC_S/gcc/limitx.h" "$GCC_S/gcc/glimits.h" "$GCC_S/gcc/limity.h" >"$LIM"
  say "gcc: limits.h made to include newlib's (it was built without the target's headers in sys-include)"
fi
# Xtensa target libraries are built with -mlongcalls, as Espressif's are: an app as big as
# MicroPython's puts callers and callees out of call8's reach.
TFLAGS=; [ -n "$CHIP" ] && TFLAGS="CFLAGS_FOR_TARGET='-g -O2 -mlongcalls' CXXFLAGS_FOR_TARGET='-g -O2 -mlongcalls'"
if [ -n "$CHIP" ] && [ -e "$STAMPS/libgcc" ] && [ ! -e "$STAMPS/longcalls" ]; then
  say "target libraries were built without -mlongcalls: building libgcc and libstdc++ again"
  rm -rf "$WORK/gcc/$TARGET/libgcc" "$WORK/gcc/$TARGET/libstdc++-v3" "$STAMPS/libgcc" "$STAMPS/libstdcxx"
fi
if ! step libgcc; then
  run libgcc bash -c "cd '$WORK/gcc' && make -j$JOBS $TFLAGS all-target-libgcc && make $TFLAGS install-target-libgcc"
  [ -n "$CHIP" ] && done_step longcalls
  done_step libgcc
fi

# sys-include served GCC's own build only (above): gone, so no header there can shadow newlib's.
[ -d "$PREFIX/$TARGET/sys-include" ] && step gcc && rm -rf "$PREFIX/$TARGET/sys-include"

# The machine's own headers (Xtensa: xtensa/config/core-isa.h, overlaid with the chip's) are
# installed only at newlib's end, but its libm includes them while it builds.
case "$TARGET" in xtensa-*) MACH=xtensa ;; riscv32-*) MACH=riscv ;; esac
if [ -d "$NL_S/newlib/libc/machine/$MACH/include" ] && ! step newlib; then
  cp -r "$NL_S/newlib/libc/machine/$MACH/include/." "$PREFIX/$TARGET/include/"
fi

# ---- newlib, configured as Espressif's crosstool-NG configs do (ESP-IDF provides syscalls,
# heap and locks: newlib must leave them out and take retargetable locks) ----
if ! step newlib; then
  rm -rf "$WORK/newlib" && mkdir -p "$WORK/newlib"
  # newlib's own sources predate GCC 14's stricter defaults (posix/sleep.c calls nanosleep undeclared).
  NLFLAGS="-Os -ffunction-sections -fdata-sections -Wno-implicit-function-declaration -Wno-int-conversion -Wno-incompatible-pointer-types"
  [ -n "$CHIP" ] && NLFLAGS="$NLFLAGS -mlongcalls"
  run newlib bash -c "cd '$WORK/newlib' && CFLAGS_FOR_TARGET='$NLFLAGS' '$NL_S/configure' ${COMMON[*]} \
      --disable-multilib --disable-newlib-supplied-syscalls --enable-newlib-reent-small \
      --enable-newlib-retargetable-locking --enable-newlib-io-c99-formats --enable-newlib-io-long-long \
      --enable-newlib-io-float --enable-newlib-io-pos-args --enable-newlib-nano-malloc \
      && make -j$JOBS && make install"
  done_step newlib
fi

# newlib 4.5.0's dirent.h declares posix_getdents() with ssize_t but never declares the type
# (ESP-IDF's scandir.c, built with _GNU_SOURCE, trips on it); sys/types.h is what gives it.
# Applied to the installed headers after every run, so an older install gets it too.
fix_headers() {
  local d
  for d in "$PREFIX/$TARGET/include"; do
    [ -e "$d/dirent.h" ] || continue
    if grep -q posix_getdents "$d/dirent.h" && ! grep -q '^#include <sys/types.h>' "$d/dirent.h"; then
      sed -i '0,/^#include <sys\/cdefs.h>/s//#include <sys\/cdefs.h>\n#include <sys\/types.h>/' "$d/dirent.h"
      grep -q '^#include <sys/types.h>' "$d/dirent.h" || die "could not patch $d/dirent.h"
      say "newlib: $d/dirent.h includes sys/types.h (ssize_t for posix_getdents)"
    fi
  done
}
fix_headers

# ---- newlib again, "nano" (small printf/scanf, as Espressif's toolchains ship it): ESP-IDF links
# with --specs=nano.specs when CONFIG_LIBC_NEWLIB_NANO_FORMAT is on (MicroPython's sdkconfig.base
# turns it on), which wants libc_nano.a, libm_nano.a, libg_nano.a, libgloss_nano.a and the
# nano newlib.h in include/newlib-nano ----
if ! step newlib-nano; then
  rm -rf "$WORK/newlib-nano" "$WORK/nano-prefix" && mkdir -p "$WORK/newlib-nano"
  NLFLAGS="-Os -ffunction-sections -fdata-sections -Wno-implicit-function-declaration -Wno-int-conversion -Wno-incompatible-pointer-types"
  [ -n "$CHIP" ] && NLFLAGS="$NLFLAGS -mlongcalls"
  run newlib-nano bash -c "cd '$WORK/newlib-nano' && CFLAGS_FOR_TARGET='$NLFLAGS' '$NL_S/configure' --target=$TARGET \
      --prefix='$WORK/nano-prefix' --disable-nls --disable-werror --disable-multilib \
      --disable-newlib-supplied-syscalls --enable-newlib-reent-small --enable-newlib-retargetable-locking \
      --disable-newlib-io-c99-formats --enable-newlib-nano-formatted-io --enable-newlib-nano-malloc \
      --disable-newlib-wide-orient --enable-target-optspace && make -j$JOBS && make install"
  for l in c m g gloss; do
    [ -e "$WORK/nano-prefix/$TARGET/lib/lib$l.a" ] || die "newlib-nano built no lib$l.a"
    cp "$WORK/nano-prefix/$TARGET/lib/lib$l.a" "$PREFIX/$TARGET/lib/lib${l}_nano.a"
  done
  mkdir -p "$PREFIX/$TARGET/include/newlib-nano"
  cp "$WORK/nano-prefix/$TARGET/include/newlib.h" "$PREFIX/$TARGET/include/newlib-nano/newlib.h"
  done_step newlib-nano
fi

# ---- libstdc++ (ESP-IDF always builds its cxx component) ----
if ! step libstdcxx; then
  run libstdcxx bash -c "cd '$WORK/gcc' && make -j$JOBS $TFLAGS all-target-libstdc++-v3 && make $TFLAGS install-target-libstdc++-v3"
  done_step libstdcxx
fi

# Upstream GCC links Xtensa programs against the Xtensa simulator's board support
# (LIB_SPEC "-lc -lsim -lc -lhandlers-sim -lhal"); ESP-IDF links its own, as Espressif's GCC
# expects: a specs file next to the compiler (read at every run) makes it plain -lc.
if [ -n "$CHIP" ]; then
  SPECS=$PREFIX/lib/gcc/$TARGET/$(cat "$GCC_S/gcc/BASE-VER")/specs
  if [ ! -e "$SPECS" ]; then
    "$TARGET-gcc" -dumpspecs | awk 'p {print "-lc"; p=0; next} /^\*lib:$/ {p=1} {print}' >"$SPECS.tmp"
    grep -A1 '^\*lib:$' "$SPECS.tmp" | grep -qx -- '-lc' || die "could not write the library spec into $SPECS"
    mv "$SPECS.tmp" "$SPECS"
    say "gcc: specs file sets the library spec to -lc (no simulator BSP)"
  fi
fi

# ---- a check that C and C++ compile and link against newlib ----
T=$WORK/check && mkdir -p "$T"
printf '#include <stdio.h>\n#include <string.h>\nint main(void){char b[16]; snprintf(b, sizeof b, "%%d", 42); return (int)strlen(b);}\n' >"$T/t.c"
printf '#include <vector>\nint main(){std::vector<int> v{1,2,3}; return (int)v.size();}\n' >"$T/t.cpp"
XF=; [ -n "$CHIP" ] && XF=-mlongcalls
"$TARGET-gcc" $XF -Os -c "$T/t.c" -o "$T/t.o" || die "C compile check failed"
"$TARGET-g++" $XF -Os -fno-exceptions -c "$T/t.cpp" -o "$T/tpp.o" || die "C++ compile check failed"
"$TARGET-gcc" $XF -Os "$T/t.c" -o "$T/t.elf" -nostartfiles -Wl,-e,main -Wl,--unresolved-symbols=ignore-all \
  || die "link against newlib failed"
say "ready: $PREFIX/bin ($("$TARGET-gcc" --version | head -n 1)); total $(( $(date +%s) - T0 ))s"
echo "export PATH=$PREFIX/bin:\$PATH"

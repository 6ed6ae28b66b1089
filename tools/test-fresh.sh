#!/bin/sh
# `make test-fresh`: README's set-up and `make test` in a fresh minimal Debian bookworm root,
# as a newcomer on `debian:bookworm` with `git make python3 python3-venv` would run them.
# The root is made with `mmdebstrap --variant=minbase` from this machine's apt sources; the
# machine's apt options (not its hooks), CA bundle, pip and npm settings are carried in; the
# committed HEAD of this checkout is cloned into it. The root is entered with
# `unshare --mount` + `pivot_root`, not chroot: tests that `nsenter -m` into another
# process's mount namespace would land in the machine's root from inside a chroot.
# SIGINT is reset to its default for `make test` (a background job of a non-interactive
# shell starts with it ignored, and every child would inherit that).
# Needs root and mmdebstrap (apt-get install mmdebstrap). Env: FRESH_DIR (default
# /var/tmp/mdns-fresh-PID), KEEP=1 keeps the root, FRESH_TARGET (default: test),
# FRESH_LOG (default build/test-fresh.log).
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
DIR=${FRESH_DIR:-/var/tmp/mdns-fresh-$$}
TARGET=${FRESH_TARGET:-test}
ROOT=$DIR/root
LOG=${FRESH_LOG:-$TOP/build/test-fresh.log}
say() { echo "== test-fresh: $*"; }
die() { echo "test-fresh: $*" >&2; exit 2; }

[ "$(id -u)" = 0 ] || die "needs root (mmdebstrap, mount namespace, and make test's interop tier)"
command -v mmdebstrap >/dev/null 2>&1 || die "mmdebstrap not found: apt-get install mmdebstrap"
[ ! -e "$ROOT" ] || die "$ROOT exists: remove it or set FRESH_DIR"
mkdir -p "$DIR"
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf --one-file-system "$DIR"' EXIT

# apt options of this machine (e.g. snapshot mirrors need Check-Valid-Until "false");
# files with hooks (Post-Invoke ...) stay out: they would run against the wrong root
set --
for f in /etc/apt/apt.conf.d/*; do
  [ -f "$f" ] && [ -r "$f" ] && ! grep -q Invoke "$f" && set -- "$@" "--aptopt=$f"
done
say "mmdebstrap --variant=minbase bookworm -> $ROOT"
mmdebstrap --variant=minbase --include=git,make,python3,python3-venv "$@" bookworm "$ROOT" \
  > "$DIR/mmdebstrap.log" 2>&1 || { tail -30 "$DIR/mmdebstrap.log" >&2; die "mmdebstrap failed (log: $DIR/mmdebstrap.log)"; }

say "carrying in DNS, CA bundle, pip and npm settings"
for f in /etc/resolv.conf /etc/hosts /etc/ssl/certs/ca-certificates.crt /etc/pip.conf \
         /etc/npmrc /usr/etc/npmrc /root/.npmrc /root/.config/pip/pip.conf /root/.pip/pip.conf; do
  [ -f "$f" ] || continue
  mkdir -p "$ROOT$(dirname "$f")"
  cp -L "$f" "$ROOT$f"
done
# pip's variables (find-links folders are bind-mounted read-only below) and CA variables
ENVS=$(env | grep -E '^(PIP_[A-Z_]+|[A-Z_]*CA_(BUNDLE|CERTS?)[A-Z_]*|SSL_CERT_(FILE|DIR))=' | grep -v '[[:space:]]' || true)
LINKS=$(echo "$ENVS" | sed -n 's/^PIP_FIND_LINKS=//p' | tr ' ' '\n' | grep '^/' || true)

say "cloning $(git -C "$TOP" rev-parse --short HEAD) (committed HEAD) into /src"
git clone -q --no-checkout "$TOP" "$ROOT/src"
git -C "$ROOT/src" checkout -q --detach "$(git -C "$TOP" rev-parse HEAD)"

mkdir -p "$(dirname "$LOG")"
say "make $TARGET inside (unshare --mount, pivot_root; log: $LOG)"
# shellcheck disable=SC2016
unshare --mount --propagation private sh -eu -c '
  ROOT=$1; shift; LINKS=$1; shift
  mount --rbind "$ROOT" "$ROOT"
  mount -t proc proc "$ROOT/proc"
  mount --rbind /sys "$ROOT/sys"
  mount --rbind /dev "$ROOT/dev"
  mount -t tmpfs tmpfs "$ROOT/run"
  for d in $LINKS; do
    [ -d "$d" ] || continue
    mkdir -p "$ROOT$d"; mount --bind "$d" "$ROOT$d"; mount -o remount,bind,ro "$ROOT$d"
  done
  cd "$ROOT"; mkdir -p .oldroot; pivot_root . .oldroot
  cd /; umount -l /.oldroot; rmdir /.oldroot
  exec env -i "$@"
' sh "$ROOT" "$LINKS" HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  LANG=C.UTF-8 $ENVS \
  python3 -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.chdir("/src"); os.execvp(sys.argv[1], sys.argv[1:])' \
  make "$TARGET" > "$LOG" 2>&1 && rc=0 || rc=$?
grep -E '^== |FAILED|passed|failed' "$LOG" | tail -40
[ "$rc" = 0 ] || { tail -60 "$LOG" >&2; die "make $TARGET failed in the fresh root (exit $rc; log: $LOG; KEEP=1 keeps the root)"; }
say "passed: make $TARGET in a fresh Debian bookworm minbase root"

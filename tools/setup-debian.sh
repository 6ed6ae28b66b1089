#!/bin/sh
# Installs the Debian packages the test tiers need. As root it runs apt-get;
# otherwise it lists what is missing and how to install it, and fails.
# Every program the tests and build scripts call comes from one of these (or from
# README's base: git make python3 python3-venv): ip (iproute2), nsenter/unshare
# (util-linux), umount (mount), avahi-*, dbus-daemon, dig (bind9-dnsutils), getent
# with mdns4 (libnss-mdns), node/npm, gcc/clang, the cross compilers, qemu. No sysctl:
# the testbed writes /proc/sys. Not for make test: gcc-multilib (make unix UNIX_BITS=32),
# tshark (tools/capture-corpus), mmdebstrap (make test-fresh).
set -eu
PKGS="gcc make python3-venv python3-dev nodejs npm clang llvm libclang-rt-14-dev \
 gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf qemu-system-misc \
 gcc-xtensa-lx106 picolibc-xtensa-lx106-elf \
 iproute2 util-linux mount avahi-daemon avahi-utils dbus bind9-dnsutils libnss-mdns"
missing=""
for p in $PKGS; do
  # npm ships inside some nodejs builds (e.g. NodeSource's): a working command is enough.
  [ "$p" = npm ] && command -v npm >/dev/null 2>&1 && continue
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then
  echo "setup: installing Debian packages:$missing"
  # avahi/dbus must not start as services on this machine: tests start their own,
  # inside network namespaces only.
  had_policy=0; [ -e /usr/sbin/policy-rc.d ] && had_policy=1
  if [ $had_policy = 0 ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends $missing
else
  echo "setup: missing Debian packages:$missing" >&2
  echo "setup: install them with: sudo apt-get install$missing" >&2
  exit 1
fi

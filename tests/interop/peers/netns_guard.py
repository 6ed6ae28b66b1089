"""The testbed guard: refuse to open any socket outside the test's network namespace.

Every program that opens a real mDNS socket in the interop tests calls `guard(ns)` first
(`ns` from the command line or from $MDNS_TEST_NETNS). It compares the inode of
/run/netns/<ns> (the namespace the testbed created) with this process's own network
namespace. PID 1's namespace link is deliberately not used: it cannot be read on the CI machines,
so a guard built on it would let everything through (see docs: testbed notes).

Stdlib only, no sockets: safe to import and call anywhere (dry run: `python netns_guard.py NS`).
"""
import os
import sys

ENV = "MDNS_TEST_NETNS"


class NotInNamespace(RuntimeError):
    pass


def in_namespace(ns):
    """True when this process runs inside /run/netns/<ns>."""
    if not ns or "/" in ns:
        return False
    try:
        return os.stat("/run/netns/" + ns).st_ino == os.stat("/proc/self/ns/net").st_ino
    except OSError:
        return False


def guard(ns=None):
    """Raise NotInNamespace unless this process runs in test namespace `ns` (default $MDNS_TEST_NETNS)."""
    if ns is None:
        ns = os.environ.get(ENV)
    if not ns:
        raise NotInNamespace("refusing to open mDNS sockets: no test namespace given (%s unset)" % ENV)
    if not in_namespace(ns):
        raise NotInNamespace(
            "refusing to open mDNS sockets: this process is not inside test network namespace %r "
            "(/run/netns/%s is not /proc/self/ns/net); start it with `ip netns exec %s ...`" % (ns, ns, ns))
    return ns


def guard_or_exit(ns=None, code=3):
    """For scripts: print why and exit with `code` when outside the namespace."""
    try:
        return guard(ns)
    except NotInNamespace as e:
        sys.stderr.write("%s\n" % e)
        sys.stderr.flush()
        sys.exit(code)


if __name__ == "__main__":
    guard_or_exit(sys.argv[1] if len(sys.argv) > 1 else None)
    print("ok: inside %s" % (sys.argv[1] if len(sys.argv) > 1 else os.environ.get(ENV)))

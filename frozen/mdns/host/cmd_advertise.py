"""`python -m mdns advertise --host NAME [--service "Instance" _type._tcp PORT key=value ...]`:
claim NAME.local (and services) on one interface until interrupted; print the names claimed."""
import argparse
import signal
import sys

from mdns.host.cli import UsageError, port as _port, seconds


def add_arguments(p):
    p.add_argument("--host", required=True, metavar="NAME", help="host name to claim (NAME.local)")
    p.add_argument("--service", nargs="+", action="append", default=[],
                   metavar="ARG", help='"Instance" _type._tcp[,_subtype] PORT [key=value | key ...] (repeatable)')
    p.add_argument("--interface", action="append", metavar="ADDR",
                   help="local address to publish and join on (repeatable; default: the first interface's)")
    p.add_argument("--ifname", metavar="NAME", help="host interface to use when no --interface is given")
    fam = p.add_mutually_exclusive_group()
    fam.add_argument("-4", "--ipv4-only", action="store_true")
    fam.add_argument("-6", "--ipv6-only", action="store_true")
    p.add_argument("--timeout", type=seconds, default=None, metavar="S",
                   help="stop (with goodbyes) after S seconds instead of running until interrupted")


def parse_service(args):
    """Service from `"Instance" TYPE PORT [key=value | key ...]`; UsageError names the bad field."""
    from mdns import txt
    from mdns.service import Service

    if len(args) < 3:
        raise UsageError('--service: expected "Instance" TYPE PORT [key=value ...], got %r' % (args,))
    inst, type_, port = args[0], args[1], args[2]
    try:
        port = _port(port)
    except argparse.ArgumentTypeError as e:
        raise UsageError("--service %r: %s" % (inst, e))
    pairs = []
    for kv in args[3:]:
        k, eq, v = kv.partition("=")
        try:
            pairs.append((k, v.encode() if eq else None))
        except UnicodeError:  # argv bytes that are not UTF-8 arrive as surrogates
            raise UsageError("--service %r: txt key %r: the value is not UTF-8; give key=TEXT "
                             "(UTF-8) or a key alone" % (inst, k))
    try:
        txt.encode(pairs)  # names the bad key (RFC 6763 s6)
        return Service(inst, type_, port, txt=pairs or None)
    except ValueError as e:
        raise UsageError("--service %r: %s" % (inst, e))


def _say(*parts):
    print(" ".join(parts))
    sys.stdout.flush()


def run(args):
    from mdns.responder import Responder

    services = [parse_service(s) for s in args.service]

    def on_event(ev):
        if ev.kind == "claimed":
            _say("claimed", ev.what, ev.name)
        elif ev.kind == "renamed":
            _say("renamed", ev.what, ev.old, "->", ev.new)
        elif ev.kind == "conflict":
            _say("conflict", ev.what, ev.name, "(%s)" % ev.reason)

    def on_error(e):
        print("warning: %r" % (e,), file=sys.stderr)

    try:
        r = Responder(args.host, addrs=args.interface, services=services,
                      ipv4=not args.ipv6_only, ipv6=not args.ipv4_only, interface=args.ifname,
                      on_event=on_event, on_error=on_error)
        r.sockets()  # opens them now, so errors show before the loop (OSError: exit 1)
    except ValueError as e:
        raise UsageError(e)
    _say("addresses", *r.addrs)

    def stop(signum, frame):
        raise SystemExit(0)  # SIGTERM: goodbyes, then exit 0

    signal.signal(signal.SIGTERM, stop)
    try:
        if args.timeout is not None:
            r.run_until(lambda: False, int(args.timeout * 1000))
        else:
            while True:
                r.poll(-1)
    finally:
        r.close()
        _say("goodbye")
    return 0

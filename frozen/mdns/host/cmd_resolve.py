"""`python -m mdns resolve NAME.local|ADDRESS|"Instance._type._tcp.local" ... [--timeout S] [--json]`:
like `avahi-resolve`: NAME<TAB>ADDRESS per address, ADDRESS<TAB>NAME for a reverse
lookup, and a browse-style `=` line for a service instance. Exit status 1 when
anything did not resolve (and says so on stderr)."""
import json
import sys

from mdns.host import cmd_browse


def add_arguments(p):
    p.add_argument("names", nargs="+", metavar="NAME", help="host.local, an IP address, or Instance._type._tcp.local")
    cmd_browse.add_common(p, 3.0)


def _is_ip(s):
    from mdns import addr

    try:
        addr.aton(s)
        return True
    except ValueError:
        return False


def _is_service(s):
    from mdns import names

    try:
        labels = names.split(s)
    except ValueError:
        return False
    return len(labels) >= 4 and labels[-2].lower() in ("_tcp", "_udp")


def _check(name):
    # an address, or a name whose labels are valid (RFC 1035 s3.1: <= 63 bytes, not empty)
    if not _is_ip(name):
        from mdns import names

        names.to_wire(name)


def run(args):
    from mdns import resolve

    d = cmd_browse.open_checked(args, _check, *args.names)
    ms = int(args.timeout * 1000)
    failed = 0
    try:
        for name in args.names:
            try:
                if _is_ip(name):
                    got = resolve.resolve_address(name, ms, d)
                    out = {"address": name, "name": got}
                    line = got and "%s\t%s" % (name, got)
                elif _is_service(name):
                    got = resolve.resolve_service(name, None, ms, d)
                    out = dict(got or {}, event="resolved", name=name)
                    if got:
                        out["txt"] = dict((k, None if v is None else v.decode("utf-8", "replace"))
                                          for k, v in got["txt"].items())
                        line = ";".join(["=", got["instance"], got["type"], got["domain"], got["host"],
                                         ",".join(got["addresses"]), str(got["port"]),
                                         " ".join('"%s"' % t for t in cmd_browse.txt_text(got["txt"]))])
                    else:
                        line = None
                else:
                    got = resolve.resolve_host(name, ms, d, not args.ipv6_only, not args.ipv4_only)
                    out = {"name": name, "addresses": got}
                    line = "\n".join("%s\t%s" % (name, a) for a in got)
            except ValueError as e:
                print("error: %s: %s" % (name, e), file=sys.stderr)
                failed += 1
                continue
            if not got:
                print("Failed to resolve %s: no answer within %g s" % (name, args.timeout), file=sys.stderr)
                failed += 1
                continue
            print(json.dumps(out) if args.json else line)
            sys.stdout.flush()
    finally:
        d.flush()
        d.net.close()
    return 1 if failed else 0

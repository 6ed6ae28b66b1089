"""`python -m mdns browse _http._tcp [--timeout S] [--json]`: browse a DNS-SD service
type and print one line per event, like `avahi-browse -rp`:

    +;IFACE;INSTANCE;TYPE;DOMAIN;HOST;ADDR,ADDR;PORT;"k=v" "k2"     up (resolved)
    ~;...same fields...                                               changed
    -;...same fields...                                               down
    !;IFACE;INSTANCE;TYPE;DOMAIN;missing=SRV,TXT                     unresolved

`;` and `\\` inside a field are written as \\059 and \\092 (as avahi-browse does)."""
import json
import sys

from mdns.host.cli import UsageError, seconds

MARK = {"up": "+", "changed": "~", "down": "-", "unresolved": "!"}


def add_common(p, timeout_default):
    p.add_argument("--timeout", type=seconds, default=timeout_default, metavar="S",
                   help="stop after S seconds" + ("" if timeout_default is None else " (default %g)" % timeout_default))
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.add_argument("--interface", action="append", metavar="ADDR",
                   help="local address to join on (repeatable; default: the first interface's)")
    p.add_argument("--ifname", metavar="NAME", help="host interface to use when no --interface is given")
    fam = p.add_mutually_exclusive_group()
    fam.add_argument("-4", "--ipv4-only", action="store_true")
    fam.add_argument("-6", "--ipv6-only", action="store_true")


def add_arguments(p):
    p.add_argument("type", help="service type, e.g. _http._tcp (a subtype: _http._tcp,_printer)")
    add_common(p, None)
    p.add_argument("--resolve-timeout", type=seconds, default=5.0, metavar="S",
                   help="report an instance as unresolved after S seconds (default 5)")


def open_driver(args):
    """A sync driver on real sockets (tests replace this function)."""
    from mdns import net, sync
    from mdns.engine import Engine

    s = net.Sockets(args.interface, ipv4=not args.ipv6_only, ipv6=not args.ipv4_only,
                    interface=args.ifname, on_error=_warn)
    return sync.Driver(Engine(), s, on_error=_warn)


def _warn(e):
    print("warning: %r" % (e,), file=sys.stderr)


def _esc(s):
    return str(s).replace("\\", "\\092").replace(";", "\\059")


def txt_text(txt):
    out = []
    for k in txt or {}:
        v = txt[k]
        out.append(k if v is None else k + "=" + v.decode("utf-8", "replace"))
    return out


def event_dict(ev):
    d = {"event": ev.kind}
    for k in ("instance", "name", "type", "domain", "host", "port", "addresses", "interface",
              "changes", "reason", "missing"):
        if k in ev.fields:
            d[k] = ev.fields[k]
    t = ev.fields.get("txt")
    d["txt"] = None if t is None else dict((k, None if t[k] is None else t[k].decode("utf-8", "replace")) for k in t)
    return d


def event_line(ev):
    f = ev.fields
    head = [MARK.get(ev.kind, "?"), _esc(f.get("interface") or ""), _esc(f["instance"]), f["type"], f["domain"]]
    if ev.kind == "unresolved":
        return ";".join(head + ["missing=" + ",".join(f.get("missing", []))])
    txt = " ".join('"%s"' % t.replace('"', '\\"') for t in txt_text(f.get("txt")))
    return ";".join(head + [_esc(f.get("host") or ""), ",".join(f.get("addresses") or []),
                            str(f.get("port") or ""), _esc(txt)])


def say(args, ev):
    print(json.dumps(event_dict(ev)) if args.json else event_line(ev))
    sys.stdout.flush()


def check_type(t):
    from mdns import servicetype

    servicetype.parse(t)


def open_checked(args, check, *items):
    """Validate every item (UsageError: exit 2), then open the driver (OSError: exit 1)."""
    for x in items:
        try:
            check(x)
        except ValueError as e:
            raise UsageError("%s: %s" % (x, e))
    try:
        return open_driver(args)
    except ValueError as e:  # a bad --interface address
        raise UsageError(e)


def run_for(driver, seconds, stop=lambda: False):
    """Run the loop for `seconds` (None: until interrupted)."""
    if seconds is not None:
        driver.run_until(stop, int(seconds * 1000))
        return
    while not stop():
        driver.run_until(stop, 3600 * 1000)


def run(args):
    from mdns.browser import Browser

    d = open_checked(args, check_type, args.type)
    b = Browser(args.type, on_event=lambda ev: say(args, ev), driver=d,
                resolve_timeout_ms=int(args.resolve_timeout * 1000))
    try:
        d.tick()
        run_for(d, args.timeout)
    finally:
        b.close()
        d.flush()
        d.net.close()
    return 0

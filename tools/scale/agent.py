# One process inside one test namespace of the scale scenarios (issue 13): runs on
# CPython and on the MicroPython unix port alike (no argparse, no typing).
#
#   agent.py serve PREFIX COUNT TYPE [watch=IFACE] [secs=S] ADDR...
#       COUNT responders (host names PREFIX-0 ..) on one Engine, one socket pair and one
#       driver, each with one service "PREFIX k" of TYPE. watch=IFACE: act like a board
#       after a Wi-Fi reconnect: when IFACE's carrier comes back or its addresses change,
#       call Responder.rejoin(new addresses) (RFC 6762 s13).
#   agent.py browse TYPE EXPECT SECS [records=N bytes=N] ADDR...
#       Browser of TYPE for SECS seconds (or until EXPECT resolved instances and SECS/4).
#
# Prints one JSON object a line, each with "t" (wall clock, s): {"ev": "claimed"|"ready"|
# "rejoin"|"up"|"changed"|"down"|"unresolved"|"all"|"done", ...}.
# Sockets are opened by mdns.net, which checks MDNS_TEST_NETNS (the testbed guard) first.
import sys
import json
import time

import mdns.net as net
from mdns import sync
from mdns.engine import Engine
from mdns.service import Service


def now_s():
    return time.time_ns() / 1e9


def out(d):
    d["t"] = now_s()
    print(json.dumps(d))
    try:
        sys.stdout.flush()
    except AttributeError:
        pass


def opts(argv):
    kv = {}
    rest = []
    for a in argv:
        if "=" in a and not a[0].isdigit() and ":" not in a:
            k, v = a.split("=", 1)
            kv[k] = v
        else:
            rest.append(a)
    return kv, rest


def carrier(iface):
    try:
        with open("/sys/class/net/%s/carrier" % iface) as f:
            return f.read().strip() == "1"
    except (OSError, ValueError):
        return False  # admin down: reading carrier fails with EINVAL


def link_addrs(iface):
    try:
        return [i.ip for i in net.host_ifaces(iface)]
    except (OSError, ValueError):
        return []


def serve(prefix, count, stype, kv, addrs):
    from mdns.responder import Responder, ResponderPart

    left = [0]

    def on_event(ev):
        if ev.kind == "claimed" and ev.fields.get("what") == "service":
            left[0] -= 1
            out({"ev": "claimed", "name": ev.fields.get("name"), "left": left[0]})
        elif ev.kind in ("conflict", "renamed"):
            out({"ev": ev.kind, "name": ev.fields.get("name") or ev.fields.get("new")})

    def svc(k):
        return Service("%s %d" % (prefix, k), stype, 8000 + k, txt={"id": "%s-%d" % (prefix, k), "k": str(k)})

    left[0] = count
    def on_error(e):  # sending while the link is down: expected, said once a second at most
        if now_s() - said_err[0] > 1:
            said_err[0] = now_s()
            out({"ev": "error", "error": repr(e)})

    said_err = [0]
    r = Responder("%s-0" % prefix, addrs=addrs, on_event=on_event, on_error=on_error)
    r.add_service(svc(0))  # opens the sockets and starts the driver
    for k in range(1, count):
        p = ResponderPart(r.engine, "%s-%d" % (prefix, k), r.addrs, on_event=on_event)
        now = r.driver.clock()
        p.add_service(svc(k), now)
        p.start(now)
    r.driver.tick()
    watch = kv.get("watch")
    secs = float(kv.get("secs", "86400"))
    up = carrier(watch) if watch else True
    seen = list(r.addrs)
    said = False
    end = now_s() + secs
    while now_s() < end:
        r.poll(100)
        if not said and left[0] <= 0:
            said = True
            out({"ev": "ready", "addrs": r.addrs})
        if watch:
            c = carrier(watch)
            a = link_addrs(watch) if c else seen
            if c and (not up or a != seen):
                # the board's Wi-Fi-reconnect path: rejoin with the addresses it has now
                r.rejoin(a or None)
                out({"ev": "rejoin", "carrier_back": not up, "addrs": r.addrs})
                seen = a
            up = c
    r.close()
    out({"ev": "done"})


def browse(stype, expect, secs, kv, addrs):
    from mdns.browser import Browser
    from mdns import querier

    eng = Engine()
    s = net.Sockets(addrs or None)
    d = sync.Driver(eng, s)
    found = {}
    state = {"all": None}
    t0 = now_s()

    def on_event(ev):
        f = ev.fields
        d0 = {"ev": ev.kind, "instance": f.get("instance"), "addresses": f.get("addresses"),
              "host": f.get("host"), "port": f.get("port"), "reason": f.get("reason")}
        if ev.kind in ("up", "changed"):
            txt = f.get("txt") or {}
            ok = bool(f.get("host")) and bool(f.get("addresses")) and bool(f.get("port")) and "id" in txt
            d0["complete"] = ok
            if ok:
                found[f.get("instance")] = 1
        elif ev.kind == "down":
            found.pop(f.get("instance"), None)
        out(d0)
        if state["all"] is None and expect and len(found) >= expect:
            state["all"] = now_s() - t0
            out({"ev": "all", "n": len(found), "secs": state["all"]})

    kw = {}
    if "records" in kv:  # the cache bounds (default: the Browser's own)
        kw = {"max_records": int(kv["records"]), "max_bytes": int(kv["bytes"])}
    b = Browser(stype, on_event=on_event, driver=d, **kw)
    d.tick()
    end = t0 + secs
    while now_s() < end:
        d.poll(100)
    q = querier.of(eng)
    out({"ev": "done", "found": len(found), "all_secs": state["all"], "queries": q.queries_sent,
         "packets": q.packets_sent, "suppressed": q.suppressed})
    b.close()
    d.flush()
    s.close()


def main(argv):
    kv, rest = opts(argv[1:])
    if not rest:
        raise SystemExit("usage: agent.py serve|browse ...")
    if rest[0] == "serve":
        serve(rest[1], int(rest[2]), rest[3], kv, rest[4:])
    elif rest[0] == "browse":
        browse(rest[1], int(rest[2]), float(rest[3]), kv, rest[4:])
    else:
        raise SystemExit("agent.py: unknown mode %r" % rest[0])


main(sys.argv)

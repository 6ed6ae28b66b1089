# Our processes in the scale scenarios (issue 13), on CPython and on the MicroPython unix
# port alike (no f-strings, no CPython-only modules): run inside a testbed namespace.
#   roles.py browse TYPE ADDR SECONDS [MAX_RECORDS MAX_BYTES]
#   roles.py respond HOST ADDR SECONDS [INSTANCE TYPE]...
#   roles.py resolve HOST INSTANCE TYPE SECONDS
#   roles.py churn INDEX SEED T0 SECONDS ADDR P      (one of the soak's 50 hosts, CPython)
# Lines out (tools/scale/common.parse_role): "M t_ms heap free extra..." once a second
# (heap: gc.mem_alloc() bytes on MicroPython, sys.getallocatedblocks() on CPython, both
# after gc.collect()), "E kind name" per event, "R what 0|1" per resolution,
# "S {json}" (final stats), "C {json}" (a churn action).
import gc
import sys
import time

MPY = sys.implementation.name == "micropython"
if MPY:
    def ms():
        return time.ticks_ms()

    def since(t0):
        return time.ticks_diff(time.ticks_ms(), t0)

    def heap():
        gc.collect()
        return gc.mem_alloc(), gc.mem_free()
else:
    def ms():
        return int(time.monotonic() * 1000)

    def since(t0):
        return ms() - t0

    def heap():
        gc.collect()
        return sys.getallocatedblocks(), 0

from mdns.browser import Browser  # noqa: E402
from mdns.responder import Responder  # noqa: E402
from mdns.service import Service  # noqa: E402


def out(s):
    print(s)
    if not MPY:
        sys.stdout.flush()


def sample(t, extra):
    h, f = heap()
    out("M %d %d %d %s" % (t, h, f, " ".join([str(x) for x in extra])))


def loop(obj, seconds, extra, step=None):
    # poll the object; a memory sample every second; step(t) between polls if given
    t0 = ms()
    nxt = 0
    while True:
        t = since(t0)
        if t >= seconds * 1000:
            return
        if t >= nxt:
            sample(t, extra())
            nxt += 1000
        if step is not None:
            step(t)
        obj.poll(max(0, min(nxt - t, 200)))


def ev(e):
    out("E %s %s" % (e.kind, e.fields.get("name")))


def browse(a):
    kw = {}
    if len(a) > 3:
        kw["max_records"] = int(a[3])
        kw["max_bytes"] = int(a[4])
    b = Browser(a[0], on_event=ev, addrs=[a[1]], **kw)

    def extra():
        c = b.cache
        return (len(c), c.bytes, c.evicted, len(b.instances()), b.engine.dropped, b.engine.malformed)

    with b:
        loop(b, int(a[2]), extra)
        for i in b.instances():
            out("E final %s" % i["name"])
    out("S " + stats(b.engine, extra()))


def stats(eng, extra):
    return '{"dropped": %d, "malformed": %d, "extra": [%s]}' % (
        eng.dropped, eng.malformed, ", ".join([str(x) for x in extra]))


def respond(a):
    svcs = []
    for i in range(3, len(a) - 1, 2):
        svcs.append(Service(a[i], a[i + 1], 8080, txt={"v": "1"}))
    r = Responder(a[0], addrs=[a[1]], services=svcs, on_event=ev, ipv6=False)

    def extra():
        return (r.engine.dropped, r.engine.malformed, r.driver.errors if r.driver else 0)

    with r:
        loop(r, int(a[2]), extra)
    out("S " + stats(r.engine, extra()))


def resolve(a):
    from mdns import resolve as rs
    host, inst, typ, secs = a[0], a[1], a[2], int(a[3])
    t0 = ms()
    nxt = 0
    n = [0, 0]
    while since(t0) < secs * 1000:
        t = since(t0)
        if t >= nxt:
            sample(t, (n[0], n[1]))
            nxt += 1000
        # each call opens and closes its own sockets: a leak shows in the fd count
        s = rs.resolve_service(inst, typ, 2000)
        ok = s is not None and s.get("port") == 8080
        out("R service %d" % ok)
        h = rs.resolve_host(host, 2000, ipv6=False)
        out("R host %d" % (len(h) > 0))
        n[0] += 1
        n[1] += (not ok) + (not h)
        time.sleep(1)
    out('S {"rounds": %d, "failed": %d}' % (n[0], n[1]))


def churn(a):
    # One of the soak's hosts: every second, with probability P, add a service, change
    # a TXT or remove one. A service lives >= 6 s and changes >= 3 s apart, so that a
    # browser sees every step (its up needs ~1 s of probing, its down 1 s after goodbye,
    # RFC 6762 s10.1). At the end every service left is removed: each up has its down.
    import json
    import random
    idx, seed, t_start, secs, addr, p = int(a[0]), int(a[1]), float(a[2]), int(a[3]), a[4], float(a[5])
    rng = random.Random(seed * 7919 + idx)
    r = Responder("soak-h%02d" % idx, addrs=[addr], ipv6=False)
    live = []  # [service, born second, last change second, txt version]
    made = [0]

    def log(op, s):
        out("C " + json.dumps({"op": op, "name": s.name, "t": time.time()}))

    with r:
        while time.time() < t_start:
            r.poll(100)
        for k in range(secs):
            while time.time() < t_start + k:
                r.poll(max(1, int((t_start + k - time.time()) * 1000)))
            if rng.random() >= p:
                continue
            ops = []
            if len(live) < 3:
                ops.append("add")
            if [x for x in live if k - x[2] >= 3]:
                ops.append("txt")
            if [x for x in live if k - x[1] >= 6 and k - x[2] >= 3]:
                ops.append("remove")
            op = rng.choice(ops)
            if op == "add":
                made[0] += 1
                s = Service("h%02d-%d" % (idx, made[0]), "_soak._tcp", 9000 + made[0] % 1000, txt={"v": "0"})
                r.add_service(s)
                live.append([s, k, k, 0])
            elif op == "txt":
                x = rng.choice([x for x in live if k - x[2] >= 3])
                x[3] += 1
                x[2] = k
                r.update_service(x[0], txt={"v": str(x[3]), "pad": "x" * rng.randrange(0, 100)})
                s = x[0]
            else:
                x = rng.choice([x for x in live if k - x[1] >= 6 and k - x[2] >= 3])
                live.remove(x)
                r.remove_service(x[0])
                s = x[0]
            log(op, s)
        end = time.time() + 3  # the last ones must be claimed before they leave
        while time.time() < end:
            r.poll(100)
        for x in live:
            r.remove_service(x[0])
            log("remove", x[0])
        end = time.time() + 1
        while time.time() < end:
            r.poll(100)
    out('S {"made": %d}' % made[0])


ROLES = {"browse": browse, "respond": respond, "resolve": resolve, "churn": churn}

if __name__ == "__main__":
    ROLES[sys.argv[1]](sys.argv[2:])

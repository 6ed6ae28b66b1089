"""Host-side mDNS for the fleet tools: the project's Browser of `_mpfleet._tcp`
(and, for `fleet upgrade`, a Responder that publishes the offers, sharing one
driver and one set of sockets). No DNS or socket code of its own."""
import time

from mdns.fleet import SERVICE_TYPE

COLUMNS = ("name", "address", "board", "chip", "fw", "mpy", "slot", "ota", "last_error")
# the device TXT keys a row carries (docs/fleet.md); a key the device lacks is ""
TXT_KEYS = ("fw", "board", "chip", "mpy", "slot", "ota", "app", "last_error", "offer", "progress", "nonce", "key",
            "took")
# A host lists whole fleets: the browser's default cache bounds (256 records,
# 32 KiB: a board's) held only ~60 devices of ~550 bytes and 4 records each, and
# evicted the rest (issue 13, 100 devices). Room for ~5,000 devices; a record
# costs memory only once it is cached.
CACHE_RECORDS = 25000
CACHE_BYTES = 3 * 1024 * 1024


def _s(v):
    if v is None:
        return ""
    return v.decode("utf-8", "replace") if isinstance(v, (bytes, bytearray)) else str(v)


def device_from_event(ev):
    t = ev.txt or {}
    d = {k: _s(t.get(k)) for k in TXT_KEYS}
    v4 = [a for a in (ev.addresses or []) if ":" not in a]
    d["name"] = ev.instance
    d["address"] = (v4 or list(ev.addresses or []) or [""])[0]
    d["addresses"] = list(ev.addresses or [])
    d["host"] = ev.host
    return d


class Fleet:
    """Devices seen on the network: name -> dict (COLUMNS + app, offer, addresses)."""

    def __init__(self, driver=None, interface=None, addrs=None, on_change=None):
        from mdns.browser import Browser

        self.devices = {}
        self.on_change = on_change
        self.browser = Browser(SERVICE_TYPE, on_event=self._event, driver=driver, interface=interface,
                               addrs=addrs, ipv6=False)
        c = self.browser.cache  # the engine's shared cache: maybe made before, smaller
        c.max_records = max(c.max_records, CACHE_RECORDS)
        c.max_bytes = max(c.max_bytes, CACHE_BYTES)

    def _event(self, ev):
        if ev.kind in ("up", "changed"):
            d = device_from_event(ev)
            self.devices[d["name"]] = d
            if self.on_change:
                self.on_change(d, ev.kind)
        elif ev.kind == "down":
            d = self.devices.pop(ev.instance, None)
            if d is not None and self.on_change:
                d = dict(d)
                d["gone"] = True
                self.on_change(d, "down")

    def run_for(self, seconds):
        end = time.monotonic() + seconds
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return
            self.browser.poll(int(min(left, 0.2) * 1000))

    def close(self):
        self.browser.close()


def table(rows, columns, headers=None):
    headers = headers or [c.upper().replace("_", " ") for c in columns]
    cells = [[str(r.get(c, "") if r.get(c) is not None else "") for c in columns] for r in rows]
    w = [len(h) for h in headers]
    for row in cells:
        for i, c in enumerate(row):
            w[i] = max(w[i], len(c))
    fmt = "  ".join("%%-%ds" % n for n in w)
    out = [(fmt % tuple(headers)).rstrip()]
    for row in cells:
        out.append((fmt % tuple(row)).rstrip())
    return "\n".join(out)

"""A python-zeroconf peer for the interop tests, driven by JSON lines on stdin.

Run only inside a test namespace (the testbed does: `ip netns exec NS python zc_peer.py
--ns NS --addr 10.77.0.2 --addr fd77:0::2`). It refuses to start, before any socket,
when it is not inside /run/netns/NS. It binds python-zeroconf to the given addresses
(never InterfaceChoice.All) and answers commands, one JSON object per line:

  {"id": 1, "op": "register", "name": "Kitchen", "type": "_http._tcp", "port": 80,
   "txt": {"k": "v", "flag": null}, "subtype": "_printer", "host": "zc.local",
   "addresses": ["10.77.0.2"], "allow_name_change": true}
  {"id": 2, "op": "update", ...same fields...}
  {"id": 3, "op": "unregister", "name": "Kitchen", "type": "_http._tcp"}
  {"id": 4, "op": "browse", "type": "_http._tcp"}      # events follow as they happen
  {"id": 5, "op": "resolve", "name": "Kitchen", "type": "_http._tcp", "timeout": 3}
  {"id": 6, "op": "resolve_host", "host": "avahi.local", "timeout": 3, "version": "all"}
  {"id": 7, "op": "quit"}                               # close(): goodbyes, then exit

Replies: {"reply": ID, "ok": true, ...} or {"reply": ID, "ok": false, "error": "..."}.
Events:  {"event": "ready"}, {"event": "added"|"updated"|"removed", "type": T, "name": N,
          "info": {...} or null} (info as for resolve), {"event": "closed"}.
TXT values: a dict of str -> str (value), "" (key=) or null (key only); `txt_list` keeps the
entries in wire order as strings.
"""
import argparse
import json
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import netns_guard  # noqa: E402

_out_lock = threading.Lock()


def emit(obj):
    with _out_lock:
        sys.stdout.write(json.dumps(obj) + "\n")
        sys.stdout.flush()


def fq_type(t):
    t = t.rstrip(".")
    if not t.endswith(".local"):
        t += ".local"
    return t + "."


def fq_name(name, t):
    return name + "." + fq_type(t)


def host_name(h):
    h = h.rstrip(".")
    if not h.endswith(".local"):
        h += ".local"
    return h + "."


def txt_bytes(txt):
    """dict (value None = key only) or list of 'k=v'/'k' strings -> the TXT record's bytes."""
    if txt is None:
        return b"\x00"
    items = []
    if isinstance(txt, dict):
        for k, v in txt.items():
            items.append(k if v is None else k + "=" + v)
    else:
        items = list(txt)
    out = b""
    for s in items:
        b = s.encode("utf-8") if isinstance(s, str) else bytes(s)
        out += bytes([len(b)]) + b
    return out or b"\x00"


def txt_decode(raw):
    entries, d = [], {}
    i = 0
    raw = raw or b""
    while i < len(raw):
        n = raw[i]
        e = raw[i + 1:i + 1 + n]
        i += 1 + n
        if not e:
            continue
        s = e.decode("utf-8", "backslashreplace")
        entries.append(s)
        if "=" in s:
            k, v = s.split("=", 1)
        else:
            k, v = s, None
        if k not in d:  # RFC 6763 s6.4: only the first occurrence counts
            d[k] = v
    return d, entries


def info_dict(info):
    from zeroconf import IPVersion
    d, entries = txt_decode(info.text)
    return {
        "name": info.name,
        "type": info.type,
        "server": info.server,
        "port": info.port,
        "addresses": info.parsed_addresses(IPVersion.All),
        "txt": d,
        "txt_list": entries,
        "priority": info.priority,
        "weight": info.weight,
        "host_ttl": info.host_ttl,
        "other_ttl": info.other_ttl,
    }


class Peer:
    def __init__(self, zc):
        self.zc = zc
        self.infos = {}
        self.browsers = []

    def _info(self, cmd):
        from zeroconf import ServiceInfo
        t = fq_type(cmd["type"])
        st = t
        if cmd.get("subtype"):
            st = cmd["subtype"].rstrip(".") + "._sub." + t
        addrs = cmd.get("addresses") or self.default_addrs
        kw = {}
        if cmd.get("host"):
            kw["server"] = host_name(cmd["host"])
        elif self.hostname:
            kw["server"] = self.hostname
        return ServiceInfo(st, fq_name(cmd["name"], t), port=int(cmd["port"]),
                           properties=txt_bytes(cmd.get("txt")), parsed_addresses=addrs,
                           host_ttl=cmd.get("host_ttl", 120), other_ttl=cmd.get("other_ttl", 4500), **kw)

    def op_register(self, cmd):
        info = self._info(cmd)
        self.zc.register_service(info, allow_name_change=bool(cmd.get("allow_name_change", True)))
        self.infos[(cmd["name"], fq_type(cmd["type"]))] = info
        return {"name": info.name, "server": info.server}

    def op_update(self, cmd):
        key = (cmd["name"], fq_type(cmd["type"]))
        old = self.infos[key]
        info = self._info(cmd)
        info.name = old.name  # keep the name that registration settled on
        self.zc.update_service(info)
        self.infos[key] = info
        return {"name": info.name}

    def op_unregister(self, cmd):
        info = self.infos.pop((cmd["name"], fq_type(cmd["type"])))
        self.zc.unregister_service(info)
        return {"name": info.name}

    def op_browse(self, cmd):
        from zeroconf import ServiceBrowser, ServiceStateChange
        names = {ServiceStateChange.Added: "added", ServiceStateChange.Updated: "updated",
                 ServiceStateChange.Removed: "removed"}
        timeout = int(float(cmd.get("timeout", 3)) * 1000)

        def resolve_later(kind, service_type, name):
            info = None
            if kind != "removed":
                info = self.zc.get_service_info(service_type, name, timeout=timeout)
            emit({"event": kind, "type": service_type, "name": name,
                  "info": info_dict(info) if info else None, "t": time.time()})

        def handler(zeroconf, service_type, name, state_change):
            # handlers must not block zeroconf's thread: resolve in a thread of our own
            threading.Thread(target=resolve_later, args=(names[state_change], service_type, name),
                             daemon=True).start()

        self.browsers.append(ServiceBrowser(self.zc, fq_type(cmd["type"]), handlers=[handler]))
        return {}

    def op_resolve(self, cmd):
        info = self.zc.get_service_info(fq_type(cmd["type"]), fq_name(cmd["name"], cmd["type"]),
                                        timeout=int(float(cmd.get("timeout", 3)) * 1000))
        return {"info": info_dict(info) if info else None}

    def op_resolve_host(self, cmd):
        from zeroconf import AddressResolver, AddressResolverIPv4, AddressResolverIPv6, IPVersion
        cls = {"all": AddressResolver, "4": AddressResolverIPv4, "6": AddressResolverIPv6}[str(cmd.get("version", "all"))]
        r = cls(host_name(cmd["host"]))
        ok = r.request(self.zc, int(float(cmd.get("timeout", 3)) * 1000))
        return {"addresses": r.parsed_addresses(IPVersion.All) if ok else []}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ns", default=os.environ.get(netns_guard.ENV), help="test network namespace")
    ap.add_argument("--addr", action="append", default=[], help="interface address to bind (repeat)")
    ap.add_argument("--hostname", help="host name for registered services (default: from the address)")
    ap.add_argument("--ipv4-only", action="store_true")
    ap.add_argument("--ipv6-only", action="store_true")
    args = ap.parse_args()
    netns_guard.guard_or_exit(args.ns)  # before any socket, before importing zeroconf
    if not args.addr:
        sys.exit("zc_peer: give at least one --addr (never InterfaceChoice.All)")

    from zeroconf import IPVersion, Zeroconf
    ipv = IPVersion.V4Only if args.ipv4_only else IPVersion.V6Only if args.ipv6_only else IPVersion.All
    zc = Zeroconf(interfaces=args.addr, ip_version=ipv)
    peer = Peer(zc)
    peer.default_addrs = args.addr
    peer.hostname = host_name(args.hostname) if args.hostname else None
    emit({"event": "ready", "addresses": args.addr, "pid": os.getpid()})
    try:
        for line in sys.stdin:
            line = line.strip()
            if not line:
                continue
            cmd = json.loads(line)
            if cmd.get("op") == "quit":
                break
            fn = getattr(peer, "op_" + str(cmd.get("op")), None)
            try:
                if fn is None:
                    raise ValueError("unknown op %r" % cmd.get("op"))
                res = fn(cmd)
                res.update({"reply": cmd.get("id"), "ok": True})
            except Exception as e:  # report and keep serving: the test decides
                res = {"reply": cmd.get("id"), "ok": False, "error": "%s: %s" % (type(e).__name__, e)}
            emit(res)
    finally:
        for b in peer.browsers:
            b.cancel()
        zc.close()  # unregisters everything: goodbyes with TTL 0
        emit({"event": "closed"})


if __name__ == "__main__":
    main()

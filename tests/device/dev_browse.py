# The board as a client: resolve the host's name, browse the host's test service.
ip = wifi()
h0 = heap()
resolve_host = api("resolve_host")
Browser = api("Browser")
t0 = time.ticks_ms()
addrs = resolve_host(CFG["host"], 5000)
resolve_ms = time.ticks_diff(time.ticks_ms(), t0)
seen = []


def on_event(ev):
    if ev.kind == "up":
        seen.append({"instance": ev.instance, "host": ev.host, "port": ev.port,
                     "addresses": ev.addresses, "txt": dict((k, None if v is None else v.decode()) for k, v in ev.txt.items())})


b = Browser(CFG["type"], on_event=on_event)
t0 = time.ticks_ms()
b.run_until(lambda: any(s["instance"] == CFG["instance"] for s in seen), 10000)
browse_ms = time.ticks_diff(time.ticks_ms(), t0)
b.close()
report("browse", ip=ip, addresses=addrs, resolve_ms=resolve_ms, up=seen, browse_ms=browse_ms,
       heap_free_before=h0, heap_free_after=heap())

"""Not a test module: code a user writes, type-checked by mypy --strict against the
stubs in tests/py/test_stubs.py. A stub that drifts from the documented API breaks it."""
import asyncio
from typing import List, Optional

import mdns
from mdns import fleet


def advertise() -> str:
    r = mdns.Responder("kitchen-cam", addrs=["10.0.0.5"])
    svc = r.add_service(mdns.Service("Kitchen Cam", "_http._tcp", 80, txt={"path": "/"}))
    r.update_service(svc, txt={"path": "/v2"}, port=8080)
    ok: bool = r.wait_claimed(5000)
    r.close()
    return r.hostname + svc.instance + str(ok)


def browse() -> List[str]:
    seen: List[str] = []

    def on(ev: mdns.Event) -> None:
        seen.append("%s %s" % (ev.kind, ev.instance))

    b = mdns.Browser(mdns.tcp("http", "printer"), on_event=on)
    b.poll(100)
    every = mdns.AllBrowser(on_event=on, driver=b.driver)
    every.close()
    b.close()
    return seen


def resolve() -> Optional[str]:
    addrs: List[str] = mdns.resolve_host("printer.local", 3000, ipv6=False)
    info = mdns.resolve_service("Kitchen Cam", "_http._tcp", txt=False, addresses=False)
    port: int = info["port"] if info else 0
    types: List[str] = mdns.service_types(1000)
    return mdns.resolve_address(addrs[0]) if addrs and port and types else None


async def with_asyncio() -> None:
    async with mdns.Responder() as r:
        await asyncio.sleep(1)
        print(r.claimed)
    async with mdns.Browser("_http._tcp") as b:
        async for ev in b.events():
            print(ev.kind)
    await mdns.resolve_host_async("printer.local")


def device() -> None:
    wdt = fleet.guard()
    agent = fleet.advertise(mdns.Responder("kitchen-1"), wdt=wdt)
    agent.tick()


def wrong() -> None:
    mdns.Service("Kitchen Cam", "_http._tcp", "80")  # type: ignore[arg-type]  # port is an int

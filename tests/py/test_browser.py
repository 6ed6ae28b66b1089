"""mdns.browser: instances from PTR, resolution from SRV/TXT/A/AAAA in any order,
up/changed/down/unresolved once per change, peers that behave like the ones in
/work/shared/notes/interop.md. Injected clock, simulated link."""
import asyncio

from browse_fakes import PEER, Peer, Sim, hi, lo, query, response
from mdns import browser as mb
from mdns import wire
from mdns.wire import Question, Record, TYPE_A, TYPE_AAAA, TYPE_PTR, TYPE_SRV, TYPE_TXT

SVC = "_http._tcp.local"


def browse(sim, stype="_http._tcp", **kw):
    got = []
    b = mb.BrowserPart(sim.eng, stype, on_event=got.append, **kw)
    return b, got


def kinds(got):
    return [e.kind for e in got]


def asked(sim):
    out = []
    for t, m, d, dest in sim.queries():
        for q in m.questions:
            out.append((q.name, wire.type_name(q.type)))
    return out


def test_avahi_like_peer_one_up_with_everything():
    sim = Sim()
    sim.peers.append(Peer(txt={"path": b"/x", "flag": None}))
    b, got = browse(sim)
    sim.advance(3000)
    assert kinds(got) == ["up"]
    e = got[0]
    assert (e.instance, e.type, e.domain, e.host, e.port) == ("Kitchen Cam", "_http._tcp", "local", "cam.local", 80)
    assert e.name == "Kitchen Cam._http._tcp.local"
    assert e.addresses == ["10.0.0.2", "fd77::2"]
    assert e.txt == {"path": b"/x", "flag": None}
    assert asked(sim)[0] == (SVC, "PTR")
    # nothing else was needed: only the PTR browse was asked
    assert set(asked(sim)) == {(SVC, "PTR")}
    assert kinds(sim.events) == ["up"]  # also emitted on the engine
    assert b.instances()[0]["port"] == 80


def test_mdnsd_like_peer_everything_in_answers_no_flush_bit():
    sim = Sim()
    sim.peers.append(Peer(mode="answers", flush=False, ptr_ttl=120))
    b, got = browse(sim)
    sim.advance(3000)
    assert kinds(got) == ["up"] and got[0].port == 80


def test_bare_peer_browser_asks_for_srv_txt_and_addresses():
    # hashicorp/mquery style: only what was asked, no additionals
    sim = Sim()
    sim.peers.append(Peer(mode="bare", flush=False))
    b, got = browse(sim)
    sim.advance(3000)
    assert kinds(got) == ["up"]
    assert got[0].addresses == ["10.0.0.2", "fd77::2"]
    a = asked(sim)
    inst = "Kitchen Cam._http._tcp.local"
    for q in ((inst, "SRV"), (inst, "TXT"), ("cam.local", "A"), ("cam.local", "AAAA")):
        assert q in a
    # SRV and TXT asked together in one packet
    both = [m for t, m, d, dest in sim.queries() if len(m.questions) == 2]
    assert both and {q.type for q in both[0].questions} == {TYPE_SRV, TYPE_TXT}
    # once resolved, nothing but the PTR browse keeps going
    n = len(asked(sim))
    sim.advance(60000)
    assert set(asked(sim)[n:]) == {(SVC, "PTR")}


def test_records_in_separate_packets_out_of_order():
    sim = Sim()
    p = Peer(flush=True)
    b, got = browse(sim)
    sim.advance(0)
    sim.feed(response([p.ptr()]))
    sim.feed(response([p.txt_rec()]))
    assert got == []
    sim.feed(response([p.srv()]))
    assert got == []
    sim.feed(response([p.addr_recs()[1]]))  # AAAA first: `up` waits 50 ms for an A
    assert got == []
    sim.advance(20)
    sim.feed(response([p.addr_recs()[0]]))
    assert kinds(got) == ["up"] and got[0].addresses == ["10.0.0.2", "fd77::2"]


def test_one_family_up_after_50_ms_then_changed_for_a_late_one():
    sim = Sim()
    p = Peer()
    b, got = browse(sim)
    sim.advance(0)
    sim.feed(response([p.ptr(), p.srv(), p.txt_rec(), p.addr_recs()[0]]))  # IPv4 only
    sim.advance(49)
    assert got == []
    sim.advance(1)
    assert kinds(got) == ["up"] and got[0].addresses == ["10.0.0.2"]
    sim.advance(1000)
    sim.feed(response([p.addr_recs()[1]]))  # JmDNS-style: an address on its own, later
    assert kinds(got) == ["up", "changed"] and got[1].changes == ["addresses"]


def test_one_packet_reversed_order_single_up():
    sim = Sim()
    p = Peer()
    b, got = browse(sim)
    sim.advance(0)
    sim.feed(response(list(reversed(p.all()))))
    assert kinds(got) == ["up"] and got[0].addresses == ["10.0.0.2", "fd77::2"]


def test_same_announcement_again_is_not_an_event():
    sim = Sim()
    p = Peer()
    b, got = browse(sim)
    sim.advance(0)
    for _ in range(3):
        sim.feed(p.announce())
        sim.advance(1500)
    assert kinds(got) == ["up"]


def test_unresolved_names_the_missing_parts_then_up_when_it_comes():
    sim = Sim()
    p = Peer()
    b, got = browse(sim)
    sim.advance(0)
    sim.feed(response([p.ptr()]))
    sim.advance(4999)
    assert got == []
    sim.advance(1)
    assert kinds(got) == ["unresolved"] and got[0].missing == ["SRV", "TXT"]
    assert got[0].port is None and got[0].instance == "Kitchen Cam"
    sim.feed(response([p.srv(), p.txt_rec()]))
    sim.advance(6000)
    assert kinds(got) == ["unresolved"]  # once per appearance
    sim.feed(response(p.addr_recs()))
    assert kinds(got) == ["unresolved", "up"] and got[1].port == 80


def test_unresolved_timeout_is_configurable():
    sim = Sim()
    p = Peer()
    b, got = browse(sim, resolve_timeout_ms=1000)
    sim.advance(0)
    sim.feed(response([p.ptr()]))
    sim.advance(1000)
    assert kinds(got) == ["unresolved"]


def test_txt_change_one_changed_event():
    sim = Sim()
    p = Peer()
    b, got = browse(sim)
    sim.advance(0)
    sim.feed(p.announce())
    p.txt = {"path": b"/new"}
    sim.advance(3000)
    sim.feed(response([p.txt_rec()]))
    sim.feed(response([p.txt_rec()]))
    sim.advance(5000)
    assert kinds(got) == ["up", "changed"]
    assert got[1].changes == ["txt"] and got[1].txt == {"path": b"/new"}


def test_txt_change_without_flush_bit_newest_wins():
    sim = Sim()
    p = Peer(flush=False)
    b, got = browse(sim)
    sim.advance(0)
    sim.feed(p.announce())
    p.txt = {"v": b"2"}
    sim.advance(3000)
    sim.feed(response([p.txt_rec()]))
    assert kinds(got) == ["up", "changed"] and got[1].txt == {"v": b"2"}


def test_port_and_host_changes():
    sim = Sim()
    p = Peer()
    b, got = browse(sim)
    sim.advance(0)
    sim.feed(p.announce())
    sim.advance(2000)
    p.port = 8080
    sim.feed(response([p.srv()]))
    sim.advance(2000)
    assert kinds(got) == ["up", "changed"] and got[1].changes == ["port"] and got[1].port == 8080
    p.host = "cam-2.local"
    p.addrs = ["10.0.0.3"]
    sim.feed(response([p.srv()], p.addr_recs()))
    sim.advance(2000)
    assert kinds(got) == ["up", "changed", "changed"]
    assert got[2].changes == ["host", "addresses"] and got[2].addresses == ["10.0.0.3"]


def test_address_change_with_flush_is_one_event():
    sim = Sim()
    p = Peer(addrs=["10.0.0.2"])
    b, got = browse(sim)
    sim.advance(0)
    sim.feed(p.announce())
    sim.advance(2000)
    p.addrs = ["10.0.0.9"]
    sim.feed(response(p.addr_recs()))
    sim.advance(3000)
    assert kinds(got) == ["up", "changed"] and got[1].addresses == ["10.0.0.9"]


def test_down_on_goodbye_after_one_second():
    sim = Sim()
    p = Peer()
    b, got = browse(sim)
    sim.advance(0)
    sim.feed(p.announce())
    sim.advance(1000)
    sim.feed(p.goodbye())
    sim.advance(999)
    assert kinds(got) == ["up"]
    sim.advance(1)
    assert kinds(got) == ["up", "down"]
    assert got[1].reason == "goodbye" and got[1].port == 80 and got[1].instance == "Kitchen Cam"
    sim.advance(10000)
    assert kinds(got) == ["up", "down"] and b.instances() == []


def test_goodbye_rescued_within_the_second_is_no_event():
    sim = Sim()
    p = Peer()
    b, got = browse(sim)
    sim.advance(0)
    sim.feed(p.announce())
    sim.feed(p.goodbye())
    sim.advance(500)
    sim.feed(p.announce())
    sim.advance(5000)
    assert kinds(got) == ["up"]


def test_down_at_ttl_expiry_of_a_silent_peer_after_refresh_queries():
    # a killed peer that never says goodbye; short TTLs
    sim = Sim()
    p = Peer(ttl=10, ptr_ttl=10)
    b, got = browse(sim)
    sim.advance(0)
    sim.feed(p.announce())
    p.mode = "silent"
    sim.advance(20000)
    assert kinds(got) == ["up", "down"]
    assert got[1].reason in ("expired", "poof")
    # refresh queries (80 %...) asked for the SRV and the PTR before it went
    a = asked(sim)
    assert ("Kitchen Cam._http._tcp.local", "SRV") in a


def test_down_by_poof_when_other_hosts_ask_and_nobody_answers():
    sim = Sim()
    p = Peer()  # TTLs 120 / 4500
    b, got = browse(sim)
    sim.advance(0)
    sim.feed(p.announce())
    sim.advance(1000)
    other = ("10.0.0.7", 5353)
    sim.feed(query([Question(SVC, TYPE_PTR)]), other)
    sim.feed(query([Question(p.inst, TYPE_SRV)]), other)
    sim.advance(2000)
    sim.feed(query([Question(SVC, TYPE_PTR)]), other)
    sim.feed(query([Question(p.inst, TYPE_SRV)]), other)
    sim.advance(9000)
    assert kinds(got) == ["up", "down"] and got[1].reason == "poof"


def test_down_when_srv_expires_then_up_again():
    sim = Sim()
    p = Peer(ttl=10, ptr_ttl=4500)
    b, got = browse(sim)
    sim.advance(0)
    sim.feed(p.announce())
    p.mode = "silent"
    sim.advance(11000)
    assert kinds(got) == ["up", "down"]
    p.mode = "all"
    sim.feed(p.announce())
    assert kinds(got) == ["up", "down", "up"]


def test_srv_target_with_spaces_and_ptr_ttls_120_to_28800():
    for ptr_ttl in (120, 3600, 28800):
        sim = Sim()
        p = Peer(host="Living Room.local", ptr_ttl=ptr_ttl, mode="answers", flush=False)
        sim.peers.append(p)
        b, got = browse(sim)
        sim.advance(3000)
        assert kinds(got) == ["up"] and got[0].host == "Living Room.local"


def test_unicast_reply_from_another_address_on_5353():
    sim = Sim()
    p = Peer(src=("10.0.0.99", 5353))
    sim.peers.append(p)
    b, got = browse(sim)
    sim.advance(3000)
    assert kinds(got) == ["up"]


def test_interface_from_the_driver_source():
    sim = Sim()
    p = Peer(src=("10.0.0.2", 5353, "veth0"))
    sim.peers.append(p)
    b, got = browse(sim)
    sim.advance(3000)
    assert got[0].interface == "veth0"


def test_several_instances_and_other_types_ignored():
    sim = Sim()
    a = Peer("A")
    c = Peer("C", stype="_ipp._tcp", host="printer.local")
    b, got = browse(sim)
    sim.advance(0)
    sim.feed(a.announce())
    sim.feed(Peer("B", port=81).announce())
    sim.feed(c.announce())
    assert sorted(e.instance for e in got) == ["A", "B"]


def test_subtype_browse():
    sim = Sim()
    b, got = browse(sim, "_http._tcp,_printer")
    sim.advance(1000)
    assert asked(sim)[0] == ("_printer._sub._http._tcp.local", "PTR")
    p = Peer()
    sim.feed(response([Record("_printer._sub._http._tcp.local", TYPE_PTR, p.inst, 4500)], p.all()[1:]))
    assert kinds(got) == ["up"] and got[0].type == "_http._tcp"


def test_bad_service_type_raises():
    import pytest

    with pytest.raises(ValueError):
        browse(Sim(), "http")


def test_close_withdraws_questions_and_interest():
    sim = Sim()
    sim.peers.append(Peer(mode="bare"))
    b, got = browse(sim)
    sim.advance(100)
    b.close()
    n = len(sim.queries())
    sim.advance(100000)
    q = b.q
    assert len(sim.queries()) == n and not q._qs and not q._clients and not b.cache.names()
    assert b.cache.listeners == []


def test_close_inside_a_callback():
    sim = Sim()
    sim.peers.append(Peer())
    holder = []

    def cb(ev):
        holder[0].close()

    b = mb.BrowserPart(sim.eng, "_http._tcp", on_event=cb)
    holder.append(b)
    sim.advance(3000)
    assert b.closed


def test_second_browser_on_the_same_engine_uses_the_cache():
    sim = Sim()
    sim.peers.append(Peer())
    b1, got1 = browse(sim)
    sim.advance(3000)
    n = len(sim.queries())
    b2, got2 = browse(sim)
    sim.advance(10)
    assert kinds(got2) == ["up"] and b1.q is b2.q
    # its PTR question is already being asked: no new first query
    assert len(sim.queries()) == n


def test_async_iterator_of_events():
    sim = Sim()
    p = Peer()
    b = mb.Browser("_http._tcp", engine=sim.eng)
    out = []

    async def reader():
        async for ev in b.events():
            out.append(ev.kind)

    async def main():
        t = asyncio.create_task(reader())
        await asyncio.sleep(0)
        sim.advance(0)
        sim.feed(p.announce())
        await asyncio.sleep(0)
        sim.feed(p.goodbye())
        sim.advance(1000)
        await asyncio.sleep(0)
        b.close()
        await asyncio.wait_for(t, 1)

    asyncio.run(main())
    assert out == ["up", "down"]


def test_async_iterator_drops_oldest_when_nobody_reads():
    from mdns import aio
    s = aio.Stream(maxlen=2)
    for i in range(5):
        s.put(i)
    assert s._q == [3, 4] and s.dropped == 3


def test_flood_of_other_services_keeps_cache_bounded_and_browser_working():
    sim = Sim()
    b, got = browse(sim, max_records=40, max_bytes=4000)
    sim.advance(0)
    for i in range(300):
        p = Peer("flood %d" % i, host="h%d.local" % i, addrs=["10.0.%d.%d" % (i // 200, i % 200 + 1)])
        sim.feed(p.announce())
        sim.advance(60)
        assert len(b.cache) <= 40 and b.cache.bytes <= 4000
    assert len([e for e in got if e.kind == "up"]) >= 1


def test_killed_host_goes_down_once_and_is_refreshed_by_shared_queries():
    # records of one packet share the refresh jitter (s5.2): A, AAAA and SRV (same TTL)
    # are asked in the same queries and go at the same moment (POOF), so there is one
    # `down`, without a `changed` for a half-gone address list first
    import random

    rng = random.Random(7)
    sim = Sim(rand=lambda a, b: rng.randint(a, b))
    p = Peer()  # TTL 120 (SRV, A, AAAA) and 4500 (PTR, TXT)
    b, got = browse(sim)
    sim.advance(0)
    sim.feed(p.announce())
    p.mode = "silent"
    sim.advance(130000)
    assert kinds(got) == ["up", "down"] and got[1].reason == "poof"
    assert got[1].addresses == ["10.0.0.2", "fd77::2"]
    refresh = [m for t, m, d, dest in sim.queries() if t > 90000]
    want = {(p.inst, TYPE_SRV), ("cam.local", TYPE_A), ("cam.local", TYPE_AAAA)}
    # 80 % and 85 %, everything due together; POOF ends it before 90 %
    assert [{(q.name, q.type) for q in m.questions} for m in refresh[:2]] == [want, want]
    assert not any(("cam.local", TYPE_A) in {(q.name, q.type) for q in m.questions} for m in refresh[2:])


def test_replies_read_in_one_round_make_one_up():
    # Avahi answers a QU sent on both families twice: over IPv6 with the AAAA only,
    # over IPv4 with everything. Read in the same driver round: one `up`, both addresses.
    sim = Sim()
    p = Peer()
    b, got = browse(sim)
    sim.advance(0)
    v6 = response([p.ptr()], [p.srv(), p.txt_rec(), p.addr_recs()[1]])
    v4 = response([p.ptr()], [p.srv(), p.txt_rec()] + p.addr_recs())
    sim.eng.feed(v6, ("fd77::2", 5353), sim.now)
    sim.eng.feed(v4, PEER, sim.now)
    assert got == []  # nothing before the round's tick
    sim.advance(0)
    assert kinds(got) == ["up"] and got[0].addresses == ["10.0.0.2", "fd77::2"]


def test_copies_over_both_families_keep_one_refresh_plan_so_a_killed_host_goes_down_once():
    # Avahi answers over IPv4 (everything) and, a few ms later, over IPv6 (SRV and the
    # AAAA again). Had the second copy drawn its own 0-2 % jitter, the A (first draw)
    # and the SRV/AAAA (second draw) would be refreshed up to 2.4 s apart, go by POOF
    # apart, and a killed host would give `changed` (A gone) before `down` (seen in
    # interop). A copy received within a second, before any refresh, is the same
    # reception: it keeps the record's refresh plan.
    jit = [0]
    sim = Sim(rand=lambda a, b: jit[0] if b == 2000 else a)
    p = Peer()
    b, got = browse(sim)
    sim.advance(0)
    sim.feed(response([p.ptr()], [p.srv(), p.txt_rec()] + p.addr_recs()))
    jit[0] = 2000
    sim.advance(5)
    sim.feed(response([p.ptr()], [p.srv(), p.txt_rec(), p.addr_recs()[1]]), ("fd77::2", 5353))
    assert kinds(got) == ["up"]
    sim.advance(130000)
    assert kinds(got) == ["up", "down"] and got[1].reason == "poof", [(e.kind, e.fields) for e in got]
    assert got[1].addresses == ["10.0.0.2", "fd77::2"]


def test_copy_after_a_refresh_query_restarts_the_ttl():
    # the answer to a refresh query is a new reception, however soon it comes
    # (TTL 1 s: the 80 % refresh is answered 0.8 s after the first reception)
    sim = Sim()
    p = Peer(ttl=1, ptr_ttl=1)
    sim.peers.append(p)
    b, got = browse(sim)
    sim.advance(3000)
    assert kinds(got) == ["up"]
    sim.advance(20000)
    assert kinds(got) == ["up"]


def test_interface_of_every_event_from_a_three_element_source():
    # the driver reports (ip, port, interface); up, changed and down carry it
    sim = Sim()
    src = ("10.0.0.2", 5353, "10.0.0.1")
    p = Peer(src=src)
    b, got = browse(sim)
    sim.advance(0)
    sim.feed(p.announce(), src)
    p.txt = {"v": b"2"}
    sim.advance(2000)
    sim.feed(p.announce(), src)
    sim.feed(p.goodbye(), src)
    sim.advance(2000)
    assert kinds(got) == ["up", "changed", "down"]
    assert [e.interface for e in got] == ["10.0.0.1"] * 3
    assert b.instances() == []


def _flood_service(i, host):
    n = "S%04d.%s" % (i, SVC)
    return [Record(SVC, TYPE_PTR, n, ttl=4500), Record(n, TYPE_SRV, (0, 0, 80, host), ttl=120, cache_flush=True),
            Record(n, TYPE_TXT, {"i": str(i)}, ttl=4500, cache_flush=True),
            Record(host, TYPE_A, "10.0.%d.%d" % (i // 250, i % 250 + 1), ttl=120, cache_flush=True)]


def test_flood_of_1000_services_keeps_the_watched_ones_and_the_loop_idle():
    """Issue 13 (scale, flood): 1,000 distinct services announced at once at a browser
    with 5 services up. Regressions: (1) the watched services' records expired soonest
    and were evicted by the newcomers (`down` x5); (2) an instance whose SRV was evicted
    while its one-family `up` settled kept a past up_at: deadline() stayed in the past
    and a driver spun at 100 % CPU."""
    sim = Sim()
    b, got = browse(sim, max_records=256, max_bytes=32768)
    for i in range(5):
        sim.feed(response(_flood_service(i, "w%d.local" % i)))
    sim.advance(2000)
    assert kinds(got) == ["up"] * 5
    for i in range(5, 1005):
        sim.feed(response(_flood_service(i, "h%d.local" % i)))
    sim.advance(5000)  # raises "a deadline that never clears" on a stuck deadline
    c = b.cache
    assert len(c) <= 256 and c.bytes <= 32768 and c.evicted >= 1000 - 256
    assert "down" not in kinds(got), [(e.kind, e.name) for e in got if e.kind == "down"]
    for i in range(5):
        n = "S%04d.%s" % (i, SVC)
        assert c.get(n, TYPE_SRV, sim.now) and c.get(n, TYPE_TXT, sim.now) and c.get("w%d.local" % i, TYPE_A, sim.now)
    d = sim.eng.next_deadline()
    assert d is None or d > sim.now
    # a watched service that leaves is let go: its down comes, its records are no longer held
    sim.feed(response([Record(SVC, TYPE_PTR, "S0000." + SVC, ttl=0)]))
    sim.advance(2000)
    assert kinds(got)[-1] == "down" and got[-1].name == "S0000." + SVC
    assert ("s0000." + SVC).encode() not in [k[0] for k in c._held]

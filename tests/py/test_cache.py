"""mdns.cache: TTL, goodbye (s10.1), cache-flush (s10.2), POOF (s10.5), refresh
points (s5.2), bounds and eviction. Injected clock; no sockets."""
from browse_fakes import PEER, hi, lo, response
from mdns import cache as mcache
from mdns import wire
from mdns.engine import Engine
from mdns.wire import Record, TYPE_A, TYPE_AAAA, TYPE_PTR, TYPE_SRV, TYPE_TXT


def mk(rand=lo, **kw):
    eng = Engine(rand=rand)
    c = mcache.of(eng, **kw)
    log = []
    c.listeners.append(lambda kind, rec, now: log.append((now, kind, rec)))
    return eng, c, log


def feed(c, recs, now, additionals=(), src=PEER):
    c.on_response(wire.decode(response(recs, additionals)), src, now)


def run(c, until, step=None):
    """Tick the cache at each of its deadlines up to `until`."""
    while True:
        d = c.deadline()
        if d is None or d > until:
            return
        c.tick(d)


def A(ip="10.0.0.2", ttl=120, flush=False, name="cam.local"):
    return Record(name, TYPE_A, ip, ttl, flush)


def kinds(log, kind):
    return [(t, r) for t, k, r in log if k == kind]


def test_add_get_and_expire_at_ttl():
    eng, c, log = mk()
    feed(c, [A(ttl=10)], 1000)
    assert [r.data for r in c.get("CAM.local", TYPE_A, 1000)] == ["10.0.0.2"]
    assert [k for t, k, r in log] == ["added", "batch"]
    assert c.deadline() == 11000
    c.tick(10999)
    assert len(c) == 1
    c.tick(11000)
    assert len(c) == 0 and kinds(log, "expired")[0][0] == 11000
    assert c.get("cam.local", TYPE_A, 11000) == []


def test_same_record_again_refreshes_ttl_without_added_event():
    eng, c, log = mk()
    feed(c, [A(ttl=10)], 0)
    feed(c, [A(ttl=10)], 5000)
    assert len(kinds(log, "added")) == 1
    assert c.deadline() == 15000


def test_goodbye_keeps_record_one_second_s10_1():
    eng, c, log = mk()
    feed(c, [A(ttl=120)], 0)
    feed(c, [A(ttl=0)], 5000)
    assert c.deadline() == 6000
    c.tick(5999)
    assert len(c) == 1
    c.tick(6000)
    assert len(c) == 0
    assert [k for t, k, r in log if k not in ("batch", "added")] == ["goodbye"]


def test_goodbye_for_unknown_record_is_ignored():
    eng, c, log = mk()
    feed(c, [A(ttl=0)], 0)
    assert len(c) == 0 and log == []


def test_reannounce_after_goodbye_keeps_it():
    eng, c, log = mk()
    feed(c, [A()], 0)
    feed(c, [A(ttl=0)], 1000)
    feed(c, [A()], 1500)
    run(c, 3000)
    assert len(c) == 1


def test_cache_flush_gives_older_records_one_second_s10_2():
    eng, c, log = mk()
    feed(c, [A("10.0.0.2", flush=True)], 0)
    feed(c, [A("10.0.0.9", flush=True)], 5000)  # the host moved
    assert sorted(r.data for r in c.get("cam.local", TYPE_A, 5000, flushed=True)) == ["10.0.0.2", "10.0.0.9"]
    assert [r.data for r in c.get("cam.local", TYPE_A, 5000)] == ["10.0.0.9"]
    c.tick(6000)
    assert [r.data for r in c.get("cam.local", TYPE_A, 6000)] == ["10.0.0.9"]
    assert [r.data for t, r in kinds(log, "flushed")] == ["10.0.0.2"]


def test_cache_flush_spares_records_received_within_the_last_second():
    eng, c, log = mk()
    # one response split over two packets 500 ms apart: both addresses stay
    feed(c, [A("10.0.0.2", flush=True)], 0)
    feed(c, [A("10.0.0.3", flush=True)], 500)
    run(c, 100000)
    assert sorted(r.data for r in c.get("cam.local", TYPE_A, 100000)) == ["10.0.0.2", "10.0.0.3"]


def test_cache_flush_spares_records_of_the_same_packet_and_other_types():
    eng, c, log = mk()
    feed(c, [A("10.0.0.2", flush=True), Record("cam.local", TYPE_AAAA, "fd77::2", 120, True)], 0)
    feed(c, [A("10.0.0.2", flush=True), A("10.0.0.3", flush=True)], 5000)
    run(c, 7000)
    assert sorted(r.data for r in c.get("cam.local", TYPE_A, 7000)) == ["10.0.0.2", "10.0.0.3"]
    assert len(c.get("cam.local", TYPE_AAAA, 7000)) == 1


def test_unique_records_without_flush_bit_accumulate():
    # hashicorp/bonjour-service never set the bit: nothing is flushed
    eng, c, log = mk()
    feed(c, [A("10.0.0.2")], 0)
    feed(c, [A("10.0.0.3")], 5000)
    run(c, 7000)
    assert len(c.get("cam.local", TYPE_A, 7000)) == 2


def test_responses_not_from_port_5353_are_ignored_s6():
    eng, c, log = mk()
    feed(c, [A()], 0, src=("10.0.0.2", 40000))
    assert len(c) == 0


def test_unicast_reply_to_5353_and_additionals_are_cached():
    eng, c, log = mk()
    feed(c, [Record("_http._tcp.local", TYPE_PTR, "x._http._tcp.local")], 0, additionals=[A()])
    assert len(c) == 2


def test_off_link_source_ignored_s11():
    eng, c, log = mk()
    eng.on_link = lambda src: src[0].startswith("10.")
    feed(c, [A()], 0, src=("192.168.9.9", 5353))
    assert len(c) == 0
    feed(c, [A()], 0)
    assert len(c) == 1


def refresh_log(c):
    got = []
    c.on_refresh = lambda qs, now: got.append((now, qs))
    return got


def test_refresh_at_80_85_90_95_percent_for_wanted_records_s5_2():
    eng, c, log = mk(rand=lo)
    got = refresh_log(c)
    c.want("cam.local", TYPE_A)
    feed(c, [A(ttl=100)], 0)
    run(c, 200000)
    assert [t for t, q in got] == [80000, 85000, 90000, 95000]
    assert got[0][1] == [("cam.local", TYPE_A)]
    assert kinds(log, "expired")[0][0] == 100000


def test_refresh_jitter_is_up_to_2_percent():
    seen = []

    def rand(a, b):
        seen.append((a, b))
        return b

    eng, c, log = mk(rand=rand)
    got = refresh_log(c)
    c.want("cam.local", TYPE_A)
    feed(c, [A(ttl=100)], 0)
    run(c, 200000)
    assert [t for t, q in got] == [82000, 87000, 92000, 97000]
    assert (0, 2000) in seen


def test_no_refresh_for_records_nobody_wants():
    eng, c, log = mk()
    got = refresh_log(c)
    feed(c, [A(ttl=100)], 0)
    run(c, 200000)
    assert got == []
    assert c.deadline() is None and len(c) == 0


def test_refresh_starts_over_when_the_record_is_received_again():
    eng, c, log = mk()
    got = refresh_log(c)
    c.want("cam.local", TYPE_A)
    feed(c, [A(ttl=100)], 0)
    run(c, 80000)
    feed(c, [A(ttl=100)], 80500)  # answered
    run(c, 170000)
    assert [t for t, q in got] == [80000, 160500, 165500]
    assert len(c) == 1


def test_known_answers_only_with_more_than_half_ttl_s7_1():
    eng, c, log = mk()
    feed(c, [A(ttl=100)], 0)
    ka = c.known_answers("cam.local", TYPE_A, 30000)
    assert len(ka) == 1 and ka[0].ttl == 70 and not ka[0].cache_flush
    assert c.known_answers("cam.local", TYPE_A, 50000) == []
    assert len(c.known_answers("cam.local", wire.TYPE_ANY, 10000)) == 1


def test_known_answer_keeps_received_txt_bytes():
    eng, c, log = mk()
    raw = Record("x._http._tcp.local", TYPE_TXT, {"a": b"1", "b": None}, 4500)
    feed(c, [raw], 0)
    ka = c.known_answers("x._http._tcp.local", TYPE_TXT, 1000)
    assert ka[0].rdata() == raw.rdata()


def test_poof_two_unanswered_queries_flush_after_ten_seconds_s10_5():
    eng, c, log = mk()
    feed(c, [A(ttl=120)], 0)
    c.observe_query("cam.local", TYPE_A, [], 1000)
    c.tick(11000)
    assert len(c) == 1  # one query alone is not enough
    c.observe_query("cam.local", TYPE_A, [], 12000)
    c.observe_query("cam.local", TYPE_A, [], 13000)
    assert c.deadline() == 22000
    c.tick(21999)
    assert len(c) == 1
    c.tick(22000)
    assert len(c) == 0 and len(kinds(log, "poof")) == 1


def test_poof_counts_a_query_seen_over_both_families_once():
    # one query of another host arrives over IPv4 and IPv6 (or two hosts ask at the
    # same moment): that is one unanswered question, not "two or more queries" (s10.5);
    # the next query of a series comes at least a second later (s5.2) and counts
    eng, c, log = mk()
    feed(c, [A(ttl=120)], 0)
    c.observe_query("cam.local", TYPE_A, [], 1000)
    c.observe_query("cam.local", TYPE_A, [], 1003)
    run(c, 20000)
    assert len(c) == 1
    c.observe_query("cam.local", TYPE_A, [], 21000)
    c.observe_query("cam.local", TYPE_A, [], 21990)
    run(c, 40000)
    assert len(c) == 1
    c.observe_query("cam.local", TYPE_A, [], 42000)
    c.observe_query("cam.local", TYPE_A, [], 43000)
    run(c, 52000)
    assert len(c) == 0 and [t for t, r in kinds(log, "poof")] == [52000]


def test_poof_reset_by_an_answer():
    eng, c, log = mk()
    feed(c, [A(ttl=120)], 0)
    c.observe_query("cam.local", TYPE_A, [], 1000)
    c.observe_query("cam.local", TYPE_A, [], 2000)
    feed(c, [A(ttl=120)], 3000)
    run(c, 20000)
    assert len(c) == 1


def test_poof_ignores_queries_that_list_the_record_as_known():
    eng, c, log = mk()
    feed(c, [A(ttl=120)], 0)
    k = A().key()
    c.observe_query("cam.local", TYPE_A, [k], 1000)
    c.observe_query("cam.local", TYPE_A, [k], 2000)
    run(c, 20000)
    assert len(c) == 1


def test_poof_applies_to_any_queries_too():
    eng, c, log = mk()
    feed(c, [A(ttl=120)], 0)
    c.observe_query("cam.local", wire.TYPE_ANY, [], 1000)
    c.observe_query("cam.local", wire.TYPE_ANY, [], 2000)
    run(c, 20000)
    assert len(c) == 0


def flood(c, n, now, ttl=120, start=0):
    for i in range(start, start + n):
        name = "flood%d.local" % i
        feed(c, [Record(name, TYPE_A, "10.1.%d.%d" % (i // 250 % 250, i % 250), ttl)], now)
        assert len(c) <= c.max_records and c.bytes <= c.max_bytes


def test_flood_never_grows_past_max_records():
    eng, c, log = mk(max_records=50, max_bytes=100000)
    flood(c, 3000, 0)
    assert len(c) == 50 and c.evicted >= 2950


def test_flood_never_grows_past_max_bytes():
    eng, c, log = mk(max_records=10000, max_bytes=2000)
    flood(c, 3000, 0)
    assert c.bytes <= 2000 and len(c) > 50
    # bytes are counted as owner name + rdata
    assert c.bytes == sum(len(k[0]) + len(k[3]) for k in c._e)


def test_flood_does_not_evict_wanted_records():
    eng, c, log = mk(max_records=20, max_bytes=100000)
    c.want("cam.local", TYPE_A)
    feed(c, [A(ttl=10)], 0)  # expires soonest, yet wanted
    flood(c, 500, 0, ttl=4500)
    assert c.get("cam.local", TYPE_A, 0)
    assert len(c) == 20


def test_eviction_takes_the_record_closest_to_expiry():
    eng, c, log = mk(max_records=3)
    feed(c, [A("10.0.0.1", ttl=100, name="a.local")], 0)
    feed(c, [A("10.0.0.2", ttl=10, name="b.local")], 0)
    feed(c, [A("10.0.0.3", ttl=50, name="c.local")], 0)
    feed(c, [A("10.0.0.4", ttl=60, name="d.local")], 0)
    assert [r.name for t, r in kinds(log, "evicted")] == ["b.local"]
    # a new record that would expire before all the others is not stored
    feed(c, [A("10.0.0.5", ttl=1, name="e.local")], 0)
    assert c.get("e.local", TYPE_A, 0) == [] and len(c) == 3


def test_when_everything_is_wanted_new_unwanted_record_is_refused():
    eng, c, log = mk(max_records=2)
    c.want("a.local", TYPE_A)
    c.want("b.local", TYPE_A)
    feed(c, [A(name="a.local"), A(name="b.local")], 0)
    feed(c, [A(name="z.local", ttl=4500)], 0)
    assert len(c) == 2 and not c.get("z.local", TYPE_A, 0)


def test_record_larger_than_max_bytes_refused():
    eng, c, log = mk(max_bytes=40)
    feed(c, [Record("big.local", TYPE_TXT, {"k": b"v" * 100}, 120)], 0)
    assert len(c) == 0 and c.bytes == 0


def test_bad_bounds_raise():
    import pytest

    with pytest.raises(ValueError):
        mcache.Cache(max_records=0)


def test_get_orders_by_arrival_newest_last():
    eng, c, log = mk()
    t1 = Record("x._http._tcp.local", TYPE_TXT, {"v": b"1"}, 4500)
    t2 = Record("x._http._tcp.local", TYPE_TXT, {"v": b"2"}, 4500)
    feed(c, [t1], 0)
    feed(c, [t2], 10)
    feed(c, [t1], 20)
    assert [r.data["v"] for r in c.get("x._http._tcp.local", TYPE_TXT, 30)] == [b"2", b"1"]


def test_want_adds_name_to_the_engine_table():
    eng, c, log = mk()
    assert c.names() == []
    c.want("Cam.local", TYPE_A)
    c.want("cam.local", TYPE_A)
    assert c.names() == [wire.names.to_wire("Cam.local")]
    c.unwant("cam.local", TYPE_A)
    assert len(c.names()) == 1
    c.unwant("cam.local", TYPE_A)
    assert c.names() == []


def test_engine_feed_reaches_cache_only_for_wanted_names():
    eng, c, log = mk()
    c.want("cam.local", TYPE_A)
    eng.feed(response([A(name="other.local")]), PEER, 0)
    assert len(c) == 0 and eng.dropped == 1
    eng.feed(response([A()], [A("10.9.9.9", name="other.local")]), PEER, 0)
    assert len(c) == 2


def test_refreshes_due_within_a_second_go_together():
    eng, c, log = mk()
    got = refresh_log(c)
    c.want("cam.local", TYPE_A)
    c.want("cam.local", TYPE_AAAA)
    feed(c, [A(ttl=100)], 0)
    feed(c, [Record("cam.local", TYPE_AAAA, "fd77::2", 100, True)], 700)  # a packet of its own
    run(c, 86000)
    assert [t for t, q in got] == [80000, 85000]
    assert sorted(got[0][1]) == [("cam.local", TYPE_A), ("cam.local", TYPE_AAAA)]


def test_cached_records_keep_nothing_of_the_reused_receive_buffer():
    # the sync driver feeds the engine a memoryview of its one receive buffer; what the
    # cache keeps (records, keys, known answers) must survive the next datagram
    from browse_fakes import Peer

    eng, c, log = mk()
    p = Peer()
    for n, t in ((p.stype, TYPE_PTR), (p.inst, TYPE_SRV), (p.inst, TYPE_TXT), ("cam.local", TYPE_A), ("cam.local", TYPE_AAAA)):
        c.want(n, t)
    data = response(p.all())
    buf = bytearray(1500)
    buf[:len(data)] = data
    eng.feed(memoryview(buf)[:len(data)], PEER, 0)

    def snap():
        recs = c.get("cam.local", wire.TYPE_ANY, 0) + c.get(p.inst, wire.TYPE_ANY, 0) + c.get(p.stype, TYPE_PTR, 0)
        ka = c.known_answers(p.inst, wire.TYPE_ANY, 0)
        return [(r.name, r.type, r.data, r.rdata()) for r in recs + ka], sorted(c._e)

    before = snap()
    assert len(before[0]) == 7
    buf[:] = b"\x41" * len(buf)
    assert snap() == before


def test_held_records_go_last_even_among_wanted_ones():
    """hold(): what a browser reported up outlives wanted newcomers that expire later
    (issue 13 flood: the watched services were the first to go)."""
    eng, c, log = mk(max_records=20, max_bytes=100000)
    c.want("cam.local", TYPE_A)
    c.hold((b"cam.local", TYPE_A))
    feed(c, [A(ttl=10)], 0)
    for i in range(150):  # wanted too, and expiring later
        c.want("flood%d.local" % i, TYPE_A)
    flood(c, 100, 0, ttl=4500)
    assert c.get("cam.local", TYPE_A, 0) and len(c) == 20
    c.unhold((b"cam.local", TYPE_A))
    assert not c._held
    flood(c, 50, 0, ttl=4500, start=100)  # no longer held: wanted, expiring first, it goes
    assert not c.get("cam.local", TYPE_A, 0)

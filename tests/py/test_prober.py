"""Probing (RFC 6762 s8.1), simultaneous-probe tiebreak (s8.2), renaming and the
conflict rate limit, against an injected clock."""
import pytest

from mdns import prober, wire
from test_responder_kit import Rig, Q, R, A, AAAA, ANY, SRV, TXT, PEER, svc


def probes(rig, name=None):
    out = []
    for t, dest, m, _ in rig.out:
        if not m.is_response and m.authorities:
            if name is None or m.questions[0].name == name:
                out.append((t, m))
    return out


def test_probe_timing_delay_spacing_qu_and_authority():
    rig = Rig(addrs=("10.0.0.5", "fd77::5"), pick={(0, 250): 137})
    rig.start()
    assert (0, 250) in rig.calls  # s8.1: random 0-250 ms start delay
    rig.run(136)
    assert rig.out == []  # nothing before the random delay
    rig.run(2000)
    ps = probes(rig)
    assert [t for t, _ in ps] == [137, 387, 637]  # three probes 250 ms apart
    for i, (t, m) in enumerate(ps):
        assert len(m.questions) == 1
        q = m.questions[0]
        assert (q.name, q.type) == ("kitchen-cam.local", ANY)
        assert q.unicast == (i == 0)  # QU on the first probe only
        assert sorted((r.type, r.data) for r in m.authorities) == [(A, "10.0.0.5"), (AAAA, "fd77::5")]
        assert m.answers == []
    # claimed 250 ms after the third probe, then announced at once
    anns = [t for t, d, m, _ in rig.out if m.is_response]
    assert anns[0] == 887
    assert rig.kinds()[0] == "claimed"


def test_records_not_answered_while_probing():
    rig = Rig()
    rig.start()
    rig.query(Q("kitchen-cam.local", A), at=100)
    assert [o for o in rig.out if o[2].is_response] == []


def test_conflicting_response_during_probe_renames_host():
    rig = Rig()
    rig.start()
    rig.run(260)  # first probe sent (0), second (250)
    rig.respond(R("kitchen-cam.local", A, "10.0.0.99", flush=True), at=300)
    kinds = rig.kinds()
    assert kinds[:2] == ["conflict", "renamed"]
    ev = rig.events[1]
    assert (ev.old, ev.new) == ("kitchen-cam.local", "kitchen-cam-2.local")
    assert rig.part.hostname == "kitchen-cam-2.local"
    rig.run(2000)
    ps = probes(rig, "kitchen-cam-2.local")
    assert len(ps) == 3 and ps[0][1].questions[0].unicast
    assert ps[0][0] >= 300
    assert rig.events[-1].kind == "claimed" and rig.events[-1].name == "kitchen-cam-2.local"


def test_response_with_any_type_for_probed_name_is_conflict():
    rig = Rig()
    rig.start()
    rig.respond(R("kitchen-cam.local", wire.TYPE_TXT, {"x": b"1"}, flush=True), at=10)
    assert rig.part.hostname == "kitchen-cam-2.local"


def test_identical_record_or_own_packet_is_not_conflict():
    rig = Rig()
    rig.start()
    rig.respond(R("kitchen-cam.local", A, "10.0.0.5", flush=True), at=10)  # same data
    rig.respond(R("kitchen-cam.local", A, "10.0.0.77", flush=True), src=("10.0.0.5", 5353), at=20)
    assert rig.part.hostname == "kitchen-cam.local"
    rig.eng.is_own = lambda src: src == ("10.0.0.6", 5353)  # the driver's own-packet check
    rig.respond(R("kitchen-cam.local", A, "10.0.0.77", flush=True), src=("10.0.0.6", 5353), at=30)
    assert rig.part.hostname == "kitchen-cam.local"
    rig.run(2000)
    assert "claimed" in rig.kinds()


def test_service_conflict_renames_instance():
    rig = Rig()
    s = svc()
    rig.start([s])
    rig.respond(R("Kitchen Cam._http._tcp.local", SRV, (0, 0, 8080, "other.local"), flush=True), at=100)
    assert s.instance == "Kitchen Cam (2)" and s.name == "Kitchen Cam (2)._http._tcp.local"
    rig.run(3000)
    claimed = [e for e in rig.events if e.kind == "claimed" and e.what == "service"]
    assert claimed[-1].name == "Kitchen Cam (2)._http._tcp.local" and s.claimed
    # the PTR now points at the new name
    rig.clear()
    rig.query(Q("_http._tcp.local", wire.TYPE_PTR), at=5000)
    rig.run(5200)
    ans = [r for o in rig.out for r in o[2].answers if r.type == wire.TYPE_PTR]
    assert ans[0].data == "Kitchen Cam (2)._http._tcp.local"


def test_rename_skips_names_our_other_services_hold():
    rig = Rig()
    s1, s2 = svc("Cam"), svc("Cam (2)", port=81)
    rig.start([s1, s2])
    rig.respond(R("Cam._http._tcp.local", SRV, (0, 0, 9, "other.local"), flush=True), at=100)
    assert s1.instance == "Cam (3)" and s2.instance == "Cam (2)"


def _probe_msg(name, recs):
    return wire.Message(questions=[Q(name, ANY, True)], authorities=recs)


def test_tiebreak_we_lose_wait_one_second_then_probe_again():
    rig = Rig()
    rig.start()
    rig.run(10)
    # their address is later than ours: we lose
    rig.feed(_probe_msg("kitchen-cam.local", [R("kitchen-cam.local", A, "10.0.0.200")]), at=100)
    assert rig.part.hostname == "kitchen-cam.local"
    rig.run(3000)
    ps = [t for t, m in probes(rig)]
    # first probe at 0, then nothing until 100 + 1000, then three probes again
    assert ps == [0, 1100, 1350, 1600]
    assert "claimed" in rig.kinds()


def test_tiebreak_we_win_keep_probing():
    rig = Rig(addrs=("10.0.0.200",))
    rig.start()
    rig.run(10)
    rig.feed(_probe_msg("kitchen-cam.local", [R("kitchen-cam.local", A, "10.0.0.5")]), at=100)
    rig.run(3000)
    assert [t for t, m in probes(rig)] == [0, 250, 500]
    assert rig.events[0].kind == "claimed" and rig.part.hostname == "kitchen-cam.local"


def test_tiebreak_identical_is_ignored():
    rig = Rig()
    rig.start()
    rig.run(10)
    rig.feed(_probe_msg("kitchen-cam.local", [R("kitchen-cam.local", A, "10.0.0.5")]), at=100)
    rig.run(3000)
    assert [t for t, m in probes(rig)] == [0, 250, 500]


def test_tiebreak_compare_rules():
    a = R("x.local", A, "10.0.0.1")
    b = R("x.local", A, "10.0.0.2")
    assert prober.tiebreak([a], [b]) == -1
    assert prober.tiebreak([b], [a]) == 1
    assert prober.tiebreak([a], [a]) == 0
    # sorted before comparing
    assert prober.tiebreak([b, a], [a, b]) == 0
    # type compares before rdata: AAAA (28) is later than A (1)
    c = R("x.local", AAAA, "::1")
    assert prober.tiebreak([c], [b]) == 1
    # class (without cache-flush bit) first
    d = wire.Record("x.local", A, "10.0.0.1", cls=3)
    assert prober.tiebreak([d], [b]) == 1
    # the list that runs out first loses
    assert prober.tiebreak([a], [a, b]) == -1
    assert prober.tiebreak([a, b], [a]) == 1


def test_rename_helpers():
    assert prober.next_host_label("kitchen-cam") == "kitchen-cam-2"
    assert prober.next_host_label("kitchen-cam-2") == "kitchen-cam-3"
    assert prober.next_host_label("kitchen-cam-09") == "kitchen-cam-09-2"
    assert prober.next_instance_label("Kitchen Cam") == "Kitchen Cam (2)"
    assert prober.next_instance_label("Kitchen Cam (9)") == "Kitchen Cam (10)"
    long = "é" * 31 + "x"  # 63 bytes
    n = prober.next_instance_label(long)
    assert len(n.encode()) <= 63 and n.endswith(" (2)")
    n.encode().decode()
    h = prober.next_host_label("a" * 63)
    assert len(h) == 63 and h.endswith("-2")


def test_conflict_rate_limit_15_in_10s_then_5s_between_attempts():
    rig = Rig()
    rig.start()
    starts = []
    t = 0
    for i in range(17):
        # wait for the first probe of the current name, then answer it
        rig.run(rig.eng.next_deadline())
        ps = probes(rig, rig.part.hostname)
        starts.append(ps[-1][0])
        t = rig.now + 10
        rig.respond(R(rig.part.hostname, A, "10.0.0.99", flush=True), at=t)
    gaps = [b - a for a, b in zip(starts, starts[1:])]
    assert all(g < 1000 for g in gaps[:14]), gaps
    assert all(g >= 5000 for g in gaps[14:]), gaps  # from the 15th conflict on
    assert rig.part.hostname == "kitchen-cam-18.local"


def test_limiter_backoff_ends_after_quiet_period():
    lim = prober.ConflictLimiter()
    for i in range(15):
        lim.note(i * 100)
    assert lim.delay(1500) == 5000
    lim.note(30000)
    assert lim.delay(30001) == 0

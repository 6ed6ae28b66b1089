"""Responder rules of RFC 6762 (announce s8.3, update s8.4, answer s6/s7, defend s9,
goodbye s10.1, legacy unicast s6.7, source check s11) with an injected clock."""
from mdns import wire
from mdns.responder import ResponderPart
from mdns.engine import Engine
from test_responder_kit import Rig, Q, R, A, AAAA, PTR, SRV, TXT, NSEC, ANY, PEER, svc, records

HOSTN = "kitchen-cam.local"


def responses(rig, since=0):
    return [o for o in rig.out if o[2].is_response and o[0] >= since]


# ---------------------------------------------------------------- announcing
def test_two_announcements_one_second_apart_with_cache_flush():
    rig = Rig(addrs=("10.0.0.5", "fd77::5"))
    rig.start()
    rig.run(5000)
    anns = responses(rig)
    assert [o[0] for o in anns] == [750, 1750]
    for t, dest, m, _ in anns:
        assert dest is None  # multicast
        assert m.flags & wire.FLAG_AA and m.id == 0
        got = set((r.name, r.type, r.data) for r in m.answers)
        assert got == {(HOSTN, A, "10.0.0.5"), (HOSTN, AAAA, "fd77::5"),
                       ("5.0.0.10.in-addr.arpa", PTR, HOSTN),
                       ("5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.7.7.d.f.ip6.arpa", PTR, HOSTN)}
        assert all(r.cache_flush for r in m.answers)  # all unique: s10.2
        assert all(r.ttl == 120 for r in m.answers)  # s10: host records 120 s


def test_announce_count_option():
    rig = Rig(announce_count=3)
    rig.start()
    rig.run(6000)
    assert [o[0] for o in responses(rig)] == [750, 1750, 2750]


def test_service_announcement_ttls_and_flags():
    rig = Rig()
    s = svc(subtypes=("printer",))
    rig.start([s])
    rig.run(1000)
    m = [o[2] for o in responses(rig) if any(r.type == SRV for r in o[2].answers)][0]
    by = dict(((r.name, r.type), r) for r in m.answers)
    inst = "Kitchen Cam._http._tcp.local"
    assert by[(inst, SRV)].data == (0, 0, 80, HOSTN) and by[(inst, SRV)].ttl == 120
    assert by[(inst, SRV)].cache_flush and by[(inst, TXT)].cache_flush
    assert by[(inst, TXT)].ttl == 4500
    for k in (("_http._tcp.local", PTR), ("_printer._sub._http._tcp.local", PTR),
              ("_services._dns-sd._udp.local", PTR)):
        assert by[k].ttl == 4500 and not by[k].cache_flush  # shared: no cache-flush
    assert by[("_services._dns-sd._udp.local", PTR)].data == "_http._tcp.local"
    # the host's addresses were announced an instant before (the service waits for its
    # host name, s8.3): again as additionals they would break the one-second rule (s6)
    t = [o[0] for o in responses(rig) if o[2] is m][0]
    assert m.additionals == []
    assert any(r.type == A for o in responses(rig) if o[0] == t for r in o[2].answers)


def test_txt_update_reannounces_without_probe():
    rig = Rig()
    s = svc()
    rig.claim([s])
    rig.part.update_service(s, rig.now, txt={"path": "/v2"})
    t0 = rig.now
    rig.run(t0 + 3000)
    assert not [o for o in rig.out if not o[2].is_response]  # no probe
    anns = [o for o in responses(rig) if any(r.type == TXT for r in o[2].answers)]
    assert [o[0] - t0 for o in anns] == [0, 1000]
    txt = [r for r in anns[0][2].answers if r.type == TXT][0]
    assert txt.rdata() == b"\x08path=/v2" and txt.cache_flush


def test_port_update_reannounces_srv():
    rig = Rig()
    s = svc()
    rig.claim([s])
    t0 = rig.now
    rig.part.update_service(s, t0, port=8080)
    rig.run(t0 + 3000)
    # s8.4: new rdata under a name we hold is announced again (twice, 1 s apart, with
    # cache-flush so the old SRV goes); the name is unchanged, so no new probe
    assert not [o for o in rig.out if not o[2].is_response]
    srv = [(o[0] - t0, r) for o in responses(rig) for r in o[2].answers if r.type == SRV]
    assert [(t, r.data[2], r.ttl, r.cache_flush) for t, r in srv] == [(0, 8080, 120, True), (1000, 8080, 120, True)]


def test_subtype_update_says_goodbye_to_removed_subtype():
    rig = Rig()
    s = svc(subtypes=("printer",))
    rig.claim([s])
    rig.part.update_service(s, rig.now, subtypes=("scanner",))
    rig.run(rig.now + 10)
    recs = [r for o in responses(rig) for r in o[2].answers]
    bye = [r for r in recs if r.ttl == 0]
    assert [(r.name, r.type) for r in bye] == [("_printer._sub._http._tcp.local", PTR)]
    assert any(r.name == "_scanner._sub._http._tcp.local" and r.ttl == 4500 for r in recs)


def test_new_address_announced_old_one_goodbye():
    rig = Rig()
    rig.claim()
    rig.part.set_addrs(["10.0.0.6"], rig.now)
    rig.run(rig.now + 1500)
    recs = [r for o in responses(rig) for r in o[2].answers]
    # the old reverse name says goodbye; the old A is flushed by the new one's cache-flush bit
    assert [(r.name, r.ttl) for r in recs if r.ttl == 0] == [("5.0.0.10.in-addr.arpa", 0)]
    assert all(r.cache_flush for r in recs if r.type == A)
    new = [o[0] for o in responses(rig) if any(r.type == A and r.data == "10.0.0.6" and r.ttl for r in o[2].answers)]
    assert len(new) == 2 and new[1] - new[0] == 1000


# ------------------------------------------------------------------ goodbye
def test_goodbye_on_stop_all_records_ttl0():
    rig = Rig()
    s = svc()
    rig.claim([s])
    rig.part.stop(rig.now)
    rig._collect()
    recs = [r for o in responses(rig) for r in o[2].answers]
    assert recs and all(r.ttl == 0 for r in recs)
    got = set((r.name, r.type) for r in recs)
    assert (HOSTN, A) in got and ("Kitchen Cam._http._tcp.local", SRV) in got
    assert ("_http._tcp.local", PTR) in got and ("_services._dns-sd._udp.local", PTR) in got
    # and we no longer answer
    rig.clear()
    rig.query(Q(HOSTN, A), at=rig.now + 2000)
    assert rig.out == []


def test_remove_service_goodbye_keeps_shared_meta_ptr():
    rig = Rig()
    s1, s2 = svc("One"), svc("Two")
    rig.claim([s1, s2])
    rig.part.remove_service(s1, rig.now)
    rig._collect()
    recs = [r for o in responses(rig) for r in o[2].answers]
    assert all(r.ttl == 0 for r in recs)
    assert set((r.name, r.type) for r in recs) == {("One._http._tcp.local", SRV), ("One._http._tcp.local", TXT),
                                                    ("_http._tcp.local", PTR)}
    rig.part.remove_service(s2, rig.now)
    rig._collect()
    assert any(r.name == "_services._dns-sd._udp.local" and r.ttl == 0
               for o in responses(rig) for r in o[2].answers)


def test_remove_service_before_claim_sends_nothing():
    rig = Rig()
    rig.claim()
    s = svc()
    rig.part.add_service(s, rig.now)
    rig.run(rig.now + 100)
    rig.clear()
    rig.part.remove_service(s, rig.now)
    rig.run(rig.now + 3000)
    assert rig.out == []


# ------------------------------------------------------- conflict after claim (s9)
def test_conflict_after_announce_reprobes_then_renames():
    rig = Rig()
    rig.claim()
    t0 = rig.now
    rig.respond(R(HOSTN, A, "10.0.0.99", flush=True), at=t0 + 10)
    assert rig.kinds() == ["conflict"]
    assert rig.part.hostname == HOSTN  # not renamed yet: probe first
    rig.run(t0 + 200)
    probes = [o for o in rig.out if not o[2].is_response]
    assert probes and probes[0][2].questions[0].name == HOSTN
    # the other host defends: now we rename
    rig.respond(R(HOSTN, A, "10.0.0.99", flush=True), at=t0 + 300)
    assert rig.part.hostname == "kitchen-cam-2.local"
    rig.run(t0 + 3000)
    assert rig.events[-1].kind == "claimed"


def test_service_conflict_after_announce_reprobes_then_renames_instance():
    rig = Rig()
    s = svc()
    rig.claim([s])
    inst = "Kitchen Cam._http._tcp.local"
    t0 = rig.now
    other = R(inst, SRV, (0, 0, 81, "other.local"), flush=True)
    rig.respond(other, at=t0 + 10)
    assert rig.kinds() == ["conflict"] and s.name == inst
    rig.run(t0 + 300)
    assert any(not o[2].is_response and o[2].questions[0].name == inst for o in rig.out)
    rig.respond(other, at=t0 + 400)  # defended: rename, and the old name says goodbye
    assert s.name == "Kitchen Cam (2)._http._tcp.local" and not s.claimed
    bye = [(r.name, r.type) for o in responses(rig) for r in o[2].answers if r.ttl == 0]
    assert (inst, SRV) in bye and ("_http._tcp.local", PTR) in bye
    rig.run(t0 + 4000)
    assert s.claimed and rig.events[-1].kind == "claimed" and rig.events[-1].name == s.name
    assert rig.part.hostname == HOSTN  # the host name is not involved


def test_conflict_after_announce_that_goes_away_keeps_name():
    rig = Rig()
    rig.claim()
    rig.respond(R(HOSTN, A, "10.0.0.99", flush=True), at=rig.now + 10)
    rig.run(rig.now + 3000)
    assert rig.part.hostname == HOSTN
    assert rig.part.host.live
    assert [e.kind for e in rig.events] == ["conflict"]  # no second "claimed"


def test_goodbye_from_other_host_is_not_a_conflict():
    rig = Rig()
    rig.claim()
    rig.respond(R(HOSTN, A, "10.0.0.99", ttl=0, flush=True), at=rig.now + 10)
    assert rig.events == []


# ------------------------------------------------------------------ answering
def test_unique_answer_immediately_with_other_family_additional():
    rig = Rig(addrs=("10.0.0.5", "fd77::5"))
    rig.claim()
    t = rig.now + 5000
    rig.query(Q(HOSTN, A), at=t)
    r = responses(rig)
    assert len(r) == 1 and r[0][0] == t and r[0][1] is None
    assert records(r[0][2]) == [(HOSTN, A)]
    assert records(r[0][2], "additionals") == [(HOSTN, AAAA)]


def test_nsec_for_missing_type_s6_1():
    rig = Rig()  # IPv4 only
    rig.claim()
    rig.query(Q(HOSTN, AAAA), at=rig.now + 5000)
    m = responses(rig)[0][2]
    assert len(m.answers) == 1 and m.answers[0].type == NSEC
    assert m.answers[0].data == (HOSTN, (A,)) and m.answers[0].cache_flush
    rig.clear()
    rig.query(Q(HOSTN, A), at=rig.now + 5000)
    m = responses(rig)[0][2]
    assert [(r.type, r.data) for r in m.additionals] == [(NSEC, (HOSTN, (A,)))]


def test_repeated_question_gets_no_nsec():
    rig = Rig()
    rig.claim()
    rig.query(Q(HOSTN, A), Q(HOSTN, A), at=rig.now + 5000)
    m = responses(rig)[0][2]
    assert [r.type for r in m.answers] == [A]


def test_any_question_gets_every_record_of_the_name():
    rig = Rig()
    s = svc()
    rig.claim([s])
    rig.query(Q("Kitchen Cam._http._tcp.local", ANY), at=rig.now + 5000)
    m = responses(rig)[0][2]
    assert sorted(r.type for r in m.answers) == [TXT, SRV]


def test_no_answer_for_names_not_ours():
    rig = Rig()
    rig.claim()
    rig.query(Q("other.local", A), at=rig.now + 5000)
    rig.run(rig.now + 500)
    assert rig.out == []


def test_shared_answer_delayed_20_120_ms_and_aggregated():
    rig = Rig(pick={(20, 120): 80})
    s = svc()
    rig.claim([s])
    t = rig.now + 5000
    rig.calls[:] = []
    rig.query(Q("_http._tcp.local", PTR), at=t)
    assert (20, 120) in rig.calls and rig.out == []
    rig.query(Q("_services._dns-sd._udp.local", PTR), src=("10.0.0.10", 5353), at=t + 30)
    rig.run(t + 79)
    assert rig.out == []
    rig.run(t + 200)
    r = responses(rig)
    assert len(r) == 1 and r[0][0] == t + 80  # one packet, the first query's delay
    assert set(records(r[0][2])) == {("_http._tcp.local", PTR), ("_services._dns-sd._udp.local", PTR)}


def test_ptr_answer_additionals_srv_txt_then_addresses():
    rig = Rig(addrs=("10.0.0.5", "fd77::5"))
    rig.claim([svc()])
    rig.query(Q("_http._tcp.local", PTR), at=rig.now + 5000)
    rig.run(rig.now + 200)
    m = responses(rig)[0][2]
    assert [r.type for r in m.additionals] == [SRV, TXT, A, AAAA]


def test_subtype_ptr_answered():
    rig = Rig()
    rig.claim([svc(subtypes=("printer",))])
    rig.query(Q("_printer._sub._http._tcp.local", PTR), at=rig.now + 5000)
    rig.run(rig.now + 200)
    m = responses(rig)[0][2]
    assert [(r.name, r.data) for r in m.answers] == [("_printer._sub._http._tcp.local", "Kitchen Cam._http._tcp.local")]


def test_rate_limit_one_second_per_record():
    rig = Rig()
    rig.claim()
    t = rig.now + 5000
    rig.query(Q(HOSTN, A), at=t)
    rig.query(Q(HOSTN, A), at=t + 500)
    rig.query(Q(HOSTN, A), at=t + 999)
    assert len(responses(rig)) == 1
    rig.query(Q(HOSTN, A), at=t + 1000)
    assert len(responses(rig)) == 2


def test_rate_limited_answer_is_sent_when_the_second_has_passed():
    # s6: a record asked for again within a second is delayed, not dropped.
    rig = Rig()
    rig.claim()
    t = rig.now + 5000
    rig.query(Q(HOSTN, A), at=t)
    rig.query(Q(HOSTN, A), at=t + 400)
    rig.query(Q(HOSTN, A), at=t + 600)  # joins the same delayed answer
    assert len(responses(rig)) == 1
    rig.run(t + 5000)
    r = responses(rig)
    assert [o[0] for o in r] == [t, t + 1000]  # once, exactly when the second has passed
    assert r[1][1] is None and records(r[1][2]) == [(HOSTN, A)]


def test_rate_limited_answer_cancelled_by_duplicate_answer_s7_4():
    rig = Rig()
    rig.claim()
    t = rig.now + 5000
    rig.query(Q(HOSTN, A), at=t)
    rig.query(Q(HOSTN, A), at=t + 400)
    rig.respond(R(HOSTN, A, "10.0.0.5", flush=True), src=("10.0.0.7", 5353), at=t + 700)
    rig.run(t + 5000)
    assert [o[0] for o in responses(rig)] == [t]


def test_rate_limited_answer_cancelled_by_known_answer_of_its_only_querier_s7_1():
    rig = Rig()
    rig.claim()
    t = rig.now + 5000
    b, c = ("10.0.0.10", 5353), ("10.0.0.11", 5353)
    ka = R(HOSTN, A, "10.0.0.5", ttl=120, flush=True)
    rig.query(Q(HOSTN, A), at=t)
    rig.query(Q(HOSTN, A), src=b, at=t + 400)  # delayed to t + 1000 for b
    rig.query(Q(HOSTN, A), src=c, answers=[ka], at=t + 500)  # c has it: says nothing about b
    rig.run(t + 3000)
    assert [o[0] for o in responses(rig)] == [t, t + 1000]
    rig.clear()
    t = rig.now + 5000
    rig.query(Q(HOSTN, A), at=t)
    rig.query(Q(HOSTN, A), src=b, at=t + 400)
    rig.query(Q(HOSTN, A), src=b, answers=[ka], at=t + 600)  # b got it meanwhile: nobody waits
    rig.run(t + 3000)
    assert [o[0] for o in responses(rig)] == [t]


def test_rate_limited_answer_not_repeated_after_announcement():
    # An announcement due before the delayed answer carries the record: nothing more.
    rig = Rig()
    rig.start()
    rig.run(750)  # first announcement at 750, second at 1750
    rig.query(Q(HOSTN, A), at=1200)
    rig.run(6000)
    assert [o[0] for o in responses(rig)] == [750, 1750]


def test_delayed_answer_with_old_data_is_dropped_by_an_update():
    rig = Rig()
    s = svc()
    rig.claim([s])
    inst = "Kitchen Cam._http._tcp.local"
    t = rig.now + 5000
    rig.query(Q(inst, TXT), at=t)
    rig.query(Q(inst, TXT), at=t + 400)  # delayed to t + 1000
    rig.run(t + 500)
    rig.part.update_service(s, rig.now, txt={"path": "/v2"})
    rig.run(t + 5000)
    txts = [(o[0], r.rdata()) for o in responses(rig) for r in o[2].answers if r.type == TXT]
    assert all(d == b"\x08path=/v2" for when, d in txts if when > t), txts


def test_rate_limit_also_after_announcement():
    rig = Rig()
    rig.start()
    rig.run(750)  # first announcement at 750
    rig.query(Q(HOSTN, A), at=1200)
    assert len(responses(rig)) == 1


def test_probe_defence_250ms_and_multicast():
    rig = Rig()
    rig.claim()
    t = rig.now + 5000
    rig.query(Q(HOSTN, A), at=t)
    probe = wire.Message(questions=[Q(HOSTN, ANY, qu=True)], authorities=[R(HOSTN, A, "10.0.0.99")])
    rig.feed(probe, at=t + 200)
    assert len(responses(rig)) == 1  # under 250 ms: not yet ...
    rig.run(t + 300)
    r = responses(rig)
    assert len(r) == 2 and r[1][0] == t + 250 and r[1][1] is None  # ... but at 250 ms, multicast
    assert records(r[1][2]) == [(HOSTN, A)]
    rig.feed(probe, at=t + 600)
    r = responses(rig)
    assert len(r) == 3 and r[2][0] == t + 600  # 350 ms after the last one: at once


def test_known_answer_suppression_s7_1():
    rig = Rig()
    rig.claim([svc()])
    t = rig.now + 5000
    ptr = R("_http._tcp.local", PTR, "Kitchen Cam._http._tcp.local", ttl=2250)
    rig.query(Q("_http._tcp.local", PTR), answers=[ptr], at=t)
    rig.run(t + 500)
    assert rig.out == []  # known with >= half our TTL
    ptr_low = R("_http._tcp.local", PTR, "Kitchen Cam._http._tcp.local", ttl=2249)
    rig.query(Q("_http._tcp.local", PTR), answers=[ptr_low], at=t + 600)
    rig.run(t + 800)
    assert len(responses(rig)) == 1


def test_truncated_known_answers_wait_400_500ms_s7_2():
    rig = Rig(pick={(400, 500): 450})
    rig.claim([svc()])
    t = rig.now + 5000
    rig.calls[:] = []
    rig.query(Q("_http._tcp.local", PTR), flags=wire.FLAG_TC, at=t)
    assert (400, 500) in rig.calls
    rig.run(t + 300)
    assert rig.out == []
    # the rest of the known answers arrive: our PTR is among them -> nothing to say
    ka = R("_http._tcp.local", PTR, "Kitchen Cam._http._tcp.local", ttl=4500)
    rig.feed(wire.Message(answers=[ka]), at=t + 300)
    rig.run(t + 2000)
    assert rig.out == []


def test_truncated_query_answered_after_wait_when_nothing_follows():
    rig = Rig(pick={(400, 500): 420, (20, 120): 20})
    rig.claim([svc()])
    t = rig.now + 5000
    rig.query(Q("_http._tcp.local", PTR), flags=wire.FLAG_TC, at=t)
    rig.run(t + 419)
    assert rig.out == []
    rig.run(t + 1000)
    r = responses(rig)
    assert len(r) == 1 and r[0][0] >= t + 420


def test_duplicate_answer_suppression_s7_4():
    rig = Rig(pick={(20, 120): 100})
    rig.claim([svc()])
    t = rig.now + 5000
    rig.query(Q("_http._tcp.local", PTR), at=t)
    # another host answers first with the same record
    rig.respond(R("_http._tcp.local", PTR, "Kitchen Cam._http._tcp.local", ttl=4500), src=("10.0.0.10", 5353),
                at=t + 50)
    rig.run(t + 500)
    assert responses(rig) == []


def test_qu_unicast_when_recently_multicast_else_multicast_s5_4():
    rig = Rig()
    rig.claim()  # announced at ~750 and ~1750
    t = rig.now + 1000  # well within a quarter of 120 s
    rig.query(Q(HOSTN, A, qu=True), at=t)
    r = responses(rig)
    assert len(r) == 1 and r[0][1] == PEER  # unicast to the querier
    assert r[0][2].answers[0].cache_flush
    # not multicast for over 30 s (a quarter of 120 s): multicast instead
    rig.clear()
    rig.query(Q(HOSTN, A, qu=True), at=rig.now + 31000)
    r = responses(rig)
    assert len(r) == 1 and r[0][1] is None


def test_legacy_unicast_s6_7():
    rig = Rig()
    rig.claim([svc()])
    src = ("10.0.0.9", 40000)
    rig.query(Q(HOSTN, A), id=0x1234, src=src, at=rig.now + 5000)
    r = responses(rig)
    assert len(r) == 1
    t, dest, m, _ = r[0]
    assert dest == src and m.id == 0x1234
    assert [(q.name, q.type) for q in m.questions] == [(HOSTN, A)]
    assert [(a.type, a.data, a.ttl, a.cache_flush) for a in m.answers] == [(A, "10.0.0.5", 10, False)]
    # shared records too, at once, TTL capped
    rig.clear()
    rig.query(Q("_http._tcp.local", PTR), id=7, src=src, at=rig.now + 10)
    m = responses(rig)[0][2]
    assert m.id == 7 and all(x.ttl <= 10 and not x.cache_flush for x in m.answers + m.additionals)


def test_off_link_source_ignored_s11():
    rig = Rig()
    rig.claim()
    rig.eng.on_link = lambda src: src[0].startswith("10.0.0.")
    rig.query(Q(HOSTN, A), src=("192.168.1.9", 5353), at=rig.now + 5000)
    assert rig.out == []
    rig.respond(R(HOSTN, A, "10.9.9.9", flush=True), src=("192.168.1.9", 5353))
    assert rig.events == []
    rig.query(Q(HOSTN, A), src=("10.0.0.9", 5353))
    assert len(responses(rig)) == 1


def test_large_responses_are_split():
    rig = Rig()
    many = [svc("Service %d" % i, txt={"k%d" % j: b"v" * 40 for j in range(5)}) for i in range(12)]
    rig.claim(many)
    rig.eng.max_payload = 300  # the 12 PTR answers alone need more than one packet
    rig.query(Q("_http._tcp.local", PTR), at=rig.now + 5000)
    rig.run(rig.now + 200)
    r = responses(rig)
    assert len(r) > 2
    got = set()
    srv = set()
    for o in r:
        assert len(o[3]) <= 300
        got.update(a.data for a in o[2].answers)
        srv.update(a.name for a in o[2].additionals if a.type == SRV)
    assert len(got) == 12
    assert sum(1 for o in r if o[2].answers) >= 2
    assert len(srv) == 12  # every SRV made it, in some packet


def test_reverse_ptr_answered():
    rig = Rig()
    rig.claim()
    rig.query(Q("5.0.0.10.in-addr.arpa", PTR), at=rig.now + 5000)
    m = responses(rig)[0][2]
    assert [(a.type, a.data) for a in m.answers] == [(PTR, HOSTN)]


def test_malformed_packets_do_not_raise():
    rig = Rig()
    rig.claim()
    for junk in (b"", b"\x00" * 5, b"\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\xc0\x0c\x00\x01\x00\x01",
                 b"\xff" * 40):
        rig.eng.feed(junk, PEER, rig.now)
    assert rig.eng.malformed + rig.eng.dropped == 4


def test_hot_path_names_cover_everything_we_answer():
    eng = Engine()
    p = ResponderPart(eng, "kitchen-cam", ["10.0.0.5"])
    p.add_service(svc(subtypes=("printer",)), 0)
    from mdns import names
    got = set(names.fold_wire(n) for n in p.names())
    for n in (HOSTN, "5.0.0.10.in-addr.arpa", "Kitchen Cam._http._tcp.local", "_http._tcp.local",
              "_printer._sub._http._tcp.local", "_services._dns-sd._udp.local"):
        assert names.fold_wire(names.to_wire(n)) in got


def test_hostname_validation():
    import pytest
    with pytest.raises(ValueError):
        ResponderPart(Engine(), "a.b", [])
    with pytest.raises(ValueError):
        ResponderPart(Engine(), "x" * 64, [])
    assert ResponderPart(Engine(), "Cam.local", []).hostname == "Cam.local"
    assert ResponderPart(Engine(), "cam.LOCAL.", []).hostname == "cam.local"


def test_service_instance_is_one_utf8_label_of_at_most_63_bytes():
    # RFC 6763 s4.1.1: any UTF-8, dots included, as a single label; the limit is in bytes.
    s = svc("Café. Büro")
    rig = Rig()
    rig.claim([s])
    rig.query(Q("_http._tcp.local", PTR), at=rig.now + 5000)
    rig.run(rig.now + 200)
    raw = responses(rig)[0][3]
    assert b"\x0cCaf\xc3\xa9. B\xc3\xbcro\xc0" in raw  # one label of 12 bytes, then the type (pointer)
    svc("é" * 31 + "x")  # 63 bytes
    for bad in ("é" * 32, ""):
        try:
            svc(bad)
        except ValueError as e:
            assert "instance" in str(e)
        else:
            raise AssertionError("accepted %r" % bad)

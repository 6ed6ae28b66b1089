"""mdns.querier: continuous query timing (s5.2), QU first (s5.4), known answers
(s7.1), TC spill (s7.2), duplicate question suppression (s7.3), refresh queries,
POOF accounting, one-shot queries. Injected clock, simulated link."""
from browse_fakes import PEER, Peer, Sim, hi, lo, query, response
from mdns import querier as mq
from mdns import wire
from mdns.wire import Question, Record, TYPE_A, TYPE_AAAA, TYPE_PTR, TYPE_SRV, FLAG_TC

SVC = "_http._tcp.local"


def times(sim):
    return [t for t, m, d, dest in sim.queries()]


def test_first_query_after_20_to_120_ms_then_doubling_to_one_hour():
    for rand, first in ((lo, 20), (hi, 120)):
        sim = Sim(rand=rand)
        q = mq.of(sim.eng)
        q.ask(SVC, TYPE_PTR)
        sim.advance(0)
        sim.advance(10 * 3600 * 1000)
        t = times(sim)
        assert t[0] == first
        gaps = [b - a for a, b in zip(t, t[1:])]
        assert gaps[:5] == [1000, 2000, 4000, 8000, 16000]
        assert max(gaps) == 3600000 and gaps[-1] == 3600000
        assert all(b >= a for a, b in zip(gaps, gaps[1:]))


def test_first_question_is_qu_the_rest_qm_s5_4():
    sim = Sim()
    mq.of(sim.eng).ask(SVC, TYPE_PTR)
    sim.advance(5000)
    qs = [m.questions[0] for t, m, d, dest in sim.queries()]
    assert qs[0].unicast and not any(x.unicast for x in qs[1:])
    assert all(dest is None for t, m, d, dest in sim.queries())  # multicast


def test_questions_asked_together_share_a_packet():
    sim = Sim(rand=hi)
    q = mq.of(sim.eng)
    q.ask("a.local", TYPE_A)
    sim.advance(0)
    sim.advance(50)
    q.ask("b.local", TYPE_A)  # joins the pending first query
    sim.advance(100)
    qs = sim.queries()
    assert len(qs) == 1 and [x.name for x in qs[0][1].questions] == ["a.local", "b.local"]


def test_unask_before_sending_sends_nothing():
    sim = Sim()
    q = mq.of(sim.eng)
    q.ask(SVC, TYPE_PTR)
    q.ask(SVC, TYPE_PTR)
    q.unask(SVC, TYPE_PTR)
    sim.advance(0)
    q.unask(SVC, TYPE_PTR)
    sim.advance(10000)
    assert sim.queries() == []


def ptr(i, ttl=4500):
    return Record(SVC, TYPE_PTR, "Service number %03d with a long instance name.%s" % (i, SVC), ttl)


def test_known_answers_with_more_than_half_ttl_and_remaining_ttl_s7_1():
    sim = Sim()
    q = mq.of(sim.eng)
    q.cache.want(SVC, TYPE_PTR)
    sim.feed(response([ptr(1, 100), ptr(2, 4500)]))
    q.ask(SVC, TYPE_PTR)
    sim.advance(70000)  # queries at 20 ms, 1.02 s, 3.02 s, ... 31.02 s, 63.02 s
    by_t = dict((t, m) for t, m, d, dest in sim.queries())
    assert sorted(r.ttl for r in by_t[20].answers) == [99, 4499]
    assert sorted(r.ttl for r in by_t[31020].answers) == [68, 4468]
    m = by_t[63020]  # ptr 1 has 36 of its 100 s left: no longer a known answer
    assert [r.data for r in m.answers] == [ptr(2).data]
    assert m.answers[0].ttl == 4436


def test_known_answers_spill_over_packets_with_tc_s7_2():
    sim = Sim()
    q = mq.of(sim.eng, max_records=500, max_bytes=100000)
    q.cache.want(SVC, TYPE_PTR)
    sim.feed(response([ptr(i) for i in range(20)]))
    sim.feed(response([ptr(i) for i in range(20, 40)]))
    sim.feed(response([ptr(i) for i in range(40, 60)]))
    q.ask(SVC, TYPE_PTR)
    sim.advance(100)
    pk = sim.queries()
    assert len(pk) >= 2
    assert all(len(d) <= wire.MAX_PAYLOAD for t, m, d, dest in pk)
    assert [bool(m.flags & FLAG_TC) for t, m, d, dest in pk] == [True] * (len(pk) - 1) + [False]
    assert len(pk[0][1].questions) == 1 and all(not m.questions for t, m, d, dest in pk[1:])
    got = sorted(r.data for t, m, d, dest in pk for r in m.answers)
    assert got == sorted(ptr(i).data for i in range(60))
    assert q.packets_sent == len(pk) and q.queries_sent == 1


def other_asks(sim, name, t, known=(), unicast=False, flags=0, src=("10.0.0.7", 5353)):
    sim.feed(query([Question(name, t, unicast)], known, flags), src)


def test_duplicate_question_suppression_s7_3():
    sim = Sim()
    q = mq.of(sim.eng)
    q.ask(SVC, TYPE_PTR)
    sim.advance(0)
    other_asks(sim, SVC, TYPE_PTR)  # at t=0, before our first (due at 20 ms)
    sim.advance(5000)
    assert times(sim) == [1000, 3000]
    assert q.suppressed == 1


def test_no_suppression_when_their_known_answers_hide_records_we_lack():
    sim = Sim()
    q = mq.of(sim.eng)
    q.ask(SVC, TYPE_PTR)
    sim.advance(0)
    other_asks(sim, SVC, TYPE_PTR, known=[ptr(9)])
    sim.advance(100)
    assert times(sim) == [20]


def test_suppression_when_their_known_answers_are_a_subset_of_ours():
    sim = Sim()
    q = mq.of(sim.eng)
    q.cache.want(SVC, TYPE_PTR)
    sim.feed(response([ptr(1), ptr(2)]))
    q.ask(SVC, TYPE_PTR)
    sim.advance(0)
    other_asks(sim, SVC, TYPE_PTR, known=[ptr(1)])
    sim.advance(100)
    assert times(sim) == []


def test_no_suppression_by_qu_or_truncated_queries():
    for unicast, flags in ((True, 0), (False, FLAG_TC)):
        sim = Sim()
        q = mq.of(sim.eng)
        q.ask(SVC, TYPE_PTR)
        sim.advance(0)
        other_asks(sim, SVC, TYPE_PTR, unicast=unicast, flags=flags)
        sim.advance(100)
        assert times(sim) == [20]


def test_legacy_unicast_queries_neither_suppress_nor_count_for_poof():
    # a query from a port other than 5353 (dig, a one-shot resolver, s6.7) is answered
    # by unicast to that port: we never see the answers, so it does not ask our
    # question for us (s7.3), and a record missing from what we see is no failure (s10.5)
    sim = Sim()
    q = mq.of(sim.eng)
    q.ask(SVC, TYPE_PTR)
    sim.advance(0)
    other_asks(sim, SVC, TYPE_PTR, src=("10.0.0.7", 40000))
    sim.advance(100)
    assert times(sim) == [20] and q.suppressed == 0
    q.cache.want("cam.local", TYPE_A)
    sim.feed(response([Record("cam.local", TYPE_A, "10.0.0.2", 120, True)]))
    other_asks(sim, "cam.local", TYPE_A, src=("10.0.0.7", 40000))
    sim.advance(1000)
    other_asks(sim, "cam.local", TYPE_A, src=("10.0.0.7", 40001))
    sim.advance(20000)
    assert q.cache.get("cam.local", TYPE_A, sim.now)


def test_own_looped_back_query_is_not_another_host():
    sim = Sim()
    q = mq.of(sim.eng)
    sim.eng.is_own = lambda src: src == ("10.0.0.1", 5353)
    q.ask(SVC, TYPE_PTR)
    sim.advance(500)
    other_asks(sim, SVC, TYPE_PTR, src=("10.0.0.1", 5353))
    sim.advance(1000)
    assert times(sim) == [20, 1020] and q.suppressed == 0


def test_cache_refresh_sends_qm_question_with_the_records_name():
    sim = Sim()
    q = mq.of(sim.eng)
    q.cache.want("cam.local", TYPE_A)
    sim.feed(response([Record("cam.local", TYPE_A, "10.0.0.2", 10, True)]))
    sim.advance(20000)
    assert times(sim) == [8000, 8500, 9000, 9500]
    m = sim.queries()[0][1]
    assert m.questions[0].name == "cam.local" and m.questions[0].type == TYPE_A
    assert not m.questions[0].unicast and m.answers == []  # under half TTL: not a known answer


def test_refresh_answered_keeps_the_record():
    sim = Sim()
    peer = Peer(ttl=10)
    sim.peers.append(peer)
    q = mq.of(sim.eng)
    q.cache.want("cam.local", TYPE_A)
    sim.feed(response(peer.addr_recs()))
    sim.advance(60000)
    assert q.cache.get("cam.local", TYPE_A, sim.now)
    assert times(sim)[:2] == [8000, 16000]  # each answer restarts the 80 % clock


def test_poof_from_other_hosts_qm_queries_not_qu():
    sim = Sim()
    q = mq.of(sim.eng)
    q.cache.want("cam.local", TYPE_A)
    sim.feed(response([Record("cam.local", TYPE_A, "10.0.0.2", 120, True)]))
    other_asks(sim, "cam.local", TYPE_A, unicast=True)
    other_asks(sim, "cam.local", TYPE_A, unicast=True)
    sim.advance(11000)
    assert q.cache.get("cam.local", TYPE_A, sim.now)
    other_asks(sim, "cam.local", TYPE_A)
    sim.advance(1000)
    other_asks(sim, "cam.local", TYPE_A)
    sim.advance(9000)
    assert q.cache.get("cam.local", TYPE_A, sim.now) == []


def test_poof_from_our_own_unanswered_queries():
    # the peer was killed: our browse of its PTR (under half TTL, so not a known
    # answer) goes unanswered twice -> flushed 10 s later, long before its TTL ends
    sim = Sim()
    q = mq.of(sim.eng)
    q.cache.want(SVC, TYPE_PTR)
    gone = []
    q.cache.listeners.append(lambda kind, rec, now: kind not in ("added", "batch") and gone.append((now, kind)))
    sim.feed(response([ptr(1, 120)]))
    sim.advance(61000)
    q.ask(SVC, TYPE_PTR)
    sim.advance(1100)  # queries at 61.02 s and 62.02 s
    assert q.cache.get(SVC, TYPE_PTR, sim.now)
    sim.advance(9000)
    assert gone == [(71020, "poof")]
    assert q.cache.get(SVC, TYPE_PTR, sim.now) == []


def test_one_shot_answered_from_cache_sends_nothing():
    sim = Sim()
    q = mq.of(sim.eng)
    q.cache.want("cam.local", TYPE_A)
    sim.feed(response([Record("cam.local", TYPE_A, "10.0.0.2", 120, True)]))
    got = []
    mq.Query(q, [("cam.local", TYPE_A)], 3000, got.append)
    sim.advance(10)
    assert [r.data for r in got[0]] == ["10.0.0.2"] and sim.queries() == []
    assert "answer" in sim.kinds()


def test_one_shot_asks_at_once_qu_and_finishes_on_answer():
    sim = Sim()
    sim.peers.append(Peer(mode="bare"))
    q = mq.of(sim.eng)
    lk = mq.Query(q, [("cam.local", TYPE_A)], 3000)
    sim.advance(5)
    assert lk.done and [r.data for r in lk.result] == ["10.0.0.2"]
    m = sim.queries()[0][1]
    assert m.questions[0].unicast and sim.queries()[0][0] == 0
    sim.advance(10000)
    assert len(sim.queries()) == 1  # nothing asked after it finished
    assert not q._qs and not q._clients


def test_one_shot_times_out_empty_after_retries():
    sim = Sim()
    q = mq.of(sim.eng)
    lk = mq.Query(q, [("nobody.local", TYPE_A)], 3000)
    sim.advance(2999)
    assert not lk.done
    sim.advance(1)
    assert lk.done and lk.timed_out and lk.result == []
    assert times(sim) == [0, 1000]
    assert not q.cache.names()


def test_one_shot_settles_for_the_other_family():
    # A now, AAAA in a packet of its own 100 ms later: both reported
    sim = Sim()
    q = mq.of(sim.eng)
    lk = mq.Query(q, [("cam.local", TYPE_A), ("cam.local", TYPE_AAAA)], 3000, settle_ms=250)
    sim.advance(0)
    sim.feed(response([Record("cam.local", TYPE_A, "10.0.0.2", 120, True)]))
    sim.advance(100)
    assert not lk.done
    sim.feed(response([Record("cam.local", TYPE_AAAA, "fd77::2", 120, True)]))
    assert lk.done and sorted(r.data for r in lk.result) == ["10.0.0.2", "fd77::2"]


def test_one_shot_settle_ends_with_one_family():
    sim = Sim()
    q = mq.of(sim.eng)
    lk = mq.Query(q, [("cam.local", TYPE_A), ("cam.local", TYPE_AAAA)], 3000, settle_ms=250)
    sim.advance(0)
    sim.feed(response([Record("cam.local", TYPE_A, "10.0.0.2", 120, True)]))
    sim.advance(249)
    assert not lk.done
    sim.advance(1)
    assert lk.done and not lk.timed_out and [r.data for r in lk.result] == ["10.0.0.2"]


def test_one_shot_need_all_and_collect_until_timeout():
    sim = Sim()
    q = mq.of(sim.eng)
    name = "x._http._tcp.local"
    lk = mq.Query(q, [(name, TYPE_SRV), (name, wire.TYPE_TXT)], 3000, need="all")
    sim.advance(0)
    sim.feed(response([Record(name, TYPE_SRV, (0, 0, 80, "cam.local"), 120, True)]))
    assert not lk.done
    sim.feed(response([Record(name, wire.TYPE_TXT, {"a": b"1"}, 4500, True)]))
    assert lk.done and len(lk.result) == 2
    enum = mq.Query(q, [(SVC, TYPE_PTR)], 2000, need=None)
    sim.advance(0)
    sim.feed(response([ptr(1)]))
    sim.advance(1000)
    sim.feed(response([ptr(2)]))
    assert not enum.done
    sim.advance(1000)
    assert enum.done and len(enum.result) == 2

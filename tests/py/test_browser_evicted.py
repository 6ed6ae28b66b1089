# Issue 13: a browser whose cache overflows while instances wait for their `up`
# (UP_SETTLE_MS, one address family so far) must not keep a timer due for ever:
# the evicted instance's `up` deadline stayed in the past and every driver round
# found it due again (a busy loop at 100 % CPU).
from browse_fakes import Peer, Sim
from mdns.browser import Browser


def test_overflowing_cache_leaves_no_timer_due_for_ever():
    sim = Sim()
    events = []
    b = Browser("_mpfleet._tcp", engine=sim.eng, on_event=events.append, max_records=64, max_bytes=8192)
    for i in range(40):
        ip = "10.7.0.%d" % (i + 1)
        txt = {"fw": b"0.1.0", "nonce": b"%016x" % i, "pad": b"x" * 100}
        p = Peer("dev-%03d" % i, "_mpfleet._tcp", host="dev-%03d.local" % i, txt=txt, addrs=(ip,), src=(ip, 5353))
        sim.feed(p.announce(), src=p.src)
    assert b.cache.evicted > 0
    sim.advance(10000)  # raises when a deadline never clears
    d = sim.eng.next_deadline()
    assert d is None or d > sim.now
    ups = [e.instance for e in events if e.kind == "up"]
    assert len(ups) == len(set(ups))  # (the oldest addresses were evicted: few or no `up`)

"""mdns.AllBrowser / browseall.TypesPart: every service type named by
_services._dns-sd._udp.local is browsed on the same engine and its instances come
as the usual up/changed/down events; subtypes, bad type names and more than
MAX_TYPES types are not browsed. Injected clock, simulated link."""
from browse_fakes import PEER, Peer, Sim, response
from mdns import browseall as ba
from mdns import wire
from mdns.wire import Record, TYPE_PTR


class TypesPeer:
    """A Peer that also lists its type (and maybe more names) under the meta PTR."""

    def __init__(self, peer, extra_types=()):
        self.peer = peer
        self.types = [peer.stype] + list(extra_types)

    def handle(self, m, now):
        out = []
        for q in m.questions:
            if not m.is_response and wire.names.fold(q.name) == wire.names.fold(ba.SERVICES):
                out.append((response([Record(ba.SERVICES, TYPE_PTR, t, 4500) for t in self.types]), self.peer.src))
        return out + list(self.peer.handle(m, now) or ())


def setup(*peers):
    sim = Sim()
    sim.peers.extend(peers)
    got = []
    part = ba.TypesPart(sim.eng, on_event=got.append)
    return sim, part, got


def test_instances_of_every_type_come_up_with_their_type():
    sim, part, got = setup(TypesPeer(Peer()), TypesPeer(Peer("Office Printer", "_ipp._tcp", "printer.local", 631,
                                                              addrs=("10.0.0.3",), src=("10.0.0.3", 5353))))
    sim.advance(3000)
    ups = sorted((e.kind, e.instance, e.type, e.port) for e in got)
    assert ups == [("up", "Kitchen Cam", "_http._tcp", 80), ("up", "Office Printer", "_ipp._tcp", 631)]
    first = sim.queries()[0][1].questions
    assert [(q.name, q.type) for q in first] == [(ba.SERVICES, TYPE_PTR)]
    assert sorted(i["instance"] for i in part.instances()) == ["Kitchen Cam", "Office Printer"]


def test_goodbye_of_one_instance_is_a_down_for_it_alone():
    cam = Peer()
    sim, part, got = setup(TypesPeer(cam))
    sim.advance(3000)
    del got[:]
    cam.mode = "silent"  # gone: it will not answer the browser's next query
    sim.feed(cam.goodbye())
    sim.advance(2000)
    assert [(e.kind, e.instance, e.reason) for e in got] == [("down", "Kitchen Cam", "goodbye")]


def test_subtypes_and_bad_type_names_are_not_browsed():
    sim, part, got = setup(TypesPeer(Peer(), ["_printer._sub._http._tcp.local", "_this-name-is-too-long._tcp.local",
                                              "_x.local"]))
    sim.advance(3000)
    assert list(part.types) == [wire.names.fold("_http._tcp")]
    assert [e.kind for e in got] == ["up"]


def test_types_are_bounded():
    many = ["_t%d._tcp.local" % i for i in range(ba.MAX_TYPES + 10)]
    sim, part, got = setup(TypesPeer(Peer(), many))
    sim.advance(3000)
    assert len(part.types) == ba.MAX_TYPES


def test_close_withdraws_every_question_and_listener():
    sim, part, got = setup(TypesPeer(Peer()))
    sim.advance(3000)
    q = part.q
    part.close()
    assert not q._qs and not q._clients
    assert part._listener not in part.cache.listeners


def test_public_allbrowser_shares_its_streams_with_every_type():
    sim = Sim()
    sim.peers.append(TypesPeer(Peer()))
    import mdns

    b = mdns.AllBrowser(engine=sim.eng)
    s = b.events()
    sim.advance(3000)
    assert [(e.kind, e.type) for e in s._q] == [("up", "_http._tcp")]
    assert [i["instance"] for i in b.instances()] == ["Kitchen Cam"]

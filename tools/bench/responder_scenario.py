# The responder's per-query work, shared by the CPython and MicroPython benchmarks
# (MicroPython code: nothing CPython-only). A claimed responder (host + one service)
# on an Engine; each call feeds one query datagram and collects what is sent.
from mdns import wire
from mdns.engine import Engine
from mdns.responder import ResponderPart
from mdns.service import Service

HOST = "esp32-cam-04"


def _q(name, t, qid=0):
    w = wire.Writer(qid, 0, 512)
    w.add_question(wire.Question(name, t))
    return w.packet()


def make():
    st = {"t": 0}
    eng = Engine(rand=lambda lo, hi: lo)
    part = ResponderPart(eng, HOST, ["192.168.1.77", "fd00::77"])
    part.add_service(Service("ESP32 Cam 04", "_http._tcp", 80, txt={"path": b"/", "model": b"cam"}), 0)
    part.start(0)
    while True:
        d = eng.next_deadline()
        if d is None:
            break
        eng.tick(d)
        st["t"] = d
    eng.take_output()
    eng.take_events()
    a = _q(HOST + ".local", wire.TYPE_A)
    ptr = _q("_http._tcp.local", wire.TYPE_PTR)
    legacy = _q(HOST + ".local", wire.TYPE_A, 0x1234)
    foreign = _q("printer.local", wire.TYPE_A)
    peer = ("192.168.1.10", 5353)

    def answer_a():
        st["t"] += 1001  # past the 1 s per-record rate limit
        eng.feed(a, peer, st["t"])
        return eng.take_output()

    def answer_ptr():
        st["t"] += 1001
        eng.feed(ptr, peer, st["t"])
        eng.tick(st["t"] + 20)  # the shared-record delay
        return eng.take_output()

    def answer_legacy():
        eng.feed(legacy, ("192.168.1.10", 40000), st["t"])
        return eng.take_output()

    def drop():
        eng.feed(foreign, peer, st["t"])
        return eng.take_output()

    return [
        ("resp_a", "answer A query", answer_a),
        ("resp_ptr", "answer PTR query (+SRV/TXT/A/AAAA)", answer_ptr),
        ("resp_legacy", "answer legacy unicast A query", answer_legacy),
        ("resp_drop", "drop a query for another name", drop),
    ]

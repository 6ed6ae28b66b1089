"""Write a synthetic mDNS corpus (hex, one datagram per line) built with python-zeroconf's
DNSOutgoing, for when tests/corpus/ holds no captured traffic.

Usage: python tools/bench/gen_corpus.py OUT.hex

The mix follows what a LAN's mDNS traffic looks like: service announcements (PTR in the
answers, SRV/TXT/A/AAAA/NSEC in the additionals, as zeroconf and Avahi send them),
Avahi-style host announcements with reverse-address PTRs, browse queries with known
answers (RFC 6762 s7.1), QU questions (s5.4) and goodbyes (TTL 0, s10.1). Deterministic.
python-zeroconf is a test dependency only (LGPL): it is used, never copied.
"""
import sys

from zeroconf import DNSAddress, DNSNsec, DNSOutgoing, DNSPointer, DNSQuestion, DNSService, DNSText
from zeroconf.const import _CLASS_IN, _CLASS_UNIQUE, _FLAGS_AA, _FLAGS_QR_QUERY, _FLAGS_QR_RESPONSE
from zeroconf.const import _TYPE_A, _TYPE_AAAA, _TYPE_ANY, _TYPE_PTR, _TYPE_SRV, _TYPE_TXT

NOW = 1_700_000_000_000.0
CF = _CLASS_IN | _CLASS_UNIQUE


def txt(pairs):
    out = b""
    for k, v in pairs:
        s = k.encode() if v is None else k.encode() + b"=" + v.encode()
        out += bytes([len(s)]) + s
    return out or b"\x00"


# (instance, service type, host, port, TXT pairs, IPv4, IPv6)
SERVICES = [
    ("Office Printer", "_ipp._tcp.local.", "office-printer", 631,
     [("txtvers", "1"), ("qtotal", "1"), ("rp", "ipp/print"), ("ty", "HP LaserJet Pro M404dn"),
      ("pdl", "application/pdf,image/urf,image/jpeg,application/postscript"), ("adminurl", "http://office-printer.local./"),
      ("UUID", "4c4d2a16-5c3a-4d6e-8b1e-2f4c0a9b7d11"), ("Color", "F"), ("Duplex", "T"), ("URF", "CP1,IS1-4,MT1-3,OB10,PQ4,RS600,V1.4,W8,DM1")],
     "192.168.1.20", "fe80::1ac0:4dff:fe12:3456"),
    ("Living Room TV", "_googlecast._tcp.local.", "Chromecast-Ultra-3f1b", 8009,
     [("id", "3f1b8c0e5a7d4e2f9a6b1c3d5e7f9a0b"), ("cd", "A1B2C3D4E5F60718"), ("rm", ""), ("ve", "05"),
      ("md", "Chromecast Ultra"), ("ic", "/setup/icon.png"), ("fn", "Living Room TV"), ("ca", "201221"), ("st", "0"), ("bs", "FA8FCA3A1B2C"), ("nf", "1"), ("rs", "")],
     "192.168.1.31", "fe80::9a2b:cdff:fe01:2345"),
    ("Kitchen Speaker", "_spotify-connect._tcp.local.", "kitchen-speaker", 4070,
     [("CPath", "/zc"), ("VERSION", "1.0"), ("Stack", "SP")],
     "192.168.1.42", None),
    ("Hue Bridge - 1A2B3C", "_hue._tcp.local.", "ecb5fa1a2b3c", 443,
     [("bridgeid", "ecb5fafffe1a2b3c"), ("modelid", "BSB002")],
     "192.168.1.10", "fe80::eeb5:faff:fe1a:2b3c"),
    ("Thermostat._hap", "_hap._tcp.local.", "thermostat-9F", 8080,
     [("c#", "12"), ("ff", "1"), ("id", "9F:3A:11:22:33:44"), ("md", "Thermostat"), ("pv", "1.1"), ("s#", "1"), ("sf", "0"), ("ci", "9"), ("sh", "Vw1cGg==")],
     "192.168.1.55", None),
    ("esp32-cam-04", "_http._tcp.local.", "esp32-cam-04", 80,
     [("path", "/"), ("board", "ESP32-CAM"), ("fw", "0.1.0")],
     "192.168.1.77", None),
    ("nas [00:11:32:aa:bb:cc]", "_workstation._tcp.local.", "nas", 9,
     [], "192.168.1.5", "fd00::211:32ff:feaa:bbcc"),
    ("nas", "_smb._tcp.local.", "nas", 445, [], "192.168.1.5", "fd00::211:32ff:feaa:bbcc"),
    ("raspberrypi", "_ssh._tcp.local.", "raspberrypi", 22, [], "192.168.1.60", "fe80::ba27:ebff:fe00:1234"),
    ("Sonos-5CAAFD", "_sonos._tcp.local.", "Sonos-5CAAFD", 1443,
     [("info", "/api/v1/players/RINCON_5CAAFD/info"), ("vers", "3"), ("protovers", "1.24.1"), ("mhhid", "Sonos_abc"), ("location", "http://192.168.1.66:1400/xml/device_description.xml")],
     "192.168.1.66", None),
]


def v4(s):
    return bytes(int(x) for x in s.split("."))


def v6(s):
    import ipaddress

    return ipaddress.IPv6Address(s).packed


def rev4(s):
    return ".".join(reversed(s.split("."))) + ".in-addr.arpa."


def host_records(host, a4, a6, ttl=120):
    h = host + ".local."
    recs = [DNSAddress(h, _TYPE_A, CF, ttl, v4(a4), created=NOW)]
    if a6:
        recs.append(DNSAddress(h, _TYPE_AAAA, CF, ttl, v6(a6), created=NOW))
    types = [_TYPE_A] + ([_TYPE_AAAA] if a6 else [])
    recs.append(DNSNsec(h, 47, CF, ttl, h, types, created=NOW))
    return recs


def service_records(inst, stype, host, port, pairs, ttl_ptr=4500, ttl=120):
    full = inst + "." + stype
    h = host + ".local."
    return (
        DNSPointer(stype, _TYPE_PTR, _CLASS_IN, ttl_ptr, full, created=NOW),
        DNSService(full, _TYPE_SRV, CF, ttl, 0, 0, port, h, created=NOW),
        DNSText(full, _TYPE_TXT, CF, 4500, txt(pairs), created=NOW),
        DNSNsec(full, 47, CF, ttl, full, [_TYPE_TXT, _TYPE_SRV], created=NOW),
    )


def packets():
    out = []

    def emit(msg):
        out.extend(msg.packets())

    for inst, stype, host, port, pairs, a4, a6 in SERVICES:
        ptr, srv, tx, nsec = service_records(inst, stype, host, port, pairs)
        # Announcement, zeroconf style: PTR answer, the rest as additionals.
        m = DNSOutgoing(_FLAGS_QR_RESPONSE | _FLAGS_AA)
        m.add_answer_at_time(ptr, 0)
        for r in (srv, tx) + tuple(host_records(host, a4, a6)) + (nsec,):
            m.add_additional_answer(r)
        emit(m)
        # Announcement, Avahi style: everything in the answers, reverse PTR included.
        m = DNSOutgoing(_FLAGS_QR_RESPONSE | _FLAGS_AA)
        for r in (srv, tx, ptr, DNSPointer("_services._dns-sd._udp.local.", _TYPE_PTR, _CLASS_IN, 4500, stype, created=NOW)):
            m.add_answer_at_time(r, 0)
        for r in host_records(host, a4, a6)[:-1]:
            m.add_answer_at_time(r, 0)
        m.add_answer_at_time(DNSPointer(rev4(a4), _TYPE_PTR, CF, 120, host + ".local.", created=NOW), 0)
        emit(m)
        # Probe (s8.1): ANY question, proposed records in the authority section.
        m = DNSOutgoing(_FLAGS_QR_QUERY)
        m.add_question(DNSQuestion(inst + "." + stype, _TYPE_ANY, _CLASS_IN | _CLASS_UNIQUE))
        # (add_authorative_answer takes PTRs only in the compiled build; the list is public)
        m.authorities.append(srv)
        m.authorities.append(tx)
        emit(m)
        # QU question for the instance's SRV and TXT (s5.4), then A/AAAA for its host.
        m = DNSOutgoing(_FLAGS_QR_QUERY)
        m.add_question(DNSQuestion(inst + "." + stype, _TYPE_SRV, _CLASS_IN | _CLASS_UNIQUE))
        m.add_question(DNSQuestion(inst + "." + stype, _TYPE_TXT, _CLASS_IN | _CLASS_UNIQUE))
        emit(m)
        m = DNSOutgoing(_FLAGS_QR_QUERY)
        m.add_question(DNSQuestion(host + ".local.", _TYPE_A, _CLASS_IN))
        m.add_question(DNSQuestion(host + ".local.", _TYPE_AAAA, _CLASS_IN))
        emit(m)
        # Goodbye (s10.1).
        m = DNSOutgoing(_FLAGS_QR_RESPONSE | _FLAGS_AA)
        m.add_answer_at_time(DNSPointer(stype, _TYPE_PTR, _CLASS_IN, 0, inst + "." + stype, created=NOW), 0)
        emit(m)
    # Browse queries with known answers (s7.1), one per service type, plus the meta-query.
    types = []
    for s in SERVICES:
        if s[1] not in types:
            types.append(s[1])
    for stype in types:
        m = DNSOutgoing(_FLAGS_QR_QUERY)
        m.add_question(DNSQuestion(stype, _TYPE_PTR, _CLASS_IN))
        for inst, st, host, port, pairs, a4, a6 in SERVICES:
            if st == stype:
                m.add_answer_at_time(DNSPointer(stype, _TYPE_PTR, _CLASS_IN, 4500, inst + "." + stype, created=NOW), 0)
        emit(m)
    m = DNSOutgoing(_FLAGS_QR_QUERY)
    m.add_question(DNSQuestion("_services._dns-sd._udp.local.", _TYPE_PTR, _CLASS_IN))
    emit(m)
    m = DNSOutgoing(_FLAGS_QR_QUERY)
    for stype in types[:6]:
        m.add_question(DNSQuestion(stype, _TYPE_PTR, _CLASS_IN))
    emit(m)
    return out


def main(argv):
    if len(argv) != 2:
        sys.exit(__doc__)
    pk = packets()
    with open(argv[1], "w") as f:
        f.write("# Synthetic mDNS corpus: python-zeroconf DNSOutgoing, %d datagrams\n" % len(pk))
        f.write("# (tools/bench/gen_corpus.py; announcements zeroconf- and Avahi-style, probes, QU,\n")
        f.write("# known-answer browse queries, goodbyes). One datagram per line, hex.\n")
        for p in pk:
            f.write(p.hex() + "\n")
    print("bench: wrote %d datagrams (%d bytes) to %s" % (len(pk), sum(map(len, pk)), argv[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

"""Several simulated fleet devices in one process (issue 13, scenario 2), so 100 of
them fit on a 2-core machine: each is a full mdns.host.fleet_sim.SimDevice (the
real agent, responder and offer browser on its own UDP 5353 socket, the flash
stand-in for its slots) with its own IPv4 address, a secondary address on the
namespace's veth0. Its mDNS records, the multicast it sends (IP_MULTICAST_IF) and
its HTTP download (bound to that address) all carry that address, so the host
sees one address per device. One select() over every device's socket drives them
all. Runs inside a testbed namespace (the net layer's MDNS_TEST_NETNS guard).

Usage: fleet_devs.py --root DIR --key KEY.pub --version V [--image-size N]
                     [--slot-size N] [--watchdog S] NAME=BOARD@IP ...
Each device keeps its state under DIR/NAME; log lines are "[NAME] ..." on stdout."""
import argparse
import os
import select
import signal
import socket
import sys

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(TOP, "frozen"))
from mdns.host import fleet_flash, fleet_sim  # noqa: E402


def bound_connect(ip):
    """connect(host, port, timeout) for the agent: a TCP socket from `ip`."""
    def connect(host, port, timeout):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.bind((ip, 0))
            s.settimeout(timeout)
            s.connect((host, port))
        except OSError:
            s.close()
            raise
        return s
    return connect


def parse_spec(spec):
    """'d001=SIM_A@10.77.3.101' -> ('d001', 'SIM_A', '10.77.3.101')."""
    name, _, rest = spec.partition("=")
    board, _, ip = rest.partition("@")
    if not (name and board and ip):
        raise ValueError("device %r: want NAME=BOARD@IP" % spec)
    return name, board, ip


def make(a):
    devs = []
    for spec in a.devices:
        name, board, ip = parse_spec(spec)
        devs.append(fleet_sim.SimDevice(os.path.join(a.root, name), board, a.version, name, key_path=a.key,
                                        addrs=[ip], slot_size=a.slot_size, image_size=a.image_size,
                                        watchdog_ms=int(a.watchdog * 1000), connect=bound_connect(ip)))
    return devs


def run(devs, stop=lambda: False):
    """Drive every device until stop(): what SimDevice.run does for one, for all."""
    for d in devs:
        d.boot()
    while not stop():
        wait = 100
        socks = []
        for d in devs:
            if d._reset_wanted:
                d._power_cycle()
                d.boot()
                continue
            if d.responder is None:
                continue
            t = d.responder.next_timeout_ms()
            if 0 <= t < wait:
                wait = t
            if d.agent.busy():
                wait = 0  # downloading: mDNS between steps, no idle wait
            socks += d.responder.sockets()
        if socks:
            select.select(socks, [], [], wait / 1000)
        for d in devs:
            if d.responder is not None and not d._reset_wanted:
                d.responder.poll(0)
                d.agent.tick()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--root", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--version", default="0.1.0")
    ap.add_argument("--image-size", type=int, default=64 * 1024)
    ap.add_argument("--slot-size", type=lambda s: int(s, 0), default=fleet_flash.SLOT_SIZE)
    ap.add_argument("--watchdog", type=float, default=10.0)
    ap.add_argument("devices", nargs="+", metavar="NAME=BOARD@IP")
    a = ap.parse_args(argv)
    devs = make(a)
    signal.signal(signal.SIGTERM, lambda *x: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        run(devs)
    except KeyboardInterrupt:
        pass
    finally:
        for d in devs:
            if d.responder is not None:
                d.responder.close()  # goodbye
    return 0


if __name__ == "__main__":
    sys.exit(main())

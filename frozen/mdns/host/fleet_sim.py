"""A simulated fleet device: the real device-side agent (mdns.fleet.agent), the
real responder and browser on real sockets (CPython or the MicroPython unix port:
`micropython -m mdns.host.fleet_sim STATE BOARD VERSION NAME [KEYFILE]`), and the file-backed flash stand-in
(fleet_flash) for its two OTA slots. Its "firmware" is the simulated image in
the slot the stand-in's bootloader picked, so after an upgrade it advertises the
version it booted. State (slots, otadata, fleet key, fleet.json) lives under one
folder, so a restart continues where it left off.

Image flags (fleet_flash.make_image): `novalid` = this firmware never marks
itself valid (its start-up check fails: the watchdog resets, the bootloader rolls
back); `crash` = it resets while starting, before mDNS is up."""
import os
import sys
import time

from mdns.fleet import agent as _agent
from mdns.fleet import OFFER_TYPE
from mdns.host import fleet_flash


def _mkdir(path):
    # os.makedirs does not exist on MicroPython
    p = ""
    for part in path.split("/"):
        p = p + part + "/" if p or part else "/"
        if part:
            try:
                os.mkdir(p[:-1])
            except OSError:
                pass


class SimDevice:
    def __init__(self, state_dir, board, version, name, key_path=None, interface=None, addrs=None,
                 slot_size=fleet_flash.SLOT_SIZE, image_size=64 * 1024, watchdog_ms=10000,
                 log=None, chip="sim", mpy="1.29.0", connect=None):
        self.dir = state_dir
        self.connect = connect  # connect(host, port, timeout) -> socket for the download (None: the agent's)
        _mkdir(state_dir)
        self.name = name
        self.interface = interface
        self.addrs = addrs
        self.watchdog_ms = watchdog_ms
        self.chip = chip
        self.mpy = mpy
        self._log = log or self._print
        self.key_path = state_dir + "/fleet.pub"
        if key_path and key_path != self.key_path and not _isfile(self.key_path):
            # provisioning, once: what `mpremote cp fleet.key.pub :fleet.pub` does on a board
            # (later starts keep the key the device holds: `fleet rekey` may have replaced it)
            from mdns.fleet.offer import load_pub

            if load_pub(key_path) is None:
                raise ValueError("--key %s: not a fleet public key (give KEY.pub as written by fleet keygen;"
                                 " a device keeps only the public key)" % key_path)
            with open(key_path) as f:
                k = f.read()
            with open(self.key_path, "w") as f:
                f.write(k)
        self.flash = fleet_flash.SimFlash(state_dir + "/flash", slot_size=slot_size)
        if self.flash.image() is None:
            # the first serial flash (esptool) of a fresh device
            self.flash.flash_image(fleet_flash.make_image(board, version, image_size))
        self.boots = 0
        self._reset_wanted = False
        self.agent = None
        self.responder = None

    def _print(self, m):
        print("[%s] %s" % (self.name, m))
        f = getattr(sys.stdout, "flush", None)
        if f is not None:
            f()

    def log(self, msg):
        self._log(msg)

    def _reset(self):
        self._reset_wanted = True

    def boot(self):
        """Start the firmware in the running slot: responder, fleet record, offers."""
        from mdns.responder import Responder

        img = self.flash.image()
        self.boots += 1
        self.image = img
        self.log("boot %d: %s %s from %s (%s)" % (self.boots, img["board"], img["version"], self.flash.running,
                                                 self.flash.state(self.flash.running)))
        if "crash" in img["flags"] and self.flash.state(self.flash.running) == "pending-verify":
            self.log("firmware crashed while starting")
            self._reset_wanted = True
            return
        veto = None
        if "novalid" in img["flags"]:
            veto = lambda: "selftest"  # noqa: E731 - its start-up check never passes
        self.responder = Responder(self.name, addrs=self.addrs, interface=self.interface, ipv6=False)
        self.agent = _agent.Agent(
            self.responder, name=self.name, board=img["board"], version=img["version"], chip=self.chip,
            key_path=self.key_path, state_path=self.dir + "/fleet.json",
            partition=self.flash.partition_class(), reset=self._reset, veto=veto,
            watchdog_ms=self.watchdog_ms, log=self.log, mpy=self.mpy, veto_path=self.dir + "/fleet.veto",
            connect=self.connect)
        self.agent.advertise()
        self.agent.follow()

    def _power_cycle(self):
        # a reset says no goodbye: just drop the sockets
        if self.responder is not None:
            try:
                if self.responder.net is not None:
                    self.responder.net.close()
            except OSError:
                pass
        self.responder = None
        self.agent = None
        self._reset_wanted = False
        slot = self.flash.reset()
        self.log("reset: bootloader runs %s" % slot)
        time.sleep(0.2)

    def run(self, stop=lambda: False):
        """Run until stop() is true (or KeyboardInterrupt); then say goodbye."""
        self.boot()
        try:
            while not stop():
                if self._reset_wanted:
                    self._power_cycle()
                    self.boot()
                    continue
                t = self.responder.next_timeout_ms()
                t = 100 if t < 0 or t > 100 else t
                if self.agent.busy():
                    t = 0  # downloading: mDNS between steps, no idle wait
                self.responder.poll(t)
                self.agent.tick()
        finally:
            if self.responder is not None:
                self.responder.close()


def _isfile(path):
    try:
        os.stat(path)
        return True
    except OSError:
        return False


def add_arguments(p):
    p.add_argument("--board", required=True, help="board name the simulated device reports (e.g. MDNSFAST_ESP32_GENERIC)")
    p.add_argument("--version", required=True, help="firmware version of its first image")
    p.add_argument("--key", help="public key file to provision (KEY.pub of fleet keygen; copied into --state once)")
    p.add_argument("--name", help="device name (default: sim-<board>-<pid>)")
    p.add_argument("--state", help="folder for its flash slots, key and state (default: ./sim-NAME)")
    p.add_argument("--interface", help="network interface to use")
    p.add_argument("--slot-size", type=lambda s: int(s, 0), default=fleet_flash.SLOT_SIZE,
                   help="OTA slot size in bytes (default 0x1C0000, the 4 MiB table)")
    p.add_argument("--image-size", type=lambda s: int(s, 0), default=64 * 1024,
                   help="size of the first simulated image (default 64 KiB)")
    p.add_argument("--watchdog", type=float, default=10.0,
                   help="seconds new firmware has to mark itself valid (default 10)")


def run(args):
    name = args.name or ("sim-%s-%d" % (args.board.lower().replace("_", "-"), os.getpid()))
    state = args.state or ("sim-" + name)
    if args.key and not os.path.isfile(args.key):
        raise ValueError("--key %s: no such file" % args.key)
    dev = SimDevice(state, args.board, args.version, name, key_path=args.key, interface=args.interface,
                    slot_size=args.slot_size, image_size=args.image_size,
                    watchdog_ms=int(args.watchdog * 1000))
    try:
        os.stat(dev.key_path)
    except OSError:
        print("fleet simulate: no fleet public key in %s (pass --key KEY.pub): every offer will be refused"
              % state, file=sys.stderr)
    import signal

    signal.signal(signal.SIGTERM, lambda *a: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        dev.run()
    except KeyboardInterrupt:
        pass
    return 0


def _main_micropython(argv):
    # the MicroPython unix port has no argparse: positional arguments only
    if len(argv) < 4:
        print("usage: micropython -m mdns.host.fleet_sim STATE BOARD VERSION NAME [KEYFILE [WATCHDOG_S [SLOT_SIZE]]]")
        return 2
    key = argv[4] if len(argv) > 4 else None
    wd = int(float(argv[5]) * 1000) if len(argv) > 5 else 10000
    slot = int(argv[6], 0) if len(argv) > 6 else fleet_flash.SLOT_SIZE
    SimDevice(argv[0], argv[1], argv[2], argv[3], key_path=key, watchdog_ms=wd, slot_size=slot,
              mpy=None).run()
    return 0


if __name__ == "__main__":
    sys.exit(_main_micropython(sys.argv[1:]))

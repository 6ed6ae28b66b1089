"""`python -m mdns fleet ...`: list a fleet of devices and upgrade it over the air.

  fleet list [--json] [--timeout S]               every device advertising _mpfleet._tcp
  fleet release DIR                               check a release directory, show what it serves
  fleet upgrade DIR --key KEY [--board B] [--only NAME ...] [--canary N]
                [--max-parallel N] [--timeout S]  serve, offer, follow, summarise
  fleet keygen KEY                                a new key pair: KEY (private) and KEY.pub
  fleet rekey NEWKEY --key OLDKEY                 hand each device NEWKEY.pub, signed with OLDKEY
  fleet simulate --board B --version V --key KEY.pub [--name N] [--state DIR]
  fleet simulate-release DIR --board B --version V [--size N]

Exit status of every command: 0 done, 1 a runtime failure (for `upgrade`/`rekey`:
a device did not get there; the summary says why), 2 bad input (one line naming
it), 130 interrupted (offers withdrawn). See docs/fleet.md."""
import json
import os
import signal
import sys

from mdns.host import fleet_net


class Usage(ValueError):
    """Bad input: exit 2 with this one line."""


def add_arguments(p):
    sub = p.add_subparsers(dest="fleet_command", metavar="SUBCOMMAND")
    sub.required = True
    p_list = sub.add_parser("list", help="list the devices on the network")
    p_list.add_argument("--json", action="store_true", help="JSON instead of a table")
    p_list.add_argument("--timeout", type=float, default=3.0, help="seconds to listen (default 3)")
    p_list.add_argument("--interface", help="network interface to use")

    p_rel = sub.add_parser("release", help="check a release directory and show what it would serve")
    p_rel.add_argument("dir")

    p_up = sub.add_parser("upgrade", help="upgrade devices to a release over the air")
    p_up.add_argument("dir", help="release directory (make release / fleet simulate-release)")
    p_up.add_argument("--key", required=True, help="private key file (fleet keygen)")
    _rollout_flags(p_up, parallel=4, timeout=300.0)
    p_up.add_argument("--canary", type=int, default=0, help="upgrade N devices first; stop if any fails")
    p_up.add_argument("--address", help="IPv4 address to bind the HTTP server to (default: the interface's)")
    p_up.add_argument("--port", type=int, default=0, help="HTTP port (default: any free one)")
    p_up.add_argument("--allow-downgrade", action="store_true", help="sign offers that allow an older version")
    p_up.add_argument("--retry", action="store_true",
                      help="sign offers that may install an image the device rolled back from")
    p_up.add_argument("--rate", type=int, default=0, help="bytes/s per device the HTTP server sends at most")
    p_up.add_argument("--legacy-key", metavar="HMACKEY",
                      help="the HMAC key of devices still on fleet format 1: offer them this release once in that"
                           " format (its images must trust --key's public key; docs/fleet.md, migrating)")

    p_rk = sub.add_parser("rekey", help="replace the public key on devices (signed with the current key)")
    p_rk.add_argument("newkey", help="the new private key file (fleet keygen); its .pub goes to the devices")
    p_rk.add_argument("--key", required=True, help="the private key the devices trust now")
    _rollout_flags(p_rk, parallel=8, timeout=60.0)

    p_key = sub.add_parser("keygen", help="write a new key pair: KEY (private, keep it secret) and KEY.pub")
    p_key.add_argument("keyfile")
    p_key.add_argument("--force", action="store_true", help="replace existing key files")

    from mdns.host import fleet_sim

    p_sim = sub.add_parser("simulate", help="run a simulated device until interrupted")
    fleet_sim.add_arguments(p_sim)

    p_sr = sub.add_parser("simulate-release", help="write a release directory holding a simulated image")
    p_sr.add_argument("dir")
    p_sr.add_argument("--board", required=True)
    p_sr.add_argument("--version", required=True)
    p_sr.add_argument("--size", type=lambda s: int(s, 0), default=64 * 1024, help="image size in bytes")
    p_sr.add_argument("--slot-size", type=lambda s: int(s, 0), help="OTA slot size for the manifest")
    p_sr.add_argument("--flag", action="append", default=[], choices=("novalid", "crash"),
                      help="misbehaving firmware: never marks itself valid / crashes while starting")


def _rollout_flags(p, parallel, timeout):
    # what `upgrade` and `rekey` share: the targets, the pace, the network, the output
    p.add_argument("--board", action="append", help="only devices of this board (repeatable)")
    p.add_argument("--only", nargs="+", metavar="NAME", help="only these devices")
    p.add_argument("--max-parallel", type=int, default=parallel, help="offers out at once (default %d)" % parallel)
    p.add_argument("--timeout", type=float, default=timeout, help="seconds per device (default %d)" % timeout)
    p.add_argument("--discover", type=float, default=3.0, help="seconds to look for devices first (default 3)")
    p.add_argument("--interface", help="network interface to serve and publish on")
    p.add_argument("--json", action="store_true", help="print the summary as JSON (progress on stderr)")


def run(args):
    """Exit 2 for bad input, 1 for a runtime failure, one line each, never a traceback."""
    fn = globals()["cmd_" + args.fleet_command.replace("-", "_")]
    try:
        _check_common(args)
        return fn(args)
    except KeyboardInterrupt:
        return 130
    except (ValueError, FileExistsError) as e:  # Usage, ReleaseError, BadKey ...
        print("fleet %s: %s" % (args.fleet_command, e), file=sys.stderr)
        return 2
    except BrokenPipeError:
        raise  # stdout closed (| head): the CLI's own handling
    except OSError as e:
        print("fleet %s: %s" % (args.fleet_command, _oserror(e)), file=sys.stderr)
        return 1


def _oserror(e):
    what = e.strerror or str(e)
    return "%s: %s" % (e.filename, what) if e.filename else what


def _check_common(args):
    import socket

    iface = getattr(args, "interface", None)
    if iface:
        try:
            socket.if_nametoindex(iface)
        except OSError:
            raise Usage("--interface %s: no such network interface (ip link lists them)" % iface)
    addr = getattr(args, "address", None)
    if addr:
        import ipaddress

        try:
            ipaddress.IPv4Address(addr)
        except ValueError:
            raise Usage("--address %s: not an IPv4 address" % addr)
    for flag in ("timeout", "discover", "max_parallel", "canary", "port", "rate", "size"):
        v = getattr(args, flag, None)
        if v is not None and v < 0:
            raise Usage("--%s %s: must not be negative" % (flag.replace("_", "-"), v))


def cmd_list(args):
    f = fleet_net.Fleet(interface=args.interface)
    try:
        f.run_for(args.timeout)
    finally:
        f.close()
    rows = [f.devices[n] for n in sorted(f.devices)]
    if args.json:
        print(json.dumps(rows, indent=2, sort_keys=True))
    else:
        cols = fleet_net.COLUMNS
        heads = ["NAME", "ADDRESS", "BOARD", "CHIP", "FIRMWARE", "MICROPYTHON", "SLOT", "OTA", "LAST ERROR"]
        print(fleet_net.table(rows, cols, heads))
        print("%d device(s)" % len(rows))
    return 0


def cmd_release(args):
    from mdns.host import fleet_release

    imgs = fleet_release.load(args.dir)
    rows = []
    for b in sorted(imgs):
        i = imgs[b]
        rows.append({"board": b, "version": i.version, "size": i.size, "sha256": i.sha256[:16],
                     "slot": i.slot_size or "", "headroom": (i.slot_size - i.size) if i.slot_size else "",
                     "path": os.path.relpath(i.path, args.dir)})
    print(fleet_net.table(rows, ("board", "version", "size", "slot", "headroom", "sha256", "path")))
    bad = [r["board"] for r in rows if r["headroom"] != "" and r["headroom"] < 0]
    if bad:
        print("image larger than its OTA slot: %s" % ", ".join(bad), file=sys.stderr)
        return 1
    return 0


def cmd_keygen(args):
    from mdns.host import fleet_keys

    d = os.path.dirname(os.path.abspath(args.keyfile))
    if not os.path.isdir(d):
        raise Usage("%s: no such directory for the key files" % d)
    fleet_keys.keygen(args.keyfile, args.force)
    pub = args.keyfile + fleet_keys.PUB_SUFFIX
    print("wrote %s (private: keep it secret, it signs offers) and %s (public: put it on each device with"
          " make provision-key PORT=/dev/ttyUSB0 KEY=%s, or mpremote cp %s :fleet.pub)" % (args.keyfile, pub, pub, pub))
    return 0


def cmd_simulate(args):
    from mdns.host import fleet_sim

    return fleet_sim.run(args)


def cmd_simulate_release(args):
    from mdns.host import fleet_flash, fleet_release

    data = fleet_flash.make_image(args.board, args.version, args.size, flags=args.flag)
    img = fleet_release.write(args.dir, args.board, args.version, data, chip="sim", slot_size=args.slot_size,
                              extra={"simulated": True})
    print("wrote %s (%s %s, %d bytes, sha256 %s)" % (img.path, args.board, args.version, img.size, img.sha256))
    return 0


def _sigterm(*a):
    raise KeyboardInterrupt()


def cmd_upgrade(args):
    from mdns.host import fleet_release, fleet_rollout, fleet_server
    from mdns.responder import Responder

    from mdns.host import fleet_keys

    priv = fleet_keys.load_private(args.key)
    key = fleet_keys.signer(priv)
    images = fleet_release.load(args.dir)
    legacy = None
    if args.legacy_key:
        legacy = fleet_keys.load_legacy(args.legacy_key)
        pub = fleet_keys.pub_hex(priv)
        for b, img in sorted(images.items()):
            if not fleet_keys.image_trusts(img.path, pub):
                raise Usage("%s: the %s image does not trust %s.pub (build it with MDNSFAST_FLEET_PUB=%s.pub):"
                            " a device moved from the HMAC format would come up without a key" % (
                                args.dir, b, args.key, args.key))
    if args.board:
        unknown = [b for b in args.board if b not in images]
        if unknown:
            raise ValueError("release %s has no image for %s (it has: %s)" % (args.dir, ", ".join(unknown),
                                                                               ", ".join(sorted(images))))
    for b, img in images.items():
        if img.slot_size and img.size > img.slot_size:
            raise ValueError("%s: image of %d bytes does not fit its %d-byte OTA slot" % (b, img.size, img.slot_size))
    signal.signal(signal.SIGTERM, _sigterm)
    host = "fleet-host-%d" % os.getpid()
    addrs = [args.address] if args.address else None
    resp = Responder(host, addrs=addrs, interface=args.interface, ipv6=False)
    server = None
    try:
        resp.sockets()
        bind = args.address or next((a for a in resp.addrs if ":" not in a), None)
        if bind is None:
            raise Usage("no IPv4 address to serve on (use --interface or --address)")
        try:
            server = fleet_server.ImageServer(images, bind, args.port, rate=args.rate).start()
        except OSError as e:
            raise Usage("cannot serve on %s port %d: %s (--address must be one of this machine's)" % (
                bind, args.port, e.strerror or e))
        fleet = fleet_net.Fleet(driver=resp.driver)
        log = sys.stderr if args.json else sys.stdout  # --json: stdout is the JSON alone
        print("serving %s on http://%s:%d/ ; looking for devices for %gs" % (args.dir, bind, server.port, args.discover),
              file=log)
        fleet.run_for(args.discover)
        ro = fleet_rollout.Rollout(images, key, resp, fleet, server, boards=args.board, only=args.only,
                                   canary=args.canary, max_parallel=args.max_parallel, timeout=args.timeout,
                                   downgrade=args.allow_downgrade, retry=args.retry, host=host, legacy=legacy,
                                   out=log)
        rc = _drive(ro, log, "no device of board(s) %s found" % ", ".join(sorted(args.board or images)))
    except KeyboardInterrupt:  # while discovering
        return 130
    finally:
        resp.close()  # goodbye for whatever is still published
        if server is not None:
            server.stop()
    return _summary(ro, args, rc, bytes_sent=server.bytes_sent)


def _drive(ro, log, none_found):
    """Plan and run a rollout; Ctrl-C withdraws its offers. Returns the exit status."""
    ro.plan()
    if not ro.targets:
        print(none_found, file=log)
        return 1
    try:
        return ro.run()
    except KeyboardInterrupt:
        ro.interrupt()
        print("\ninterrupted: offers withdrawn", file=sys.stderr)
        return 130


def _summary(ro, args, rc, **extra):
    if ro.targets:
        if args.json:
            d = {"devices": [t.row() for t in ro.targets], "stopped": ro.stopped, "exit": rc}
            d.update(extra)
            print(json.dumps(d, indent=2))
        else:
            print(ro.summary())
            for k in extra:
                print("%d %s" % (extra[k], k.replace("_", " ")))
    return rc


def cmd_rekey(args):
    from mdns.host import fleet_keys, fleet_rollout
    from mdns.responder import Responder

    old = fleet_keys.signer(fleet_keys.load_private(args.key))
    new = fleet_keys.load_private(args.newkey)
    new_pub = fleet_keys.pub_hex(new)
    signal.signal(signal.SIGTERM, _sigterm)
    host = "fleet-host-%d" % os.getpid()
    resp = Responder(host, interface=args.interface, ipv6=False)
    try:
        resp.sockets()
        fleet = fleet_net.Fleet(driver=resp.driver)
        log = sys.stderr if args.json else sys.stdout  # --json: stdout is the JSON alone
        print("looking for devices for %gs" % args.discover, file=log)
        fleet.run_for(args.discover)
        ro = fleet_rollout.Rollout({}, old, resp, fleet, None, boards=args.board, only=args.only,
                                   max_parallel=args.max_parallel, timeout=args.timeout, rekey=new_pub, host=host,
                                   out=log, rekey_signer=fleet_keys.signer(new))
        rc = _drive(ro, log, "no device found")
    except KeyboardInterrupt:  # while discovering
        return 130
    finally:
        resp.close()
    return _summary(ro, args, rc)

# Fleet over-the-air upgrades driven by mDNS (docs/fleet.md).
# Device side: fleet.agent (advertise, follow offers, download, verify, switch slots);
# offer format and checks: fleet.offer; ECDSA P-256 verify: fleet.sig;
# slot writer: fleet.writer; HTTP/1.0 download: fleet.http.
# Host side lives in mdns.host.fleet_* (never frozen into the firmware).

# The device service: one record per device, its TXT is the device's state.
SERVICE_TYPE = "_mpfleet._tcp"
# The host's offers: one service instance per target device, TXT = signed offer.
OFFER_TYPE = "_mpfleet-offer._tcp"
DOMAIN = "local"
KEY_FILE = "fleet.pub"  # the fleet's public key (130 hex digits); never a private key
LEGACY_KEY_FILE = "fleet.key"  # the HMAC key of format-1 firmware (docs/fleet.md, migrating)
STATE_FILE = "fleet.json"
VETO_FILE = "fleet.veto"  # while it exists, new firmware is never marked valid
BLOCK = 4096


def advertise(responder, **kw):
    """Publish this device's fleet record on `responder` and follow offers.
    Returns the Agent (see mdns.fleet.agent.Agent for the keyword arguments);
    call agent.tick() from your loop (it confirms new firmware once mDNS is up,
    feeds the start-up watchdog and runs a download)."""
    from .agent import Agent

    a = Agent(responder, **kw)
    a.advertise()
    a.follow()
    return a


def guard(watchdog_ms=60000, state_path=STATE_FILE, partition=None, make_wdt=None):
    """Call first in main.py, before Wi-Fi. When the running firmware is new and not
    yet marked valid, start the hardware watchdog now, so a hang anywhere during
    start-up (Wi-Fi that never connects, ...) resets the board and the bootloader
    rolls back. Returns the watchdog (pass it on: advertise(r, wdt=w)) or None."""
    from .state import State

    p = State(state_path).pending
    if not p:
        return None
    if partition is None:
        from esp32 import Partition as partition
    try:
        running = partition(partition.RUNNING).info()[4]
    except (AttributeError, IndexError, OSError):
        return None
    if p.get("slot") != running:
        return None  # rolled back already: the agent reports it
    if make_wdt is None:
        from machine import WDT as make_wdt
    return make_wdt(timeout=watchdog_ms + 5000)

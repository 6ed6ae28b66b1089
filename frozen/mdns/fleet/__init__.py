# Fleet over-the-air upgrades driven by mDNS (docs/fleet.md).
# Device side: fleet.agent (advertise, follow offers, download, verify, switch slots);
# offer format and signature: fleet.offer; HMAC-SHA256: fleet.hmac256;
# slot writer: fleet.writer; HTTP/1.0 download: fleet.http.
# Host side lives in mdns.host.fleet_* (never frozen into the firmware).

# The device service: one record per device, its TXT is the device's state.
SERVICE_TYPE = "_mpfleet._tcp"
# The host's offers: one service instance per (board, version), TXT = signed offer.
OFFER_TYPE = "_mpfleet-offer._tcp"
DOMAIN = "local"
KEY_FILE = "fleet.key"
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

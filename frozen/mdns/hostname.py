# The host name a Responder claims when none is given, and handing a renamed one
# back to the board (RFC 6762 s9: after a conflict the new name is the host's).
import sys

_MPY = sys.implementation.name == "micropython"


def default():
    """network.hostname() on a board (the name MicroPython's own responder uses),
    else the machine's short host name ("laptop" for laptop.example.com)."""
    h = None
    if _MPY:
        try:
            import network

            h = network.hostname()
        except (ImportError, AttributeError, OSError):
            pass
    if not h:
        try:
            import socket

            h = socket.gethostname()
        except (ImportError, AttributeError, OSError):
            pass
    if not h:
        try:
            import os

            h = os.uname()[1]
        except (ImportError, AttributeError, OSError):
            pass
    if not h:
        try:  # the MicroPython unix port has neither of the above
            with open("/proc/sys/kernel/hostname") as f:
                h = f.read().strip()
        except OSError:
            pass
    return (h or "micropython").split(".")[0]


def adopt(label):
    """network.hostname(label) on a board, so DHCP (at the next connect) and the
    REPL know the name actually claimed. False where there is no such call."""
    if not _MPY:
        return False
    try:
        import network

        if network.hostname() != label:
            network.hostname(label)
        return True
    except (ImportError, AttributeError, OSError, ValueError, TypeError):
        return False

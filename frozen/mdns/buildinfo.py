"""Build information of the running firmware.

This file is the placeholder for a source checkout and for `pip install`; a firmware
build (`make firmware`, `make unix`) freezes a generated copy with the same names
(tools/firmware/buildinfo.py writes it). Read `mdns.buildinfo.BUILD` or call
`mdns.buildinfo.describe()` at the REPL.
"""

from .version import VERSION  # the firmware version (mdns.__version__)
GIT = ""  # git revision of mdnsfast-firmware ("-dirty" when there were local changes)
BOARD = ""  # board folder name, e.g. "MDNSFAST_ESP32_GENERIC", or "unix"
VARIANT = ""  # board variant, e.g. "NOBLE" (no Bluetooth), "" for the standard build
MICROPYTHON = ""  # MicroPython release the firmware was built on, e.g. "v1.29.0"
IDF = ""  # ESP-IDF version ("" for the unix port)
DATE = ""  # UTC build date, YYYY-MM-DD
BUILD = "mdns source (not a firmware build)"
FLEET_PUB = ""  # fleet public key (hex) trusted when the device has no fleet.pub (docs/fleet.md)


def describe():
    """One line: the build string plus what the running MicroPython says about itself."""
    import sys

    try:
        import os

        u = os.uname()  # esp32: machine is "<MICROPY_HW_BOARD_NAME> with <MCU>"
        return "%s; %s; %s" % (BUILD, u.machine, u.version)
    except (ImportError, AttributeError):  # unix port and CPython have no os.uname()
        return "%s; %s" % (BUILD, getattr(sys.implementation, "_machine", sys.platform))

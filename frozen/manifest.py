# MicroPython manifest: the device part of the mdns package. Included by the board
# manifests (ports/esp32/boards/*/manifest.py) and the unix-port manifest
# (ports/unix/manifest.py); paths here are relative to this file.
#
# Host-only code is not frozen: mdns/host/ (CLI commands, fleet host side) and
# mdns/__main__.py (`python -m mdns`). A new device module under mdns/ is picked up
# without editing this file.
#
# Build info: when the environment names a folder in MDNSFAST_BUILDINFO_DIR that holds
# mdns/buildinfo.py (written by tools/firmware/buildinfo.py during `make firmware` /
# `make unix`), that generated copy is frozen instead of the placeholder in frozen/mdns/.
import os

_HOST_ONLY_DIRS = ("host", "__pycache__")
_HOST_ONLY_FILES = ("__main__.py",)


def _device_files(pkg):
    out = []
    for root, dirs, files in os.walk(pkg):
        dirs[:] = sorted(d for d in dirs if d not in _HOST_ONLY_DIRS)
        rel = os.path.relpath(root, pkg)
        for f in sorted(files):
            if not f.endswith(".py"):
                continue
            if rel == "." and f in _HOST_ONLY_FILES:
                continue
            out.append(f if rel == "." else os.path.join(rel, f))
    return out


_gen = os.environ.get("MDNSFAST_BUILDINFO_DIR", "")
_files = _device_files("mdns")
if _gen and os.path.isfile(os.path.join(_gen, "mdns", "buildinfo.py")):
    _files = [f for f in _files if f != "buildinfo.py"]
    package("mdns", files=["buildinfo.py"], base_path=_gen)
package("mdns", files=_files)

"""Release directories: what `fleet upgrade` serves and `fleet simulate-release` writes.

Layout (the one `make release` writes, see docs/fleet.md):

    RELEASE/
      manifest.json          {"firmware_version": V, "boards": {BOARD: {...}}} (optional)
      SHA256SUMS             "<sha256>  <BOARD>/micropython.bin" lines (sha256sum -c)
      BOARD/micropython.bin  the app image: the OTA payload (never the merged image)
      BOARD/firmware.bin     the merged image for esptool (not used by the fleet)
      BOARD/manifest.json    {"board", "chip", "firmware_version", "app_size",
                              "app_sha256", "ota_slot_size", ...}

Readers accept either manifest (top-level or per board); the sha256 and size
served are always computed from the file itself and checked against the
manifest and SHA256SUMS when they name it."""
import hashlib
import json
import os

APP = "micropython.bin"
MERGED = "firmware.bin"


class ReleaseError(Exception):
    pass


class Image:
    def __init__(self, board, version, path, size, sha256, chip="", slot_size=None):
        self.board = board
        self.version = version
        self.path = path
        self.size = size
        self.sha256 = sha256
        self.chip = chip
        self.slot_size = slot_size

    def __repr__(self):
        return "Image(%s %s, %d bytes)" % (self.board, self.version, self.size)


def _sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(65536)
            if not b:
                return h.hexdigest()
            h.update(b)


def _json(path):
    if not os.path.isfile(path):
        return {}
    try:
        with open(path) as f:
            return json.load(f)
    except ValueError as e:
        raise ReleaseError("%s: not JSON: %s" % (path, e))


def _sums(path):
    out = {}
    if os.path.isfile(path):
        with open(path) as f:
            for line in f:
                parts = line.split()
                if len(parts) == 2:
                    out[parts[1].lstrip("*").replace("\\", "/")] = parts[0].lower()
    return out


def load(root):
    """{board: Image} for every BOARD/micropython.bin under `root`."""
    if not os.path.isdir(root):
        raise ReleaseError("%s: no such release directory" % root)
    top = _json(os.path.join(root, "manifest.json"))
    sums = _sums(os.path.join(root, "SHA256SUMS"))
    boards = top.get("boards", {}) if isinstance(top.get("boards"), dict) else {}
    out = {}
    for name in sorted(os.listdir(root)):
        app = os.path.join(root, name, APP)
        if not os.path.isfile(app):
            continue
        meta = dict(boards.get(name, {}))
        meta.update(_json(os.path.join(root, name, "manifest.json")))
        board = meta.get("board", name)
        version = meta.get("firmware_version") or meta.get("version") or top.get("firmware_version")
        if not version:
            raise ReleaseError("%s: no firmware_version in manifest.json" % os.path.join(root, name))
        size = os.path.getsize(app)
        sha = _sha256_file(app)
        want = meta.get("app_sha256") or sums.get(name + "/" + APP)
        if want and want.lower() != sha:
            raise ReleaseError("%s: sha256 %s differs from the manifest's %s" % (app, sha, want))
        if meta.get("app_size") not in (None, size):
            raise ReleaseError("%s: %d bytes, the manifest says %s" % (app, size, meta.get("app_size")))
        slot = meta.get("ota_slot_size")
        if isinstance(slot, str):
            slot = int(slot, 0)
        out[board] = Image(board, version, app, size, sha, meta.get("chip", ""), slot)
    if not out:
        raise ReleaseError("%s: no BOARD/%s in it (is it a release directory?)" % (root, APP))
    return out


def write(root, board, version, data, chip="", slot_size=None, extra=None):
    """Add BOARD/micropython.bin (bytes `data`) with its manifests and sums."""
    d = os.path.join(root, board)
    os.makedirs(d, exist_ok=True)
    app = os.path.join(d, APP)
    with open(app, "wb") as f:
        f.write(data)
    sha = hashlib.sha256(data).hexdigest()
    meta = {"board": board, "chip": chip, "firmware_version": version, "app": board + "/" + APP,
            "app_size": len(data), "app_sha256": sha}
    if slot_size:
        meta["ota_slot_size"] = slot_size
        meta["ota_headroom"] = slot_size - len(data)
    meta.update(extra or {})
    with open(os.path.join(d, "manifest.json"), "w") as f:
        json.dump(meta, f, indent=2, sort_keys=True)
        f.write("\n")
    top_path = os.path.join(root, "manifest.json")
    top = _json(top_path) or {}
    top.setdefault("boards", {})[board] = meta
    top["firmware_version"] = version
    with open(top_path, "w") as f:
        json.dump(top, f, indent=2, sort_keys=True)
        f.write("\n")
    sums = _sums(os.path.join(root, "SHA256SUMS"))
    sums[board + "/" + APP] = sha
    with open(os.path.join(root, "SHA256SUMS"), "w") as f:
        for k in sorted(sums):
            f.write("%s  %s\n" % (sums[k], k))
    return Image(board, version, app, len(data), sha, chip, slot_size)

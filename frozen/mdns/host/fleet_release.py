"""Release directories: what `fleet upgrade` serves and `fleet simulate-release`
writes. The layout is the one `make release` writes (tools/firmware/release.py):

    RELEASE/
      release.json              {"firmware_version": V, "boards": [{"board", "chip", "manifest"}]}
      BOARD-V.json              per board: chip, flash_offset, firmware_version, ...
                                "app_image": {"file", "size", "sha256", "ota_slot_size", "headroom"}
                                "merged_image": {"file", "size", "sha256", "flash_offset", ...}
      BOARD-V-app.bin           the app image: the OTA payload (never the merged image)
      BOARD-V.bin               the merged image for esptool (not used by the fleet)
      SHA256SUMS                sha256sum -c format, every file above

The sha256 and size served are computed from the app file itself and must match
its manifest and SHA256SUMS, or loading fails."""
import hashlib
import json
import os

INDEX = "release.json"
SUMS = "SHA256SUMS"


class ReleaseError(ValueError):
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
    try:
        with open(path) as f:
            return json.load(f)
    except OSError as e:
        raise ReleaseError("%s: %s" % (path, e.strerror))
    except ValueError as e:
        raise ReleaseError("%s: not JSON: %s" % (path, e))


def _sums(path):
    out = {}
    if os.path.isfile(path):
        with open(path) as f:
            for line in f:
                parts = line.split()
                if len(parts) == 2:
                    out[parts[1].lstrip("*")] = parts[0].lower()
    return out


def load(root):
    """{board: Image} from a release directory (make release / fleet simulate-release)."""
    if not os.path.isdir(root):
        raise ReleaseError("%s: no such release directory" % root)
    idx_path = os.path.join(root, INDEX)
    if not os.path.isfile(idx_path):
        raise ReleaseError("%s: no %s (is it a release directory? make release writes one)" % (root, INDEX))
    idx = _json(idx_path)
    sums = _sums(os.path.join(root, SUMS))
    out = {}
    for entry in idx.get("boards", []):
        mpath = os.path.join(root, entry["manifest"])
        m = _json(mpath)
        app = m.get("app_image") or {}
        if "file" not in app:
            raise ReleaseError("%s: no app_image.file" % mpath)
        path = os.path.join(root, app["file"])
        if not os.path.isfile(path):
            raise ReleaseError("%s: names %s, which is missing" % (mpath, app["file"]))
        size = os.path.getsize(path)
        sha = _sha256_file(path)
        for want, what in ((app.get("sha256"), entry["manifest"]), (sums.get(app["file"]), SUMS)):
            if want and want.lower() != sha:
                raise ReleaseError("%s: sha256 %s differs from the %s in %s" % (path, sha, want, what))
        if app.get("size") not in (None, size):
            raise ReleaseError("%s: %d bytes, %s says %s" % (path, size, entry["manifest"], app.get("size")))
        version = m.get("firmware_version") or idx.get("firmware_version")
        if not version:
            raise ReleaseError("%s: no firmware_version" % mpath)
        board = m.get("board") or entry["board"]
        out[board] = Image(board, version, path, size, sha, m.get("chip", ""), app.get("ota_slot_size"))
    if not out:
        raise ReleaseError("%s: %s lists no board" % (root, INDEX))
    return out


def write(root, board, version, data, chip="sim", slot_size=None, extra=None):
    """Add one board to a release directory in the `make release` layout. The
    simulator has no bootloader, so its "merged image" is the app image again."""
    os.makedirs(root, exist_ok=True)
    base = "%s-%s" % (board, version)
    app_name, merged_name, man_name = base + "-app.bin", base + ".bin", base + ".json"
    for name in (app_name, merged_name):
        with open(os.path.join(root, name), "wb") as f:
            f.write(data)
    sha = hashlib.sha256(data).hexdigest()
    app = {"file": app_name, "size": len(data), "sha256": sha}
    if slot_size:
        app.update(ota_slot_size=slot_size, headroom=slot_size - len(data))
    manifest = {"board": board, "chip": chip, "flash_offset": "0x0", "firmware_version": version,
                "app_image": app,
                "merged_image": {"file": merged_name, "size": len(data), "sha256": sha, "flash_offset": "0x0"}}
    manifest.update(extra or {})
    with open(os.path.join(root, man_name), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    idx_path = os.path.join(root, INDEX)
    idx = _json(idx_path) if os.path.isfile(idx_path) else {"boards": []}
    idx["firmware_version"] = version
    idx["boards"] = [b for b in idx.get("boards", []) if b.get("board") != board]
    idx["boards"].append({"board": board, "chip": chip, "manifest": man_name})
    with open(idx_path, "w") as f:
        json.dump(idx, f, indent=2)
        f.write("\n")
    files = [INDEX]
    for b in idx["boards"]:
        m = _json(os.path.join(root, b["manifest"]))
        files += [b["manifest"], m["app_image"]["file"], m["merged_image"]["file"]]
    with open(os.path.join(root, SUMS), "w") as f:
        for name in sorted(set(files)):
            f.write("%s  %s\n" % (_sha256_file(os.path.join(root, name)), name))
    return Image(board, version, os.path.join(root, app_name), len(data), sha, chip, slot_size)

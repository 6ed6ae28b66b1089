"""Release artefacts from firmware build folders, and the app-size check.

  python tools/firmware/release.py check --board NAME --build DIR
      checks DIR/micropython.bin (an ESP app image for the board's chip) against the
      board's OTA slot; exit 1 when it does not fit or the image is not right.
  python tools/firmware/release.py make [--builds build/firmware] [--out build/release] [BOARD...]
      for every board built under --builds (or the boards named): copies the merged image
      and the app image, writes one JSON manifest per board, release.json and SHA256SUMS.

A build folder is what `make firmware` leaves in build/firmware/BOARD: firmware.bin (the
merged image from MicroPython's makeimg.py: bootloader, partition table, app; flashed at
the board's flash offset), micropython.bin (the app alone: the OTA payload; never OTA the
merged image), partition_table/partition-table.bin and mdnsfast-build.json (versions the
build used, from tools/firmware/buildinfo.py). Everything is checked before anything is
written: the merged image holds this board's partition table and, at ota_0, this very app.
"""
import argparse
import hashlib
import json
import os
import shutil
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import board as boards  # noqa: E402  (tools/firmware/board.py)

TOP = boards.TOP
IMAGE_MAGIC = 0xE9
APP_DESC_MAGIC = 0xABCD5432
# esp_image_header_t.chip_id (ESP-IDF esp_app_format.h)
CHIP_IDS = {"esp32": 0, "esp32s2": 2, "esp32c3": 5, "esp32s3": 9, "esp32c2": 12, "esp32c6": 13}
PART_TABLE_OFFSET = 0x8000
PART_TYPES = {0: "app", 1: "data"}
APP_SUBTYPES = {0x00: "factory", 0x10: "ota_0", 0x11: "ota_1"}
DATA_SUBTYPES = {0x00: "ota", 0x01: "phy", 0x02: "nvs", 0x81: "fat"}


class ReleaseError(Exception):
    pass


def read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        raise ReleaseError("cannot read %s: %s" % (path, e.strerror))


def app_image_info(data, what):
    """Header facts of an ESP app image: chip, segments, ESP-IDF version from esp_app_desc_t."""
    if len(data) < 24 + 8 + 256 or data[0] != IMAGE_MAGIC:
        raise ReleaseError("%s is not an ESP app image (magic 0x%02x, %d bytes)" % (what, data[0] if data else 0, len(data)))
    segments = data[1]
    chip_id = struct.unpack_from("<H", data, 12)[0]
    # The first segment starts with esp_app_desc_t: magic, secure_version, reserved[2],
    # version[32], project_name[32], time[16], date[16], idf_ver[32], ...
    desc = 24 + 8
    magic = struct.unpack_from("<I", data, desc)[0]
    if magic != APP_DESC_MAGIC:
        raise ReleaseError("%s has no app description (magic 0x%08x): not an application image" % (what, magic))

    def text(off, n):
        return data[desc + off:desc + off + n].split(b"\0", 1)[0].decode("ascii", "replace")

    return {"segments": segments, "chip_id": chip_id, "idf_ver": text(112, 32), "project": text(48, 32)}


def partition_table(data, what):
    """Entries of a binary ESP partition table (32 bytes each, magic 0xAA50)."""
    out = []
    for pos in range(0, min(len(data), 0xC00), 32):
        e = data[pos:pos + 32]
        if len(e) < 32 or e[:2] in (b"\xff\xff", b"\xeb\xeb"):  # end, or the MD5 entry
            break
        if e[:2] != b"\xaa\x50":
            raise ReleaseError("%s: bad partition entry at 0x%x" % (what, pos))
        ptype, sub, off, size = struct.unpack_from("<BBII", e, 2)
        name = e[12:28].split(b"\0", 1)[0].decode("ascii", "replace")
        tname = PART_TYPES.get(ptype, str(ptype))
        sname = (APP_SUBTYPES if ptype == 0 else DATA_SUBTYPES).get(sub, "0x%02x" % sub)
        out.append({"name": name, "type": tname, "subtype": sname, "offset": off, "size": size})
    if not out:
        raise ReleaseError("%s: no partition table" % what)
    return out


def check_build(meta, build):
    """All checks of one board's build folder; returns the facts the manifest needs."""
    name = meta["name"]
    app_path = os.path.join(build, "micropython.bin")
    merged_path = os.path.join(build, "firmware.bin")
    app = read(app_path)
    info = app_image_info(app, app_path)
    want_chip = CHIP_IDS.get(meta["chip"])
    if info["chip_id"] != want_chip:
        raise ReleaseError("%s: %s was built for chip id %d, board %s is %s (id %s)"
                           % (name, app_path, info["chip_id"], name, meta["chip"], want_chip))
    slot = meta["ota_slot_size_int"]
    facts = {"app": app, "app_path": app_path, "app_info": info, "slot": slot,
             "headroom": slot - len(app)}
    if len(app) > slot:
        raise ReleaseError("%s: the app image is %d bytes, %d over its OTA slot of %d bytes (0x%x): it cannot be installed over the air"
                           % (name, len(app), len(app) - slot, slot, slot))
    csv_rows = boards.parse_partitions(os.path.join(meta["dir"], meta["partition_table"]))
    if os.path.exists(merged_path):
        merged = read(merged_path)
        if not merged or merged[0] != IMAGE_MAGIC:
            raise ReleaseError("%s: %s does not start with a bootloader image" % (name, merged_path))
        table_at = PART_TABLE_OFFSET - meta["flash_offset_int"]
        table = partition_table(merged[table_at:table_at + 0xC00], merged_path)
        got = [(r["name"], r["type"], r["subtype"], r["offset"], r["size"]) for r in table]
        want = [(r["name"], r["type"], r["subtype"], r["offset"], r["size"]) for r in csv_rows]
        if got != want:
            raise ReleaseError("%s: the partition table in %s is not the board's %s:\n  image: %s\n  board: %s"
                               % (name, merged_path, meta["partition_table"], got, want))
        ota0 = [r for r in table if r["subtype"] == "ota_0"][0]
        at = ota0["offset"] - meta["flash_offset_int"]
        if merged[at:at + len(app)] != app:
            raise ReleaseError("%s: %s does not hold micropython.bin at ota_0 (0x%x): stale build?"
                               % (name, merged_path, ota0["offset"]))
        facts.update(merged=merged, merged_path=merged_path, table=table)
    return facts


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def load_build_facts(build):
    path = os.path.join(build, "mdnsfast-build.json")
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        raise ReleaseError("%s: %s (written by `make firmware`; rebuild the board)" % (path, e))


def size_line(meta, facts):
    app = len(facts["app"])
    slot = facts["slot"]
    return "%s: app image %d bytes, OTA slot %d bytes, headroom %d bytes (%.1f%%)" % (
        meta["name"], app, slot, slot - app, 100.0 * (slot - app) / slot)


def cmd_check(a):
    meta = boards.load(a.board)
    facts = check_build(meta, a.build)
    print(size_line(meta, facts))
    if int(meta["app_size"]) != len(facts["app"]):
        print("%s: board.json app_size is %s (%s); measured now: %d. Record it in %s/board.json"
              % (meta["name"], meta["app_size"], meta["app_size_source"], len(facts["app"]),
                 os.path.relpath(meta["dir"], TOP)))
    if "merged" not in facts:
        raise ReleaseError("%s: no firmware.bin in %s" % (meta["name"], a.build))
    return 0


def release_board(meta, build, out):
    facts = check_build(meta, build)
    if "merged" not in facts:
        raise ReleaseError("%s: no firmware.bin in %s (the merged image is made by MicroPython's makeimg.py)" % (meta["name"], build))
    bf = load_build_facts(build)
    for k in ("version", "git", "micropython", "idf", "board"):
        if k not in bf:
            raise ReleaseError("%s: mdnsfast-build.json lacks %r" % (build, k))
    if bf["board"] != meta["name"]:
        raise ReleaseError("%s: built for board %s, not %s" % (build, bf["board"], meta["name"]))
    idf_img = facts["app_info"]["idf_ver"]
    if bf["idf"] and idf_img and not idf_img.startswith(bf["idf"].split(" ")[0]):
        raise ReleaseError("%s: mdnsfast-build.json says ESP-IDF %s, the image says %s" % (build, bf["idf"], idf_img))
    variant = bf.get("variant") or ""
    base = "%s%s-%s" % (meta["name"], "-" + variant if variant else "", bf["version"])
    merged_name, app_name = base + ".bin", base + "-app.bin"
    shutil.copyfile(facts["merged_path"], os.path.join(out, merged_name))
    shutil.copyfile(facts["app_path"], os.path.join(out, app_name))
    slot, app_len = facts["slot"], len(facts["app"])
    manifest = {
        "board": meta["name"],
        "variant": variant,
        "description": meta.get("description", ""),
        "chip": meta["chip"],
        "flash_offset": "0x%x" % meta["flash_offset_int"],
        "flash_size": meta["flash_size"],
        "firmware_version": bf["version"],
        "git_revision": bf["git"],
        "build": bf.get("build", ""),
        "build_date": bf.get("date", ""),
        "micropython_version": bf["micropython"],
        "idf_version": idf_img or bf["idf"],
        "merged_image": {
            "file": merged_name, "size": len(facts["merged"]), "sha256": sha256(facts["merged"]),
            "flash_offset": "0x%x" % meta["flash_offset_int"],
            "flash_command": "esptool --chip %s write-flash -z 0x%x %s" % (meta["chip"], meta["flash_offset_int"], merged_name),
        },
        "app_image": {
            "file": app_name, "size": app_len, "sha256": sha256(facts["app"]),
            "ota_slot_size": slot, "headroom": slot - app_len,
            "headroom_percent": round(100.0 * (slot - app_len) / slot, 1),
        },
        "partitions": [dict(r, offset="0x%x" % r["offset"], size="0x%x" % r["size"]) for r in facts["table"]],
    }
    with open(os.path.join(out, base + ".json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    print(size_line(meta, facts))
    return manifest, [merged_name, app_name, base + ".json"]


def build_board(build):
    """The board a build folder is for: mdnsfast-build.json says; else the folder's name."""
    path = os.path.join(build, "mdnsfast-build.json")
    if os.path.exists(path):
        return load_build_facts(build).get("board") or os.path.basename(build)
    return os.path.basename(build)


def cmd_make(a):
    # A build folder per board and variant: build/firmware/BOARD or BOARD-VARIANT.
    dirs = a.boards
    if not dirs:
        dirs = sorted(d for d in os.listdir(a.builds) if os.path.exists(os.path.join(a.builds, d, "micropython.bin"))) \
            if os.path.isdir(a.builds) else []
        if not dirs:
            raise ReleaseError("no board built under %s: run `make firmware BOARD=NAME` or `make firmware-all` first (boards: %s)"
                               % (a.builds, " ".join(boards.names())))
    builds = [os.path.join(a.builds, d) for d in dirs]
    metas = [boards.load(build_board(b)) for b in builds]
    results = []
    tmp = a.out + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    files = []
    for meta, build in zip(metas, builds):
        m, f = release_board(meta, build, tmp)
        m = dict(m, manifest=f[2])
        results.append(m)
        files += f
    versions = sorted(set(m["firmware_version"] for m in results))
    if len(versions) != 1:
        raise ReleaseError("the builds are of different firmware versions (%s): rebuild them" % ", ".join(versions))
    index = {"firmware_version": versions[0], "boards": [
        {"board": m["board"], "variant": m["variant"], "chip": m["chip"],
         "manifest": m["manifest"]} for m in results]}
    with open(os.path.join(tmp, "release.json"), "w") as f:
        json.dump(index, f, indent=2)
        f.write("\n")
    files.append("release.json")
    with open(os.path.join(tmp, "SHA256SUMS"), "w") as f:
        for name in sorted(files):
            f.write("%s  %s\n" % (sha256(read(os.path.join(tmp, name))), name))
    shutil.rmtree(a.out, ignore_errors=True)
    os.rename(tmp, a.out)
    print("release: %d board(s) in %s: %s" % (len(results), a.out, " ".join(sorted(files + ["SHA256SUMS"]))))
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(description="mdnsfast release artefacts and size check")
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("check", help="check a build folder's app image against the board's OTA slot")
    c.add_argument("--board", required=True)
    c.add_argument("--build", required=True)
    m = sub.add_parser("make", help="release artefacts for every board built")
    m.add_argument("--builds", default=os.path.join(TOP, "build", "firmware"))
    m.add_argument("--out", default=os.path.join(TOP, "build", "release"))
    m.add_argument("boards", nargs="*", help="build folder names under --builds (default: all)")
    a = ap.parse_args(argv)
    try:
        return cmd_check(a) if a.cmd == "check" else cmd_make(a)
    except (ReleaseError, boards.BoardError) as e:
        print("release: %s" % e, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())

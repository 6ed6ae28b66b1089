"""Board metadata reader: the one place `make flash`, `make release` and CI read a board from.

Each board folder ports/esp32/boards/<NAME>/ holds board.json:
  chip             esptool --chip value and ESP-IDF target (esp32, esp32s3, esp32c3)
  flash_offset     where the merged image firmware.bin is written ("0x1000" on esp32, "0x0" on s3/c3)
  flash_size       "4MB", "8MB" (the sdkconfig.board setting, for the release manifest)
  partition_table  CSV in the board folder (the two OTA app slots are read from it)
  ota_slot_size    size of each OTA app slot; must equal the CSV's ota_0 and ota_1 sizes
  app_size         last known size in bytes of the app image micropython.bin
  app_size_source  "estimate ..." or "measured ...": where app_size comes from

Usage:
  python tools/firmware/board.py list
  python tools/firmware/board.py get NAME KEY     (e.g. get MDNSFAST_ESP32_GENERIC chip)
  python tools/firmware/board.py check [NAME...]  (consistency checks; exit 1 on a problem)
"""
import json
import os
import sys

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BOARDS_DIR = os.path.join(TOP, "ports", "esp32", "boards")
REQUIRED_FILES = ("mpconfigboard.cmake", "mpconfigboard.h", "sdkconfig.board", "manifest.py", "board.json")
KEYS = ("chip", "flash_offset", "flash_size", "partition_table", "ota_slot_size", "app_size", "app_size_source")
CHIPS = {"esp32": 0x1000, "esp32s2": 0x1000, "esp32s3": 0x0, "esp32c3": 0x0, "esp32c6": 0x0, "esp32c2": 0x0}
FLASH_SIZES = {"2MB": 2 << 20, "4MB": 4 << 20, "8MB": 8 << 20, "16MB": 16 << 20, "32MB": 32 << 20}


class BoardError(Exception):
    pass


def names():
    """Board folder names (a board folder is one with a board.json)."""
    if not os.path.isdir(BOARDS_DIR):
        return []
    return sorted(n for n in os.listdir(BOARDS_DIR) if os.path.isfile(os.path.join(BOARDS_DIR, n, "board.json")))


def board_dir(name):
    return os.path.join(BOARDS_DIR, name)


def _int(v, what):
    try:
        return int(v, 0) if isinstance(v, str) else int(v)
    except (TypeError, ValueError):
        raise BoardError("%s: not a number: %r" % (what, v))


def load(name, boards_dir=None):
    """board.json as a dict, with numbers parsed (flash_offset_int, ota_slot_size_int, flash_bytes)."""
    d = os.path.join(boards_dir or BOARDS_DIR, name)
    path = os.path.join(d, "board.json")
    if not os.path.isfile(path):
        raise BoardError("unknown board %r: no %s (boards: %s)" % (name, os.path.relpath(path, TOP), " ".join(names())))
    with open(path) as f:
        meta = json.load(f)
    missing = [k for k in KEYS if k not in meta]
    if missing:
        raise BoardError("%s: board.json lacks %s" % (name, ", ".join(missing)))
    meta["name"] = name
    meta["dir"] = d
    meta["flash_offset_int"] = _int(meta["flash_offset"], name + ": flash_offset")
    meta["ota_slot_size_int"] = _int(meta["ota_slot_size"], name + ": ota_slot_size")
    if meta["flash_size"] not in FLASH_SIZES:
        raise BoardError("%s: flash_size %r is not one of %s" % (name, meta["flash_size"], " ".join(FLASH_SIZES)))
    meta["flash_bytes"] = FLASH_SIZES[meta["flash_size"]]
    return meta


def parse_partitions(path):
    """ESP-IDF partition CSV -> list of dicts (name, type, subtype, offset, size) with ints."""
    rows = []
    with open(path) as f:
        for lineno, line in enumerate(f, 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            cols = [c.strip() for c in line.split(",")]
            if len(cols) < 5:
                raise BoardError("%s:%d: expected name,type,subtype,offset,size" % (path, lineno))
            rows.append({
                "name": cols[0], "type": cols[1], "subtype": cols[2],
                "offset": _int(cols[3], "%s:%d offset" % (path, lineno)),
                "size": _int(cols[4], "%s:%d size" % (path, lineno)),
            })
    return rows


def ota_slots(meta):
    """The app partitions of a board's table, in table order."""
    rows = parse_partitions(os.path.join(meta["dir"], meta["partition_table"]))
    return [r for r in rows if r["type"] == "app"]


def problems(meta):
    """Everything wrong with one board's metadata and table, as messages (empty = fine)."""
    out = []
    name = meta["name"]
    for f in REQUIRED_FILES + (meta["partition_table"],):
        if not os.path.isfile(os.path.join(meta["dir"], f)):
            out.append("%s: missing %s" % (name, f))
    if out:
        return out
    if meta["chip"] not in CHIPS:
        out.append("%s: unknown chip %r" % (name, meta["chip"]))
    elif CHIPS[meta["chip"]] != meta["flash_offset_int"]:
        out.append("%s: flash_offset %s, but %s images start at 0x%x" % (name, meta["flash_offset"], meta["chip"], CHIPS[meta["chip"]]))
    rows = parse_partitions(os.path.join(meta["dir"], meta["partition_table"]))
    apps = [r for r in rows if r["type"] == "app"]
    subtypes = sorted(r["subtype"] for r in apps)
    if subtypes != ["ota_0", "ota_1"]:
        out.append("%s: app partitions are %s, want exactly ota_0 and ota_1" % (name, subtypes))
    if not any(r["type"] == "data" and r["subtype"] == "ota" for r in rows):
        out.append("%s: no otadata partition (OTA and rollback need it)" % name)
    sizes = set(r["size"] for r in apps)
    if len(sizes) != 1:
        out.append("%s: OTA slots differ in size: %s" % (name, ", ".join("%s 0x%x" % (r["name"], r["size"]) for r in apps)))
    for r in apps:
        if r["size"] != meta["ota_slot_size_int"]:
            out.append("%s: %s is 0x%x, board.json says ota_slot_size %s" % (name, r["name"], r["size"], meta["ota_slot_size"]))
        if r["offset"] % 0x10000:
            out.append("%s: %s offset 0x%x is not 64 KiB aligned" % (name, r["name"], r["offset"]))
    end = 0x9000  # bootloader and the table itself (at 0x8000) come first
    for r in sorted(rows, key=lambda r: r["offset"]):
        if r["offset"] < end:
            out.append("%s: %s at 0x%x overlaps what comes before it (ends 0x%x)" % (name, r["name"], r["offset"], end))
        end = r["offset"] + r["size"]
    if end > meta["flash_bytes"]:
        out.append("%s: the table ends at 0x%x, past %s of flash" % (name, end, meta["flash_size"]))
    app_size = _int(meta["app_size"], name + ": app_size")
    if app_size > meta["ota_slot_size_int"]:
        out.append("%s: app_size %d (%s) does not fit the OTA slot of %d bytes"
                   % (name, app_size, meta["app_size_source"], meta["ota_slot_size_int"]))
    return out


def main(argv):
    if len(argv) >= 2 and argv[1] == "list":
        print(" ".join(names()))
        return 0
    if len(argv) == 4 and argv[1] == "get":
        try:
            meta = load(argv[2])
        except BoardError as e:
            print("board: %s" % e, file=sys.stderr)
            return 2
        if argv[3] not in meta:
            print("board: %s has no key %r (keys: %s)" % (argv[2], argv[3], " ".join(KEYS)), file=sys.stderr)
            return 2
        print(meta[argv[3]])
        return 0
    if len(argv) >= 2 and argv[1] == "check":
        bad = []
        for n in argv[2:] or names():
            try:
                bad += problems(load(n))
            except BoardError as e:
                bad.append(str(e))
        for b in bad:
            print("board: %s" % b, file=sys.stderr)
        return 1 if bad else 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))

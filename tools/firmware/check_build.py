"""Checks of a real firmware build folder (what `make firmware` leaves in build/firmware/BOARD).

  python tools/firmware/check_build.py DIR [DIR...]   check build folders; exit 1 on a failure
  python tools/firmware/check_build.py --all [ROOT]   every build folder under ROOT (build/firmware);
                                                      says so and exits 0 when there is none
  ... --record                                        write the measured figures into board.json
  ... --json FILE                                     the figures and results as JSON

Each check prints one line, ok or FAIL, with its figure:
- image: `esptool image-info` accepts micropython.bin (the OTA payload);
- layout: firmware.bin (flashed at the board's offset) has the bootloader at the chip's
  bootloader offset (0x1000 ESP32, 0x0 S3/C3), the partition table at 0x8000 and the app at
  0x10000 (ota_0);
- partitions: the table in the image, decoded by ESP-IDF's own gen_esp32part.py, equals the
  board's partitions.csv;
- slot: the app leaves at least MARGIN (3 %) of its OTA slot free: devices in the field keep
  their slots for ever, so later releases need room to grow;
- elf: the mdnsfast C functions and module are linked, every frozen mdns module is in the
  frozen-module table, the ESP-IDF mdns component is absent (no mdns_init);
- sdkconfig: CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE=y in the build's final sdkconfig;
- memory: static DRAM/IRAM use from esp-idf-size (reported, not judged).
"""
import argparse
import datetime
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import board as boards  # noqa: E402
import manifest_stub  # noqa: E402
import release  # noqa: E402

TOP = boards.TOP
MARGIN = 0.03
BOOTLOADER_AT = {"esp32": 0x1000, "esp32s2": 0x1000, "esp32s3": 0x0, "esp32c3": 0x0, "esp32c6": 0x0}
APP_AT = 0x10000
# the C core, the binding's module object, and the fleet signature check (modfleetsig.c)
MDNSFAST_SYMBOLS = ("mdf_walk", "mdf_match", "mdf_read_name", "mdf_name_eq", "mdf_write_name",
                    "mdnsfast_user_cmodule", "fleetsig_user_cmodule", "fleetsig_verify")
FORBIDDEN_SYMBOLS = ("mdns_init",)


def margin_problem(size, slot, margin=MARGIN):
    """None if `size` leaves `margin` of `slot` free, else the reason."""
    room = slot - size
    if room < margin * slot:
        return "%d bytes leave %d bytes (%.2f%%) of the %d-byte slot free; at least %.0f%% (%d bytes) must stay free" % (
            size, room, 100.0 * room / slot, slot, 100 * margin, int(margin * slot + 0.999))
    return None


def csv_rows(text):
    """(name, type, subtype, offset, size) of a partition CSV, numbers as ints (sizes like 1M too)."""
    def num(v):
        v = v.strip()
        m = re.fullmatch(r"(\d+)([KM])", v, re.I)
        if m:
            return int(m.group(1)) << (10 if m.group(2).upper() == "K" else 20)
        return int(v, 0)
    out = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        f = [x.strip() for x in line.split(",")]
        out.append((f[0], f[1], f[2], num(f[3]), num(f[4])))
    return out


def expected_frozen(meta):
    """Target names (mdns/x.py) the board's manifest freezes from our package."""
    m = manifest_stub.evaluate(os.path.join(meta["dir"], "manifest.py"))
    return sorted(t for _, t in m.frozen if t.startswith("mdns/"))


def elf_facts(elf_path):
    from elftools.common.exceptions import ELFError
    from elftools.elf.elffile import ELFFile
    from elftools.elf.sections import SymbolTableSection
    with open(elf_path, "rb") as f:
        try:
            elf = ELFFile(f)
        except ELFError as e:  # a half-written file while a link runs, or not an ELF at all
            raise OSError("%s is not a readable ELF file (%s): is a build still running?" % (elf_path, e))
        syms = {}
        for sec in elf.iter_sections():
            if isinstance(sec, SymbolTableSection):
                for s in sec.iter_symbols():
                    if s.name:
                        syms[s.name] = (s["st_value"], s["st_size"], s["st_shndx"])
        names = []
        if "mp_frozen_names" in syms:
            addr, size, shndx = syms["mp_frozen_names"]
            sec = elf.get_section(shndx)
            data = sec.data()[addr - sec["sh_addr"]:addr - sec["sh_addr"] + size]
            names = [n.decode() for n in data.split(b"\0") if n]
        # the compilers that built it: GCC writes "GCC: (...) 14.2.0" into .comment
        cs = elf.get_section_by_name(".comment")
        comp = sorted(set(c.decode(errors="replace") for c in cs.data().split(b"\0") if c)) if cs else []
    return syms, names, comp


class Checker:
    def __init__(self, build, idf_path=None):
        self.build = build
        self.results = []
        self.figures = {}
        bf = release.load_build_facts(build) if os.path.exists(os.path.join(build, "mdnsfast-build.json")) else {}
        self.facts = bf
        self.meta = boards.load(release.build_board(build))
        self.idf = idf_path or os.environ.get("IDF_PATH") or self._idf_from_build()

    def _idf_from_build(self):
        try:
            with open(os.path.join(self.build, "project_description.json")) as f:
                return json.load(f).get("idf_path")
        except (OSError, ValueError):
            return None

    def check(self, name, ok, text):
        self.results.append((name, bool(ok), text))
        print("  %-11s %s  %s" % (name, "ok  " if ok else "FAIL", text))

    def path(self, *p):
        return os.path.join(self.build, *p)

    def run_all(self):
        meta = self.meta
        print("== %s (%s)" % (self.build, meta["name"]))
        app = release.read(self.path("micropython.bin"))
        merged = release.read(self.path("firmware.bin"))
        self.figures.update(app_size=len(app), slot=meta["ota_slot_size_int"])
        self.check_image(meta)
        self.check_layout(meta, app, merged)
        self.check_partitions(meta, merged)
        p = margin_problem(len(app), meta["ota_slot_size_int"])
        room = meta["ota_slot_size_int"] - len(app)
        self.figures.update(headroom=room, headroom_percent=round(100.0 * room / meta["ota_slot_size_int"], 2))
        self.check("slot", p is None, p or "app %d bytes in a %d-byte slot: %d bytes (%.2f%%) free" % (
            len(app), meta["ota_slot_size_int"], room, 100.0 * room / meta["ota_slot_size_int"]))
        self.check_elf(meta)
        self.check_sdkconfig()
        self.memory()
        return all(ok for _, ok, _ in self.results)

    def check_image(self, meta):
        r = subprocess.run([sys.executable, "-m", "esptool", "--chip", meta["chip"], "image-info", self.path("micropython.bin")],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if r.returncode != 0 and "invalid choice" in r.stdout:  # esptool v4 spells it image_info
            r = subprocess.run([sys.executable, "-m", "esptool", "--chip", meta["chip"], "image_info", self.path("micropython.bin")],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        valid = r.returncode == 0 and re.search(r"Checksum:.*\(valid\)", r.stdout) is not None
        sha_ok = re.search(r"Validation [Hh]ash:.*\(valid\)", r.stdout) is not None
        self.check("image", valid and sha_ok, "esptool image-info: checksum %s, validation hash %s" % (
            "valid" if valid else "NOT valid", "valid" if sha_ok else "NOT valid")
            + ("" if r.returncode == 0 else ": " + r.stdout.strip().splitlines()[-1]))

    def check_layout(self, meta, app, merged):
        off = meta["flash_offset_int"]
        boot_at = BOOTLOADER_AT[meta["chip"]]
        bits = []
        ok = off == boot_at and merged[:1] == bytes([release.IMAGE_MAGIC])
        bits.append("bootloader at 0x%x" % off)
        tab = merged[release.PART_TABLE_OFFSET - off:release.PART_TABLE_OFFSET - off + 2]
        ok = ok and tab == b"\xaa\x50"
        bits.append("partition table at 0x%x %s" % (release.PART_TABLE_OFFSET, "yes" if tab == b"\xaa\x50" else "NO"))
        at = APP_AT - off
        app_ok = merged[at:at + len(app)] == app
        ok = ok and app_ok
        bits.append("app at 0x%x %s" % (APP_AT, "yes" if app_ok else "NO"))
        self.check("layout", ok, ", ".join(bits) + " (board offset 0x%x, chip wants 0x%x)" % (off, boot_at))

    def check_partitions(self, meta, merged):
        csv_path = os.path.join(meta["dir"], meta["partition_table"])
        want = csv_rows(open(csv_path).read())
        gen = os.path.join(self.idf or "", "components", "partition_table", "gen_esp32part.py")
        if not self.idf or not os.path.isfile(gen):
            self.check("partitions", False, "ESP-IDF's gen_esp32part.py not found (set IDF_PATH): table not checked")
            return
        off = meta["flash_offset_int"]
        binpath = self.path("partition-table-from-image.bin")
        with open(binpath, "wb") as f:
            f.write(merged[release.PART_TABLE_OFFSET - off:release.PART_TABLE_OFFSET - off + 0xC00])
        r = subprocess.run([sys.executable, gen, "--quiet", binpath], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        os.remove(binpath)
        if r.returncode != 0:
            self.check("partitions", False, "gen_esp32part.py failed: %s" % r.stderr.strip().splitlines()[-1:])
            return
        got = csv_rows(r.stdout)
        self.check("partitions", got == want, "gen_esp32part.py decodes %d entries %s %s" % (
            len(got), "equal to" if got == want else "DIFFERENT from", os.path.relpath(csv_path, TOP))
            + ("" if got == want else ": image %s, csv %s" % (got, want)))

    def check_elf(self, meta):
        try:
            syms, frozen, compilers = elf_facts(self.path("micropython.elf"))
        except ImportError:
            self.check("elf", False, "pyelftools is not installed (pip install pyelftools)")
            return
        if compilers and not self.facts.get("compiler"):
            self.facts["compiler"] = "; ".join(compilers)
        missing = [s for s in MDNSFAST_SYMBOLS if s not in syms]
        self.check("elf-c", not missing, "mdnsfast linked: %s" % ("all of " + ", ".join(MDNSFAST_SYMBOLS) if not missing
                                                                  else "MISSING " + ", ".join(missing)))
        want = expected_frozen(meta)
        have = set(frozen)
        lost = [m for m in want if m not in have]
        self.check("elf-frozen", want and not lost, "%d of %d frozen mdns modules in mp_frozen_names (%d frozen in all)%s" % (
            len(want) - len(lost), len(want), len(frozen), "" if not lost else ": MISSING " + ", ".join(lost)))
        bad = [s for s in FORBIDDEN_SYMBOLS if s in syms]
        self.check("elf-no-mdns", not bad, "ESP-IDF mdns component %s" % ("absent (no mdns_init)" if not bad else "LINKED: " + ", ".join(bad)))
        self.figures["frozen_modules"] = len(frozen)

    def check_sdkconfig(self):
        try:
            text = open(self.path("sdkconfig")).read()
        except OSError:
            self.check("sdkconfig", False, "no sdkconfig in the build folder")
            return
        on = re.search(r"^CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE=y$", text, re.M) is not None
        self.check("sdkconfig", on, "CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE %s" % ("=y" if on else "is NOT set"))

    def memory(self):
        mp = self.path("micropython.map")
        if not os.path.exists(mp):
            print("  memory      --    no micropython.map: static memory not measured")
            return
        r = subprocess.run([sys.executable, "-m", "esp_idf_size", "--format", "json2", mp],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if r.returncode != 0:
            print("  memory      --    esp-idf-size failed: %s" % (r.stderr.strip().splitlines() or ["?"])[-1])
            return
        try:
            d = json.loads(r.stdout)
        except ValueError:
            print("  memory      --    esp-idf-size gave no JSON")
            return
        mem = {}
        for v in d.get("layout") or []:  # esp-idf-size's json2: one entry per memory type
            mem[v["name"]] = {"used": v.get("used"), "size": v.get("total")}
        self.figures["memory"] = mem
        line = ", ".join("%s %s/%s" % (k, v["used"], v["size"]) for k, v in sorted(mem.items()))
        print("  memory      --    static use (esp-idf-size): %s" % line)


def record(ch):
    """Write the measured size and memory into the board's board.json."""
    meta = ch.meta
    path = os.path.join(meta["dir"], "board.json")
    with open(path) as f:
        j = json.load(f)
    variant = ch.facts.get("variant") or ""
    today = datetime.date.today().isoformat()
    entry = {"app_size": ch.figures["app_size"],
             "headroom_percent": ch.figures["headroom_percent"],
             "date": today,
             "micropython": ch.facts.get("micropython", ""),
             "idf": ch.facts.get("idf", ""),
             "compiler": ch.facts.get("compiler", ""),
             "memory": ch.figures.get("memory", {})}
    if variant:
        j.setdefault("variants_measured", {})[variant] = entry
    else:
        j["app_size"] = ch.figures["app_size"]
        j["app_size_source"] = "measured %s: micropython.bin of MicroPython %s, ESP-IDF %s, built here from source (tools/esp/)" % (
            today, entry["micropython"] or "?", entry["idf"] or "?")
        j["measured"] = entry
        # a fitting measurement replaces the notes an earlier, unfitting one left
        for k in ("measured_over_slot", "measured_below_margin"):
            j.pop(k, None)
    with open(path, "w") as f:
        json.dump(j, f, indent=4)
        f.write("\n")
    print("  recorded in %s" % os.path.relpath(path, TOP))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("builds", nargs="*")
    ap.add_argument("--all", nargs="?", const=os.path.join(TOP, "build", "firmware"), metavar="ROOT")
    ap.add_argument("--record", action="store_true")
    ap.add_argument("--json")
    ap.add_argument("--idf-path")
    a = ap.parse_args(argv)
    builds = list(a.builds)
    if a.all:
        if os.path.isdir(a.all):
            builds += sorted(os.path.join(a.all, d) for d in os.listdir(a.all)
                             if os.path.exists(os.path.join(a.all, d, "micropython.elf")))
        if not builds:
            print("check_build: no firmware build folder under %s: image checks not run (make firmware BOARD=NAME first)" % a.all)
            return 0
    if not builds:
        ap.error("name a build folder or use --all")
    out, ok = {}, True
    for b in builds:
        try:
            ch = Checker(b, a.idf_path)
            good = ch.run_all()
        except (release.ReleaseError, boards.BoardError, OSError) as e:
            print("  FAIL %s" % e)
            ok = False
            continue
        ok = ok and good
        out[b] = {"board": ch.meta["name"], "variant": ch.facts.get("variant", ""), "figures": ch.figures,
                  "checks": [{"name": n, "ok": o, "text": t} for n, o, t in ch.results]}
        if a.record and good:
            record(ch)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=2)
    print("check_build: %d build folder(s), %s" % (len(builds), "all checks passed" if ok else "FAILURES above"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

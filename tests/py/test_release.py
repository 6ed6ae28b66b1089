"""`make release` and the app-size check on fake build folders (no ESP-IDF needed).

The fake folder has what MicroPython's esp32 build leaves: micropython.bin (an ESP app
image: header with the chip id, app description with the ESP-IDF version), firmware.bin
(bootloader at the board's flash offset, the binary partition table at 0x8000, the app at
ota_0) and mdnsfast-build.json (written by tools/firmware/buildinfo.py).
"""
import hashlib
import json
import os
import struct
import subprocess
import sys

import pytest

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(TOP, "tools", "firmware"))
import board as boards  # noqa: E402

RELEASE = os.path.join(TOP, "tools", "firmware", "release.py")
CHIP_IDS = {"esp32": 0, "esp32s3": 9, "esp32c3": 5}
VERSION = "9.8.7"


def app_image(chip, size, idf="v5.5.2", fill=b"\x5a"):
    hdr = bytes([0xE9, 3, 2, 0x20]) + struct.pack("<I", 0x40080000) + bytes(4)
    hdr += struct.pack("<H", CHIP_IDS[chip]) + bytes(10)
    seg = struct.pack("<II", 0x3F400020, 256)
    desc = struct.pack("<III", 0xABCD5432, 0, 0) + bytes(4) + b"".ljust(32, b"\0") + b"".ljust(32, b"\0")
    desc += b"12:00:00".ljust(16, b"\0") + b"Nov 22 2026".ljust(16, b"\0") + idf.encode().ljust(32, b"\0")
    data = hdr + seg + desc
    return data + fill * (size - len(data))


def table_bin(rows):
    types = {"app": 0, "data": 1}
    subs = {"ota_0": 0x10, "ota_1": 0x11, "factory": 0, "ota": 0, "phy": 1, "nvs": 2}
    out = b""
    for r in rows:
        out += b"\xaa\x50" + struct.pack("<BBII", types[r["type"]], subs[r["subtype"]], r["offset"], r["size"])
        out += r["name"].encode().ljust(16, b"\0") + bytes(4)
    out += b"\xeb\xeb" + b"\xff" * 14 + hashlib.md5(out).digest()
    return out + b"\xff" * (0xC00 - len(out))


def fake_build(root, name, app_size=900000, chip=None, idf="v5.5.2", rows=None, merged_app=None, version=VERSION):
    meta = boards.load(name)
    chip = chip or meta["chip"]
    d = os.path.join(str(root), name)
    os.makedirs(d, exist_ok=True)
    app = app_image(chip, app_size, idf)
    rows = rows or boards.parse_partitions(os.path.join(meta["dir"], "partitions.csv"))
    off = meta["flash_offset_int"]
    img = bytearray(b"\xff" * (0x10000 - off))
    boot = app_image(chip, 0x4000)
    img[0:len(boot)] = boot
    t = table_bin(rows)
    img[0x8000 - off:0x8000 - off + len(t)] = t
    img += merged_app if merged_app is not None else app
    with open(os.path.join(d, "micropython.bin"), "wb") as f:
        f.write(app)
    with open(os.path.join(d, "firmware.bin"), "wb") as f:
        f.write(img)
    facts = {"board": name, "chip": chip, "version": version, "git": "0123456789", "micropython": "v1.29.0",
             "idf": idf, "date": "2026-11-22", "build": "mdns %s, git 0123456789, %s" % (version, name)}
    with open(os.path.join(d, "mdnsfast-build.json"), "w") as f:
        json.dump(facts, f)
    return d, app, bytes(img)


def run(*args):
    return subprocess.run([sys.executable, RELEASE] + list(args), capture_output=True, text=True, timeout=60)


def sha(b):
    return hashlib.sha256(b).hexdigest()


def test_release_of_all_three_boards(tmp_path):
    builds, out = tmp_path / "fw", tmp_path / "rel"
    made = {n: fake_build(builds, n, app_size=1000000 + i * 4096) for i, n in enumerate(boards.names())}
    r = run("make", "--builds", str(builds), "--out", str(out))
    assert r.returncode == 0, r.stderr
    files = sorted(os.listdir(out))
    want = ["SHA256SUMS", "release.json"]
    for n in made:
        want += ["%s-%s.bin" % (n, VERSION), "%s-%s-app.bin" % (n, VERSION), "%s-%s.json" % (n, VERSION)]
    assert files == sorted(want)
    sums = dict(reversed(line.split("  ")) for line in (out / "SHA256SUMS").read_text().splitlines())
    assert sorted(sums) == sorted(f for f in files if f != "SHA256SUMS")
    for f, h in sums.items():
        assert sha((out / f).read_bytes()) == h, f
    index = json.loads((out / "release.json").read_text())
    assert index["firmware_version"] == VERSION
    assert sorted(b["board"] for b in index["boards"]) == sorted(made)
    for n, (d, app, merged) in made.items():
        meta = boards.load(n)
        assert (out / ("%s-%s-app.bin" % (n, VERSION))).read_bytes() == app  # OTA payload: the app alone
        assert (out / ("%s-%s.bin" % (n, VERSION))).read_bytes() == merged
        m = json.loads((out / ("%s-%s.json" % (n, VERSION))).read_text())
        assert m["board"] == n and m["chip"] == meta["chip"]
        assert m["flash_offset"] == {"esp32": "0x1000", "esp32s3": "0x0", "esp32c3": "0x0"}[meta["chip"]]
        assert m["firmware_version"] == VERSION and m["git_revision"] == "0123456789"
        assert m["micropython_version"] == "v1.29.0" and m["idf_version"] == "v5.5.2"
        assert m["flash_size"] == meta["flash_size"]
        assert m["merged_image"]["size"] == len(merged) and m["merged_image"]["sha256"] == sha(merged)
        assert m["merged_image"]["flash_command"] == "esptool --chip %s write-flash -z %s %s-%s.bin" % (
            meta["chip"], m["flash_offset"], n, VERSION)
        a = m["app_image"]
        assert a["size"] == len(app) and a["sha256"] == sha(app)
        assert a["ota_slot_size"] == meta["ota_slot_size_int"]
        assert a["headroom"] == meta["ota_slot_size_int"] - len(app)
        assert [p["name"] for p in m["partitions"]] == ["nvs", "otadata", "phy_init", "ota_0", "ota_1"]


def test_release_via_make(tmp_path):
    builds, out = tmp_path / "fw", tmp_path / "rel"
    fake_build(builds, "MDNSFAST_ESP32_GENERIC")
    r = subprocess.run(["make", "--no-print-directory", "-C", TOP, "release",
                        "FIRMWARE_BUILD=%s" % builds, "RELEASE_DIR=%s" % out],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert (out / ("MDNSFAST_ESP32_GENERIC-%s.bin" % VERSION)).exists()
    assert "headroom" in r.stdout


def test_release_without_builds_says_so(tmp_path):
    r = run("make", "--builds", str(tmp_path / "none"), "--out", str(tmp_path / "rel"))
    assert r.returncode == 1 and "make firmware BOARD=" in r.stderr
    assert not (tmp_path / "rel").exists()


def test_check_reports_headroom_and_estimate(tmp_path):
    d, app, _ = fake_build(tmp_path, "MDNSFAST_ESP32_C3", app_size=1234567)
    r = run("check", "--board", "MDNSFAST_ESP32_C3", "--build", d)
    assert r.returncode == 0, r.stderr
    assert "app image 1234567 bytes, OTA slot 1835008 bytes, headroom 600441 bytes" in r.stdout
    assert "measured now: 1234567" in r.stdout


@pytest.mark.parametrize("case,message", [
    ("too_big", "over its OTA slot"),
    ("wrong_chip", "chip id"),
    ("stale_merged", "does not hold micropython.bin at ota_0"),
    ("other_table", "is not the board's partitions.csv"),
    ("not_an_image", "not an ESP app image"),
])
def test_check_catches_bad_builds(tmp_path, case, message):
    name = "MDNSFAST_ESP32_GENERIC"
    kw = {}
    if case == "too_big":
        kw["app_size"] = 0x1C0000 + 1
    elif case == "wrong_chip":
        kw["chip"] = "esp32c3"
    elif case == "stale_merged":
        kw["merged_app"] = app_image("esp32", 900000, fill=b"\x11")
    elif case == "other_table":
        rows = boards.parse_partitions(os.path.join(boards.board_dir(name), "partitions.csv"))
        rows[-1] = dict(rows[-1], size=0x1B0000)
        kw["rows"] = rows
    d, _, _ = fake_build(tmp_path / "fw", name, **kw)
    if case == "not_an_image":
        with open(os.path.join(d, "micropython.bin"), "wb") as f:
            f.write(b"\x00" * 4096)
    r = run("check", "--board", name, "--build", d)
    assert r.returncode == 1 and message in r.stderr, r.stderr
    r = run("make", "--builds", str(tmp_path / "fw"), "--out", str(tmp_path / "rel"))
    assert r.returncode == 1 and message in r.stderr
    assert not (tmp_path / "rel").exists(), "nothing is released from a bad build"


def test_release_refuses_idf_mismatch(tmp_path):
    d, _, _ = fake_build(tmp_path / "fw", "MDNSFAST_ESP32_S3", idf="v5.4.1")
    with open(os.path.join(d, "mdnsfast-build.json")) as f:
        facts = json.load(f)
    facts["idf"] = "v5.5.2"
    with open(os.path.join(d, "mdnsfast-build.json"), "w") as f:
        json.dump(facts, f)
    r = run("make", "--builds", str(tmp_path / "fw"), "--out", str(tmp_path / "rel"))
    assert r.returncode == 1 and "the image says v5.4.1" in r.stderr


def test_release_of_a_variant_build(tmp_path):
    builds, out = tmp_path / "fw", tmp_path / "rel"
    d, app, merged = fake_build(builds, "MDNSFAST_ESP32_C3")
    os.rename(d, str(builds / "MDNSFAST_ESP32_C3-NOBLE"))
    p = builds / "MDNSFAST_ESP32_C3-NOBLE" / "mdnsfast-build.json"
    facts = json.loads(p.read_text())
    facts["variant"] = "NOBLE"
    p.write_text(json.dumps(facts))
    fake_build(builds, "MDNSFAST_ESP32_C3", app_size=800000)
    r = run("make", "--builds", str(builds), "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert (out / ("MDNSFAST_ESP32_C3-NOBLE-%s-app.bin" % VERSION)).read_bytes() == app
    assert (out / ("MDNSFAST_ESP32_C3-NOBLE-%s.bin" % VERSION)).read_bytes() == merged
    m = json.loads((out / ("MDNSFAST_ESP32_C3-NOBLE-%s.json" % VERSION)).read_text())
    assert m["board"] == "MDNSFAST_ESP32_C3" and m["variant"] == "NOBLE"
    index = json.loads((out / "release.json").read_text())
    assert sorted((b["variant"], b["manifest"]) for b in index["boards"]) == [
        ("", "MDNSFAST_ESP32_C3-%s.json" % VERSION), ("NOBLE", "MDNSFAST_ESP32_C3-NOBLE-%s.json" % VERSION)]


def test_release_refuses_mixed_versions(tmp_path):
    fake_build(tmp_path / "fw", "MDNSFAST_ESP32_C3")
    fake_build(tmp_path / "fw", "MDNSFAST_ESP32_S3", version="9.8.6")
    r = run("make", "--builds", str(tmp_path / "fw"), "--out", str(tmp_path / "rel"))
    assert r.returncode == 1 and "different firmware versions" in r.stderr

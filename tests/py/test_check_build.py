"""tools/firmware/check_build.py: the checks of a real build folder, on fake folders and
boundary figures (the real folders exist only where an image was built: `make test-boards`
runs the checker on them and says so when there is none)."""
import os
import sys

import pytest

from test_release import fake_build

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(TOP, "tools", "firmware"))
import board as boards  # noqa: E402
import check_build  # noqa: E402

SLOT = 0x180000


def test_margin_is_three_percent_of_the_slot():
    limit = SLOT - int(0.03 * SLOT + 0.999)          # largest app that keeps 3 % free
    assert check_build.margin_problem(limit, SLOT) is None
    why = check_build.margin_problem(limit + 1, SLOT)
    assert why and "at least 3%" in why
    assert check_build.margin_problem(SLOT + 1, SLOT)


@pytest.mark.parametrize("name", boards.names())
def test_csv_reader_matches_board_reader(name):
    meta = boards.load(name)
    path = os.path.join(meta["dir"], meta["partition_table"])
    got = check_build.csv_rows(open(path).read())
    want = [(r["name"], r["type"], r["subtype"], r["offset"], r["size"]) for r in boards.parse_partitions(path)]
    assert got == want


def test_csv_reader_reads_what_gen_esp32part_prints():
    # gen_esp32part.py prints sizes as 24K / 1536K / 1M and offsets in hex
    text = "# ESP-IDF Partition Table\n# Name, Type, SubType, Offset, Size, Flags\nnvs,data,nvs,0x9000,24K,\nota_0,app,ota_0,0x10000,1536K,\nvfs,data,fat,0x310000,1M,\n"
    assert check_build.csv_rows(text) == [("nvs", "data", "nvs", 0x9000, 24 << 10),
                                          ("ota_0", "app", "ota_0", 0x10000, 1536 << 10),
                                          ("vfs", "data", "fat", 0x310000, 1 << 20)]


@pytest.mark.parametrize("name", boards.names())
def test_expected_frozen_modules_are_the_device_package(name):
    want = check_build.expected_frozen(boards.load(name))
    assert "mdns/__init__.py" in want and "mdns/responder.py" in want
    assert not any(m.startswith("mdns/host/") or m == "mdns/__main__.py" for m in want)


@pytest.mark.parametrize("name", ["MDNSFAST_ESP32_GENERIC", "MDNSFAST_ESP32_C3"])
def test_layout_check_passes_and_fails(tmp_path, name, capsys):
    d, app, img = fake_build(tmp_path, name)
    ch = check_build.Checker(d, idf_path="/nonexistent")
    ch.check_layout(ch.meta, app, img)
    assert ch.results[-1][1], ch.results[-1]
    # the merged image holding another app at 0x10000 is caught
    d2, app2, img2 = fake_build(tmp_path / "b", name, merged_app=app[:-1] + b"\0")
    ch.check_layout(ch.meta, app2, img2)
    assert not ch.results[-1][1]
    assert "app at 0x10000 NO" in ch.results[-1][2]


def test_all_without_build_folders_says_so(tmp_path, capsys):
    assert check_build.main(["--all", str(tmp_path)]) == 0
    assert "no firmware build folder" in capsys.readouterr().out

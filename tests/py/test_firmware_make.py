"""The build targets' behaviour without ESP-IDF, network, a board or a serial port:
they stop at once, non-zero, saying what is missing and how to provide it (issue 5).

`make firmware` runs with a fake HOME and cache and a PATH whose `git` cannot reach the
network (or no git at all), so it can never fetch anything from here or from CI.
"""
import os
import stat
import subprocess
import time

import pytest

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BOARD = "MDNSFAST_ESP32_GENERIC"


def fake_git(bindir):
    # What git prints when the host has no route to github.com.
    p = bindir / "git"
    p.write_text("#!/bin/sh\necho \"fatal: unable to access 'https://github.com/': Could not resolve host: github.com\" >&2\nexit 128\n")
    p.chmod(p.stat().st_mode | stat.S_IEXEC)


def path_without_git(bindir):
    # Every command of the system PATH except git, linked into one folder.
    for d in os.environ.get("PATH", "/usr/bin:/bin").split(os.pathsep):
        if not os.path.isdir(d):
            continue
        for n in os.listdir(d):
            src = os.path.join(d, n)
            if n == "git" or (bindir / n).exists() or not os.access(src, os.X_OK):
                continue
            (bindir / n).symlink_to(src)


def make(args, tmp_path, path=None, extra_env=None, timeout=60):
    env = {k: v for k, v in os.environ.items()
           if k not in ("IDF_PATH", "MICROPY_DIR", "IDF_TOOLS_PATH", "MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    env.update(HOME=str(tmp_path / "home"), MDNSFAST_CACHE=str(tmp_path / "cache"))
    if path is not None:
        env["PATH"] = path
    env.update(extra_env or {})
    (tmp_path / "home").mkdir(exist_ok=True)
    t0 = time.monotonic()
    r = subprocess.run(["make", "--no-print-directory", "-C", TOP] + args, env=env,
                       capture_output=True, text=True, timeout=timeout)
    return r, time.monotonic() - t0


def test_firmware_without_idf_or_network_stops_fast(tmp_path):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    fake_git(bindir)
    r, secs = make(["firmware", "BOARD=" + BOARD], tmp_path, path="%s:%s" % (bindir, os.environ["PATH"]))
    out = r.stdout + r.stderr
    assert r.returncode != 0
    assert secs < 20, "must fail fast, took %.1fs" % secs
    assert "== firmware [%s]:" % BOARD in r.stdout  # progress names the board
    assert "ESP-IDF v5.5.2: IDF_PATH is not set" in r.stderr
    assert "MicroPython v1.29.0: MICROPY_DIR is not set" in r.stderr
    assert "no network" in r.stderr and "Could not resolve host" in r.stderr
    assert "IDF_PATH=/path/to/esp-idf MICROPY_DIR=/path/to/micropython" in r.stderr
    assert "espressif/idf:v5.5.2" in r.stderr
    assert not os.path.exists(tmp_path / "cache" / "esp-idf-v5.5.2"), out
    assert not os.path.exists(tmp_path / "home" / ".espressif")


def test_firmware_without_git_stops_fast(tmp_path):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    path_without_git(bindir)
    r, secs = make(["firmware", "BOARD=" + BOARD], tmp_path, path=str(bindir))
    assert r.returncode != 0 and secs < 20
    assert "git is not installed" in r.stderr and "IDF_PATH" in r.stderr, r.stdout + r.stderr


def test_firmware_with_bad_idf_path(tmp_path):
    (tmp_path / "idf").mkdir()
    r, _ = make(["firmware", "BOARD=" + BOARD, "IDF_PATH=%s" % (tmp_path / "idf"),
                 "MICROPY_DIR=%s" % tmp_path], tmp_path)
    assert r.returncode != 0
    assert "is not a MicroPython tree" in r.stderr or "is not an ESP-IDF tree" in r.stderr, r.stderr


def test_firmware_with_bad_micropython_dir(tmp_path):
    r, _ = make(["firmware", "BOARD=" + BOARD, "MICROPY_DIR=%s" % tmp_path], tmp_path)
    assert r.returncode != 0 and "is not a MicroPython tree (no ports/esp32/Makefile)" in r.stderr


def test_firmware_needs_a_known_board(tmp_path):
    r, _ = make(["firmware"], tmp_path)
    assert r.returncode != 0 and "BOARD is not set" in r.stderr
    for b in ("MDNSFAST_ESP32_GENERIC", "MDNSFAST_ESP32_S3", "MDNSFAST_ESP32_C3"):
        assert b in r.stderr
    r, _ = make(["firmware", "BOARD=NOPE"], tmp_path)
    assert r.returncode != 0 and "unknown board NOPE" in r.stderr


@pytest.mark.parametrize("target", ["flash BOARD=%s" % BOARD, "repl", "test-device", "deploy-files"])
def test_serial_targets_need_port(tmp_path, target):
    r, secs = make(target.split(), tmp_path)
    assert r.returncode != 0 and secs < 20
    assert "PORT is not set" in r.stderr and "PORT=/dev/ttyUSB0" in r.stderr


def test_flash_needs_an_image(tmp_path):
    r, _ = make(["flash", "BOARD=" + BOARD, "PORT=/dev/null", "FIRMWARE_BUILD=%s" % tmp_path], tmp_path)
    assert r.returncode != 0 and "does not exist: run make firmware BOARD=%s" % BOARD in r.stderr
    app = tmp_path / "x-app.bin"
    app.write_bytes(b"\xe9")
    r, _ = make(["flash", "BOARD=" + BOARD, "PORT=/dev/null", "IMAGE=%s" % app], tmp_path)
    assert r.returncode != 0 and "is an app image (the OTA payload)" in r.stderr


def test_flash_command_uses_board_chip_and_offset(tmp_path):
    img = tmp_path / "fw.bin"
    img.write_bytes(b"\xe9" * 16)
    for board, chip, off in (("MDNSFAST_ESP32_GENERIC", "esp32", "0x1000"), ("MDNSFAST_ESP32_S3", "esp32s3", "0x0"),
                             ("MDNSFAST_ESP32_C3", "esp32c3", "0x0")):
        r, _ = make(["-n", "flash", "BOARD=" + board, "PORT=/dev/ttyUSB9", "IMAGE=%s" % img], tmp_path)
        assert r.returncode == 0, r.stderr
        assert "--chip %s --port /dev/ttyUSB9 --baud 460800 write-flash -z %s" % (chip, off) in r.stdout, r.stdout


def test_unix_needs_micropython_dir(tmp_path):
    r, _ = make(["unix"], tmp_path)
    assert r.returncode != 0 and "MICROPY_DIR is not set" in r.stderr
    r, _ = make(["unix", "MICROPY_DIR=%s" % tmp_path], tmp_path)
    assert r.returncode != 0 and "is not a MicroPython tree" in r.stderr


def test_make_test_runs_the_board_checks_and_not_the_device():
    r = subprocess.run(["make", "--no-print-directory", "-C", TOP, "-pn", "help"], capture_output=True, text=True)
    tiers = [l for l in r.stdout.splitlines() if l.startswith("TEST_TIERS :=") or l.startswith("TEST_TIERS =")]
    assert tiers, "TEST_TIERS not found"
    names = tiers[-1].split("=", 1)[1].split()
    assert "test-boards" in names
    assert "test-device" not in names and "test-unix" not in names and "firmware" not in names


def fake_micropython(tmp_path, mpy_cross_rule):
    mpy = tmp_path / "micropython"
    (mpy / "ports" / "unix").mkdir(parents=True)
    (mpy / "ports" / "unix" / "Makefile").write_text("all:\n\ttrue\n")
    (mpy / "lib" / "micropython-lib").mkdir(parents=True)
    (mpy / "lib" / "micropython-lib" / "README.md").write_text("")
    (mpy / "mpy-cross").mkdir()
    (mpy / "mpy-cross" / "Makefile").write_text("all:\n\t" + mpy_cross_rule + "\n")
    return mpy


def build_unix(tmp_path, mpy, out, **env):
    e = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    e.update(MICROPY_DIR=str(mpy), **env)
    return subprocess.run([os.path.join(TOP, "tools", "firmware", "build-unix.sh"), str(out)], env=e,
                          capture_output=True, text=True, timeout=60)


def test_unix_build_says_mpy_cross_failed_on_a_fresh_clone(tmp_path):
    # a fresh clone has no build/: the log must still be written and the failure named
    mpy = fake_micropython(tmp_path, "@echo mpy-cross-broke >&2; exit 1")
    out = tmp_path / "fresh" / "build" / "unix-standard-64"
    r = build_unix(tmp_path, mpy, out)
    assert r.returncode == 2, r
    assert "mpy-cross failed (log: %s/mpy-cross.log)" % out in r.stderr, r.stderr
    assert "mpy-cross-broke" in r.stderr and "mpy-cross-broke" in (out / "mpy-cross.log").read_text()


def test_unix_32_bit_names_gcc_multilib(tmp_path):
    mpy = fake_micropython(tmp_path, "true")
    r = build_unix(tmp_path, mpy, tmp_path / "out", UNIX_BITS="32", CC="false")
    assert r.returncode == 2 and "gcc-multilib" in r.stderr, r

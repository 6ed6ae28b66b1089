"""Check what MicroPython's esp32 CMake makes of each board folder, without ESP-IDF.

Usage: python tools/firmware/sdkconfig_check.py MICROPY_DIR [BOARD ...]

Runs sdkconfig_check.cmake (a replay of ports/esp32/CMakeLists.txt up to where ESP-IDF
starts) for each board, then checks the result as ESP-IDF would read it (the last value
of a setting wins): the chip, our partition CSV by absolute path, -Os, rollback, the flash
size of board.json, the C module and the manifest. Part of `make test-unix`.
"""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import board as boards  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def settings(path):
    out = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("CONFIG_") and "=" in line:
                k, v = line.split("=", 1)
                out[k] = v  # later fragments override earlier ones
    return out


def variants(meta):
    return sorted(f[len("mpconfigvariant_"):-len(".cmake")] for f in os.listdir(meta["dir"])
                  if f.startswith("mpconfigvariant_") and f.endswith(".cmake"))


def check(mpy, name, tmp, variant=""):
    meta = boards.load(name)
    out = os.path.join(tmp, name + ("-" + variant if variant else ""))
    os.makedirs(out)
    r = subprocess.run(["cmake", "-DMICROPY_BOARD_DIR=" + meta["dir"], "-DMICROPY_BOARD_VARIANT=" + variant,
                        "-DOUT=" + out, "-P", os.path.join(HERE, "sdkconfig_check.cmake")],
                       cwd=os.path.join(mpy, "ports", "esp32"), capture_output=True, text=True)
    if r.returncode:
        return ["cmake: " + (r.stderr or r.stdout).strip()]
    var = dict(l.split("=", 1) for l in open(os.path.join(out, "board-vars.txt")).read().splitlines() if "=" in l)
    cfg = settings(os.path.join(out, "sdkconfig.combined"))
    want = {
        "CONFIG_PARTITION_TABLE_CUSTOM": "y",
        "CONFIG_PARTITION_TABLE_CUSTOM_FILENAME": '"%s"' % os.path.join(meta["dir"], meta["partition_table"]),
        "CONFIG_COMPILER_OPTIMIZATION_SIZE": "y",
        "CONFIG_COMPILER_OPTIMIZATION_PERF": "n",
        "CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE": "y",
        "CONFIG_ESPTOOLPY_FLASHSIZE_%s" % meta["flash_size"]: "y",
    }
    bad = ["%s = %s, want %s" % (k, cfg.get(k), v) for k, v in want.items() if cfg.get(k) != v]
    for size in boards.FLASH_SIZES:
        if size != meta["flash_size"] and cfg.get("CONFIG_ESPTOOLPY_FLASHSIZE_%s" % size) == "y":
            bad.append("CONFIG_ESPTOOLPY_FLASHSIZE_%s is y too" % size)
    if var.get("IDF_TARGET") != meta["chip"]:
        bad.append("IDF_TARGET %s, board.json says %s" % (var.get("IDF_TARGET"), meta["chip"]))
    if not os.path.isfile(var.get("USER_C_MODULES", "")):
        bad.append("USER_C_MODULES %r does not exist" % var.get("USER_C_MODULES"))
    if var.get("MICROPY_FROZEN_MANIFEST") != os.path.join(meta["dir"], "manifest.py"):
        bad.append("MICROPY_FROZEN_MANIFEST %r" % var.get("MICROPY_FROZEN_MANIFEST"))
    ble = cfg.get("CONFIG_BT_ENABLED") == "y"
    if variant == "NOBLE":
        if ble or "MICROPY_PY_BLUETOOTH=0" not in var.get("MICROPY_DEF_BOARD", "").split(";"):
            bad.append("variant NOBLE still has Bluetooth (CONFIG_BT_ENABLED=%s, MICROPY_DEF_BOARD=%s)"
                       % (cfg.get("CONFIG_BT_ENABLED"), var.get("MICROPY_DEF_BOARD")))
    elif not ble:
        bad.append("Bluetooth is off in the standard build")
    return ["%s%s: %s" % (name, "-" + variant if variant else "", b) for b in bad]


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    mpy = os.path.abspath(argv[1])
    names = argv[2:] or boards.names()
    bad = []
    with tempfile.TemporaryDirectory() as tmp:
        count = 0
        for n in names:
            for v in [""] + variants(boards.load(n)):
                bad += check(mpy, n, tmp, v)
                count += 1
    for b in bad:
        print("sdkconfig_check: " + b)
    print("sdkconfig_check: %d boards, %d builds (with variants), %s"
          % (len(names), count, "problems above" if bad else "as ESP-IDF will read them: ok"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

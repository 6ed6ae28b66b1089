"""Build the release artefacts (`python -m build`) and install the wheel into a fresh venv.

Shared by tests/py/test_packaging.py (metadata, contents, no-compiler fallback) and
tests/interop/test_install_interop.py (the installed `mdns browse` on the virtual LAN).
--no-isolation: setuptools comes pinned from the project's venv, so no download at test time.
"""
import glob
import os
import subprocess
import sys

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def build(out, env=None):
    """sdist, then the wheel built from that sdist -> (sdist path, wheel path)."""
    e = dict(os.environ)
    e.update(env or {})
    r = subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), TOP],
                       capture_output=True, text=True, env=e)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    (sdist,) = glob.glob(os.path.join(str(out), "*.tar.gz"))
    (wheel,) = glob.glob(os.path.join(str(out), "*.whl"))
    return sdist, wheel, r.stdout + r.stderr


def fresh_venv(path, wheel):
    """A venv without pip, the wheel installed into it by this venv's pip -> its bin dir."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
    py = os.path.join(str(path), "bin", "python")
    r = subprocess.run([sys.executable, "-m", "pip", "--python", py, "install", "-q", "--no-index",
                        "--no-deps", wheel], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    return os.path.join(str(path), "bin")

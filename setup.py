# The optional CPython build of the mdnsfast C core (the packet hot path; see
# docs/packaging.md). Everything else is in pyproject.toml.
#
# optional=True: with no C compiler or no Python.h, setuptools prints a warning and the
# wheel holds only the pure-Python package, whose mdns.fastpy gives the same results
# (docs/design.md, "The mdnsfast contract"). MDNSFAST_NO_EXT=1 leaves the extension out
# on purpose (a pure py3-none-any wheel).
import os

from setuptools import Extension, setup

ext = []
if os.environ.get("MDNSFAST_NO_EXT", "") in ("", "0"):
    ext.append(Extension(
        "mdnsfast",
        sources=["usermod_mdnsfast/mdnsfast.c", "tests/c/cpymod.c"],
        include_dirs=["usermod_mdnsfast"],
        optional=True,
    ))
setup(ext_modules=ext)

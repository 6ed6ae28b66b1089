"""Evaluate a MicroPython manifest here, without MicroPython: which of our files it freezes.

A small stand-in for MicroPython's tools/manifestfile.py (include, package, module,
require, freeze, metadata, options) with the same path rules: relative paths resolve
against the manifest being run, an included directory means its manifest.py, and
$(VAR) is replaced from `path_vars`. An include whose path still names an unknown
variable (e.g. $(PORT_DIR)/boards/manifest.py, the port's own manifest) is recorded in
`external` and not followed. Used by the board tests and by `make deploy-files`.
"""
import os
import re


class ManifestError(Exception):
    pass


class _Options:
    def __init__(self, **kw):
        self.__dict__.update(kw)

    def defaults(self, **kw):
        for k, v in kw.items():
            self.__dict__.setdefault(k, v)

    def __getattr__(self, name):
        return None


class Manifest:
    def __init__(self, path_vars=None):
        self.path_vars = dict(path_vars or {})
        self.frozen = []  # (source path, target path in the firmware), in order
        self.external = []  # includes left to the real build (unknown $(VAR))
        self.required = []  # require() names
        self.missing = []  # files named that do not exist
        self._visited = set()

    def _resolve(self, path):
        for k, v in self.path_vars.items():
            path = path.replace("$(%s)" % k, v)
        return path

    def include(self, path, **kw):
        if not isinstance(path, str):
            for p in path:
                self.include(p, **kw)
            return
        path = self._resolve(path)
        if re.search(r"\$\(\w+\)", path):
            self.external.append(path)
            return
        path = os.path.abspath(path)
        if os.path.isdir(path):
            path = os.path.join(path, "manifest.py")
        if path in self._visited:
            return
        self._visited.add(path)
        if not os.path.isfile(path):
            raise ManifestError("include of a manifest that does not exist: %s" % path)
        g = {
            "include": self.include, "package": self.package, "module": self.module,
            "require": self.require, "freeze": self.freeze, "metadata": self.metadata,
            "options": _Options(**kw),
        }
        prev = os.getcwd()
        os.chdir(os.path.dirname(path))
        try:
            with open(path) as f:
                exec(compile(f.read(), path, "exec"), g)
        finally:
            os.chdir(prev)

    def _add(self, src, target):
        if not os.path.isfile(src):
            self.missing.append(src)
        self.frozen.append((src, target))

    def package(self, package_path, files=None, base_path=".", opt=None):
        base = os.path.abspath(self._resolve(base_path))
        if files is None:
            for root, dirs, names in os.walk(os.path.join(base, package_path)):
                dirs.sort()
                for n in sorted(names):
                    if n.endswith(".py"):
                        src = os.path.join(root, n)
                        self._add(src, os.path.relpath(src, base))
        else:
            for f in files:
                self._add(os.path.join(base, package_path, f), os.path.join(package_path, f))

    def module(self, module_path, base_path=".", opt=None):
        if not module_path.endswith(".py"):
            raise ManifestError("module must be .py file: %s" % module_path)
        self._add(os.path.join(os.path.abspath(self._resolve(base_path)), module_path), module_path)

    def require(self, name, version=None, **kw):
        self.required.append(name)

    def freeze(self, path, script=None, opt=None):
        self.external.append(self._resolve(path))

    def metadata(self, **kw):
        pass


def evaluate(manifest_path, path_vars=None):
    m = Manifest(path_vars)
    m.include(manifest_path)
    return m

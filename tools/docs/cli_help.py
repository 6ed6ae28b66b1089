"""The `--help` blocks of docs/cli/*.md, written from the CLI itself so they cannot drift.

    python tools/docs/cli_help.py          rewrite every block marked <!-- help: CMD [SUB] -->
    python tools/docs/cli_help.py --check  exit 1 listing the blocks that differ (make test)

A marker line `<!-- help: browse -->` (or `<!-- help: fleet list -->`) is followed by a
```text fence holding `python -m mdns browse --help` as printed 80 columns wide.
"""
import os
import re
import subprocess
import sys

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DOCS = os.path.join(TOP, "docs", "cli")
MARK = re.compile(r"^<!-- help: ([a-z -]+?) -->\n```text\n(.*?)```\n", re.M | re.S)


def help_text(words):
    env = dict(os.environ, COLUMNS="80", PYTHONPATH=os.path.join(TOP, "frozen"))
    env.pop("MDNS_TEST_NETNS", None)
    r = subprocess.run([sys.executable, "-m", "mdns"] + words + ["--help"], capture_output=True, text=True,
                       env=env, cwd=TOP)
    if r.returncode != 0:
        raise SystemExit("cli_help: mdns %s --help failed: %s" % (" ".join(words), r.stderr.strip()))
    return r.stdout


def pages():
    return sorted(os.path.join(DOCS, f) for f in os.listdir(DOCS) if f.endswith(".md"))


def render(text):
    return MARK.sub(lambda m: "<!-- help: %s -->\n```text\n%s```\n" % (m.group(1), help_text(m.group(1).split())),
                    text)


def main(argv):
    check = "--check" in argv
    bad = []
    for p in pages():
        old = open(p).read()
        new = render(old)
        if new != old:
            bad.append(os.path.relpath(p, TOP))
            if not check:
                with open(p, "w") as f:
                    f.write(new)
    if check and bad:
        sys.exit("docs/cli out of date with --help: %s; run python tools/docs/cli_help.py" % ", ".join(bad))
    if not check:
        print("cli_help: %d page(s) rewritten" % len(bad))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

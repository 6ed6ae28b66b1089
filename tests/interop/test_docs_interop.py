"""Every self-contained Python block of README.md and docs/ ("run" in
tests/py/doc_blocks.py) executed on CPython in a namespace of the virtual LAN, beside
an Avahi host named `printer` that publishes services: each must finish, or still be
running after RUN_S seconds (the examples' `while True: r.poll()` loops), without an
exception. The blocks that need a board or are fragments are compiled in
tests/py/test_docs.py instead."""
import os
import sys

from testbed import venv_python

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "py"))
import doc_blocks  # noqa: E402

RUN_S = 5


def test_doc_blocks_run_on_the_virtual_lan(testbed):
    runs = [b for b in doc_blocks.blocks() if b.kind == "run"]
    assert len(runs) >= 5
    tb = testbed(["dut", "printer"])
    av = tb["printer"].start_avahi()
    av.publish_service("Office Printer", "_ipp._tcp", 631, txt=["rp=ipp/print"])
    av.publish_service("Printer Web", "_http._tcp", 80, txt=["path=/"])
    dut = tb["dut"]
    bad = []
    for b in runs:
        r = dut.run([venv_python(), os.path.join(HERE, "doc_block_runner.py")], input=b.text, timeout=RUN_S,
                    check=False, timeout_ok=True)
        ok = r.returncode == 0 and "doc-block: finished" in r.stdout or r.returncode == -9
        if not ok or "Traceback" in r.stderr or "Error" in r.stderr:
            bad.append("%s (exit %s):\n%s%s" % (b.where, r.returncode, r.stdout[-1500:], r.stderr[-1500:]))
    assert not bad, "\n\n".join(bad)

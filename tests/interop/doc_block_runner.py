"""Runs one documentation code block (read from stdin) as a user would paste it: top-level
`await` / `async with` allowed (run under asyncio). Used inside a test namespace only
(tests/interop/test_docs_interop.py); the mdns package's own guard checks MDNS_TEST_NETNS."""
import ast
import asyncio
import sys

src = sys.stdin.read()
code = compile(src, "<doc block>", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
res = eval(code, {"__name__": "__main__"})
if asyncio.iscoroutine(res):
    asyncio.run(res)
print("doc-block: finished", flush=True)

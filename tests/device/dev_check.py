# The firmware itself: mdns frozen (no file on the board's filesystem), mdnsfast present
# and used by mdns.wire, the board name and versions, heap after importing the package.
import os
import sys

h0 = heap()
import mdnsfast  # noqa: E402
import mdns.wire  # noqa: E402
import mdns.buildinfo  # noqa: E402

try:
    os.stat(mdns.__file__)
    on_fs = True
except OSError:
    on_fs = False
report("check",
       mdns_file=mdns.__file__, on_filesystem=on_fs, lib_mdns="mdns" in (os.listdir("/lib") if "lib" in os.listdir("/") else []),
       version=mdns.__version__, build=mdns.buildinfo.BUILD, describe=mdns.buildinfo.describe(),
       machine=os.uname().machine, micropython=os.uname().release, mpy=sys.implementation._mpy & 0xFF,
       mdnsfast=[n for n in dir(mdnsfast) if not n.startswith("_")], wire_backend_is_c=mdns.wire.backend() is mdnsfast,
       heap_free_before=h0, heap_free_after_import=heap())

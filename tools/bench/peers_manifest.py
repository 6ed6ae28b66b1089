# Frozen modules of the peer-bench binary (tools/bench/peers.sh): the unix-port set
# (asyncio + our device package) plus the peer libraries, each only when its folder is
# given. Paths come from the environment, never from this repository:
#   MDNS_FROZEN_MANIFEST  our package's manifest (default: this tree's frozen/manifest.py)
#   SLIMDNS_DIR           a nickovs/slimDNS checkout (slimDNS.py)
#   CBMDNS_DIR            a cbrand/micropython-mdns checkout (src/mdns_client), tag 1.8.0
import os

include("$(MPY_DIR)/extmod/asyncio")
include(os.environ.get("MDNS_FROZEN_MANIFEST") or "../../frozen/manifest.py")
_sl = os.environ.get("SLIMDNS_DIR")
if _sl:
    module("slimDNS.py", base_path=_sl)
_cb = os.environ.get("CBMDNS_DIR")
if _cb:
    package("mdns_client", base_path=os.path.join(_cb, "src"))

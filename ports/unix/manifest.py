# Frozen modules of the unix-port build (`make unix`): asyncio, as on the esp32 port,
# and the same device modules of the mdns package as the boards. The unix port's own
# manifest is not included: it requires micropython-lib packages the firmware lacks.
include("$(MPY_DIR)/extmod/asyncio")
include("../../frozen/manifest.py")

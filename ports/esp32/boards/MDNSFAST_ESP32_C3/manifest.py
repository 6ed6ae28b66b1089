# The port's own frozen modules (_boot, inisetup, flashbdev, asyncio, networking
# packages from micropython-lib ...), then the device part of the mdns package.
include("$(PORT_DIR)/boards/manifest.py")
include("../../../../frozen/manifest.py")

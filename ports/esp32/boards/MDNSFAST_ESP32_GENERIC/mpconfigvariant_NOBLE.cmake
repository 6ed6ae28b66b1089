# Variant without Bluetooth LE (NimBLE and the `bluetooth` module): a smaller app, for
# when the image outgrows its 1.5 MiB OTA slot. Build: make firmware BOARD=... VARIANT=NOBLE
list(REMOVE_ITEM SDKCONFIG_DEFAULTS boards/sdkconfig.ble)
list(APPEND MICROPY_DEF_BOARD
    MICROPY_PY_BLUETOOTH=0
)

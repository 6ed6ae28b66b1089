# ESP32-S3 (Xtensa LX7), 8 MiB flash or more, quad PSRAM used when present. Flash offset 0x0.
include(boards/mpconfigboard_esp32s3_common.cmake)
list(APPEND SDKCONFIG_DEFAULTS boards/sdkconfig.flash_qio_80m)
include(${MICROPY_BOARD_DIR}/../../mdnsfast_common.cmake)

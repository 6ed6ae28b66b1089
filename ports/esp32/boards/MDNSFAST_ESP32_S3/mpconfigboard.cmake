# ESP32-S3 (Xtensa LX7), 8 MiB flash or more, quad PSRAM used when present. Flash offset 0x0.
include(${MICROPY_BOARD_DIR}/../../mdnsfast_chip.cmake)
mdnsfast_chip(esp32s3)
# QIO at 80 MHz (v1.28.0 has the same two lines in the generic S3 board's fragment)
mdnsfast_sdkconfig(sdkconfig.flash_qio_80m boards/ESP32_GENERIC_S3/sdkconfig.board)
include(${MICROPY_BOARD_DIR}/../../mdnsfast_common.cmake)

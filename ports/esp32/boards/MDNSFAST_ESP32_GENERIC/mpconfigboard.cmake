# ESP32 (Xtensa LX6), 4 MiB flash, no PSRAM required. Flash offset 0x1000.
include(${MICROPY_BOARD_DIR}/../../mdnsfast_chip.cmake)
mdnsfast_chip(esp32)
include(${MICROPY_BOARD_DIR}/../../mdnsfast_common.cmake)

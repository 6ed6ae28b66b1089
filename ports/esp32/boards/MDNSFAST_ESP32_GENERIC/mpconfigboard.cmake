# ESP32 (Xtensa LX6), 4 MiB flash, no PSRAM required. Flash offset 0x1000.
include(boards/mpconfigboard_esp32_common.cmake)
include(${MICROPY_BOARD_DIR}/../../mdnsfast_common.cmake)

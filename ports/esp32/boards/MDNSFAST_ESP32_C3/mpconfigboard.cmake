# ESP32-C3 (RISC-V rv32imc), 4 MiB flash. Flash offset 0x0.
include(boards/mpconfigboard_esp32c3_common.cmake)
include(${MICROPY_BOARD_DIR}/../../mdnsfast_common.cmake)

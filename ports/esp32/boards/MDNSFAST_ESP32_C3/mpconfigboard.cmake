# ESP32-C3 (RISC-V rv32imc), 4 MiB flash. Flash offset 0x0.
include(${MICROPY_BOARD_DIR}/../../mdnsfast_chip.cmake)
mdnsfast_chip(esp32c3)
include(${MICROPY_BOARD_DIR}/../../mdnsfast_common.cmake)

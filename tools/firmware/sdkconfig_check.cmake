# Replays what MicroPython's ports/esp32/CMakeLists.txt does with a board folder before
# ESP-IDF takes over: include the board's mpconfigboard.cmake, concatenate
# SDKCONFIG_DEFAULTS into sdkconfig.combined, pick the frozen manifest. Needs only cmake
# and a MicroPython tree, no ESP-IDF:
#   cd $MICROPY_DIR/ports/esp32 && cmake -DMICROPY_BOARD_DIR=/abs/board [-DMICROPY_BOARD_VARIANT=V] -DOUT=/abs/dir -P /abs/sdkconfig_check.cmake
# Writes OUT/sdkconfig.combined and OUT/board-vars.txt (IDF_TARGET, USER_C_MODULES,
# MICROPY_FROZEN_MANIFEST) for tools/firmware/sdkconfig_check.py to judge.
cmake_minimum_required(VERSION 3.16)
set(CMAKE_BINARY_DIR ${OUT})
set(CMAKE_CURRENT_LIST_DIR ${CMAKE_CURRENT_SOURCE_DIR})
include(${MICROPY_BOARD_DIR}/mpconfigboard.cmake)
if(MICROPY_BOARD_VARIANT)
    include(${MICROPY_BOARD_DIR}/mpconfigvariant_${MICROPY_BOARD_VARIANT}.cmake)
endif()
file(WRITE ${OUT}/sdkconfig.combined "")
foreach(SDKCONFIG_DEFAULT ${SDKCONFIG_DEFAULTS})
    file(READ ${SDKCONFIG_DEFAULT} CONTENTS)
    file(APPEND ${OUT}/sdkconfig.combined "${CONTENTS}")
endforeach()
file(WRITE ${OUT}/board-vars.txt
    "IDF_TARGET=${IDF_TARGET}\nUSER_C_MODULES=${USER_C_MODULES}\nMICROPY_FROZEN_MANIFEST=${MICROPY_FROZEN_MANIFEST}\nSDKCONFIG_DEFAULTS=${SDKCONFIG_DEFAULTS}\nMICROPY_DEF_BOARD=${MICROPY_DEF_BOARD}\n")

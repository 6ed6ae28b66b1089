# Shared by every MDNSFAST_* board (ports/esp32/boards/*): included from the board's mpconfigboard.cmake
# after it has set IDF_TARGET and SDKCONFIG_DEFAULTS (MicroPython's *_common.cmake).
#
# What it adds:
# - the board's own sdkconfig.board (size optimisation, flash size, OTA table on);
# - the board's own partitions.csv. ESP-IDF resolves a relative
#   CONFIG_PARTITION_TABLE_CUSTOM_FILENAME against ports/esp32 of the MicroPython
#   tree, so the fragment naming our CSV is written here with its absolute path.
#   The table is ours (not the port's) because it is fixed on a device at the first
#   serial flash: an OTA upgrade to a newer MicroPython must find the same slots.
# - the frozen manifest (port modules + the mdns device package);
# - the mdnsfast C module, unless USER_C_MODULES was given on the command line;
# - for offline builds, local components in place of the Component Manager's downloads
#   (MDNSFAST_EXTRA_COMPONENT_DIRS, set by tools/firmware/build-firmware.sh), and the build
#   limited to the components `main` requires (MDNSFAST_IDF_COMPONENTS): an offline tree
#   fills only the submodules the firmware uses, and ESP-IDF otherwise builds every
#   component it finds (cJSON, spiffs, unity, ... would miss their sources); and, where the
#   tree has upstream Mbed-TLS instead of Espressif's fork (MDNSFAST_MBEDTLS_UPSTREAM),
#   sdkconfig.mbedtls_upstream; where its lwIP predates lwip/acd.h (MDNSFAST_LWIP_NO_ACD),
#   sdkconfig.lwip_noacd.

set(MDNSFAST_PARTITIONS_FRAGMENT ${CMAKE_BINARY_DIR}/sdkconfig.mdnsfast_partitions)
file(WRITE ${MDNSFAST_PARTITIONS_FRAGMENT}
    "CONFIG_PARTITION_TABLE_CUSTOM=y\nCONFIG_PARTITION_TABLE_CUSTOM_FILENAME=\"${MICROPY_BOARD_DIR}/partitions.csv\"\n")

list(APPEND SDKCONFIG_DEFAULTS
    ${MICROPY_BOARD_DIR}/sdkconfig.board
    ${MDNSFAST_PARTITIONS_FRAGMENT}
)

set(MICROPY_FROZEN_MANIFEST ${MICROPY_BOARD_DIR}/manifest.py)

if(NOT USER_C_MODULES)
    get_filename_component(USER_C_MODULES
        ${CMAKE_CURRENT_LIST_DIR}/../../usermod_mdnsfast/micropython.cmake ABSOLUTE)
endif()

if(DEFINED ENV{MDNSFAST_EXTRA_COMPONENT_DIRS})
    # All component folders, the local ones before main: ESP-IDF processes components in the
    # order it found them, and esp32_common.cmake (main) sets include paths on tinyusb's
    # target, which must exist by then. The Component Manager gets the same order by making
    # main require what it downloaded.
    set(COMPONENT_DIRS $ENV{IDF_PATH}/components $ENV{MDNSFAST_EXTRA_COMPONENT_DIRS} ${CMAKE_SOURCE_DIR}/main)
endif()
if(DEFINED ENV{MDNSFAST_MBEDTLS_UPSTREAM})
    list(APPEND SDKCONFIG_DEFAULTS ${CMAKE_CURRENT_LIST_DIR}/sdkconfig.mbedtls_upstream)
endif()
if(DEFINED ENV{MDNSFAST_LWIP_NO_ACD})
    list(APPEND SDKCONFIG_DEFAULTS ${CMAKE_CURRENT_LIST_DIR}/sdkconfig.lwip_noacd)
endif()
if(DEFINED ENV{MDNSFAST_IDF_COMPONENTS})
    separate_arguments(COMPONENTS UNIX_COMMAND "$ENV{MDNSFAST_IDF_COMPONENTS}")
endif()

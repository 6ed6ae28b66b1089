# The chip's base settings for an MDNSFAST_* board: included first by its mpconfigboard.cmake,
# then `mdnsfast_chip(<chip>)`.
#
# MicroPython 1.29 and later keep them in boards/mpconfigboard_<chip>_common.cmake, which is
# used when present. v1.28.0 (the newest release in the offline snapshots, which the measured
# images are built from) lacks those files: the same lists are written out here, as v1.28.0's
# ESP32_GENERIC, ESP32_GENERIC_C3 and ESP32_GENERIC_S3 boards set them.
macro(mdnsfast_chip chip)
    if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/boards/mpconfigboard_${chip}_common.cmake)
        include(boards/mpconfigboard_${chip}_common.cmake)
    elseif("${chip}" STREQUAL "esp32")
        set(IDF_TARGET esp32)
        set(SDKCONFIG_DEFAULTS boards/sdkconfig.base boards/sdkconfig.ble)
    elseif("${chip}" STREQUAL "esp32c3")
        set(IDF_TARGET esp32c3)
        # sdkconfig.c3usb: chip revision >= 3, the HW stack guard workaround (sdkconfig.c3 later)
        set(SDKCONFIG_DEFAULTS boards/sdkconfig.base boards/sdkconfig.riscv boards/sdkconfig.ble
            boards/ESP32_GENERIC_C3/sdkconfig.c3usb)
    elseif("${chip}" STREQUAL "esp32s3")
        set(IDF_TARGET esp32s3)
        # sdkconfig.spiram_sx was renamed sdkconfig.spiram_quad later
        set(SDKCONFIG_DEFAULTS boards/sdkconfig.base boards/sdkconfig.ble boards/sdkconfig.spiram_sx)
    else()
        message(FATAL_ERROR "mdnsfast_chip: no settings for ${chip} in this MicroPython")
    endif()
endmacro()

# A port fragment by its newer name, or the older file with the same settings.
macro(mdnsfast_sdkconfig name older)
    if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/boards/${name})
        list(APPEND SDKCONFIG_DEFAULTS boards/${name})
    else()
        list(APPEND SDKCONFIG_DEFAULTS ${older})
    endif()
endmacro()

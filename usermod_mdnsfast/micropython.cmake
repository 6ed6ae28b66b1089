# esp32 (and other CMake ports): USER_C_MODULES=/abs/path/usermod_mdnsfast/micropython.cmake
add_library(usermod_mdnsfast INTERFACE)

target_sources(usermod_mdnsfast INTERFACE
    ${CMAKE_CURRENT_LIST_DIR}/mdnsfast.c
    ${CMAKE_CURRENT_LIST_DIR}/modmdnsfast.c
    ${CMAKE_CURRENT_LIST_DIR}/modfleetsig.c  # fleet offer signatures: ESP-IDF's mbedtls
)

target_include_directories(usermod_mdnsfast INTERFACE
    ${CMAKE_CURRENT_LIST_DIR}
)

target_link_libraries(usermod INTERFACE usermod_mdnsfast)

# Offline ESP-IDF builds only (tools/firmware/build-firmware.sh): headers of components that the
# IDF Component Manager would have made visible to MicroPython's main component (lan867x on the
# ESP32). A user C module's include directories are MicroPython's way to reach main's compile
# and its qstr pass.
if(DEFINED ENV{MDNSFAST_MAIN_INCLUDES})
    separate_arguments(MDNSFAST_MAIN_INCLUDES UNIX_COMMAND "$ENV{MDNSFAST_MAIN_INCLUDES}")
    target_include_directories(usermod_mdnsfast INTERFACE ${MDNSFAST_MAIN_INCLUDES})
endif()

# ... and their libraries, linked after main's (the manager makes main require them; offline,
# main references lan867x's and tinyusb's functions without a link dependency). LINK_ONLY keeps
# MicroPython's qstr pass from walking ESP-IDF's whole dependency graph.
if(DEFINED ENV{MDNSFAST_MAIN_LINKS})
    separate_arguments(MDNSFAST_MAIN_LINKS UNIX_COMMAND "$ENV{MDNSFAST_MAIN_LINKS}")
    foreach(c ${MDNSFAST_MAIN_LINKS})
        target_link_libraries(usermod_mdnsfast INTERFACE "$<LINK_ONLY:idf::${c}>")
    endforeach()
endif()

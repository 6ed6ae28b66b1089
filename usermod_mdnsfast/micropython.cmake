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

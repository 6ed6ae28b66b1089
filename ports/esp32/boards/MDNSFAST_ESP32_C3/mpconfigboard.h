// mdnsfast firmware for an ESP32-C3 module (4 MiB flash).
// os.uname().machine reads "<board name> with <mcu name>".
#define MICROPY_HW_BOARD_NAME               "mdnsfast ESP32-C3 module"
#define MICROPY_HW_MCU_NAME                 "ESP32-C3"

// REPL on the UART too, for modules with a USB-UART bridge instead of native USB.
#define MICROPY_HW_ENABLE_UART_REPL         (1)

// The frozen mdns package owns UDP 5353: the ESP-IDF mdns component must not start
// (with either option on, it binds 5353 at GOT_IP and our socket gets EADDRINUSE).
// Side effect: socket.getaddrinfo() no longer resolves ".local"; use mdns.getaddrinfo().
#define MICROPY_HW_ENABLE_MDNS_QUERIES      (0)
#define MICROPY_HW_ENABLE_MDNS_RESPONDER    (0)

// Default network.hostname() (DHCP and the mdns responder's default hostname);
// applications normally set their own before connecting.
#define MICROPY_PY_NETWORK_HOSTNAME_DEFAULT "mdnsfast-esp32c3"

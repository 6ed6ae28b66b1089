# make-based ports (unix, ...): USER_C_MODULES names the folder above this one.
MDNSFAST_MOD_DIR := $(USERMOD_DIR)

SRC_USERMOD_C += $(MDNSFAST_MOD_DIR)/mdnsfast.c $(MDNSFAST_MOD_DIR)/modmdnsfast.c
# fleet offer signatures (mbedtls ECDSA P-256); empty where the port has no mbedtls
SRC_USERMOD_C += $(MDNSFAST_MOD_DIR)/modfleetsig.c
CFLAGS_USERMOD += -I$(MDNSFAST_MOD_DIR)

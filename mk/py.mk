# CPython tier: unit tests of the package (fake sockets, injected clock) and the codec oracle tests.
.PHONY: test-py
TEST_TIERS += test-py

test-py: $(STAMP)/venv $(HOST_FAST_LIB)
	@echo "== test-py: CPython unit tests"
	MDNS_HOST_FAST=$(HOST_FAST_DIR) $(PYTEST) -q tests/py

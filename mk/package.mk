# Release packaging (docs/install.md): the mip folder and the Python sdist + wheel.
# Their tests run in test-py (tests/py/test_packaging.py) and test-interop / test-unix
# (tests/interop/test_install_interop.py).
.PHONY: mip dist

mip: $(STAMP)/venv
	@$(PY) tools/firmware/mip.py build $(BUILD)/mip

dist: $(STAMP)/venv
	rm -rf $(BUILD)/dist
	$(PY) -m build --no-isolation --outdir $(BUILD)/dist .
	$(PY) -m twine check --strict $(BUILD)/dist/*

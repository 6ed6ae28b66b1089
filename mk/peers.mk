# Peer benchmark (issue 11): ours, slimDNS (SL) and cbrand micropython-mdns 1.8.0 (CB)
# frozen into one 32-bit MicroPython unix binary with mdnsfast, each driven through its
# own receive path with fake sockets over BENCH_CORPUS (tools/bench/bench_peers.py).
# The peers are never part of this repository: give their checkouts by path.
#   make bench-peers MICROPY_DIR=... SLIMDNS_DIR=... CBMDNS_DIR=...   (CB at tag 1.8.0)
# Without MICROPY_DIR the part is skipped (said so); a missing peer is left out (said so).
# The 32-bit build needs Debian's gcc-multilib (-m32), as `make unix UNIX_BITS=32` does.
.PHONY: bench-peers peers-unix
BENCH_PARTS := bench-peers $(BENCH_PARTS)
PEERS_BUILD := $(BUILD)/unix-peers-32
PEERS_RUNS ?= 5

peers-unix:
	$(call need,MICROPY_DIR,MICROPY_DIR is not set: make $@ MICROPY_DIR=/path/to/micropython)
	@UNIX_BITS=32 UNIX_MANIFEST=$(TOP)/tools/bench/peers_manifest.py SLIMDNS_DIR=$(SLIMDNS_DIR) CBMDNS_DIR=$(CBMDNS_DIR) \
	  tools/firmware/build-unix.sh $(PEERS_BUILD)

bench-peers: $(STAMP)/venv $(BENCH_CORPUS)
ifeq ($(MICROPY_DIR),)
	@echo "== bench-peers: skipped: MICROPY_DIR is not set (and SLIMDNS_DIR, CBMDNS_DIR for the peers); see mk/peers.mk"
else
	@echo "== bench-peers: ours vs slimDNS and micropython-mdns 1.8.0 in one 32-bit unix binary"
	@[ -n "$(SLIMDNS_DIR)" ] || echo "bench-peers: SLIMDNS_DIR is not set: slimDNS (SL) left out"
	@[ -n "$(CBMDNS_DIR)" ] || echo "bench-peers: CBMDNS_DIR is not set: micropython-mdns (CB) left out"
	@$(MAKE) --no-print-directory peers-unix
	$(PY) tools/bench/bench_peers.py --bin $(PEERS_BUILD)/micropython --runs $(PEERS_RUNS) \
	  --json $(BENCH_DIR)/bench-peers.json $(BENCH_CORPUS)
endif

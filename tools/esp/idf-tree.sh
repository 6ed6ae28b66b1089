#!/usr/bin/env bash
# Lays out an ESP-IDF tree for an offline build: the IDF at a tag from a git directory, each
# submodule the MicroPython firmware needs from its own git directory, and the components that
# MicroPython's idf_component.yml would download, as local components.
#
#   IDF_GIT=/path/esp-idf.git MIRRORS=/path/mirrors OUT=/path/esp-idf-v5.5.1 tools/esp/idf-tree.sh
#
# IDF_GIT   git directory of ESP-IDF (a clone or any snapshot holding the tag)
# IDF_REF   the tag (default v5.5.1: the version the Wi-Fi/PHY blobs below were built for)
# MIRRORS   folder of git directories, one per repository, found as MIRRORS/OWNER+NAME/repo,
#           MIRRORS/OWNER+NAME, MIRRORS/OWNER/NAME or MIRRORS/NAME.git
# OUT       the tree to write (IDF_PATH for the build); components for the Component Manager's
#           dependencies go to OUT/mdnsfast-components/
#
# A submodule whose pinned commit the mirror lacks is taken at the nearest commit named below
# (same upstream version), and every such substitution is printed and written to
# OUT/SUBSTITUTIONS. Nothing is downloaded; nothing is changed in the git directories.
set -euo pipefail
: "${IDF_GIT:?set IDF_GIT to an ESP-IDF git directory}" "${MIRRORS:?set MIRRORS to a folder of git directories}" "${OUT:?set OUT}"
IDF_REF=${IDF_REF:-v5.5.1}
TREE=idf-tree SRC_GIT=$IDF_GIT SRC_REF=$IDF_REF
# shellcheck source=tools/esp/tree-lib.sh
. "$(dirname "$0")/tree-lib.sh"

if [ ! -e "$OUT/.idf-tree-base" ]; then
  say "ESP-IDF $IDF_REF -> $OUT"
  rm -rf "$OUT" && mkdir -p "$OUT"
  # The whole tree cannot be archived from a snapshot that lacks some large example files:
  # the build needs only these.
  git -C "$IDF_GIT" archive "$IDF_REF" components tools CMakeLists.txt Kconfig sdkconfig.rename .gitmodules \
    | tar -x -C "$OUT"
  # idf.py reads the version from git; a plain tree needs version.txt.
  echo "$IDF_REF" >"$OUT/version.txt"
  : >"$OUT/SUBSTITUTIONS"
  touch "$OUT/.idf-tree-base"
fi

sub components/bootloader/subproject/components/micro-ecc/micro-ecc kmackay/micro-ecc
sub components/heap/tlsf espressif/tlsf idf
sub components/lwip/lwip espressif/esp-lwip 2.1.3-esp
sub components/esp_phy/lib espressif/esp-phy-lib master
sub components/esp_coex/lib espressif/esp-coex-lib master
sub components/bt/controller/lib_esp32 espressif/esp32-bt-lib master
sub components/bt/controller/lib_esp32c3_family espressif/esp32c3-bt-lib main
sub components/bt/host/nimble/nimble espressif/esp-nimble nimble-1.6.0-idf
# not linked into the firmware, but ESP-IDF reads every component's CMakeLists.txt and mqtt's
# stops the configure step when its submodule is missing
sub components/mqtt/esp-mqtt espressif/esp-mqtt master

# TLSF: v5.5.1's heap component calls tlsf_find_containing_block (heap poisoning and
# heap_caps_get_containing_block_size), added to espressif/tlsf after the snapshot's newest
# commit. Where it is missing, add it: the same walk over a pool as tlsf_walk_pool, returning
# the used block that holds ptr (NULL if none).
if ! grep -q tlsf_find_containing_block "$OUT/components/heap/tlsf/tlsf.c"; then
  cat >>"$OUT/components/heap/tlsf/tlsf.c" <<'CEOF'

/* added by mdnsfast tools/esp/idf-tree.sh: newer ESP-IDF heap code needs it */
void* tlsf_find_containing_block(pool_t pool, void *ptr)
{
	block_header_t* block = offset_to_block(pool, -(int)block_header_overhead);
	while (block && !block_is_last(block))
	{
		char* start = (char*)block_to_ptr(block);
		if (!block_is_free(block) && start <= (char*)ptr && (char*)ptr < start + block_size(block))
			return start;
		block = block_next(block);
	}
	return NULL;
}
CEOF
  sed -i 's|^void tlsf_walk_pool(pool_t pool, tlsf_walker walker, void\* user);|&\nvoid* tlsf_find_containing_block(pool_t pool, void* ptr);|' "$OUT/components/heap/tlsf/include/tlsf.h"
  grep -q tlsf_find_containing_block "$OUT/components/heap/tlsf/include/tlsf.h" || die "could not declare tlsf_find_containing_block in tlsf.h"
  say "PATCHED components/heap/tlsf: tlsf_find_containing_block added (the substitute predates it)"
  echo "components/heap/tlsf patched: tlsf_find_containing_block added" >>"$OUT/SUBSTITUTIONS"
fi

# lwIP: the esp-lwip substitute predates the DHCP timeout hooks v5.5.1's lwipopts.h defines
# (DHCP_SET_TIMEOUT_FROM_OFFERED_*, DHCP_REQUEST_BACKOFF_SEQUENCE) and still calls the older
# names: give the older names in terms of the newer ones, so the IDF's values are the ones used.
if ! grep -q DHCP_SET_TIMEOUT_FROM_OFFERED "$OUT/components/lwip/lwip/src/core/ipv4/dhcp.c" \
   && ! grep -q "mdnsfast: older lwIP" "$OUT/components/lwip/port/include/lwipopts.h"; then
  cat >>"$OUT/components/lwip/port/include/lwipopts.h" <<'CEOF'

/* mdnsfast: older lwIP (tools/esp/idf-tree.sh): the DHCP timeout names it calls */
#if defined(DHCP_SET_TIMEOUT_FROM_OFFERED_T0_LEASE) && !defined(DHCP_CALC_TIMEOUT_FROM_OFFERED_T0_LEASE)
#define DHCP_CALC_TIMEOUT_FROM_OFFERED_T0_LEASE(dhcp) \
    __extension__({ DHCP_TIMEOUT_SIZE_T t_; DHCP_SET_TIMEOUT_FROM_OFFERED_T0_LEASE(t_, dhcp); t_; })
#define DHCP_CALC_TIMEOUT_FROM_OFFERED_T1_RENEW(dhcp) \
    __extension__({ DHCP_TIMEOUT_SIZE_T t_; DHCP_SET_TIMEOUT_FROM_OFFERED_T1_RENEW(t_, dhcp); t_; })
#define DHCP_CALC_TIMEOUT_FROM_OFFERED_T2_REBIND(dhcp) \
    __extension__({ DHCP_TIMEOUT_SIZE_T t_; DHCP_SET_TIMEOUT_FROM_OFFERED_T2_REBIND(t_, dhcp); t_; })
#define DHCP_REQUEST_TIMEOUT_SEQUENCE(tries) DHCP_REQUEST_BACKOFF_SEQUENCE(0, tries)
#endif
CEOF
  say "PATCHED components/lwip/port/include/lwipopts.h: the older lwIP's DHCP timeout names given"
  echo "components/lwip/port/include/lwipopts.h patched: older lwIP DHCP timeout names mapped to v5.5.1's hooks" >>"$OUT/SUBSTITUTIONS"
fi

# NimBLE: the snapshot's newest IDF branch may lack sources that this IDF's bt/CMakeLists.txt
# lists (v5.5.1 pins a 2025 commit; the snapshot ends in 2024): those lines are dropped from
# the laid-out tree, and each drop is recorded.
if [ ! -e "$OUT/components/bt/.nimble-checked" ]; then
  grep -o '"host/nimble/nimble/[^"]*\.c"' "$OUT/components/bt/CMakeLists.txt" | tr -d '"' | sort -u | while read -r f; do
    [ -e "$OUT/components/bt/$f" ] && continue
    sed -i "\|\"$f\"|d" "$OUT/components/bt/CMakeLists.txt"
    say "PATCHED components/bt/CMakeLists.txt: $f is not in the NimBLE used; dropped from the build"
    echo "components/bt/CMakeLists.txt patched: dropped $f (absent from the NimBLE substitute)" >>"$OUT/SUBSTITUTIONS"
  done
  touch "$OUT/components/bt/.nimble-checked"
fi

# mbedtls: Espressif's fork stops at the 2.16 branches in the snapshots seen; ESP-IDF 5.5 builds
# on upstream 3.6 LTS with its own port layer in components/mbedtls/port.
if [ ! -e "$OUT/components/mbedtls/mbedtls/.filled" ]; then
  pin=$(git -C "$IDF_GIT" ls-tree "$IDF_REF" components/mbedtls/mbedtls | awk '{print $3}')
  g=$(mirror espressif/mbedtls || true)
  if [ -n "$g" ] && git -C "$g" cat-file -e "$pin^{commit}" 2>/dev/null; then
    sub components/mbedtls/mbedtls espressif/mbedtls
  else
    g=$(mirror Mbed-TLS/mbedtls); [ -n "$g" ] || die "need espressif/mbedtls at $pin or Mbed-TLS/mbedtls under $MIRRORS"
    tag=$(nearest "$g" 'tag:v3.6.*')
    [ -n "$tag" ] || die "Mbed-TLS/mbedtls has no v3.6 tag before $IDF_REF"
    say "SUBSTITUTED components/mbedtls/mbedtls: espressif/mbedtls $pin unavailable; using upstream Mbed-TLS $tag"
    echo "components/mbedtls/mbedtls espressif/mbedtls pinned=$pin used=Mbed-TLS/mbedtls@$tag" >>"$OUT/SUBSTITUTIONS"
    rm -rf "$OUT/components/mbedtls/mbedtls" && mkdir -p "$OUT/components/mbedtls/mbedtls"
    # its test suites are not built (ENABLE_TESTING off) and hold files over the snapshot limit
    git -C "$g" archive "$tag" -- . ':(exclude)tests' | tar -x -C "$OUT/components/mbedtls/mbedtls"
    # 3.6 refuses to configure without its own submodule, the framework
    fpin=$(git -C "$g" ls-tree "$tag" framework | awk '{print $3}')
    if [ -n "$fpin" ]; then
      fg=$(mirror Mbed-TLS/mbedtls-framework); [ -n "$fg" ] || die "Mbed-TLS $tag needs Mbed-TLS/mbedtls-framework under $MIRRORS"
      git -C "$fg" cat-file -e "$fpin^{commit}" 2>/dev/null || die "Mbed-TLS/mbedtls-framework lacks $fpin (pinned by Mbed-TLS $tag)"
      git -C "$fg" archive "$fpin" | tar -x -C "$OUT/components/mbedtls/mbedtls/framework"
      say "submodule components/mbedtls/mbedtls/framework <- Mbed-TLS/mbedtls-framework $(git -C "$fg" rev-parse --short "$fpin")"
    fi
    # Upstream builds its library as C99; ESP-IDF compiles its port files (static_assert in hal
    # headers) into that library target, so the IDF's own C standard (gnu17) must apply.
    sed -i 's/^set(CMAKE_C_STANDARD 99)$/# set(CMAKE_C_STANDARD 99)  (dropped by mdnsfast idf-tree.sh: ESP-IDF port files need gnu17)/' \
      "$OUT/components/mbedtls/mbedtls/CMakeLists.txt"
    say "PATCHED components/mbedtls/mbedtls/CMakeLists.txt: CMAKE_C_STANDARD 99 dropped (ESP-IDF's port files need C11)"
    echo "components/mbedtls/mbedtls/CMakeLists.txt patched: CMAKE_C_STANDARD 99 dropped" >>"$OUT/SUBSTITUTIONS"
    touch "$OUT/components/mbedtls/mbedtls/.filled"
  fi
fi

# Wi-Fi libraries: espressif/esp32-wifi-lib at its pin if a mirror has it, else the same
# libraries for this IDF minor from esp-rs/esp-wireless-drivers-3rdparty (libs/<chip>/).
if [ ! -e "$OUT/components/esp_wifi/lib/.filled" ]; then
  g=$(mirror espressif/esp32-wifi-lib || true)
  pin=$(git -C "$IDF_GIT" ls-tree "$IDF_REF" components/esp_wifi/lib | awk '{print $3}')
  if [ -n "$g" ] && git -C "$g" cat-file -e "$pin^{commit}" 2>/dev/null; then
    sub components/esp_wifi/lib espressif/esp32-wifi-lib
  else
    g=$(mirror esp-rs/esp-wireless-drivers-3rdparty); [ -n "$g" ] || die "need espressif/esp32-wifi-lib or esp-rs/esp-wireless-drivers-3rdparty under $MIRRORS"
    ver=$(git -C "$g" show HEAD:version 2>/dev/null | tr -d '\n' || true)
    say "SUBSTITUTED components/esp_wifi/lib: espressif/esp32-wifi-lib $pin unavailable; using esp-rs/esp-wireless-drivers-3rdparty libs/<chip> (its version file: ${ver:-?})"
    echo "components/esp_wifi/lib espressif/esp32-wifi-lib pinned=$pin used=esp-rs/esp-wireless-drivers-3rdparty@$(git -C "$g" rev-parse HEAD) version=${ver:-?}" >>"$OUT/SUBSTITUTIONS"
    rm -rf "$OUT/components/esp_wifi/lib" && mkdir -p "$OUT/components/esp_wifi/lib"
    for chip in esp32 esp32c3 esp32s3; do
      mkdir -p "$OUT/components/esp_wifi/lib/$chip"
      # only the blobs components/esp_wifi links (its CMakeLists' list): PHY, coexistence and BT
      # come from their own repositories, wpa_supplicant is built from source
      for b in core espnow mesh net80211 pp smartconfig wapi; do
        git -C "$g" cat-file -e "HEAD:libs/$chip/lib$b.a" 2>/dev/null || continue
        git -C "$g" cat-file blob "HEAD:libs/$chip/lib$b.a" >"$OUT/components/esp_wifi/lib/$chip/lib$b.a"
      done
    done
    touch "$OUT/components/esp_wifi/lib/.filled"
  fi
fi

# Components MicroPython's main/idf_component.yml asks the Component Manager for. The build runs
# with the manager off (IDF_COMPONENT_MANAGER=0) and finds these by EXTRA_COMPONENT_DIRS, under
# the names the manager would give them. espressif/mdns is deliberately not provided: our boards
# turn MicroPython's built-in mDNS off, so nothing may link it.
comp() {  # NAME REPO REF SUBDIR
  local name=$1 repo=$2 ref=$3 subdir=$4 g c
  local dst=$OUT/mdnsfast-components/$name
  [ -e "$dst/.filled" ] && return 0
  g=$(mirror "$repo"); [ -n "$g" ] || die "no git directory for $repo under $MIRRORS (component $name)"
  c=$(git -C "$g" rev-parse -q --verify "$ref^{commit}" || nearest "$g" "$ref")
  [ -n "$c" ] || die "$repo has no $ref"
  rm -rf "$dst" && mkdir -p "$dst"
  git -C "$g" archive "$c" ${subdir:+"$subdir"} | tar -x -C "$dst" ${subdir:+--strip-components=$(( $(tr -cd / <<<"$subdir" | wc -c) + 1 ))}
  touch "$dst/.filled"
  say "component $name <- $repo $ref ($(git -C "$g" rev-parse --short "$c"))"
  echo "mdnsfast-components/$name $repo $ref@$(git -C "$g" rev-parse "$c")" >>"$OUT/SUBSTITUTIONS"
}
# espressif/mdns: header only. MicroPython v1.28.0 includes mdns.h whatever its mDNS settings
# (its calls stay behind MICROPY_HW_ENABLE_MDNS_*, which our boards turn off): the header goes
# on the include path (build-firmware.sh), the component is neither built nor linked.
if [ ! -e "$OUT/mdnsfast-headers/mdns/.filled" ]; then
  g=$(mirror espressif/esp-protocols); [ -n "$g" ] || die "no git directory for espressif/esp-protocols under $MIRRORS (mdns.h)"
  rm -rf "$OUT/mdnsfast-headers/mdns" && mkdir -p "$OUT/mdnsfast-headers/mdns"
  git -C "$g" archive "${MDNS_REF:-mdns-v1.1.0}" components/mdns/include | tar -x -C "$OUT/mdnsfast-headers/mdns" --strip-components=3
  touch "$OUT/mdnsfast-headers/mdns/.filled"
  say "header mdns.h <- espressif/esp-protocols ${MDNS_REF:-mdns-v1.1.0} (header only: the component is not built)"
  echo "mdnsfast-headers/mdns espressif/esp-protocols ${MDNS_REF:-mdns-v1.1.0} components/mdns/include only" >>"$OUT/SUBSTITUTIONS"
fi

comp espressif__tinyusb espressif/tinyusb "${TINYUSB_REF:-tag:v0.18.*}" ""
comp espressif__lan867x espressif/esp-eth-drivers "${LAN867X_REF:-lan867x@v1.0.3}" lan867x  # the version v1.28.0's lockfile pins

say "done: IDF_PATH=$OUT ($(wc -l <"$OUT/SUBSTITUTIONS") substitutions, listed in $OUT/SUBSTITUTIONS)"

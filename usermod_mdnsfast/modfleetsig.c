// Module `fleetsig`: ECDSA P-256 / SHA-256 signature check for fleet offers
// (docs/fleet.md), done by the mbedtls the port already links (ESP-IDF's on
// esp32, lib/mbedtls on unix). No curve arithmetic here: mbedtls does it.
// Built only where the port has mbedtls (MICROPY_SSL_MBEDTLS); elsewhere the
// module is absent and mdns.fleet.sig falls back to the `cryptography` package.
#include "py/runtime.h"

#if MICROPY_SSL_MBEDTLS

#include "mbedtls/ecdsa.h"
#include "mbedtls/ecp.h"
#include "mbedtls/bignum.h"

#define FS_PUB_LEN (65) // SEC 1 uncompressed point: 0x04 || X || Y
#define FS_DIG_LEN (32) // SHA-256 of the signed bytes
#define FS_SIG_LEN (64) // r || s, 32 bytes each (IEEE P1363 form)

// verify(pub, digest, sig) -> bool. Every malformed input is simply False:
// lengths, a point off the curve, r or s out of [1, n-1], a wrong signature.
static mp_obj_t fleetsig_verify(mp_obj_t pub_in, mp_obj_t dig_in, mp_obj_t sig_in) {
    mp_buffer_info_t pub, dig, sig;
    mp_get_buffer_raise(pub_in, &pub, MP_BUFFER_READ);
    mp_get_buffer_raise(dig_in, &dig, MP_BUFFER_READ);
    mp_get_buffer_raise(sig_in, &sig, MP_BUFFER_READ);
    if (pub.len != FS_PUB_LEN || dig.len != FS_DIG_LEN || sig.len != FS_SIG_LEN
        || ((const uint8_t *)pub.buf)[0] != 0x04) {
        return mp_const_false;
    }
    const uint8_t *s8 = sig.buf;
    mbedtls_ecp_group grp;
    mbedtls_ecp_point q;
    mbedtls_mpi r, s;
    mbedtls_ecp_group_init(&grp);
    mbedtls_ecp_point_init(&q);
    mbedtls_mpi_init(&r);
    mbedtls_mpi_init(&s);
    int ok = mbedtls_ecp_group_load(&grp, MBEDTLS_ECP_DP_SECP256R1) == 0
        && mbedtls_ecp_point_read_binary(&grp, &q, pub.buf, pub.len) == 0
        && mbedtls_ecp_check_pubkey(&grp, &q) == 0
        && mbedtls_mpi_read_binary(&r, s8, FS_SIG_LEN / 2) == 0
        && mbedtls_mpi_read_binary(&s, s8 + FS_SIG_LEN / 2, FS_SIG_LEN / 2) == 0
        && mbedtls_ecdsa_verify(&grp, dig.buf, dig.len, &q, &r, &s) == 0;
    mbedtls_mpi_free(&s);
    mbedtls_mpi_free(&r);
    mbedtls_ecp_point_free(&q);
    mbedtls_ecp_group_free(&grp);
    return mp_obj_new_bool(ok);
}
static MP_DEFINE_CONST_FUN_OBJ_3(fleetsig_verify_obj, fleetsig_verify);

static const mp_rom_map_elem_t fleetsig_globals_table[] = {
    { MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR_fleetsig) },
    { MP_ROM_QSTR(MP_QSTR_verify), MP_ROM_PTR(&fleetsig_verify_obj) },
};
static MP_DEFINE_CONST_DICT(fleetsig_globals, fleetsig_globals_table);

const mp_obj_module_t fleetsig_user_cmodule = {
    .base = { &mp_type_module },
    .globals = (mp_obj_dict_t *)&fleetsig_globals,
};

MP_REGISTER_MODULE(MP_QSTR_fleetsig, fleetsig_user_cmodule);

#endif // MICROPY_SSL_MBEDTLS

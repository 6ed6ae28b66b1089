// MicroPython binding of the mdnsfast core: module `mdnsfast`.
// Python-level API and errors: "The mdnsfast contract" in docs/design.md.
// Only read_name allocates (its result); the others work on the caller's buffers.
#include "py/runtime.h"

#include "mdnsfast.h"

static MP_NORETURN void mdf_raise(int32_t code) {
    // MP_ERROR_TEXT needs literals (ROM text compression), hence the switch.
    switch (code) {
        case MDF_E_TRUNCATED:
            mp_raise_ValueError(MP_ERROR_TEXT("truncated"));
        case MDF_E_LABEL_TOO_LONG:
            mp_raise_ValueError(MP_ERROR_TEXT("label too long"));
        case MDF_E_NAME_TOO_LONG:
            mp_raise_ValueError(MP_ERROR_TEXT("name too long"));
        case MDF_E_BAD_LABEL_TYPE:
            mp_raise_ValueError(MP_ERROR_TEXT("bad label type"));
        case MDF_E_BAD_POINTER:
            mp_raise_ValueError(MP_ERROR_TEXT("bad pointer"));
        case MDF_E_TOO_MANY_HOPS:
            mp_raise_ValueError(MP_ERROR_TEXT("too many pointer hops"));
        case MDF_E_BAD_COUNTS:
            mp_raise_ValueError(MP_ERROR_TEXT("bad counts"));
        case MDF_E_TRAILING_DATA:
            mp_raise_ValueError(MP_ERROR_TEXT("trailing data"));
        default:
            mp_raise_ValueError(MP_ERROR_TEXT("no room"));
    }
}

static int32_t check(int32_t r) {
    if (r < 0) {
        mdf_raise(r);
    }
    return r;
}

// An array('H') (or a memoryview of one): offsets and starts.
static void get_u16(mp_obj_t o, mp_buffer_info_t *b, mp_uint_t flags) {
    mp_get_buffer_raise(o, b, flags);
    if (b->typecode != 'H') {
        mp_raise_TypeError(MP_ERROR_TEXT("expected array('H')"));
    }
}

// read_name(buf, off) -> (wire_name: bytes, end: int)
static mp_obj_t mdnsfast_read_name(mp_obj_t buf_in, mp_obj_t off_in) {
    mp_buffer_info_t b;
    mp_get_buffer_raise(buf_in, &b, MP_BUFFER_READ);
    uint8_t out[MDF_MAX_NAME];
    size_t n = 0;
    int32_t end = check(mdf_read_name(b.buf, b.len, mp_obj_get_int(off_in), out, &n));
    mp_obj_t t[2] = { mp_obj_new_bytes(out, n), MP_OBJ_NEW_SMALL_INT(end) };
    return mp_obj_new_tuple(2, t);
}
static MP_DEFINE_CONST_FUN_OBJ_2(mdnsfast_read_name_obj, mdnsfast_read_name);

// name_eq(buf, off, wire_name) -> bool
static mp_obj_t mdnsfast_name_eq(mp_obj_t buf_in, mp_obj_t off_in, mp_obj_t name_in) {
    mp_buffer_info_t b, w;
    mp_get_buffer_raise(buf_in, &b, MP_BUFFER_READ);
    mp_get_buffer_raise(name_in, &w, MP_BUFFER_READ);
    return mp_obj_new_bool(check(mdf_name_eq(b.buf, b.len, mp_obj_get_int(off_in), w.buf, w.len)));
}
static MP_DEFINE_CONST_FUN_OBJ_3(mdnsfast_name_eq_obj, mdnsfast_name_eq);

// walk(buf, offsets) -> count
static mp_obj_t mdnsfast_walk(mp_obj_t buf_in, mp_obj_t offs_in) {
    mp_buffer_info_t b, o;
    mp_get_buffer_raise(buf_in, &b, MP_BUFFER_READ);
    get_u16(offs_in, &o, MP_BUFFER_WRITE);
    return MP_OBJ_NEW_SMALL_INT(check(mdf_walk(b.buf, b.len, o.buf, o.len / 2)));
}
static MP_DEFINE_CONST_FUN_OBJ_2(mdnsfast_walk_obj, mdnsfast_walk);

// match(buf, table) -> mask (the hot-path drop test: no allocation below bit 30)
static mp_obj_t mdnsfast_match(mp_obj_t buf_in, mp_obj_t table_in) {
    mp_buffer_info_t b, t;
    mp_get_buffer_raise(buf_in, &b, MP_BUFFER_READ);
    mp_get_buffer_raise(table_in, &t, MP_BUFFER_READ);
    uint32_t mask = 0;
    check(mdf_match(b.buf, b.len, t.buf, t.len, &mask));
    return mp_obj_new_int_from_uint(mask);
}
static MP_DEFINE_CONST_FUN_OBJ_2(mdnsfast_match_obj, mdnsfast_match);

// write_name(buf, pos, wire_name, starts, n) -> end
static mp_obj_t mdnsfast_write_name(size_t n_args, const mp_obj_t *args) {
    (void)n_args;
    mp_buffer_info_t b, w, s;
    mp_get_buffer_raise(args[0], &b, MP_BUFFER_WRITE);
    mp_get_buffer_raise(args[2], &w, MP_BUFFER_READ);
    get_u16(args[3], &s, MP_BUFFER_READ);
    int32_t end = check(mdf_write_name(b.buf, b.len, mp_obj_get_int(args[1]), w.buf, w.len,
        s.buf, s.len / 2, mp_obj_get_int(args[4])));
    return MP_OBJ_NEW_SMALL_INT(end);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(mdnsfast_write_name_obj, 5, 5, mdnsfast_write_name);

static const mp_rom_map_elem_t mdnsfast_module_globals_table[] = {
    { MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR_mdnsfast) },
    { MP_ROM_QSTR(MP_QSTR_read_name), MP_ROM_PTR(&mdnsfast_read_name_obj) },
    { MP_ROM_QSTR(MP_QSTR_name_eq), MP_ROM_PTR(&mdnsfast_name_eq_obj) },
    { MP_ROM_QSTR(MP_QSTR_walk), MP_ROM_PTR(&mdnsfast_walk_obj) },
    { MP_ROM_QSTR(MP_QSTR_match), MP_ROM_PTR(&mdnsfast_match_obj) },
    { MP_ROM_QSTR(MP_QSTR_write_name), MP_ROM_PTR(&mdnsfast_write_name_obj) },
};
static MP_DEFINE_CONST_DICT(mdnsfast_module_globals, mdnsfast_module_globals_table);

const mp_obj_module_t mdnsfast_user_cmodule = {
    .base = { &mp_type_module },
    .globals = (mp_obj_dict_t *)&mdnsfast_module_globals,
};

MP_REGISTER_MODULE(MP_QSTR_mdnsfast, mdnsfast_user_cmodule);

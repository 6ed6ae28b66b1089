/* CPython binding of the mdnsfast core: the host tests' backend and the wheel's
 * optional extension (setup.py); the firmware uses usermod_mdnsfast/modmdnsfast.c.
 * Same Python-level API and errors as the MicroPython module: see "The mdnsfast
 * contract" in docs/design.md. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "mdnsfast.h"

static PyObject *fail(int32_t code) {
    PyErr_SetString(PyExc_ValueError, mdf_strerror(code));
    return NULL;
}

/* A buffer of unsigned 16-bit items (array('H')). */
static int get_u16(PyObject *o, Py_buffer *b, int writable, const char *what) {
    if (PyObject_GetBuffer(o, b, PyBUF_FORMAT | PyBUF_C_CONTIGUOUS | (writable ? PyBUF_WRITABLE : 0)) < 0) {
        return -1;
    }
    if (b->itemsize != 2 || b->format == NULL || strcmp(b->format, "H") != 0) {
        PyBuffer_Release(b);
        PyErr_SetString(PyExc_TypeError, "expected array('H')");
        (void)what;
        return -1;
    }
    return 0;
}

static PyObject *py_read_name(PyObject *self, PyObject *args) {
    (void)self;
    Py_buffer b;
    Py_ssize_t off;
    if (!PyArg_ParseTuple(args, "y*n", &b, &off)) {
        return NULL;
    }
    uint8_t out[MDF_MAX_NAME];
    size_t n = 0;
    int32_t end = mdf_read_name(b.buf, (size_t)b.len, off, out, &n);
    PyBuffer_Release(&b);
    if (end < 0) {
        return fail(end);
    }
    return Py_BuildValue("(y#i)", (const char *)out, (Py_ssize_t)n, (int)end);
}

static PyObject *py_name_eq(PyObject *self, PyObject *args) {
    (void)self;
    Py_buffer b, w;
    Py_ssize_t off;
    if (!PyArg_ParseTuple(args, "y*ny*", &b, &off, &w)) {
        return NULL;
    }
    int32_t r = mdf_name_eq(b.buf, (size_t)b.len, off, w.buf, (size_t)w.len);
    PyBuffer_Release(&b);
    PyBuffer_Release(&w);
    if (r < 0) {
        return fail(r);
    }
    return PyBool_FromLong(r);
}

static PyObject *py_walk(PyObject *self, PyObject *args) {
    (void)self;
    Py_buffer b, o;
    PyObject *offs;
    if (!PyArg_ParseTuple(args, "y*O", &b, &offs)) {
        return NULL;
    }
    if (get_u16(offs, &o, 1, "offsets") < 0) {
        PyBuffer_Release(&b);
        return NULL;
    }
    int32_t r = mdf_walk(b.buf, (size_t)b.len, o.buf, (size_t)o.len / 2);
    PyBuffer_Release(&b);
    PyBuffer_Release(&o);
    if (r < 0) {
        return fail(r);
    }
    return PyLong_FromLong(r);
}

static PyObject *py_match(PyObject *self, PyObject *args) {
    (void)self;
    Py_buffer b, t;
    if (!PyArg_ParseTuple(args, "y*y*", &b, &t)) {
        return NULL;
    }
    uint32_t mask = 0;
    int32_t r = mdf_match(b.buf, (size_t)b.len, t.buf, (size_t)t.len, &mask);
    PyBuffer_Release(&b);
    PyBuffer_Release(&t);
    if (r < 0) {
        return fail(r);
    }
    return PyLong_FromUnsignedLong(mask);
}

static PyObject *py_write_name(PyObject *self, PyObject *args) {
    (void)self;
    Py_buffer b, w, s;
    Py_ssize_t pos, n;
    PyObject *starts;
    if (!PyArg_ParseTuple(args, "w*ny*On", &b, &pos, &w, &starts, &n)) {
        return NULL;
    }
    if (get_u16(starts, &s, 0, "starts") < 0) {
        PyBuffer_Release(&b);
        PyBuffer_Release(&w);
        return NULL;
    }
    int32_t r = mdf_write_name(b.buf, (size_t)b.len, pos, w.buf, (size_t)w.len, s.buf, (size_t)s.len / 2, n);
    PyBuffer_Release(&b);
    PyBuffer_Release(&w);
    PyBuffer_Release(&s);
    if (r < 0) {
        return fail(r);
    }
    return PyLong_FromLong(r);
}

static PyMethodDef methods[] = {
    {"read_name", py_read_name, METH_VARARGS, "read_name(buf, off) -> (wire_name, end)"},
    {"name_eq", py_name_eq, METH_VARARGS, "name_eq(buf, off, wire_name) -> bool"},
    {"walk", py_walk, METH_VARARGS, "walk(buf, offsets) -> count"},
    {"match", py_match, METH_VARARGS, "match(buf, table) -> mask"},
    {"write_name", py_write_name, METH_VARARGS, "write_name(buf, pos, wire_name, starts, n) -> end"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "mdnsfast", "mdnsfast C core (host build for tests)", -1, methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit_mdnsfast(void) {
    return PyModule_Create(&module);
}

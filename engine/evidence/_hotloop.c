/*
 * Compiled fast path for the HTTPERR hot loop (engine/evidence/httperr.py, `_Parser.scan`).
 *
 * Why C: a year of a web farm's error logs is millions of lines; the pure-Python
 * loop costs microseconds per line, awk a fraction of one. This scanner does only
 * the common case and hands every decision back to Python:
 *
 *   - it walks one block of whole ASCII lines and, for each line that looks like
 *     a plain data line of the current #Fields: layout (right number of spaces,
 *     a well-formed "YYYY-MM-DD HH:MM:SS " stamp on a date Python has vouched for),
 *     counts it: one more line for its ending ("tail", from the first column the
 *     parser needs), first/last stamp per tail, and `count` more entries in the
 *     dense per-minute array of (reason, day);
 *   - anything else stops the scan with a status saying why, and Python handles it
 *     (registers a new tail, vouches for a new date, creates a day array, records
 *     an example, or reads the line on the reference path) and calls again.
 *
 * So the compiled and the pure-Python paths give the same aggregate
 * (tests/test_hotloop.py), and the C never allocates state of its own.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

enum {
    DONE = 0,      /* reached the end of the block */
    SLOW = 1,      /* the line at pos needs the reference path */
    NEW_TAIL = 2,  /* aux: the line ending (bytes) Python has not seen yet */
    NEW_DATE = 3,  /* aux: b"YYYY-MM-DD" Python has not vouched for yet */
    NEW_DAY = 4,   /* aux: (reason, "YYYY-MM-DD") key missing from the per-minute days */
    EXAMPLE = 5,   /* aux: tail id of the line before pos, counted, whose reason still wants examples */
    LONG = 6,      /* the line at pos is over the length limit: the rest of the block is read by the line reader */
};

#define STAMP 19           /* "YYYY-MM-DD HH:MM:SS" */
#define BOUNDS (2 * STAMP) /* first and last stamp of one tail */
#define DAY_SLOTS 1440

static inline int is_digit(char c) { return c >= '0' && c <= '9'; }
static inline int two_digits(const char *p) { return (p[0] - '0') * 10 + (p[1] - '0'); }

/* "YYYY-MM-DD HH:MM:SS " with digits where digits belong and a real clock time
 * (the date itself is vouched for by Python: leap years and month lengths). */
static int good_stamp(const char *s)
{
    static const int digits[] = {0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18};
    for (size_t i = 0; i < sizeof digits / sizeof digits[0]; i++)
        if (!is_digit(s[digits[i]]))
            return 0;
    return s[4] == '-' && s[7] == '-' && s[10] == ' ' && s[13] == ':' && s[16] == ':' && s[19] == ' '
        && two_digits(s + 11) <= 23 && two_digits(s + 14) <= 59 && two_digits(s + 17) <= 59;
}

static PyObject *result(int status, Py_ssize_t pos, Py_ssize_t number, PyObject *aux)
{
    /* Steals the reference to aux (NULL means None). */
    PyObject *out = Py_BuildValue("(innO)", status, pos, number, aux ? aux : Py_None);
    Py_XDECREF(aux);
    return out;
}

typedef struct {
    Py_buffer view;
    int held;
} Held;

static void release(Held *h)
{
    if (h->held) {
        PyBuffer_Release(&h->view);
        h->held = 0;
    }
}

static int hold(Held *h, PyObject *obj, const char *format, Py_ssize_t itemsize)
{
    release(h);
    if (PyObject_GetBuffer(obj, &h->view, PyBUF_WRITABLE | PyBUF_FORMAT) < 0)
        return -1;
    h->held = 1;
    if (h->view.itemsize != itemsize || !h->view.format || strcmp(h->view.format, format) != 0) {
        release(h);
        return 0;
    }
    return 1;
}

PyDoc_STRVAR(scan_doc,
"scan(block, pos, number, crlf, cut, spaces, max_line, ids, reasons, counts, want, ends, bounds, order, days, dates)\n"
"-> (status, pos, number, aux)\n\n"
"Count plain HTTPERR data lines of `block` from byte `pos` (line `number`) until the\n"
"end of the block or the first line Python must handle; see engine/evidence/httperr.py.");

static PyObject *scan(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 16) {
        PyErr_SetString(PyExc_TypeError, "scan() takes 16 arguments");
        return NULL;
    }
    PyObject *block = args[0], *ids = args[7], *reasons = args[8], *counts = args[9], *want = args[10],
             *ends_obj = args[11], *bounds = args[12], *order = args[13], *days = args[14], *dates = args[15];
    if (!PyBytes_Check(block) || !PyDict_Check(ids) || !PyList_Check(reasons) || !PyList_Check(counts)
        || !PyByteArray_Check(want) || !PyByteArray_Check(bounds) || !PyList_Check(order)
        || !PyDict_Check(days) || !PyAnySet_Check(dates)) {
        PyErr_SetString(PyExc_TypeError, "scan(): argument of the wrong type");
        return NULL;
    }
    Py_ssize_t pos = PyLong_AsSsize_t(args[1]), number = PyLong_AsSsize_t(args[2]);
    int crlf = PyObject_IsTrue(args[3]);
    Py_ssize_t cut = PyLong_AsSsize_t(args[4]), spaces = PyLong_AsSsize_t(args[5]), max_line = PyLong_AsSsize_t(args[6]);
    if (PyErr_Occurred())
        return NULL;

    const char *base = PyBytes_AS_STRING(block);
    Py_ssize_t size = PyBytes_GET_SIZE(block);
    Py_ssize_t known = PyList_GET_SIZE(reasons);
    if (PyList_GET_SIZE(counts) != known || PyByteArray_GET_SIZE(want) != known
        || PyByteArray_GET_SIZE(bounds) != known * BOUNDS || cut < 1 || spaces < cut || pos < 0) {
        PyErr_SetString(PyExc_ValueError, "scan(): tail tables out of step");
        return NULL;
    }
    Held ends = {0}, day = {0};
    int ok = hold(&ends, ends_obj, "q", 8);
    if (ok <= 0 || ends.view.len != known * 8) {
        if (ok >= 0)
            PyErr_SetString(PyExc_ValueError, "scan(): ends must be an array('q') with one slot per tail");
        release(&ends);
        return NULL;
    }
    long long *ended = (long long *)ends.view.buf;
    char *bound = PyByteArray_AS_STRING(bounds), *wanted = PyByteArray_AS_STRING(want);

    const char *last_tail = NULL;       /* the previous line's ending (most lines end alike) */
    Py_ssize_t last_tail_len = -1, idx = -1;
    char date[10];
    PyObject *date_text = NULL;         /* "YYYY-MM-DD" of `date`, owned */
    PyObject *day_reason = NULL;        /* reason whose day array `day` holds for `date` (borrowed from `reasons`) */
    PyObject *out = NULL;

    while (pos < size) {
        const char *line = base + pos;
        const char *newline = memchr(line, '\n', (size_t)(size - pos));
        Py_ssize_t len = newline ? newline - line : size - pos;
        Py_ssize_t next = pos + len + (newline != NULL);
        if (crlf && len && line[len - 1] == '\r')
            len--;
        if (len >= max_line) {
            out = result(LONG, pos, number, NULL);
            goto done;
        }
        if (len <= STAMP || !good_stamp(line)) {
            out = result(SLOW, pos, number, NULL);
            goto done;
        }
        /* Exactly `spaces` spaces; the tail starts after the cut-th. */
        Py_ssize_t seen = 0, tail_at = -1;
        for (const char *p = line, *end = line + len; (p = memchr(p, ' ', (size_t)(end - p))) != NULL; p++) {
            if (++seen == cut)
                tail_at = p + 1 - line;
        }
        if (seen != spaces) {
            out = result(SLOW, pos, number, NULL);
            goto done;
        }
        if (!date_text || memcmp(date, line, 10) != 0) {
            PyObject *stamp_date = PyBytes_FromStringAndSize(line, 10);
            if (!stamp_date)
                goto done;
            int vouched = PySet_Contains(dates, stamp_date);
            if (vouched < 0) {
                Py_DECREF(stamp_date);
                goto done;
            }
            if (vouched == 0) {
                out = result(NEW_DATE, pos, number, stamp_date);
                goto done;
            }
            Py_DECREF(stamp_date);
            Py_XSETREF(date_text, PyUnicode_DecodeASCII(line, 10, NULL));
            if (!date_text)
                goto done;
            memcpy(date, line, 10);
            day_reason = NULL;
        }
        const char *tail = line + tail_at;
        Py_ssize_t tail_len = len - tail_at;
        if (tail_len != last_tail_len || memcmp(tail, last_tail, (size_t)tail_len) != 0) {
            PyObject *key = PyBytes_FromStringAndSize(tail, tail_len);
            if (!key)
                goto done;
            PyObject *found = PyDict_GetItemWithError(ids, key);
            if (!found) {
                if (PyErr_Occurred())
                    Py_DECREF(key);
                else
                    out = result(NEW_TAIL, pos, number, key);
                goto done;
            }
            Py_DECREF(key);
            idx = PyLong_AsSsize_t(found);
            if (idx < 0 || idx >= known) {
                if (!PyErr_Occurred())
                    PyErr_SetString(PyExc_ValueError, "scan(): tail id out of range");
                goto done;
            }
            last_tail = tail;
            last_tail_len = tail_len;
        }
        PyObject *reason = PyList_GET_ITEM(reasons, idx);
        long long count = PyLong_AsLongLong(PyList_GET_ITEM(counts, idx));
        if (count == -1 && PyErr_Occurred())
            goto done;
        if (reason != day_reason) {
            PyObject *key = PyTuple_Pack(2, reason, date_text);
            if (!key)
                goto done;
            PyObject *array = PyDict_GetItemWithError(days, key);
            if (!array) {
                if (PyErr_Occurred())
                    Py_DECREF(key);
                else
                    out = result(NEW_DAY, pos, number, key);
                goto done;
            }
            Py_DECREF(key);
            int dense = hold(&day, array, "H", 2);
            if (dense < 0)
                goto done;
            if (!dense || day.view.len != DAY_SLOTS * 2) {
                /* Widened after an overflow, or not the dense form: Python adds this line. */
                release(&day);
                day_reason = NULL;
                out = result(SLOW, pos, number, NULL);
                goto done;
            }
            day_reason = reason;
        }
        unsigned short *slots = (unsigned short *)day.view.buf;
        int slot = two_digits(line + 11) * 60 + two_digits(line + 14);
        if (count < 0 || slots[slot] + count > 0xFFFF) {
            out = result(SLOW, pos, number, NULL);
            goto done;
        }
        /* Every check passed: count the line. */
        slots[slot] += (unsigned short)count;
        if (ended[idx]++ == 0) {
            PyObject *id = PyLong_FromSsize_t(idx);
            if (!id || PyList_Append(order, id) < 0) {
                Py_XDECREF(id);
                goto done;
            }
            Py_DECREF(id);
        }
        char *first = bound + idx * BOUNDS, *last = first + STAMP;
        if (first[0] == 0) {
            memcpy(first, line, STAMP);
            memcpy(last, line, STAMP);
        } else if (memcmp(line, first, STAMP) < 0) {
            memcpy(first, line, STAMP);
        } else if (memcmp(line, last, STAMP) > 0) {
            memcpy(last, line, STAMP);
        }
        pos = next;
        number++;
        if (wanted[idx]) {
            out = result(EXAMPLE, pos, number, PyLong_FromSsize_t(idx));
            goto done;
        }
    }
    out = result(DONE, pos, number, NULL);
done:
    release(&day);
    release(&ends);
    Py_XDECREF(date_text);
    return out;
}

static PyMethodDef methods[] = {
    {"scan", (PyCFunction)(void (*)(void))scan, METH_FASTCALL, scan_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_hotloop",
    "Compiled fast path for the HTTPERR hot loop; the pure-Python loop in httperr.py is the reference.",
    -1, methods,
};

PyMODINIT_FUNC PyInit__hotloop(void)
{
    PyObject *m = PyModule_Create(&module);
    if (!m)
        return NULL;
    if (PyModule_AddIntConstant(m, "DONE", DONE) < 0 || PyModule_AddIntConstant(m, "SLOW", SLOW) < 0
        || PyModule_AddIntConstant(m, "NEW_TAIL", NEW_TAIL) < 0 || PyModule_AddIntConstant(m, "NEW_DATE", NEW_DATE) < 0
        || PyModule_AddIntConstant(m, "NEW_DAY", NEW_DAY) < 0 || PyModule_AddIntConstant(m, "EXAMPLE", EXAMPLE) < 0
        || PyModule_AddIntConstant(m, "LONG", LONG) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}

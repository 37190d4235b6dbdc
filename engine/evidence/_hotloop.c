/*
 * Compiled fast paths for reading a farm's HTTPERR logs (engine/evidence/httperr.py).
 *
 * Why C: a year of a web farm's error logs is millions of lines; the pure-Python
 * loop costs microseconds per line, awk a fraction of one. Every function here has
 * a pure-Python twin that stays the reference (used where this was not built, or
 * with HTTPERR_DOCTOR_PURE_PYTHON=1), and tests/test_hotloop.py checks they agree.
 *
 *   scan          the hot loop. It walks one block of whole ASCII lines and, for each
 *                 line that looks like a plain data line of the current #Fields:
 *                 layout (right number of spaces, a well-formed "YYYY-MM-DD HH:MM:SS "
 *                 stamp on a date Python has vouched for), counts it: one more line for
 *                 its key (the columns the parser reads: URL, status, reason, queue),
 *                 first/last stamp per key, `count` more entries in the dense per-minute
 *                 array of (reason, day), and the line's number while its reason still
 *                 wants examples. Anything else stops the scan with a status saying why;
 *                 Python handles it (a new key or date, an odd, wrapped or over-long
 *                 line on the reference path) and calls again.
 *   count_keys    adds the per-key counts of a file to its Counters.
 *   busy_minutes  the sparse form of a quiet day (MinuteCounts.compact).
 *   minute_stats, minute_buckets
 *                 peaks, first/last minute and timeline buckets of a MinuteCounts.
 *   newlines      counts a block's lines for the reader.
 *
 * State lives in Python objects the caller owns; nothing here keeps any between calls.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

enum {
    DONE = 0,      /* reached the end of the block */
    SLOW = 1,      /* the line at pos needs the reference path */
    NEW_TAIL = 2,  /* aux: the line's key (bytes) Python has not seen yet */
    NEW_DATE = 3,  /* aux: b"YYYY-MM-DD" Python has not vouched for yet */
    /* 4 was NEW_DAY: the scanner now makes missing day arrays itself with `new_day`. */
    EXAMPLE = 5,   /* examples were put in `found` for more reasons than one call keeps track of */
    LONG = 6,      /* the line at pos is over the length limit: the rest of the block is read by the line reader */
};

#define STAMP 19           /* "YYYY-MM-DD HH:MM:SS" */
#define BOUNDS (2 * STAMP) /* first and last stamp of one key */
#define DAY_SLOTS 1440
#define MAX_COLUMNS 8
#define DAY_CACHE 16
#define EXAMPLE_REASONS 32
#define MAX_KEY 4096       /* longer keys (URLs of kilobytes) take the reference path */

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

/* Newlines in a buffer: byte-wide counters over chunks the compiler vectorises. */
static Py_ssize_t count_newlines(const char *p, Py_ssize_t n)
{
    Py_ssize_t total = 0;
    while (n > 0) {
        Py_ssize_t chunk = n < 255 ? n : 255;
        unsigned char found = 0;
        for (Py_ssize_t i = 0; i < chunk; i++)
            found += p[i] == '\n';
        total += found;
        p += chunk;
        n -= chunk;
    }
    return total;
}

PyDoc_STRVAR(newlines_doc,
"newlines(block) -> int\n\n"
"block.count(b'\\n'), several times faster (bytes.count looks at one byte at a time);\n"
"the reader numbers the lines of each block with it.");

static PyObject *newlines(PyObject *module, PyObject *block)
{
    (void)module;
    if (!PyBytes_Check(block)) {
        PyErr_SetString(PyExc_TypeError, "newlines() takes bytes");
        return NULL;
    }
    return PyLong_FromSsize_t(count_newlines(PyBytes_AS_STRING(block), PyBytes_GET_SIZE(block)));
}

/* Spaces in a line, and whether it holds a CR. Byte-wide counters over chunks of
 * under 256 bytes let the compiler compare 16 or 32 bytes per instruction. */
static Py_ssize_t count_spaces(const char *p, Py_ssize_t n, int *has_cr)
{
    Py_ssize_t total = 0;
    unsigned char cr = 0;
    while (n > 0) {
        Py_ssize_t chunk = n < 255 ? n : 255;
        unsigned char spaces = 0;
        for (Py_ssize_t i = 0; i < chunk; i++) {
            spaces += p[i] == ' ';
            cr |= p[i] == '\r';
        }
        total += spaces;
        p += chunk;
        n -= chunk;
    }
    *has_cr = cr;
    return total;
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
"scan(block, pos, number, columns, spaces, max_line, ids, keys, reason_of, want, ends, bounds, order,\n"
"     days, dates, open_day, found) -> (status, pos, number, aux)\n\n"
"Count plain HTTPERR data lines of `block` from byte `pos` (line `number`) until the\n"
"end of the block or the first line Python must handle; see engine/evidence/httperr.py.\n"
"keys[i] starts (reason, count); open_day(key) puts a missing (reason, day) array in days.\n"
"A line whose reason still wants examples (want[reason_of[key]] of them) goes into `found` as (key, line).");

static PyObject *scan(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 17) {
        PyErr_SetString(PyExc_TypeError, "scan() takes 17 arguments");
        return NULL;
    }
    PyObject *block = args[0], *columns = args[3], *ids = args[6], *keys = args[7], *reason_of_obj = args[8],
             *want = args[9], *ends_obj = args[10], *bounds = args[11], *order = args[12], *days = args[13],
             *dates = args[14], *open_day = args[15], *found = args[16];
    if (!PyBytes_Check(block) || !PyBytes_Check(columns) || !PyDict_Check(ids) || !PyList_Check(keys)
        || !PyByteArray_Check(want) || !PyByteArray_Check(bounds) || !PyList_Check(order) || !PyList_Check(found)
        || !PyDict_Check(days) || !PyAnySet_Check(dates)) {
        PyErr_SetString(PyExc_TypeError, "scan(): argument of the wrong type");
        return NULL;
    }
    Py_ssize_t pos = PyLong_AsSsize_t(args[1]), number = PyLong_AsSsize_t(args[2]);
    Py_ssize_t spaces = PyLong_AsSsize_t(args[4]), max_line = PyLong_AsSsize_t(args[5]);
    if (PyErr_Occurred())
        return NULL;

    /* The key of a line: the columns the parser reads (cs-uri, sc-status, s-reason,
     * s-queuename), in order, joined by single spaces. */
    const unsigned char *wanted_columns = (const unsigned char *)PyBytes_AS_STRING(columns);
    Py_ssize_t n_columns = PyBytes_GET_SIZE(columns);
    if (n_columns < 1 || n_columns > MAX_COLUMNS || spaces >= 255) {
        PyErr_SetString(PyExc_ValueError, "scan(): between 1 and 8 key columns, under 255 fields");
        return NULL;
    }
    for (Py_ssize_t i = 0; i < n_columns; i++) {
        if (wanted_columns[i] > spaces || (i && wanted_columns[i] <= wanted_columns[i - 1])) {
            PyErr_SetString(PyExc_ValueError, "scan(): key columns must rise and exist in every line");
            return NULL;
        }
    }
    const char *base = PyBytes_AS_STRING(block);
    Py_ssize_t size = PyBytes_GET_SIZE(block);
    Py_ssize_t known = PyList_GET_SIZE(keys);
    if (PyByteArray_GET_SIZE(bounds) != known * BOUNDS || pos < 0) {
        PyErr_SetString(PyExc_ValueError, "scan(): tail tables out of step");
        return NULL;
    }
    Held ends = {0}, reason_of = {0};
    /* Day arrays of the current date, per reason (a handful), held while scanning. */
    struct { PyObject *reason; Held day; } cached[DAY_CACHE];
    int n_cached = 0;
    struct { unsigned int reason; int taken; } took[EXAMPLE_REASONS];  /* examples put in `found` per reason */
    int n_took = 0;
    int ok = hold(&ends, ends_obj, "q", 8);
    if (ok > 0 && ends.view.len == known * 8)
        ok = hold(&reason_of, reason_of_obj, "I", 4);
    if (ok <= 0 || ends.view.len != known * 8 || reason_of.view.len != known * 4) {
        if (ok >= 0)
            PyErr_SetString(PyExc_ValueError, "scan(): ends (array 'q') and reason_of (array 'I') need one slot per key");
        release(&ends);
        release(&reason_of);
        return NULL;
    }
    long long *ended = (long long *)ends.view.buf;
    const unsigned int *reason_ids = (const unsigned int *)reason_of.view.buf;
    const unsigned char *wanted = (const unsigned char *)PyByteArray_AS_STRING(want);
    Py_ssize_t n_reasons = PyByteArray_GET_SIZE(want);
    char *bound = PyByteArray_AS_STRING(bounds);

    char line_keys[2][MAX_KEY];         /* this line's key and the previous line's (most lines repeat it) */
    int this_key = 0;
    Py_ssize_t last_key_len = -1, idx = -1;
    char date[10];
    PyObject *date_text = NULL;         /* "YYYY-MM-DD" of `date`, owned */
    PyObject *out = NULL;

    while (pos < size) {
        const char *line = base + pos;
        const char *newline = memchr(line, '\n', (size_t)(size - pos));
        Py_ssize_t len = newline ? newline - line : size - pos;
        Py_ssize_t next = pos + len + (newline != NULL);
        if (len >= max_line) {  /* as the line reader counts it: with any CRs */
            out = result(LONG, pos, number, NULL);
            goto done;
        }
        while (len && line[len - 1] == '\r')  /* the reader strips trailing CRs, keeps any other */
            len--;
        int stray_cr;
        Py_ssize_t seen = count_spaces(line, len, &stray_cr);
        if (seen != spaces || stray_cr || len <= STAMP || !good_stamp(line)) {
            out = result(SLOW, pos, number, NULL);
            goto done;
        }
        /* The key columns, found walking back from the end (they are the last few,
         * and with the space count exact the k-th token from the end is known). */
        Py_ssize_t from[MAX_COLUMNS], to[MAX_COLUMNS], token = spaces, stop = len;
        for (Py_ssize_t i = len - 1, column = n_columns - 1; column >= 0; i--) {
            if (i < 0 || line[i] == ' ') {
                if (token == wanted_columns[column]) {
                    from[column] = i + 1;
                    to[column] = stop;
                    column--;
                }
                token--;
                stop = i;
            }
        }
        char *key = line_keys[this_key];
        Py_ssize_t key_len = n_columns - 1;
        for (Py_ssize_t column = 0; column < n_columns; column++)
            key_len += to[column] - from[column];
        if (key_len > MAX_KEY) {
            out = result(SLOW, pos, number, NULL);
            goto done;
        }
        for (Py_ssize_t column = 0, at = 0; column < n_columns; column++) {
            if (column)
                key[at++] = ' ';
            memcpy(key + at, line + from[column], (size_t)(to[column] - from[column]));
            at += to[column] - from[column];
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
            while (n_cached)
                release(&cached[--n_cached].day);
        }
        if (key_len != last_key_len || memcmp(key, line_keys[!this_key], (size_t)key_len) != 0) {
            PyObject *name = PyBytes_FromStringAndSize(key, key_len);
            if (!name)
                goto done;
            PyObject *found = PyDict_GetItemWithError(ids, name);
            if (!found) {
                if (PyErr_Occurred())
                    Py_DECREF(name);
                else
                    out = result(NEW_TAIL, pos, number, name);
                goto done;
            }
            Py_DECREF(name);
            idx = PyLong_AsSsize_t(found);
            if (idx < 0 || idx >= known) {
                if (!PyErr_Occurred())
                    PyErr_SetString(PyExc_ValueError, "scan(): tail id out of range");
                goto done;
            }
            last_key_len = key_len;
            this_key = !this_key;
        }
        PyObject *about = PyList_GET_ITEM(keys, idx);
        if (!PyTuple_Check(about) || PyTuple_GET_SIZE(about) < 2) {
            PyErr_SetString(PyExc_TypeError, "scan(): keys[i] is a tuple (reason, count, ...)");
            goto done;
        }
        PyObject *reason = PyTuple_GET_ITEM(about, 0);
        long long count = PyLong_AsLongLong(PyTuple_GET_ITEM(about, 1));
        if (count == -1 && PyErr_Occurred())
            goto done;
        int at = 0;
        while (at < n_cached && cached[at].reason != reason)
            at++;
        if (at == n_cached) {
            if (n_cached == DAY_CACHE) {  /* more reasons in one day than slots: start over */
                while (n_cached)
                    release(&cached[--n_cached].day);
                at = 0;
            }
            PyObject *key = PyTuple_Pack(2, reason, date_text);
            if (!key)
                goto done;
            PyObject *array = PyDict_GetItemWithError(days, key), *opened = NULL;
            if (!array && !PyErr_Occurred())
                array = opened = PyObject_CallOneArg(open_day, key);
            Py_DECREF(key);
            if (!array)
                goto done;
            Held *day = &cached[at].day;
            day->held = 0;
            int dense = hold(day, array, "H", 2);  /* the held view keeps the array alive */
            Py_XDECREF(opened);
            if (dense < 0)
                goto done;
            if (!dense || day->view.len != DAY_SLOTS * 2) {
                /* Widened after an overflow, or not the dense form: Python adds this line. */
                release(day);
                out = result(SLOW, pos, number, NULL);
                goto done;
            }
            cached[at].reason = reason;
            n_cached++;
        }
        unsigned short *slots = (unsigned short *)cached[at].day.view.buf;
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
        unsigned int rid = reason_ids[idx];
        if (rid >= n_reasons) {
            PyErr_SetString(PyExc_ValueError, "scan(): reason id out of range");
            goto done;
        }
        if (wanted[rid]) {
            /* At most want[rid] lines per reason in one call; Python keeps the first few. */
            int t = 0;
            while (t < n_took && took[t].reason != rid)
                t++;
            int untracked = t == EXAMPLE_REASONS;
            if (t == n_took && !untracked) {
                took[n_took].reason = rid;
                took[n_took++].taken = 0;
            }
            if (untracked || took[t].taken < wanted[rid]) {
                PyObject *example = Py_BuildValue("(nn)", idx, number);
                if (!example || PyList_Append(found, example) < 0) {
                    Py_XDECREF(example);
                    goto done;
                }
                Py_DECREF(example);
                if (untracked) {
                    out = result(EXAMPLE, next, number + 1, NULL);
                    goto done;
                }
                took[t].taken++;
            }
        }
        pos = next;
        number++;
    }
    out = result(DONE, pos, number, NULL);
done:
    while (n_cached)
        release(&cached[--n_cached].day);
    release(&ends);
    release(&reason_of);
    Py_XDECREF(date_text);
    return out;
}

/* counter[key] += n, as Counter does it (a missing key counts as 0). */
static int add_to(PyObject *counter, PyObject *key, long long n)
{
    PyObject *old = PyDict_GetItemWithError(counter, key), *sum;
    if (!old && PyErr_Occurred())
        return -1;
    if (old) {
        PyObject *delta = PyLong_FromLongLong(n);
        if (!delta)
            return -1;
        sum = PyNumber_Add(old, delta);
        Py_DECREF(delta);
    } else {
        sum = PyLong_FromLongLong(n);
    }
    if (!sum)
        return -1;
    int failed = PyDict_SetItem(counter, key, sum);
    Py_DECREF(sum);
    return failed;
}

PyDoc_STRVAR(count_keys_doc,
"count_keys(order, ends, keys, reasons, reason_lines, urls, queues, statuses, unknown, new_counter, cap_urls, url_cap)\n"
"-> lines\n\n"
"Add the lines counted per key (ends[i] for i in order) to the aggregate's Counters, as\n"
"`_Parser._count_tails` does; keys[i] is (reason, count, url|None, (reason, queue)|None,\n"
"status, unknown). Zeroes the counts it took.");

static PyObject *count_keys(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 12) {
        PyErr_SetString(PyExc_TypeError, "count_keys() takes 12 arguments");
        return NULL;
    }
    PyObject *order = args[0], *keys = args[2], *reasons = args[3], *reason_lines = args[4], *urls = args[5],
             *queues = args[6], *statuses = args[7], *unknown = args[8], *new_counter = args[9], *cap_urls = args[10];
    Py_ssize_t url_cap = PyLong_AsSsize_t(args[11]);
    if (url_cap == -1 && PyErr_Occurred())
        return NULL;
    if (!PyList_Check(order) || !PyList_Check(keys) || !PyDict_Check(reasons) || !PyDict_Check(reason_lines)
        || !PyDict_Check(urls) || !PyDict_Check(queues) || !PyDict_Check(statuses) || !PyDict_Check(unknown)) {
        PyErr_SetString(PyExc_TypeError, "count_keys(): argument of the wrong type");
        return NULL;
    }
    Held ends = {0};
    int ok = hold(&ends, args[1], "q", 8);
    if (ok <= 0) {
        if (ok == 0)
            PyErr_SetString(PyExc_ValueError, "count_keys(): ends must be an array('q')");
        return NULL;
    }
    long long *ended = (long long *)ends.view.buf, lines = 0;
    Py_ssize_t known = ends.view.len / 8;
    PyObject *out = NULL;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(order); i++) {
        Py_ssize_t idx = PyLong_AsSsize_t(PyList_GET_ITEM(order, i));
        if (idx == -1 && PyErr_Occurred())
            goto done;
        if (idx < 0 || idx >= known || idx >= PyList_GET_SIZE(keys)) {
            PyErr_SetString(PyExc_ValueError, "count_keys(): key id out of range");
            goto done;
        }
        PyObject *key = PyList_GET_ITEM(keys, idx);
        if (!PyTuple_Check(key) || PyTuple_GET_SIZE(key) != 6) {
            PyErr_SetString(PyExc_TypeError, "count_keys(): a key is a 6-tuple");
            goto done;
        }
        PyObject *reason = PyTuple_GET_ITEM(key, 0), *url = PyTuple_GET_ITEM(key, 2),
                 *queue = PyTuple_GET_ITEM(key, 3), *status = PyTuple_GET_ITEM(key, 4);
        long long n = ended[idx], per_line = PyLong_AsLongLong(PyTuple_GET_ITEM(key, 1)), total;
        if (per_line == -1 && PyErr_Occurred())
            goto done;
        if (__builtin_mul_overflow(n, per_line, &total)) {
            PyErr_SetString(PyExc_OverflowError, "count_keys(): count too large");
            goto done;
        }
        ended[idx] = 0;
        lines += n;
        if (add_to(reasons, reason, total) < 0 || add_to(reason_lines, reason, n) < 0)
            goto done;
        if (url != Py_None) {
            PyObject *by_url = PyDict_GetItemWithError(urls, reason);
            if (!by_url) {
                if (PyErr_Occurred())
                    goto done;
                PyObject *fresh = PyObject_CallNoArgs(new_counter);
                if (!fresh)
                    goto done;
                int failed = PyDict_SetItem(urls, reason, fresh);
                Py_DECREF(fresh);
                if (failed)
                    goto done;
                by_url = fresh;  /* kept alive by `urls` */
            }
            if (add_to(by_url, url, total) < 0)
                goto done;
            if (PyDict_Size(by_url) > url_cap) {
                PyObject *capped = PyObject_CallOneArg(cap_urls, reason);
                if (!capped)
                    goto done;
                Py_DECREF(capped);
            }
        }
        if (queue != Py_None && add_to(queues, queue, total) < 0)
            goto done;
        if (add_to(statuses, status, total) < 0)
            goto done;
        if (PyObject_IsTrue(PyTuple_GET_ITEM(key, 5)) && add_to(unknown, reason, n) < 0)
            goto done;
    }
    out = PyLong_FromLongLong(lines);
done:
    release(&ends);
    return out;
}

PyDoc_STRVAR(busy_minutes_doc,
"busy_minutes(day, limit) -> list | None\n\n"
"[slot, ..., count, ...] of the busy minutes of a dense uint16 day of 1,440 slots,\n"
"or None when `limit` or more are busy (MinuteCounts' sparse form, httperr.py).");

static PyObject *busy_minutes(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "busy_minutes() takes 2 arguments");
        return NULL;
    }
    Py_ssize_t limit = PyLong_AsSsize_t(args[1]);
    if (limit == -1 && PyErr_Occurred())
        return NULL;
    Py_buffer view;
    if (PyObject_GetBuffer(args[0], &view, PyBUF_FORMAT) < 0)
        return NULL;
    PyObject *out = NULL;
    if (view.itemsize != 2 || !view.format || strcmp(view.format, "H") != 0 || view.len != DAY_SLOTS * 2) {
        PyErr_SetString(PyExc_ValueError, "busy_minutes(): a day is an array('H') of 1,440 slots");
        goto done;
    }
    const unsigned short *slots = (const unsigned short *)view.buf;
    Py_ssize_t busy = 0;
    for (int slot = 0; slot < DAY_SLOTS; slot++)
        busy += slots[slot] != 0;
    if (busy >= limit) {
        out = Py_NewRef(Py_None);
        goto done;
    }
    out = PyList_New(2 * busy);
    for (Py_ssize_t slot = 0, at = 0; out && slot < DAY_SLOTS; slot++) {
        if (!slots[slot])
            continue;
        PyObject *minute = PyLong_FromSsize_t(slot), *count = PyLong_FromLong(slots[slot]);
        if (!minute || !count) {
            Py_XDECREF(minute);
            Py_XDECREF(count);
            Py_CLEAR(out);
            break;
        }
        PyList_SET_ITEM(out, at, minute);
        PyList_SET_ITEM(out, busy + at, count);
        at++;
    }
done:
    PyBuffer_Release(&view);
    return out;
}

/* ---- reading a MinuteCounts (httperr.py): dense days of 1,440 slots, sparse days of
 * busy slots followed by their counts; arrays of type H, I or q. */

static int open_counts(PyObject *array, Py_buffer *view)
{
    if (PyObject_GetBuffer(array, view, PyBUF_FORMAT) < 0)
        return -1;
    if (!view->format || (strcmp(view->format, "H") && strcmp(view->format, "I") && strcmp(view->format, "q"))) {
        PyBuffer_Release(view);
        PyErr_SetString(PyExc_ValueError, "minute counts are arrays of type H, I or q");
        return -1;
    }
    return 0;
}

static inline long long count_at(const Py_buffer *view, Py_ssize_t i)
{
    switch (view->itemsize) {
    case 2: return ((const unsigned short *)view->buf)[i];
    case 4: return ((const unsigned int *)view->buf)[i];
    default: return ((const long long *)view->buf)[i];
    }
}

/* One stored day, read in one go: busy minutes in rising slot order. */
typedef struct {
    PyObject *reason, *day;
    Py_buffer view;
    Py_ssize_t n;     /* busy minutes (sparse) or slots (dense) */
    int sparse;
} Day;

static inline Py_ssize_t day_next(const Day *d, Py_ssize_t i, long long *slot, long long *count)
{
    /* The next busy minute at or after position i; returns its position + 1, or 0 at the end. */
    if (d->sparse) {
        if (i >= d->n)
            return 0;
        *slot = count_at(&d->view, i);
        *count = count_at(&d->view, d->n + i);
        return i + 1;
    }
    for (; i < d->n; i++) {
        long long c = count_at(&d->view, i);
        if (c) {
            *slot = i;
            *count = c;
            return i + 1;
        }
    }
    return 0;
}

typedef int (*day_fn)(const Day *day, void *state);

static int each_day(PyObject *days, PyObject *sparse, day_fn each, void *state)
{
    for (int form = 0; form < 2; form++) {
        PyObject *dict = form ? sparse : days, *key, *value;
        Py_ssize_t at = 0;
        if (!PyDict_Check(dict)) {
            PyErr_SetString(PyExc_TypeError, "days and sparse are dicts");
            return -1;
        }
        while (PyDict_Next(dict, &at, &key, &value)) {
            if (!PyTuple_Check(key) || PyTuple_GET_SIZE(key) != 2) {
                PyErr_SetString(PyExc_TypeError, "a day is keyed (reason, day)");
                return -1;
            }
            Day d = {PyTuple_GET_ITEM(key, 0), PyTuple_GET_ITEM(key, 1), {0}, 0, form};
            if (open_counts(value, &d.view) < 0)
                return -1;
            d.n = d.view.len / d.view.itemsize / (form ? 2 : 1);
            int failed = each(&d, state) < 0;
            PyBuffer_Release(&d.view);
            if (failed)
                return -1;
        }
    }
    return 0;
}

/* minute_stats: per reason [peak, first day, first slot, last day, last slot] */
static PyObject *stats_entry(PyObject *found, PyObject *reason)
{
    PyObject *entry = PyDict_GetItemWithError(found, reason);
    if (entry || PyErr_Occurred())
        return entry;
    entry = Py_BuildValue("[iOiOi]", 0, Py_None, 0, Py_None, 0);
    if (!entry || PyDict_SetItem(found, reason, entry) < 0) {
        Py_XDECREF(entry);
        return NULL;
    }
    Py_DECREF(entry);
    return entry;
}

/* entry[i], entry[i + 1] = day, slot */
static int set_minute(PyObject *entry, Py_ssize_t i, PyObject *day, long long slot)
{
    PyObject *at = PyLong_FromLongLong(slot);
    if (!at)
        return -1;
    Py_INCREF(day);
    if (PyList_SetItem(entry, i, day) < 0) {
        Py_DECREF(at);
        return -1;
    }
    return PyList_SetItem(entry, i + 1, at);
}

/* -1, 0, 1 as (day_a, slot_a) compares with (day_b, slot_b); -2 on error. Days are ISO strings. */
static int compare_minutes(PyObject *day_a, long long slot_a, PyObject *day_b, long long slot_b)
{
    int less = PyObject_RichCompareBool(day_a, day_b, Py_LT);
    if (less)
        return less < 0 ? -2 : -1;
    int equal = PyObject_RichCompareBool(day_a, day_b, Py_EQ);
    if (equal < 0)
        return -2;
    if (!equal)
        return 1;
    return slot_a < slot_b ? -1 : slot_a > slot_b;
}

static int note_day(const Day *d, void *state)
{
    PyObject *entry = stats_entry((PyObject *)state, d->reason);  /* every stored day names its reason */
    if (!entry)
        return -1;
    long long slot, count, first = -1, last = -1, peak = 0;
    for (Py_ssize_t i = 0; (i = day_next(d, i, &slot, &count)) != 0;) {
        if (first < 0)
            first = slot;
        last = slot;
        if (count > peak)
            peak = count;
    }
    if (peak > PyLong_AsLongLong(PyList_GET_ITEM(entry, 0))) {
        PyObject *value = PyLong_FromLongLong(peak);
        if (!value || PyList_SetItem(entry, 0, value) < 0)
            return -1;
    }
    if (first < 0)
        return PyErr_Occurred() ? -1 : 0;
    if (PyList_GET_ITEM(entry, 1) == Py_None)
        return set_minute(entry, 1, d->day, first) < 0 || set_minute(entry, 3, d->day, last) < 0 ? -1 : 0;
    int before = compare_minutes(d->day, first, PyList_GET_ITEM(entry, 1), PyLong_AsLongLong(PyList_GET_ITEM(entry, 2)));
    int after = compare_minutes(d->day, last, PyList_GET_ITEM(entry, 3), PyLong_AsLongLong(PyList_GET_ITEM(entry, 4)));
    if (before == -2 || after == -2)
        return -1;
    if (before < 0 && set_minute(entry, 1, d->day, first) < 0)
        return -1;
    if (after > 0 && set_minute(entry, 3, d->day, last) < 0)
        return -1;
    return 0;
}

PyDoc_STRVAR(minute_stats_doc,
"minute_stats(days, sparse) -> {reason: [peak, first_day, first_slot, last_day, last_slot]}\n\n"
"One pass over a MinuteCounts' stored days (MinuteCounts.peaks and .span).");

static PyObject *minute_stats(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "minute_stats() takes 2 arguments");
        return NULL;
    }
    PyObject *found = PyDict_New();
    if (found && each_day(args[0], args[1], note_day, found) < 0)
        Py_CLEAR(found);
    return found;
}

/* minute_buckets: per reason {bucket start: count} */
typedef struct {
    PyObject *found, *bases, *only;
    long long origin, width;
} Buckets;

static long long floor_div(long long a, long long b)
{
    long long q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

static int add_to(PyObject *counter, PyObject *key, long long n);

static int flush_bucket(PyObject *out, long long bucket, long long total)
{
    PyObject *key = PyLong_FromLongLong(bucket);
    if (!key)
        return -1;
    int failed = add_to(out, key, total);
    Py_DECREF(key);
    return failed;
}

static int bucket_day(const Day *d, void *state)
{
    Buckets *b = state;
    if (b->only != Py_None) {
        int same = PyObject_RichCompareBool(d->reason, b->only, Py_EQ);
        if (same <= 0)
            return same;
    }
    PyObject *out = PyDict_GetItemWithError(b->found, d->reason);  /* a stored day yields its (maybe empty) dict */
    if (!out) {
        if (PyErr_Occurred())
            return -1;
        out = PyDict_New();
        if (!out || PyDict_SetItem(b->found, d->reason, out) < 0) {
            Py_XDECREF(out);
            return -1;
        }
        Py_DECREF(out);
    }
    PyObject *base_obj = PyDict_GetItemWithError(b->bases, d->day);
    if (!base_obj) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_KeyError, "minute_buckets(): a day without its minute number");
        return -1;
    }
    long long base = PyLong_AsLongLong(base_obj), slot, count, bucket = 0, total = 0;
    if (base == -1 && PyErr_Occurred())
        return -1;
    /* Minutes rise, so each bucket's minutes come together: one dict update per bucket. */
    int have = 0;
    for (Py_ssize_t i = 0; (i = day_next(d, i, &slot, &count)) != 0;) {
        long long key = b->origin + floor_div(base + slot - b->origin, b->width) * b->width;
        if (have && key != bucket) {
            if (flush_bucket(out, bucket, total) < 0)
                return -1;
            total = 0;
        }
        bucket = key;
        total += count;
        have = 1;
    }
    return have ? flush_bucket(out, bucket, total) : 0;
}

PyDoc_STRVAR(minute_buckets_doc,
"minute_buckets(days, sparse, bases, origin, width, only) -> {reason: {bucket start: count}}\n\n"
"MinuteCounts.buckets_by_reason in one pass; bases maps each day to its minute number.");

static PyObject *minute_buckets(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 6) {
        PyErr_SetString(PyExc_TypeError, "minute_buckets() takes 6 arguments");
        return NULL;
    }
    Buckets b = {PyDict_New(), args[2], args[5], PyLong_AsLongLong(args[3]), PyLong_AsLongLong(args[4])};
    if (!b.found || PyErr_Occurred() || !PyDict_Check(b.bases) || b.width <= 0) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_ValueError, "minute_buckets(): bases is a dict and width positive");
        Py_XDECREF(b.found);
        return NULL;
    }
    if (each_day(args[0], args[1], bucket_day, &b) < 0)
        Py_CLEAR(b.found);
    return b.found;
}

static PyMethodDef methods[] = {
    {"scan", (PyCFunction)(void (*)(void))scan, METH_FASTCALL, scan_doc},
    {"busy_minutes", (PyCFunction)(void (*)(void))busy_minutes, METH_FASTCALL, busy_minutes_doc},
    {"count_keys", (PyCFunction)(void (*)(void))count_keys, METH_FASTCALL, count_keys_doc},
    {"newlines", (PyCFunction)newlines, METH_O, newlines_doc},
    {"minute_stats", (PyCFunction)(void (*)(void))minute_stats, METH_FASTCALL, minute_stats_doc},
    {"minute_buckets", (PyCFunction)(void (*)(void))minute_buckets, METH_FASTCALL, minute_buckets_doc},
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
        || PyModule_AddIntConstant(m, "EXAMPLE", EXAMPLE) < 0
        || PyModule_AddIntConstant(m, "LONG", LONG) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}

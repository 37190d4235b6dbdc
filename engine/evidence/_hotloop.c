/*
 * The compiled kernel for reading a farm's HTTPERR logs (engine/evidence/httperr/fastpath.py).
 *
 * Why C: a year of a web farm's error logs is millions of lines; the pure-Python
 * loop costs microseconds per line, awk a fraction of one. Every function here has
 * a pure-Python twin (kernel_twin.py; kernel.py chooses which runs: the twin where this
 * was not built, or with HTTPERR_DOCTOR_PURE_PYTHON=1), and tests/test_hotloop.py checks they agree.
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
 *   minute_stats, minute_buckets, window_peaks
 *                 peaks, first/last minute and timeline buckets of a MinuteCounts.
 *   newlines      counts a block's lines for the reader.
 *
 * State lives in Python objects the caller owns; nothing here keeps any between calls.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stddef.h>
#include <string.h>

enum {
    DONE = 0,      /* reached the end of the block */
    SLOW = 1,      /* the line at pos needs the reference path */
    NEW_TAIL = 2,  /* aux: the line's key (bytes) Python has not seen yet */
    NEW_DATE = 3,  /* aux: b"YYYY-MM-DD" Python has not vouched for yet */
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
"scan(state, block, pos, number) -> (status, pos, number, aux)\n\n"
"Count plain HTTPERR data lines of `block` from byte `pos` (line `number`) until the\n"
"end of the block or the first line Python must handle (engine/evidence/httperr/fastpath.py).\n"
"`state` (a ScanState) has columns, spaces, max_line, days, open_day, dates, found and\n"
"tables (ids, keys, reason_of, want, ends, bounds, order). keys[i] starts (reason, count);\n"
"open_day(key) puts a missing (reason, day) array in days. A line whose reason still wants\n"
"examples (want[reason_of[key]] of them) goes into `found` as (key, line).");

/* What one scan() call works with: the caller's objects (references taken from the
 * state's attributes, buffers held for the call) and what it remembers between lines. */
enum { A_COLUMNS, A_DAYS, A_OPEN_DAY, A_DATES, A_FOUND, A_TABLES, A_IDS, A_KEYS, A_REASON_OF, A_WANT, A_ENDS,
       A_BOUNDS, A_ORDER, N_ATTRS };

typedef struct {
    PyObject *attr[N_ATTRS];
    const unsigned char *columns;       /* key columns, rising field numbers */
    Py_ssize_t n_columns, spaces, max_line, known, n_reasons;
    Held ends, reason_of;
    long long *ended;                   /* lines per key since the last flush */
    const unsigned int *reason_ids;     /* reason number per key */
    const unsigned char *wanted;        /* examples still wanted per reason */
    char *bound;                        /* first and last stamp per key */
    struct { PyObject *reason; Held day; } cached[DAY_CACHE];  /* day arrays of the current date */
    int n_cached;
    struct { unsigned int reason; int taken; } took[EXAMPLE_REASONS];  /* examples put in `found` per reason */
    int n_took;
    char line_keys[2][MAX_KEY];         /* this line's key and the previous line's (most lines repeat it) */
    int this_key;
    Py_ssize_t key_len, last_key_len, idx;
    char date[10];
    PyObject *date_text;                /* "YYYY-MM-DD" of `date`, owned */
} Scan;

static void scan_close(Scan *s)
{
    while (s->n_cached)
        release(&s->cached[--s->n_cached].day);
    release(&s->ends);
    release(&s->reason_of);
    Py_CLEAR(s->date_text);
    for (int i = 0; i < N_ATTRS; i++)
        Py_CLEAR(s->attr[i]);
}

/* Attribute names, interned once (PyInit__hotloop). */
static const char *scan_names[N_ATTRS] = {"columns", "days", "open_day", "dates", "found", "tables", "ids", "keys",
                                          "reason_of", "want", "ends", "bounds", "order"};
static PyObject *scan_attr[N_ATTRS], *name_spaces, *name_max_line;

static int scan_attrs(Scan *s, PyObject *state)
{
    for (int i = 0; i < N_ATTRS; i++) {
        s->attr[i] = PyObject_GetAttr(i < A_IDS ? state : s->attr[A_TABLES], scan_attr[i]);
        if (!s->attr[i])
            return -1;
    }
    if (!PyBytes_Check(s->attr[A_COLUMNS]) || !PyDict_Check(s->attr[A_IDS]) || !PyList_Check(s->attr[A_KEYS])
        || !PyByteArray_Check(s->attr[A_WANT]) || !PyByteArray_Check(s->attr[A_BOUNDS])
        || !PyList_Check(s->attr[A_ORDER]) || !PyList_Check(s->attr[A_FOUND]) || !PyDict_Check(s->attr[A_DAYS])
        || !PyAnySet_Check(s->attr[A_DATES])) {
        PyErr_SetString(PyExc_TypeError, "scan(): a state attribute of the wrong type");
        return -1;
    }
    PyObject *spaces = PyObject_GetAttr(state, name_spaces), *max_line = PyObject_GetAttr(state, name_max_line);
    s->spaces = spaces ? PyLong_AsSsize_t(spaces) : -1;
    s->max_line = max_line ? PyLong_AsSsize_t(max_line) : -1;
    Py_XDECREF(spaces);
    Py_XDECREF(max_line);
    return PyErr_Occurred() ? -1 : 0;
}

/* Key columns that rise and exist in every line; tables with one slot per key. */
static int scan_tables(Scan *s)
{
    s->columns = (const unsigned char *)PyBytes_AS_STRING(s->attr[A_COLUMNS]);
    s->n_columns = PyBytes_GET_SIZE(s->attr[A_COLUMNS]);
    if (s->n_columns < 1 || s->n_columns > MAX_COLUMNS || s->spaces >= 255) {
        PyErr_SetString(PyExc_ValueError, "scan(): between 1 and 8 key columns, under 255 fields");
        return -1;
    }
    for (Py_ssize_t i = 0; i < s->n_columns; i++) {
        if (s->columns[i] > s->spaces || (i && s->columns[i] <= s->columns[i - 1])) {
            PyErr_SetString(PyExc_ValueError, "scan(): key columns must rise and exist in every line");
            return -1;
        }
    }
    s->known = PyList_GET_SIZE(s->attr[A_KEYS]);
    if (PyByteArray_GET_SIZE(s->attr[A_BOUNDS]) != s->known * BOUNDS) {
        PyErr_SetString(PyExc_ValueError, "scan(): tail tables out of step");
        return -1;
    }
    int ok = hold(&s->ends, s->attr[A_ENDS], "q", 8);
    if (ok > 0 && s->ends.view.len == s->known * 8)
        ok = hold(&s->reason_of, s->attr[A_REASON_OF], "I", 4);
    if (ok <= 0 || s->ends.view.len != s->known * 8 || s->reason_of.view.len != s->known * 4) {
        if (ok >= 0)
            PyErr_SetString(PyExc_ValueError, "scan(): ends (array 'q') and reason_of (array 'I') need one slot per key");
        return -1;
    }
    s->ended = (long long *)s->ends.view.buf;
    s->reason_ids = (const unsigned int *)s->reason_of.view.buf;
    s->wanted = (const unsigned char *)PyByteArray_AS_STRING(s->attr[A_WANT]);
    s->n_reasons = PyByteArray_GET_SIZE(s->attr[A_WANT]);
    s->bound = PyByteArray_AS_STRING(s->attr[A_BOUNDS]);
    return 0;
}

/* The key of a line: the columns the parser reads (cs-uri, sc-status, s-reason,
 * s-queuename), in order, joined by single spaces. They are the last few, and with
 * the space count exact the k-th token from the end is known: found walking back.
 * Returns SLOW for a key too long to keep. */
static int line_key(Scan *s, const char *line, Py_ssize_t len)
{
    Py_ssize_t from[MAX_COLUMNS], to[MAX_COLUMNS], token = s->spaces, stop = len;
    for (Py_ssize_t i = len - 1, column = s->n_columns - 1; column >= 0; i--) {
        if (i < 0 || line[i] == ' ') {
            if (token == s->columns[column]) {
                from[column] = i + 1;
                to[column] = stop;
                column--;
            }
            token--;
            stop = i;
        }
    }
    char *key = s->line_keys[s->this_key];
    s->key_len = s->n_columns - 1;
    for (Py_ssize_t column = 0; column < s->n_columns; column++)
        s->key_len += to[column] - from[column];
    if (s->key_len > MAX_KEY)
        return SLOW;
    for (Py_ssize_t column = 0, at = 0; column < s->n_columns; column++) {
        if (column)
            key[at++] = ' ';
        memcpy(key + at, line + from[column], (size_t)(to[column] - from[column]));
        at += to[column] - from[column];
    }
    return 0;
}

/* The line's date, if Python has vouched for it (NEW_DATE with it in *aux if not). */
static int vouch_date(Scan *s, const char *line, PyObject **aux)
{
    if (s->date_text && memcmp(s->date, line, 10) == 0)
        return 0;
    PyObject *stamp_date = PyBytes_FromStringAndSize(line, 10);
    if (!stamp_date)
        return -1;
    int vouched = PySet_Contains(s->attr[A_DATES], stamp_date);
    if (vouched <= 0) {
        if (vouched == 0)
            *aux = stamp_date;
        else
            Py_DECREF(stamp_date);
        return vouched < 0 ? -1 : NEW_DATE;
    }
    Py_DECREF(stamp_date);
    Py_XSETREF(s->date_text, PyUnicode_DecodeASCII(line, 10, NULL));
    if (!s->date_text)
        return -1;
    memcpy(s->date, line, 10);
    while (s->n_cached)
        release(&s->cached[--s->n_cached].day);
    return 0;
}

/* s->idx for this line's key (NEW_TAIL with the key in *aux if Python has not seen it). */
static int find_key(Scan *s, PyObject **aux)
{
    const char *key = s->line_keys[s->this_key];
    if (s->key_len == s->last_key_len && memcmp(key, s->line_keys[!s->this_key], (size_t)s->key_len) == 0)
        return 0;
    PyObject *name = PyBytes_FromStringAndSize(key, s->key_len);
    if (!name)
        return -1;
    PyObject *found = PyDict_GetItemWithError(s->attr[A_IDS], name);
    if (!found) {
        if (PyErr_Occurred()) {
            Py_DECREF(name);
            return -1;
        }
        *aux = name;
        return NEW_TAIL;
    }
    Py_DECREF(name);
    s->idx = PyLong_AsSsize_t(found);
    if (s->idx < 0 || s->idx >= s->known) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_ValueError, "scan(): tail id out of range");
        return -1;
    }
    s->last_key_len = s->key_len;
    s->this_key = !s->this_key;
    return 0;
}

/* The dense uint16 day array of (reason, current date), made by open_day if missing;
 * NULL with *status SLOW when the day is not in that form (widened after an overflow). */
static unsigned short *day_slots(Scan *s, PyObject *reason, int *status)
{
    int at = 0;
    while (at < s->n_cached && s->cached[at].reason != reason)
        at++;
    if (at < s->n_cached)
        return (unsigned short *)s->cached[at].day.view.buf;
    if (s->n_cached == DAY_CACHE) {  /* more reasons in one day than slots: start over */
        while (s->n_cached)
            release(&s->cached[--s->n_cached].day);
        at = 0;
    }
    *status = -1;
    PyObject *key = PyTuple_Pack(2, reason, s->date_text);
    if (!key)
        return NULL;
    PyObject *array = PyDict_GetItemWithError(s->attr[A_DAYS], key), *opened = NULL;
    if (!array && !PyErr_Occurred())
        array = opened = PyObject_CallOneArg(s->attr[A_OPEN_DAY], key);
    Py_DECREF(key);
    if (!array)
        return NULL;
    Held *day = &s->cached[at].day;
    day->held = 0;
    int dense = hold(day, array, "H", 2);  /* the held view keeps the array alive */
    Py_XDECREF(opened);
    if (dense < 0)
        return NULL;
    if (!dense || day->view.len != DAY_SLOTS * 2) {
        release(day);
        *status = SLOW;
        return NULL;
    }
    s->cached[at].reason = reason;
    s->n_cached++;
    return (unsigned short *)day->view.buf;
}

/* One more line of key s->idx: its minute, its count, its first/last stamp. */
static int count_line(Scan *s, const char *line)
{
    PyObject *about = PyList_GET_ITEM(s->attr[A_KEYS], s->idx);
    if (!PyTuple_Check(about) || PyTuple_GET_SIZE(about) < 2) {
        PyErr_SetString(PyExc_TypeError, "scan(): keys[i] is a tuple (reason, count, ...)");
        return -1;
    }
    long long count = PyLong_AsLongLong(PyTuple_GET_ITEM(about, 1));
    if (count == -1 && PyErr_Occurred())
        return -1;
    int status = 0;
    unsigned short *slots = day_slots(s, PyTuple_GET_ITEM(about, 0), &status);
    if (!slots)
        return status;
    int slot = two_digits(line + 11) * 60 + two_digits(line + 14);
    if (count < 0 || slots[slot] + count > 0xFFFF)
        return SLOW;
    slots[slot] += (unsigned short)count;
    if (s->ended[s->idx]++ == 0) {
        PyObject *id = PyLong_FromSsize_t(s->idx);
        int failed = !id || PyList_Append(s->attr[A_ORDER], id) < 0;
        Py_XDECREF(id);
        if (failed)
            return -1;
    }
    char *first = s->bound + s->idx * BOUNDS, *last = first + STAMP;
    if (first[0] == 0) {
        memcpy(first, line, STAMP);
        memcpy(last, line, STAMP);
    } else if (memcmp(line, first, STAMP) < 0) {
        memcpy(first, line, STAMP);
    } else if (memcmp(line, last, STAMP) > 0) {
        memcpy(last, line, STAMP);
    }
    return 0;
}

/* The line into `found` while its reason wants examples: at most want[reason] per call.
 * EXAMPLE when more reasons gave examples than one call keeps track of. */
static int take_example(Scan *s, Py_ssize_t number)
{
    unsigned int rid = s->reason_ids[s->idx];
    if (rid >= s->n_reasons) {
        PyErr_SetString(PyExc_ValueError, "scan(): reason id out of range");
        return -1;
    }
    if (!s->wanted[rid])
        return 0;
    int t = 0;
    while (t < s->n_took && s->took[t].reason != rid)
        t++;
    int untracked = t == EXAMPLE_REASONS;
    if (t == s->n_took && !untracked) {
        s->took[s->n_took].reason = rid;
        s->took[s->n_took++].taken = 0;
    }
    if (!untracked && s->took[t].taken >= s->wanted[rid])
        return 0;
    PyObject *example = Py_BuildValue("(nn)", s->idx, number);
    int failed = !example || PyList_Append(s->attr[A_FOUND], example) < 0;
    Py_XDECREF(example);
    if (failed)
        return -1;
    if (untracked)
        return EXAMPLE;
    s->took[t].taken++;
    return 0;
}

/* Everything about one line short of counting it: SLOW, NEW_DATE, NEW_TAIL or 0. */
static int check_line(Scan *s, const char *line, Py_ssize_t len, PyObject **aux)
{
    while (len && line[len - 1] == '\r')  /* the reader strips trailing CRs, keeps any other */
        len--;
    int stray_cr;
    Py_ssize_t seen = count_spaces(line, len, &stray_cr);
    if (seen != s->spaces || stray_cr || len <= STAMP || !good_stamp(line))
        return SLOW;
    int status = line_key(s, line, len);
    if (status == 0)
        status = vouch_date(s, line, aux);
    if (status == 0)
        status = find_key(s, aux);
    return status;
}

static PyObject *scan(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 4) {
        PyErr_SetString(PyExc_TypeError, "scan() takes 4 arguments");
        return NULL;
    }
    Scan s;
    memset(&s, 0, offsetof(Scan, line_keys));
    s.last_key_len = s.idx = -1;
    s.this_key = 0;
    s.date_text = NULL;
    PyObject *block = args[1], *aux = NULL, *out = NULL;
    Py_ssize_t pos = PyLong_AsSsize_t(args[2]), number = PyLong_AsSsize_t(args[3]);
    if (!PyErr_Occurred() && !PyBytes_Check(block))
        PyErr_SetString(PyExc_TypeError, "scan(): block is bytes");
    else if (!PyErr_Occurred() && pos < 0)
        PyErr_SetString(PyExc_ValueError, "scan(): pos out of the block");
    if (PyErr_Occurred() || scan_attrs(&s, args[0]) < 0 || scan_tables(&s) < 0)
        goto done;
    const char *base = PyBytes_AS_STRING(block);
    Py_ssize_t size = PyBytes_GET_SIZE(block);
    int status = DONE;
    while (pos < size) {
        const char *line = base + pos, *newline = memchr(line, '\n', (size_t)(size - pos));
        Py_ssize_t len = newline ? newline - line : size - pos, next = pos + len + (newline != NULL);
        status = len >= s.max_line ? LONG : check_line(&s, line, len, &aux);  /* the length with any CRs */
        if (status == 0)
            status = count_line(&s, line);
        if (status == 0)
            status = take_example(&s, number);
        if (status == EXAMPLE) {
            pos = next;
            number++;
        }
        if (status != 0)
            break;
        pos = next;
        number++;
    }
    if (status >= 0)
        out = result(status, pos, number, aux);
    else
        Py_XDECREF(aux);
done:
    scan_close(&s);
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
"count_keys(tables, stats) -> lines\n\n"
"Add the lines counted per key (tables.ends[i] for i in tables.order) to the HttpErrStats'\n"
"counters; keys[i] is (reason, count, url|None, (reason, queue)|None, status, phrase|None): reasons\n"
"and the bounded counters (queues, statuses, unknown phrases, a reason's URLs) are added to as\n"
"dicts, then each told once through counted(n); stats.add_url(reason, url, n) makes a missing\n"
"URL counter. Zeroes the counts it took.");

enum { C_ORDER, C_ENDS, C_KEYS, C_REASONS, C_REASON_LINES, C_QUEUES, C_STATUSES, C_UNKNOWN, C_URLS, C_ADD_URL,
       C_TOUCHED, N_COUNTED };

static const char *counted_names[N_COUNTED] = {"order", "ends", "keys", "reasons", "reason_lines", "queues", "statuses",
                                               "unknown_reasons", "urls", "add_url"};
static PyObject *counted_attr[N_COUNTED], *name_counted;

/* counter[key] += n on a bounded counter (TopCounts, a dict), its entries added up in
 * c[C_TOUCHED] {id: [counter, n]}: each is told once at the end (`counted`), so it thins
 * after the flush, as the Python twin does it. */
static int add_bounded(PyObject **c, PyObject *counter, PyObject *key, long long n)
{
    if (add_to(counter, key, n) < 0)
        return -1;
    PyObject *id = PyLong_FromVoidPtr(counter), *entry = id ? PyDict_GetItemWithError(c[C_TOUCHED], id) : NULL;
    int failed = !id || (!entry && PyErr_Occurred());
    if (!failed && !entry) {
        entry = Py_BuildValue("[Oi]", counter, 0);
        failed = !entry || PyDict_SetItem(c[C_TOUCHED], id, entry) < 0;
        Py_XDECREF(entry);  /* kept alive by the dict */
    }
    if (!failed) {
        PyObject *sum = PyLong_FromLongLong(PyLong_AsLongLong(PyList_GET_ITEM(entry, 1)) + n);
        failed = !sum || PyList_SetItem(entry, 1, sum) < 0;
    }
    Py_XDECREF(id);
    return failed ? -1 : 0;
}

/* Every bounded counter added to: counter.counted(n), which thins it if it outgrew its capacity. */
static int tell_counted(PyObject *touched)
{
    PyObject *id, *entry;
    Py_ssize_t at = 0;
    while (PyDict_Next(touched, &at, &id, &entry)) {
        PyObject *done = PyObject_CallMethodObjArgs(PyList_GET_ITEM(entry, 0), name_counted,
                                                    PyList_GET_ITEM(entry, 1), NULL);
        if (!done)
            return -1;
        Py_DECREF(done);
    }
    return 0;
}

/* A URL into its reason's counter (stats.add_url makes a missing one and counts it itself). */
static int count_url(PyObject **c, PyObject *reason, PyObject *url, long long total)
{
    PyObject *by_url = PyDict_GetItemWithError(c[C_URLS], reason);
    if (by_url)
        return add_bounded(c, by_url, url, total);
    if (PyErr_Occurred())
        return -1;
    PyObject *added = PyObject_CallFunction(c[C_ADD_URL], "OOL", reason, url, total);
    Py_XDECREF(added);
    return added ? 0 : -1;
}

/* One key's lines into the counters (c[] as named above). */
static int count_key(PyObject **c, PyObject *key, long long n)
{
    if (!PyTuple_Check(key) || PyTuple_GET_SIZE(key) != 6) {
        PyErr_SetString(PyExc_TypeError, "count_keys(): a key is a 6-tuple");
        return -1;
    }
    PyObject *reason = PyTuple_GET_ITEM(key, 0), *url = PyTuple_GET_ITEM(key, 2),
             *queue = PyTuple_GET_ITEM(key, 3), *status = PyTuple_GET_ITEM(key, 4), *phrase = PyTuple_GET_ITEM(key, 5);
    long long per_line = PyLong_AsLongLong(PyTuple_GET_ITEM(key, 1)), total;
    if (per_line == -1 && PyErr_Occurred())
        return -1;
    if (__builtin_mul_overflow(n, per_line, &total)) {
        PyErr_SetString(PyExc_OverflowError, "count_keys(): count too large");
        return -1;
    }
    if (add_to(c[C_REASONS], reason, total) < 0 || add_to(c[C_REASON_LINES], reason, n) < 0)
        return -1;
    if (url != Py_None && count_url(c, reason, url, total) < 0)
        return -1;
    if (queue != Py_None && add_bounded(c, c[C_QUEUES], queue, total) < 0)
        return -1;
    if (add_bounded(c, c[C_STATUSES], status, total) < 0)
        return -1;
    return phrase != Py_None ? add_bounded(c, c[C_UNKNOWN], phrase, n) : 0;
}

static PyObject *count_keys(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "count_keys() takes 2 arguments");
        return NULL;
    }
    PyObject *c[N_COUNTED] = {NULL}, *out = NULL;
    Held ends = {0};
    for (int i = 0; i < C_TOUCHED; i++)
        if (!(c[i] = PyObject_GetAttr(i < C_REASONS ? args[0] : args[1], counted_attr[i])))
            goto done;
    if (!(c[C_TOUCHED] = PyDict_New()))
        goto done;
    if (!PyList_Check(c[C_ORDER]) || !PyList_Check(c[C_KEYS]) || !PyDict_Check(c[C_REASONS])
        || !PyDict_Check(c[C_REASON_LINES]) || !PyDict_Check(c[C_QUEUES]) || !PyDict_Check(c[C_STATUSES])
        || !PyDict_Check(c[C_UNKNOWN]) || !PyDict_Check(c[C_URLS])) {
        PyErr_SetString(PyExc_TypeError, "count_keys(): argument of the wrong type");
        goto done;
    }
    int ok = hold(&ends, c[C_ENDS], "q", 8);
    if (ok <= 0) {
        if (ok == 0)
            PyErr_SetString(PyExc_ValueError, "count_keys(): ends must be an array('q')");
        goto done;
    }
    long long *ended = (long long *)ends.view.buf, lines = 0;
    Py_ssize_t known = ends.view.len / 8;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(c[C_ORDER]); i++) {
        Py_ssize_t idx = PyLong_AsSsize_t(PyList_GET_ITEM(c[C_ORDER], i));
        if (idx == -1 && PyErr_Occurred())
            goto done;
        if (idx < 0 || idx >= known || idx >= PyList_GET_SIZE(c[C_KEYS])) {
            PyErr_SetString(PyExc_ValueError, "count_keys(): key id out of range");
            goto done;
        }
        long long n = ended[idx];
        ended[idx] = 0;
        lines += n;
        if (count_key(c, PyList_GET_ITEM(c[C_KEYS], idx), n) < 0)
            goto done;
    }
    if (tell_counted(c[C_TOUCHED]) == 0)
        out = PyLong_FromLongLong(lines);
done:
    release(&ends);
    for (int i = 0; i < N_COUNTED; i++)
        Py_XDECREF(c[i]);
    return out;
}

PyDoc_STRVAR(busy_minutes_doc,
"busy_minutes(day, limit) -> list | None\n\n"
"[slot, ..., count, ...] of the busy minutes of a dense uint16 day of 1,440 slots,\n"
"or None when `limit` or more are busy (MinuteCounts' sparse form, minutes.py).");

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

/* ---- reading a MinuteCounts (minutes.py): dense days of 1,440 slots, sparse days of
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
    /* One loop per count width: the width is read once a call, not once a minute. */
#define NEXT_BUSY(type)                                     \
    {                                                       \
        const type *c = d->view.buf;                        \
        for (; i < d->n; i++) {                             \
            if (c[i]) {                                     \
                *slot = i;                                  \
                *count = (long long)c[i];                   \
                return i + 1;                               \
            }                                               \
        }                                                   \
        return 0;                                           \
    }
    switch (d->view.itemsize) {
    case 2: NEXT_BUSY(unsigned short)
    case 4: NEXT_BUSY(unsigned int)
    default: NEXT_BUSY(long long)
    }
#undef NEXT_BUSY
}

/* A dense day read in one tight loop per count width: a busy day is most of the slots the
   day-walks read, and a loop that only adds or compares runs at memory speed. */
#define DENSE(d, ...)                                                             \
    switch ((d)->view.itemsize) {                                                 \
    case 2: { const unsigned short *c = (d)->view.buf; __VA_ARGS__ } break;       \
    case 4: { const unsigned int *c = (d)->view.buf; __VA_ARGS__ } break;         \
    default: { const long long *c = (d)->view.buf; __VA_ARGS__ } break;           \
    }

static long long dense_sum(const Day *d, Py_ssize_t lo, Py_ssize_t hi)
{
    long long sum = 0;
    DENSE(d, for (Py_ssize_t k = lo; k < hi; k++) sum += c[k];)
    return sum;
}

/* First and last busy slot (-1 when none) and the largest count of a dense day. */
static void dense_stats(const Day *d, long long *first, long long *last, long long *peak)
{
    Py_ssize_t lo = 0, hi = d->n;
    long long top = 0;
    DENSE(d, while (lo < hi && !c[lo]) lo++;
             while (hi > lo && !c[hi - 1]) hi--;
             for (Py_ssize_t k = lo; k < hi; k++) if ((long long)c[k] > top) top = c[k];)
    *first = lo < hi ? lo : -1;
    *last = lo < hi ? hi - 1 : -1;
    *peak = top;
}

typedef int (*day_fn)(const Day *day, void *state);

/* 1 when the reason's days are wanted, 0 to pass them by unread, -1 on error. */
typedef int (*reason_fn)(PyObject *reason, void *state);

static int each_day(PyObject *days, PyObject *sparse, reason_fn wanted, day_fn each, void *state)
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
            int want = wanted ? wanted(d.reason, state) : 1;
            if (want <= 0) {
                if (want < 0)
                    return -1;
                continue;
            }
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
    if (!d->sparse)
        dense_stats(d, &first, &last, &peak);
    for (Py_ssize_t i = 0; d->sparse && (i = day_next(d, i, &slot, &count)) != 0;) {
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
    if (found && each_day(args[0], args[1], NULL, note_day, found) < 0)
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

static int wanted_reason(PyObject *reason, void *state)
{
    PyObject *only = ((Buckets *)state)->only;  /* None: every reason */
    return only == Py_None ? 1 : PyObject_RichCompareBool(reason, only, Py_EQ);
}

static int bucket_day(const Day *d, void *state)
{
    Buckets *b = state;
    PyObject *name = d->reason;
    PyObject *out = PyDict_GetItemWithError(b->found, name);  /* a stored day yields its (maybe empty) dict */
    if (!out) {
        if (PyErr_Occurred())
            return -1;
        out = PyDict_New();
        if (!out || PyDict_SetItem(b->found, name, out) < 0) {
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
    if (!d->sparse) {  /* a bucket's slice of the day at a time */
        for (Py_ssize_t lo = 0, hi; lo < d->n; lo = hi) {
            long long bucket = b->origin + floor_div(base + lo - b->origin, b->width) * b->width;
            hi = bucket + b->width - base < d->n ? (Py_ssize_t)(bucket + b->width - base) : d->n;
            long long sum = dense_sum(d, lo, hi);
            if (sum && flush_bucket(out, bucket, sum) < 0)
                return -1;
        }
        return 0;
    }
    /* Minutes rise, so each bucket's minutes come together: one dict update per bucket, and
       its start is worked out once, when a minute reaches past the bucket before. */
    int have = 0;
    long long past = 0;  /* first slot after the current bucket */
    for (Py_ssize_t i = 0; (i = day_next(d, i, &slot, &count)) != 0;) {
        if (!have || slot >= past) {
            if (have && flush_bucket(out, bucket, total) < 0)
                return -1;
            bucket = b->origin + floor_div(base + slot - b->origin, b->width) * b->width;
            past = bucket + b->width - base;
            total = 0;
            have = 1;
        }
        total += count;
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
    if (each_day(args[0], args[1], wanted_reason, bucket_day, &b) < 0)
        Py_CLEAR(b.found);
    return b.found;
}

/* bucket_arrays: every reason's counts per bucket into arrays the caller made */
typedef struct {
    PyObject *into, *bases;
    long long origin, width;
    long long *total;
    Py_ssize_t n;
} Arrays;

static int open_target(PyObject *array, Py_buffer *view, Py_ssize_t n)
{
    if (PyObject_GetBuffer(array, view, PyBUF_WRITABLE | PyBUF_FORMAT) < 0)
        return -1;
    if (!view->format || strcmp(view->format, "q") || view->len != n * (Py_ssize_t)sizeof(long long)) {
        PyBuffer_Release(view);
        PyErr_SetString(PyExc_ValueError, "bucket_arrays(): targets are arrays of type q, as long as total");
        return -1;
    }
    return 0;
}

static int array_reason(PyObject *reason, void *state)
{
    PyObject *target = PyDict_GetItemWithError(((Arrays *)state)->into, reason);
    return target ? 1 : (PyErr_Occurred() ? -1 : 0);
}

static int array_day(const Day *d, void *state)
{
    Arrays *a = state;
    PyObject *base_obj = PyDict_GetItemWithError(a->bases, d->day);
    if (!base_obj) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_KeyError, "bucket_arrays(): a day without its minute number");
        return -1;
    }
    long long base = PyLong_AsLongLong(base_obj), slot, count;
    if (base == -1 && PyErr_Occurred())
        return -1;
    base -= a->origin;
    Py_buffer view;
    if (open_target(PyDict_GetItem(a->into, d->reason), &view, a->n) < 0)
        return -1;
    long long *out = view.buf;
    for (Py_ssize_t lo = 0, hi; !d->sparse && lo < d->n; lo = hi) {  /* a bucket's slice of the day at a time */
        long long at = floor_div(base + lo, a->width);
        hi = (at + 1) * a->width - base < d->n ? (Py_ssize_t)((at + 1) * a->width - base) : d->n;
        if (at >= 0 && at < a->n) {
            long long sum = dense_sum(d, lo, hi);
            out[at] += sum;
            a->total[at] += sum;
        }
    }
    for (Py_ssize_t i = 0; d->sparse && (i = day_next(d, i, &slot, &count)) != 0;) {
        long long at = floor_div(base + slot, a->width);
        if (at >= 0 && at < a->n) {
            out[at] += count;
            a->total[at] += count;
        }
    }
    PyBuffer_Release(&view);
    return 0;
}

PyDoc_STRVAR(bucket_arrays_doc,
"bucket_arrays(days, sparse, bases, origin, width, into, total) -> None\n\n"
"Add each stored day of a reason in `into` ({reason: array('q')}) to its array, a slot per\n"
"bucket of `width` minutes from minute `origin`, and to `total` (an array('q') as long); minutes\n"
"outside the arrays are left out. bases maps each day to its minute number.");

static PyObject *bucket_arrays(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 7) {
        PyErr_SetString(PyExc_TypeError, "bucket_arrays() takes 7 arguments");
        return NULL;
    }
    Arrays a = {args[5], args[2], PyLong_AsLongLong(args[3]), PyLong_AsLongLong(args[4]), NULL, 0};
    if (PyErr_Occurred())
        return NULL;
    if (!PyDict_Check(a.into) || !PyDict_Check(a.bases) || a.width <= 0) {
        PyErr_SetString(PyExc_ValueError, "bucket_arrays(): into and bases are dicts, width positive");
        return NULL;
    }
    Py_buffer total;
    if (PyObject_GetBuffer(args[6], &total, PyBUF_WRITABLE | PyBUF_FORMAT) < 0)
        return NULL;
    if (!total.format || strcmp(total.format, "q")) {
        PyBuffer_Release(&total);
        PyErr_SetString(PyExc_ValueError, "bucket_arrays(): total is an array of type q");
        return NULL;
    }
    a.n = total.len / (Py_ssize_t)sizeof(long long);
    a.total = total.buf;
    int failed = each_day(args[0], args[1], array_reason, array_day, &a) < 0;
    PyBuffer_Release(&total);
    if (failed)
        return NULL;
    Py_RETURN_NONE;
}

/* window_peaks: per set of reasons, the most counts together in any window of a day */
typedef struct {
    long long *sums, *peaks, *day;  /* sums: n_sets rows of per_day windows; day: one reason's */
    Py_ssize_t *low, *high;         /* the windows of each row this day added to (low > high: none) */
    Py_ssize_t *touched;            /* the windows one reason's day reaches, rising */
    Py_ssize_t n_sets, per_day;
} Peaks;

static void close_day(Peaks *p)
{
    for (Py_ssize_t set = 0; set < p->n_sets; set++) {
        if (p->low[set] <= p->high[set])
            memset(p->sums + set * p->per_day + p->low[set], 0,
                   (size_t)(p->high[set] - p->low[set] + 1) * sizeof(long long));
        p->low[set] = p->per_day;
        p->high[set] = -1;
    }
}

/* The windows of one reason's day (p->day) that it reaches (p->touched, rising); how many. */
static Py_ssize_t day_windows(Peaks *p, const Day *d, long long width)
{
    if (!d->sparse && d->n == 1440) {  /* a busy day: window by window */
        for (Py_ssize_t w = 0; w < p->per_day; w++) {
            p->day[w] = dense_sum(d, w * width, (w + 1) * width);
            p->touched[w] = w;
        }
        return p->per_day;
    }
    long long slot, count;
    Py_ssize_t reached = 0;
    for (Py_ssize_t i = 0; (i = day_next(d, i, &slot, &count)) != 0;) {
        if (slot < 0 || slot >= 1440)
            continue;
        Py_ssize_t w = slot / width;
        if (!reached || p->touched[reached - 1] != w) {  /* minutes rise: a window is new when first reached */
            p->touched[reached++] = w;
            p->day[w] = 0;
        }
        p->day[w] += count;
    }
    return reached;
}

static int add_day(Peaks *p, PyObject *entry, long long width)
{
    /* entry: (counts, sparse?, set indices) */
    PyObject *sets = PyTuple_GET_ITEM(entry, 2);
    Day d = {NULL, NULL, {0}, 0, PyTuple_GET_ITEM(entry, 1) == Py_True};
    if (open_counts(PyTuple_GET_ITEM(entry, 0), &d.view) < 0)
        return -1;
    d.n = d.view.len / d.view.itemsize / (d.sparse ? 2 : 1);
    /* The reason's windows first, then each of its sets gets them: a set index is read once a day. */
    Py_ssize_t reached = day_windows(p, &d, width);
    PyBuffer_Release(&d.view);
    if (!reached)
        return 0;
    for (Py_ssize_t k = 0; k < PyTuple_GET_SIZE(sets); k++) {
        Py_ssize_t set = PyLong_AsSsize_t(PyTuple_GET_ITEM(sets, k));
        if (set < 0 || set >= p->n_sets) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_IndexError, "window_peaks(): a set index out of range");
            return -1;
        }
        /* A window's sum only grows through the day, so the peak can be taken as it grows:
           the day's last addition to each window is among those compared. */
        long long *row = p->sums + set * p->per_day, peak = p->peaks[set];
        for (Py_ssize_t t = 0; t < reached; t++) {
            Py_ssize_t w = p->touched[t];
            row[w] += p->day[w];
            if (row[w] > peak)
                peak = row[w];
        }
        p->peaks[set] = peak;
        if (p->touched[0] < p->low[set])
            p->low[set] = p->touched[0];
        if (p->touched[reached - 1] > p->high[set])
            p->high[set] = p->touched[reached - 1];
    }
    return 0;
}

typedef struct {
    PyObject *members, *by_day;
} Gather;

static int member_reason(PyObject *reason, void *state)
{
    PyObject *sets = PyDict_GetItemWithError(((Gather *)state)->members, reason);
    if (sets && !PyTuple_Check(sets)) {
        PyErr_SetString(PyExc_TypeError, "window_peaks(): members maps a reason to a tuple of set indices");
        return -1;
    }
    return sets ? 1 : (PyErr_Occurred() ? -1 : 0);
}

static int gather_day(const Day *d, void *state)
{
    Gather *g = state;
    PyObject *parts = PyDict_GetItemWithError(g->by_day, d->day);
    if (!parts) {
        if (PyErr_Occurred())
            return -1;
        parts = PyList_New(0);
        int failed = !parts || PyDict_SetItem(g->by_day, d->day, parts) < 0;
        Py_XDECREF(parts);  /* the dict holds it */
        if (failed)
            return -1;
    }
    PyObject *entry = PyTuple_Pack(3, d->view.obj, d->sparse ? Py_True : Py_False, PyDict_GetItem(g->members, d->reason));
    int failed = !entry || PyList_Append(parts, entry) < 0;
    Py_XDECREF(entry);
    return failed ? -1 : 0;
}

static PyObject *wanted_days(PyObject *days, PyObject *sparse, PyObject *members)
{
    /* {day: [(counts, sparse?, set indices)]} of the reasons in members: a day's windows
       add up across its reasons, and days come in any order (a peak is a peak). */
    Gather g = {members, PyDict_New()};
    if (g.by_day && each_day(days, sparse, member_reason, gather_day, &g) < 0)
        Py_CLEAR(g.by_day);
    return g.by_day;
}

PyDoc_STRVAR(window_peaks_doc,
"window_peaks(days, sparse, members, sets, width) -> [peak per set]\n\n"
"For each of `sets` sets of reasons, the most counts of its reasons together in any window of\n"
"`width` minutes (a divisor of 1,440, windows from midnight); members maps a reason to the\n"
"indices of the sets it is in. A day at a time: no window of the whole span is ever held.");

static PyObject *window_peaks(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 5) {
        PyErr_SetString(PyExc_TypeError, "window_peaks() takes 5 arguments");
        return NULL;
    }
    Py_ssize_t n_sets = PyLong_AsSsize_t(args[3]);
    long long width = PyLong_AsLongLong(args[4]);
    if (PyErr_Occurred())
        return NULL;
    if (!PyDict_Check(args[0]) || !PyDict_Check(args[1]) || !PyDict_Check(args[2]) || n_sets < 0
        || width <= 0 || 1440 % width) {
        PyErr_SetString(PyExc_ValueError, "window_peaks(): days, sparse and members are dicts, width divides 1,440");
        return NULL;
    }
    PyObject *entries = wanted_days(args[0], args[1], args[2]);
    if (!entries)
        return NULL;
    Peaks p = {PyMem_Calloc(n_sets * (1440 / width) + 1, sizeof(long long)), PyMem_Calloc(n_sets + 1, sizeof(long long)),
               PyMem_Calloc(1440 / width, sizeof(long long)), PyMem_Calloc(n_sets + 1, sizeof(Py_ssize_t)),
               PyMem_Calloc(n_sets + 1, sizeof(Py_ssize_t)), PyMem_Calloc(1440 / width, sizeof(Py_ssize_t)),
               n_sets, 1440 / width};
    PyObject *out = NULL;
    if (!p.sums || !p.peaks || !p.day || !p.low || !p.high || !p.touched) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t set = 0; set < n_sets; set++) {
        p.low[set] = p.per_day;
        p.high[set] = -1;
    }
    PyObject *day, *parts;
    Py_ssize_t at = 0;
    while (PyDict_Next(entries, &at, &day, &parts)) {
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(parts); i++) {
            if (add_day(&p, PyList_GET_ITEM(parts, i), width) < 0)
                goto done;
        }
        close_day(&p);
    }
    out = PyList_New(n_sets);
    for (Py_ssize_t set = 0; out && set < n_sets; set++) {
        PyObject *peak = PyLong_FromLongLong(p.peaks[set]);
        if (!peak) {
            Py_CLEAR(out);
            break;
        }
        PyList_SET_ITEM(out, set, peak);
    }
done:
    PyMem_Free(p.sums);
    PyMem_Free(p.peaks);
    PyMem_Free(p.day);
    PyMem_Free(p.low);
    PyMem_Free(p.high);
    PyMem_Free(p.touched);
    Py_DECREF(entries);
    return out;
}

/* sorted_busy: the non-zero counts of an array('q'), smallest first */

/* Radix sort, a byte at a time from the lowest, on the counts with their sign bit flipped
   (so unsigned order is signed order): linear in the count of hours, where a comparison
   sort's calls through a function pointer cost more than finding the hours did. A byte
   every value shares (the high bytes of small counts) costs one counting pass. */
static void sort_counts(long long *values, long long *spare, Py_ssize_t n)
{
    const unsigned long long sign = 1ULL << 63;
    unsigned long long *from = (unsigned long long *)values, *to = (unsigned long long *)spare;
    for (Py_ssize_t i = 0; i < n; i++)
        from[i] ^= sign;
    for (int shift = 0; n > 1 && shift < 64; shift += 8) {
        Py_ssize_t start[257] = {0};
        for (Py_ssize_t i = 0; i < n; i++)
            start[((from[i] >> shift) & 255) + 1]++;
        if (start[((from[0] >> shift) & 255) + 1] == n)
            continue;
        for (int b = 0; b < 256; b++)
            start[b + 1] += start[b];
        for (Py_ssize_t i = 0; i < n; i++)
            to[start[(from[i] >> shift) & 255]++] = from[i];
        unsigned long long *swap = from;
        from = to;
        to = swap;
    }
    for (Py_ssize_t i = 0; i < n; i++)
        values[i] = (long long)(from[i] ^ sign);
}

PyDoc_STRVAR(sorted_busy_doc,
"sorted_busy(counts) -> list\n\n"
"The non-zero values of `counts` (an array('q'), e.g. a series' hours), smallest first:\n"
"the usual level of a year of hours is a median of them.");

static PyObject *sorted_busy(PyObject *module, PyObject *counts)
{
    (void)module;
    Py_buffer view;
    if (PyObject_GetBuffer(counts, &view, PyBUF_FORMAT) < 0)
        return NULL;
    if (!view.format || strcmp(view.format, "q")) {
        PyBuffer_Release(&view);
        PyErr_SetString(PyExc_ValueError, "sorted_busy(): counts is an array of type q");
        return NULL;
    }
    Py_ssize_t n = view.len / (Py_ssize_t)sizeof(long long), busy = 0;
    const long long *c = view.buf;
    long long *values = PyMem_Malloc(2 * (n + 1) * sizeof(long long));
    PyObject *out = NULL;
    if (!values) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++)
        if (c[i])
            values[busy++] = c[i];
    sort_counts(values, values + n + 1, busy);
    out = PyList_New(busy);
    for (Py_ssize_t i = 0; out && i < busy; i++) {
        PyObject *value = PyLong_FromLongLong(values[i]);
        if (!value) {
            Py_CLEAR(out);
            break;
        }
        PyList_SET_ITEM(out, i, value);
    }
done:
    PyMem_Free(values);
    PyBuffer_Release(&view);
    return out;
}

static PyMethodDef methods[] = {
    {"scan", (PyCFunction)(void (*)(void))scan, METH_FASTCALL, scan_doc},
    {"busy_minutes", (PyCFunction)(void (*)(void))busy_minutes, METH_FASTCALL, busy_minutes_doc},
    {"count_keys", (PyCFunction)(void (*)(void))count_keys, METH_FASTCALL, count_keys_doc},
    {"newlines", (PyCFunction)newlines, METH_O, newlines_doc},
    {"minute_stats", (PyCFunction)(void (*)(void))minute_stats, METH_FASTCALL, minute_stats_doc},
    {"minute_buckets", (PyCFunction)(void (*)(void))minute_buckets, METH_FASTCALL, minute_buckets_doc},
    {"bucket_arrays", (PyCFunction)(void (*)(void))bucket_arrays, METH_FASTCALL, bucket_arrays_doc},
    {"window_peaks", (PyCFunction)(void (*)(void))window_peaks, METH_FASTCALL, window_peaks_doc},
    {"sorted_busy", (PyCFunction)sorted_busy, METH_O, sorted_busy_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_hotloop",
    "Compiled kernel of the HTTPERR fast path; kernel_twin.py is its pure-Python twin.",
    -1, methods,
};

static int intern_names(void)
{
    for (int i = 0; i < N_ATTRS; i++)
        if (!scan_attr[i] && !(scan_attr[i] = PyUnicode_InternFromString(scan_names[i])))
            return -1;
    for (int i = 0; i < C_TOUCHED; i++)
        if (!counted_attr[i] && !(counted_attr[i] = PyUnicode_InternFromString(counted_names[i])))
            return -1;
    if (!name_spaces && !(name_spaces = PyUnicode_InternFromString("spaces")))
        return -1;
    if (!name_max_line && !(name_max_line = PyUnicode_InternFromString("max_line")))
        return -1;
    return !name_counted && !(name_counted = PyUnicode_InternFromString("counted")) ? -1 : 0;
}

PyMODINIT_FUNC PyInit__hotloop(void)
{
    if (intern_names() < 0)
        return NULL;
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

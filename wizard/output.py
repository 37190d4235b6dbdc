"""Standard output as the platform hands it over, which is not always UTF-8.

With `PYTHONIOENCODING=ascii`, a Windows console on an ANSI code page or a pipe in the C
locale, one character of evidence the stream cannot encode (an accented folder name, a
URL from a log) would end the run with UnicodeEncodeError. Each form instead writes what
the stream can take, in a way that keeps it valid for its readers: HTML as character
references, JSON as `\\uXXXX` escapes (same meaning once parsed), text and Markdown as
backslash escapes.
"""
from __future__ import annotations

import codecs
import sys

JSON_ESCAPE = "httperr-doctor-json-escape"


def _json_escape(error: UnicodeError) -> tuple[str, int]:
    r"""Characters the stream cannot take as JSON `\uXXXX` escapes (surrogate pairs above U+FFFF).

    >>> "café ☃ 😀".encode("ascii", JSON_ESCAPE)
    b'caf\\u00e9 \\u2603 \\ud83d\\ude00'
    """
    if not isinstance(error, UnicodeEncodeError):
        raise error
    out = []
    for char in error.object[error.start:error.end]:
        code = ord(char)
        if code > 0xFFFF:
            code -= 0x10000
            out.append(f"\\u{0xD800 | code >> 10:04x}\\u{0xDC00 | code & 0x3FF:04x}")
        else:
            out.append(f"\\u{code:04x}")
    return "".join(out), error.end


codecs.register_error(JSON_ESCAPE, _json_escape)
ERRORS = {"json": JSON_ESCAPE, "html": "xmlcharrefreplace"}


def tolerate(stream, form: str = "text") -> None:
    """Make `stream` replace what its encoding cannot hold, as suits `form`."""
    reconfigure = getattr(stream, "reconfigure", None)
    if reconfigure is not None:
        try:
            reconfigure(errors=ERRORS.get(form, "backslashreplace"))
        except (ValueError, OSError):
            pass


def write_stdout(text: str, form: str) -> None:
    """Write and flush a report; OSError (a full disk, a closed reader) is the caller's to report."""
    tolerate(sys.stdout, form)
    sys.stdout.write(text)
    sys.stdout.flush()

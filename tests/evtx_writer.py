"""Write a small but well-formed .evtx file, so the binary event-log path is tested end to end.

No binary .evtx sample could be brought into the repository, so the tests build one: a
file header, one chunk, and one record per event whose body is plain binary XML (element,
attribute and value tokens with names defined in place; no templates). The layout
follows the libyal EVTX format description: 4 KiB file header with CRC32, 64 KiB
chunks ("ElfChnk") with header and records checksums, records ("**") of binary XML.
"""
from __future__ import annotations

import struct
import zlib
from datetime import datetime, timezone

CHUNK_SIZE = 65536
FILETIME_EPOCH = datetime(1601, 1, 1, tzinfo=timezone.utc)


def _name(offset: int, text: str) -> bytes:
    """A name reference defined in place: offset of the name, then the name itself."""
    chars = text.encode("utf-16-le")
    body = struct.pack("<IHH", 0, 0, len(text)) + chars + b"\x00\x00"
    return struct.pack("<I", offset + 4) + body


def _value(text: str) -> bytes:
    return b"\x05\x01" + struct.pack("<H", len(text)) + text.encode("utf-16-le")


class _Xml:
    """Binary XML for one event, built with chunk-relative offsets for the in-place names."""

    def __init__(self, base: int):
        self.base = base  # chunk offset where this binary XML starts
        self.out = bytearray(b"\x0f\x01\x01\x00")

    def here(self) -> int:
        return self.base + len(self.out)

    def element(self, name: str, attributes: dict[str, str] | None = None, text: str | None = None,
                children: list | None = None) -> None:
        start = len(self.out)
        # Elements written directly in a record carry no dependency identifier (only template definitions do).
        self.out += bytes([0x41 if attributes else 0x01]) + b"\x00\x00\x00\x00"
        size_at = len(self.out) - 4
        self.out += _name(self.here(), name)
        if attributes:
            list_at = len(self.out)
            self.out += b"\x00\x00\x00\x00"
            items = list(attributes.items())
            for i, (key, value) in enumerate(items):
                self.out += bytes([0x46 if i < len(items) - 1 else 0x06])
                self.out += _name(self.here(), key)
                self.out += _value(value)
            struct.pack_into("<I", self.out, list_at, len(self.out) - list_at - 4)
        if text is None and not children:
            self.out += b"\x03"
        else:
            self.out += b"\x02"
            if text is not None:
                self.out += _value(text)
            for child in children or []:
                self.element(*child)
            self.out += b"\x04"
        struct.pack_into("<I", self.out, size_at, len(self.out) - size_at - 4)
        del start


def _event_xml(base: int, event: dict) -> bytes:
    xml = _Xml(base)
    system = [
        ("Provider", {"Name": event["source"]}),
        ("EventID", {"Qualifiers": "16384"}, str(event["event_id"])),
        ("Level", None, str(event["level"])),
        ("TimeCreated", {"SystemTime": event["time"]}),
        ("Channel", None, event.get("channel", "System")),
        ("Computer", None, event["computer"]),
    ]
    data = [("Data", {"Name": name}, value) for name, value in event.get("data", {}).items()]
    xml.element("Event", {"xmlns": "http://schemas.microsoft.com/win/2004/08/events/event"}, None,
                [("System", None, None, system), ("EventData", None, None, data)])
    xml.out += b"\x00"
    return bytes(xml.out)


def write_evtx(path, events: list[dict]) -> None:
    """Write `events` (source, event_id, level, time ISO-Z, computer, channel, data) as one .evtx chunk."""
    chunk = bytearray(CHUNK_SIZE)
    offset = 512
    last = 512
    for number, event in enumerate(events, start=1):
        body = _event_xml(offset + 24, event)
        size = 24 + len(body) + 4
        stamp = datetime.fromisoformat(event["time"].replace("Z", "+00:00"))
        filetime = int((stamp - FILETIME_EPOCH).total_seconds() * 10_000_000)
        record = struct.pack("<4sIQQ", b"\x2a\x2a\x00\x00", size, number, filetime) + body + struct.pack("<I", size)
        chunk[offset:offset + size] = record
        last = offset
        offset += size
    count = len(events)
    struct.pack_into("<8sQQQQIII", chunk, 0, b"ElfChnk\x00", 1, count, 1, count, 128, last, offset)
    struct.pack_into("<I", chunk, 52, zlib.crc32(bytes(chunk[512:offset])))
    struct.pack_into("<I", chunk, 124, zlib.crc32(bytes(chunk[:120]) + bytes(chunk[128:512])))
    header = bytearray(4096)
    struct.pack_into("<8sQQQIHHHH", header, 0, b"ElfFile\x00", 0, 0, count + 1, 128, 1, 3, 4096, 1)
    struct.pack_into("<I", header, 124, zlib.crc32(bytes(header[:120])))
    with open(path, "wb") as stream:
        stream.write(bytes(header) + bytes(chunk))

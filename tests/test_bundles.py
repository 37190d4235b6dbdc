"""Zip bundles: read in place like the folder they were made from, and safe against hostile archives."""
from __future__ import annotations

import io
import struct
import zipfile
from pathlib import Path

import pytest

from conftest import EXAMPLES, diagnose_json
from httperr_doctor.engine.evidence import ReadFile, read
from httperr_doctor.engine.evidence.bundle import Limits, iter_bundle

BUNDLES = sorted(p for p in EXAMPLES.iterdir() if p.is_dir())
HTTPERR = EXAMPLES / "connections-refused" / "HTTPERR" / "httperr3.log"


def zip_folder(folder: Path, target: Path, prefix: str = "") -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, prefix + path.relative_to(folder).as_posix())
    return target


def comparable(report: dict) -> dict:
    """What must not depend on whether the evidence was zipped: causes, facts, per-file counts."""
    def rel(path: str) -> str:
        return path.split("!", 1)[1].split("/", 1)[1] if "!" in path else path.split("/examples/", 1)[1].split("/", 1)[1]
    return {
        "causes": [(c["id"], c["confidence"]) for c in report["causes"]],
        "ruled_out": [r["id"] for r in report["ruled_out"]],
        "facts": [s["facts"] for s in report["servers"]],
        "hosts": [s["host"] for s in report["servers"]],
        "inputs": sorted((rel(i["path"]), i["kind"], i["records"], i["skipped"]) for i in report["inputs"]),
    }


@pytest.mark.parametrize("folder", BUNDLES, ids=[p.name for p in BUNDLES])
def test_zip_of_a_bundle_diagnoses_like_the_folder(folder, tmp_path):
    zipped = zip_folder(folder, tmp_path / f"{folder.name}.zip", prefix=f"{folder.name}/")
    from_folder, from_zip = diagnose_json(folder), diagnose_json(zipped)
    assert comparable(from_zip) == comparable(from_folder)
    assert all(i["path"].startswith(f"{zipped}!{folder.name}/") for i in from_zip["inputs"])
    assert from_zip["causes"], "the zipped bundle gave no diagnosis"


def test_zip_inside_a_folder_and_a_zip_inside_the_zip_are_read(tmp_path):
    folder = EXAMPLES / "connections-refused"
    inner = zip_folder(folder / "HTTPERR", tmp_path / "HTTPERR.zip")
    outer = tmp_path / "case" / "evidence.zip"
    outer.parent.mkdir()
    with zipfile.ZipFile(outer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.iterdir()):
            if path.is_file():
                archive.write(path, path.name)
        archive.write(inner, "HTTPERR.zip")
    report = diagnose_json(outer.parent)
    paths = {i["path"]: i for i in report["inputs"]}
    nested = f"{outer}!HTTPERR.zip!httperr3.log"
    assert paths[nested]["kind"] == "httperr" and paths[nested]["records"] == 500
    assert report["causes"][0]["id"] == "nonpaged-pool-exhausted"
    assert report["servers"][0]["facts"]["httperr.reason.Connections_Refused.lines"] == 364


def test_zip_three_deep_is_not_opened(tmp_path):
    innermost = io.BytesIO()
    with zipfile.ZipFile(innermost, "w") as archive:
        archive.write(HTTPERR, "httperr3.log")
    middle = io.BytesIO()
    with zipfile.ZipFile(middle, "w") as archive:
        archive.writestr("deeper.zip", innermost.getvalue())
    outer = tmp_path / "outer.zip"
    with zipfile.ZipFile(outer, "w") as archive:
        archive.writestr("middle.zip", middle.getvalue())
        archive.write(HTTPERR, "httperr3.log")
    items = [i if isinstance(i, ReadFile) else read(i) for i in iter_bundle(outer)]
    by_path = {i.path: i for i in items}
    deep = by_path[f"{outer}!middle.zip!deeper.zip"]
    assert deep.kind == "refused" and "nesting limit" in deep.error
    assert by_path[f"{outer}!httperr3.log"].kind == "httperr"


def hostile_zip(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name in ("../../../tmp/evil.log", "/etc/cron.d/evil.log", "C:/Windows/evil.log", "..\\..\\evil.log",
                     "logs/../../evil.log"):
            archive.writestr(zipfile.ZipInfo(name), HTTPERR.read_bytes())
        link = zipfile.ZipInfo("HTTPERR/link.log")
        link.create_system = 3
        link.external_attr = 0o120777 << 16
        archive.writestr(link, "/etc/shadow")
        archive.write(HTTPERR, "HTTPERR/httperr3.log")
    return path


def test_traversal_absolute_and_link_members_are_refused_and_nothing_is_written(tmp_path):
    zipped = hostile_zip(tmp_path / "evil.zip")
    before = sorted(p for p in tmp_path.rglob("*"))
    report = diagnose_json(zipped)
    assert sorted(p for p in tmp_path.rglob("*")) == before
    refused = {i["path"].split("!", 1)[1]: i["problems"][0]["message"] for i in report["inputs"] if i["kind"] == "refused"}
    assert refused == {
        "../../../tmp/evil.log": "unsafe member path: the path climbs out of the bundle (..); not read",
        "/etc/cron.d/evil.log": "unsafe member path: the path is absolute (/etc/cron.d/evil.log); not read",
        "C:/Windows/evil.log": "unsafe member path: the path is absolute (C:/Windows/evil.log); not read",
        "../../evil.log": "unsafe member path: the path climbs out of the bundle (..); not read",
        "logs/../../evil.log": "unsafe member path: the path climbs out of the bundle (..); not read",
        "HTTPERR/link.log": "symbolic link inside the zip; links are never followed",
    }
    good = [i for i in report["inputs"] if i["kind"] == "httperr"]
    assert [i["path"] for i in good] == [f"{zipped}!HTTPERR/httperr3.log"]
    assert report["servers"][0]["facts"]["httperr.reason.Connections_Refused.lines"] == 364


def test_zip_bomb_by_ratio_is_refused_naming_zip_and_member(tmp_path):
    zipped = tmp_path / "bomb.zip"
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("HTTPERR/httperr1.log", b"\0" * (40 * 1024**2))
        archive.write(HTTPERR, "HTTPERR/httperr3.log")
    report = diagnose_json(zipped)
    bomb = next(i for i in report["inputs"] if i["path"] == f"{zipped}!HTTPERR/httperr1.log")
    assert bomb["kind"] == "refused"
    message = bomb["problems"][0]["message"]
    assert "looks like a decompression bomb" in message and "40.0 MB" in message and "500:1 limit" in message
    assert report["servers"][0]["facts"]["httperr.reason.Connections_Refused.lines"] == 364


def _patch_central_directory(data: bytes, member: str, **fields) -> bytes:
    """Rewrite fields of one member's central-directory entry (what a hand-made bomb lies about)."""
    at = data.index(b"PK\x01\x02")
    buffer = bytearray(data)
    while at != -1:
        name_len = struct.unpack_from("<H", buffer, at + 28)[0]
        if bytes(buffer[at + 46: at + 46 + name_len]).decode() == member:
            if "flags" in fields:
                struct.pack_into("<H", buffer, at + 8, fields["flags"])
            if "file_size" in fields:
                struct.pack_into("<I", buffer, at + 24, fields["file_size"])
        at = bytes(buffer).find(b"PK\x01\x02", at + 4)
    return bytes(buffer)


def test_declared_huge_member_is_refused_before_any_decompression(tmp_path):
    plain = io.BytesIO()
    with zipfile.ZipFile(plain, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("dump/huge.log", b"x" * 1000)
        archive.write(HTTPERR, "httperr3.log")
    zipped = tmp_path / "liar.zip"
    zipped.write_bytes(_patch_central_directory(plain.getvalue(), "dump/huge.log", file_size=0xF0000000))
    items = {i.path: i for i in (x if isinstance(x, ReadFile) else read(x) for x in iter_bundle(zipped))}
    huge = items[f"{zipped}!dump/huge.log"]
    assert huge.kind == "refused" and "expands to 3.8 GB, over the 2.0 GB limit for one member" in huge.error
    assert items[f"{zipped}!httperr3.log"].kind == "httperr"


def test_total_size_limit_refuses_the_members_beyond_it(tmp_path):
    zipped = tmp_path / "many.zip"
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as archive:
        for n in range(4):
            archive.write(HTTPERR, f"HTTPERR/httperr{n}.log")
    size = HTTPERR.stat().st_size
    items = list(iter_bundle(zipped, limits=Limits(total_bytes=int(2.5 * size))))
    assert [isinstance(i, ReadFile) for i in items] == [False, False, True, True]
    assert "members add up to more than" in items[2].error and items[2].path.endswith("!HTTPERR/httperr2.log")


def test_member_count_limit_names_how_many_were_not_read(tmp_path):
    zipped = tmp_path / "spray.zip"
    with zipfile.ZipFile(zipped, "w") as archive:
        for n in range(30):
            archive.writestr(f"f{n:02d}.txt", "x")
    items = list(iter_bundle(zipped, limits=Limits(members=10)))
    assert len(items) == 11 and items[-1].path == str(zipped)
    assert items[-1].error.startswith("20 more members not read")


def test_encrypted_damaged_and_fake_zips_are_reported(tmp_path):
    plain = io.BytesIO()
    with zipfile.ZipFile(plain, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("secret.log", HTTPERR.read_bytes())
        archive.write(HTTPERR, "httperr3.log")
    locked = tmp_path / "locked.zip"
    locked.write_bytes(_patch_central_directory(plain.getvalue(), "secret.log", flags=0x1))
    damaged = bytearray(plain.getvalue())
    tail_of_secret = damaged.index(b"secret.log") + 10 + 30000  # inside the stored data, past the sniffed head
    damaged[tail_of_secret] ^= 0xFF
    (tmp_path / "damaged.zip").write_bytes(bytes(damaged))
    (tmp_path / "fake.zip").write_text("this is not a zip\n")
    report = diagnose_json(tmp_path)
    found = {i["path"].split(str(tmp_path) + "/", 1)[1]: i for i in report["inputs"]}
    assert "encrypted member" in found["locked.zip!secret.log"]["problems"][0]["message"]
    assert found["locked.zip!httperr3.log"]["records"] == 500
    crc = found["damaged.zip!secret.log"]
    assert crc["kind"] == "httperr" and 0 < crc["records"]
    assert any("reading stopped here" in p["message"] and "CRC" in p["message"] for p in crc["problems"])
    assert found["fake.zip"]["kind"] == "unreadable"
    assert found["fake.zip"]["problems"][0]["message"].startswith("not a readable zip file")


def test_member_stream_supports_utf16_without_seeking(tmp_path):
    zipped = tmp_path / "utf16.zip"
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("httperr3.log", b"\xff\xfe" + HTTPERR.read_text(encoding="utf-8").encode("utf-16-le"))
    item = read(next(iter_bundle(zipped)))
    assert item.kind == "httperr" and item.encoding == "utf-16-le" and item.result.stats.records == 500

"""WARC files: records read back against their digests, and the tail a killed writer leaves."""

from __future__ import annotations

import asyncio
import dataclasses
import gzip
import shutil
import subprocess
import sys
import threading
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import unquote_to_bytes

import pytest

from crawler.warc import OPEN_SUFFIX, RecordPointer, WarcError, WarcWriter, in_warc_thread, read_record, repair_open_files
from tests.conftest import run_vnarchive

FETCHED = datetime(2026, 11, 23, 3, 0, tzinfo=timezone.utc)
BODY = "<html><body><h1>Hội nghị dân vận</h1>".encode() + b"x" * 5000


def write(directory: Path, name: str, count: int = 3) -> tuple[WarcWriter, list[RecordPointer]]:
    writer = WarcWriter(directory, name)
    pointers = [
        writer.write_response(url=f"https://hanam.gov.vn/Pages/a{i}.aspx", status=200,
                              headers=[("Content-Type", "text/html; charset=utf-8"), ("Content-Encoding", "gzip")],
                              body=BODY + str(i).encode(), fetched_at=FETCHED, request_headers=[("Host", "hanam.gov.vn")])
        for i in range(count)
    ]
    return writer, pointers


def warcio_check(*files: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(Path(sys.executable).parent / "warcio"), "check", *map(str, files)],
                          capture_output=True, text=True)


def test_a_record_reads_back_as_it_was_fetched(tmp_path):
    writer, pointers = write(tmp_path, "run.warc.gz")
    stored = read_record(tmp_path, pointers[1])  # while the run writes: from the .open file
    writer.close()
    assert stored == read_record(tmp_path, pointers[1])
    assert (stored.url, stored.status, stored.body) == ("https://hanam.gov.vn/Pages/a1.aspx", 200, BODY + b"1")
    # The body is stored decoded: the encoding header is kept under another name, not applied again.
    assert stored.headers["Content-Type"] == "text/html; charset=utf-8" and "Content-Encoding" not in stored.headers
    assert stored.date == "2026-11-23T03:00:00.000000Z"
    assert pointers[1].digest.startswith("sha1:")
    assert warcio_check(tmp_path / "run.warc.gz").returncode == 0


def test_a_response_with_a_header_name_outside_ascii_is_kept(tmp_path):
    writer = WarcWriter(tmp_path, "run.warc.gz")
    raw_name = "X-Tên".encode().decode("latin-1")  # as Scrapy's header bytes reach the middleware
    pointer = writer.write_response(url="https://hanam.gov.vn/a.aspx", status=200, body=BODY, fetched_at=FETCHED,
                                    headers=[(raw_name, "1"), ("Content-Type", "text/html")])
    writer.close()
    stored = read_record(tmp_path, pointer)
    assert stored.body == BODY and stored.headers["X-T%C3%AAn"] == "1"
    assert warcio_check(tmp_path / "run.warc.gz").returncode == 0


def test_header_values_outside_ascii_keep_the_bytes_the_server_sent(tmp_path):
    writer = WarcWriter(tmp_path, "run.warc.gz")
    as_received = [  # Scrapy's header bytes, read as Latin-1 on their way to the middleware
        ("Content-Disposition", 'attachment; filename="Kế hoạch 100%.pdf"'.encode().decode("latin-1")),
        ("X-Legacy", b"Ph\xf2ng".decode("latin-1")),  # not UTF-8 at all
        ("Content-Type", "text/html"),
    ]
    pointer = writer.write_response(url="https://hanam.gov.vn/a.aspx", status=200, body=BODY, fetched_at=FETCHED,
                                    headers=as_received, request_headers=[("Cookie", "ten=Hà".encode().decode("latin-1"))])
    writer.close()
    stored = read_record(tmp_path, pointer)
    assert stored.headers["Content-Disposition"] == 'attachment; filename="K%E1%BA%BF ho%E1%BA%A1ch 100%25.pdf"'
    assert unquote_to_bytes(stored.headers["Content-Disposition"]).decode() == 'attachment; filename="Kế hoạch 100%.pdf"'
    assert stored.headers["X-Legacy"] == "Ph%F2ng"
    assert b"Cookie: ten=H%C3%A0" in gzip.open(tmp_path / "run.warc.gz").read()
    assert warcio_check(tmp_path / "run.warc.gz").returncode == 0


def test_records_written_from_the_warc_thread_and_another_at_once_all_read_back(tmp_path):
    """The crawl writes from the WARC thread while a backfill writes from the reactor: one
    exchange's two records stay together and every pointer finds its own record."""
    writer = WarcWriter(tmp_path, "run.warc.gz")

    def exchange(i: int) -> RecordPointer:
        return writer.write_response(url=f"https://hanam.gov.vn/Pages/a{i}.aspx", status=200, headers=[],
                                     body=BODY + str(i).encode(), fetched_at=FETCHED)

    async def from_the_warc_thread() -> list[RecordPointer]:
        return [await in_warc_thread(exchange, i) for i in range(0, 200, 2)]

    direct = []
    other = threading.Thread(target=lambda: direct.extend(exchange(i) for i in range(1, 200, 2)))
    other.start()
    threaded = asyncio.run(from_the_warc_thread())
    other.join()
    writer.close()
    for i, pointer in [*zip(range(0, 200, 2), threaded), *zip(range(1, 200, 2), direct)]:
        assert read_record(tmp_path, pointer).body == BODY + str(i).encode()
    assert warcio_check(tmp_path / "run.warc.gz").returncode == 0


def test_a_record_that_does_not_match_its_digest_is_refused(tmp_path):
    writer, pointers = write(tmp_path, "run.warc.gz")
    writer.close()
    wrong = RecordPointer(pointers[1].file, pointers[1].offset, pointers[1].length, pointers[0].digest)
    with pytest.raises(WarcError, match="does not match"):
        read_record(tmp_path, wrong)
    with pytest.raises(WarcError, match="missing"):
        read_record(tmp_path, RecordPointer("gone.warc.gz", 0, 10, pointers[0].digest))


def test_a_pointer_is_followed_only_to_a_regular_file_inside_the_warc_folder(tmp_path):
    warc, elsewhere = tmp_path / "warc", tmp_path / "elsewhere"
    writer, pointers = write(elsewhere, "run.warc.gz")  # a whole, valid file: only its place is wrong
    writer.close()
    warc.mkdir()
    (warc / "link.warc.gz").symlink_to(elsewhere / "run.warc.gz")
    (warc / "folder.warc.gz").mkdir()
    outside = [str(elsewhere / "run.warc.gz"), "../elsewhere/run.warc.gz", "link.warc.gz"]
    for name in outside:
        with pytest.raises(WarcError, match="outside the WARC folder") as refused:
            read_record(warc, dataclasses.replace(pointers[0], file=name))
        assert refused.value.reason == "outside the WARC folder"
    with pytest.raises(WarcError, match="not a regular file"):
        read_record(warc, dataclasses.replace(pointers[0], file="folder.warc.gz"))
    shutil.copy(elsewhere / "run.warc.gz", warc / "run.warc.gz")
    assert read_record(warc, pointers[0]).body == BODY + b"0"  # the same pointer, inside


def test_a_byte_range_outside_the_file_is_refused_before_anything_is_read(tmp_path):
    writer, pointers = write(tmp_path, "run.warc.gz")
    writer.close()
    size = (tmp_path / "run.warc.gz").stat().st_size
    last = pointers[-1]
    ranges = {(last.offset, size): "past the end of its file",  # the record and more: read whole before
              (size, 1): "past the end of its file", (-1, last.length): "not a byte range",
              (last.offset, -5): "not a byte range", (last.offset, 0): "not a byte range",
              (0, 2**40): "longer than any record"}
    for (offset, length), reason in ranges.items():
        with pytest.raises(WarcError) as refused:
            read_record(tmp_path, dataclasses.replace(last, offset=offset, length=length))
        assert refused.value.reason == reason, (offset, length)


def test_a_killed_writers_partial_tail_is_set_aside(tmp_path):
    writer, pointers = write(tmp_path, "run.warc.gz")
    writer.close()
    whole = (tmp_path / "run.warc.gz").read_bytes()
    # What kill -9 leaves: whole records, then half of the next one, under the .open name.
    (tmp_path / "dead.warc.gz.open").write_bytes(whole + whole[pointers[0].offset:pointers[0].offset + 300])
    tails = repair_open_files(tmp_path)
    assert [tail.name for tail in tails] == ["dead.warc.gz.tail"]
    assert tails[0].stat().st_size == 300
    assert (tmp_path / "dead.warc.gz").read_bytes() == whole
    assert not list(tmp_path.glob(f"*{OPEN_SUFFIX}"))
    assert warcio_check(tmp_path / "dead.warc.gz").returncode == 0
    assert read_record(tmp_path, dataclasses.replace(pointers[2], file="dead.warc.gz")).body == BODY + b"2"


def test_the_file_of_a_live_writer_is_left_alone(tmp_path):
    writer, _ = write(tmp_path, "live.warc.gz")
    assert repair_open_files(tmp_path) == []
    assert (tmp_path / ("live.warc.gz" + OPEN_SUFFIX)).exists()
    writer.close()
    assert (tmp_path / "live.warc.gz").exists()


def test_the_next_crawl_repairs_what_a_killed_run_left(tmp_path, replica):
    writer, pointers = write(tmp_path / "warc", "run.warc.gz")
    writer.close()
    whole = (tmp_path / "warc" / "run.warc.gz").read_bytes()
    (tmp_path / "warc" / "dead.warc.gz.open").write_bytes(whole + b"\x1f\x8b\x08\x00partial")
    result = run_vnarchive("crawl", "--db", str(tmp_path / "archive.db"), "--replica", replica.base_url, "--portal", "hue")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "set aside in" in result.stderr and "dead.warc.gz.tail" in result.stderr
    files = sorted((tmp_path / "warc").glob("*.warc.gz"))
    assert len(files) == 3 and warcio_check(*files).returncode == 0

"""Raw captures: every response of a run as a WARC record, the way Heritrix keeps them.

One WARC file per run under `warc/` beside the archive. Each record is its own gzip member,
handed to the operating system before `write_response` returns, so a killed process leaves
every earlier record whole and at most one partial member at the end. While a run writes,
its file is named `*.warc.gz.open` and held under an flock; a clean finish renames it. The
next run repairs any `.open` file nobody holds: the partial tail is moved to a `.tail` file
beside it and the rest is renamed, so `warcio check` passes on every file.

An article row points at its record by (file, offset, length) and the record's
WARC-Payload-Digest; `read_record` returns the bytes only when they match that digest.
"""

from __future__ import annotations

import base64
import fcntl
import functools
import hashlib
import io
import logging
import os
import stat
import threading
import zlib
from dataclasses import dataclass
from datetime import datetime, timezone
from http import HTTPStatus
from pathlib import Path
from typing import Any, Callable, TypeVar
from urllib.parse import quote, urlsplit

from isal import isal_zlib
from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from crawler import __version__
from crawler.settings import DOWNLOAD_MAXSIZE
from crawler.threads import OwnThread

logger = logging.getLogger(__name__)
T = TypeVar("T")

WARC_SUFFIX = ".warc.gz"
OPEN_SUFFIX = ".open"
TAIL_SUFFIX = ".tail"
# Scrapy hands over bodies already decoded and de-chunked: headers that would make a WARC
# reader decode them again are kept under another name.
DECODED_HEADERS = {"content-encoding", "transfer-encoding", "content-length"}
ORIGINAL_HEADER_PREFIX = "X-Archive-Orig-"
# Members are written by ISA-L (isal), not zlib: the same gzip format, read back by any gzip or
# WARC reader. On the portals' pages (60 KB of HTML) its level 2 took 0.15 ms a page where
# zlib's level 3 took 0.6-0.8 ms, for files as large (23% of the raw bytes against 22%); the crawl
# shares two cores with extraction. (zlib's 6 gives 20% at eight times the time of ISA-L's 2.)
GZIP_LEVEL = 2
# The longest record read_record reads: a response's body is at most DOWNLOAD_MAXSIZE, and its gzip
# member, at worst a little larger than the body, carries some kilobytes of headers besides.
MAX_RECORD_LENGTH = DOWNLOAD_MAXSIZE + 1024 * 1024


class WarcError(Exception):
    """A record that is missing, unreadable, or does not match its digest; `reason` says which in a
    few words (`vnarchive reextract` counts the rows it could not re-read by reason)."""

    def __init__(self, message: str, reason: str = "unreadable record"):
        super().__init__(message)
        self.reason = reason


class RefusedPointer(WarcError):
    """A pointer read_record does not follow: a file outside the WARC folder or not a regular file,
    or a byte range that is not inside the file."""

    def __init__(self, reason: str, where: str):
        super().__init__(f"{where}: {reason}", reason)


@dataclass(frozen=True)
class RecordPointer:
    """Where a response record lives: a file name under warc/, its gzip member, its payload digest."""

    file: str
    offset: int
    length: int
    digest: str


@dataclass(frozen=True)
class StoredResponse:
    """A response record read back: what the crawler saw."""

    url: str
    status: int
    headers: dict[str, str]
    body: bytes
    date: str  # WARC-Date


def warc_dir(archive_path: str | Path) -> Path:
    """The WARC folder of an archive: `warc/` beside archive.db."""
    return Path(archive_path).resolve().parent / "warc"


def run_file_name(started: datetime, run_id: int | None = None) -> str:
    """`vnarchive-run000012-20261123T030000Z-4711.warc.gz`: sorted by run, unique per process."""
    stamp = started.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    run = f"-run{run_id:06d}" if run_id is not None else ""
    return f"vnarchive{run}-{stamp}-{os.getpid()}{WARC_SUFFIX}"


@functools.cache
def _process_file_name() -> str:
    return run_file_name(datetime.now(timezone.utc))


def run_location(settings) -> tuple[Path, str]:
    """The folder and file name of this run's WARC: WARC_DIR (default warc/ beside ARCHIVE_PATH)
    and WARC_FILE (set by `vnarchive crawl`; a bare `scrapy crawl` gets one per process)."""
    directory = settings.get("WARC_DIR") or warc_dir(settings.get("ARCHIVE_PATH"))
    return Path(directory), settings.get("WARC_FILE") or _process_file_name()


def payload_digest(body: bytes) -> str:
    """WARC-Payload-Digest as warcio writes it: sha1, base32."""
    return "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")


class WarcWriter:
    """Appends request and response records to one run's file (`NAME.warc.gz.open` until closed)."""

    def __init__(self, directory: str | Path, name: str):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.name = name
        self.open_path = self.directory / (name + OPEN_SUFFIX)
        self._file = open(self.open_path, "ab")
        # Held until close: the repair of a later run leaves a file alone while its writer lives.
        fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        # Records are serialized uncompressed into a buffer and gzipped here, one member each, at
        # GZIP_LEVEL (warcio's own wrapper uses zlib at 9).
        self._buffer = io.BytesIO()
        self._writer = WARCWriter(self._buffer, gzip=False, warc_version="1.1")
        # A response and its request are written together, whichever thread writes (in_warc_thread).
        self._lock = threading.Lock()
        if self._file.tell() == 0:
            self._write(self._writer.create_warcinfo_record(name, {
                "software": f"vnarchive/{__version__}", "format": "WARC File Format 1.1",
                "robots": "obey",
            }))

    def write_response(self, *, url: str, status: int, headers: list[tuple[str, str]], body: bytes,
                       fetched_at: datetime, request_method: str = "GET",
                       request_headers: list[tuple[str, str]] = (), request_body: bytes = b"") -> RecordPointer:
        """The response (and the request that got it); returns where the response record is."""
        with self._lock:
            return self._write_exchange(url, status, headers, body, fetched_at, request_method, request_headers, request_body)

    def _write_exchange(self, url, status, headers, body, fetched_at, request_method, request_headers,
                        request_body) -> RecordPointer:
        date = _warc_date(fetched_at)
        response = self._writer.create_warc_record(
            url, "response", payload=io.BytesIO(body), length=len(body),
            http_headers=StatusAndHeaders(_status_line(status), _archived_headers(headers, len(body)), protocol="HTTP/1.1"),
            warc_headers_dict={"WARC-Date": date},
        )
        offset, length = self._write(response)
        request = self._writer.create_warc_record(
            url, "request", payload=io.BytesIO(request_body), length=len(request_body),
            http_headers=StatusAndHeaders(f"{request_method} {_request_target(url)} HTTP/1.1",
                                          [(_ascii_name(name), _ascii_value(value)) for name, value in request_headers],
                                          is_http_request=True),
            warc_headers_dict={"WARC-Date": date,
                               "WARC-Concurrent-To": response.rec_headers.get_header("WARC-Record-ID")},
        )
        self._write(request)
        return RecordPointer(self.name, offset, length, response.rec_headers.get_header("WARC-Payload-Digest"))

    def _write(self, record) -> tuple[int, int]:
        self._buffer.seek(0)
        self._buffer.truncate()
        self._writer.write_record(record)
        compressor = isal_zlib.compressobj(GZIP_LEVEL, isal_zlib.DEFLATED, isal_zlib.MAX_WBITS + 16)
        member = compressor.compress(self._buffer.getbuffer()) + compressor.flush()
        offset = self._file.tell()
        self._file.write(member)
        self._file.flush()  # into the OS: a kill -9 after this loses nothing
        return offset, len(member)

    def sync(self) -> None:
        """To the disk, before the archive commits rows that point here (survives a power cut)."""
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self) -> None:
        """Seal the file: fsync, then rename it without `.open`."""
        if self._file.closed:
            return
        self.sync()
        os.replace(self.open_path, self.directory / self.name)
        self._file.close()


def read_record(directory: str | Path, pointer: RecordPointer) -> StoredResponse:
    """The response record at `pointer`, checked against its payload digest. Only a regular file
    inside `directory` is read (its path resolved: no `..`, absolute path or symlink leads out), and
    only a byte range inside it: a row's pointer may come from anywhere (`vnarchive ingest`)."""
    member = _member_bytes(Path(directory), pointer)
    try:
        record = next(iter(ArchiveIterator(io.BytesIO(member))))
        body = record.content_stream().read()
    except (ArchiveLoadFailed, StopIteration, EOFError, zlib.error, ValueError) as error:
        raise WarcError(f"{pointer.file}@{pointer.offset}: unreadable record ({error})") from error
    if record.rec_headers.get_header("WARC-Payload-Digest") != pointer.digest or payload_digest(body) != pointer.digest:
        raise WarcError(f"{pointer.file}@{pointer.offset}: payload does not match digest {pointer.digest}")
    return StoredResponse(
        url=record.rec_headers.get_header("WARC-Target-URI"),
        status=int(record.http_headers.get_statuscode()),
        headers=_restored_headers(record.http_headers.headers),
        body=body, date=record.rec_headers.get_header("WARC-Date"),
    )


def repair_open_files(directory: str | Path) -> list[Path]:
    """Seal the `.open` files of runs that died: whole records kept, a partial tail set aside.
    Returns the tails set aside (empty when every dead file ended on a whole record)."""
    tails = []
    for open_path in sorted(Path(directory).glob(f"*{WARC_SUFFIX}{OPEN_SUFFIX}")):
        with open(open_path, "r+b") as file:
            try:
                fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # its writer is alive
            whole = whole_records_end(open_path)
            size = file.seek(0, os.SEEK_END)
            if whole < size:
                tail = open_path.with_name(open_path.name.removesuffix(OPEN_SUFFIX) + TAIL_SUFFIX)
                file.seek(whole)
                tail.write_bytes(file.read())
                file.truncate(whole)
                os.fsync(file.fileno())
                logger.warning("%s: set aside a truncated tail of %d bytes in %s", open_path.name, size - whole, tail.name)
                tails.append(tail)
            os.replace(open_path, open_path.with_name(open_path.name.removesuffix(OPEN_SUFFIX)))
    return tails


def whole_records_end(path: Path) -> int:
    """The offset just past the last record that reads whole and matches its digests."""
    end = 0
    with open(path, "rb") as stream:
        iterator = ArchiveIterator(stream, check_digests=True)
        try:
            for record in iterator:
                record.content_stream().read()
                if record.digest_checker.passed is False:
                    break
                end = iterator.get_record_offset() + iterator.get_record_length()
        except (ArchiveLoadFailed, EOFError, zlib.error, ValueError, OSError):
            pass
    return end


def _member_bytes(directory: Path, pointer: RecordPointer) -> bytes:
    """The bytes `pointer` names, read as read_record says (RefusedPointer when it may not be read)."""
    where = f"{pointer.file}@{pointer.offset}+{pointer.length}"
    offset, length = pointer.offset, pointer.length
    if not isinstance(offset, int) or not isinstance(length, int) or offset < 0 or length <= 0:
        raise RefusedPointer("not a byte range", where)
    if length > MAX_RECORD_LENGTH:
        raise RefusedPointer("longer than any record", f"{where} (MAX_RECORD_LENGTH {MAX_RECORD_LENGTH})")
    root = directory.resolve()
    if not (directory / pointer.file).resolve().is_relative_to(root):
        raise RefusedPointer("outside the WARC folder", where)
    path = _existing(directory / pointer.file).resolve()  # the `.open` twin is resolved too
    if not path.is_relative_to(root):
        raise RefusedPointer("outside the WARC folder", where)
    try:
        # The resolved path, not followed again (a symlink put there since is refused), and without
        # blocking on a FIFO; then what was opened is checked, not the name.
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as error:
        raise RefusedPointer("not readable", f"{where} ({error.strerror})") from error
    try:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):
            raise RefusedPointer("not a regular file", where)
        if offset + length > status.st_size:
            raise RefusedPointer("past the end of its file", f"{where} (the file holds {status.st_size} bytes)")
        return os.pread(descriptor, length, offset)
    finally:
        os.close(descriptor)


def _existing(path: Path) -> Path:
    """The sealed file, or the `.open` one while its run still writes it."""
    if path.exists():
        return path
    open_path = path.with_name(path.name + OPEN_SUFFIX)
    if open_path.exists():
        return open_path
    raise WarcError(f"{path} is missing", "file missing")


def _status_line(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} Unknown"


def _archived_headers(headers: list[tuple[str, str]], body_length: int) -> list[tuple[str, str]]:
    kept = [(ORIGINAL_HEADER_PREFIX + name if name.lower() in DECODED_HEADERS else _ascii_name(name), _ascii_value(value))
            for name, value in headers]
    return kept + [("Content-Length", str(body_length))]


def _ascii_name(name: str) -> str:
    """A header name as a WARC can hold it. Names are ASCII tokens, but a broken server may send
    any bytes (read here as Latin-1); warcio percent-encodes values only and refuses the record,
    so those bytes are percent-encoded here (`X-T%C3%AAn`) and the response is kept."""
    return name if name.isascii() else quote(name.encode("latin-1", errors="replace"), safe="")


# Printable ASCII but `%`, which is encoded so that the value's bytes can be told apart again.
VALUE_SAFE = "".join(chr(code) for code in range(0x20, 0x7F) if chr(code) != "%") + "\t"


def _ascii_value(value: str) -> str:
    """A header value as it came, its bytes outside ASCII percent-encoded (`filename="K%E1%BA%BF
    ho%E1%BA%A1ch.pdf"`). warcio would encode the Latin-1 text it is given as UTF-8, a second
    time (`K%C3%A1%C2%BA%C2%BF`), and no longer the bytes the portal sent."""
    return value if value.isascii() else quote(value.encode("latin-1", errors="replace"), safe=VALUE_SAFE)


def _restored_headers(headers: list[tuple[str, str]]) -> dict[str, str]:
    return {name: value for name, value in headers if not name.startswith(ORIGINAL_HEADER_PREFIX)}


def _request_target(url: str) -> str:
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def _warc_date(when: datetime) -> str:
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# One thread writes a crawl's records (WarcCaptureMiddleware): zlib and SHA-1 run there without
# the GIL, beside the reactor, which they took an eighth of; one thread keeps the file in order.
_RECORD_THREAD = OwnThread("warc-writer")


async def in_warc_thread(function: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """`function(*args, **kwargs)` in the process's WARC thread, awaited from the reactor."""
    return await _RECORD_THREAD.run(function, *args, **kwargs)


# One run's crawlers (one per portal, in one process) share one file.
_shared: dict[Path, list] = {}


def acquire_writer(directory: str | Path, name: str) -> WarcWriter:
    """The run's writer, opened by its first user."""
    path = Path(directory).resolve() / name
    if path not in _shared:
        _shared[path] = [WarcWriter(directory, name), 0]
    _shared[path][1] += 1
    return _shared[path][0]


def sync_writer(directory: str | Path, name: str) -> None:
    """fsync the run's file if it is open (before rows pointing into it are committed)."""
    entry = _shared.get(Path(directory).resolve() / name)
    if entry is not None:
        entry[0].sync()


def release_writer(writer: WarcWriter) -> None:
    """Seal the file when its last user is done."""
    path = writer.directory.resolve() / writer.name
    entry = _shared.get(path)
    if entry is None:
        return
    entry[1] -= 1
    if entry[1] <= 0:
        del _shared[path]
        writer.close()

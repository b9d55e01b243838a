"""Extraction off the reactor thread: worker processes shared by a run's crawlers.

Scrapy runs one reactor thread; extraction (lxml, trafilatura, dates) is CPU-bound and would
hold it, so that fetching waits on parsing and one core does all the work. Captures go to
EXTRACT_WORKERS processes (default: one per core) and the reactor awaits the result.

Each worker is a child process that reads pickled captures from its stdin and writes pickled
records to its stdout. The reactor's own event loop writes and reads those pipes: no thread in
the crawl process feeds or reads them. (concurrent.futures' process pool ran two threads that
pickled, unpickled and handed results over, taking the GIL and a core from the reactor, which
every page passes through; without them a full bench crawl on two cores ran 4% faster and its
peak memory was 70 MB lower. Two threads per worker blocking on its pipes did no better.)
The loop gets round to the pipes once per pass over its ready callbacks, and with thousands of
responses in flight a pass takes 0.2-0.7 s, longer than the pages a worker holds keep it busy:
so every page handed to the pool also serves the workers' pipes. A dead worker costs the page
it was on, where that pool failed every page it held. Workers are started as new interpreters,
not forked: forking a process that runs a reactor and threads copies their locks in whatever
state they are.
A worker leaves when its stdin closes: at the end of the run, or when the crawl is killed, even
with kill -9.
"""

from __future__ import annotations

import asyncio
import atexit
import collections
import fcntl
import os
import pickle
import signal
import struct
import subprocess
import sys
import threading
import time
import traceback
from pathlib import Path

from crawler.dates import load_fallback_parser
from crawler.extract import extract_capture
from crawler.items import ArticleRecord, PageCapture
from crawler.registry import load_registry, load_topics

# A message on a pipe: its length, then the pickle.
FRAME_HEADER = struct.Struct("!I")
# Pages handed to a worker before it answers the first: ~50 ms of its work, so that it does not
# wait between two pages while the crawl hands pages in every few milliseconds. The rest wait in
# the pool, where a worker that dies cannot take them along.
PAGES_AHEAD = 8
# Those pages fit in a worker's stdin, and as many answers in its stdout, without either side
# waiting for room (Linux's default is 64 KiB, one portal page); F_SETPIPE_SZ, best effort
# (pipe-max-size may be lower).
PIPE_BYTES = 1 << 20
F_SETPIPE_SZ = 1031
READ_BYTES = 1 << 18
# How often a worker looks whether its crawl is still there (for a page that never ends; a worker
# waiting for a page learns it at once, from its stdin's end).
PARENT_CHECK_SECONDS = 2.0

_pool: ExtractionPool | None = None


POOL_CLOSED = "the extraction pool was closed"


class WorkerDied(Exception):
    """The worker extracting a page died (a page that crashed lxml, or a kill): that page is lost."""


class RemoteTraceback(Exception):
    """Where in the worker an extraction failed, chained to the error the crawl sees."""

    def __init__(self, text: str):
        super().__init__(text)
        self.text = text

    def __str__(self) -> str:
        return self.text


def worker_count(setting: int) -> int:
    """EXTRACT_WORKERS: 0 extracts in the reactor thread; -1 (default) one worker per core."""
    return (os.cpu_count() or 1) if setting < 0 else setting


async def extract_elsewhere(capture: PageCapture, workers: int, niceness: int = 0) -> ArticleRecord:
    """The capture's record, from a worker. A worker that dies costs the page it was extracting
    only: the pages it held besides go to the other workers, and a new worker takes its place."""
    return await shared_pool(workers, niceness).submit(capture)


def shared_pool(workers: int, niceness: int) -> ExtractionPool:
    """The run's pool, on the running event loop (one per process; a new loop gets a new pool)."""
    global _pool
    loop = asyncio.get_running_loop()
    if _pool is None or _pool.loop is not loop or _pool.closed:
        if _pool is not None:
            _pool.close()
        _pool = ExtractionPool(loop, workers, niceness)
    return _pool


def close_shared_pool() -> None:
    global _pool
    if _pool is not None:
        _pool.close()
        _pool = None


atexit.register(close_shared_pool)


class ExtractionPool:
    """Worker processes fed from the event loop: each page goes to the worker holding the fewest."""

    def __init__(self, loop: asyncio.AbstractEventLoop, size: int, niceness: int):
        self.loop = loop
        self.niceness = niceness
        self.closed = False
        self.waiting: collections.deque[tuple[PageCapture, asyncio.Future]] = collections.deque()
        self.workers = [self._start_worker() for _ in range(max(size, 1))]

    def submit(self, capture: PageCapture) -> asyncio.Future:
        """The capture's record to come. Serves every worker's pipes first: the answers they have
        written are read, and they are handed the pages they have room for."""
        future = self.loop.create_future()
        self.waiting.append((capture, future))
        for worker in list(self.workers):  # one found dead is replaced in the list
            worker.serve()
        self._hand_out()
        return future

    def close(self) -> None:
        """Close the workers' stdin (they leave when they have answered) and fail what waits."""
        self.closed = True
        for worker in self.workers:
            worker.close()
        while self.waiting:
            _, future = self.waiting.popleft()
            if not future.done():
                future.set_exception(WorkerDied(POOL_CLOSED))

    def _start_worker(self) -> ExtractionWorker:
        return ExtractionWorker(self.loop, self.niceness, answered=self._hand_out, died=self._worker_died)

    def _hand_out(self) -> None:
        while self.waiting:
            worker = min(self.workers, key=lambda w: len(w.unanswered))
            if len(worker.unanswered) >= PAGES_AHEAD:
                return
            capture, future = self.waiting.popleft()
            if not future.cancelled():
                worker.send(capture, future)

    def _worker_died(self, worker: ExtractionWorker, unanswered: list) -> None:
        if self.closed:
            return
        self.workers[self.workers.index(worker)] = self._start_worker()
        self.waiting.extendleft(reversed(unanswered))
        self._hand_out()


class ExtractionWorker:
    """One worker process and the two ends of its pipes, driven by the event loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop, niceness: int, *, answered, died):
        self.loop = loop
        self.answered, self.died = answered, died
        self.process = subprocess.Popen(
            [sys.executable, "-m", "crawler.workers", str(niceness), str(os.getpid())],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0, env=_worker_environment(),
        )
        self.stdin, self.stdout = self.process.stdin.fileno(), self.process.stdout.fileno()
        _widen_pipe(self.stdin)
        _widen_pipe(self.stdout)
        os.set_blocking(self.stdin, False)
        os.set_blocking(self.stdout, False)
        self.unanswered: collections.deque[tuple[PageCapture, asyncio.Future]] = collections.deque()
        self.unwritten = bytearray()
        self.received = bytearray()
        self.gone = False
        loop.add_reader(self.stdout, self._read)

    def send(self, capture: PageCapture, future: asyncio.Future) -> None:
        self.unanswered.append((capture, future))
        self._write(_framed(capture))

    def close(self) -> None:
        """Close its stdin; it leaves after answering what it holds (or now, if it is dead)."""
        if self.gone:
            return
        self.gone = True
        self._stop_watching()
        for stream in (self.process.stdin, self.process.stdout):
            stream.close()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for _, future in self.unanswered:
            if not future.done():
                future.set_exception(WorkerDied(POOL_CLOSED))

    def serve(self) -> None:
        """Write what waits for room in its stdin and read what it has answered, without waiting."""
        if self.gone:
            return
        if self.unwritten:
            self._write_unwritten()
        self._read()

    def _write(self, data: bytes) -> None:
        if self.unwritten:  # the pipe is full: the loop writes when there is room
            self.unwritten += data
            return
        written = self._write_some(data)
        if written < len(data):
            self.unwritten += memoryview(data)[written:]
            self.loop.add_writer(self.stdin, self._write_unwritten)

    def _write_unwritten(self) -> None:
        written = self._write_some(self.unwritten)
        del self.unwritten[:written]
        if not self.unwritten:
            self.loop.remove_writer(self.stdin)

    def _write_some(self, data) -> int:
        try:
            return os.write(self.stdin, data)
        except BlockingIOError:
            return 0
        except (BrokenPipeError, ConnectionResetError):
            return len(data)  # it died; its stdout's end of file says so and its pages are handed back

    def _read(self) -> None:
        try:
            chunk = os.read(self.stdout, READ_BYTES)
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        if not chunk:
            self._lost()
            return
        self.received += chunk
        done = False
        while len(self.received) >= FRAME_HEADER.size:
            (length,) = FRAME_HEADER.unpack_from(self.received)
            end = FRAME_HEADER.size + length
            if len(self.received) < end:
                break
            with memoryview(self.received) as view:
                answer = pickle.loads(view[FRAME_HEADER.size:end])
            del self.received[:end]
            self._settle(answer)
            done = True
        if done:
            self.answered()

    def _settle(self, answer: tuple) -> None:
        _, future = self.unanswered.popleft()
        if future.cancelled():
            return
        if answer[0] == "record":
            future.set_result(answer[1])
        else:
            error, where = answer[1], answer[2]
            error.__cause__ = RemoteTraceback(where)
            future.set_exception(error)

    def _lost(self) -> None:
        """Its stdout ended without a close: it died. The page it was on is lost; the rest go back."""
        self.gone = True
        self._stop_watching()
        self.process.stdin.close()
        self.process.stdout.close()
        try:
            returncode = self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:  # it closed its answers but lives on: it is of no use
            self.process.kill()
            returncode = self.process.wait()
        unanswered = list(self.unanswered)
        self.unanswered.clear()
        if unanswered:
            capture, future = unanswered.pop(0)
            if not future.done():
                future.set_exception(WorkerDied(f"extraction worker {self.process.pid} died "
                                                f"({_exit_status(returncode)}) on {capture.url}"))
        self.died(self, unanswered)

    def _stop_watching(self) -> None:
        if not self.loop.is_closed():
            self.loop.remove_reader(self.stdout)
            self.loop.remove_writer(self.stdin)


def _framed(message: object) -> bytes:
    """A message as it goes down a pipe, either way: the pickle's length, then the pickle."""
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return FRAME_HEADER.pack(len(data)) + data


def _worker_environment() -> dict[str, str]:
    """The crawl's environment, with this package importable however the crawl found it."""
    package_root = str(Path(__file__).resolve().parent.parent)
    path = os.environ.get("PYTHONPATH", "")
    return {**os.environ, "PYTHONPATH": package_root + (os.pathsep + path if path else "")}


def _widen_pipe(fd: int) -> None:
    try:
        fcntl.fcntl(fd, F_SETPIPE_SZ, PIPE_BYTES)
    except OSError:
        pass


def _exit_status(returncode: int) -> str:
    return f"signal {-returncode}" if returncode < 0 else f"exit status {returncode}"


# --- in a worker ---------------------------------------------------------------

def extract_by_portal_id(capture: PageCapture) -> ArticleRecord:
    """The registry is loaded once per process (cached), not sent with every page."""
    return extract_capture(capture, load_registry().get(capture.portal) if capture.portal else None,
                           refuse_error_pages=True)


def serve_pages(niceness: int, parent_pid: int) -> None:
    """A worker's life: lower its priority (EXTRACT_WORKER_NICENESS), then answer each page on
    stdin with its record (or the error) on stdout, until stdin ends."""
    os.nice(niceness)
    # Ctrl-C reaches the whole process group: the crawl stops gracefully and still awaits the
    # pages it handed out, so a worker answers them and leaves when its stdin closes.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    leave_with_parent(parent_pid)
    answers = os.dup(1)
    os.dup2(2, 1)  # what a library prints goes to stderr, not into the answers
    warm_up()
    while header := _read_exactly(0, FRAME_HEADER.size):
        (length,) = FRAME_HEADER.unpack(header)
        capture = pickle.loads(_read_exactly(0, length))
        _write_all(answers, _answer(capture))


def warm_up() -> None:
    """Load now what the first pages would otherwise load while the crawl waits on them."""
    try:
        load_registry()
        load_topics()
        load_fallback_parser()
    except Exception:  # not fatal here: the first page that needs it reports it
        traceback.print_exc()


def _answer(capture: PageCapture) -> bytes:
    try:
        return _framed(("record", extract_by_portal_id(capture)))
    except Exception as error:  # the crawl counts it and goes on
        where = traceback.format_exc()
        try:
            return _framed(("error", error, where))
        except Exception:  # an error that does not pickle
            return _framed(("error", RuntimeError(f"{type(error).__name__}: {error}"), where))


def _read_exactly(fd: int, size: int) -> bytes:
    """`size` bytes, or b"" at the end of the stream (a partial message is the crawl dying)."""
    parts, missing = [], size
    while missing:
        part = os.read(fd, missing)
        if not part:
            return b""
        parts.append(part)
        missing -= len(part)
    return b"".join(parts)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def leave_with_parent(parent_pid: int) -> None:
    """Exit when the crawl that started it is gone (reparented), even in the middle of a page."""
    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(PARENT_CHECK_SECONDS)
        os._exit(0)
    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


if __name__ == "__main__":
    try:
        serve_pages(int(sys.argv[1]), int(sys.argv[2]))
    except (BrokenPipeError, KeyboardInterrupt):
        pass

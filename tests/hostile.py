"""A misbehaving web server on 127.0.0.x that plays broken and hostile government portals.

The fault tests crawl it: each route answers with a *behaviour*, and behaviours lie about
lengths, drip, hang, explode when decompressed, trap the pager or serve pages that are broken
in the ways real portals are. HTTP/1.1 is written by hand over raw sockets, so that a response
can be anything a hostile server could send; every answer says `Connection: close` and closes.

    with HostileServer({"/": listing(links), "/robots.txt": robots_huge(), "*": always(503)}) as server:
        run the crawl with --hostmap portal.test=<server.base_url> ...
        assert server.requests_to("/private") == []

Server
- `HostileServer(routes, host="127.0.0.1", port=0, tls=False, tls_hostnames=("localhost",), tls_expired=False)`:
  a context manager; one background thread accepts, one daemon thread per connection (a hanging
  connection blocks nothing else); leaving the `with` block closes every open socket at once.
  Any 127.0.0.0/8 address binds on Linux (127.0.0.2, 127.0.0.3, ...), so each portal can have its own.
- `server.host`, `.port`, `.address` ("127.0.0.1:PORT"), `.base_url` ("http(s)://127.0.0.1:PORT"), `.url(path)`
- `server.routes`: a dict, read on every request (change it between crawls). The exact path
  (without the query) wins, then the longest key ending in `*` whose prefix the path starts
  with (`"/list*"`, `"*"` for everything), else a plain 404 page. Paths are matched as sent (percent-encoded).
- `server.requests`: every request read, in order (`SeenRequest`: method, path, query, headers with
  lower-cased names, `at` = time.monotonic(), host_header, body); `server.requests_to(prefix)`.
- `server.errors`: tracebacks of behaviours that raised (a client going away is not an error).
- TLS (`tls=True`): a self-signed certificate made on construction with `cryptography`, for `tls_hostnames`,
  the server's address and 127.0.0.1 (`tls_expired=True`: one that expired yesterday);
  `server.certificate_pem`. The handshake happens in the connection's thread, not in accept().

A behaviour is any callable `(request: SeenRequest, connection: Connection) -> None`; it writes
through the connection (`respond`, `send_head`, `send`, `pause`, `hold`; `connection.server`), and
the server closes the connection when it returns (one that writes nothing is an empty reply).
The library, one factory each:
- `page(body, status=200, content_type=HTML, headers=None)`   any fixed answer (headers may lie: Content-Length)
- `not_found()`                                             a plain 404 page
- `bomb(encoding, expanded_size=512 MiB)`                   gzip|deflate|br|zstd body inflating to HTML (built once, cached)
- `big(size=50_000_000, content_length=True)`               a huge page, streamed; without a length it ends by closing
- `short_body(body, declared_extra=10_000)`                 Content-Length promises more than is sent, then closes
- `drip(body, bytes_per_second=1.0, headers_first=True)`    one byte at a time (headers too when headers_first=False)
- `hang()`                                                  reads the request, never answers, keeps the socket open
- `redirect(location, status=302, set_cookie=None)`         a redirect, optionally setting a cookie
- `always(status=503, body="Service Unavailable", retry_after=None)`  the same error for every path (route "*")
- `robots(text, status=200)`                                a robots.txt
- `robots_huge(size=10_000_000, disallow_path="/private")`  a valid robots.txt: a Disallow first, then padding
- `sitemap_xxe(file_path="/etc/passwd", article_url=...)`   a urlset whose <loc> is an external file entity
- `sitemap_billion_laughs(article_url=...)`                 a urlset whose <loc> is the lol1..lol9 entity expansion
- `listing(links, next_url=None)`                           a listing page the generic spider reads, with a pager
- `link_flood(n=100_000, base="/bai-viet/flood-")`          one listing page with n headline links
- `endless_pages(prefix="/tin-tuc", articles_exist=False)`  route "/tin-tuc*": every ?page=N has 10 new links, next N+1
- `repeating_pages(prefix="/lich", articles_exist=False)`   route "/lich*": every ?page=N the same 10 links, next N+1
- `soft_404()`                                              200 "Không tìm thấy trang" error page
- `login_redirect(login_path="/dang-nhap")`                 302 to /dang-nhap?ReturnUrl=<the path asked for>
- `login_page()`                                            200 login form ("Đăng nhập", a password input)
- `article(title, published, body_paragraphs, author, lead="")`  an article page the generic platform extracts
- `charset_mismatch(..., declared="utf-8", actual="windows-1258")`  the header's charset is not the bytes'
- `nul_bytes_article(..., every_words=7)`                    NUL bytes between the words of the text
- `deeply_nested_article(..., depth=5000)`                  the text inside thousands of nested <div>s
- `broken_html_article(...)`                                unclosed tags, stray closers, Word's <o:p> and mso styles
Registry helpers: `portal_entry(portal_id, domain, sections, name=..., province=...)` (one
portals-file entry; sections may be paths) and `write_portals_file(path, entries)`.
Relative URLs in sitemaps are made absolute with the request's Host header, so that through
a host map they name the real portal.
"""

from __future__ import annotations

import http
import ipaddress
import select
import socket
import ssl
import tempfile
import threading
import time
import traceback
import unicodedata
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from email.utils import formatdate
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import yaml

HTML = "text/html; charset=utf-8"
MiB = 1024 * 1024

# A client that connects and says nothing, or never finishes its TLS handshake, is let go after this.
REQUEST_TIMEOUT = 10.0
MAX_REQUEST_HEAD = 64 * 1024
MAX_REQUEST_BODY = 16 * MiB
# After answering: how long the client may take to close its side (or answer TLS close_notify).
CLOSE_GRACE = 1.0
# How often waiting threads look whether the server is stopping.
POLL_SECONDS = 0.1
STREAM_CHUNK = MiB
SERVER_HEADER = "vnarchive-hostile"

# --- requests and connections -------------------------------------------------------------------


@dataclass(frozen=True)
class SeenRequest:
    """One request as the server read it."""

    method: str
    path: str               # without the query, as sent (percent-encoded)
    query: str              # the raw query string, '' when there is none
    headers: dict[str, str]  # lower-cased names; repeated headers joined with ", "
    at: float               # time.monotonic() when the request was read
    host_header: str
    body: bytes = b""

    def param(self, name: str, default: str | None = None) -> str | None:
        """The first value of a query parameter."""
        return parse_qs(self.query, keep_blank_values=True).get(name, [default])[0]

    @property
    def target(self) -> str:
        """Path and query, as in the request line."""
        return f"{self.path}?{self.query}" if self.query else self.path


class ConnectionClosed(Exception):
    """The client went away, or the server is stopping: the behaviour ends quietly."""


class BadRequest(Exception):
    """A request the server cannot read; answered 400."""


Behaviour = Callable[[SeenRequest, "Connection"], None]


class Connection:
    """One client connection as a behaviour sees it: write bytes, pause, or wait for the client to leave.

    Every write error (broken pipe, reset, the server closing the socket on stop) becomes
    ConnectionClosed, so behaviours need no error handling of their own.
    """

    def __init__(self, sock: socket.socket, server: HostileServer) -> None:
        self.sock = sock
        self.server = server

    def send(self, data: bytes) -> None:
        if self.server.stopping:
            raise ConnectionClosed("server stopping")
        try:
            self.sock.sendall(data)
        except (OSError, ValueError) as error:  # ValueError: an SSL socket closed under us
            raise ConnectionClosed(str(error)) from None

    def send_head(self, status: int, headers: Iterable[tuple[str, str]] | dict[str, str] = ()) -> None:
        """Status line and headers, exactly as given, plus Date, Server and Connection: close unless given."""
        self.send(response_head(status, headers))

    def respond(self, status: int, body: bytes | str, content_type: str = HTML,
                headers: dict[str, str] | None = None) -> None:
        """A complete response: the body with its true Content-Length, unless `headers` name their own
        Content-Type or Content-Length (a lie, then)."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        given = {name.lower() for name in headers or {}}
        defaults = [("Content-Type", content_type), ("Content-Length", str(len(data)))]
        self.send_head(status, [pair for pair in defaults if pair[0].lower() not in given] + [*(headers or {}).items()])
        self.send(data)

    def pause(self, seconds: float) -> None:
        """Sleep, but end at once when the server stops."""
        if self.server._stopping.wait(seconds):
            raise ConnectionClosed("server stopping")

    def hold(self) -> None:
        """Keep the connection open, saying nothing, until the client closes or the server stops."""
        while not self.server.stopping:
            try:
                readable, _, _ = select.select([self.sock], [], [], POLL_SECONDS)
                if readable and not self.sock.recv(4096):
                    return
            except (ssl.SSLWantReadError, socket.timeout):
                continue
            except (OSError, ValueError):
                return

    def receive(self) -> bytes:
        try:
            return self.sock.recv(65536)
        except (OSError, ValueError) as error:
            raise ConnectionClosed(str(error)) from None

    def start_tls(self, context: ssl.SSLContext) -> None:
        try:
            self.sock = context.wrap_socket(self.sock, server_side=True, do_handshake_on_connect=False)
            self.sock.do_handshake()
        except (OSError, ValueError) as error:  # a client that refuses the certificate ends here
            raise ConnectionClosed(f"TLS handshake: {error}") from None

    def abort(self) -> None:
        """Wake whatever the connection's thread is blocked in (server stop): no more reads or writes."""
        try:
            socket.socket.shutdown(self.sock, socket.SHUT_RDWR)  # the plain method: leaves the SSL object alone
        except (OSError, ValueError):
            pass

    def close(self) -> None:
        """Close as a server should: TLS close_notify, FIN, read what the client still sends, then close."""
        sock = self.sock
        try:
            sock.settimeout(CLOSE_GRACE)
            if isinstance(sock, ssl.SSLSocket):
                sock = self.sock = sock.unwrap()
            sock.shutdown(socket.SHUT_WR)
            deadline = time.monotonic() + CLOSE_GRACE
            while time.monotonic() < deadline and not self.server.stopping and sock.recv(65536):
                pass
        except (OSError, ValueError):
            pass
        finally:
            sock.close()


def response_head(status: int, headers: Iterable[tuple[str, str]] | dict[str, str] = ()) -> bytes:
    """The status line and headers as sent: the given headers in order, then Date, Server and
    Connection: close unless given."""
    pairs = list(headers.items() if isinstance(headers, dict) else headers)
    given = {name.lower() for name, _ in pairs}
    defaults = [("Date", formatdate(usegmt=True)), ("Server", SERVER_HEADER), ("Connection", "close")]
    pairs += [(name, value) for name, value in defaults if name.lower() not in given]
    lines = [f"HTTP/1.1 {status} {_reason(status)}", *(f"{name}: {value}" for name, value in pairs)]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _reason(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def _read_request(connection: Connection) -> SeenRequest | None:
    """The request head (and body, by Content-Length); None when the client sent nothing."""
    buffer = b""
    while b"\r\n\r\n" not in buffer.lstrip(b"\r\n"):
        chunk = connection.receive()
        if not chunk:
            return None
        buffer += chunk
        if len(buffer) > MAX_REQUEST_HEAD:
            raise BadRequest("request head too long")
    head, _, body = buffer.lstrip(b"\r\n").partition(b"\r\n\r\n")
    request_line, *header_lines = head.decode("latin-1").split("\r\n")
    parts = request_line.split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/"):
        raise BadRequest(f"bad request line {request_line!r}")
    headers = _header_dict(header_lines)
    length = _content_length(headers)
    while len(body) < length:
        chunk = connection.receive()
        if not chunk:
            break
        body += chunk
    target = urlsplit(parts[1])
    return SeenRequest(method=parts[0], path=target.path or "/", query=target.query, headers=headers,
                       at=time.monotonic(), host_header=headers.get("host", ""), body=body[:length])


def _header_dict(lines: list[str]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for line in lines:
        name, colon, value = line.partition(":")
        if not colon or not name.strip():
            raise BadRequest(f"bad header line {line!r}")
        key, value = name.strip().lower(), value.strip()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    return headers


def _content_length(headers: dict[str, str]) -> int:
    value = headers.get("content-length", "0")
    if not value.isdigit() or int(value) > MAX_REQUEST_BODY:
        raise BadRequest(f"bad Content-Length {value!r}")
    return int(value)


# --- the server -----------------------------------------------------------------------------------


class HostileServer:
    """Raw HTTP/1.1 on a loopback address; see the module docstring. Binds on construction,
    serves from `start()` (or entering the `with` block) until `stop()`."""

    def __init__(self, routes: dict[str, Behaviour] | None = None, host: str = "127.0.0.1", port: int = 0,
                 tls: bool = False, tls_hostnames: Iterable[str] = ("localhost",), tls_expired: bool = False) -> None:
        self.routes: dict[str, Behaviour] = routes if routes is not None else {}
        self.requests: list[SeenRequest] = []
        self.errors: list[str] = []
        self.tls = tls
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._connections: dict[Connection, threading.Thread] = {}
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._listener = socket.create_server((host, port), family=family)
        self._listener.settimeout(POLL_SECONDS)
        self.host, self.port = host, self._listener.getsockname()[1]
        self._accept_thread: threading.Thread | None = None
        self._tls_files: tempfile.TemporaryDirectory | None = None
        self._tls_context: ssl.SSLContext | None = None
        self.certificate_pem = ""
        if tls:
            self._make_tls_context(tuple(tls_hostnames), tls_expired)

    # --- addresses ---

    @property
    def address(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.address}"

    def url(self, path: str = "/") -> str:
        return self.base_url + path

    # --- what was asked ---

    def requests_to(self, path_prefix: str) -> list[SeenRequest]:
        with self._lock:
            return [request for request in self.requests if request.path.startswith(path_prefix)]

    def route(self, path: str) -> Behaviour:
        """The behaviour for a path: exact match, else the longest `prefix*` route, else a 404."""
        routes = dict(self.routes)
        if path in routes:
            return routes[path]
        prefixes = [key for key in routes if key.endswith("*") and path.startswith(key[:-1])]
        return routes[max(prefixes, key=len)] if prefixes else not_found()

    # --- life cycle ---

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def start(self) -> HostileServer:
        self._accept_thread = threading.Thread(target=self._accept_loop, name=f"hostile-accept-{self.address}",
                                               daemon=True)
        self._accept_thread.start()
        return self

    def stop(self) -> None:
        """Stop accepting, cut every open connection (hanging and dripping ones too), and return promptly."""
        with self._lock:  # no connection is added after this snapshot (see _accept_loop)
            self._stopping.set()
            connections = dict(self._connections)
        self._listener.close()
        for connection in connections:
            connection.abort()
        if self._accept_thread is not None:
            self._accept_thread.join(timeout=1)
        deadline = time.monotonic() + 1
        for thread in connections.values():
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
        if self._tls_files is not None:
            self._tls_files.cleanup()

    def __enter__(self) -> HostileServer:
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    def _accept_loop(self) -> None:
        while not self.stopping:
            try:
                sock, _ = self._listener.accept()
            except socket.timeout:
                continue
            except OSError:  # the listener was closed: stopping
                return
            connection = Connection(sock, self)
            thread = threading.Thread(target=self._serve, args=(connection,), daemon=True,
                                      name=f"hostile-connection-{self.address}")
            with self._lock:
                if self.stopping:
                    sock.close()
                    return
                self._connections[connection] = thread
            thread.start()

    def _serve(self, connection: Connection) -> None:
        """One connection: (TLS,) read one request, record it, run its behaviour, close."""
        try:
            connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # a dripped byte leaves at once
            connection.sock.settimeout(REQUEST_TIMEOUT)
            if self._tls_context is not None:
                connection.start_tls(self._tls_context)
            request = _read_request(connection)
            if request is None:
                return
            with self._lock:
                self.requests.append(request)
            connection.sock.settimeout(None)  # behaviours may stream for long; stop() wakes them
            self.route(request.path)(request, connection)
        except ConnectionClosed:
            pass
        except BadRequest as error:
            _try(lambda: connection.respond(400, f"<h1>400 Bad Request</h1><p>{escape(str(error))}</p>"))
        except Exception:
            with self._lock:
                self.errors.append(traceback.format_exc())
        finally:
            connection.close()
            with self._lock:
                self._connections.pop(connection, None)

    def _make_tls_context(self, hostnames: tuple[str, ...], expired: bool) -> None:
        addresses = {self.host, "127.0.0.1"}
        cert_pem, key_pem = self_signed_certificate(hostnames, addresses, expired=expired)
        self._tls_files = tempfile.TemporaryDirectory(prefix="hostile-tls-")
        cert_file, key_file = Path(self._tls_files.name, "cert.pem"), Path(self._tls_files.name, "key.pem")
        cert_file.write_bytes(cert_pem)
        key_file.write_bytes(key_pem)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_file, key_file)
        context.set_alpn_protocols(["http/1.1"])
        self._tls_context = context
        self.certificate_pem = cert_pem.decode("ascii")


def _try(action: Callable[[], None]) -> None:
    try:
        action()
    except ConnectionClosed:
        pass


def self_signed_certificate(hostnames: Iterable[str], addresses: Iterable[str], *,
                            expired: bool = False) -> tuple[bytes, bytes]:
    """(certificate PEM, key PEM): self-signed, naming the hostnames (DNS) and addresses (IP) in its SAN."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    names = list(hostnames)
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0] if names else "hostile.test"),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, "vnarchive hostile test server")])
    now = datetime.now(timezone.utc)
    not_after = now - timedelta(days=1) if expired else now + timedelta(days=30)
    alternative_names = [x509.DNSName(name) for name in names]
    alternative_names += [x509.IPAddress(ipaddress.ip_address(address)) for address in sorted(set(addresses))]
    certificate = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(min(now, not_after) - timedelta(days=30)).not_valid_after(not_after)
        .add_extension(x509.SubjectAlternativeName(alternative_names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return certificate.public_bytes(serialization.Encoding.PEM), key_pem


# --- page chrome and Vietnamese text ----------------------------------------------------------------

SITE_NAME = "Cổng thông tin điện tử tỉnh Thử Nghiệm"
DEFAULT_TITLE = "Hội nghị tổng kết công tác dân vận chính quyền năm 2026"
DEFAULT_PUBLISHED = "23/11/2026 08:30"
DEFAULT_AUTHOR = "Minh Anh"
# Adapted from a vinhlong.gov.vn article (../shared/seeds/002): real sentences, the year moved.
DEFAULT_PARAGRAPHS = (
    "Năm 2026, các cấp ủy Đảng, chính quyền trong tỉnh đã gắn công tác dân vận với đẩy mạnh cải cách hành chính; "
    "củng cố nâng cao chất lượng chuyên môn, mô hình một cửa liên thông; đồng thời tăng cường kỷ luật, kỷ cương "
    "hành chính trong các hoạt động của cơ quan, đơn vị, địa phương trên địa bàn.",
    "Bên cạnh đó, chính quyền các cấp cũng chú trọng đến công tác đào tạo, bồi dưỡng nâng cao năng lực, trình độ "
    "chuyên môn, đạo đức của đội ngũ cán bộ, công chức, viên chức; tăng cường ứng dụng công nghệ thông tin vào quy "
    "trình quản lý và giải quyết công tác hành chính.",
    "Việc xây dựng và thực hiện quy chế dân chủ tiếp tục được các ngành, các cấp quan tâm chỉ đạo và từng bước đi "
    "vào nề nếp. Công tác tiếp dân, giải quyết khiếu nại, tố cáo được thực hiện tốt; kịp thời sửa đổi, bổ sung các "
    "quy trình, thủ tục theo hướng thuận lợi cho người dân.",
    "Công tác phối hợp giữa chính quyền với Ban Dân vận, Mặt trận Tổ quốc, các đoàn thể thường xuyên được củng cố và "
    "tăng cường, tạo điều kiện thuận lợi trong việc vận động nhân dân tham gia phát triển kinh tế - xã hội.",
)
MENU = (("/", "Trang chủ"), ("/gioi-thieu", "Giới thiệu"), ("/tin-tuc", "Tin tức - Sự kiện"),
        ("/van-ban", "Văn bản"), ("/lien-he", "Liên hệ"))
WEEKDAYS = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật")
VIETNAM = timezone(timedelta(hours=7))


def _document(title_tag: str, main: str, *, meta_charset: str = "utf-8") -> str:
    """A whole portal page: header with today's date (a trap), menu, the main block, footer."""
    today = datetime.now(VIETNAM).date()
    meta = f'<meta charset="{escape(meta_charset)}">\n' if meta_charset else ""
    menu = "".join(f'<li><a href="{href}">{escape(text)}</a></li>' for href, text in MENU)
    return (
        f'<!DOCTYPE html>\n<html lang="vi">\n<head>\n{meta}<title>{escape(title_tag)}</title>\n</head>\n<body>\n'
        f'<div class="header">\n  <div class="today">{WEEKDAYS[today.weekday()]}, {today:%d/%m/%Y}</div>\n'
        f'  <div class="logo"><a href="/">{escape(SITE_NAME)}</a></div>\n</div>\n'
        f'<div class="main-menu"><ul class="menu">{menu}</ul></div>\n'
        f'<div class="container">\n{main}\n</div>\n'
        '<div class="footer">\n  <p>Bản quyền thuộc về Ủy ban nhân dân tỉnh Thử Nghiệm</p>\n'
        '  <p>Ghi rõ nguồn tin "thunghiem.gov.vn" khi phát hành lại thông tin từ website này</p>\n</div>\n'
        '</body>\n</html>\n'
    )


@dataclass(frozen=True)
class ArticleText:
    """What an article page says, whatever is wrong with its markup."""

    title: str = DEFAULT_TITLE
    published: str = DEFAULT_PUBLISHED
    paragraphs: tuple[str, ...] = DEFAULT_PARAGRAPHS
    author: str = DEFAULT_AUTHOR
    lead: str = ""

    @classmethod
    def of(cls, title: str, published: str, body_paragraphs: Iterable[str] | None, author: str,
           lead: str = "") -> ArticleText:
        paragraphs = tuple(body_paragraphs) if body_paragraphs is not None else DEFAULT_PARAGRAPHS
        return cls(title, published, paragraphs, author, lead)

    def body_html(self) -> str:
        return "\n".join(f"<p>{escape(paragraph)}</p>" for paragraph in self.paragraphs)


def _article_document(text: ArticleText, body_html: str | None = None, *, meta_charset: str = "utf-8") -> str:
    """The generic platform's markup (crawler/platforms.yml defaults): h1 title,
    itemprop datePublished / description / articleBody / author, and the usual traps around them:
    the header's today, a toolbar, a related list with its own dates."""
    lead = (f'  <p class="sapo" itemprop="description"><strong>{escape(text.lead)}</strong></p>\n'
            if text.lead else "")
    author = f'  <div class="article-author" itemprop="author">{escape(text.author)}</div>\n' if text.author else ""
    main = (
        '<div class="breadcrumb"><a href="/">Trang chủ</a> » <a href="/tin-tuc">Tin tức - Sự kiện</a></div>\n'
        '<div class="article-detail">\n'
        f'  <h1 class="article-title">{escape(text.title)}</h1>\n'
        f'  <div class="article-meta"><span class="post-date" itemprop="datePublished">{escape(text.published)}</span></div>\n'
        '  <div class="article-toolbar">Xem cỡ chữ: <a href="#">A-</a> <a href="#">A+</a> | <a href="#">In bài viết</a></div>\n'
        f'{lead}'
        f'  <div class="article-body" itemprop="articleBody">\n{body_html if body_html is not None else text.body_html()}\n  </div>\n'
        f'{author}'
        '</div>\n'
        '<div class="related-news">\n  <h3>Tin liên quan</h3>\n  <ul>\n'
        '    <li><a href="/tin-tuc/hoi-nghi-giao-ban-cong-tac-dan-van-quy-iii-10001.html">Hội nghị giao ban công tác dân vận quý III năm 2026</a> <span class="date">(20/10/2026)</span></li>\n'
        '    <li><a href="/tin-tuc/trien-khai-ke-hoach-cai-cach-hanh-chinh-10002.html">Triển khai kế hoạch cải cách hành chính giai đoạn mới</a> <span class="date">(05/10/2026)</span></li>\n'
        '  </ul>\n</div>'
    )
    return _document(f"{text.title} - {SITE_NAME}", main, meta_charset=meta_charset)


# --- plain answers ----------------------------------------------------------------------------------


def page(body: str | bytes, status: int = 200, content_type: str = HTML,
         headers: dict[str, str] | None = None) -> Behaviour:
    """Any fixed answer; `headers` are added, or replace Content-Type and Content-Length."""
    data = body.encode("utf-8") if isinstance(body, str) else body

    def serve(request: SeenRequest, connection: Connection) -> None:
        connection.respond(status, data, content_type, headers)
    return serve


def not_found() -> Behaviour:
    """A plain 404 page, as IIS sends it."""
    return page(_document("404 - Không tìm thấy trang", "<h1>404 - File or directory not found.</h1>"), status=404)


def redirect(location: str, status: int = 302, set_cookie: str | None = None) -> Behaviour:
    """A redirect to `location` (sent as given: relative or absolute)."""
    headers = {"Location": location, **({"Set-Cookie": set_cookie} if set_cookie else {})}
    return page(f'<html><body><h2>Object moved to <a href="{escape(location)}">here</a>.</h2></body></html>',
                status=status, headers=headers)


def always(status: int = 503, body: str = "Service Unavailable", retry_after: int | None = None) -> Behaviour:
    """The same error for every request; mount it as the catch-all route "*"."""
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return page(body, status=status, headers=headers)


# --- size and compression ----------------------------------------------------------------------------

FILLER_HEAD = b'<!DOCTYPE html>\n<html lang="vi"><head><meta charset="utf-8"><title>Tin t\xe1\xbb\xa9c</title></head><body>\n'
FILLER_TAIL = b"\n</body></html>\n"
# A bomb's filler: a paragraph, then a run of spaces. Deflate codes a long run of one byte
# near its ceiling ratio (about 1000:1); repeated sentences reach only about 300:1.
BOMB_CHUNK = ('<div class="noi-dung"><p>Công tác dân vận chính quyền năm 2026.</p>'.encode()
              .ljust(STREAM_CHUNK - 7) + b"</div>\n")
# A big page's filler: ordinary paragraphs.
BIG_PARAGRAPH = "<p>Tăng cường ứng dụng công nghệ thông tin trong công tác quản lý hành chính của tỉnh.</p>\n".encode()
BIG_CHUNK = BIG_PARAGRAPH * (STREAM_CHUNK // len(BIG_PARAGRAPH))
BOMB_ENCODINGS = ("gzip", "deflate", "br", "zstd")
_bombs: dict[tuple[str, int], bytes] = {}
_bombs_lock = threading.Lock()


def _check_page_size(size: int) -> None:
    if size < len(FILLER_HEAD) + len(FILLER_TAIL):
        raise ValueError(f"a page of {size} bytes cannot hold the HTML head and tail")


def html_of_size(size: int, chunk: bytes) -> Iterator[bytes]:
    """An HTML page of exactly `size` bytes: head, `chunk` repeated, spaces, tail; yielded in pieces."""
    _check_page_size(size)
    room = size - len(FILLER_HEAD) - len(FILLER_TAIL)
    yield FILLER_HEAD
    while room >= len(chunk):
        yield chunk
        room -= len(chunk)
    yield b" " * room
    yield FILLER_TAIL


def compressed_bomb(encoding: str, expanded_size: int = 512 * MiB) -> bytes:
    """The compressed bytes of an HTML page of `expanded_size` bytes; built once per (encoding, size)."""
    if encoding not in BOMB_ENCODINGS:
        raise ValueError(f"bomb encoding {encoding!r} is not one of {', '.join(BOMB_ENCODINGS)}")
    with _bombs_lock:
        key = (encoding, expanded_size)
        if key not in _bombs:
            _bombs[key] = _compress(encoding, html_of_size(expanded_size, BOMB_CHUNK))
        return _bombs[key]


def _compress(encoding: str, pieces: Iterable[bytes]) -> bytes:
    """Streamed, so 512 MiB never sits in memory. Settings chosen for speed at a high ratio:
    zlib's run-length strategy (about 0.6 s for 512 MiB), brotli quality 2 (low, yet it finds the
    long matches), zstd level 3."""
    if encoding in ("gzip", "deflate"):
        compressor = zlib.compressobj(9, zlib.DEFLATED, 31 if encoding == "gzip" else 15, 9, zlib.Z_RLE)
        process, finish = compressor.compress, compressor.flush
    elif encoding == "br":
        import brotli
        compressor = brotli.Compressor(quality=2)
        process, finish = compressor.process, compressor.finish
    else:
        from backports import zstd
        compressor = zstd.ZstdCompressor(level=3)
        process, finish = compressor.compress, compressor.flush
    return b"".join([*(process(piece) for piece in pieces), finish()])


def bomb(encoding: str, expanded_size: int = 512 * MiB) -> Behaviour:
    """A small compressed body (true Content-Length) that inflates to `expanded_size` bytes of HTML."""
    if encoding not in BOMB_ENCODINGS:
        raise ValueError(f"bomb encoding {encoding!r} is not one of {', '.join(BOMB_ENCODINGS)}")
    _check_page_size(expanded_size)

    def serve(request: SeenRequest, connection: Connection) -> None:
        body = compressed_bomb(encoding, expanded_size)  # the first request pays for building it
        connection.send_head(200, [("Content-Type", HTML), ("Content-Encoding", encoding),
                                   ("Content-Length", str(len(body)))])
        connection.send(body)
    return serve


def big(size: int = 50_000_000, content_length: bool = True) -> Behaviour:
    """An HTML page of `size` bytes, streamed. Without a Content-Length (and not chunked) the body
    ends when the server closes: the client cannot know the size in advance."""
    _check_page_size(size)

    def serve(request: SeenRequest, connection: Connection) -> None:
        headers = [("Content-Type", HTML)] + ([("Content-Length", str(size))] if content_length else [])
        connection.send_head(200, headers)
        for piece in html_of_size(size, BIG_CHUNK):
            connection.send(piece)
    return serve


def short_body(body: str | bytes, declared_extra: int = 10_000) -> Behaviour:
    """Content-Length says len(body) + declared_extra; only body is sent, then the server closes."""
    data = body.encode("utf-8") if isinstance(body, str) else body

    def serve(request: SeenRequest, connection: Connection) -> None:
        connection.send_head(200, [("Content-Type", HTML), ("Content-Length", str(len(data) + declared_extra))])
        connection.send(data)
    return serve


def drip(body: str | bytes, bytes_per_second: float = 1.0, headers_first: bool = True) -> Behaviour:
    """A slow server: one byte every 1/bytes_per_second seconds until done or the client leaves.
    With headers_first=False the status line and headers are dripped too."""
    data = body.encode("utf-8") if isinstance(body, str) else body
    interval = 1.0 / bytes_per_second

    def serve(request: SeenRequest, connection: Connection) -> None:
        head = [("Content-Type", HTML), ("Content-Length", str(len(data)))]
        if headers_first:
            connection.send_head(200, head)
            slow = data
        else:
            slow = response_head(200, head) + data
        for index in range(len(slow)):
            if index:
                connection.pause(interval)
            connection.send(slow[index:index + 1])
    return serve


def hang() -> Behaviour:
    """Read the request, never answer; keep the socket until the client closes or the server stops."""
    def serve(request: SeenRequest, connection: Connection) -> None:
        connection.hold()
    return serve


# --- robots.txt and sitemaps ---------------------------------------------------------------------------

ROBOTS_TYPE = "text/plain; charset=utf-8"
XML_TYPE = "application/xml; charset=utf-8"


def robots(text: str, status: int = 200) -> Behaviour:
    return page(text, status=status, content_type=ROBOTS_TYPE)


def robots_huge(size: int = 10_000_000, disallow_path: str = "/private") -> Behaviour:
    """A valid robots.txt of `size` bytes: `User-agent: *` and `Disallow: <path>` first, then comment
    lines. RFC 9309 asks crawlers to read at least 500 KiB, so the rule must be obeyed."""
    _robots_head(size, disallow_path)

    def serve(request: SeenRequest, connection: Connection) -> None:
        connection.send_head(200, [("Content-Type", ROBOTS_TYPE), ("Content-Length", str(size))])
        for piece in robots_text_of_size(size, disallow_path):
            connection.send(piece)
    return serve


ROBOTS_PADDING_LINE = b"# " + b"Tep robots.txt cua cong thong tin dien tu tinh, dong dem. " * 2 + b"\n"


def _robots_head(size: int, disallow_path: str) -> bytes:
    head = f"User-agent: *\nDisallow: {disallow_path}\n".encode()
    if size < len(head):
        raise ValueError(f"a robots.txt of {size} bytes cannot hold {head!r}")
    return head


def robots_text_of_size(size: int, disallow_path: str) -> Iterator[bytes]:
    head = _robots_head(size, disallow_path)
    yield head
    room = size - len(head)
    lines_per_piece = STREAM_CHUNK // len(ROBOTS_PADDING_LINE)
    while room >= len(ROBOTS_PADDING_LINE):
        count = min(lines_per_piece, room // len(ROBOTS_PADDING_LINE))
        yield ROBOTS_PADDING_LINE * count
        room -= count * len(ROBOTS_PADDING_LINE)
    if room:
        yield (b"#" + b" " * (room - 2) + b"\n") if room >= 2 else b"\n"


def _absolute(request: SeenRequest, connection: Connection, url: str) -> str:
    """A path made absolute on the host the client asked for (through a host map, the real portal)."""
    if "://" in url:
        return url
    host = request.host_header or connection.server.address
    return f"{'https' if connection.server.tls else 'http'}://{host}{url}"


def _xml(build: Callable[[str], str], article_url: str) -> Behaviour:
    def serve(request: SeenRequest, connection: Connection) -> None:
        connection.respond(200, build(escape(_absolute(request, connection, article_url))), XML_TYPE)
    return serve


DEFAULT_SITEMAP_ARTICLE = "/tin-tuc/bai-viet-20001.html"


def sitemap_xxe(file_path: str = "/etc/passwd", article_url: str = DEFAULT_SITEMAP_ARTICLE) -> Behaviour:
    """A urlset whose first <loc> is an external entity naming a local file, then one ordinary URL."""
    def build(article: str) -> str:
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<!DOCTYPE urlset [\n  <!ENTITY xxe SYSTEM "file://{escape(file_path)}">\n]>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
            '  <url><loc>&xxe;</loc></url>\n'
            f'  <url><loc>{article}</loc><lastmod>2026-11-23</lastmod></url>\n'
            '</urlset>\n'
        )
    return _xml(build, article_url)


def sitemap_billion_laughs(article_url: str = DEFAULT_SITEMAP_ARTICLE) -> Behaviour:
    """A urlset whose first <loc> is the classic lol9 entity (10^9 "lol"s), then one ordinary URL."""
    entities = ['  <!ENTITY lol "lol">']
    for level in range(1, 10):
        below = f"&lol{level - 1};" if level > 1 else "&lol;"
        entities.append(f'  <!ENTITY lol{level} "{below * 10}">')

    def build(article: str) -> str:
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<!DOCTYPE urlset [\n' + "\n".join(entities) + '\n]>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
            '  <url><loc>&lol9;</loc></url>\n'
            f'  <url><loc>{article}</loc><lastmod>2026-11-23</lastmod></url>\n'
            '</urlset>\n'
        )
    return _xml(build, article_url)


# --- listings and traps --------------------------------------------------------------------------------

LISTING_DAY = date(2026, 11, 23)
# Endless pages date their links a day older per page, down to this (the oldest portals' first year).
OLDEST_LISTING_DAY = date(1995, 1, 1)


def listing_html(links: Iterable[tuple[str, ...]], next_url: str | None = None, *,
                 page_number: int | None = None, date_shown: str = "23/11/2026") -> str:
    """A listing page in the generic platform's markup (see `listing`)."""
    items = []
    for url, title, *shown in links:
        items.append(
            f'  <div class="news-item">\n    <h3 class="news-title"><a href="{escape(url)}">{escape(title)}</a></h3>\n'
            f'    <span class="news-date">{escape(shown[0] if shown else date_shown)}</span>\n  </div>'
        )
    pager = []
    if page_number is not None:
        if page_number > 1:
            pager.append(f'<li><a rel="prev" href="?page={page_number - 1}">«</a></li>')
        pager.append(f'<li class="active"><span>{page_number}</span></li>')
        if next_url:
            pager.append(f'<li><a href="{escape(next_url)}">{page_number + 1}</a></li>')
    if next_url:
        pager.append(f'<li><a rel="next" href="{escape(next_url)}">»</a></li>')
    main = (
        '<h2 class="cate-title">Tin tức - Sự kiện</h2>\n<div class="list-news">\n' + "\n".join(items) + "\n</div>\n"
        + (f'<ul class="pagination">{"".join(pager)}</ul>' if pager else "")
    )
    return _document(f"Tin tức - Sự kiện - {SITE_NAME}", main)


def listing(links: Iterable[tuple[str, ...]], next_url: str | None = None) -> Behaviour:
    """A listing page the generic spider reads by link shape: each item a headline link (the spider
    wants ≥ 25 characters and an article-like URL such as /tin-tuc/bai-viet-12345.html) with a date
    beside it; with `next_url`, a `rel=next` pager link (`?page=2`). `links` are (url, title) or
    (url, title, date shown)."""
    return page(listing_html(list(links), next_url))


def link_flood(n: int = 100_000, base: str = "/bai-viet/flood-") -> Behaviour:
    """One listing page with n headline links ({base}{i}.html); built on first request, then reused."""
    built: list[bytes] = []

    def serve(request: SeenRequest, connection: Connection) -> None:
        if not built:
            links = [(f"{base}{i}.html", f"Tin số {i}: hội nghị triển khai nhiệm vụ cải cách hành chính")
                     for i in range(1, n + 1)]
            built.append(listing_html(links).encode("utf-8"))
        connection.respond(200, built[0])
    return serve


LINKS_PER_PAGE = 10


def _paged(prefix: str, links_on: Callable[[int], list[tuple[str, str, str]]], articles_exist: bool) -> Behaviour:
    """Mount at f"{prefix}*": `prefix?page=N` is listing page N (no parameter: 1), with a next link to
    N+1 whatever N is; paths below `prefix` are its articles (an article page, or 404)."""
    def serve(request: SeenRequest, connection: Connection) -> None:
        if request.path.rstrip("/") != prefix.rstrip("/"):
            article_behaviour = article(_title_from_path(request.path)) if articles_exist else not_found()
            article_behaviour(request, connection)
            return
        number = request.param("page", "1")
        page_number = int(number) if number and number.isdigit() and int(number) > 0 else 1
        body = listing_html(links_on(page_number), f"?page={page_number + 1}", page_number=page_number)
        connection.respond(200, body)
    return serve


def _title_from_path(path: str) -> str:
    slug = path.rsplit("/", 1)[-1].removesuffix(".html")
    return f"Bài viết {slug} trên cổng thông tin điện tử của tỉnh"


def endless_pages(prefix: str = "/tin-tuc", articles_exist: bool = False) -> Behaviour:
    """Mount at f"{prefix}*". Every ?page=N answers 10 links never seen before (their URLs contain
    N, dated a day older per page) and a link to N+1: a pager without end."""
    def links_on(page_number: int) -> list[tuple[str, str, str]]:
        days_back = min(page_number - 1, (LISTING_DAY - OLDEST_LISTING_DAY).days)
        shown = f"{LISTING_DAY - timedelta(days=days_back):%d/%m/%Y}"
        return [(f"{prefix}/trang-{page_number}-bai-{k}.html",
                 f"Tin trang {page_number} số {k}: hoạt động của các sở, ban, ngành trong tỉnh", shown)
                for k in range(1, LINKS_PER_PAGE + 1)]
    return _paged(prefix, links_on, articles_exist)


def repeating_pages(prefix: str = "/lich", articles_exist: bool = False) -> Behaviour:
    """Mount at f"{prefix}*". Every ?page=N answers the same 10 links and a link to N+1: the
    calendar that never ends."""
    def links_on(page_number: int) -> list[tuple[str, str, str]]:
        return [(f"{prefix}/su-kien-{k}.html", f"Lịch công tác số {k} của lãnh đạo Ủy ban nhân dân tỉnh",
                 f"{LISTING_DAY:%d/%m/%Y}") for k in range(1, LINKS_PER_PAGE + 1)]
    return _paged(prefix, links_on, articles_exist)


# --- error pages and login walls -------------------------------------------------------------------------


def soft_404() -> Behaviour:
    """An error page answered with status 200, as Vietnamese CMSs do for removed articles."""
    main = ('<div class="error-page">\n  <h1>Trang bạn yêu cầu không tồn tại</h1>\n'
            '  <p>Đường dẫn có thể đã bị thay đổi hoặc bài viết đã bị gỡ bỏ.</p>\n'
            '  <p><a href="/">Quay lại trang chủ</a></p>\n</div>')
    return page(_document("Không tìm thấy trang", main))


def login_redirect(login_path: str = "/dang-nhap") -> Behaviour:
    """302 to `login_path?ReturnUrl=<the path and query asked for>`, as ASP.NET forms authentication does."""
    def serve(request: SeenRequest, connection: Connection) -> None:
        redirect(f"{login_path}?ReturnUrl={quote(request.target, safe='')}")(request, connection)
    return serve


def login_page() -> Behaviour:
    main = (
        '<div class="login-box">\n  <h1>Đăng nhập</h1>\n'
        '  <form method="post" action="/dang-nhap">\n'
        '    <label>Tên đăng nhập <input type="text" name="username"></label>\n'
        '    <label>Mật khẩu <input type="password" name="password"></label>\n'
        '    <button type="submit">Đăng nhập</button>\n  </form>\n</div>'
    )
    return page(_document("Đăng nhập hệ thống", main))


# --- articles, sound and broken -------------------------------------------------------------------------


def article(title: str = DEFAULT_TITLE, published: str = DEFAULT_PUBLISHED,
            body_paragraphs: Iterable[str] | None = None, author: str = DEFAULT_AUTHOR, lead: str = "") -> Behaviour:
    """A sound article page of the generic platform; crawler/extract.py reads its title, date, body and author."""
    return page(_article_document(ArticleText.of(title, published, body_paragraphs, author, lead)))


TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")
CHARSET_ENCODERS: dict[str, Callable[[str], bytes]] = {}


def charset_mismatch(title: str = DEFAULT_TITLE, published: str = DEFAULT_PUBLISHED,
                     body_paragraphs: Iterable[str] | None = None, author: str = DEFAULT_AUTHOR, *,
                     declared: str = "utf-8", actual: str = "windows-1258", meta_charset: str | None = None) -> Behaviour:
    """The Content-Type header says `declared`; the bytes are in `actual`: "windows-1258" (as Word
    writes it: tone marks as combining characters), "tcvn3" (the .VnTime font's bytes; TCVN3 has no
    capital toned letters, so those come out small) or "utf-8" (say with declared="iso-8859-1").
    `<meta charset>` says `meta_charset` (default: the same as the header; "" for no meta)."""
    if actual not in CHARSET_ENCODERS:
        raise ValueError(f"actual encoding {actual!r} is not one of {', '.join(CHARSET_ENCODERS)}")
    text = ArticleText.of(title, published, body_paragraphs, author)
    document = _article_document(text, meta_charset=declared if meta_charset is None else meta_charset)
    return page(CHARSET_ENCODERS[actual](document), content_type=f"text/html; charset={declared}")


def windows_1258(text: str) -> bytes:
    """Vietnamese in windows-1258: each toned letter as its base letter (â, ơ, ư, đ... exist) and a combining tone."""
    letters = []
    for letter in unicodedata.normalize("NFC", text):
        parts = unicodedata.normalize("NFD", letter)
        tones = "".join(mark for mark in parts if mark in TONE_MARKS)
        base = unicodedata.normalize("NFC", "".join(mark for mark in parts if mark not in TONE_MARKS))
        letters.append(base + tones)
    return "".join(letters).encode("cp1258", errors="replace")


def tcvn3(text: str) -> bytes:
    """Vietnamese in TCVN3 (ABC, .VnTime): one byte per letter; letters TCVN3 lacks pass through."""
    table = _tcvn3_table()
    converted = "".join(table.get(letter) or table.get(letter.lower()) or letter
                        for letter in unicodedata.normalize("NFC", text))
    return converted.encode("cp1252", errors="replace")


def _tcvn3_table() -> dict[str, str]:
    """Unicode letter → TCVN3 character (read as cp1252), reversed from viparse's decoding table."""
    from viparse.normalize.tcvn3 import TCVN3
    return {unicode: legacy for legacy, unicode in TCVN3.pairs if len(unicode) == 1}


CHARSET_ENCODERS.update({"windows-1258": windows_1258, "tcvn3": tcvn3, "utf-8": lambda text: text.encode("utf-8")})


def nul_bytes_article(title: str = DEFAULT_TITLE, published: str = DEFAULT_PUBLISHED,
                      body_paragraphs: Iterable[str] | None = None, author: str = DEFAULT_AUTHOR, *,
                      every_words: int = 7) -> Behaviour:
    """An article whose body text has a NUL byte after every `every_words` words, and one between
    each paragraph (a CMS that stored UTF-16 fragments, or a database field padded with NULs)."""
    text = ArticleText.of(title, published, body_paragraphs, author)
    paragraphs = []
    for paragraph in text.paragraphs:
        words = escape(paragraph).split(" ")
        with_nuls = " ".join(word + ("\x00" if (i + 1) % every_words == 0 else "") for i, word in enumerate(words))
        paragraphs.append(f"<p>{with_nuls}</p>")
    return page(_article_document(text, "\x00\n".join(paragraphs)))


def deeply_nested_article(title: str = DEFAULT_TITLE, published: str = DEFAULT_PUBLISHED,
                          body_paragraphs: Iterable[str] | None = None, author: str = DEFAULT_AUTHOR, *,
                          depth: int = 5000, tag: str = "div") -> Behaviour:
    """An article whose paragraphs sit inside `depth` nested elements (generated markup gone wrong);
    the title and date stay at a normal depth."""
    text = ArticleText.of(title, published, body_paragraphs, author)
    nested = f"<{tag}>" * depth + text.body_html() + f"</{tag}>" * depth
    return page(_article_document(text, nested))


WORD_HEADER = (
    '<!--[if gte mso 9]><xml><w:WordDocument><w:View>Normal</w:View><w:Zoom>0</w:Zoom>'
    '<w:DoNotOptimizeForBrowser/></w:WordDocument></xml><![endif]-->'
    '<style><!-- p.MsoNormal {mso-style-parent:""; margin:0cm; font-size:12.0pt; font-family:"Times New Roman";} --></style>'
)


def broken_html_article(title: str = DEFAULT_TITLE, published: str = DEFAULT_PUBLISHED,
                        body_paragraphs: Iterable[str] | None = None, author: str = DEFAULT_AUTHOR) -> Behaviour:
    """An article pasted from Word into an old editor: conditional comments, `MsoNormal` paragraphs
    with mso styles and `<o:p>`, unclosed <p>, <b> and <font>, stray closing tags at the end."""
    text = ArticleText.of(title, published, body_paragraphs, author)
    paragraphs = []
    for index, paragraph in enumerate(text.paragraphs):
        words = escape(paragraph)
        if index % 3 == 0:
            paragraphs.append(
                "<p class=MsoNormal style='text-align:justify;text-indent:36.0pt;line-height:150%;"
                "mso-pagination:widow-orphan'><span lang=VI style='font-size:14.0pt;line-height:150%;"
                f"font-family:\"Times New Roman\",\"serif\";mso-fareast-font-family:\"Times New Roman\"'>{words}"
                "<o:p></o:p></span></p>")
        elif index % 3 == 1:
            paragraphs.append(f"<p align=justify><font face=\"Times New Roman\" size=3>{words}")  # never closed
        else:
            paragraphs.append(f"<p class=MsoNormal><b style='mso-bidi-font-weight:normal'>{words}</p>"
                              "<p class=MsoNormal><o:p>&nbsp;</o:p></p>")
    body = WORD_HEADER + "\n".join(paragraphs) + "\n</font></span></div></div></b>"
    return page(_article_document(text, body))


# --- the registry ---------------------------------------------------------------------------------------


def portal_entry(portal_id: str, domain: str, sections: Iterable[str], name: str | None = None,
                 province: str = "Ninh Bình") -> dict[str, Any]:
    """One entry of a portals file (crawler/registry.py `_portal`): a live generic portal.
    A section given as a path ("/tin-tuc") becomes https://<domain>/tin-tuc."""
    return {
        "id": portal_id,
        "name": name or f"Cổng thông tin điện tử thử nghiệm {portal_id}",
        "province": province,
        "province_2025": province,
        "domains": [domain],
        "platform": "generic",
        "status": "live",
        "sections": [section if "://" in section else f"https://{domain}{section}" for section in sections],
    }


def write_portals_file(path: str | Path, entries: Iterable[dict[str, Any]]) -> Path:
    """Write entries as a YAML list (what `vnarchive crawl --portals-file` reads); returns the path."""
    path = Path(path)
    path.write_text(yaml.safe_dump(list(entries), allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path

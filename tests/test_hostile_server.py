"""The hostile server (tests/hostile.py) does what each behaviour says, as a plain client sees it.

Clients here are the standard library's (sockets, http.client, ssl), so that a fault test failing
later points at the crawler, not at the server. Pages meant for the crawler are also read with
the project's own readers (the extractor, the generic spider's listing hooks, the page checks).
"""

from __future__ import annotations

import http.client
import socket
import ssl
import time
import unicodedata
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from urllib.robotparser import RobotFileParser
from xml.parsers import expat

import pytest
from scrapy.http import HtmlResponse

from tests import hostile

DOMAIN = "portal.test"
FETCHED_AT = datetime.fromisoformat("2026-11-23T10:00:00+07:00")
# Enough of a bomb to prove it explodes, little enough to stay fast.
BOMB_READ_LIMIT = 64 * hostile.MiB
# Deflate's ceiling is about 1030:1; brotli and zstd go far beyond.
HUGE_RATIO = 500
# What "promptly" may take on a loaded machine; the failure it guards against takes forever.
STOP_BOUND_SECONDS = 10


# --- clients ------------------------------------------------------------------------------------------


@contextmanager
def serving(routes: dict, **options) -> Iterator[hostile.HostileServer]:
    """A server for one test; no behaviour may have raised by the end."""
    server = hostile.HostileServer(routes, **options)
    with server:
        yield server
    assert server.errors == []


def get(server: hostile.HostileServer, target: str, *, headers: dict | None = None, timeout: float = 10,
        context: ssl.SSLContext | None = None) -> tuple[int, http.client.HTTPMessage, bytes]:
    """(status, headers, body) of one GET; http.client neither decompresses nor follows redirects."""
    if server.tls:
        connection = http.client.HTTPSConnection(server.host, server.port, timeout=timeout,
                                                 context=context or unverified())
    else:
        connection = http.client.HTTPConnection(server.host, server.port, timeout=timeout)
    try:
        connection.request("GET", target, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def unverified() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def send_request(server: hostile.HostileServer, target: str, timeout: float = 5) -> socket.socket:
    sock = socket.create_connection((server.host, server.port), timeout=timeout)
    sock.sendall(f"GET {target} HTTP/1.1\r\nHost: {DOMAIN}\r\n\r\n".encode())
    return sock


def read_head(sock: socket.socket) -> tuple[str, dict[str, str], bytes]:
    """(status line, headers with lower-cased names, body bytes already read)."""
    buffer = b""
    while b"\r\n\r\n" not in buffer:
        chunk = sock.recv(1)
        assert chunk, f"connection closed inside the head: {buffer!r}"
        buffer += chunk
    head, _, rest = buffer.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    return status_line, {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in lines)}, rest


def read_to_end(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def wait_for(condition, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "waited in vain"
        time.sleep(0.01)


def as_response(url: str, body: bytes, headers=None) -> HtmlResponse:
    return HtmlResponse(url=url, body=body, headers=headers or {"Content-Type": hostile.HTML})


# --- the server itself -------------------------------------------------------------------------------


def test_a_page_is_answered_with_its_status_headers_and_true_length():
    with serving({"/": hostile.page("<h1>Xin chào</h1>", status=201, headers={"X-Portal": "thu-nghiem"})}) as server:
        status, headers, body = get(server, "/")
    assert (status, body.decode()) == (201, "<h1>Xin chào</h1>")
    assert headers["Content-Length"] == str(len(body))
    assert headers["Connection"] == "close"
    assert headers["X-Portal"] == "thu-nghiem"


def test_addresses_name_the_bound_port():
    with serving({}) as server:
        assert server.port > 0
        assert server.address == f"127.0.0.1:{server.port}"
        assert server.base_url == f"http://127.0.0.1:{server.port}"
        assert server.url("/tin-tuc") == f"http://127.0.0.1:{server.port}/tin-tuc"


def test_every_request_is_recorded():
    with serving({"*": hostile.page("ok")}) as server:
        before = time.monotonic()
        get(server, "/tin-tuc?page=2&x=1", headers={"Host": DOMAIN, "User-Agent": "vnarchive-test"})
        connection = http.client.HTTPConnection(server.host, server.port, timeout=5)
        connection.request("POST", "/Pages/news.aspx", body=b"__VIEWSTATE=abc", headers={"Host": DOMAIN})
        connection.getresponse().read()
        connection.close()
        after = time.monotonic()
    first, second = server.requests
    assert (first.method, first.path, first.query) == ("GET", "/tin-tuc", "page=2&x=1")
    assert first.param("page") == "2" and first.target == "/tin-tuc?page=2&x=1"
    assert first.headers["user-agent"] == "vnarchive-test"
    assert first.host_header == DOMAIN
    assert before <= first.at <= second.at <= after
    assert (second.method, second.body) == ("POST", b"__VIEWSTATE=abc")
    assert server.requests_to("/tin-tuc") == [first]


def test_exact_routes_win_then_the_longest_prefix_then_404():
    routes = {"/a": hostile.page("exact"), "/a*": hostile.page("prefix a"), "/a/b*": hostile.page("prefix a/b")}
    with serving(routes) as server:
        assert get(server, "/a?page=3")[2] == b"exact"
        assert get(server, "/a/x")[2] == b"prefix a"
        assert get(server, "/a/b/c")[2] == b"prefix a/b"
        assert get(server, "/khac")[0] == 404
        server.routes["*"] = hostile.page("everything else")
        server.routes["/a"] = hostile.page("changed")
        assert get(server, "/khac")[2] == b"everything else"
        assert get(server, "/a")[2] == b"changed"


def test_an_unreadable_request_gets_400():
    with serving({}) as server:
        sock = socket.create_connection((server.host, server.port), timeout=5)
        sock.sendall(b"NOT HTTP AT ALL\r\n\r\n")
        assert read_to_end(sock).startswith(b"HTTP/1.1 400 ")
        sock.close()


def test_servers_bind_other_loopback_addresses_even_on_the_same_port():
    with serving({"/": hostile.page("hai")}, host="127.0.0.2") as second:
        with serving({"/": hostile.page("ba")}, host="127.0.0.3", port=second.port) as third:
            assert second.address == f"127.0.0.2:{second.port}"
            assert get(second, "/")[2] == b"hai"
            assert get(third, "/")[2] == b"ba"


def test_a_hanging_connection_blocks_no_other():
    with serving({"/hang": hostile.hang(), "/": hostile.page("ok")}) as server:
        hanging = send_request(server, "/hang")
        wait_for(lambda: len(server.requests) == 1)  # the hanging request is in
        assert get(server, "/", timeout=30)[2] == b"ok"  # and this one is answered while it hangs
        hanging.close()


def test_stopping_is_prompt_with_hanging_dripping_and_silent_clients():
    server = hostile.HostileServer({"/hang": hostile.hang(), "/drip": hostile.drip("x" * 1000)}).start()
    hanging = send_request(server, "/hang")
    dripping = send_request(server, "/drip")
    silent = socket.create_connection((server.host, server.port), timeout=5)
    read_head(dripping)
    wait_for(lambda: len(server.requests) == 2)
    started = time.monotonic()
    server.stop()
    # Waiting for those clients would be waiting forever; a stop that ignores them takes a tick.
    assert time.monotonic() - started < STOP_BOUND_SECONDS
    for client in (hanging, silent):
        client.settimeout(2)
        try:
            assert client.recv(1) == b""
        except ConnectionResetError:
            pass
        client.close()
    dripping.close()
    assert server.errors == []


# --- TLS -----------------------------------------------------------------------------------------------


def test_tls_handshake_works_unverified_and_fails_verified():
    with serving({"/": hostile.page("bảo mật")}, tls=True, tls_hostnames=(DOMAIN,)) as server:
        assert server.base_url == f"https://127.0.0.1:{server.port}"
        assert get(server, "/")[2] == "bảo mật".encode()
        with pytest.raises(ssl.SSLCertVerificationError):
            get(server, "/", context=ssl.create_default_context())


def test_tls_certificate_is_self_signed_for_the_given_names_and_loopback():
    with serving({"/": hostile.page("ok")}, tls=True, tls_hostnames=(DOMAIN, f"www.{DOMAIN}")) as server:
        trusting = ssl.create_default_context(cadata=server.certificate_pem)
        for name in (DOMAIN, f"www.{DOMAIN}", "127.0.0.1"):
            with socket.create_connection((server.host, server.port), timeout=5) as raw:
                with trusting.wrap_socket(raw, server_hostname=name) as tls:
                    assert tls.version().startswith("TLS")
        with pytest.raises(ssl.SSLCertVerificationError, match="mismatch"):
            with socket.create_connection((server.host, server.port), timeout=5) as raw:
                trusting.wrap_socket(raw, server_hostname="khac.test")


def test_an_expired_certificate_is_refused_by_a_verifying_client():
    with serving({"/": hostile.page("ok")}, tls=True, tls_hostnames=(DOMAIN,), tls_expired=True) as server:
        trusting = ssl.create_default_context(cadata=server.certificate_pem)
        with pytest.raises(ssl.SSLCertVerificationError, match="expired"):
            with socket.create_connection((server.host, server.port), timeout=5) as raw:
                trusting.wrap_socket(raw, server_hostname=DOMAIN)
        assert get(server, "/")[2] == b"ok"


def test_a_tls_client_that_never_handshakes_does_not_delay_stopping():
    server = hostile.HostileServer({}, tls=True).start()
    silent = socket.create_connection((server.host, server.port), timeout=5)
    time.sleep(0.1)
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < STOP_BOUND_SECONDS
    silent.close()


# --- sizes, lengths and time -----------------------------------------------------------------------------


def inflate(encoding: str, data: bytes, limit: int) -> bytes:
    """At most `limit` bytes of what `data` decompresses to."""
    if encoding in ("gzip", "deflate"):
        return zlib.decompressobj(31 if encoding == "gzip" else 15).decompress(data, limit)
    if encoding == "zstd":
        from backports import zstd
        return zstd.ZstdDecompressor().decompress(data, max_length=limit)
    import brotli
    decompressor, pieces, size = brotli.Decompressor(), [], 0
    piece = decompressor.process(data, output_buffer_limit=hostile.MiB)
    while piece and size < limit:
        pieces.append(piece)
        size += len(piece)
        piece = decompressor.process(b"", output_buffer_limit=hostile.MiB) if not decompressor.is_finished() else b""
    return b"".join(pieces)[:limit]


@pytest.mark.parametrize("encoding", hostile.BOMB_ENCODINGS)
def test_a_bomb_is_small_on_the_wire_and_huge_inflated(encoding):
    with serving({"/": hostile.bomb(encoding)}) as server:
        status, headers, body = get(server, "/")
    assert status == 200
    assert headers["Content-Encoding"] == encoding
    assert headers["Content-Length"] == str(len(body))
    inflated = inflate(encoding, body, BOMB_READ_LIMIT)
    assert len(inflated) == BOMB_READ_LIMIT
    assert inflated.startswith(b"<!DOCTYPE html>")
    assert 512 * hostile.MiB / len(body) > HUGE_RATIO


@pytest.mark.parametrize("encoding", hostile.BOMB_ENCODINGS)
def test_a_small_bomb_inflates_to_exactly_its_size(encoding):
    size = 3 * hostile.MiB + 123
    inflated = inflate(encoding, hostile.compressed_bomb(encoding, size), size + 1)
    assert len(inflated) == size
    assert inflated.endswith(b"</html>\n")


def test_bombs_are_built_once():
    assert hostile.compressed_bomb("zstd") is hostile.compressed_bomb("zstd")


def test_a_big_page_has_the_size_it_announces():
    with serving({"/": hostile.big()}) as server:
        status, headers, body = get(server, "/")
    assert headers["Content-Length"] == "50000000"
    assert len(body) == 50_000_000
    assert body.startswith(b"<!DOCTYPE html>") and body.endswith(b"</html>\n")


def test_a_big_page_without_length_ends_by_closing():
    with serving({"/": hostile.big(size=3_000_000, content_length=False)}) as server:
        sock = send_request(server, "/")
        status_line, headers, rest = read_head(sock)
        body = rest + read_to_end(sock)
        sock.close()
    assert status_line == "HTTP/1.1 200 OK"
    assert "content-length" not in headers and "transfer-encoding" not in headers
    assert len(body) == 3_000_000


def test_a_client_leaving_a_big_page_early_is_no_error():
    with serving({"/": hostile.big(), "/ok": hostile.page("ok")}) as server:
        sock = send_request(server, "/")
        read_head(sock)
        sock.recv(65536)
        sock.close()
        assert get(server, "/ok")[2] == b"ok"


def test_a_short_body_closes_before_its_length():
    body = "<html><body><p>Nội dung bị cắt</p>"
    with serving({"/": hostile.short_body(body)}) as server:
        sock = send_request(server, "/")
        status_line, headers, rest = read_head(sock)
        received = rest + read_to_end(sock)
        sock.close()
        with pytest.raises(http.client.IncompleteRead) as cut:
            get(server, "/")
    assert int(headers["content-length"]) == len(body.encode()) + 10_000
    assert received == body.encode()
    assert cut.value.partial == body.encode()


def test_drip_sends_about_one_byte_a_second():
    with serving({"/": hostile.drip("<html>chậm</html>")}) as server:
        sock = send_request(server, "/")
        status_line, headers, rest = read_head(sock)
        started = time.monotonic()
        received = rest
        while len(received) < 3:
            received += sock.recv(1)
        elapsed = time.monotonic() - started
        sock.close()
    assert status_line == "HTTP/1.1 200 OK"
    assert received == b"<ht"
    assert 1.9 <= elapsed < 2 + STOP_BOUND_SECONDS  # bytes at 0 s, 1 s, 2 s; a loaded machine only adds


def test_drip_can_drip_the_headers_too():
    with serving({"/": hostile.drip("x", bytes_per_second=20, headers_first=False)}) as server:
        sock = send_request(server, "/")
        started = time.monotonic()
        received = b""
        while len(received) < len(b"HTTP/1.1 200 OK"):
            received += sock.recv(1)
        elapsed = time.monotonic() - started
        sock.close()
    assert received == b"HTTP/1.1 200 OK"
    assert elapsed >= 14 / 20 - 0.05


def test_hang_never_answers():
    with serving({"/": hostile.hang()}) as server:
        sock = send_request(server, "/", timeout=1)
        with pytest.raises(socket.timeout):
            sock.recv(1)
        sock.close()
        assert [request.path for request in server.requests] == ["/"]


# --- redirects, errors, robots.txt, sitemaps ---------------------------------------------------------------


def test_redirect_sends_location_and_cookie():
    with serving({"/": hostile.redirect("/trang-chu", status=301, set_cookie="ASP.NET_SessionId=abc; path=/")}) as server:
        status, headers, _ = get(server, "/")
    assert (status, headers["Location"], headers["Set-Cookie"]) == (301, "/trang-chu", "ASP.NET_SessionId=abc; path=/")


def test_always_answers_the_same_error_everywhere():
    with serving({"*": hostile.always(retry_after=120)}) as server:
        for target in ("/", "/robots.txt", "/tin-tuc?page=9"):
            status, headers, body = get(server, target)
            assert (status, headers["Retry-After"], body) == (503, "120", b"Service Unavailable")


def test_robots_serves_its_text():
    with serving({"/robots.txt": hostile.robots("User-agent: *\nDisallow: /admin\n")}) as server:
        status, headers, body = get(server, "/robots.txt")
    assert (status, body) == (200, b"User-agent: *\nDisallow: /admin\n")
    assert headers["Content-Type"].startswith("text/plain")


def test_a_huge_robots_txt_is_valid_and_disallows_first():
    with serving({"/robots.txt": hostile.robots_huge()}) as server:
        _, headers, body = get(server, "/robots.txt")
    assert len(body) == int(headers["Content-Length"]) == 10_000_000
    assert body.startswith(b"User-agent: *\nDisallow: /private\n")
    lines = body.decode().splitlines()
    assert all(line.startswith("#") for line in lines[2:])
    rules = RobotFileParser()
    rules.parse(lines)
    assert not rules.can_fetch("vnarchive", f"http://{DOMAIN}/private/bao-cao.html")
    assert rules.can_fetch("vnarchive", f"http://{DOMAIN}/tin-tuc")


def sitemap_urls(body: bytes) -> int:
    """How many <url> elements a well-formed sitemap has, read without expanding any entity
    (expat inhibits expansion when a DefaultHandler is set; lxml 6 refuses the billion laughs outright)."""
    parser = expat.ParserCreate(namespace_separator=" ")
    names: list[str] = []
    parser.StartElementHandler = lambda name, attributes: names.append(name)
    parser.DefaultHandler = lambda data: None
    parser.Parse(body, True)
    return names.count("http://www.sitemaps.org/schemas/sitemap/0.9 url")


def test_the_xxe_sitemap_points_a_loc_at_a_local_file():
    with serving({"/sitemap.xml": hostile.sitemap_xxe()}) as server:
        _, headers, body = get(server, "/sitemap.xml", headers={"Host": DOMAIN})
    text = body.decode()
    assert '<!ENTITY xxe SYSTEM "file:///etc/passwd">' in text
    assert "<loc>&xxe;</loc>" in text
    assert f"<loc>http://{DOMAIN}/tin-tuc/bai-viet-20001.html</loc>" in text
    assert sitemap_urls(body) == 2
    assert headers["Content-Type"].startswith("application/xml")


def test_the_billion_laughs_sitemap_nests_nine_levels():
    with serving({"/sitemap.xml": hostile.sitemap_billion_laughs(f"https://{DOMAIN}/tin-tuc/bai-viet-1.html")}) as server:
        body = get(server, "/sitemap.xml")[2]
    text = body.decode()
    assert '<!ENTITY lol9 "' + "&lol8;" * 10 + '">' in text
    assert '<!ENTITY lol1 "' + "&lol;" * 10 + '">' in text
    assert "<loc>&lol9;</loc>" in text
    assert f"<loc>https://{DOMAIN}/tin-tuc/bai-viet-1.html</loc>" in text
    assert sitemap_urls(body) == 2


# --- listings, read as the generic spider reads them ---------------------------------------------------


@pytest.fixture(scope="module")
def registered_portal(tmp_path_factory):
    """A portal made from portal_entry through a portals file, as the crawl will read it."""
    from crawler.registry import load_registry
    path = tmp_path_factory.mktemp("portals") / "hostile.yml"
    hostile.write_portals_file(path, [hostile.portal_entry("hostile_test", DOMAIN, ["/tin-tuc"])])
    return load_registry(path).get("hostile_test")


@pytest.fixture(scope="module")
def generic_reader(registered_portal):
    """The generic spider's listing hooks, without a crawl."""
    from crawler.selectors import CompiledSelectors
    from spiders.generic import GenericSpider

    class ListingReader(GenericSpider):
        name = "hostile_listing_reader"
        portal_id = "hostile_test"

    reader = ListingReader()
    reader.portal = registered_portal
    reader.selectors = CompiledSelectors.of(registered_portal.selectors)
    return reader


def test_portal_entry_is_a_valid_registry_entry(registered_portal):
    assert registered_portal.domains == (DOMAIN,)
    assert (registered_portal.platform, registered_portal.status) == ("generic", "live")
    assert [section.url for section in registered_portal.sections] == [f"https://{DOMAIN}/tin-tuc"]


def read_listing(server, reader, target: str, page_number: int) -> tuple[list[str], str | None]:
    """(article URLs, next page URL) as the generic spider reads the page at `target`."""
    status, headers, body = get(server, target)
    assert status == 200
    response = as_response(f"https://{DOMAIN}{target}", body)
    return [entry.url for entry in reader.listing_entries(response)], reader.next_listing_url(response, page_number)


def test_a_listing_is_read_by_the_generic_spider(generic_reader):
    links = [(f"/tin-tuc/bai-viet-{n}.html", f"Hội nghị triển khai nhiệm vụ năm 2027 lần thứ {n}") for n in (12345, 12346)]
    with serving({"/tin-tuc": hostile.listing(links, next_url="?page=2")}) as server:
        urls, next_url = read_listing(server, generic_reader, "/tin-tuc", 1)
    assert urls == [f"https://{DOMAIN}/tin-tuc/bai-viet-12345.html", f"https://{DOMAIN}/tin-tuc/bai-viet-12346.html"]
    assert next_url == f"https://{DOMAIN}/tin-tuc?page=2"


def test_a_link_flood_is_one_page_of_headline_links(generic_reader):
    with serving({"/": hostile.link_flood(n=2000)}) as server:
        urls, next_url = read_listing(server, generic_reader, "/", 1)
    assert len(set(urls)) == 2000
    assert urls[0] == f"https://{DOMAIN}/bai-viet/flood-1.html"
    assert next_url is None


def test_endless_pages_bring_new_links_on_every_page(generic_reader):
    with serving({"/tin-tuc*": hostile.endless_pages()}) as server:
        first, first_next = read_listing(server, generic_reader, "/tin-tuc", 1)
        seventh, seventh_next = read_listing(server, generic_reader, "/tin-tuc?page=7", 7)
        assert get(server, "/tin-tuc/trang-7-bai-1.html")[0] == 404
    assert len(first) == len(seventh) == 10
    assert not set(first) & set(seventh)
    assert all("trang-7-" in url for url in seventh)
    assert (first_next, seventh_next) == (f"https://{DOMAIN}/tin-tuc?page=2", f"https://{DOMAIN}/tin-tuc?page=8")


def test_endless_pages_can_answer_their_articles():
    with serving({"/tin-tuc*": hostile.endless_pages(articles_exist=True)}) as server:
        status, _, body = get(server, "/tin-tuc/trang-7-bai-1.html")
    assert status == 200
    assert "<h1 class=\"article-title\">Bài viết trang-7-bai-1" in body.decode()


def test_repeating_pages_show_the_same_links_forever(generic_reader):
    with serving({"/lich*": hostile.repeating_pages()}) as server:
        third, _ = read_listing(server, generic_reader, "/lich?page=3", 3)
        fourth, fourth_next = read_listing(server, generic_reader, "/lich?page=4", 4)
    assert len(third) == 10 and third == fourth
    assert fourth_next == f"https://{DOMAIN}/lich?page=5"


# --- error pages and login walls, read by the crawler's page checks -------------------------------------


def test_a_soft_404_answers_200_and_reads_as_an_error_page():
    from crawler.pagechecks import soft_404
    with serving({"/": hostile.soft_404(), "/bai": hostile.article()}) as server:
        status, _, body = get(server, "/")
        article_body = get(server, "/bai")[2]
    assert status == 200
    assert "Không tìm thấy trang" in body.decode()
    assert soft_404(as_response(f"https://{DOMAIN}/tin-tuc/bai-viet-1.html", body), [])
    assert soft_404(as_response(f"https://{DOMAIN}/tin-tuc/bai-viet-2.html", article_body), []) is None


def test_login_redirect_carries_the_original_path():
    with serving({"*": hostile.login_redirect()}) as server:
        status, headers, _ = get(server, "/tin-tuc/bai-viet-1.html?id=3")
    assert (status, headers["Location"]) == (302, "/dang-nhap?ReturnUrl=%2Ftin-tuc%2Fbai-viet-1.html%3Fid%3D3")


def test_the_login_page_is_a_login_form():
    from crawler.pagechecks import login_wall
    with serving({"/dang-nhap": hostile.login_page()}) as server:
        status, _, body = get(server, "/dang-nhap")
    assert status == 200 and b'type="password"' in body
    assert login_wall(as_response(f"https://{DOMAIN}/tin-tuc/bai-viet-1.html", body), [])


# --- articles ----------------------------------------------------------------------------------------------

TITLE = "Tỉnh tổ chức hội nghị tổng kết công tác dân vận chính quyền năm 2026"
LEAD = "Sáng 22/11, Ủy ban nhân dân tỉnh tổ chức hội nghị tổng kết công tác dân vận chính quyền năm 2026."


def test_an_article_is_extracted_with_title_date_body_and_author():
    from crawler.extract import extract_page
    with serving({"/tin-tuc/bai-viet-12345.html": hostile.article(TITLE, lead=LEAD)}) as server:
        _, headers, body = get(server, "/tin-tuc/bai-viet-12345.html")
    record = extract_page(body, f"https://{DOMAIN}/tin-tuc/bai-viet-12345.html", None, FETCHED_AT,
                          content_type=headers["Content-Type"])
    assert record.title == TITLE
    assert (record.published_at, record.date_source) == ("2026-11-23T08:30:00+07:00", "selector:dmy-time")
    assert record.body.split("\n\n") == list(hostile.DEFAULT_PARAGRAPHS)
    assert (record.author, record.lead) == ("Minh Anh", LEAD)
    assert record.warnings == []


def article_bytes(behaviour) -> tuple[http.client.HTTPMessage, bytes]:
    with serving({"/": behaviour}) as server:
        _, headers, body = get(server, "/")
    return headers, body


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def test_windows_1258_bytes_under_a_utf8_header():
    headers, body = article_bytes(hostile.charset_mismatch())
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert b'<meta charset="utf-8">' in body
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    text = nfc(body.decode("cp1258"))
    assert hostile.DEFAULT_TITLE in text and all(p in text for p in hostile.DEFAULT_PARAGRAPHS)


def test_tcvn3_bytes_under_a_utf8_header():
    import viparse
    headers, body = article_bytes(hostile.charset_mismatch(actual="tcvn3"))
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    text = viparse.fix(body.decode("cp1252"), encoding="tcvn3").lower()  # TCVN3 has no capital toned letters
    assert hostile.DEFAULT_TITLE.lower() in text and all(p.lower() in text for p in hostile.DEFAULT_PARAGRAPHS)


def test_utf8_bytes_under_a_latin1_header():
    headers, body = article_bytes(hostile.charset_mismatch(declared="iso-8859-1", actual="utf-8", meta_charset=""))
    assert headers["Content-Type"] == "text/html; charset=iso-8859-1"
    assert b"<meta charset" not in body
    assert hostile.DEFAULT_TITLE in body.decode("utf-8")


def test_nul_bytes_are_the_only_difference_from_the_sound_article():
    _, sound = article_bytes(hostile.article())
    _, with_nuls = article_bytes(hostile.nul_bytes_article())
    assert with_nuls.count(b"\x00") >= len(hostile.DEFAULT_PARAGRAPHS)
    assert with_nuls.replace(b"\x00", b"") == sound


def test_a_deeply_nested_article_keeps_its_text_inside_the_nesting():
    _, body = article_bytes(hostile.deeply_nested_article(depth=5000))
    text = body.decode()
    inside = text.index("<div>" * 5000 + "<p>")
    assert text.count("<div>") == 5000 and text.count("</div>") >= 5000
    assert text.index(f">{hostile.DEFAULT_TITLE}</h1>") < inside
    assert all(text.index(p) > inside for p in hostile.DEFAULT_PARAGRAPHS)


def test_a_broken_word_article_keeps_title_date_and_text():
    _, body = article_bytes(hostile.broken_html_article())
    text = body.decode()
    for junk in ("<o:p>", "mso-", "class=MsoNormal", "<![endif]-->", "</font></span></div></div></b>"):
        assert junk in text
    assert f">{hostile.DEFAULT_TITLE}</h1>" in text and f">{hostile.DEFAULT_PUBLISHED}</span>" in text
    assert all(p in text for p in hostile.DEFAULT_PARAGRAPHS)


def test_write_portals_file_writes_the_entries_as_yaml(tmp_path: Path):
    import yaml
    entries = [hostile.portal_entry("mot", "mot.test", ["https://mot.test/"]), hostile.portal_entry("hai", "hai.test", ["/"])]
    path = hostile.write_portals_file(tmp_path / "portals.yml", entries)
    assert yaml.safe_load(path.read_text(encoding="utf-8")) == entries
    assert "Cổng thông tin" in path.read_text(encoding="utf-8")

"""Hostile and broken portals: one real crawl of fifteen misbehaving servers on 127.0.0.x.

Every portal here comes from a portals file (`vnarchive crawl --portals-file`) and is served by
tests/hostile.py on its own 127.0.0.x server. The crawl runs once, into an archive that already
holds a replica portal's articles; each test then asserts what happened to one fault: the crawl
finished, the archive kept what it had (`PRAGMA integrity_check`, the same rows), and the run's
counts say what was refused and why. No request goes anywhere but 127.0.0.x.
"""

from __future__ import annotations

import json
import shutil
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from crawler.registry import EXTRA_PORTALS_ENV
from tests import hostile
from tests.conftest import rows, run_vnarchive

# Timeouts short enough for a test; every limit and cap as in production. The Authorization
# header plays an operator's credentials, which must not follow a redirect to another host.
CRAWL_SETTINGS = ["DOWNLOAD_TIMEOUT=10", "ROBOTSTXT_TIMEOUT=2", "RETRY_TIMES=1", "DOWNLOAD_DELAY=0",
                  "AUTOTHROTTLE_ENABLED=false",
                  'DEFAULT_REQUEST_HEADERS={"Authorization": "Basic dGVzdDp0ZXN0", "Accept": "text/html"}']
ALLOW_ALL = "User-agent: *\nAllow: /\n"
BASELINE_PORTAL = "hanam"
FAILING_ARTICLES = 200


def path_of(name: str) -> str:
    return f"/tin-tuc/{name}-12345.html"


def headline(name: str) -> str:
    return f"Bài viết {name} trên cổng thông tin điện tử của tỉnh"


def good(name: str) -> hostile.Behaviour:
    return hostile.article(headline(name), body_paragraphs=[
        f"Đoạn {i} của bài {name}: công tác dân vận chính quyền được triển khai đồng bộ ở cơ sở." for i in range(6)])


def listing_of(names: list[str], extra: list[tuple[str, str]] = ()) -> hostile.Behaviour:
    return hostile.listing([(path_of(name), headline(name)) for name in names] + list(extra))


def cut_before_end(request, connection) -> None:
    """Half an article, no length announced, then the connection closes (a server that died mid-page)."""
    document = hostile._article_document(hostile.ArticleText.of(headline("cut-off"), hostile.DEFAULT_PUBLISHED,
                                                                None, hostile.DEFAULT_AUTHOR))
    connection.send_head(200, {"Content-Type": "text/html; charset=utf-8"})
    connection.send(document.encode("utf-8")[: len(document) // 2])


@dataclass
class FaultPortal:
    """A test portal: its server, domains and sections (paths on its first domain)."""

    id: str
    server: hostile.HostileServer
    sections: list[str]
    domains: list[str] = field(default_factory=list)
    sitemaps: list[str] = field(default_factory=list)

    @property
    def domain(self) -> str:
        return self.domains[0] if self.domains else f"{self.id}.test"

    def entry(self) -> dict:
        entry = hostile.portal_entry(self.id, self.domain, self.sections)
        entry["domains"] = self.domains or [self.domain]
        if self.sitemaps:
            entry["sitemaps"] = [f"https://{self.domain}{path}" for path in self.sitemaps]
        return entry

    def hostmap(self) -> list[str]:
        return [f"{domain}={self.server.base_url}" for domain in self.domains or [self.domain]]


def fault_servers(internal: hostile.HostileServer) -> dict[str, tuple[dict, dict]]:
    """portal id → (server options, routes)."""
    content_faults = {
        "/robots.txt": hostile.robots(ALLOW_ALL),
        "/": hostile.page("<html><head><title>Cổng thông tin điện tử</title></head><body><h1>Trang chủ</h1></body></html>"),
        "/tin-tuc": listing_of(
            ["good-1", "good-2", "bomb-gzip", "bomb-deflate", "bomb-br", "bomb-zstd", "big-length", "big-close",
             "short-body", "cut-off", "drip", "hang", "soft-404", "to-home", "login", "to-file", "to-data",
             "to-ftp", "to-internal", "nul-bytes", "nested", "word-html", "tcvn3", "cp1258", "latin1-header"],
            extra=[(path_of("good-1") + ";jsessionid=0A1B2C3D", headline("good-1") + " (phiên 1)"),
                   (path_of("good-1") + "?sid=77ab", headline("good-1") + " (phiên 2)")]),
        "/chuyen-huong-noi-bo": hostile.redirect(f"http://127.0.0.2:{internal.port}/noi-bo"),
        "/chuyen-huong-localhost": hostile.redirect(f"http://localhost:{internal.port}/noi-bo"),
        path_of("good-1"): good("good-1"), path_of("good-2"): good("good-2"),
        **{path_of(f"bomb-{encoding}"): hostile.bomb(encoding) for encoding in ("gzip", "deflate", "br", "zstd")},
        path_of("big-length"): hostile.big(50_000_000, content_length=True),
        path_of("big-close"): hostile.big(50_000_000, content_length=False),
        path_of("short-body"): hostile.short_body(b"<html><head><title>x</title></head><body><h1>Tin ng"),
        path_of("cut-off"): cut_before_end,
        path_of("drip"): hostile.drip(b"<html><body>" + b"x" * 100 + b"</body></html>"),
        path_of("hang"): hostile.hang(),
        path_of("soft-404"): hostile.soft_404(),
        path_of("to-home"): hostile.redirect("/"),
        path_of("login"): hostile.login_redirect("/dang-nhap"),
        "/dang-nhap": hostile.login_page(),
        path_of("to-file"): hostile.redirect("file:///etc/passwd"),
        path_of("to-data"): hostile.redirect("data:text/html;base64,PGgxPlRpbiBnaeG6oyDEkcaw4bujYyBjaMOobiB2w6BvPC9oMT4="),
        path_of("to-ftp"): hostile.redirect("ftp://127.0.0.1/tin-tuc.html"),
        path_of("to-internal"): hostile.redirect(f"http://127.0.0.2:{internal.port}/noi-bo"),
        path_of("nul-bytes"): hostile.nul_bytes_article(headline("nul-bytes")),
        path_of("nested"): hostile.deeply_nested_article(headline("nested"), depth=5000),
        path_of("word-html"): hostile.broken_html_article(headline("word-html")),
        path_of("tcvn3"): hostile.charset_mismatch(headline("tcvn3"), actual="tcvn3"),
        path_of("cp1258"): hostile.charset_mismatch(headline("cp1258"), actual="windows-1258"),
        path_of("latin1-header"): hostile.charset_mismatch(headline("latin1-header"), declared="iso-8859-1",
                                                           actual="utf-8"),
    }
    simple = {"/tin-tuc": listing_of(["good-1", "good-2"]), path_of("good-1"): good("good-1"),
              path_of("good-2"): good("good-2")}
    return {
        "faults": ({}, content_faults),
        "robots503": ({}, {"/robots.txt": hostile.always(503), **simple}),
        "robotshang": ({}, {"/robots.txt": hostile.hang(), **simple}),
        "robots404": ({}, {"/robots.txt": hostile.not_found(), **simple}),
        "robotshuge": ({}, {"/robots.txt": hostile.robots_huge(10_000_000, "/private"), **simple,
                            "/tin-tuc": listing_of(["good-1"], extra=[("/private/bai-mat-12345.html", headline("private"))]),
                            "/private/bai-mat-12345.html": good("private")}),
        "sitemaps": ({}, {"/robots.txt": hostile.not_found(), "/tin-tuc": listing_of(["good-1"]),
                          path_of("good-1"): good("good-1"),
                          "/sitemap-xxe.xml": hostile.sitemap_xxe(article_url=path_of("from-xxe-sitemap")),
                          "/sitemap-lol.xml": hostile.sitemap_billion_laughs(article_url=path_of("from-lol-sitemap")),
                          path_of("from-xxe-sitemap"): good("from-xxe-sitemap"),
                          path_of("from-lol-sitemap"): good("from-lol-sitemap")}),
        "flood": ({}, {"/robots.txt": hostile.not_found(), "/tin-tuc": hostile.link_flood(100_000)}),
        "endless": ({}, {"/robots.txt": hostile.not_found(), "/tin-tuc*": hostile.endless_pages("/tin-tuc")}),
        "calendar": ({}, {"/robots.txt": hostile.not_found(), "/lich*": hostile.repeating_pages("/lich")}),
        "down": ({}, {"*": hostile.always(503)}),
        "failing": ({}, {"/robots.txt": hostile.not_found(),
                         "/tin-tuc": listing_of([f"article-{n}" for n in range(FAILING_ARTICLES)]),
                         "*": hostile.always(503)}),
        "tls": ({"tls": True, "tls_hostnames": ("tls.test",)}, {"/robots.txt": hostile.not_found(), **simple}),
        "crosshost": ({}, {"/robots.txt": hostile.not_found(),
                           "/tin-tuc": hostile.page(hostile.listing_html([(path_of("moved"), headline("moved"))]),
                                                    headers={"Set-Cookie": "ASP.NET_SessionId=s3cr3t; path=/"}),
                           path_of("moved"): hostile.redirect(f"https://cdn.crosshost.test{path_of('moved')}")}),
    }


SECTIONS = {"calendar": ["/lich"], "faults": ["/tin-tuc", "/chuyen-huong-noi-bo", "/chuyen-huong-localhost"]}


@pytest.fixture(scope="module")
def baseline(replica, tmp_path_factory):
    """An archive holding one replica portal's articles, as they were before the fault crawl."""
    db = tmp_path_factory.mktemp("faults") / "archive.db"
    result = run_vnarchive("crawl", "--db", str(db), "--replica", replica.base_url, "--portal", BASELINE_PORTAL)
    assert result.returncode == 0, result.stderr[-2000:]
    return db, rows(db, "SELECT url_key, content_hash, raw_digest FROM articles ORDER BY url_key")


@dataclass
class FaultRun:
    db: Path
    result: object
    log: str
    portals: dict[str, FaultPortal]
    internal: hostile.HostileServer
    cdn: hostile.HostileServer
    portals_file: Path | None = None
    tls_verified: object = None

    def run_row(self, portal: str) -> dict:
        [row] = rows(self.db, "SELECT * FROM portal_runs WHERE portal = ? ORDER BY run_id DESC LIMIT 1", [portal])
        return row

    def refused(self, portal: str) -> dict:
        return json.loads(self.run_row(portal)["refused_by_kind"])

    def errors(self, portal: str) -> dict:
        return json.loads(self.run_row(portal)["errors_by_kind"])

    def stored(self, portal: str) -> dict[str, dict]:
        return {row["url"].rsplit("/", 1)[-1].removesuffix("-12345.html"): row
                for row in rows(self.db, "SELECT * FROM articles WHERE portal = ?", [portal])}

    def paths_asked(self, portal: str) -> list[str]:
        return [request.path for request in self.portals[portal].server.requests]


@pytest.fixture(scope="module")
def fault_run(baseline, tmp_path_factory):
    """One `vnarchive crawl` of every fault portal, then a second of the TLS portal with TLS_VERIFY."""
    base_db, _ = baseline
    folder = tmp_path_factory.mktemp("fault-run")
    db = folder / "archive.db"
    shutil.copy(base_db, db)
    shutil.copytree(base_db.parent / "warc", folder / "warc")
    with hostile.HostileServer({"*": hostile.page("<h1>nội bộ</h1>")}, host="127.0.0.2") as internal, \
            hostile.HostileServer({path_of("moved"): good("moved")}, host="127.0.0.3", tls=True,
                                  tls_hostnames=("cdn.crosshost.test",)) as cdn:
        servers = {pid: hostile.HostileServer(routes, **options) for pid, (options, routes) in fault_servers(internal).items()}
        for server in servers.values():
            server.start()
        warm_up(servers)
        try:
            portals = {pid: FaultPortal(pid, server, SECTIONS.get(pid, ["/tin-tuc"])) for pid, server in servers.items()}
            portals["crosshost"].domains = ["crosshost.test", "cdn.crosshost.test"]
            portals["sitemaps"].sitemaps = ["/sitemap-xxe.xml", "/sitemap-lol.xml"]
            portals_file = hostile.write_portals_file(folder / "portals.yml", [p.entry() for p in portals.values()])
            hostmap = [line for portal in portals.values() for line in portal.hostmap()]
            hostmap = [line for line in hostmap if not line.startswith("cdn.")] + [f"cdn.crosshost.test={cdn.base_url}"]
            log = folder / "crawl.log"
            result = crawl(db, portals_file, hostmap, log)
            run = FaultRun(db, result, log.read_text(), portals, internal, cdn, portals_file)
            run.tls_verified = crawl(db, portals_file, hostmap, folder / "tls.log", "--portal", "tls",
                                     "--set", "TLS_VERIFY=true")
        finally:
            for server in servers.values():
                server.stop()
    return run


def warm_up(servers: dict[str, hostile.HostileServer]) -> None:
    """Build the bombs and the link flood before the crawl, so that building them does not slow the
    servers' answers (and their clocks) while the crawl runs."""
    for encoding in ("gzip", "deflate", "br", "zstd"):
        hostile.compressed_bomb(encoding)
    flood = servers["flood"]
    urllib.request.urlopen(flood.url("/tin-tuc"), timeout=60).read()
    flood.requests.clear()


def crawl(db: Path, portals_file: Path, hostmap: list[str], log: Path, *more: str):
    args = ["crawl", "--db", str(db), "--portals-file", str(portals_file), "--log-file", str(log), *more]
    args += [part for line in hostmap for part in ("--hostmap", line)]
    args += [part for setting in CRAWL_SETTINGS for part in ("--set", setting)]
    return run_vnarchive(*args, timeout=600)


# --- the run as a whole --------------------------------------------------------------------------------


def test_the_crawl_finishes_with_partial_and_names_the_portals_that_broke(fault_run):
    assert fault_run.result.returncode == 4, fault_run.result.stdout + fault_run.result.stderr[-3000:]
    outcomes = {row["portal"]: row["outcome"] for row in rows(fault_run.db, "SELECT portal, outcome FROM portal_runs WHERE run_id = 2")}
    assert outcomes["failing"] == "paused"
    assert outcomes["robots503"] == outcomes["robotshang"] == outcomes["down"] == "broken"
    assert {outcomes[p] for p in ("robots404", "sitemaps", "tls", "crosshost")} == {"ok"}
    assert "paused: failing" in fault_run.result.stdout


def test_the_archive_is_intact_and_kept_what_it_had(fault_run, baseline):
    _, before = baseline
    assert rows(fault_run.db, "PRAGMA integrity_check") == [{"integrity_check": "ok"}]
    after = rows(fault_run.db, "SELECT url_key, content_hash, raw_digest FROM articles WHERE portal = ? ORDER BY url_key",
                 [BASELINE_PORTAL])
    assert after == before and before


def test_no_request_reached_an_address_outside_the_host_map(fault_run):
    assert fault_run.internal.requests == []
    assert fault_run.refused("faults")["private_address"] == 2
    assert "127.0.0.2:%d is loopback" % fault_run.internal.port in fault_run.log
    assert "localhost resolves to 127.0.0.1" in fault_run.log or f"127.0.0.1:{fault_run.internal.port} is loopback" in fault_run.log


# --- bodies ----------------------------------------------------------------------------------------------


def test_compression_bombs_and_huge_pages_are_refused_at_the_size_cap(fault_run):
    stored = fault_run.stored("faults")
    for name in ("bomb-gzip", "bomb-deflate", "bomb-br", "bomb-zstd", "big-length", "big-close"):
        assert name not in stored
        assert f"refused (too_large): https://faults.test{path_of(name)}" in fault_run.log, name
    assert fault_run.refused("faults")["too_large"] == 6


def test_a_body_shorter_than_announced_or_cut_mid_page_is_never_stored(fault_run):
    stored = fault_run.stored("faults")
    assert "short-body" not in stored and "cut-off" not in stored
    assert fault_run.refused("faults")["truncated"] == 2
    assert f"refused (truncated): https://faults.test{path_of('cut-off')}" in fault_run.log


def test_a_dripping_server_and_a_silent_one_time_out(fault_run):
    # Each is tried twice and times out twice; on a loaded machine a 50 MB page may time out once too.
    assert fault_run.errors("faults")["DownloadTimeoutError"] >= 4
    for name in ("drip", "hang"):
        assert fault_run.paths_asked("faults").count(path_of(name)) == 2
        assert (f"Gave up retrying <GET https://faults.test{path_of(name)}> (failed 2 times): "
                f"Getting {fault_run.portals['faults'].server.base_url}{path_of(name)} took longer than") in fault_run.log
        assert name not in fault_run.stored("faults")


# --- redirects -------------------------------------------------------------------------------------------


def test_redirects_to_other_schemes_are_refused(fault_run):
    for name, target in (("to-file", "file:///etc/passwd"), ("to-data", "data:text/html;base64"), ("to-ftp", "ftp://127.0.0.1")):
        assert f"refused (scheme): https://faults.test{path_of(name)} redirects to {target}" in fault_run.log
    assert fault_run.refused("faults")["scheme"] == 3
    assert not any("passwd" in (row["body"] or "") or "Tin giả" in (row["title"] or "")
                   for row in fault_run.stored("faults").values())


def test_a_redirect_to_another_host_carries_no_cookie_or_authorization(fault_run):
    [first] = [r for r in fault_run.portals["crosshost"].server.requests if r.path == path_of("moved")]
    assert first.headers.get("cookie") == "ASP.NET_SessionId=s3cr3t" and first.headers.get("authorization")
    [moved] = [r for r in fault_run.cdn.requests if r.path == path_of("moved")]
    assert "cookie" not in moved.headers and "authorization" not in moved.headers
    # Not even a request of its own (robots.txt) gets the first host's cookie.
    assert not any("cookie" in r.headers for r in fault_run.cdn.requests)
    assert "moved" in fault_run.stored("crosshost")


# --- robots.txt -----------------------------------------------------------------------------------------


def test_robots_answering_503_or_not_answering_disallows_the_host(fault_run):
    for portal in ("robots503", "robotshang", "down"):
        assert set(fault_run.paths_asked(portal)) == {"/robots.txt"}, portal
        assert fault_run.refused(portal)["robots_unreachable"] >= 1
        assert fault_run.stored(portal) == {}


def test_robots_answering_404_allows_everything(fault_run):
    assert set(fault_run.stored("robots404")) == {"good-1", "good-2"}


def test_a_10_mb_robots_txt_is_obeyed(fault_run):
    assert set(fault_run.stored("robotshuge")) == {"good-1"}
    assert fault_run.refused("robotshuge")["robots_disallowed"] == 1
    assert "/private/bai-mat-12345.html" not in fault_run.paths_asked("robotshuge")


@pytest.fixture(scope="module")
def crawl_delay_run(baseline, tmp_path_factory):
    """A portal whose robots.txt asks for Crawl-delay: 2, crawled alone (the other servers of the
    fault run share this process and would blur the times its server records)."""
    base_db, _ = baseline
    folder = tmp_path_factory.mktemp("crawl-delay")
    shutil.copy(base_db, folder / "archive.db")
    names = ["good-1", "good-2", "good-3", "good-4"]
    routes = {"/robots.txt": hostile.robots("User-agent: *\nCrawl-delay: 2\n"), "/tin-tuc": listing_of(names),
              **{path_of(name): good(name) for name in names}}
    with hostile.HostileServer(routes) as server:
        portal = FaultPortal("crawldelay", server, ["/tin-tuc"])
        portals_file = hostile.write_portals_file(folder / "portals.yml", [portal.entry()])
        result = crawl(folder / "archive.db", portals_file, portal.hostmap(), folder / "crawl.log")
    return result, [r.at for r in server.requests if r.path != "/robots.txt"], folder / "archive.db"


def test_crawl_delay_2_keeps_requests_2_seconds_apart(crawl_delay_run):
    result, times, db = crawl_delay_run
    assert result.returncode == 0, result.stdout
    assert len(times) == 5  # the listing and four articles
    gaps = [later - earlier for earlier, later in zip(times, times[1:])]
    assert min(gaps) >= 1.9, gaps  # 2 s between sends; the server's clock reads them within a tick
    assert len(rows(db, "SELECT url FROM articles WHERE portal = 'crawldelay'")) == 4


# --- sitemaps, traps ----------------------------------------------------------------------------------------


def test_sitemaps_with_xxe_or_billion_laughs_expand_nothing_and_keep_their_plain_urls(fault_run):
    stored = fault_run.stored("sitemaps")
    assert set(stored) == {"good-1", "from-xxe-sitemap", "from-lol-sitemap"}
    everything = " ".join(str(value) for row in rows(fault_run.db, "SELECT * FROM articles") for value in row.values())
    assert "root:" not in everything and "lollol" not in everything


def test_a_listing_with_100000_links_is_read_up_to_the_cap(fault_run):
    row = fault_run.run_row("flood")
    assert fault_run.refused("flood")["links_capped"] == 100_000 - 500
    assert row["links_found"] == 500
    assert len(fault_run.portals["flood"].server.requests_to("/bai-viet/")) == 500


def test_an_endless_pager_stops_at_the_page_limit(fault_run):
    row = fault_run.run_row("endless")
    assert row["listing_pages"] == 50
    assert fault_run.refused("endless")["listing_limit"] == 1


def test_a_calendar_repeating_itself_stops_at_the_first_repeat(fault_run):
    row = fault_run.run_row("calendar")
    assert row["listing_pages"] == 2
    assert fault_run.refused("calendar")["listing_repeats"] == 1


def test_session_id_variants_store_one_article(fault_run):
    keys = [row["url"] for row in rows(fault_run.db, "SELECT url FROM articles WHERE portal = 'faults' AND url LIKE '%good-1%'")]
    assert keys == [f"https://faults.test{path_of('good-1')}"]


# --- portals that fail ------------------------------------------------------------------------------------


def test_a_portal_failing_every_article_is_paused_while_the_others_finish(fault_run):
    articles_asked = {p for p in fault_run.paths_asked("failing") if p.startswith("/tin-tuc/")}
    # 10 failures in a row (after retries) pause it; what was already handed to the downloader goes.
    assert len(articles_asked) <= 10 + 16 + 16 < FAILING_ARTICLES
    assert fault_run.run_row("failing")["finish_reason"] == "circuit_open"
    assert fault_run.errors("failing")["http_503"] >= 10
    health = run_vnarchive("portals", "--db", str(fault_run.db), env={EXTRA_PORTALS_ENV: str(fault_run.portals_file)})
    assert "paused: failures in a row (http_503" in health.stdout


# --- pages that are not articles --------------------------------------------------------------------------


def test_soft_404s_are_not_archived(fault_run):
    stored = fault_run.stored("faults")
    assert "soft-404" not in stored and "to-home" not in stored
    assert fault_run.refused("faults")["soft_404"] == 2


def test_a_login_redirect_is_recorded_as_a_login_wall(fault_run):
    assert "login" not in fault_run.stored("faults")
    assert fault_run.refused("faults")["login_wall"] == 1
    assert f"refused (login_wall): https://faults.test{path_of('login')} redirects to the login page" in fault_run.log


# --- bad content -------------------------------------------------------------------------------------------


def test_broken_content_is_stored_clean(fault_run):
    stored = fault_run.stored("faults")
    for name in ("good-1", "good-2", "nul-bytes", "word-html", "tcvn3", "cp1258", "latin1-header"):
        assert stored[name]["title"] == headline(name), name
        assert "\x00" not in stored[name]["body"] and len(stored[name]["body"]) > 200, name
        assert stored[name]["published_at"] == "2026-11-23T08:30:00+07:00", name


def test_a_page_nested_5000_deep_is_not_stored_without_its_text(fault_run):
    nested = fault_run.stored("faults").get("nested")
    assert nested is None or len(nested["body"]) > 200


# --- TLS -----------------------------------------------------------------------------------------------------


def test_a_self_signed_certificate_is_crawled_and_recorded(fault_run):
    first = rows(fault_run.db, "SELECT tls_issues FROM portal_runs WHERE portal = 'tls' ORDER BY run_id")[0]
    assert json.loads(first["tls_issues"])["self_signed"] >= 1
    assert set(fault_run.stored("tls")) == {"good-1", "good-2"}


def test_tls_verify_refuses_the_self_signed_certificate(fault_run):
    assert fault_run.tls_verified.returncode == 1, fault_run.tls_verified.stdout
    errors = fault_run.errors("tls")
    assert errors and all("http_" not in kind for kind in errors), errors

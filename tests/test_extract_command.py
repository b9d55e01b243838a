"""`vnarchive extract FILE`: one saved page → its record as JSON."""

from __future__ import annotations

import json

from click.testing import CliRunner

from crawler.cli import main

PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>Hội nghị đối thoại với Nhân dân - Cổng TTĐT tỉnh Lạng Sơn</title>
<link rel="canonical" href="https://langson.gov.vn/tin-tuc/hoi-nghi-doi-thoai-12345.html"></head><body>
<div class="header"><span class="header-date">Thứ Hai, 23/11/2026</span></div>
<div class="main"><h1>Hội nghị đối thoại với Nhân dân</h1><div class="post-date">Thứ Sáu, 6/8/2021, 01:08 (GMT+7)</div>
<div class="post-content"><p>Sáng 5/8, UBND tỉnh tổ chức hội nghị đối thoại với Nhân dân về thực hiện Nghị định 15/2020/NĐ-CP.</p>
<p>Các ý kiến của người dân được lãnh đạo tỉnh tiếp thu và trả lời trực tiếp tại hội nghị.</p>
<p>Nguồn: Báo Lạng Sơn, 5/8/2021</p></div>
<div class="related-news"><h3>Tin liên quan</h3><ul><li><a href="/a">Tin cũ</a> (12/05/2023)</li></ul></div></div></body></html>"""


def run(*args: str, stdin: str | None = None):
    return CliRunner().invoke(main, ["extract", *args], input=stdin)


def test_extract_prints_the_article_date_source_and_source_date(tmp_path):
    path = tmp_path / "page.html"
    path.write_text(PAGE, encoding="utf-8")
    result = run(str(path), "--fetched-at", "2026-11-23T10:00:00+0700")
    assert result.exit_code == 0, result.output
    record = json.loads(result.output)
    assert record["published_at"] == "2021-08-06T01:08:00+07:00"
    assert (record["source"], record["source_date"]) == ("Báo Lạng Sơn", "2021-08-05")
    assert record["url"] == "https://langson.gov.vn/tin-tuc/hoi-nghi-doi-thoai-12345.html"
    assert record["portal"] == "langson"  # found in the registry by its host
    assert "Nguồn" not in record["body"] and "Tin liên quan" not in record["body"]


def test_extract_reads_stdin_and_detects_the_portal_from_the_url():
    result = run("-", "--url", "https://vinhlong.gov.vn/Default.aspx?tabid=22641&ID=1", "--fetched-at", "2026-11-23", stdin=PAGE)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["portal"] == "vinhlong"


def test_extract_of_something_that_is_not_an_article_does_not_crash(tmp_path):
    path = tmp_path / "empty.html"
    path.write_bytes(b"\x00\xff garbage")
    result = run(str(path))
    assert result.exit_code == 0, result.output
    assert "no title" in json.loads(result.output)["warnings"]


def test_extract_with_an_unknown_portal_is_a_usage_error(tmp_path):
    path = tmp_path / "page.html"
    path.write_text(PAGE, encoding="utf-8")
    result = run(str(path), "--portal", "atlantis")
    assert result.exit_code == 2
    assert "no portal 'atlantis'" in result.output

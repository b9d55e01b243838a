"""Extraction on saved replica pages, field by field, with the fetch time frozen.

Expected values come from the seeds (../shared/seeds) and PORTALS.md, not from the extractor.
"""

from __future__ import annotations

import codecs
import json
from datetime import datetime
from pathlib import Path

import pytest

from crawler.boilerplate import PORTALS_MD_STRINGS
from crawler.dates import VIETNAM_TZ
from crawler.extract import extract_api_article, extract_html, extract_page, web_url
from crawler.registry import load_registry
from crawler.text import clean_line

GOLD = Path(__file__).parent / "gold" / "replica"
FETCHED_AT = datetime(2026, 11, 23, 10, 0, tzinfo=VIETNAM_TZ)
PAGES = {
    "vinhlong_seed002": "vinhlong-tong-ket-dan-van-chinh-quyen-2016",
    "hue_seed001": "hue-khao-sat-dan-van-chinh-quyen-thanh-uy-hue",
    "backan_seed003": "backan-dan-van-chinh-quyen-6-thang-cuoi-nam-2018",
    "danvan_seed000": "danvan-toa-dam-dan-van-chinh-quyen-phu-ly",
    "danvan_seed004": "danvan-ha-noi-dan-van-co-quan-nha-nuoc",
    "hanam_2021": "hanam-tiep-cong-dan-6-thang-dau-nam-2021",
    "hanoi_2026": "hanoi-chinh-quyen-hai-cap-ihanoi-2026",
}


def extract(name: str, **kwargs):
    """The record of a saved replica page (the gold set's copy), extracted as the crawler would."""
    key = PAGES[name]
    portal = load_registry().get(name.split("_")[0])
    url = json.loads((GOLD / f"{key}.json").read_text(encoding="utf-8"))["url"]
    return extract_html((GOLD / f"{key}.html").read_text(encoding="utf-8"), url, portal, FETCHED_AT, **kwargs)


@pytest.fixture(scope="module")
def vinhlong():
    return extract("vinhlong_seed002")


def test_vinhlong_date_is_the_article_not_the_header_today(vinhlong):
    assert vinhlong.published_at == "2016-12-29T15:13:27+07:00"
    assert vinhlong.date_source == "selector:dmy-time"


def test_vinhlong_source_prefix_leaves_the_lead(vinhlong):
    assert vinhlong.source == "Vinhlong.gov.vn"
    assert vinhlong.lead.startswith("Ngày 26/12/2016, ông Lê Quang Trung")


def test_vinhlong_author_initials_leave_the_body(vinhlong):
    assert vinhlong.author == "N.H"
    assert vinhlong.body.endswith("có thành tích xuất sắc trong công tác Dân vận chính quyền năm 2016.")


def test_vinhlong_fields(vinhlong):
    assert vinhlong.title == "Hội nghị tổng kết công tác Dân vận chính quyền năm 2016"
    assert vinhlong.portal == "vinhlong"
    assert vinhlong.language == "vi"
    assert vinhlong.url_key == "vinhlong.gov.vn/default.aspx?id=81066&tabid=22641"
    assert "dan van chinh quyen" in vinhlong.search_text


def test_hue_12_hour_clock_with_ch_and_office_author():
    record = extract("hue_seed001")
    assert record.published_at == "2022-06-03T16:38:52+07:00"
    assert record.author == "Văn phòng Thành ủy Huế"
    assert record.title.startswith("Đoàn khảo sát của Ban Dân vận Tỉnh ủy làm việc với Thường trực Thành ủy Huế")


def test_backan_without_date_line_takes_the_listing_date():
    record = extract("backan_seed003", listing_date="20/07/2018")
    assert record.published_at == "2018-07-20"
    assert record.date_source == "listing:dmy"


def test_backan_without_any_listing_reads_the_lead_with_the_year_it_mentions():
    record = extract("backan_seed003")
    assert record.published_at == "2018-07-20"
    assert record.date_source == "lead:day-month-year-hint"
    assert "date taken from the lead" in record.warnings


def test_backan_title_and_caption_appear_once():
    record = extract("backan_seed003")
    assert record.author == "Duy Khánh"
    paragraphs = record.body.split("\n\n")
    assert paragraphs.count("Quang cảnh hội nghị") == 1
    assert record.title not in paragraphs
    assert not record.body.startswith("Sáng 20/7")  # the lead, printed again on the page, is the lead


def test_danvan_republished_article_keeps_both_dates():
    record = extract("danvan_seed000")
    assert record.published_at == "2024-04-26"  # the page gives no time
    assert (record.source, record.source_date) == ("hanam.gov.vn", "2018-08-01")
    assert "Nguồn" not in record.body


def test_danvan_author_alone_on_the_last_line():
    record = extract("danvan_seed004")
    assert record.published_at == "2022-08-12"
    assert record.author == "Phan Thanh"
    assert record.body.endswith("giai đoạn 2016 - 2021.")


def test_hanam_sharepoint_fields_and_attachment():
    record = extract("hanam_2021")
    assert record.published_at == "2021-06-18T07:45:00+07:00"
    assert (record.author, record.source, record.source_date) == ("Văn phòng UBND tỉnh", "Báo Hà Nam", "2021-06-17")


def test_hanoi_byline_outside_the_content_and_figure_captions_kept():
    record = extract("hanoi_2026")
    assert record.published_at == "2026-04-09T14:15:00+07:00"
    assert (record.source, record.source_date) == ("Báo Hànộimới", "2026-04-08")
    assert record.images and record.images[0]["caption"] in record.body.split("\n\n")


@pytest.mark.parametrize("name", sorted(PAGES))
def test_no_boilerplate_in_any_body(name):
    record = extract(name)
    leaked = [s for s in PORTALS_MD_STRINGS if s in record.body or s in record.lead]
    assert leaked == []
    assert "23/11/2026" not in record.body  # the header's today


def test_api_article_from_the_javascript_site():
    data = json.loads((GOLD / "tuyengiaodanvan-ninh-binh-dan-van-kheo-chinh-quyen-hai-cap.api.json").read_text(encoding="utf-8"))
    portal = load_registry().get("tuyengiaodanvan")
    record = extract_api_article(data, "https://tuyengiaodanvan.vn/blogs/x-1", portal, FETCHED_AT)
    assert record.published_at == "2025-10-15T08:25:00+07:00"
    assert record.date_source == "api:publishedDate"
    assert (record.source, record.source_date) == ("Báo Ninh Bình", "2025-10-14")
    assert record.title.startswith("Ninh Bình:")


UNKNOWN_LAYOUT = """<html><head><title>Hội nghị giao ban công tác dân vận quý III - Sở Nội vụ tỉnh X</title></head>
<body><div id="top"><span class="today">Thứ Hai, 23/11/2026</span></div>
<table><tr><td class="menu"><a href="/">Trang chủ</a></td><td>
<h1>Hội nghị giao ban công tác dân vận quý III</h1>
<span class="ngay-dang">Cập nhật: 08:30 | 12/08/2022</span>
<p>Chiều ngày 11/8, Sở Nội vụ tổ chức hội nghị giao ban công tác dân vận chính quyền quý III năm 2022 theo Kế hoạch số 45/KH-UBND.</p>
<p>Các đại biểu đã thảo luận về việc thực hiện Nghị định 15/2020/NĐ-CP và Quy chế dân chủ ở cơ sở trên địa bàn tỉnh.</p>
<p>Tin, ảnh: Minh Hằng</p>
<div class="related"><b>Các tin khác</b><ul><li><a href="/a">Tin khác</a> (01/01/2023)</li></ul></div>
</td></tr></table><div class="footer">Bản quyền thuộc về Sở Nội vụ</div></body></html>"""


def test_unknown_layout_is_read_generically():
    record = extract_html(UNKNOWN_LAYOUT, "https://snv.x.gov.vn/tin/123.html", None, FETCHED_AT)
    assert record.title == "Hội nghị giao ban công tác dân vận quý III"
    assert record.published_at == "2022-08-12T08:30:00+07:00"
    assert record.author == "Minh Hằng"
    assert "Các tin khác" not in record.body and "Bản quyền" not in record.body
    assert "Nghị định 15/2020/NĐ-CP" in record.body


def test_an_xhtml_page_with_an_xml_declaration_is_read_as_html():
    # Old XHTML templates start with <?xml ...?> and a namespace: read as XML, no CSS selector
    # would match their namespaced elements.
    xhtml = ('<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" '
             '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">\n'
             + UNKNOWN_LAYOUT.replace("<html>", '<html xmlns="http://www.w3.org/1999/xhtml">', 1))
    for page in (xhtml.encode("utf-8"), codecs.BOM_UTF16_LE + xhtml.encode("utf-16-le")):
        record = extract_page(page, "https://snv.x.gov.vn/tin/123.html", None, FETCHED_AT)
        assert record.title == "Hội nghị giao ban công tác dân vận quý III"
        assert record.published_at == "2022-08-12T08:30:00+07:00"
        assert "Các tin khác" not in record.body and "Nghị định 15/2020/NĐ-CP" in record.body


def test_a_page_without_any_article_date_is_left_undated():
    page = UNKNOWN_LAYOUT.replace('<span class="ngay-dang">Cập nhật: 08:30 | 12/08/2022</span>', "").replace("Chiều ngày 11/8, ", "")
    record = extract_html(page, "https://snv.x.gov.vn/tin/123.html", None, FETCHED_AT)
    assert record.published_at is None  # not the header's today, not the related link's date, not the fetch time
    assert record.date_source.startswith("none:")
    assert "no publication date found" in record.warnings


def test_garbage_does_not_crash():
    record = extract_html("<html><body>\x00<<<>>></body>", "https://x.gov.vn/a", None, FETCHED_AT)
    assert record.title == "" and "no title" in record.warnings


def test_whole_page_text_reads_each_block_once_on_one_line():
    """Without a content node trafilatura's blocks are the paragraphs, read as its XML gives them:
    the line breaks inside a block are spaces, and a block nested in another is read once, in it."""
    page = (Path(__file__).parent / "pages" / "hanoi-listing.html").read_text(encoding="utf-8")
    record = extract_html(page, "https://hanoi.gov.vn/tin-tuc", None, FETCHED_AT)
    paragraphs = record.body.split("\n\n")
    assert "content selector matched nothing: whole-page extraction" in record.warnings
    assert len(paragraphs) >= 2 and all("\n" not in paragraph for paragraph in paragraphs)
    assert not [inner for inner in paragraphs for outer in paragraphs if inner is not outer and inner in outer]


def test_documents_linked_from_the_article_are_its_attachments_and_menu_documents_are_not():
    html = """<html><head><title>Thông báo kết quả tiếp công dân tháng 6</title></head><body>
    <nav><a href="/files/so-do-trang.pdf">Sơ đồ trang</a></nav>
    <div class="news-detail"><h1>Thông báo kết quả tiếp công dân tháng 6</h1>
      <div class="content"><p>Ủy ban nhân dân tỉnh thông báo kết quả tiếp công dân định kỳ tháng 6 năm 2021.</p>
      <p>Các văn bản kèm theo:</p>
      <ul><li><a href="/Documents/Ke-hoach-123.PDF">Kế hoạch 123/KH-UBND</a></li>
          <li><a href="bao-cao.docx?v=2">Báo cáo tổng hợp</a></li>
          <li><a href="/LinkClick.aspx?fileticket=Ab12%3d&amp;tabid=90">Quyết định 45</a></li>
          <li><a href="/Documents/Ke-hoach-123.PDF">Kế hoạch 123/KH-UBND</a></li>
          <li><a href="/tin-tuc/ban-tin.pdf.html">Bản tin (trang web)</a></li>
          <li><a>Không có đường dẫn</a></li></ul></div>
      <div class="tin-lien-quan"><a href="/files/bai-khac.pdf">Bài khác</a></div></div>
    </body></html>"""
    record = extract_html(html, "https://hanam.gov.vn/tin-tuc/thong-bao-tiep-cong-dan.html", None, FETCHED_AT)
    assert record.attachments == [
        {"url": "https://hanam.gov.vn/Documents/Ke-hoach-123.PDF", "name": "Kế hoạch 123/KH-UBND"},
        {"url": "https://hanam.gov.vn/tin-tuc/bao-cao.docx?v=2", "name": "Báo cáo tổng hợp"},
        {"url": "https://hanam.gov.vn/LinkClick.aspx?fileticket=Ab12%3d&tabid=90", "name": "Quyết định 45"},
    ]
    assert "Kế hoạch 123/KH-UBND" not in record.body  # a document's name is not a paragraph


# --- what a hostile page cannot make extraction keep -------------------------------------------------

@pytest.mark.parametrize("link", [
    "javascript:alert(1)//ke-hoach.pdf", " JaVaScRiPt:alert(1)//ke-hoach.pdf", "java\tscript:alert(1)//a.pdf",
    "java\nscript:alert(1)", "\x01javascript:alert(1)", "DATA:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)", "file:///etc/passwd", "ftp://portal.test/a.pdf", "http://[::1/a.pdf", " \t\n ",
])
def test_a_link_that_is_not_http_after_resolution_is_no_web_url(link):
    assert web_url(link, "https://hanam.gov.vn/tin-tuc/a.html") is None


@pytest.mark.parametrize("link, url", [
    ("/files/ke-hoach.pdf", "https://hanam.gov.vn/files/ke-hoach.pdf"),
    ("  ../files/ke-hoach.pdf\n", "https://hanam.gov.vn/files/ke-hoach.pdf"),
    ("HTTPS://cdn.hanam.gov.vn/anh.jpg", "https://cdn.hanam.gov.vn/anh.jpg"),
    ("//cdn.hanam.gov.vn/anh.jpg", "https://cdn.hanam.gov.vn/anh.jpg"),
    ("Http://hanam.gov.vn/a\tb.pdf", "http://hanam.gov.vn/ab.pdf"),
])
def test_a_web_link_is_resolved_with_its_scheme_lower_cased(link, url):
    assert web_url(link, "https://hanam.gov.vn/tin-tuc/a.html") == url


def test_the_json_api_path_keeps_only_web_links_and_no_control_characters():
    data = {"title": "Tin\x01 tức từ\x0b API", "author": "Nguyễn\x02 An", "publishedDate": "2025-10-15T08:25:00+07:00",
            "content": '<p>Nội dung bài viết từ giao diện lập trình của cổng.</p>'
                       '<p><a href=" JaVaScRiPt:alert(1)//ke-hoach.pdf">Kế hoạch</a> <a href="/files/a.pdf">Văn bản</a></p>'
                       '<img src="DATA:text/html,x"><img src="/anh/b.jpg">'}
    record = extract_api_article(data, "https://tuyengiaodanvan.vn/blogs/x-1", load_registry().get("tuyengiaodanvan"),
                                 FETCHED_AT)
    assert (record.title, record.author) == ("Tin tức từ API", "Nguyễn An")
    assert record.attachments == [{"url": "https://tuyengiaodanvan.vn/files/a.pdf", "name": "Văn bản"}]
    assert [image["src"] for image in record.images] == ["https://tuyengiaodanvan.vn/anh/b.jpg"]
    assert "2 image or document links dropped: not http(s) (data 1, javascript 1)" in record.warnings


def test_clean_line_turns_control_characters_and_line_breaks_into_spaces():
    assert clean_line("\x00Tin\x01tức\nmới\r\n\x1fnhất\ud800\uffff ") == "Tin tức mới nhất"
    assert clean_line("Cột\tmột") == "Cột một"

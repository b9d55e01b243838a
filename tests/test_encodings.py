"""Legacy encodings and charset disagreements: the page is read as what decodes cleanly."""

from __future__ import annotations

import unicodedata

from crawler.encodings import decode_page, repair_legacy_lines

TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"
TEXT = "Cộng hòa xã hội chủ nghĩa Việt Nam. Ủy ban nhân dân tỉnh Thừa Thiên Huế tổ chức hội nghị."


def cp1258(text: str) -> bytes:
    """How windows-1258 stores Vietnamese: base letters precomposed, tone marks combining."""
    out = b""
    for char in unicodedata.normalize("NFC", text):
        try:
            out += char.encode("cp1258")
        except UnicodeEncodeError:
            parts = unicodedata.normalize("NFD", char)
            base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in TONE_MARKS))
            out += base.encode("cp1258") + "".join(c for c in parts if c in TONE_MARKS).encode("cp1258")
    return out


def page(charset: str, text: str = TEXT) -> str:
    return f'<html><head><meta charset="{charset}"></head><body><p>{text}</p></body></html>'


def test_windows_1258_page_that_claims_utf8_is_read_as_windows_1258():
    decoded = decode_page(cp1258(page("utf-8")), "text/html; charset=utf-8")
    assert decoded.encoding == "cp1258"
    assert TEXT in unicodedata.normalize("NFC", decoded.text)
    assert decoded.warnings == ["page declares utf-8 but decodes as cp1258"]


def test_utf8_page_whose_header_says_windows_1258_is_read_as_utf8():
    decoded = decode_page(page("utf-8").encode("utf-8"), "text/html; charset=windows-1258")
    assert decoded.encoding == "utf-8"
    assert TEXT in decoded.text
    assert "charsets disagree" in decoded.warnings[0]


def test_declared_and_correct_charset_gives_no_warning():
    decoded = decode_page(cp1258(page("windows-1258")), "text/html")
    assert (decoded.encoding, decoded.warnings) == ("cp1258", [])
    assert TEXT in unicodedata.normalize("NFC", decoded.text)


def test_bom_wins():
    decoded = decode_page(b"\xef\xbb\xbf" + page("iso-8859-1").encode("utf-8"), "text/html; charset=iso-8859-1")
    assert TEXT in decoded.text


def test_tcvn3_paragraphs_are_converted_and_unicode_ones_left_alone():
    lines = ["Céng hoµ x· héi chñ nghÜa ViÖt Nam",
             "Ngµy 26/12/2016, «ng Lª Quang Trung chñ tr× Héi nghÞ tæng kÕt c«ng t¸c d©n vËn chÝnh quyÒn",
             "Tiêu đề bằng Unicode"]
    repaired, legacy = repair_legacy_lines(lines)
    assert legacy == "tcvn3"
    assert repaired == ["Cộng hoà xã hội chủ nghĩa Việt Nam",
                        "Ngày 26/12/2016, ông Lê Quang Trung chủ trì Hội nghị tổng kết công tác dân vận chính quyền",
                        "Tiêu đề bằng Unicode"]


def test_vni_text_is_converted():
    repaired, legacy = repair_legacy_lines(["Coäng hoøa xaõ hoäi chuû nghóa Vieät Nam, ñoäc laäp töï do haïnh phuùc"])
    assert legacy == "vni"
    assert repaired == ["Cộng hòa xã hội chủ nghĩa Việt Nam, độc lập tự do hạnh phúc"]


def test_unicode_and_english_are_never_converted():
    lines = ["Hello world, this is English text about the province.", TEXT]
    assert repair_legacy_lines(lines) == (lines, None)


def test_unicode_lines_with_latin1_letters_only_are_not_sent_to_the_legacy_detector(monkeypatch):
    # `Thông báo`, `Góp ý`: Unicode Vietnamese that has no letter outside Latin-1. The detector
    # costs more than the rest of an article's extraction; a Unicode page must not reach it.
    import viparse

    def detector_called(sample):
        raise AssertionError(f"legacy detector asked about {sample!r}")

    monkeypatch.setattr(viparse, "detect_text_encoding", detector_called)
    lines = ["Thông báo", "Góp ý", "Hòa Bình", "Trang chủ", "© 2024 Cổng thông tin", TEXT]
    assert repair_legacy_lines(lines) == (lines, None)

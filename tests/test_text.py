import unicodedata

import pytest

from crawler import text
from crawler.text import clean_line, fold, to_nfc


@pytest.mark.parametrize("typed, canonical", [
    ("hoà", "hòa"), ("hòa", "hòa"), ("thuỷ", "thủy"), ("khoẻ", "khỏe"), ("Hoà Bình", "Hòa Bình"),
    ("TOÀ", "TÒA"), ("qúy", "quý"), ("hòan", "hoàn"), ("ngoài", "ngoài"), ("của", "của"),
    ("người", "người"), ("được", "được"), ("giá", "giá"), ("gì", "gì"), ("huỳnh", "huỳnh"),
])
def test_tone_marks_sit_where_the_portals_put_them(typed, canonical):
    assert to_nfc(typed) == canonical


@pytest.mark.parametrize("word", ["huệ", "luận", "hoặc", "Thừa Thiên Huế", "Tọa đàm", "HĐND"])
def test_decomposed_text_becomes_the_same_nfc(word):
    assert to_nfc(unicodedata.normalize("NFD", word)) == word


def test_foreign_words_keep_their_accents():
    assert to_nfc("café résumé") == "café résumé"


@pytest.mark.parametrize("text, folded", [
    ("Dân vận chính quyền", "dan van chinh quyen"), ("HĐND", "hdnd"), ("Đảng", "dang"),
    ("hoà", "hoa"), ("hòa", "hoa"), (unicodedata.normalize("NFD", "Thủy"), "thuy"),
])
def test_fold_removes_every_mark_and_dd(text, folded):
    assert fold(text) == folded


def test_clean_line_folds_exotic_spaces():
    assert clean_line("  Ngày\u00a026/12/2016,\u200b  ông  ") == "Ngày 26/12/2016, ông"


@pytest.mark.parametrize("word", ["huệ", "luận", "hoặc", "khuỷu", "Quỳnh", "quyết", "giữ", "thuở", "ngoẻo"])
def test_words_whose_tone_is_already_canonical_stay_as_they_are(word):
    assert to_nfc(word) == word
    assert to_nfc(unicodedata.normalize("NFD", word)) == word


@pytest.mark.parametrize("remembered", [200_000, 2])
def test_a_line_of_words_met_before_is_placed_the_same_way(monkeypatch, remembered):
    monkeypatch.setattr(text, "MAX_WORDS_REMEMBERED", remembered)  # 2: the memory is cleared on the way
    for _ in range(3):
        assert to_nfc("Hoà bình, hợp tác") == "Hòa bình, hợp tác"
        assert to_nfc("hợp tác hoà bình") == "hợp tác hòa bình"
        assert to_nfc("bình an, thuỷ lợi 2026") == "bình an, thủy lợi 2026"

"""Vietnamese portal dates: the forms seen on real portals (shared/PORTALS.md) and their traps."""

from __future__ import annotations

import subprocess
import sys
import unicodedata
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from crawler.dates import (
    VIETNAM_TZ,
    FoundDate,
    date_from_url,
    dates_in_text,
    is_plausible,
    parse_date,
)

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=VIETNAM_TZ)
REPO = Path(__file__).resolve().parents[1]


def parsed(text: str, **kwargs) -> tuple[str, bool, str] | None:
    found = parse_date(text, now=NOW, **kwargs)
    return None if found is None else (found.iso(), found.has_time, found.rule)


def test_vietnam_tz_is_utc_plus_seven():
    assert VIETNAM_TZ.utcoffset(None) == timedelta(hours=7)


# --- FoundDate ---------------------------------------------------------------------


def test_iso_with_seconds():
    found = FoundDate(datetime(2022, 6, 3, 16, 38, 52, tzinfo=VIETNAM_TZ), True, "dmy-time", "")
    assert found.iso() == "2022-06-03T16:38:52+07:00"


def test_iso_always_writes_seconds():
    found = FoundDate(datetime(2022, 6, 3, 16, 38, tzinfo=VIETNAM_TZ), True, "dmy-time", "")
    assert found.iso() == "2022-06-03T16:38:00+07:00"


def test_iso_without_time_is_bare_date():
    found = FoundDate(datetime(2022, 6, 3, tzinfo=VIETNAM_TZ), False, "dmy", "")
    assert found.iso() == "2022-06-03"


def test_found_date_keeps_value_and_text():
    found = parse_date("Ngày đăng: 03/02/2025 08:15", now=NOW)
    assert found == FoundDate(
        value=datetime(2025, 2, 3, 8, 15, tzinfo=VIETNAM_TZ),
        has_time=True,
        rule="dmy-time",
        text="03/02/2025 08:15",
    )
    assert found.value.utcoffset() == timedelta(hours=7)


# --- forms seen on portals ---------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Thứ Sáu, 26/4/2024",
        "Thứ sáu, 26/4/2024",
        "THỨ SÁU, 26/4/2024",
        "Thứ 6, 26/4/2024",
        "T6, 26/4/2024",
        "Chủ Nhật, 26/4/2024",  # weekdays are not checked against the date
        "Chủ nhật 26/4/2024",
        "Thứ 2 26/4/2024",
    ],
)
def test_weekday_prefix_is_skipped(text):
    assert parsed(text) == ("2024-04-26", False, "dmy")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("03/06/2022 4:38:52 CH", "2022-06-03T16:38:52+07:00"),
        ("03/06/2022 9:31:53 SA", "2022-06-03T09:31:53+07:00"),
        ("03/06/2022 12:05 SA", "2022-06-03T00:05:00+07:00"),
        ("03/06/2022 12:30 CH", "2022-06-03T12:30:00+07:00"),
        ("03/06/2022 16:38 CH", "2022-06-03T16:38:00+07:00"),  # 24-hour clock with CH
        ("03/06/2022 4:38 ch", "2022-06-03T16:38:00+07:00"),
        ("Chủ Nhật, 17/12/2017 9:31:53 SA", "2017-12-17T09:31:53+07:00"),
    ],
)
def test_sa_ch_clock(text, expected):
    assert parsed(text) == (expected, True, "dmy-time-sa-ch")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("03/04/2020 | 10:36 PM", "2020-04-03T22:36:00+07:00"),
        ("Ngày đăng 18/03/2019 | 3:06 PM | View count: 107", "2019-03-18T15:06:00+07:00"),
        ("21/07/2022 | 10:00 AM", "2022-07-21T10:00:00+07:00"),
        ("21/07/2022 | 12:00 AM", "2022-07-21T00:00:00+07:00"),
    ],
)
def test_am_pm_clock(text, expected):
    assert parsed(text) == (expected, True, "dmy-time-am-pm")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Ngày 29/12/2016 15:13:27", "2016-12-29T15:13:27+07:00"),
        ("Đăng ngày: 05/10/2021 08:15", "2021-10-05T08:15:00+07:00"),
        ("Ngày đăng: 03/02/2025 08:15", "2025-02-03T08:15:00+07:00"),
        ("Thời gian đăng: 03/02/2025 08:15", "2025-02-03T08:15:00+07:00"),
        ("(29/06/2026, 14:49)", "2026-06-29T14:49:00+07:00"),
        ("12/08/2022 - 10:15", "2022-08-12T10:15:00+07:00"),
        ("12/08/2022 lúc 10:15", "2022-08-12T10:15:00+07:00"),
    ],
)
def test_date_then_24_hour_clock(text, expected):
    assert parsed(text) == (expected, True, "dmy-time")


@pytest.mark.parametrize(
    "text, expected, rule",
    [
        ("Cập nhật: 08:30 | 12/08/2022", "2022-08-12T08:30:00+07:00", "time-dmy"),
        ("14h30 ngày 12/8/2022", "2022-08-12T14:30:00+07:00", "time-dmy"),
        ("8:00 sáng ngày 12/8/2022", "2022-08-12T08:00:00+07:00", "time-dmy-sa-ch"),
        ("3:06 PM, 18/03/2019", "2019-03-18T15:06:00+07:00", "time-dmy-am-pm"),
    ],
)
def test_clock_before_date(text, expected, rule):
    assert parsed(text) == (expected, True, rule)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Đăng ngày 05/10/2021", "2021-10-05"),
        ("Ngày cập nhật 12/08/2022", "2022-08-12"),
        ("Thời gian đăng: 12/08/2022", "2022-08-12"),
        ("12-08-2022", "2022-08-12"),
        ("12.08.2022", "2022-08-12"),
        ("1/8/2018", "2018-08-01"),  # day-first, always
        ("26/4/24", "2024-04-26"),  # never 1924
        ("26/4/98", "1998-04-26"),
    ],
)
def test_date_only(text, expected):
    assert parsed(text) == (expected, False, "dmy")


@pytest.mark.parametrize(
    "text",
    [
        "ngày 12 tháng 8 năm 2022",
        "Thứ năm, ngày 12 tháng 8 năm 2022",
        "Hà Nội, ngày 12 tháng 08 năm 2022",
        "NGÀY 12 THÁNG 8 NĂM 2022",
    ],
)
def test_ngay_thang_nam(text):
    assert parsed(text) == ("2022-08-12", False, "ngay-thang-nam")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Thứ sáu, 6/8/2021, 01:08 (GMT+7)", "2021-08-06T01:08:00+07:00"),
        ("6/8/2021 01:08 GMT+07:00", "2021-08-06T01:08:00+07:00"),
        ("6/8/2021 01:08 UTC+7", "2021-08-06T01:08:00+07:00"),
        ("6/8/2021, 01:08 (GMT+9)", "2021-08-05T23:08:00+07:00"),
        ("6/8/2021 01:08 UTC+0", "2021-08-06T08:08:00+07:00"),
    ],
)
def test_explicit_offset_is_converted_to_vietnam_time(text, expected):
    assert parsed(text) == (expected, True, "dmy-time")


@pytest.mark.parametrize(
    "text, expected, has_time",
    [
        ("2025-03-12T08:30:00+07:00", "2025-03-12T08:30:00+07:00", True),
        ("2025-03-12T01:30:00Z", "2025-03-12T08:30:00+07:00", True),
        ("2025-03-12T08:30", "2025-03-12T08:30:00+07:00", True),
        ("2025-03-12", "2025-03-12", False),
    ],
)
def test_iso_8601(text, expected, has_time):
    assert parsed(text) == (expected, has_time, "iso-8601")


@pytest.mark.parametrize(
    "text",
    ["Sáng 20/7", "Chiều 20/7", "Tối 20/7", "Trưa 20/7", "Đêm 20/7", "Ngày 20/7", "Sáng 20-7",
     "ngày 20 tháng 7"],
)
def test_day_month_with_year_hint_is_date_only(text):
    assert parsed(text, year_hint=2018) == ("2018-07-20", False, "day-month-year-hint")


@pytest.mark.parametrize("text", ["Sáng 20/7", "Chiều 5/3", "Tối 12/11", "Ngày 26/12"])
def test_day_month_without_year_hint_is_none(text):
    assert parse_date(text, now=NOW) is None


def test_first_valid_date_wins():
    text = "Chủ Nhật, 17/12/2017 9:31:53 SA Ngày 29/12/2016 15:13:27"
    assert parsed(text) == ("2017-12-17T09:31:53+07:00", True, "dmy-time-sa-ch")


# --- dateparser fallback -----------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("12 tháng 8, 2022", "2022-08-12"),
        ("Tháng Tám 12, 2022", "2022-08-12"),
        ("T2, 12 tháng 8 2022", "2022-08-12"),
        ("12.08.22", "2022-08-12"),
        ("3 giờ trước", "2026-11-23"),
        ("Đăng 3 giờ trước", "2026-11-23"),
        ("hôm qua", "2026-11-22"),
    ],
)
def test_dateparser_fallback(text, expected):
    assert parsed(text) == (expected, False, "dateparser")


def test_dateparser_fallback_keeps_clock_when_text_has_one():
    assert parsed("12 tháng 8, 2022 10:15") == ("2022-08-12T10:15:00+07:00", True, "dateparser")


def test_relative_date_counts_from_now_not_wall_clock():
    found = parse_date("2 ngày trước", now=datetime(2020, 1, 15, 10, 0, tzinfo=VIETNAM_TZ))
    assert (found.iso(), found.has_time, found.rule) == ("2020-01-13", False, "dateparser")


@pytest.mark.parametrize("text", ["tháng 8 năm 2022", "năm 2018"])
def test_dateparser_never_fills_missing_day_from_now(text):
    assert parse_date(text, now=NOW) is None


def test_fast_forms_do_not_import_dateparser():
    script = (
        "import sys; from datetime import datetime; from crawler.dates import *; "
        "now = datetime(2026, 11, 23, 10, 0, tzinfo=VIETNAM_TZ); "
        "assert parse_date('Cập nhật: 08:30 | 12/08/2022', now=now) is not None; "
        "assert parse_date('Sáng 20/7', now=now) is None; "
        "assert parse_date('15/2020/NĐ-CP', now=now) is None; "
        "assert 'dateparser' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", script], cwd=REPO, check=True)


# --- traps -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "15/2020/NĐ-CP",
        "Nghị định 15/2020/NĐ-CP",
        "Quyết định số 1/8/2018/QĐ-UBND",
        "Quyết định 1/8/2018",
        "Chỉ thị 14-CT/TU",
        "Nghị quyết 202/2025/QH15",
        "Số: 12/2021/TT-BTC",
    ],
)
def test_document_numbers_are_not_dates(text):
    assert parse_date(text, now=NOW) is None
    assert dates_in_text(text, now=NOW) == []


def test_date_after_document_number_is_found():
    found = dates_in_text("Chỉ thị 14-CT/TU, ngày 14/4/2021 của Ban Thường vụ", now=NOW)
    assert [(d.iso(), d.has_time, d.text) for d in found] == [("2021-04-14", False, "14/4/2021")]


def test_decree_with_date_of_issue():
    found = dates_in_text("Nghị định 15/2020/NĐ-CP ngày 03/02/2020 của Chính phủ", now=NOW)
    assert [d.iso() for d in found] == ["2020-02-03"]


@pytest.mark.parametrize(
    "text",
    [
        "31/02/2020",
        "30/02/2020 10:00",
        "12/13/2020",  # day-first even when swapping would make a valid date
        "ngày 32 tháng 1 năm 2020",
        "1/1/1990",
        "31/12/1994",
        "26/4/27",  # 2027 is ahead of NOW, 1927 too old
        "Thứ Ba, 24/11/2026",  # a header showing tomorrow
        "23/11/2026 10:30",
        "2026-11-23T04:00:00Z",  # 11:00 in Vietnam
    ],
)
def test_impossible_or_implausible_dates_are_skipped(text):
    assert parse_date(text, now=NOW) is None
    assert dates_in_text(text, now=NOW) == []


def test_clock_skew_of_a_few_minutes_is_tolerated():
    assert parsed("23/11/2026 10:03") == ("2026-11-23T10:03:00+07:00", True, "dmy-time")


def test_today_without_time_is_plausible():
    assert parsed("Thứ Hai, 23/11/2026") == ("2026-11-23", False, "dmy")


def test_future_header_date_is_skipped_for_the_article_date():
    text = "Thứ Ba, 24/11/2026 Ngày 20/11/2026 08:00"
    assert parsed(text) == ("2026-11-20T08:00:00+07:00", True, "dmy-time")


@pytest.mark.parametrize(
    "text",
    [
        "1.676 thủ tục",
        "6/8 xã đạt chuẩn",
        "tỷ số 2/1",
        "Điện thoại: 0912.345.678",
        "Hotline 1900 2020",
        "6 tháng cuối năm 2018",
        "Quy định 11 của Bộ Chính trị, Quy định 2083 của Ban Thường vụ Tỉnh ủy",
    ],
)
def test_numbers_that_are_not_dates(text):
    assert parse_date(text, now=NOW, year_hint=2018) is None
    assert dates_in_text(text, now=NOW, year_hint=2018) == []


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Thứ Sáu, 26/4/2024", ("2024-04-26", False, "dmy")),
        ("Chủ Nhật, 17/12/2017 9:31:53 SA", ("2017-12-17T09:31:53+07:00", True, "dmy-time-sa-ch")),
        ("Sáng 20/7", ("2018-07-20", False, "day-month-year-hint")),
        ("Hà Nội, ngày 12 tháng 8 năm 2022", ("2022-08-12", False, "ngay-thang-nam")),
        ("8:00 sáng ngày 12/8/2022", ("2022-08-12T08:00:00+07:00", True, "time-dmy-sa-ch")),
    ],
)
def test_nfd_text_parses_like_nfc(text, expected):
    decomposed = unicodedata.normalize("NFD", text)
    assert decomposed != text
    assert parsed(decomposed, year_hint=2018) == parsed(text, year_hint=2018) == expected


def test_tone_placement_does_not_matter():
    old = parse_date("Hoà Bình, ngày 12 tháng 8 năm 2022", now=NOW)
    new = parse_date("Hòa Bình, ngày 12 tháng 8 năm 2022", now=NOW)
    assert (old.iso(), old.rule) == (new.iso(), new.rule) == ("2022-08-12", "ngay-thang-nam")


@pytest.mark.parametrize(
    "text",
    [
        "Thứ\u00a0Sáu,\u00a026/4/2024\u00a09:31\u00a0SA",
        "Thứ Sáu,\u200b26/4/2024 \u200b9:31 SA",
        "Thứ Sáu,   26/4/2024 \n\t  9:31   SA",
    ],
)
def test_odd_whitespace_between_parts(text):
    assert parsed(text) == ("2024-04-26T09:31:00+07:00", True, "dmy-time-sa-ch")


# --- dates_in_text -----------------------------------------------------------------


def test_seed_excerpt_with_party_directive():
    text = (
        "Trong thời gian tới, đề nghị Thành phố tiếp tục thực hiện có hiệu quả Chỉ thị 14-CT/TU, "
        "ngày 14/4/2021 của Ban Thường vụ Tỉnh ủy ... theo Quy định 11 của Bộ Chính trị, "
        "Quy định 2083 của Ban Thường vụ Tỉnh ủy"
    )
    assert [(d.iso(), d.has_time, d.rule) for d in dates_in_text(text, now=NOW)] == [
        ("2021-04-14", False, "dmy")
    ]


def test_seed_lead_without_year():
    text = "Sáng 20/7, UBND tỉnh Bắc Kạn tổ chức Hội nghị ... 6 tháng cuối năm 2018."
    found = dates_in_text(text, now=NOW, year_hint=2018)
    assert [(d.iso(), d.has_time, d.rule, d.text) for d in found] == [
        ("2018-07-20", False, "day-month-year-hint", "Sáng 20/7")
    ]


def test_seed_lead_without_year_and_without_hint():
    text = "Sáng 20/7, UBND tỉnh Bắc Kạn tổ chức Hội nghị ... 6 tháng cuối năm 2018."
    assert dates_in_text(text, now=NOW) == []


def test_dates_in_order_of_appearance():
    text = (
        "Chủ Nhật, 17/12/2017 9:31:53 SA\nNgày 29/12/2016 15:13:27\n"
        "(Vinhlong.gov.vn) – Ngày 26/12/2016, ông Lê Quang Trung chủ trì Hội nghị. "
        "Tổng số thủ tục là 1.676 thủ tục."
    )
    assert [(d.iso(), d.rule) for d in dates_in_text(text, now=NOW)] == [
        ("2017-12-17T09:31:53+07:00", "dmy-time-sa-ch"),
        ("2016-12-29T15:13:27+07:00", "dmy-time"),
        ("2016-12-26", "dmy"),
    ]


def test_dates_in_text_mixes_forms():
    text = "Hà Nội, ngày 12 tháng 8 năm 2022. Cập nhật: 08:30 | 13/08/2022. Tin ngày 2025-03-12."
    assert [(d.iso(), d.rule) for d in dates_in_text(text, now=NOW)] == [
        ("2022-08-12", "ngay-thang-nam"),
        ("2022-08-13T08:30:00+07:00", "time-dmy"),
        ("2025-03-12", "iso-8601"),
    ]


# --- date_from_url -----------------------------------------------------------------


@pytest.mark.parametrize(
    "url, expected, text",
    [
        (
            "https://dienbien.gov.vn/portal/Pages/2021-10-5/"
            "Ung-dung-Blockchain-trong-Chinh-phu-dien-tuja6ggf.aspx",
            "2021-10-05",
            "2021-10-5",
        ),
        ("https://example.gov.vn/2021/10/05/tin-tuc", "2021-10-05", "2021/10/05"),
        ("https://example.gov.vn/tin/2021/10/05/", "2021-10-05", "2021/10/05"),
    ],
)
def test_date_from_url(url, expected, text):
    found = date_from_url(url, now=NOW)
    found_as_tuple = (found.iso(), found.has_time, found.rule, found.text)
    assert found_as_tuple == (expected, False, "url-path", text)


@pytest.mark.parametrize(
    "url",
    [
        "https://example.gov.vn/Pages/chi-tiet-tin.aspx?ItemID=1850&l=TinTucSuKien",
        "https://example.gov.vn/Pages/news.aspx?date=2021-10-05",
        "https://example.gov.vn/a.aspx?d=/2021/10/05/",
        "https://example.gov.vn/Pages/2021-02-31/slug.aspx",
        "https://example.gov.vn/Pages/2027-01-01/slug.aspx",
        "https://example.gov.vn/tin-tuc-su-kien-noi-bat/slug-42506271935017.htm",
    ],
)
def test_date_from_url_ignores_queries_and_impossible_dates(url):
    assert date_from_url(url, now=NOW) is None


# --- is_plausible ------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, expected",
    [
        (datetime(1994, 12, 31, 23, 59, tzinfo=VIETNAM_TZ), False),
        (datetime(1995, 1, 1, tzinfo=VIETNAM_TZ), True),
        (NOW, True),
        (NOW + timedelta(minutes=4), True),
        (NOW + timedelta(minutes=6), False),
        (NOW + timedelta(days=1), False),
        (datetime(2026, 11, 23, 3, 3, tzinfo=timezone.utc), True),  # 10:03 in Vietnam
        (datetime(2026, 11, 23, 10, 0), True),  # naive: read as Vietnam time
    ],
)
def test_is_plausible(value, expected):
    assert is_plausible(value, now=NOW) is expected

"""Publication dates from Vietnamese portal pages, each with the rule that found it.

All times are Vietnam time (UTC+07:00). Dates are day-first everywhere (`1/8/2018` is
1 August 2018). Forms read by the fast path (precompiled regexes, no dateparser):

- `26/4/2024`, `12-08-2022`, `12.08.2022`, `26/4/24` (two-digit years only with `/`;
  read as 20xx unless that is after the fetch year)                  rule "dmy"
- the same followed by a clock, after a space, `,`, `|`, `-` or `lúc`:
  `Ngày 29/12/2016 15:13:27`, `12/08/2022 - 10:15`, `(29/06/2026, 14:49)`  "dmy-time"
  `03/06/2022 4:38:52 CH`, `9:31:53 SA`, `16:38 CH`, `8:00 sáng`          "dmy-time-sa-ch"
  `03/04/2020 | 10:36 PM`, `18/03/2019 | 3:06 PM`                         "dmy-time-am-pm"
  an explicit `GMT+7`, `(GMT+07:00)`, `UTC+9` after the clock is converted to +07:00
- a clock before the date: `Cập nhật: 08:30 | 12/08/2022`, `14:00 ngày 12/8/2022`
                                               "time-dmy", "time-dmy-sa-ch", "time-dmy-am-pm"
- `ngày 12 tháng 8 năm 2022`, `Hà Nội, ngày 12 tháng 08 năm 2022`        "ngay-thang-nam"
- ISO 8601: `2025-03-12T08:30:00+07:00`, `2025-03-12T01:30:00Z`, `2025-03-12`  "iso-8601"
- day and month without a year, only after `Sáng`/`Chiều`/`Tối`/`Trưa`/`Đêm`/`ngày`
  (`Sáng 20/7`, `Ngày 26/12`, `ngày 12 tháng 8`) and only when the caller knows the
  year (`year_hint`); date only, since "morning" is not a clock   "day-month-year-hint"
- a date in a URL path: `/Pages/2021-10-5/slug.aspx`, `/2021/10/05/`     "url-path"

Anything else given to `parse_date` goes to dateparser (Vietnamese only, day-first,
relative dates such as `3 giờ trước` counted from the fetch time)        "dateparser"

Labels (`Đăng ngày:`, `Ngày đăng`, `Cập nhật:`, `Thời gian đăng:`) and weekdays
(`Thứ Sáu`, `Chủ nhật`, `T2`) need no rule: the patterns search past them, and weekdays are
not checked against the date. Never returned: document numbers (`15/2020/NĐ-CP`,
`Quyết định số 1/8/2018/QĐ-UBND`), impossible dates (`31/02/2020`, month 13), dates
before 1995 or after the fetch time (a header showing "today" from a misconfigured server).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import unquote, urlsplit

VIETNAM_TZ = timezone(timedelta(hours=7))

# The oldest provincial portals went online in the late 1990s; anything earlier is a
# document number or a typo, not a publication date.
EARLIEST_PUBLICATION = datetime(1995, 1, 1, tzinfo=VIETNAM_TZ)
# Servers' clocks drift; a page fetched at 10:00 may honestly say 10:03.
CLOCK_SKEW_TOLERANCE = timedelta(minutes=5)

MORNING_WORDS = frozenset({"sa", "am", "sáng"})
ENGLISH_MERIDIEM_WORDS = frozenset({"am", "pm"})

# Zero-width characters pasted from Word or CMS editors; deleting them (not spacing them)
# keeps `26/4/\u200b2024` one date.
INVISIBLE_CHARACTERS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
WHITESPACE_RUN = re.compile(r"\s+")

# Building blocks of the patterns below. Whitespace is collapsed to single spaces first,
# so `\s?` is enough between parts.
_DAY_MONTH_YEAR = (
    r"(?<![\d/])(?<!\d[.-])"  # not the tail of a longer number or path
    r"(?P<day>\d{1,2})(?P<sep>[/.-])(?P<month>\d{1,2})(?P=sep)(?P<year>\d{4}|\d{2})(?!\d)"
)
_CLOCK = (
    r"(?<![\d:])(?P<hour>[01]?\d|2[0-3])[:hH](?P<minute>[0-5]\d)"
    r"(?::(?P<second>[0-5]\d))?(?![\d:])"
)
_MERIDIEM = r"(?:\s?(?P<meridiem>SA|CH|AM|PM|sáng|chiều|tối)(?![^\W_]))?"
_UTC_OFFSET = (
    r"(?:\s?\(?(?:GMT|UTC)\s?(?P<offset_sign>[+-])\s?(?P<offset_hours>\d{1,2})"
    r"(?::?(?P<offset_minutes>\d{2}))?\)?)?"
)
_BETWEEN_DATE_AND_CLOCK = r"\s?(?:[,|–—-]\s?)?(?:lúc\s?)?"
_BETWEEN_CLOCK_AND_DATE = r"\s?(?:[,|–—-]\s?)?(?:ngày\s?)?"

DATE_THEN_OPTIONAL_CLOCK = re.compile(
    _DAY_MONTH_YEAR + r"(?:" + _BETWEEN_DATE_AND_CLOCK + _CLOCK + _MERIDIEM + _UTC_OFFSET + r")?",
    re.IGNORECASE,
)
CLOCK_THEN_DATE = re.compile(
    _CLOCK + _MERIDIEM + _UTC_OFFSET + _BETWEEN_CLOCK_AND_DATE + _DAY_MONTH_YEAR,
    re.IGNORECASE,
)
NGAY_THANG_NAM = re.compile(
    r"(?:\bngày\s?)?(?<!\d)(?P<day>\d{1,2})\s?tháng\s?(?P<month>\d{1,2})"
    r"\s?,?\s?năm\s?(?P<year>\d{4})(?!\d)",
    re.IGNORECASE,
)
ISO_8601 = re.compile(
    r"(?<![\d/.-])(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})"
    r"(?:T(?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:[.,]\d+)?)?"
    r"(?P<zone>Z|[+-]\d{2}(?::?\d{2})?)?)?(?![\d-])",
    re.IGNORECASE,
)
# `Sáng 20/7`, `Ngày 26/12`: a bare d/m is only a date right after one of these words;
# elsewhere it is a score or a ratio (`6/8 xã`). The lookahead leaves `20/7/2018` to the
# full-date pattern.
DAY_MONTH_AFTER_WORD = re.compile(
    r"\b(?:sáng|chiều|tối|trưa|đêm|ngày)\s?(?P<day>\d{1,2})[/-](?P<month>\d{1,2})(?!\d|[/.-]\d)",
    re.IGNORECASE,
)
NGAY_THANG_WITHOUT_YEAR = re.compile(
    r"\bngày\s?(?P<day>\d{1,2})\s?tháng\s?(?P<month>\d{1,2})(?!\d|\s?,?\s?năm)",
    re.IGNORECASE,
)
URL_PATH_DATE = re.compile(
    r"/(?P<year>\d{4})(?P<sep>[/-])(?P<month>\d{1,2})(?P=sep)(?P<day>\d{1,2})(?=/|$)"
)

# Vietnamese document numbers: `15/2020/NĐ-CP`, `14-CT/TU`, `1/8/2018/QĐ-UBND`.
DOCUMENT_NUMBER_SUFFIX = re.compile(r"\s?/\s?[^\W\d_]|-[^\W\d_]")
DOCUMENT_NUMBER = re.compile(r"(?<![\w/])\d{1,5}(?:/\d{1,4})*(?:\s?/\s?|-)[^\W\d_]")
DOCUMENT_WORD_BEFORE = re.compile(
    r"(?:\bsố|nghị định|quyết định|chỉ thị|nghị quyết|thông tư|công văn|kế hoạch|quy định"
    r"|thông báo|hướng dẫn|luật)\s?:?\s?$",
    re.IGNORECASE,
)
DOCUMENT_WORD_LOOKBACK = 24  # characters; `Quyết định số: ` fits

CLOCK_IN_TEXT = re.compile(r"(?<!\d)(?:[01]?\d|2[0-3])[:hH][0-5]\d(?!\d)")
WEEKDAY = re.compile(
    r"\b(?:thứ\s?(?:[2-7]|hai|ba|tư|năm|sáu|bảy|bẩy)|chủ\s?nhật|CN|T[2-7])\b\s?,?",
    re.IGNORECASE,
)
LEADING_LABEL = re.compile(r"^\D*?(?=\d)")


@dataclass(frozen=True)
class FoundDate:
    """A publication date and where it came from."""

    value: datetime  # tz-aware, +07:00; 00:00 when has_time is False
    has_time: bool
    rule: str  # which pattern matched, e.g. "dmy-time-sa-ch"
    text: str  # the substring parsed (of the NFC, whitespace-collapsed text)

    def iso(self) -> str:
        """`2022-06-03T16:38:52+07:00` (seconds always, so strings sort), or `2022-06-03`."""
        if self.has_time:
            return self.value.isoformat(timespec="seconds")
        return self.value.date().isoformat()


@dataclass(frozen=True)
class _Candidate:
    """A date-shaped span of text; found is None when it was rejected."""

    start: int
    end: int
    found: FoundDate | None


def parse_date(
    text: str, *, now: datetime | None = None, year_hint: int | None = None
) -> FoundDate | None:
    """Parse the date in one short string such as the contents of a page's date element.

    Labels and weekday prefixes are skipped. Returns the first valid date, or None.
    dateparser is tried only when nothing in the text looks like a date to the fast
    patterns: if they saw a date and rejected it (a document number, a future date, a
    day/month without year_hint), dateparser would only guess worse.
    """
    now = _fetch_time(now)
    text = _normalize(text)
    candidates = _scan(text, now, year_hint)
    for candidate in candidates:
        if candidate.found is not None:
            return candidate.found
    if candidates or DOCUMENT_NUMBER.search(text):
        return None
    return _parse_with_dateparser(text, now)


def dates_in_text(
    text: str, *, now: datetime | None = None, year_hint: int | None = None
) -> list[FoundDate]:
    """Every date mentioned in a longer text (a lead paragraph, a body), in order of appearance.

    Document numbers (`15/2020/NĐ-CP`) are left out. Fast patterns only: dateparser's
    free-text search reads numbers of all kinds as dates. A date mentioned twice (a lead
    repeated as a caption) is returned twice; the caller decides what a repeat means.
    """
    now = _fetch_time(now)
    candidates = _scan(_normalize(text), now, year_hint)
    return [candidate.found for candidate in candidates if candidate.found is not None]


def date_from_url(url: str, *, now: datetime | None = None) -> FoundDate | None:
    """A date embedded in a URL path, date only.

    SharePoint `/Pages/2021-10-5/slug.aspx` -> 2021-10-05; also `/2021/10/05/`. The query
    string is ignored: its numbers are ids, not dates.
    """
    now = _fetch_time(now)
    path = unquote(urlsplit(url).path)
    for match in URL_PATH_DATE.finditer(path):
        value = _build_datetime(int(match["year"]), int(match["month"]), int(match["day"]))
        found = _accept(value, False, "url-path", match.group(0).lstrip("/"), now)
        if found is not None:
            return found
    return None


def is_plausible(value: datetime, *, now: datetime | None = None) -> bool:
    """False before 1995-01-01 or after `now` (the fetch time) plus a few minutes of clock skew.

    A naive value is read as Vietnam time.
    """
    now = _fetch_time(now)
    if value.tzinfo is None:
        value = value.replace(tzinfo=VIETNAM_TZ)
    return EARLIEST_PUBLICATION <= value <= now + CLOCK_SKEW_TOLERANCE


# --- scanning ------------------------------------------------------------------------


def _scan(text: str, now: datetime, year_hint: int | None) -> list[_Candidate]:
    """All date-shaped spans, accepted or rejected, without overlaps, in text order."""
    candidates = [
        *_iso_candidates(text, now),
        *_date_then_clock_candidates(text, now),
        *_clock_then_date_candidates(text, now),
        *_ngay_thang_nam_candidates(text, now),
        *_year_hint_candidates(text, now, year_hint),
    ]
    # Where spans overlap the earliest wins, then the longest: `08:30 | 12/08/2022` beats
    # the bare date inside it, and `12/08/2022 08:30` beats a clock-first reading of its tail.
    candidates.sort(key=lambda c: (c.start, c.start - c.end))
    kept: list[_Candidate] = []
    for candidate in candidates:
        if not kept or candidate.start >= kept[-1].end:
            kept.append(candidate)
    return kept


def _iso_candidates(text: str, now: datetime) -> Iterator[_Candidate]:
    for match in ISO_8601.finditer(text):
        has_time = match["hour"] is not None
        value = _build_datetime(
            int(match["year"]),
            int(match["month"]),
            int(match["day"]),
            int(match["hour"] or 0),
            int(match["minute"] or 0),
            int(match["second"] or 0),
            _iso_zone(match["zone"]),
        )
        yield _candidate(match, _accept(value, has_time, "iso-8601", match.group(0), now))


def _date_then_clock_candidates(text: str, now: datetime) -> Iterator[_Candidate]:
    for match in DATE_THEN_OPTIONAL_CLOCK.finditer(text):
        if _is_foreign_two_digit_year(match):
            continue
        if _is_document_number(text, match.start(), match.end("year")):
            yield _candidate(match, None)
            continue
        rule = "dmy" if match["hour"] is None else "dmy-time" + _meridiem_suffix(match["meridiem"])
        yield _candidate(match, _accept_date_and_clock(match, rule, now))


def _clock_then_date_candidates(text: str, now: datetime) -> Iterator[_Candidate]:
    for match in CLOCK_THEN_DATE.finditer(text):
        if _is_foreign_two_digit_year(match):
            continue
        if _is_document_number(text, match.start(), match.end("year")):
            yield _candidate(match, None)
            continue
        rule = "time-dmy" + _meridiem_suffix(match["meridiem"])
        yield _candidate(match, _accept_date_and_clock(match, rule, now))


def _ngay_thang_nam_candidates(text: str, now: datetime) -> Iterator[_Candidate]:
    for match in NGAY_THANG_NAM.finditer(text):
        value = _build_datetime(int(match["year"]), int(match["month"]), int(match["day"]))
        yield _candidate(match, _accept(value, False, "ngay-thang-nam", match.group(0), now))


def _year_hint_candidates(
    text: str, now: datetime, year_hint: int | None
) -> Iterator[_Candidate]:
    for pattern in (DAY_MONTH_AFTER_WORD, NGAY_THANG_WITHOUT_YEAR):
        for match in pattern.finditer(text):
            found = None
            if year_hint is not None:
                value = _build_datetime(year_hint, int(match["month"]), int(match["day"]))
                found = _accept(value, False, "day-month-year-hint", match.group(0), now)
            yield _candidate(match, found)


def _candidate(match: re.Match[str], found: FoundDate | None) -> _Candidate:
    return _Candidate(match.start(), match.end(), found)


# --- pieces of a match ---------------------------------------------------------------


def _accept_date_and_clock(match: re.Match[str], rule: str, now: datetime) -> FoundDate | None:
    year = _full_year(match["year"], now)
    day, month = int(match["day"]), int(match["month"])
    if match["hour"] is None:
        value = _build_datetime(year, month, day)
        return _accept(value, False, rule, match.group(0), now)
    hour = _to_24_hour(int(match["hour"]), match["meridiem"])
    value = _build_datetime(
        year,
        month,
        day,
        hour,
        int(match["minute"]),
        int(match["second"] or 0),
        _explicit_offset(match),
    )
    return _accept(value, True, rule, match.group(0), now)


def _is_foreign_two_digit_year(match: re.Match[str]) -> bool:
    # `1.5.10` is more often a version or a section number than a date; only slashed
    # two-digit years (`26/4/24`) are common enough on portals to read in the fast path.
    return len(match["year"]) == 2 and match["sep"] != "/"


def _is_document_number(text: str, start: int, date_end: int) -> bool:
    followed_by_code = DOCUMENT_NUMBER_SUFFIX.match(text, date_end) is not None
    lookback_start = max(0, start - DOCUMENT_WORD_LOOKBACK)
    after_document_word = DOCUMENT_WORD_BEFORE.search(text, lookback_start, start) is not None
    return followed_by_code or after_document_word


def _full_year(digits: str, now: datetime) -> int:
    year = int(digits)
    if len(digits) == 4:
        return year
    # `26/4/24` is 2024: a two-digit year is in this century unless that is still ahead.
    return 2000 + year if 2000 + year <= now.year else 1900 + year


def _to_24_hour(hour: int, meridiem: str | None) -> int:
    if meridiem is None:
        return hour
    if meridiem.lower() in MORNING_WORDS:
        return 0 if hour == 12 else hour
    # Some portals print a 24-hour clock and still append CH (`16:38 CH`): only add 12
    # to hours that need it.
    return hour + 12 if hour < 12 else hour


def _meridiem_suffix(meridiem: str | None) -> str:
    if meridiem is None:
        return ""
    return "-am-pm" if meridiem.lower() in ENGLISH_MERIDIEM_WORDS else "-sa-ch"


def _explicit_offset(match: re.Match[str]) -> timezone:
    if match["offset_sign"] is None:
        return VIETNAM_TZ
    minutes = int(match["offset_hours"]) * 60 + int(match["offset_minutes"] or 0)
    sign = -1 if match["offset_sign"] == "-" else 1
    return _offset_timezone(sign * minutes)


def _iso_zone(zone: str | None) -> timezone:
    if zone is None:
        return VIETNAM_TZ
    if zone.upper() == "Z":
        return timezone.utc
    digits = zone[1:].replace(":", "")
    minutes = int(digits[:2]) * 60 + int(digits[2:] or 0)
    return _offset_timezone(-minutes if zone[0] == "-" else minutes)


def _offset_timezone(minutes: int) -> timezone:
    # timezone() refuses offsets of a day or more; treat such nonsense as Vietnam time.
    if abs(minutes) >= 24 * 60:
        return VIETNAM_TZ
    return timezone(timedelta(minutes=minutes))


def _build_datetime(
    year: int,
    month: int,
    day: int,
    hour: int = 0,
    minute: int = 0,
    second: int = 0,
    tz: timezone = VIETNAM_TZ,
) -> datetime | None:
    """The moment in Vietnam time, or None for an impossible date such as 31/02."""
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=tz).astimezone(VIETNAM_TZ)
    except (ValueError, OverflowError):
        return None


def _accept(
    value: datetime | None, has_time: bool, rule: str, text: str, now: datetime
) -> FoundDate | None:
    if value is None or not is_plausible(value, now=now):
        return None
    return FoundDate(value=value, has_time=has_time, rule=rule, text=text)


# --- fallback, input -----------------------------------------------------------------


def _parse_with_dateparser(text: str, now: datetime) -> FoundDate | None:
    """dateparser on the text, then on the text without its weekday and leading label.

    dateparser gives up on any unknown leading word (`Đăng 3 giờ trước`), so those are
    cut off for a second try. REQUIRE_PARTS keeps it from filling a missing day or year
    from the fetch time.
    """
    import dateparser  # ~95 ms to import: only pages that need the fallback pay for it

    settings = {
        "DATE_ORDER": "DMY",
        "RETURN_AS_TIMEZONE_AWARE": True,
        "TIMEZONE": "Asia/Ho_Chi_Minh",
        "RELATIVE_BASE": now.astimezone(VIETNAM_TZ).replace(tzinfo=None),
        "REQUIRE_PARTS": ["day", "month", "year"],
    }
    # No PREFER_DATES_FROM='past': it turned `26/4/24` into 1924. Only 'vi': with 'en'
    # too, `SA` reads as Saturday.
    unlabelled = LEADING_LABEL.sub("", WEEKDAY.sub("", text)).strip()
    for attempt in dict.fromkeys((text, unlabelled)):
        if not attempt or attempt in _NOT_DATES:
            continue
        parsed = dateparser.parse(attempt, languages=["vi"], settings=settings)
        if parsed is None:
            _remember_not_a_date(attempt)
            continue
        parsed = parsed.astimezone(VIETNAM_TZ)
        has_time = CLOCK_IN_TEXT.search(attempt) is not None
        if not has_time:
            parsed = parsed.replace(hour=0, minute=0, second=0, microsecond=0)
        return _accept(parsed.replace(microsecond=0), has_time, "dateparser", attempt, now)
    return None


def load_fallback_parser() -> None:
    """dateparser imported and its Vietnamese data loaded (~0.2 s, else paid by the first page
    that needs the fallback)."""
    import dateparser

    dateparser.parse("1 tháng 1 năm 2020", languages=["vi"])


# Lines dateparser found no date in. Its "no date here" does not depend on the moment asked (that
# only moves the dates it finds), and a portal's template prints the same lines after every title
# (`In bài viết`, `Xem cỡ chữ: A- A+`): each is read once per process, not once per page.
_NOT_DATES: set[str] = set()
MAX_NOT_DATES = 4096


def _remember_not_a_date(text: str) -> None:
    if len(_NOT_DATES) >= MAX_NOT_DATES:
        _NOT_DATES.clear()
    _NOT_DATES.add(text)


def _normalize(text: str) -> str:
    # NFC so that decomposed input (Unikey "tổ hợp", macOS) matches the NFC labels above.
    # Tone placement (`hoà`/`hòa`) needs no canonicalizing here: it only varies in
    # oa/oe/uy syllables, and none of the words these patterns read has one.
    text = unicodedata.normalize("NFC", text).translate(INVISIBLE_CHARACTERS)
    return WHITESPACE_RUN.sub(" ", text).strip()


def _fetch_time(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(VIETNAM_TZ)
    if now.tzinfo is None:
        return now.replace(tzinfo=VIETNAM_TZ)
    return now

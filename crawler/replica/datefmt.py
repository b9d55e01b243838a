"""Building blocks of the dates the portals print; each platform composes its own format from these.

Vietnamese weekdays count from Sunday as the first day: Monday is "Thứ Hai" (the second day).
Portals capitalize the number word or not (`Thứ Hai` / `Thứ hai`), so both spellings exist.
"""

from __future__ import annotations

from datetime import date, datetime, time, timezone
from email.utils import format_datetime

# Indexed by date.weekday(): Monday is 0.
WEEKDAYS = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật")
# Vietnamese 12-hour clock suffixes: sáng (morning) and chiều (afternoon).
MORNING, AFTERNOON = "SA", "CH"


def weekday(day: date, *, capitalized: bool = True) -> str:
    """`Thứ Hai` (capitalized) or `Thứ hai`; `Chủ Nhật` or `Chủ nhật`."""
    name = WEEKDAYS[day.weekday()]
    if capitalized:
        return name
    first, second = name.split(" ")
    return f"{first} {second.lower()}"


def dmy(day: date) -> str:
    """`01/08/2018`: zero-padded day and month."""
    return day.strftime("%d/%m/%Y")


def dmy_unpadded(day: date) -> str:
    """`1/8/2018`: no zero padding."""
    return f"{day.day}/{day.month}/{day.year}"


def hm(moment: datetime | time) -> str:
    """`09:30`: 24-hour clock."""
    return moment.strftime("%H:%M")


def hms(moment: datetime | time) -> str:
    """`15:13:27`: 24-hour clock with seconds."""
    return moment.strftime("%H:%M:%S")


def clock_12h(moment: datetime | time) -> str:
    """`4:38:52 CH`, `12:05:00 SA` (just after midnight): hour not zero-padded."""
    hour = moment.hour % 12 or 12
    suffix = MORNING if moment.hour < 12 else AFTERNOON
    return f"{hour}:{moment.minute:02d}:{moment.second:02d} {suffix}"


def clock_12h_english(moment: datetime | time, *, padded: bool) -> str:
    """`3:06 PM` (padded=False) or `03:06 PM` (padded=True): Liferay's `h:mm a` and `hh:mm a`."""
    hour = moment.hour % 12 or 12
    suffix = "AM" if moment.hour < 12 else "PM"
    return f"{hour:02d}:{moment.minute:02d} {suffix}" if padded else f"{hour}:{moment.minute:02d} {suffix}"


def iso_seconds(moment: datetime) -> str:
    """`2022-06-03T16:38:52+07:00`: always with seconds and offset."""
    return moment.isoformat(timespec="seconds")


def rfc822(moment: datetime) -> str:
    """`Thu, 29 Dec 2016 15:13:27 +0700` (RSS pubDate), English names whatever the locale."""
    return format_datetime(moment)


def http_date(moment: datetime) -> str:
    """`Thu, 29 Dec 2016 08:13:27 GMT` (Last-Modified)."""
    return format_datetime(moment.astimezone(timezone.utc), usegmt=True)

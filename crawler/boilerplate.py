"""Boilerplate the portals print around articles (../shared/PORTALS.md), in one place.

Used by extraction as a last safety net for layouts whose blocks the selectors don't know,
and by the tests that check no body carries any of it.
"""

from __future__ import annotations

import re

# Lines that are nothing but a toolbar or widget label.
TOOLBAR_LABELS = (
    "Xem cỡ chữ", "A- A+", "Đọc bài viết", "In bài viết", "Gửi cho bạn bè", "Gửi email",
    "Phản hồi", "Thông tin người gửi phản hồi", "ĐÁNH GIÁ BÀI VIẾT", "Gửi bình luận",
    "Tăng/Giảm tương phản", "Chia sẻ", "Bình luận", "Quay lại", "Lên đầu trang", "Về đầu trang", "Đầu trang",
    "In trang", "Trở về", "Bản in", "Lưu tin",
    # share buttons' labels
    "Facebook", "Zalo", "Twitter", "Tweet", "Email", "Print", "Share", "Like",
)
# Headings of related-article lists: the article has ended where one starts.
RELATED_HEADINGS = (
    "Tin liên quan", "Cùng sự kiện", "Các tin khác", "Xem nhiều nhất", "Xem thêm", "Tin mới nhất", "Tin mới",
    "Bài viết liên quan", "Bài viết mới", "Bài viết mới nhất", "Các bài viết khác", "Tin cùng chuyên mục",
    "Bài viết cùng chuyên mục", "Tin đọc nhiều", "Tin xem nhiều", "Đọc nhiều nhất", "Tin nổi bật",
    "Các tin đã đưa", "Tin đã đưa", "Tin khác",
)
# Labels of the tag and category lines that close an article on blog-like CMSs.
CLOSING_LABELS = ("Từ khóa", "Từ khoá", "Thẻ", "Tags", "Chuyên mục", "Danh mục")
# Footer lines, matched at their start.
FOOTER_PREFIXES = ("Bản quyền thuộc về", "Ghi rõ nguồn tin", "Ghi rõ nguồn", "Copyright ©")

# The strings ../shared/PORTALS.md lists around articles: none may reach an article's body.
PORTALS_MD_STRINGS = (
    "Xem cỡ chữ", "A- A+", "Đọc bài viết", "In bài viết", "Gửi cho bạn bè", "Phản hồi",
    "Thông tin người gửi phản hồi", "Tin liên quan", "Cùng sự kiện", "Các tin khác", "Xem nhiều nhất",
    "Xem thêm", "ĐÁNH GIÁ BÀI VIẾT", "Gửi bình luận", "Tăng/Giảm tương phản", "Bản quyền thuộc về",
    "khi phát hành lại thông tin từ website này",
)

_LABEL_LINE = re.compile(
    r"^\s*(?:" + "|".join(re.escape(s) for s in TOOLBAR_LABELS) + r")\s*[:：]?\s*(?:A-\s*A\+)?\s*$", re.IGNORECASE
)
_RELATED_LINE = re.compile(r"^\s*(?:" + "|".join(re.escape(s) for s in RELATED_HEADINGS) + r")\s*[:：]?\s*$", re.IGNORECASE)
_CLOSING_LINE = re.compile(r"^\s*(?:" + "|".join(re.escape(s) for s in CLOSING_LABELS) + r")\s*[:：]", re.IGNORECASE)
MAX_CLOSING_LINE_CHARS = 120
_FOOTER_LINE = re.compile(r"^\s*(?:" + "|".join(re.escape(s) for s in FOOTER_PREFIXES) + r")", re.IGNORECASE)


WIDGET_SEPARATORS = re.compile(r"\s*[|•·/]\s*|\s{2,}|\n")


def is_widget_line(line: str) -> bool:
    """A toolbar label, a row of them (`In trang | Gửi email | Trở về`), or a footer line."""
    if _FOOTER_LINE.match(line):
        return True
    parts = [part for part in WIDGET_SEPARATORS.split(line) if part.strip()]
    return bool(parts) and all(_LABEL_LINE.match(part) for part in parts)


def is_related_heading(line: str) -> bool:
    """A line after which the article has ended: a related-list heading, or a tag/category label."""
    return bool(_RELATED_LINE.match(line)) or (len(line) <= MAX_CLOSING_LINE_CHARS and bool(_CLOSING_LINE.match(line)))

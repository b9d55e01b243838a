"""crawler/selectors.py: the registry's CSS selectors, written as the attribute first where they
test one attribute, select what cssselect selects."""

from __future__ import annotations

from pathlib import Path

import pytest
from parsel import Selector

from crawler.extract import _selectors
from crawler.registry import load_registry
from crawler.selectors import MARKERS, _attribute_first_xpath, css_elements, marker_index, marker_names

TESTS = Path(__file__).parent
SAVED_PAGES = sorted([*TESTS.glob("pages/*.html"), *TESTS.glob("gold/**/*.html")])

EDGE_PAGE = """<html><body>
<div class="detail-content x" id="main"><p class="Detail-Content">A</p></div>
<div class="detail-content-more"><span id="ctl00_lblNoiDung" itemprop="articleBody">B</span></div>
<DIV CLASS="sapo" data-role="sapo" title="">C</DIV><a rel="author" href="/p?page=2">D</a>
<a href="/tin?PageIndex=3">E</a><section class="  detail-content  ">F</section>
</body></html>"""
EDGE_SELECTORS = [
    ".detail-content", "div.detail-content", "DIV.sapo", "#main", "p#main", "[itemprop=articleBody]",
    "[id$=_lblNoiDung]", "[id^=ctl00]", "[class*=detail]", "[data-role=sapo]", '[rel="author"]', "[title]",
    '[title=""]', '[title*=""]', '[class$=""]', "a[href*=PageIndex]", "a[href*='page=']", "[class~=sapo]",
    ".detail-content p", "h1",
]


def registry_selectors() -> list[str]:
    found = set()
    for portal in load_registry().portals:
        compiled = _selectors(portal)
        found.update(css for alternatives in compiled.alternatives.values() for css in alternatives)
        found.update(compiled.prune)
    return sorted(found)


def selected_by_cssselect(root, css: str) -> list:
    return [selected.root for selected in Selector(root=root).css(css)]


@pytest.mark.parametrize("css", EDGE_SELECTORS)
def test_one_attribute_selectors_select_what_cssselect_selects(css):
    root = Selector(text=EDGE_PAGE).root
    assert css_elements(root, css) == selected_by_cssselect(root, css)


def test_the_registry_s_selectors_select_on_every_saved_page_what_cssselect_selects():
    selectors = registry_selectors()
    assert sum(_attribute_first_xpath(css) is not None for css in selectors) > len(selectors) / 2
    for path in SAVED_PAGES:
        root = Selector(text=path.read_text(encoding="utf-8", errors="replace")).root
        for css in selectors:
            assert css_elements(root, css) == selected_by_cssselect(root, css), (path.name, css)


def test_a_marker_finds_the_elements_whose_class_or_id_carries_it_in_document_order():
    # The page's names are searched as one string; the same as asking each element in turn.
    for path in SAVED_PAGES:
        page = Selector(text=path.read_text(encoding="utf-8", errors="replace"))
        named = page.root.xpath("descendant-or-self::*[@class or @id]")
        for field, pattern in MARKERS.items():
            expected = [element for element in named if pattern.search(marker_names(element))]
            assert marker_index(page.root).marked(pattern) == expected, (path.name, field)


def test_a_marker_at_the_start_of_an_id_or_after_a_line_break_in_a_class_is_found():
    page = Selector(text='<div class="box\nngayDang" id="x"><p id="ngay-tao">1</p><p class="ngaymai">2</p></div>')
    marked = marker_index(page.root).marked(MARKERS["date"])
    assert [element.get("id") or element.get("class") for element in marked][:2] == ["x", "ngay-tao"]

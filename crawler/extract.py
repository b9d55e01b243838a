"""One captured page → one clean article record.

decode (declared charset, then detection) → parse → the platform's selectors for title,
lead, date, author and the content node → trafilatura on the content node (the whole page
with the platform's prune list when no node matches) → Vietnamese dates with where each came
from → authors and sources out of the body → canonical NFC text and a folded copy for search.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from bisect import bisect_right
from collections import Counter
from copy import deepcopy
from dataclasses import asdict
from datetime import datetime
from itertools import accumulate
from typing import Any
from urllib.parse import urljoin, urlsplit

import trafilatura
from lxml import etree, html
from parsel import Selector
from parsel.selector import create_root_node
from trafilatura.settings import Extractor

from crawler import __version__, bylines
from crawler.boilerplate import is_related_heading, is_widget_line
from crawler.encodings import TEXT_NODES, UNICODE_VIETNAMESE, Decoded, decode_page, repair_legacy_text
from crawler.dates import FoundDate, date_from_url, dates_in_text, parse_date
from crawler.items import ArticleRecord, PageCapture
from crawler.pagechecks import TITLE_TEXTS, NotAnArticle, error_page_says
from crawler.registry import Portal, TopicText, load_platforms, load_registry, load_topics, selectors_for
from crawler.selectors import CompiledSelectors, css_elements, in_other_region, is_not_text
from crawler.text import NOT_TEXT, clean_line, fold
from crawler.urls import canonical_url, url_key

logger = logging.getLogger(__name__)

# extract.4: links other than http(s) dropped, images and attachments capped, line breaks and control
# characters inside a line folded into spaces.
EXTRACTOR_VERSION = f"{__version__}+extract.4"
# A link to a document, searched in a page's hrefs lowercased and joined by HREF_SEPARATOR (NUL,
# which no attribute value holds): one pass of a case-sensitive pattern, a third of the time of
# an IGNORECASE one, where a search per href cost more than reading them.
HREF_SEPARATOR = "\x00"
ATTACHMENT_LINK = re.compile(r"\.(?:pdf|docx?|xlsx?|pptx?|zip|rar|7z)(?=$|[?#\x00])|linkclick\.aspx\?fileticket=")
TITLE_SEPARATORS = re.compile(r"\s+[-|–—]\s+")
YEAR = re.compile(r"(?<!\d)(19|20)\d{2}(?!\d)")
MAX_ENDING_LINES = 3
MIN_TITLE_WORDS = 3   # author, source and credit lines sit in the last few lines
# A date line: within this many elements after the title, this long, this much of it the date.
DATE_LINE_REACH = 12
MIN_DATE_LINE_CHARS, MAX_DATE_LINE_CHARS = 6, 60
DATE_LINE_SHARE = 0.5
# `Ngày đăng 18/03/2019 | 3:06 PM | View count: 107` is about the longest date element seen.
MAX_DATE_ELEMENT_CHARS = 120
# Images and documents kept per page. Real articles show a few photos (a gallery some dozens) and
# attach a few documents (a decision's annexes some dozens); a page linking 100,000 `.pdf`s is a
# trap or a file index, and every link kept is a row's JSON read by every article page view.
MAX_IMAGES_PER_PAGE = 200
MAX_ATTACHMENTS_PER_PAGE = 200
# The only schemes a link may keep: anything else (javascript:, data:, vbscript:, file:) is a script
# or a local file in a reader's browser, never a copy of the portal's document.
WEB_SCHEMES = frozenset({"http", "https"})

_selectors_cache: dict[str, CompiledSelectors] = {}


def extract_capture(capture: PageCapture, portal: Portal | None = None, *,
                    refuse_error_pages: bool = False) -> ArticleRecord:
    """The article in one capture: HTML page or a site's JSON API answer. With `refuse_error_pages`,
    a page whose title or heading says it does not exist raises NotAnArticle (a live crawl's
    capture, checked here on the parse extraction needs anyway)."""
    portal = portal or _portal_of(capture.url)
    fetched_at = datetime.fromisoformat(capture.fetched_at)
    if capture.kind == "json":
        record = extract_api_article(json.loads(capture.body), capture.url, portal, fetched_at)
    else:
        record = extract_page(capture.body, capture.url, portal, fetched_at,
                              content_type=capture.headers.get("Content-Type", ""), listing_date=capture.listing_date,
                              refuse_error_pages=refuse_error_pages)
    record.captured_at = capture.fetched_at
    record.http_status = capture.status
    _add_provenance(record, capture)
    return record


# Record fields a saved page has no value for: they come from the crawl.
CAPTURE_PROVENANCE = ("fetched_url", "listing_date", "listing_url", "warc_file", "warc_offset", "warc_length",
                      "raw_digest", "etag", "last_modified")


def _add_provenance(record: ArticleRecord, capture: PageCapture) -> None:
    record.fetched_url, record.listing_date, record.listing_url = capture.fetched_url, capture.listing_date, capture.listing_url
    record.etag = capture.headers.get("ETag", "")
    record.last_modified = capture.headers.get("Last-Modified", "")
    if capture.record is not None:
        record.warc_file, record.warc_offset = capture.record.file, capture.record.offset
        record.warc_length, record.raw_digest = capture.record.length, capture.record.digest


def extract_file(body: bytes, *, url: str | None, portal: Portal | None, fetched_at: datetime,
                 name: str = "-", listing_date: str = "") -> dict[str, Any]:
    """A saved page as `vnarchive extract` prints it: the record's fields, portal detected from the URL.
    `listing_date` is the date a listing showed beside the link, as a crawl would pass it."""
    if body.lstrip()[:1] in (b"{", b"["):
        data = json.loads(body)
        url = url or web_url(str(data.get("url") or ""), "") or f"file://{name}"
        record = extract_api_article(data, url, portal or _portal_of(url), fetched_at)
    else:
        url = url or web_url(_declared_url(body) or "", "") or f"file://{name}"
        record = extract_page(body, url, portal or _portal_of(url), fetched_at, listing_date=listing_date)
    fields = asdict(record)
    for internal in ("search_text", "content_hash", "captured_at", "http_status", "url_key", "extractor_version",
                     *CAPTURE_PROVENANCE):
        fields.pop(internal)
    return fields


def _declared_url(body: bytes) -> str | None:
    """The URL a saved page names for itself: <link rel=canonical> or og:url."""
    page = parsed_page(decode_page(body))
    return page.css('link[rel=canonical]::attr(href), meta[property="og:url"]::attr(content)').get()


def extract_page(body: bytes, url: str, portal: Portal | None, fetched_at: datetime, *,
                 content_type: str = "", listing_date: str = "", refuse_error_pages: bool = False) -> ArticleRecord:
    """An HTML page as fetched (bytes): decoded by what decodes cleanly, then extracted."""
    decoded = decode_page(body, content_type)
    page = parsed_page(decoded)
    if refuse_error_pages and (said := error_page_says(url, page)):
        raise NotAnArticle("soft_404", said)
    record = extract_tree(page, url, portal, fetched_at, listing_date=listing_date)
    record.warnings[:0] = decoded.warnings
    return record


def parsed_page(decoded: Decoded) -> Selector:
    """The page's tree. UTF-8 goes to libxml2 as the bytes came: text decoded here would be
    encoded back to UTF-8 for it, two passes over the page (a tenth of its extraction) for nothing.

    Parsed as parsel parses (its create_root_node) but by lxml's plain HTML parser: parsel's
    lxml.html parser calls back into Python for every element the extraction walks, to give it
    an HtmlElement class whose methods nothing here uses (about 1% of a page's extraction)."""
    if decoded.encoding == "utf-8":
        root = create_root_node("", etree.HTMLParser, body=decoded.body, encoding="utf-8")
    else:
        root = create_root_node(decoded.text, etree.HTMLParser)
    return Selector(root=root, type="html")


def extract_html(html: str, url: str, portal: Portal | None, fetched_at: datetime, *, listing_date: str = "") -> ArticleRecord:
    return extract_tree(Selector(text=html, type="html"), url, portal, fetched_at, listing_date=listing_date)


def extract_tree(
    page: Selector, url: str, portal: Portal | None, fetched_at: datetime, *, listing_date: str = "",
) -> ArticleRecord:
    """The article in a parsed page (the tree is changed: deep nesting flattened, legacy text converted)."""
    selectors = _selectors(portal)
    warnings: list[str] = []
    _flatten_deep_nesting(page.root, warnings)
    _repair_legacy(page, warnings)
    title = _title(page, selectors)
    content = selectors.content_node(page)
    prefix_source, lead = bylines.split_source_prefix(_text(selectors.lead_node(page, content)))
    paragraphs, images, attachments = _content(page, content, selectors, url, warnings)
    paragraphs = _drop_repeats(paragraphs, title, lead)
    if not lead and paragraphs:
        prefix_source, first = bylines.split_source_prefix(paragraphs[0])
        if prefix_source:
            paragraphs[0] = first
    author, source, source_date, paragraphs = _byline(page, selectors, paragraphs, fetched_at)
    found, date_source = published_date(page, selectors, url, listing_date, lead or _first(paragraphs), fetched_at, warnings)
    return _record(
        url=url, portal=portal, title=title, lead=lead, paragraphs=paragraphs, author=author,
        source=source or prefix_source, source_date=source_date, category=_category(page, selectors, title),
        found=found, date_source=date_source, images=images, attachments=attachments, warnings=warnings,
    )


# Real article pages nest 20-40 elements deep; broken or generated ones far deeper, beyond what
# the recursive readers here (and trafilatura's) can walk.
MAX_NESTING = 150
# The elements one level deeper than that, found by libxml2 in one pass over the levels above.
TOO_DEEP = etree.XPath("/".join(["*"] * (MAX_NESTING + 1)))


def _flatten_deep_nesting(root, warnings: list[str]) -> None:
    """Unwrap elements nested deeper than MAX_NESTING: their text and children move up to the
    ancestor at that depth, so nothing of the text is lost."""
    if not TOO_DEEP(root):  # the common case, without walking the tree in Python
        return
    too_deep = []
    stack = [(root, 0)]
    while stack:
        element, depth = stack.pop()
        if depth > MAX_NESTING:
            too_deep.append(element)
        stack.extend((child, depth + 1) for child in element if isinstance(child.tag, str))
    for element in reversed(too_deep):  # deepest first: each unwrap moves content up one level
        _unwrap(element)
    if too_deep:
        warnings.append(f"{len(too_deep)} elements nested deeper than {MAX_NESTING} were unwrapped")


def _unwrap(element) -> None:
    """Replace an element by its content (text, children, tail), in place."""
    parent = element.getparent()
    if parent is None:
        return
    index = parent.index(element)
    text = (element.text or "") + " "
    previous = element.getprevious()
    if previous is not None:
        previous.tail = (previous.tail or "") + text
    else:
        parent.text = (parent.text or "") + text
    children = list(element)
    last_tail = element.tail or ""
    parent.remove(element)
    for offset, child in enumerate(children):
        parent.insert(index + offset, child)
    if children:
        children[-1].tail = (children[-1].tail or "") + " " + last_tail
    elif index > 0:
        parent[index - 1].tail = (parent[index - 1].tail or "") + last_tail
    else:
        parent.text = (parent.text or "") + last_tail


def extract_api_article(data: dict[str, Any], url: str, portal: Portal | None, fetched_at: datetime) -> ArticleRecord:
    """An article from a JavaScript site's JSON API: fields are given, only the body HTML needs cleaning."""
    warnings: list[str] = []
    selectors = _selectors(portal)
    body_page = Selector(text=f"<html><body><article>{data.get('content') or ''}</article></body></html>", type="html")
    _flatten_deep_nesting(body_page.root, warnings)
    _repair_legacy(body_page, warnings)
    title = clean_line(str(data.get("title") or ""))
    lead = clean_line(str(data.get("description") or data.get("sapo") or ""))
    body_node = body_page.css("article")[0]
    paragraphs, images, attachments = _content(body_page, body_node, selectors, url, warnings)
    paragraphs = _drop_repeats(paragraphs, title, lead)
    found = parse_date(str(data.get("publishedDate") or data.get("publishedAt") or ""), now=fetched_at)
    if found is None:
        warnings.append("no publication date in the API answer")
    category = data.get("category") or {}
    source_text = clean_line(str(data.get("source") or ""))
    source = bylines.source_line(f"Nguồn: {source_text}") if source_text else None
    return _record(
        url=url, portal=portal, title=title, lead=lead, paragraphs=paragraphs,
        author=clean_line(str(data.get("author") or "")), source=source.name if source else source_text,
        source_date=_source_date(source.date_text, fetched_at) if source else "", category=clean_line(str(category.get("name", "") if isinstance(category, dict) else category)),
        found=found, date_source="api:publishedDate" if found else "none: API answer has no publishedDate",
        images=images, attachments=attachments, warnings=warnings,
    )


def published_date(
    page: Selector, selectors: CompiledSelectors, url: str, listing_date: str, lead: str,
    fetched_at: datetime, warnings: list[str],
) -> tuple[FoundDate | None, str]:
    """The publication date and where it came from, strongest evidence first.

    Never the page's "today" header, a related link's date, or the fetch time: when nothing
    on the page dates the article, the date stays empty and the source says why.
    """
    url_date = date_from_url(url, now=fetched_at)
    candidates = (  # each looked for only when the ones before found nothing
        ("selector", lambda: _date_element(page, selectors, fetched_at)),
        ("meta", lambda: _meta_date(page, fetched_at)),
        ("line", lambda: _date_line(page, selectors, fetched_at)),
    )
    for where, find in candidates:
        if found := find():
            _check_agreement(found, url_date, warnings)
            return found, f"{where}:{found.rule}"
    if url_date:
        return url_date, "url:url-path"
    listing = parse_date(listing_date, now=fetched_at) if listing_date else None
    if listing:
        return listing, f"listing:{listing.rule}"
    year_hint = _year_in(lead, fetched_at)
    in_lead = dates_in_text(lead, now=fetched_at, year_hint=year_hint)
    if in_lead:
        warnings.append("date taken from the lead")
        return in_lead[0], f"lead:{in_lead[0].rule}"
    warnings.append("no publication date found")
    return None, "none: no date element, meta, URL date, listing date or dated lead"


def _record(*, url, portal, title, lead, paragraphs, author, source, source_date, category,
            found, date_source, images, attachments, warnings) -> ArticleRecord:
    body = "\n\n".join(paragraphs)
    if not title:
        warnings.append("no title")
    if not body:
        warnings.append("empty body")
    record = ArticleRecord(
        url=canonical_url(url), url_key=url_key(url, portal.platform if portal else None),
        portal=portal.id if portal else None, title=title, lead=lead, body=body, author=author,
        source=source, source_date=source_date, category=category,
        published_at=found.iso() if found else None, date_source=date_source,
        images=images, attachments=attachments, word_count=len(f"{title} {lead} {body}".split()),
        language=_language(f"{title} {lead} {body}"), search_text=fold(f"{title}\n{lead}\n{body}"),
        extractor_version=EXTRACTOR_VERSION, warnings=warnings,
        topics=topics_of(f"{title}\n{lead}\n{body}"),
    )
    record.content_hash = content_hash(record)
    return record


def topics_of(text: str) -> list[str]:
    """The topics (topics.yml) whose keywords the article's text contains."""
    prepared = TopicText.of(text)
    return [topic.id for topic in load_topics().values() if topic.matches(prepared)]


def content_hash(record: ArticleRecord) -> str:
    """Changes when what a reader sees changes; not with capture times or warnings."""
    parts = (record.title, record.lead, record.body, record.author, record.source, record.published_at or "")
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


# --- content -----------------------------------------------------------------

def _content(page: Selector, node: Selector | None, selectors: CompiledSelectors, url: str, warnings: list[str]):
    if node is None:
        warnings.append("content selector matched nothing: whole-page extraction")
    root = _pruned_copy((node or page).root, selectors.prune)
    _drop_other_regions(root)
    not_web: Counter = Counter()
    images = _images(root, url, not_web, warnings)
    attachments = _attachments(page.root, url, not_web, warnings)
    if not_web:
        kinds = ", ".join(f"{scheme} {count}" for scheme, count in sorted(not_web.items()))
        warnings.append(f"{sum(not_web.values())} image or document links dropped: not http(s) ({kinds})")
    paragraphs = _paragraphs(root, whole_page=node is None, warnings=warnings)
    if not attachments:
        return paragraphs, images, attachments
    names = {fold(a["name"]) for a in attachments}
    return [p for p in paragraphs if fold(p) not in names], images, attachments


def _pruned_copy(root: etree._Element, prune: tuple[str, ...]) -> etree._Element:
    """A copy of the node without the blocks that are never article text."""
    copy = deepcopy(root)  # not a serialize/parse round trip: a lone <td> would not survive it
    for css in prune:
        for element in css_elements(copy, css):
            if element is not copy and element.getparent() is not None:
                element.getparent().remove(element)
    for element in copy.iter("figure", "figcaption"):
        # trafilatura drops figures with their captions; a caption is part of the text, once
        element.tag = "div" if element.tag == "figure" else "p"
    return copy


def _drop_other_regions(root: etree._Element) -> None:
    """Headers, menus, related lists and widgets out of the node, before reading its text."""
    doomed = [el for el in root.iter() if isinstance(el.tag, str) and el is not root and is_not_text(el)]
    for element in doomed:
        if element.getparent() is not None:
            element.getparent().remove(element)


def _trafilatura_options(*, fast: bool) -> Extractor:
    """trafilatura's settings, made once. Its result is read as the tree bare_extraction returns:
    an XML string would be fingerprinted, written and parsed again for the same lines."""
    return Extractor(output_format="xml", images=False, tables=True, comments=False, links=False,
                     recall=True, dedup=False, with_metadata=False, fast=fast)


WHOLE_PAGE_OPTIONS = _trafilatura_options(fast=False)
# On a content node the selectors found, its fast mode: the second opinion it otherwise asks of
# readability and jusText is about where the article is on the page, already settled, and took
# about a third of its time.
CONTENT_NODE_OPTIONS = _trafilatura_options(fast=True)


def _paragraphs(root: etree._Element, *, whole_page: bool, warnings: list[str]) -> list[str]:
    """Paragraphs from trafilatura, unless it dropped a good part of the node's own text."""
    own = _block_texts(root)
    extracted = (trafilatura.bare_extraction(root, options=WHOLE_PAGE_OPTIONS) if whole_page
                 else trafilatura.bare_extraction(_as_page(root), options=CONTENT_NODE_OPTIONS))
    from_trafilatura = _tree_paragraphs(extracted.body) if extracted is not None else []
    if whole_page:
        return _until_related(from_trafilatura or own)
    # trafilatura judges what is text; the node's own order is kept (it moves table cells).
    kept = set(from_trafilatura)
    chosen = [line for line in own if line in kept]
    if _length(chosen) >= 0.9 * _length(own):
        return _until_related(chosen)
    warnings.append("trafilatura dropped text: paragraphs read from the content node")
    return _until_related(own)


def _as_page(node: etree._Element) -> etree._Element:
    """The node as the article of a page of its own (trafilatura reads whole documents). The node
    is moved into it: it is the pruned copy, read by nothing after trafilatura."""
    page = html.Element("html")
    etree.SubElement(etree.SubElement(page, "body"), "article").append(node)
    return page


# The elements trafilatura puts text blocks in.
TRAFILATURA_BLOCKS = ("p", "head", "item", "quote", "cell")
# Its XML writer merges a <p> inside a <p> (a <head> in a <head>) into the outer one, unless it
# sits in one of these; read the same way here.
NESTING_KEPT_IN = frozenset({"cell", "figure", "item", "note", "quote"})


def _tree_paragraphs(body: etree._Element) -> list[str]:
    """One line per block; the line breaks trafilatura keeps inside a block are spaces, as in its XML."""
    texts = (" ".join("".join(block.itertext()).split())
             for block in body.iter(*TRAFILATURA_BLOCKS) if not _merged_into_outer(block))
    return [line for line in map(clean_line, texts) if line]


def _merged_into_outer(block: etree._Element) -> bool:
    return (block.tag in ("p", "head") and block.getparent().tag not in NESTING_KEPT_IN
            and any(ancestor.tag == block.tag for ancestor in block.iterancestors()))


# Elements that start a new line of text; a <br> does too.
BLOCK_TAGS = frozenset({
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "figcaption", "td", "th", "pre", "dd", "dt",
    "div", "section", "article", "table", "tbody", "thead", "tr", "ul", "ol", "dl", "figure", "center", "main",
})


def _block_texts(root: etree._Element) -> list[str]:
    """The node's text as lines, in document order: one per innermost block, plus loose text between blocks."""
    lines: list[str] = []
    _walk_blocks(root, lines)
    return [line for line in (clean_line(text) for text in lines) if line]


def _walk_blocks(element: etree._Element, lines: list[str]) -> None:
    if not _has_block_inside(element):
        lines.append(" ".join(element.itertext()))
        return
    run = [element.text or ""]
    for child in element:
        if isinstance(child.tag, str) and (child.tag in BLOCK_TAGS or child.tag == "br" or _has_block_inside(child)):
            lines.append(" ".join(run))
            if child.tag != "br":
                _walk_blocks(child, lines)
            run = []
        elif isinstance(child.tag, str):
            run.append(" ".join(child.itertext()))
        run.append(child.tail or "")
    lines.append(" ".join(run))


def _has_block_inside(element: etree._Element) -> bool:
    return any(isinstance(d.tag, str) and (d.tag in BLOCK_TAGS or d.tag == "br") for d in element.iterdescendants())


def _until_related(paragraphs: list[str]) -> list[str]:
    """Drop widget lines, and stop at a related-list heading that leaked into the text."""
    kept = []
    for line in paragraphs:
        if is_related_heading(line):
            break
        if not is_widget_line(line):
            kept.append(line)
    return kept


def _repair_legacy(page: Selector, warnings: list[str]) -> None:
    """Text typed in a legacy font, converted in the tree before anything normalizes it."""
    legacy = repair_legacy_text(page.root)
    if legacy:
        warnings.append(f"text in the legacy {legacy} encoding converted to Unicode")


def _drop_repeats(paragraphs: list[str], title: str, lead: str) -> list[str]:
    """Each line once: no title or lead printed again inside the content, no caption twice
    (portals print some twice), no line that is only the date line."""
    seen = {fold(title).strip(" ."), fold(lead).strip(" .")} - {""}
    kept = []
    for line in paragraphs:
        folded = fold(bylines.split_source_prefix(line)[1]).strip(" .")
        if folded in seen or _is_date_line(line):
            continue
        seen.add(folded)
        kept.append(line)
    return kept


DATE_LINE_MAX_WORDS = 6  # `Thứ Năm, 14/3/2024`, `Cập nhật: 08:30 | 12/08/2022`, `Ngày đăng … | View count: 107`


def _is_date_line(line: str) -> bool:
    """A short line that is mostly a date the fast patterns read. Not dateparser, a millisecond or
    more for each line it does not know: every line with a digit is asked, and a page of 100,000
    numbered links took minutes."""
    if len(line) > 80 or not any(ch.isdigit() for ch in line) or bylines.source_line(line):
        return False
    found = next(iter(dates_in_text(line)), None)
    if found is None:
        return False
    words = [w for w in re.split(r"[\s,|:()\-–]+", line.replace(found.text, " ")) if w and not w.isdigit()]
    return len(words) <= DATE_LINE_MAX_WORDS


def _images(root: etree._Element, url: str, not_web: Counter, warnings: list[str]) -> list[dict[str, str]]:
    """The images of the article, their sources as web URLs (others counted in `not_web` by scheme),
    at most MAX_IMAGES_PER_PAGE."""
    images = []
    beyond = 0
    for img in root.iter("img"):
        src = img.get("src") or img.get("data-src")
        if not src:
            continue
        if len(images) == MAX_IMAGES_PER_PAGE:
            beyond += 1
        elif absolute := _web_link(url, src, not_web):
            images.append({"src": absolute, "caption": _caption(img)})
    if beyond:
        warnings.append(f"{beyond} images past the first {MAX_IMAGES_PER_PAGE} dropped (MAX_IMAGES_PER_PAGE)")
    return images


def _caption(img: etree._Element) -> str:
    """figcaption, else the short italic or centred line right after the image, else alt."""
    figure = next((a for a in img.iterancestors() if a.tag == "figure"), None)
    if figure is not None:
        caption = figure.find(".//figcaption")
        if caption is not None:
            return clean_line(" ".join(caption.itertext()))
    holder = img.getparent()
    for candidate in (holder, holder.getnext() if holder is not None else None):
        if candidate is None:
            continue
        emphasis = candidate.find(".//em") if candidate.find(".//em") is not None else candidate.find(".//i")
        if emphasis is not None:
            text = clean_line(" ".join(emphasis.itertext()))
            if 0 < len(text) <= 300:
                return text
    return clean_line(img.get("alt") or img.get("title") or "")


# Every link's href as a plain string, read by libxml2 in one pass, and the links that have one,
# in the same order, asked for only on a page that links a document. (As smart strings, each
# knowing its <a>, the hrefs of a page's hundred or more menu links cost three times as much.)
LINK_HREFS = etree.XPath("descendant::a/@href", smart_strings=False)
LINKS_WITH_HREF = etree.XPath("descendant::a[@href]")


def _attachments(root: etree._Element, url: str, not_web: Counter, warnings: list[str]) -> list[dict[str, str]]:
    """Documents linked from the article, wherever the platform puts the list (not menus or related
    lists), as web URLs (others counted in `not_web` by scheme), at most MAX_ATTACHMENTS_PER_PAGE."""
    hrefs = LINK_HREFS(root)
    linked = _document_hrefs(hrefs)
    if not linked:
        return []
    links = LINKS_WITH_HREF(root)
    found: dict[str, dict[str, str]] = {}
    for read, index in enumerate(linked):
        if len(found) == MAX_ATTACHMENTS_PER_PAGE:
            warnings.append(f"{len(linked) - read} document links past the first {MAX_ATTACHMENTS_PER_PAGE} "
                            "attachments not read (MAX_ATTACHMENTS_PER_PAGE)")
            break
        if not in_other_region(links[index]) and (absolute := _web_link(url, hrefs[index], not_web)):
            found.setdefault(absolute, {"url": absolute, "name": clean_line(" ".join(links[index].itertext()))})
    return list(found.values())


def _document_hrefs(hrefs: list[str]) -> list[int]:
    """The positions of the hrefs that name a document, in order."""
    lowered = [href.lower() for href in hrefs]  # each on its own: lower() may change a length
    found_at = [match.start() for match in ATTACHMENT_LINK.finditer(HREF_SEPARATOR.join(lowered))]
    if not found_at:
        return []
    starts = list(accumulate((len(href) + len(HREF_SEPARATOR) for href in lowered), initial=0))
    return sorted({bisect_right(starts, position) - 1 for position in found_at})


# --- fields ------------------------------------------------------------------

# Read often enough to be compiled once, as parsel would not (og:title, `h1, h2, h3`).
OG_TITLE = etree.XPath("descendant-or-self::meta[@property = 'og:title']/@content", smart_strings=False)
HEADINGS = etree.XPath("descendant-or-self::*[self::h1 or self::h2 or self::h3]")


def _title(page: Selector, selectors: CompiledSelectors) -> str:
    """The title element that the page's own <title> (or og:title) names.

    The selector's element when <title> contains its text; else the longest heading or
    title-marked element that <title> contains (the site name is usually shorter); else the
    selector's element anyway; else og:title; else the longest part of <title>.
    """
    head = clean_line((TITLE_TEXTS(page.root) or [""])[0])
    og = clean_line((OG_TITLE(page.root) or [""])[0])
    named = fold(f"{head} {og}")
    chosen = _text(selectors.first(page, "title"))
    if chosen and fold(chosen) in named:
        return chosen
    headings = HEADINGS(page.root) + selectors.marked(page, "title")
    contained = [text for text in map(_element_text, headings) if len(text.split()) >= MIN_TITLE_WORDS and fold(text) in named]
    if contained:
        return max(contained, key=len)
    return chosen or og or max(TITLE_SEPARATORS.split(head), key=len, default="")


def _byline(page: Selector, selectors: CompiledSelectors, paragraphs: list[str], fetched_at: datetime):
    """Author and source from the last lines of the body (which then leave it), else from bylines in markup.

    The article's own closing line wins over markup: a CMS byline often names the account
    that posted (`Ban biên tập`), the closing line the person who wrote.
    """
    author, source, source_date, paragraphs = _closing_lines(paragraphs)
    for key in ("author", "source"):
        for node in selectors.candidates(page, key)[:1]:
            for line in _lines(node):
                found = bylines.source_line(line)
                if found and not source:
                    source, source_date = found.name, found.date_text
                elif not found and key == "author" and not author:
                    author = bylines.author_line(line) or ""
    return author, source, _source_date(source_date, fetched_at), paragraphs


def _closing_lines(paragraphs: list[str]) -> tuple[str, str, str, list[str]]:
    author = source = source_date = ""
    for _ in range(MAX_ENDING_LINES):
        last = paragraphs[-1] if paragraphs else ""
        found = bylines.source_line(last) if last else None
        if found and not source:
            source, source_date = found.name, found.date_text
        elif last and not author and bylines.author_line(last):
            author = bylines.author_line(last) or ""
        else:
            break
        paragraphs = paragraphs[:-1]
    return author, source, source_date, paragraphs


def _source_date(text: str, fetched_at: datetime) -> str:
    found = parse_date(text, now=fetched_at) if text else None
    return found.iso() if found else ""


# `[class*=breadcrumb] a, [class*=breadcrumb] li`, written as the attribute first (see
# crawler/selectors.py: ONE_ATTRIBUTE_TEST).
BREADCRUMB_ITEMS = etree.XPath("(descendant-or-self::*/@class[contains(., 'breadcrumb')]/..)"
                               "/descendant::*[self::a or self::li]")


def _category(page: Selector, selectors: CompiledSelectors, title: str) -> str:
    crumbs = [clean_line(" ".join(element.itertext())) for element in BREADCRUMB_ITEMS(page.root)]
    crumbs = [c for c in crumbs if c and c.lower() not in ("trang chủ", "home") and fold(c) != fold(title)]
    return crumbs[-1] if crumbs else ""


def _date_element(page: Selector, selectors: CompiledSelectors, fetched_at: datetime) -> FoundDate | None:
    """The date element's date: the first candidate after the title that parses, else the first before it.

    Candidates are the platform's date selectors, else date-like class names, outside the
    header (today's date) and related lists; a `datetime` attribute is read when it says more.
    """
    title = selectors.first(page, "title")
    title_line = (title.root.sourceline or 0) if title is not None else 0
    after, before = [], []
    for candidate in selectors.candidates(page, "date"):
        shown = _text(candidate)
        if len(shown) > MAX_DATE_ELEMENT_CHARS:
            continue  # a block that merely has a date-like class ("asset-publisher"), not a date line
        machine_readable = candidate.attrib.get("datetime") or candidate.css("time::attr(datetime)").get() or ""
        parsed = [found for text in (machine_readable, shown)
                  if text and (found := parse_date(text, now=fetched_at))]
        if parsed:
            best = max(parsed, key=lambda found: found.has_time)
            (after if (candidate.root.sourceline or 0) >= title_line else before).append(best)
    return (after or before or [None])[0]


def _date_line(page: Selector, selectors: CompiledSelectors, fetched_at: datetime) -> FoundDate | None:
    """A short line just after the title that is mostly a date (`Cập nhật: 08:30 | 12/08/2022`),
    for layouts whose date element has no telling class or id."""
    title = selectors.first(page, "title")
    if title is None:
        return None
    for element in title.root.xpath(f"following::*[position() <= {DATE_LINE_REACH}]"):
        if in_other_region(element):
            continue
        text = " ".join(" ".join(element.itertext()).split())
        if MIN_DATE_LINE_CHARS <= len(text) <= MAX_DATE_LINE_CHARS:
            found = parse_date(text, now=fetched_at)
            if found and len(found.text) >= DATE_LINE_SHARE * len(text):
                return found
    return None


def _meta_date(page: Selector, fetched_at: datetime) -> FoundDate | None:
    text = page.css(
        'meta[property="article:published_time"]::attr(content), meta[itemprop="datePublished"]::attr(content),'
        ' meta[name="pubdate"]::attr(content)'
    ).get()
    return parse_date(text, now=fetched_at) if text else None


def _check_agreement(found: FoundDate, url_date: FoundDate | None, warnings: list[str]) -> None:
    if url_date and abs((found.value.date() - url_date.value.date()).days) > 2:
        warnings.append(f"date element ({found.iso()}) and URL date ({url_date.iso()}) disagree")


def _year_in(text: str, fetched_at: datetime) -> int | None:
    """The year a lead mentions (`… cuối năm 2018`), for dates it gives as day and month only."""
    years = [int(m.group(0)) for m in YEAR.finditer(text) if 1995 <= int(m.group(0)) <= fetched_at.year]
    return years[0] if years else None


# A word holding a letter only Vietnamese writes, from that letter to the word's end: one match
# per such word, so that they are counted in one pass over the text, not one search per word.
VIETNAMESE_WORD = re.compile(UNICODE_VIETNAMESE.pattern + r"\S*", re.IGNORECASE)


def _language(text: str) -> str:
    words = len(text.split())
    if not words:
        return ""
    marked = len(VIETNAMESE_WORD.findall(text))
    return "vi" if marked / words > 0.15 else "und"


# --- helpers -----------------------------------------------------------------

def _selectors(portal: Portal | None) -> CompiledSelectors:
    """Compiled once per portal; a page of no known portal gets the generic platform's."""
    key = portal.id if portal else ""
    if key not in _selectors_cache:
        selectors = portal.selectors if portal else selectors_for("generic", {}, load_platforms())
        _selectors_cache[key] = CompiledSelectors.of(selectors)
    return _selectors_cache[key]


def _portal_of(url: str) -> Portal | None:
    return load_registry().for_host(urlsplit(url).hostname or "")


def _text(node: Selector | None) -> str:
    return _element_text(node.root) if node is not None else ""


def _element_text(element: etree._Element) -> str:
    """Its text nodes, read as plain strings (parsel's `::text` wraps each one in a Selector first)."""
    return clean_line(" ".join(TEXT_NODES(element)))


def _lines(node: Selector | None) -> list[str]:
    if node is None:
        return []
    return [line for line in map(clean_line, TEXT_NODES(node.root)) if line]


def _first(lines: list[str]) -> str:
    return lines[0] if lines else ""


def _length(lines: list[str]) -> int:
    return sum(len(line) for line in lines)


# What a browser drops from a link before reading it (WHATWG URL: C0 controls and spaces at the
# ends, tab and line breaks anywhere), and the other characters no stored text holds.
LINK_JUNK = re.compile(rf"^[\x00-\x20]+|[\x00-\x20]+$|[\t\n\r{NOT_TEXT}]+")


def web_url(link: str, base: str) -> str | None:
    """`link` resolved against the page's URL `base`, when it is an http or https URL (scheme
    lower-cased); None for anything else: `javascript:…`, ` JaVaScRiPt:…`, `java&#x09;script:…` (a tab
    once the page is parsed), `data:…`, and a link of only spaces (not the page itself)."""
    link = LINK_JUNK.sub("", link)
    if not link:
        return None
    try:
        absolute = urljoin(base, link)
    except ValueError:  # `http://[not an address`: no URL at all
        return None
    scheme, colon, rest = absolute.partition(":")
    if not colon or scheme.lower() not in WEB_SCHEMES:
        return None
    return scheme.lower() + colon + rest


def _web_link(base: str, link: str, not_web: Counter) -> str | None:
    """A link as a web URL, or None with its scheme counted (`other`: no scheme one could read)."""
    absolute = web_url(link, base)
    if absolute is None and (link := LINK_JUNK.sub("", link)):
        scheme, colon, _ = link.partition(":")
        not_web[scheme.lower() if colon and scheme.isalnum() else "other"] += 1
    return absolute

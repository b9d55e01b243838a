"""Score extraction on the gold set (tests/gold/): vnarchive beside plain trafilatura.

    .venv/bin/python bench/extraction_score.py [--gold tests/gold] [--show-misses]

Each gold page `<name>.html` (or `<name>.api.json`, a JSON API answer) has its hand-checked
record in `<name>.json`. Printed per field: accuracy (exact match after NFC and space
folding) and, for the article text (lead + body, as trafilatura does not separate them),
token precision, recall and F1, micro-averaged over all pages.

trafilatura runs as `bare_extraction(html, url=..., with_metadata=True)` on the same bytes;
it has no source or source_date fields and gives dates without a time of day, so its
`published_at` is counted right only where the page itself shows no time.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import trafilatura

from crawler.dates import VIETNAM_TZ
from crawler.encodings import decode_page
from crawler.extract import extract_file
from crawler.text import clean_line

ROOT = Path(__file__).resolve().parent.parent
FETCHED_AT = datetime(2026, 11, 23, 10, 0, tzinfo=VIETNAM_TZ)
FIELDS = ("published_at", "title", "author", "lead", "source", "source_date")
TOKEN = re.compile(r"\w+", re.UNICODE)


@dataclass
class Score:
    right: Counter = field(default_factory=Counter)
    pages: int = 0
    tokens: Counter = field(default_factory=Counter)  # true_positive, predicted, expected
    misses: list[str] = field(default_factory=list)

    def add(self, name: str, expected: dict, predicted: dict) -> None:
        self.pages += 1
        for name_of_field in FIELDS:
            if name_of_field not in predicted:
                continue
            if _norm(predicted[name_of_field]) == _norm(expected[name_of_field]):
                self.right[name_of_field] += 1
            else:
                self.misses.append(f"{name}: {name_of_field}: got {predicted[name_of_field]!r}, want {expected[name_of_field]!r}")
        gold, got = _tokens(expected["lead"], *expected["body"]), _tokens(predicted["text"])
        self.tokens.update(true_positive=sum((gold & got).values()), predicted=sum(got.values()), expected=sum(gold.values()))

    def accuracy(self, name_of_field: str) -> str:
        return f"{100 * self.right[name_of_field] / self.pages:5.1f}%" if self.pages else "  n/a"

    def text_scores(self) -> tuple[float, float, float]:
        precision = self.tokens["true_positive"] / max(self.tokens["predicted"], 1)
        recall = self.tokens["true_positive"] / max(self.tokens["expected"], 1)
        return precision, recall, 2 * precision * recall / max(precision + recall, 1e-9)


def gold_pages(folder: Path) -> list[tuple[str, Path, dict]]:
    pages = []
    for expected_file in sorted(folder.rglob("*.json")):
        if expected_file.name.endswith(".api.json"):
            continue
        page = next((p for p in (expected_file.with_suffix(".html"), expected_file.with_suffix(".api.json")) if p.exists()), None)
        if page:
            pages.append((str(expected_file.relative_to(folder).with_suffix("")), page,
                          json.loads(expected_file.read_text(encoding="utf-8"))))
    return pages


def vnarchive_record(page: Path, expected: dict) -> dict:
    record = extract_file(page.read_bytes(), url=expected["url"], portal=None, fetched_at=FETCHED_AT, name=page.name,
                          listing_date=expected.get("listing_date", ""))
    return {**{f: record[f] for f in FIELDS}, "text": f"{record['lead']}\n{record['body']}"}


def trafilatura_record(page: Path, expected: dict) -> dict | None:
    if page.name.endswith(".api.json"):
        return None  # a JSON API answer is not a page trafilatura reads
    html = decode_page(page.read_bytes()).text
    document = trafilatura.bare_extraction(html, url=expected["url"], with_metadata=True)
    found = document.as_dict() if document is not None else {}
    return {
        "published_at": found.get("date") or None, "title": found.get("title") or "",
        "author": found.get("author") or "", "lead": found.get("description") or "",
        "text": found.get("text") or "",
    }


def _norm(value) -> str:
    return clean_line(str(value)) if value else ""


def _tokens(*texts: str) -> Counter:
    return Counter(TOKEN.findall(clean_line(" ".join(t for t in texts if t)).lower()))


def main() -> int:
    parser = argparse.ArgumentParser(description="Score extraction on the gold set.")
    parser.add_argument("--gold", type=Path, default=ROOT / "tests" / "gold")
    parser.add_argument("--show-misses", action="store_true", help="List every field vnarchive got wrong.")
    args = parser.parse_args()
    pages = gold_pages(args.gold)
    ours, theirs = Score(), Score()
    for name, page, expected in pages:
        ours.add(name, expected, vnarchive_record(page, expected))
        other = trafilatura_record(page, expected)
        if other is not None:
            theirs.add(name, expected, other)
    folders = Counter(name.split("/")[0] for name, _, _ in pages)
    print(f"gold pages: {len(pages)} ({', '.join(f'{k} {v}' for k, v in sorted(folders.items()))}); "
          f"trafilatura scored on the {theirs.pages} HTML pages\n")
    print(f"{'field':<22} {'vnarchive':>10} {'trafilatura':>12}")
    for name_of_field in FIELDS:
        other = theirs.accuracy(name_of_field) if name_of_field in ("published_at", "title", "author", "lead") else "   —"
        print(f"{name_of_field:<22} {ours.accuracy(name_of_field):>10} {other:>12}")
    for label, index in (("text precision", 0), ("text recall", 1), ("text F1", 2)):
        print(f"{label:<22} {ours.text_scores()[index]:>10.3f} {theirs.text_scores()[index]:>12.3f}")
    if args.show_misses and ours.misses:
        print("\nvnarchive misses:")
        print("\n".join(f"  {miss}" for miss in ours.misses))
    return 0


if __name__ == "__main__":
    sys.exit(main())

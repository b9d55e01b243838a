"""Apply the registry's CSS selectors: alternatives tried in order, the first that matches wins.

CSS's own comma means "all of these, in document order"; a registry entry such as
`#txtTitle, h1.News_Detail_Title` means "this, else that", so the alternatives are split
here once per portal, and parsel caches each one's XPath translation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields

from parsel import Selector, SelectorList

from crawler.registry import Selectors

# A comma outside [...] and (...): the boundary between two alternatives.
TOP_LEVEL_COMMA = re.compile(r",(?![^\[]*\])(?![^(]*\))")


def split_alternatives(css: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in TOP_LEVEL_COMMA.split(css) if part.strip())


@dataclass(frozen=True)
class CompiledSelectors:
    alternatives: dict[str, tuple[str, ...]]
    prune: tuple[str, ...]

    @classmethod
    def of(cls, selectors: Selectors) -> "CompiledSelectors":
        alternatives = {
            f.name: split_alternatives(getattr(selectors, f.name))
            for f in fields(selectors) if f.name != "prune"
        }
        return cls(alternatives, tuple(selectors.prune))

    def select(self, node: Selector, key: str) -> SelectorList:
        """Everything the first matching alternative of `key` finds under `node`."""
        for css in self.alternatives.get(key, ()):
            found = node.css(css)
            if found:
                return found
        return SelectorList([])

    def first(self, node: Selector, key: str) -> Selector | None:
        found = self.select(node, key)
        return found[0] if found else None

    def has(self, key: str) -> bool:
        return bool(self.alternatives.get(key))

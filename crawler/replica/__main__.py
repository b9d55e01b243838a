"""`python -m crawler.replica --port N [--today YYYY-MM-DD] [--edition 1|2] [--page-size K] [--articles N]`: serve the replica in the foreground."""

from __future__ import annotations

import argparse
from datetime import date

from .corpus import load_corpus
from .editions import EDITIONS
from .server import serve_forever


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and serve until Ctrl-C."""
    parser = argparse.ArgumentParser(prog="python -m crawler.replica", description=__doc__)
    parser.add_argument("--port", type=int, default=8000, help="port on 127.0.0.1 (0: any free port)")
    parser.add_argument("--today", type=date.fromisoformat, default=None,
                        help="the date page headers show (default: $VNARCHIVE_REPLICA_TODAY, else today)")
    parser.add_argument("--edition", type=int, choices=EDITIONS, default=1,
                        help="1: the portals on --today; 2: the same portals a day later (new, edited and removed articles)")
    parser.add_argument("--page-size", type=int, default=None, help="articles per listing page (default: each platform's own)")
    parser.add_argument("--articles", type=positive_count, default=None, metavar="N",
                        help="serve N articles in all: the hand-written ones, then generated ones spread over every "
                             "portal (default: 3 generated for each portal without a hand-written one)")
    args = parser.parse_args(argv)
    if args.articles is not None and args.articles < len(load_corpus()):
        parser.error(f"--articles must be at least {len(load_corpus())}, the hand-written articles")
    serve_forever(args.port, args.today, page_size=args.page_size, total_articles=args.articles, edition=args.edition)


def positive_count(text: str) -> int:
    """A whole number of at least 1, or argparse's usage error."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return int(text)


if __name__ == "__main__":
    main()

"""`python -m crawler.replica --port N [--today YYYY-MM-DD] [--page-size K]`: serve the replica in the foreground."""

from __future__ import annotations

import argparse
from datetime import date

from .server import serve_forever


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and serve until Ctrl-C."""
    parser = argparse.ArgumentParser(prog="python -m crawler.replica", description=__doc__)
    parser.add_argument("--port", type=int, default=8000, help="port on 127.0.0.1 (0: any free port)")
    parser.add_argument("--today", type=date.fromisoformat, default=None,
                        help="the date page headers show (default: $VNARCHIVE_REPLICA_TODAY, else today)")
    parser.add_argument("--page-size", type=int, default=None, help="articles per listing page (default: each platform's own)")
    args = parser.parse_args(argv)
    serve_forever(args.port, args.today, page_size=args.page_size)


if __name__ == "__main__":
    main()

"""The Jinja2 environment of the replica's templates (package data under templates/)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

TEMPLATES_DIR = Path(__file__).with_name("templates")


@lru_cache(maxsize=None)
def environment() -> jinja2.Environment:
    """One environment for all sites: autoescaping everywhere, undefined names are errors."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render(template: str | list[str], **context: Any) -> str:
    """The text of a template; given a list, the first of them that exists."""
    return environment().get_or_select_template(template).render(**context)

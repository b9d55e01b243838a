"""A named thread of its own for one kind of blocking work, awaited from the reactor."""

from __future__ import annotations

import asyncio
import functools
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, TypeVar

T = TypeVar("T")


class OwnThread:
    """One thread, started on first use; calls run there one at a time, in the order they came."""

    def __init__(self, name: str):
        self.name = name
        self._executor: ThreadPoolExecutor | None = None

    async def run(self, function: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=self.name)
        return await asyncio.wrap_future(self._executor.submit(functools.partial(function, *args, **kwargs)))

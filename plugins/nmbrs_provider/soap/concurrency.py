"""Run independent Nmbrs calls side by side, a bounded number at a time."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def run_concurrently(fn: Callable[[T], R], items: Iterable[T], max_workers: int) -> list[R]:
    """``[fn(item) for item in items]`` with up to ``max_workers`` calls at once, in order.

    The first failure cancels what has not started yet and is raised once the calls already
    in flight have ended (so none is left running behind the caller's back).
    """
    todo = list(items)
    if max_workers <= 1 or len(todo) <= 1:
        return [fn(item) for item in todo]
    with ThreadPoolExecutor(
        max_workers=min(max_workers, len(todo)), thread_name_prefix="nmbrs"
    ) as pool:
        futures = [pool.submit(fn, item) for item in todo]
        done, _ = wait(futures, return_when=FIRST_EXCEPTION)
        failed = [f for f in futures if f in done and f.exception() is not None]
        if failed:
            for future in futures:
                future.cancel()
            raise failed[0].exception()  # type: ignore[misc]
        return [f.result() for f in futures]

"""Cutting work into batches (no pandas: the hook uses it too)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")


def chunked(items: Sequence[T], size: int) -> list[tuple[T, ...]]:
    """``items`` in consecutive tuples of at most ``size``."""
    if size < 1:
        raise ValueError(f"chunk size must be at least 1, got {size}")
    return [tuple(items[i : i + size]) for i in range(0, len(items), size)]

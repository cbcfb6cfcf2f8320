"""The config validators' shared tools: a problem collector and checks of single values."""

from __future__ import annotations

import difflib
import uuid
from collections.abc import Mapping
from typing import Any

from .model import CONN_ID_RE, ConfigProblem


def describe(value: Any) -> str:
    """A value as a problem message names it: its text and its YAML kind."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    if isinstance(value, str):
        return f"{value!r} (a string)"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        return "a list"
    return f"{value!r} ({type(value).__name__})"


def did_you_mean(word: str, choices: tuple[str, ...] | list[str]) -> str:
    """A hint naming the closest choice, or every choice."""
    close = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    if close:
        return f"; did you mean {close[0]!r}?"
    return f"; expected one of: {', '.join(choices)}"


class Checker:
    """Collects every problem of one file while its values are checked and converted."""

    def __init__(self) -> None:
        self.problems: list[ConfigProblem] = []

    def fail(self, key: str, message: str) -> None:
        self.problems.append(ConfigProblem(key, message))

    def mapping(self, value: Any, key: str, allowed: tuple[str, ...]) -> dict | None:
        """``value`` as a dict ({} for null), each unknown key reported; None if no mapping."""
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            self.fail(key, f"expected a mapping, got {describe(value)}")
            return None
        for name in value:
            if name not in allowed:
                where = f"{key}.{name}" if key else str(name)
                self.fail(where, f"unknown key {name!r}{did_you_mean(name, allowed)}")
        return dict(value)

    def positive_int(self, value: Any, key: str, what: str = "a positive integer") -> int | None:
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            self.fail(key, f"expected {what}, got {describe(value)}")
            return None
        return value

    def company_id(self, value: Any, key: str) -> int | str | None:
        """A SOAP company id (a positive integer) or a REST one (a UUID, kept lowercase)."""
        if isinstance(value, str):
            try:
                return str(uuid.UUID(value.strip()))
            except ValueError:
                pass
        elif isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
        self.fail(
            key,
            "expected a positive Nmbrs company ID (SOAP) or a company UUID (REST), got "
            f"{describe(value)}",
        )
        return None

    def boolean(self, value: Any, key: str) -> bool | None:
        if not isinstance(value, bool):
            self.fail(key, f"expected true or false, got {describe(value)}")
            return None
        return value

    def choice(self, value: Any, key: str, choices: tuple[str, ...]) -> str | None:
        if not isinstance(value, str) or value not in choices:
            hint = did_you_mean(value, choices) if isinstance(value, str) else ""
            self.fail(key, f"expected one of {', '.join(choices)}, got {describe(value)}{hint}")
            return None
        return value

    def conn_id(self, value: Any, key: str) -> str | None:
        if not isinstance(value, str) or not CONN_ID_RE.match(value):
            self.fail(
                key,
                "expected an Airflow connection id of letters, digits, '_', '.' or '-', "
                f"got {describe(value)}",
            )
            return None
        return value

    def id_list(self, value: Any, key: str) -> frozenset[int]:
        if value is None:
            return frozenset()
        if not isinstance(value, list):
            self.fail(key, f"expected a list of positive integer ids, got {describe(value)}")
            return frozenset()
        ids: list[int] = []
        for i, item in enumerate(value):
            checked = self.positive_int(item, f"{key}[{i}]", "a positive integer id")
            if checked is not None:
                if checked in ids:
                    self.fail(f"{key}[{i}]", f"id {checked} is listed twice")
                ids.append(checked)
        return frozenset(ids)

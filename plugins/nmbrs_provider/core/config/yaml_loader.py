"""Read a YAML config file into the typed model, reporting every problem at once."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from .checks import Checker
from .document import check_sync_config
from .model import ConfigError, ConfigProblem, SyncConfig


class _Loader(yaml.SafeLoader):
    """Safe loader that keeps non-decimal integers as text and rejects duplicate keys.

    YAML 1.1 reads ``0101`` as octal 65 and ``1_000`` as 1000; a personnel number or id written
    like that stays a string here, so it is either used verbatim or reported.
    """


def _construct_int(loader: _Loader, node: yaml.ScalarNode) -> int | str:
    text = loader.construct_scalar(node)
    if re.fullmatch(r"[-+]?(0|[1-9][0-9]*)", text):
        return int(text)
    return text


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> dict:
    loader.flatten_mapping(node)
    result: dict = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in result:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping",
                node.start_mark,
                f"found duplicate key {key!r}",
                key_node.start_mark,
            )
        result[key] = loader.construct_object(value_node, deep=True)
    return result


_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_config(path: str | Path) -> SyncConfig:
    """Read and validate the YAML config at ``path``."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigError(source, [ConfigProblem("", f"cannot read file: {err}")]) from err
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
    except yaml.YAMLError as err:
        raise ConfigError(
            source, [ConfigProblem("", f"not valid YAML: {_yaml_error(err)}")]
        ) from err
    return parse_config(data, source=source)


def _yaml_error(err: yaml.YAMLError) -> str:
    mark = getattr(err, "problem_mark", None)
    problem = getattr(err, "problem", None)
    if mark is None or problem is None:
        return " ".join(str(err).split())
    context = getattr(err, "context", None)
    suffix = f" ({context})" if context else ""
    return f"line {mark.line + 1}, column {mark.column + 1}: {problem}{suffix}"


def parse_config(data: Any, source: str = "<config>") -> SyncConfig:
    """Validate an already parsed config mapping (keys: include/nmbrs_sync.reference.yaml)."""
    check = Checker()
    config = check_sync_config(check, data, source)
    if check.problems or config is None:
        raise ConfigError(source, check.problems)
    return config

"""The reference Nmbrs REST OpenAPI spec in ../shared/reference, for the REST contract tests.

A test module calls :func:`skip_without_spec` at import (the spec lies beside the repository,
not in it) and takes :data:`MARKS` as its ``pytestmark``; :func:`spec` is the spec as
published, :func:`mended` the same with its path-template defect mended, and :func:`openapi`
an openapi-core validator whose ``servers`` point at the sandbox.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pytest
import yaml
from openapi_core import Config, OpenAPI

SPEC = Path(__file__).resolve().parents[2] / "shared" / "reference" / "nmbrs-rest" / "openapi.yaml"

MARKS = [
    pytest.mark.reference,
    # openapi-core does not check oauth2 security schemes: each module says who checks them.
    pytest.mark.filterwarnings("ignore:Unsupported scheme type:UserWarning"),
]


def skip_without_spec(needs: str) -> None:
    """Skip the calling test module when the spec is absent; ``needs`` says who needs it
    ("the REST contract tests need")."""
    if not SPEC.is_file():
        pytest.skip(
            f"../shared/reference not found: {needs} the reference OpenAPI spec beside the "
            "repository",
            allow_module_level=True,
        )


@functools.cache
def spec() -> dict[str, Any]:
    """The spec as published (read once; callers copy before changing it)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(SPEC.read_text(encoding="utf-8"), Loader=loader)  # noqa: S506


def mended(published: dict[str, Any]) -> dict[str, Any]:
    """``published`` with the path template {hourcomponentId} as its parameter's name,
    hourComponentId (a defect of the spec, the same URL either way), so that openapi-core can
    bind the parameter."""
    paths = {
        path.replace("{hourcomponentId}", "{hourComponentId}"): item
        for path, item in published["paths"].items()
    }
    return {**published, "paths": paths}


def openapi(document: dict[str, Any], url: str) -> OpenAPI:
    """An openapi-core validator of ``document`` (a mended spec) served at ``url``, without
    validating the spec document itself."""
    return OpenAPI.from_dict(
        {**document, "servers": [{"url": url}]}, config=Config(spec_validator_cls=None)
    )

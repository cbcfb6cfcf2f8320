"""pytest fixtures that run sandboxes on free local ports.

Register with ``pytest_plugins = ["nmbrs_sandbox.pytest_plugin"]`` in a conftest.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest

from nmbrs_sandbox.sandbox import Sandbox
from nmbrs_sandbox.scenario import Scenario

SandboxFactory = Callable[..., Sandbox]


@pytest.fixture
def nmbrs_sandbox() -> Iterator[Sandbox]:
    """A started sandbox with the demo scenario, stopped after the test."""
    with Sandbox(Scenario.demo()).start() as sandbox:
        yield sandbox


@pytest.fixture
def nmbrs_sandbox_factory() -> Iterator[SandboxFactory]:
    """``factory(scenario=None, **knobs)`` starts a sandbox (demo when no scenario given)."""
    started: list[Sandbox] = []

    def factory(scenario: Scenario | Mapping[str, Any] | None = None, **knobs: Any) -> Sandbox:
        sandbox = Sandbox(scenario, **knobs).start()
        started.append(sandbox)
        return sandbox

    yield factory
    for sandbox in started:
        sandbox.stop()

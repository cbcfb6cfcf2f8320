"""The API choice of the DAG tests: a test (or module fixture) taking ``api`` runs on each."""

from __future__ import annotations

import pytest

from tests.dags.sync_world import APIS


@pytest.fixture(scope="module", params=APIS)
def api(request: pytest.FixtureRequest) -> str:
    """``"soap"``, then ``"rest"``: the API every company of the world is on."""
    return request.param

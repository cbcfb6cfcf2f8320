from __future__ import annotations

import pytest

from nmbrs_sandbox import Sandbox
from tests.nmbrs_sandbox.rest.rest_api import Rest, login


@pytest.fixture
def rest(nmbrs_sandbox: Sandbox) -> Rest:
    """The REST API of the demo sandbox with a token for demo@example.com (the sync's scopes)."""
    return Rest(nmbrs_sandbox.url, login(nmbrs_sandbox.url)["access_token"])

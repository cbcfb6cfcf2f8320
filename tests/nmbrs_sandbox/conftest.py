from __future__ import annotations

import pytest

from nmbrs_sandbox import Sandbox
from tests.nmbrs_sandbox.sandbox_api import Api


@pytest.fixture
def api(nmbrs_sandbox: Sandbox) -> Api:
    """zeep clients for the demo sandbox, authenticated as demo@example.com."""
    return Api(nmbrs_sandbox.url)

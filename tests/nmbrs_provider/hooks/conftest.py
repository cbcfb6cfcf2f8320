"""Fixtures of the hook tests: the REST client tests' token store and authorized connection."""

from tests.nmbrs_provider.rest.conftest import (  # noqa: F401 - fixtures used by the REST tests
    authorized,
    rest_conn,
    store_db,
    token_key,
)

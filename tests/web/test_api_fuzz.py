"""Property-based tests of the whole REST API from its OpenAPI schema (schemathesis).

The schema and the calls go through the WSGI application in process, on the test database (the
SNDS catalogue imported), so the run works on SQLite and on PostgreSQL alike. Every operation gets a
bounded number of generated calls, valid and invalid; none may answer a server error. The
catalogue's read operations (/api/catalogue/datasets...) are also held to their schema: documented
status codes, content types and bodies that validate.

Run time stays well under two minutes: MAX_EXAMPLES calls per operation and generation mode.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

pytestmark = pytest.mark.django_db

MAX_EXAMPLES = 30
STRICT = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]


def _load_schema() -> schemathesis.BaseSchema:
    # Read at collection time (pytest-django has set Django up); serving the schema needs no
    # database. Each generated call runs inside the test, in its transaction.
    from hygie.web.wsgi import application

    return schemathesis.openapi.from_wsgi("/api/openapi.json", application)


schema = _load_schema()


@pytest.fixture(autouse=True)
def keep_the_test_connection():
    """Calls go to the WSGI application directly, not through Django's test client, so do what
    the client does: keep Django from closing the connection that holds the test's transaction
    at the end of each request (on PostgreSQL it would, seeing autocommit off)."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_no_operation_answers_a_server_error(case):
    ours = case.operation.path.startswith("/api/catalogue/datasets")
    case.call_and_validate(checks=STRICT if ours else [not_a_server_error])


def test_the_fuzzed_schema_covers_the_catalogue(client):
    """The run above is not vacuous: the schema it reads has the catalogue's operations."""
    paths = client.get("/api/openapi.json").json()["paths"]
    catalogue = [p for p in paths if p.startswith("/api/catalogue/datasets")]
    assert len(catalogue) >= 7

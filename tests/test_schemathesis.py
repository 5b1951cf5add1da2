"""Schemathesis drives every operation in /api/v1/openapi.json with generated requests.

Bounded (a few dozen examples per operation, no shrinking marathon): no answer is a
500, every error is JSON with a message a person can read.
"""
from __future__ import annotations

import json

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error

from api import create_app
from tests.access_helpers import api_key
from tests.conftest import copy_database, make_radar

EXAMPLES = 25


@pytest.fixture(scope="module")
def app_and_key(small_template, tmp_path_factory, encoder):
    db = copy_database(small_template, tmp_path_factory.mktemp("schemathesis") / "st.db")
    radar = make_radar(db, encoder)
    app = create_app(radar.settings, radar=radar)
    app.config["SEARCH_RATE_LIMIT"] = "100000 per minute"    # the limiter has its own test
    return app, api_key(radar, "admin")


LABELS = ["GET /healthz", "POST /api/v1/search", "GET /api/v1/profiles/{id}/partners", "GET /api/v1/profiles",
          "POST /api/v1/profiles", "GET /api/v1/profiles/{id}", "PUT /api/v1/profiles/{id}",
          "DELETE /api/v1/profiles/{id}", "GET /api/v1/me", "GET /api/v1/audit",
          # Inno Slam planning (managers; anonymous calls get 401) and the digest subscriptions
          "POST /api/v1/innoslam/audience", "POST /api/v1/innoslam/programme", "POST /api/v1/innoslam/tour",
          "POST /api/v1/subscriptions", "POST /api/v1/subscriptions/{token}/confirm",
          "GET /api/v1/subscriptions/{token}", "PATCH /api/v1/subscriptions/{token}",
          "DELETE /api/v1/subscriptions/{token}",
          # offers and requests
          "GET /api/v1/listings", "POST /api/v1/listings", "GET /api/v1/listings/{id}",
          "PUT /api/v1/listings/{id}", "DELETE /api/v1/listings/{id}", "POST /api/v1/listings/{id}/renew",
          "GET /api/v1/listings/{id}/matches", "GET /api/v1/listings/potential"]


def test_the_spec_names_every_operation(app_and_key):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app_and_key[0])
    assert sorted(r.ok().label for r in schema.get_all_operations()) == sorted(LABELS)


@pytest.mark.parametrize("label", LABELS)
def test_api_never_fails_and_explains_every_error(app_and_key, label):
    app, key = app_and_key
    operation = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app).find_operation_by_label(label)
    calls = []

    cases = operation.as_strategy()
    if "{id}" in label and not label.startswith("DELETE"):
        # random ids only meet 404s: half the cases aim at real profiles (listed, unlisted)
        cases = st.tuples(cases, st.sampled_from([None, "kl-laser", "kl-holz", "kl-verborgen"])).map(_with_id)

    @given(case=cases)
    @settings(max_examples=EXAMPLES, deadline=None, phases=[Phase.explicit, Phase.generate],
              suppress_health_check=list(HealthCheck), database=None)
    def run(case):
        # each generated request goes in twice: as an administrator (deep paths, writes) and anonymously
        for headers in ({"Authorization": f"Bearer {key}"}, {}):
            response = case.call(headers=headers)
            calls.append(response.status_code)
            case.validate_response(response, checks=[not_a_server_error])
            if response.status_code >= 400:
                content_type = (response.headers.get("content-type") or [""])[0]
                assert content_type.startswith("application/json"), response.text[:200]
                body = json.loads(response.text)
                assert isinstance(body.get("message"), str) and body["message"].strip(), body

    run()
    assert calls and 500 not in calls
    print(f"{label}: {len(calls)} calls, statuses {sorted(set(calls))}")


def _with_id(pair):
    case, profile_id = pair
    if profile_id:
        case.path_parameters = {**(case.path_parameters or {}), "id": profile_id}
    return case

"""Schemathesis drives every operation in /api/v1/openapi.json with generated requests.

Bounded (a few dozen examples per operation, no shrinking marathon): no answer is a
500, every error is JSON with a message a person can read. Beyond the spec: every
operation with a JSON body gets deeply nested JSON and lone surrogates, and the pages
(not in the spec) get arbitrary bytes in their query parameters and path segments.
"""
from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error

from api import create_app
from tests.access_helpers import api_key
from tests.conftest import copy_on, make_radar

EXAMPLES = 25


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def app_and_key(request, small_template, tmp_path_factory, encoder):
    """On SQLite + FAISS and on PostgreSQL: hostile input reaches each store."""
    db = tmp_path_factory.mktemp("schemathesis") / "st.db"
    radar = make_radar(db, encoder, copy_on(request.param, request, small_template, "pg_small_template", db))
    if radar.settings.database_url:
        request.addfinalizer(radar.store.close)
    app = create_app(radar.settings, radar=radar)
    app.config["SEARCH_RATE_LIMIT"] = "100000 per minute"    # the limiter has its own test
    app.config["PROFILE_RATE_LIMIT"] = "100000 per minute"
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


# -- hostile JSON: nesting and lone surrogates, into every operation with a body ---------------

def _json_operations():
    from api.openapi import SPEC
    for path, methods in SPEC["paths"].items():
        for method, op in methods.items():
            if not isinstance(op, dict):      # path-level "parameters"
                continue
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            if body is not None:
                yield method.upper(), path, sorted((body.get("properties") or {"x": None}))


JSON_OPERATIONS = list(_json_operations())
_LONE_SURROGATE = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)
_TEXT_WITH_SURROGATE = st.tuples(st.text(max_size=20), _LONE_SURROGATE, st.text(max_size=20)).map("".join)


def _nested(depth: int, kind: str) -> str:
    return ("[" * depth + "]" * depth) if kind == "list" else ('{"a": ' * depth + "1" + "}" * depth)


@pytest.mark.parametrize("method, path, fields", JSON_OPERATIONS, ids=[f"{m} {p}" for m, p, _ in JSON_OPERATIONS])
def test_api_refuses_nested_and_surrogate_json_without_a_500(app_and_key, method, path, fields):
    app, key = app_and_key
    client = app.test_client()
    url = path.replace("{id}", "kl-laser").replace("{token}", "ein.falsches-token")
    surrogate_bodies = st.tuples(st.sampled_from(fields), _TEXT_WITH_SURROGATE).map(
        lambda kv: json.dumps({kv[0]: kv[1]}))           # ensure_ascii: the surrogate goes as \udXXX
    nested_bodies = st.tuples(st.integers(33, 20_000), st.sampled_from(["list", "dict"])).map(lambda a: _nested(*a))
    statuses = []

    @given(body=st.one_of(surrogate_bodies, nested_bodies))
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def run(body):
        for headers in ({"Authorization": f"Bearer {key}"}, {}):
            response = client.open(url, method=method, data=body, content_type="application/json", headers=headers)
            statuses.append(response.status_code)
            assert response.status_code < 500, (body[:80], response.get_data(as_text=True)[:200])
            if response.status_code >= 400:
                assert response.get_json()["message"].strip()
            if headers and response.status_code == 400:      # the admin got past authorisation
                message = response.get_json()["message"]
                assert "verschachtelt" in message or "Surrogat" in message, message

    run()
    assert 500 not in statuses
    if "{token}" not in path:                # a made-up token is refused before the body is read
        assert 400 in statuses
    print(f"{method} {path}: {len(statuses)} calls, statuses {sorted(set(statuses))}")


# -- the pages: arbitrary bytes in every query parameter and path segment ---------------------

PAGES = ["/", "/profil/{id}", "/innoslam", "/innoslam/einladungen.csv", "/anmelden", "/konto/passwort",
         "/abo/bestaetigen/{id}", "/abo/einstellungen/{id}", "/abo/abmelden/{id}"]
PARAMS = ["q", "art", "landkreis", "ort", "umkreis", "thema", "profil", "weiter"]
# Raw bytes (invalid UTF-8, an encoded lone surrogate ED A0 80, NUL, newlines) or text.
_VALUES = st.one_of(st.binary(max_size=40), st.just(b"\xed\xa0\x80"),
                    st.text(max_size=40).map(lambda t: t.encode("utf-8", "surrogatepass")))


def _quote(value: bytes) -> str:
    from urllib.parse import quote_from_bytes
    return quote_from_bytes(value, safe="")


@pytest.mark.parametrize("page", PAGES)
def test_pages_never_fail_on_hostile_query_or_path(app_and_key, page):
    app, key = app_and_key
    client = app.test_client()
    statuses = []
    ids = st.one_of(st.sampled_from(["kl-laser", "kl-verborgen"]), _VALUES.map(_quote).filter(bool))
    query = st.dictionaries(st.sampled_from(PARAMS), _VALUES, max_size=4)

    @given(segment=ids, params=query)
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def run(segment, params):
        url = page.replace("{id}", segment)
        query_string = "&".join(f"{name}={_quote(value)}" for name, value in params.items())
        for headers in ({"Authorization": f"Bearer {key}"}, {}):
            response = client.get(url, query_string=query_string, headers=headers)
            statuses.append(response.status_code)
            assert response.status_code < 500, (url, query_string, response.get_data(as_text=True)[:300])
            assert response.status_code in (200, 302, 308, 400, 401, 403, 404, 410), response.status_code
            if response.status_code == 308:
                # Werkzeug merges slashes by a redirect ("%2Fx" in a segment: "//x" -> "/x"):
                # never to another site.
                location = urlsplit(response.headers["Location"])
                assert location.netloc in ("", "localhost"), response.headers["Location"]

    run()
    assert 500 not in statuses
    print(f"GET {page}: {len(statuses)} calls, statuses {sorted(set(statuses))}")

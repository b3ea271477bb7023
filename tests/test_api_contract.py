"""The JSON API does what its OpenAPI description says, checked by schemathesis against the real app.

Schemathesis generates valid and invalid calls from the description and checks every answer: no
server error, only documented status codes and content types, bodies that match their schemas,
invalid input refused and valid input accepted.
"""
import pytest
import schemathesis
from hypothesis import HealthCheck, assume, given, settings

from app.extensions import db

from schemathesis.generation.modes import GenerationMode

CHECKED = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)


def outside_what_a_schema_can_state(query) -> bool:
    """The two rules an OpenAPI schema cannot state: `from` not after `to`; not faculty and group together."""
    if not isinstance(query, dict):
        return False
    start, end = query.get("from"), query.get("to")
    return (isinstance(start, str) and isinstance(end, str) and start > end) or ("faculty" in query and "group" in query)


@pytest.fixture
def api_token(app, runner, setup_cli):
    assert setup_cli("demo").exit_code == 0
    output = runner.invoke(args=["api-token", "create", "Contract test"]).output.strip()
    assert output.startswith("su_")
    db.session.commit()
    return output


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_the_api_keeps_its_description(app, api_token, mode):
    described = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    headers = {"Authorization": f"Bearer {api_token}"}

    @CHECKED
    @given(case=described.as_strategy(generation_mode=mode))
    def call(case):
        assume(mode is GenerationMode.NEGATIVE or not outside_what_a_schema_can_state(case.query))
        case.call_and_validate(headers=headers)

    call()


def test_the_api_refuses_what_its_description_cannot_state(client, api_token):
    headers = {"Authorization": f"Bearer {api_token}"}
    reversed_range = client.get("/api/v1/coverage?from=2025-01-01&to=2024-01-01", headers=headers)
    assert reversed_range.status_code == 400 and "from" in reversed_range.json["error"]
    assert client.get("/api/v1/coverage?faculty=1&group=1", headers=headers).status_code == 400
    for nonsense in ("null", "-1", "99999999999999999999999", "1e3", "٣"):
        assert client.get(f"/api/v1/coverage?group={nonsense}", headers=headers).status_code == 400
    assert client.get("/api/v1/coverage?group=2147483647", headers=headers).status_code == 404
    assert client.get("/api/v1/coverage?colour=red", headers=headers).status_code == 400
    assert client.get("/api/v1/plan?plan=no-such-plan", headers=headers).status_code == 404


def test_a_refused_api_call_answers_in_json_even_for_a_nul_character(app, api_token):
    client = app.test_client()
    response = client.get("/api/v1/coverage?from=%00", headers={"Authorization": f"Bearer {api_token}"})
    assert response.status_code == 400 and response.is_json and "error" in response.json

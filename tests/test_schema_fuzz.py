"""Schemathesis over the whole OpenAPI surface, in-process (ASGI), offline.

For every operation, Hypothesis draws requests from the published schema, valid and invalid, and each answer
must: not be a 5xx; have a status code the schema documents for that operation; have the documented content
type; match the documented response schema; refuse a request that breaks the schema with a 4xx.

One check is left out, on purpose: `positive_data_acceptance` expects every schema-valid request to succeed.
The JSON schema cannot say everything a scene must satisfy (a parameter range written in T, a start inside the
domain, a run whose schedule lacks the swept parameter), so such requests get a documented 422 naming the field.
"""
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import positive_data_acceptance

from app.main import create_app

schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(warm=False))


@schema.parametrize()
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_answers_as_documented(case):
    case.call_and_validate(excluded_checks=[positive_data_acceptance])

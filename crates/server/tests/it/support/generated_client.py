"""Drives a real Advocate server through a client generated from its /openapi.json.

Run by `a_client_generated_from_the_document_works` (crates/server/tests/it/api.rs) as
`python3 generated_client.py BASE_URL API_KEY` with the generated package `client` on
sys.path. Every call goes through the generated functions and models, so a wrong
operationId, parameter location or schema shows up here as a crash or a wrong type.
"""

import sys

from client import AuthenticatedClient
from client.api.cases import get_case, list_cases
from client.api.nps import get_nps
from client.api.answers import create_answer, create_response
from client.api.surveys import create_survey, list_surveys
from client.models import CreateSurvey, CustomerFields, NewAnswerBody

base, key = sys.argv[1], sys.argv[2]
api = AuthenticatedClient(base_url=base, token=key, raise_on_unexpected_status=True)


survey = create_survey.sync(client=api, body=CreateSurvey(slug="gen", name="Generated"))
assert survey is not None and survey.slug == "gen", survey
assert any(s.slug == "gen" for s in list_surveys.sync(client=api))

# The last through the deprecated alias of the same operation (POST /api/v1/responses).
for score, customer, create in [(10, "G1", create_answer), (9, "G2", create_answer), (2, "G3", create_response)]:
    created = create.sync(
        client=api,
        body=NewAnswerBody(
            survey="gen",
            score=score,
            comment="from the generated client",
            customer=CustomerFields(external_id=customer, name=f"Customer {customer}"),
        ),
    )
    assert created is not None and created.category in ("promoter", "detractor"), created

report = get_nps.sync(client=api, survey="gen")
assert report is not None and report.n == 3, report.to_dict()
assert round(report.nps) == 33, report.to_dict()

page = list_cases.sync(client=api)
cases = [c for c in page.cases if c.customer_external_id == "G3"]
assert len(cases) == 1, page.to_dict()
case = get_case.sync(client=api, id=cases[0].id)
assert case is not None and case.score == 2, case.to_dict()
print("generated client: survey, 3 answers, NPS 33, case", case.id)

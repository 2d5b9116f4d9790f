"""Staff write through mutations; bad input gets typed errors and nothing half-written."""

from __future__ import annotations

from tests.conftest import GraphQLClient

CREATE_ORG = """
mutation($input: CreateOrganisationInput!) {
  createOrganisation(input: $input) {
    organisation { id name kind odsCode postcode }
    errors { code field message }
  }
}
"""
CREATE_HUB = """
mutation($input: CreateHubInput!) {
  createHub(input: $input) {
    hub { id code name hostOrganisation { name } cohorts { code } partners { totalCount } }
    errors { code field message }
  }
}
"""
RECORD_ASSESSMENT = """
mutation($input: RecordAssessmentInput!) {
  recordAssessment(input: $input) {
    assessment { id measure rawScore score flags participant { ref } }
    errors { code field message }
  }
}
"""
COUNTS = "{ organisations { totalCount } hubs { totalCount } assessments { totalCount } }"


async def _org(gql: GraphQLClient, **fields: object) -> str:
    data = await gql(CREATE_ORG, input={"name": "Guildford URC", "kind": "FAITH_VENUE", **fields})
    assert data["createOrganisation"]["errors"] == []
    return data["createOrganisation"]["organisation"]["id"]


async def test_create_organisation_normalises_identifiers(gql: GraphQLClient) -> None:
    data = await gql(
        CREATE_ORG,
        input={
            "name": "Riverside Surgery",
            "kind": "GP_PRACTICE",
            "odsCode": "a81001",
            "postcode": "gu1 4ab",
        },
    )
    payload = data["createOrganisation"]
    assert payload["errors"] == []
    assert payload["organisation"]["odsCode"] == "A81001"
    assert payload["organisation"]["postcode"] == "GU1 4AB"


async def test_invalid_ods_code_and_duplicate_are_typed_errors(gql: GraphQLClient) -> None:
    bad = await gql(CREATE_ORG, input={"name": "X", "kind": "PCN", "odsCode": "A81001"})
    assert bad["createOrganisation"]["organisation"] is None
    [error] = bad["createOrganisation"]["errors"]
    assert (error["code"], error["field"]) == ("ods_code_format", "odsCode")

    await _org(gql, kind="GP_PRACTICE", odsCode="A81001")
    dup = await gql(CREATE_ORG, input={"name": "Y", "kind": "GP_PRACTICE", "odsCode": "A81001"})
    assert [(e["code"], e["field"]) for e in dup["createOrganisation"]["errors"]] == [
        ("duplicate", "odsCode")
    ]
    assert (await gql(COUNTS))["organisations"]["totalCount"] == 1


async def test_create_hub_with_links_and_unknown_references(gql: GraphQLClient) -> None:
    host = await _org(gql)
    school = await _org(gql, name="Northside Primary School", kind="PRIMARY_SCHOOL")
    ok = await gql(
        CREATE_HUB,
        input={
            "code": "GFD-HUB",
            "name": "Guildford Hub",
            "venue": "Guildford URC",
            "area": "Guildford",
            "hostOrganisation": host,
            "partners": [school],
            "cohorts": ["older_people", "dementia"],
        },
    )
    hub = ok["createHub"]["hub"]
    assert ok["createHub"]["errors"] == []
    assert hub["hostOrganisation"]["name"] == "Guildford URC"
    assert {c["code"] for c in hub["cohorts"]} == {"older_people", "dementia"}
    assert hub["partners"]["totalCount"] == 1

    bad = await gql(
        CREATE_HUB,
        input={
            "code": "WOK-HUB",
            "name": "Woking",
            "venue": "V",
            "area": "Woking",
            "hostOrganisation": hub["id"],
            "cohorts": ["not_a_cohort"],
        },
    )
    errors = {(e["code"], e["field"]) for e in bad["createHub"]["errors"]}
    # A hub's ID where an organisation's is expected is named as such.
    assert errors == {("wrong_type", "hostOrganisation")}
    bad = await gql(
        CREATE_HUB,
        input={
            "code": "WOK-HUB",
            "name": "Woking",
            "venue": "V",
            "area": "Woking",
            "hostOrganisation": host,
            "cohorts": ["not_a_cohort"],
        },
    )
    assert {(e["code"], e["field"]) for e in bad["createHub"]["errors"]} == {
        ("not_found", "cohorts")
    }
    assert (await gql(COUNTS))["hubs"]["totalCount"] == 1


async def test_update_changes_only_what_is_given(gql: GraphQLClient) -> None:
    org = await _org(gql, localAuthority="Guildford")
    data = await gql(
        """mutation($input: UpdateOrganisationInput!) { updateOrganisation(input: $input) {
            organisation { name localAuthority } errors { field code } } }""",
        input={"id": org, "name": "Guildford United Reformed Church"},
    )
    assert data["updateOrganisation"]["organisation"] == {
        "name": "Guildford United Reformed Church",
        "localAuthority": "Guildford",
    }


async def test_assessment_items_are_validated_and_scored(gql: GraphQLClient) -> None:
    participant = await gql(
        """mutation { createParticipant(input: {ref: "P-000001", generation: OLDER_PERSON,
           ageBand: AGE_75_84, cohorts: ["dementia"]}) { participant { id } errors { field } } }"""
    )
    pid = participant["createParticipant"]["participant"]["id"]
    base = {"participant": pid, "measure": "WHO5", "timepoint": "PRE", "assessedOn": "2024-01-10"}

    bad = await gql(RECORD_ASSESSMENT, input={**base, "items": [3, 3, 9, 3, 3]})
    [error] = bad["recordAssessment"]["errors"]
    assert (error["code"], error["field"]) == ("out_of_range", "items[2]")
    assert "item 3" in error["message"]
    assert (await gql(COUNTS))["assessments"]["totalCount"] == 0

    ok = await gql(RECORD_ASSESSMENT, input={**base, "items": [2, 2, 2, 3, 3]})
    assessment = ok["recordAssessment"]["assessment"]
    assert (assessment["rawScore"], assessment["score"]) == (12, 48)
    assert assessment["flags"] == ["poor_wellbeing"]
    assert assessment["participant"]["ref"] == "P-000001"


async def test_session_needs_exactly_one_parent(gql: GraphQLClient) -> None:
    data = await gql(
        """mutation { recordSession(input: {date: "2024-01-10",
            attendance: {olderPeople: 12}}) { session { id } errors { code field } } }"""
    )
    assert data["recordSession"]["errors"] == [{"code": "one_parent", "field": "hub"}]


async def test_correcting_an_assessment_rescores_it(gql: GraphQLClient) -> None:
    participant = await gql(
        """mutation { createParticipant(input: {ref: "P-000002", generation: YOUNG_PERSON})
           { participant { id } } }"""
    )
    pid = participant["createParticipant"]["participant"]["id"]
    recorded = await gql(
        RECORD_ASSESSMENT,
        input={
            "participant": pid,
            "measure": "SWEMWBS",
            "timepoint": "PRE",
            "assessedOn": "2024-01-10",
            "items": [3] * 7,
        },
    )
    assessment = recorded["recordAssessment"]["assessment"]
    assert (assessment["rawScore"], assessment["score"]) == (21, 19.25)

    update = """mutation($input: UpdateAssessmentInput!) { updateAssessment(input: $input) {
        assessment { rawScore score } errors { code field } } }"""
    fixed = await gql(update, input={"id": assessment["id"], "items": [4] * 7})
    assert fixed["updateAssessment"] == {
        "assessment": {"rawScore": 28, "score": 25.03},
        "errors": [],
    }
    bad = await gql(update, input={"id": assessment["id"], "items": [4] * 6})
    assert bad["updateAssessment"]["errors"] == [{"code": "wrong_item_count", "field": "items"}]

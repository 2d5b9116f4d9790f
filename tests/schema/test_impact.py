"""Impact figures against values worked out by hand for a small, known fixture."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from imm_graph import services
from imm_graph.db import Database
from imm_graph.ids import encode_id
from tests import builders
from tests.conftest import GraphQLClient
from tests.schema.test_statement_count import counting

IMPACT = """
query($f: ImpactFilter) {
  impact(filter: $f) {
    peopleEngaged sessionsDelivered hubsWithSessions staffTrained trainingDeliveries
    attendance { childrenYoungPeople olderPeople staff volunteers families total }
    outcomes { measure pairs meanPre meanPost meanChange meaningfulChange
               improvedShare significantlyImprovedShare }
  }
}
"""
PRE, POST = dt.date(2024, 1, 10), dt.date(2024, 3, 20)


@pytest.fixture
async def fixture(db: Database) -> dict[str, str]:
    async with db.transaction() as s:
        host = await builders.organisation(s)
        twm = await builders.programme(s)
        mag = await builders.programme(s, code="move-and-groove", name="Move & Groove")
        hub = await builders.hub(s, host.id, programme_id=twm.id, cohort_codes=("older_people",))
        project = await builders.project(s, mag.id, cohort_codes=("send",))
        for day, counts in (
            (dt.date(2024, 1, 10), (10, 8, 2, 1, 0)),
            (dt.date(2024, 1, 17), (12, 9, 2, 2, 3)),
        ):
            await builders.session_at(
                s,
                hub.id,
                day,
                **dict(
                    zip(
                        (
                            "children_young_people",
                            "older_people",
                            "staff",
                            "volunteers",
                            "families",
                        ),
                        counts,
                        strict=True,
                    )
                ),
            )
        await services.create(
            s,
            "session",
            {
                "project_id": project.id,
                "session_date": dt.date(2024, 2, 1),
                "children_young_people": 20,
                "staff": 3,
                "families": 5,
            },
        )
        for title, programme, day, trainees in (
            ("Music & Movement for care staff", twm.id, dt.date(2024, 1, 5), 12),
            ("Move & Groove teachers", mag.id, dt.date(2024, 3, 1), 8),
        ):
            await services.create(
                s,
                "training",
                {
                    "title": title,
                    "programme_id": programme,
                    "delivered_on": day,
                    "trainees": trainees,
                },
            )

        async def person(
            ref: str,
            generation: str,
            cohorts: tuple[str, ...],
            where: dict[str, int],
            scores: list[tuple[str, list[int], list[int]]],
        ) -> None:
            p = await builders.participant(s, ref, generation=generation, cohort_codes=cohorts)
            await services.create(
                s, "enrolment", {"participant_id": p.id, "enrolled_on": PRE, **where}
            )
            for measure, pre, post in scores:
                for timepoint, day, items in (("pre", PRE, pre), ("post", POST, post)):
                    await builders.assessment(
                        s,
                        p.id,
                        items,
                        measure=measure,
                        timepoint=timepoint,
                        assessed_on=day,
                        **where,
                    )

        at_hub, at_project = {"hub_id": hub.id}, {"project_id": project.id}
        # WHO-5 40 -> 60 (+20, significant); UCLA 9 -> 6 (-3, better and significant)
        await person(
            "P-1",
            "older_person",
            ("dementia",),
            at_hub,
            [("who5", [2] * 5, [3] * 5), ("ucla3", [3] * 3, [2] * 3)],
        )
        # WHO-5 60 -> 64 (+4: better, not significant)
        await person(
            "P-2", "older_person", ("older_people",), at_hub, [("who5", [3] * 5, [3, 3, 3, 3, 4])]
        )
        # SWEMWBS raw 21 -> 28: metric 19.25 -> 25.03 (+5.78, significant)
        await person(
            "P-3", "young_person", ("send", "cyp"), at_project, [("swemwbs", [3] * 7, [4] * 7)]
        )
    return {"twm": encode_id("Programme", twm.id), "hub": encode_id("Hub", hub.id)}


async def test_whole_organisation(gql: GraphQLClient, fixture: dict[str, str]) -> None:
    impact = (await gql(IMPACT))["impact"]
    assert impact["peopleEngaged"] == 3
    assert impact["sessionsDelivered"] == 3 and impact["hubsWithSessions"] == 1
    assert impact["attendance"] == {
        "childrenYoungPeople": 42,
        "olderPeople": 17,
        "staff": 7,
        "volunteers": 3,
        "families": 8,
        "total": 77,
    }
    assert (impact["staffTrained"], impact["trainingDeliveries"]) == (20, 2)
    assert impact["outcomes"] == [
        {
            "measure": "SWEMWBS",
            "pairs": 1,
            "meanPre": 19.25,
            "meanPost": 25.03,
            "meanChange": 5.78,
            "meaningfulChange": 3.0,
            "improvedShare": 1.0,
            "significantlyImprovedShare": 1.0,
        },
        {
            "measure": "UCLA3",
            "pairs": 1,
            "meanPre": 9.0,
            "meanPost": 6.0,
            "meanChange": -3.0,
            "meaningfulChange": 1.0,
            "improvedShare": 1.0,
            "significantlyImprovedShare": 1.0,
        },
        {
            "measure": "WHO5",
            "pairs": 2,
            "meanPre": 50.0,
            "meanPost": 62.0,
            "meanChange": 12.0,
            "meaningfulChange": 10.0,
            "improvedShare": 1.0,
            "significantlyImprovedShare": 0.5,
        },
    ]


async def test_one_programme(gql: GraphQLClient, fixture: dict[str, str]) -> None:
    impact = (await gql(IMPACT, f={"programme": fixture["twm"]}))["impact"]
    assert impact["peopleEngaged"] == 2 and impact["sessionsDelivered"] == 2
    assert impact["attendance"]["total"] == 22 + 17 + 4 + 3 + 3
    assert impact["staffTrained"] == 12
    assert [o["measure"] for o in impact["outcomes"]] == ["UCLA3", "WHO5"]


async def test_one_cohort(gql: GraphQLClient, fixture: dict[str, str]) -> None:
    impact = (await gql(IMPACT, f={"cohort": "send"}))["impact"]
    assert impact["sessionsDelivered"] == 1 and impact["attendance"]["total"] == 28
    assert impact["peopleEngaged"] == 1
    assert [o["measure"] for o in impact["outcomes"]] == ["SWEMWBS"]


async def test_date_range_excludes_later_post_scores(
    gql: GraphQLClient, fixture: dict[str, str]
) -> None:
    impact = (await gql(IMPACT, f={"dateFrom": "2024-01-01", "dateTo": "2024-01-31"}))["impact"]
    assert impact["sessionsDelivered"] == 2
    assert impact["staffTrained"] == 12
    assert impact["outcomes"] == []  # the post scores fall in March


async def test_wrong_id_type_in_filter_is_named(
    gql: GraphQLClient, fixture: dict[str, str]
) -> None:
    body = await gql.raw(IMPACT, f={"programme": fixture["hub"]})
    [error] = body["errors"]
    assert error["extensions"]["fieldErrors"][0]["field"] == "filter.programme"


@pytest.mark.parametrize(
    ("selection", "tables"),
    [
        ("peopleEngaged", {"enrolments"}),
        ("attendance { total } sessionsDelivered", {"sessions"}),
        ("...Training", {"training_deliveries"}),
        ("outcomes { measure pairs }", {"outcome_assessments"}),
        ("__typename", set()),
    ],
)
async def test_only_the_figures_asked_for_are_computed(
    gql: GraphQLClient, db: Database, fixture: dict[str, str], selection: str, tables: set[str]
) -> None:
    """A dashboard asking for three numbers does not pay for the outcome pairs; the figures it
    gets are the ones the whole query gives."""
    query = f"query($f: ImpactFilter) {{ impact(filter: $f) {{ {selection} }} }}"
    if "...Training" in selection:
        query += " fragment Training on Impact { staffTrained trainingDeliveries }"
    whole = (await gql(IMPACT, f={"programme": fixture["twm"]}))["impact"]
    with counting(db) as statements:
        part = (await gql(query, f={"programme": fixture["twm"]}))["impact"]
    # (On PostgreSQL `{ impact { __typename } }` compiles to a SELECT of a constant: no table.)
    read = [s for s in statements if "api_keys" not in s and "FROM" in s]
    assert len(read) == (1 if tables else 0)
    for name in ("sessions", "enrolments", "training_deliveries", "outcome_assessments"):
        assert (f"FROM {name}" in "".join(read)) == (name in tables), name
    assert part == _as_selected(whole, part)


def _as_selected(whole: Any, part: Any) -> Any:
    """``whole`` cut down to the shape of ``part``."""
    if isinstance(part, dict):
        return {
            key: value if key == "__typename" else _as_selected(whole.get(key), value)
            for key, value in part.items()
        }
    if isinstance(part, list):
        return [_as_selected(w, p) for w, p in zip(whole, part, strict=True)]
    return whole

"""The core's GraphQL object types.

Objects are built straight from SQL rows (`build`), and every relation resolves through a
per-request DataLoader, so a query costs one statement per level however many rows it returns.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Annotated, Any, TypeVar

import strawberry
from strawberry import Info

from imm_graph.schema import relations as r
from imm_graph.schema.context import Context
from imm_graph.schema.enums import (
    AgeBand,
    Generation,
    HubStatus,
    Measure,
    OrganisationKind,
    ProgrammeArm,
    Timepoint,
)
from imm_graph.schema.ids import encode_id
from imm_graph.schema.loaders import by_key, counts, grouped, pages
from imm_graph.schema.pagination import Connection, PageArgs, connection
from imm_graph.schema.personal import personal_field
from imm_graph.schema.relations import Relation
from imm_graph.scoring import score as score_items

N = TypeVar("N")
_FIELDS: dict[type, tuple[tuple[str, ...], bool]] = {}


def build(cls: type[N], row: Any) -> N:
    """Make a GraphQL object from a row: its columns fill the fields of the same name, and
    its key fills ``pk`` where the type has one."""
    found = _FIELDS.get(cls)
    if found is None:
        own = {f.name for f in dataclasses.fields(cls) if f.init}  # type: ignore[arg-type]
        names = tuple(n for n in row._mapping if n in own and n != "pk")
        found = _FIELDS[cls] = (names, "pk" in own)
    names, has_pk = found
    mapping = row._mapping
    values = {n: mapping[n] for n in names}
    if has_pk:
        values["pk"] = mapping[_PK.get(cls, "id")]
    return cls(**values)


_PK: dict[type, str] = {}


def page_args(
    info: Info[Context, None],
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> PageArgs:
    s = info.context.settings
    return PageArgs(first, after, last, before).checked(s.default_page_size, s.max_page_size)


async def nested(
    info: Info[Context, None], relation: Relation, parent: Any, cls: type[N],
    first: int | None, after: str | None, last: int | None, before: str | None,
) -> Connection[N]:
    ctx = info.context
    args = page_args(info, first, after, last, before)
    page = await pages(ctx, relation, args).load(parent)
    return connection(
        page, relation.ordering, lambda row: build(cls, row),
        lambda: counts(ctx, relation).load(parent),
    )


async def one(info: Info[Context, None], table: Any, cls: type[N], key: Any) -> N | None:
    if key is None:
        return None
    row = await by_key(info.context, table, _PK.get(cls, "id")).load(key)
    return None if row is None else build(cls, row)


First = Annotated[
    int | None,
    strawberry.argument(
        description="Return the first n items (default and maximum are set per server)."
    ),
]
After = Annotated[str | None, strawberry.argument(description="Start after this cursor.")]
Last = Annotated[int | None, strawberry.argument(description="Return the last n items.")]
Before = Annotated[str | None, strawberry.argument(description="End before this cursor.")]


@strawberry.interface(description="An object with a global ID, fetchable with `node(id:)`.")
class Node:
    pk: strawberry.Private[Any]

    @strawberry.field(description="A global, opaque ID.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(encode_id(type(self).__name__, self.pk))


@strawberry.type(description="A clinical cohort IMM works with (annual report appendix).")
class ClinicalCohort(Node):
    code: str
    name: str
    description: str

    @strawberry.field(description="Hubs that serve this cohort.")
    async def hubs(
        self, info: Info[Context, None], first: First = None, after: After = None,
        last: Last = None, before: Before = None,
    ) -> Connection[Hub]:
        return await nested(info, r.COHORT_HUBS, self.pk, Hub, first, after, last, before)

    @strawberry.field(description="Projects delivered for this cohort.")
    async def projects(
        self, info: Info[Context, None], first: First = None, after: After = None,
        last: Last = None, before: Before = None,
    ) -> Connection[Project]:
        return await nested(info, r.COHORT_PROJECTS, self.pk, Project, first, after, last, before)


@strawberry.type(description="One of the 18 kinds of stakeholder in the annual report appendix.")
class StakeholderKind(Node):
    code: str
    name: str
    description: str


_PK[ClinicalCohort] = "code"
_PK[StakeholderKind] = "code"


async def _cohorts(info: Info[Context, None], relation: Relation, key: Any) -> list[ClinicalCohort]:
    return [build(ClinicalCohort, row) for row in await grouped(info.context, relation).load(key)]


@strawberry.type(description="A partner body: care home, school, NHS body, council, funder …")
class Organisation(Node):
    name: str
    kind: OrganisationKind
    ods_code: str | None = strawberry.field(
        description="NHS Organisation Data Service code, for NHS bodies."
    )
    address: str | None
    postcode: str | None
    local_authority: str | None
    website: str | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @strawberry.field(description="Hubs this organisation hosts.")
    async def hubs(
        self, info: Info[Context, None], first: First = None, after: After = None,
        last: Last = None, before: Before = None,
    ) -> Connection[Hub]:
        return await nested(info, r.ORGANISATION_HUBS, self.pk, Hub, first, after, last, before)

    @strawberry.field(description="Hubs this organisation partners in (not as host).")
    async def partner_hubs(
        self, info: Info[Context, None], first: First = None, after: After = None,
        last: Last = None, before: Before = None,
    ) -> Connection[Hub]:
        return await nested(
            info, r.ORGANISATION_PARTNER_HUBS, self.pk, Hub, first, after, last, before
        )

    @strawberry.field(description="Projects this organisation leads.")
    async def projects(
        self, info: Info[Context, None], first: First = None, after: After = None,
        last: Last = None, before: Before = None,
    ) -> Connection[Project]:
        return await nested(
            info, r.ORGANISATION_PROJECTS, self.pk, Project, first, after, last, before
        )

    @strawberry.field(description="People and bodies linked to this organisation.")
    async def stakeholders(
        self, info: Info[Context, None], first: First = None, after: After = None,
        last: Last = None, before: Before = None,
    ) -> Connection[Stakeholder]:
        return await nested(
            info, r.ORGANISATION_STAKEHOLDERS, self.pk, Stakeholder, first, after, last, before
        )


@strawberry.type(description="An IMM programme, e.g. Together with Music or Harmony Generations.")
class Programme(Node):
    code: str
    name: str
    arm: ProgrammeArm
    description: str | None

    @strawberry.field(description="Projects delivering this programme, latest first.")
    async def projects(
        self, info: Info[Context, None], first: First = None, after: After = None,
        last: Last = None, before: Before = None,
    ) -> Connection[Project]:
        return await nested(
            info, r.PROGRAMME_PROJECTS, self.pk, Project, first, after, last, before
        )

    @strawberry.field(description="Hubs run under this programme.")
    async def hubs(
        self, info: Info[Context, None], first: First = None, after: After = None,
        last: Last = None, before: Before = None,
    ) -> Connection[Hub]:
        return await nested(info, r.PROGRAMME_HUBS, self.pk, Hub, first, after, last, before)


@strawberry.type(description="A recurring intergenerational community hub.")
class Hub(Node):
    code: str
    name: str
    venue: str
    area: str
    local_authority: str | None
    schedule: str | None
    status: HubStatus
    started_on: dt.date | None
    host_organisation_id: strawberry.Private[int]
    programme_id: strawberry.Private[int | None]

    @strawberry.field(description="The organisation that hosts the hub.")
    async def host_organisation(self, info: Info[Context, None]) -> Organisation:
        found = await one(info, r.organisations, Organisation, self.host_organisation_id)
        assert found is not None  # a foreign key guarantees it
        return found

    @strawberry.field
    async def programme(self, info: Info[Context, None]) -> Programme | None:
        return await one(info, r.programmes, Programme, self.programme_id)

    @strawberry.field(description="Cohorts the hub serves.")
    async def cohorts(self, info: Info[Context, None]) -> list[ClinicalCohort]:
        return await _cohorts(info, r.HUB_COHORTS, self.pk)

    @strawberry.field(description="Partner organisations (besides the host).")
    async def partners(
        self, info: Info[Context, None], first: First = None, after: After = None,
        last: Last = None, before: Before = None,
    ) -> Connection[Organisation]:
        return await nested(info, r.HUB_PARTNERS, self.pk, Organisation, first, after, last, before)

    @strawberry.field(description="Delivered sessions, latest first.")
    async def sessions(
        self, info: Info[Context, None], first: First = None, after: After = None,
        last: Last = None, before: Before = None,
    ) -> Connection[Session]:
        return await nested(info, r.HUB_SESSIONS, self.pk, Session, first, after, last, before)


@strawberry.type(description="A block of sessions (typically 6–10 weeks) delivered in one place.")
class Project(Node):
    code: str
    name: str
    area: str
    local_authority: str | None
    start_date: dt.date
    end_date: dt.date | None
    weeks: int
    programme_id: strawberry.Private[int]
    lead_organisation_id: strawberry.Private[int | None]

    @strawberry.field
    async def programme(self, info: Info[Context, None]) -> Programme:
        found = await one(info, r.programmes, Programme, self.programme_id)
        assert found is not None
        return found

    @strawberry.field
    async def lead_organisation(self, info: Info[Context, None]) -> Organisation | None:
        return await one(info, r.organisations, Organisation, self.lead_organisation_id)

    @strawberry.field(description="Cohorts the project is for.")
    async def cohorts(self, info: Info[Context, None]) -> list[ClinicalCohort]:
        return await _cohorts(info, r.PROJECT_COHORTS, self.pk)

    @strawberry.field
    async def partners(
        self, info: Info[Context, None], first: First = None, after: After = None,
        last: Last = None, before: Before = None,
    ) -> Connection[Organisation]:
        return await nested(
            info, r.PROJECT_PARTNERS, self.pk, Organisation, first, after, last, before
        )

    @strawberry.field(description="Delivered sessions, latest first.")
    async def sessions(
        self, info: Info[Context, None], first: First = None, after: After = None,
        last: Last = None, before: Before = None,
    ) -> Connection[Session]:
        return await nested(info, r.PROJECT_SESSIONS, self.pk, Session, first, after, last, before)


@strawberry.type(description="Who came to a session, counted by generation.")
class Attendance:
    children_young_people: int
    older_people: int
    staff: int
    volunteers: int
    families: int

    @strawberry.field(description="Everyone counted at the session.")
    def total(self) -> int:
        return (
            self.children_young_people + self.older_people + self.staff + self.volunteers
            + self.families
        )


@strawberry.type(description="One delivered session of a hub or a project.")
class Session(Node):
    session_date: dt.date = strawberry.field(name="date", description="Local date of the session.")
    venue: str | None
    facilitator: str | None
    notes: str | None
    children_young_people: strawberry.Private[int]
    older_people: strawberry.Private[int]
    staff: strawberry.Private[int]
    volunteers: strawberry.Private[int]
    families: strawberry.Private[int]
    hub_id: strawberry.Private[int | None]
    project_id: strawberry.Private[int | None]

    @strawberry.field
    def attendance(self) -> Attendance:
        return Attendance(
            children_young_people=self.children_young_people, older_people=self.older_people,
            staff=self.staff, volunteers=self.volunteers, families=self.families,
        )

    @strawberry.field
    async def hub(self, info: Info[Context, None]) -> Hub | None:
        return await one(info, r.hubs, Hub, self.hub_id)

    @strawberry.field
    async def project(self, info: Info[Context, None]) -> Project | None:
        return await one(info, r.projects, Project, self.project_id)

    @strawberry.field(description="Cohorts of the hub or project the session belongs to.")
    async def cohorts(self, info: Info[Context, None]) -> list[ClinicalCohort]:
        if self.hub_id is not None:
            return await _cohorts(info, r.HUB_COHORTS, self.hub_id)
        return await _cohorts(info, r.PROJECT_COHORTS, self.project_id)


@strawberry.type(description="A person or body with a role toward IMM.")
class Stakeholder(Node):
    name: str
    role: str | None
    kind_code: strawberry.Private[str]
    organisation_id: strawberry.Private[int | None]

    @strawberry.field
    async def kind(self, info: Info[Context, None]) -> StakeholderKind:
        found = await one(info, r.stakeholder_kinds, StakeholderKind, self.kind_code)
        assert found is not None
        return found

    @strawberry.field
    async def organisation(self, info: Info[Context, None]) -> Organisation | None:
        return await one(info, r.organisations, Organisation, self.organisation_id)


@strawberry.type(
    description="A participant, pseudonymous: a reference, age band, generation and cohorts. "
    "Identifiable fields exist only where a referral brought them."
)
class Participant(Node):
    ref: str = strawberry.field(description="Pseudonymous reference, e.g. P-000123.")
    age_band: AgeBand | None
    generation: Generation
    given_name = personal_field("given_name", "Given name.")
    family_name = personal_field("family_name", "Family name.")
    nhs_number = personal_field("nhs_number", "NHS number, 10 digits.")
    date_of_birth = personal_field("date_of_birth", "Date of birth.")
    email = personal_field("email", "E-mail address.")
    phone = personal_field("phone", "Telephone number.")
    address = personal_field("address", "Postal address.")
    postcode = personal_field("postcode", "Postcode.")

    @strawberry.field
    async def cohorts(self, info: Info[Context, None]) -> list[ClinicalCohort]:
        return await _cohorts(info, r.PARTICIPANT_COHORTS, self.pk)

    @strawberry.field
    async def enrolments(
        self, info: Info[Context, None], first: First = None, after: After = None,
        last: Last = None, before: Before = None,
    ) -> Connection[Enrolment]:
        return await nested(
            info, r.PARTICIPANT_ENROLMENTS, self.pk, Enrolment, first, after, last, before
        )

    @strawberry.field
    async def assessments(
        self, info: Info[Context, None], first: First = None, after: After = None,
        last: Last = None, before: Before = None,
    ) -> Connection[OutcomeAssessment]:
        return await nested(
            info, r.PARTICIPANT_ASSESSMENTS, self.pk, OutcomeAssessment, first, after, last, before
        )


@strawberry.type(description="A participant's enrolment in a hub or a project.")
class Enrolment(Node):
    enrolled_on: dt.date
    left_on: dt.date | None
    participant_id: strawberry.Private[int]
    hub_id: strawberry.Private[int | None]
    project_id: strawberry.Private[int | None]

    @strawberry.field
    async def participant(self, info: Info[Context, None]) -> Participant:
        found = await one(info, r.participants, Participant, self.participant_id)
        assert found is not None
        return found

    @strawberry.field
    async def hub(self, info: Info[Context, None]) -> Hub | None:
        return await one(info, r.hubs, Hub, self.hub_id)

    @strawberry.field
    async def project(self, info: Info[Context, None]) -> Project | None:
        return await one(info, r.projects, Project, self.project_id)


@strawberry.type(description="One scored questionnaire (WHO-5, UCLA-3, SWEMWBS …).")
class OutcomeAssessment(Node):
    measure: Measure
    timepoint: Timepoint
    assessed_on: dt.date
    items: list[int] = strawberry.field(description="Item responses as given, in order.")
    raw_score: float = strawberry.field(description="The sum of the items.")
    score: float = strawberry.field(
        description="The reported score: WHO-5 percentage (raw × 4), SWEMWBS metric score, "
        "otherwise the raw sum."
    )
    participant_id: strawberry.Private[int]
    hub_id: strawberry.Private[int | None]
    project_id: strawberry.Private[int | None]

    @strawberry.field(description="Screening flags, e.g. poor_wellbeing for WHO-5.")
    def flags(self) -> list[str]:
        return list(score_items(self.measure, self.items).flags)

    @strawberry.field
    async def participant(self, info: Info[Context, None]) -> Participant:
        found = await one(info, r.participants, Participant, self.participant_id)
        assert found is not None
        return found

    @strawberry.field
    async def hub(self, info: Info[Context, None]) -> Hub | None:
        return await one(info, r.hubs, Hub, self.hub_id)

    @strawberry.field
    async def project(self, info: Info[Context, None]) -> Project | None:
        return await one(info, r.projects, Project, self.project_id)


@strawberry.type(description="A training delivery: how many people IMM trained, when.")
class TrainingDelivery(Node):
    title: str
    delivered_on: dt.date
    trainees: int
    programme_id: strawberry.Private[int | None]
    organisation_id: strawberry.Private[int | None]

    @strawberry.field
    async def programme(self, info: Info[Context, None]) -> Programme | None:
        return await one(info, r.programmes, Programme, self.programme_id)

    @strawberry.field
    async def organisation(self, info: Info[Context, None]) -> Organisation | None:
        return await one(info, r.organisations, Organisation, self.organisation_id)


# Type name -> (table, GraphQL type): what `node(id:)` can fetch.
NODE_TYPES: dict[str, tuple[Any, type]] = {
    "Organisation": (r.organisations, Organisation),
    "Hub": (r.hubs, Hub),
    "Programme": (r.programmes, Programme),
    "Project": (r.projects, Project),
    "Session": (r.sessions, Session),
    "Stakeholder": (r.stakeholders, Stakeholder),
    "StakeholderKind": (r.stakeholder_kinds, StakeholderKind),
    "ClinicalCohort": (r.cohorts, ClinicalCohort),
    "Participant": (r.participants, Participant),
    "Enrolment": (r.enrolments, Enrolment),
    "OutcomeAssessment": (r.assessments, OutcomeAssessment),
    "TrainingDelivery": (r.trainings, TrainingDelivery),
}

NODE_CLASSES: tuple[type, ...] = tuple(cls for _, cls in NODE_TYPES.values())

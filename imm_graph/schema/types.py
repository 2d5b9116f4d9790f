"""The core's GraphQL object types.

Objects are built straight from SQL rows (`build`), and every relation resolves through a
per-request DataLoader, so a query costs one statement per level however many rows it returns.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import strawberry
from strawberry import Info

from imm_graph.ids import encode_id
from imm_graph.reference import CLINICAL_COHORTS
from imm_graph.schema import relations as r
from imm_graph.schema.context import Context
from imm_graph.schema.enums import (
    AgeBand,
    AttendanceStatus,
    ConsentGivenBy,
    ConsentPurpose,
    Ethnicity,
    Generation,
    HubStatus,
    Measure,
    OrganisationKind,
    ProgrammeArm,
    Sex,
    Timepoint,
)
from imm_graph.schema.loaders import by_key, counts, grouped, pages
from imm_graph.schema.mapping import (
    Connects,
    Embeds,
    Follows,
    IsNull,
    Lists,
    ListsEither,
    Values,
    sql,
)
from imm_graph.schema.metadata import bounded, direct
from imm_graph.schema.pagination import Connection, PageArgs, connection
from imm_graph.schema.personal import personal_field
from imm_graph.schema.relations import Relation
from imm_graph.scoring import score as score_items
from imm_graph.services.errors import camel

N = TypeVar("N")
# A cohort list holds at most every cohort there is: what the cost limit counts it as.
COHORT_LIST = bounded(len(CLINICAL_COHORTS))
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
    info: Info[Context, None],
    relation: Relation,
    parent: Any,
    cls: type[N],
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> Connection[N]:
    ctx = info.context
    args = page_args(info, first, after, last, before)
    page = await pages(ctx, relation, args).load(parent)
    return connection(
        page,
        relation.ordering,
        lambda row: build(cls, row),
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


# --- relation fields, declared once ----------------------------------------------------------
# Each helper builds the resolver and records its SQL mapping (`mapping.py`) as field metadata,
# which is where the SQL compiler reads it: one declaration serves both read paths. The target
# type is named as a string (it may be defined further down) and looked up in this module.


def _class(name: str) -> Any:
    return globals()[name]


def follows(target: str, fk: str, description: str | None = None, *, optional: bool = False) -> Any:
    """A to-one field: the ``target`` whose key is in this object's ``fk`` column."""

    async def resolve(self: Any, info: Info[Context, None]) -> Any:
        cls = _class(target)
        found = await one(info, NODE_TYPES[target][0], cls, getattr(self, fk))
        if found is None and not optional:
            raise LookupError(f"{target} {getattr(self, fk)!r} is missing")  # a foreign key holds
        return found

    resolve.__annotations__["return"] = f"{target} | None" if optional else target
    return strawberry.field(
        resolver=resolve, description=description,
        metadata=sql(Follows(target, fk), **direct(resolve)),
    )


def connects(relation: Relation, target: str, description: str | None = None) -> Any:
    """A paginated connection of ``target`` objects along ``relation``."""

    async def resolve(
        self: Any,
        info: Info[Context, None],
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Any:
        return await nested(info, relation, self.pk, _class(target), first, after, last, before)

    resolve.__annotations__["return"] = f"Connection[{target}]"
    return strawberry.field(
        resolver=resolve, description=description,
        metadata=sql(Connects(relation, target), **direct(resolve)),
    )


def lists(relation: Relation, target: str, description: str | None = None) -> Any:
    """A bounded list of reference objects (cohorts) along ``relation``."""

    async def resolve(self: Any, info: Info[Context, None]) -> Any:
        rows = await grouped(info.context, relation).load(self.pk)
        return [build(_class(target), row) for row in rows]

    resolve.__annotations__["return"] = f"list[{target}]"
    return strawberry.field(
        resolver=resolve,
        description=description,
        metadata=sql(Lists(relation, target), **COHORT_LIST, **direct(resolve)),
    )


def lists_either(
    choices: tuple[tuple[str, Relation], ...], target: str, description: str | None = None
) -> Any:
    """A bounded list along the first relation whose parent column is set on this object."""

    async def resolve(self: Any, info: Info[Context, None]) -> Any:
        for column, relation in choices:
            key = getattr(self, column)
            if key is not None:
                rows = await grouped(info.context, relation).load(key)
                return [build(_class(target), row) for row in rows]
        return []

    resolve.__annotations__["return"] = f"list[{target}]"
    return strawberry.field(
        resolver=resolve,
        description=description,
        metadata=sql(ListsEither(choices, target), **COHORT_LIST, **direct(resolve)),
    )


def values(relation: Relation, column: str, description: str | None = None) -> Any:
    """The values of one column along ``relation``, as a list of strings."""

    async def resolve(self: Any, info: Info[Context, None]) -> list[str]:
        rows = await grouped(info.context, relation).load(self.pk)
        return [row._mapping[column] for row in rows]

    return strawberry.field(
        resolver=resolve, description=description,
        metadata=sql(Values(relation, column), **direct(resolve)),
    )


def embeds(mapping: Embeds, description: str | None = None) -> Any:
    """An object built from this object's own columns (no query at all)."""

    def resolve(self: Any) -> Any:
        return _class(mapping.type_name)(**{c: getattr(self, c) for c in mapping.columns.values()})

    resolve.__annotations__["return"] = mapping.type_name
    return strawberry.field(
        resolver=resolve, description=description,
        metadata=sql(mapping, **direct(_of_source(resolve))),
    )


def is_null(column: str, description: str | None = None) -> Any:
    """True when this object's ``column`` is null."""

    def resolve(self: Any) -> bool:
        return getattr(self, column) is None

    return strawberry.field(
        resolver=resolve, description=description,
        metadata=sql(IsNull(column), **direct(_of_source(resolve))),
    )


def _of_source(resolve: Callable[[Any], Any]) -> Callable[..., Any]:
    """A resolver of the object alone, called as graphql-core calls resolvers."""
    return lambda source, _info: resolve(source)


def _global_id(source: Any, _info: Any = None) -> strawberry.ID:
    return strawberry.ID(encode_id(type(source).__name__, source.pk))


@strawberry.interface(description="An object with a global ID, fetchable with `node(id:)`.")
class Node:
    pk: strawberry.Private[Any]

    @strawberry.field(description="A global, opaque ID.", metadata=direct(_global_id))
    def id(self) -> strawberry.ID:
        return _global_id(self)


@strawberry.type(description="A clinical cohort IMM works with (annual report appendix).")
class ClinicalCohort(Node):
    code: str
    name: str
    description: str

    hubs = connects(r.COHORT_HUBS, "Hub", "Hubs that serve this cohort.")

    projects = connects(r.COHORT_PROJECTS, "Project", "Projects delivered for this cohort.")


@strawberry.type(description="One of the 18 kinds of stakeholder in the annual report appendix.")
class StakeholderKind(Node):
    code: str
    name: str
    description: str


_PK[ClinicalCohort] = "code"
_PK[StakeholderKind] = "code"


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

    hubs = connects(r.ORGANISATION_HUBS, "Hub", "Hubs this organisation hosts.")

    partner_hubs = connects(
        r.ORGANISATION_PARTNER_HUBS, "Hub", "Hubs this organisation partners in (not as host)."
    )

    projects = connects(r.ORGANISATION_PROJECTS, "Project", "Projects this organisation leads.")

    stakeholders = connects(
        r.ORGANISATION_STAKEHOLDERS, "Stakeholder", "People and bodies linked to this organisation."
    )


@strawberry.type(description="An IMM programme, e.g. Together with Music or Harmony Generations.")
class Programme(Node):
    code: str
    name: str
    arm: ProgrammeArm
    description: str | None

    projects = connects(
        r.PROGRAMME_PROJECTS, "Project", "Projects delivering this programme, latest first."
    )

    hubs = connects(r.PROGRAMME_HUBS, "Hub", "Hubs run under this programme.")


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

    host_organisation = follows(
        "Organisation", "host_organisation_id", "The organisation that hosts the hub."
    )

    programme = follows("Programme", "programme_id", optional=True)

    cohorts = lists(r.HUB_COHORTS, "ClinicalCohort", "Cohorts the hub serves.")

    catchment = values(
        r.HUB_CATCHMENT,
        "postcode_district",
        'The postcode districts the hub serves ("TW3"): referrals are matched by them.',
    )

    partners = connects(r.HUB_PARTNERS, "Organisation", "Partner organisations (besides the host).")

    sessions = connects(r.HUB_SESSIONS, "Session", "Delivered sessions, latest first.")


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

    programme = follows("Programme", "programme_id")

    lead_organisation = follows("Organisation", "lead_organisation_id", optional=True)

    cohorts = lists(r.PROJECT_COHORTS, "ClinicalCohort", "Cohorts the project is for.")

    partners = connects(r.PROJECT_PARTNERS, "Organisation")

    sessions = connects(r.PROJECT_SESSIONS, "Session", "Delivered sessions, latest first.")


def _total(attendance: Any) -> int:
    return sum(getattr(attendance, column) for column in ATTENDANCE.sums["total"])


@strawberry.type(description="Who came to a session, counted by generation.")
class Attendance:
    children_young_people: int
    older_people: int
    staff: int
    volunteers: int
    families: int

    @strawberry.field(
        description="Everyone counted at the session.", metadata=direct(_of_source(_total))
    )
    def total(self) -> int:
        return _total(self)


ATTENDANCE_COLUMNS = ("children_young_people", "older_people", "staff", "volunteers", "families")
ATTENDANCE = Embeds(
    "Attendance",
    columns={camel(c): c for c in ATTENDANCE_COLUMNS},
    sums={"total": ATTENDANCE_COLUMNS},
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

    attendance = embeds(ATTENDANCE)

    hub = follows("Hub", "hub_id", optional=True)

    project = follows("Project", "project_id", optional=True)

    cohorts = lists_either(
        (("hub_id", r.HUB_COHORTS), ("project_id", r.PROJECT_COHORTS)),
        "ClinicalCohort",
        "Cohorts of the hub or project the session belongs to.",
    )

    register = connects(
        r.SESSION_REGISTER, "RegisterLine", "Who was on the session's register, by participant."
    )


@strawberry.type(description="A person or body with a role toward IMM.")
class Stakeholder(Node):
    name: str
    role: str | None
    kind_code: strawberry.Private[str]
    organisation_id: strawberry.Private[int | None]

    kind = follows("StakeholderKind", "kind_code")

    organisation = follows("Organisation", "organisation_id", optional=True)

    consents = connects(
        r.STAKEHOLDER_CONSENTS, "Consent", "What this person consented to, latest first."
    )


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
    sex = personal_field("sex", "Stated sex (NHS data set code).", Sex)
    ethnicity = personal_field("ethnicity", "Ethnic category (NHS Data Dictionary).", Ethnicity)
    postcode_district: str | None = strawberry.field(
        description='The outward part of the postcode ("TW3"): an area, not an address.'
    )

    attendance = connects(
        r.PARTICIPANT_ATTENDANCE,
        "RegisterLine",
        "The sessions this person is on the register of, latest first.",
    )

    consents = connects(
        r.PARTICIPANT_CONSENTS, "Consent", "What this person consented to, latest first."
    )

    cohorts = lists(r.PARTICIPANT_COHORTS, "ClinicalCohort")

    enrolments = connects(r.PARTICIPANT_ENROLMENTS, "Enrolment")

    assessments = connects(r.PARTICIPANT_ASSESSMENTS, "OutcomeAssessment")


@strawberry.type(description="A participant's enrolment in a hub or a project.")
class Enrolment(Node):
    enrolled_on: dt.date
    left_on: dt.date | None
    participant_id: strawberry.Private[int]
    hub_id: strawberry.Private[int | None]
    project_id: strawberry.Private[int | None]

    participant = follows("Participant", "participant_id")

    hub = follows("Hub", "hub_id", optional=True)

    project = follows("Project", "project_id", optional=True)


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

    participant = follows("Participant", "participant_id")

    hub = follows("Hub", "hub_id", optional=True)

    project = follows("Project", "project_id", optional=True)


@strawberry.type(description="A training delivery: how many people IMM trained, when.")
class TrainingDelivery(Node):
    title: str
    delivered_on: dt.date
    trainees: int
    programme_id: strawberry.Private[int | None]
    organisation_id: strawberry.Private[int | None]

    programme = follows("Programme", "programme_id", optional=True)

    organisation = follows("Organisation", "organisation_id", optional=True)


@strawberry.type(description="One line of a session's register.")
class RegisterLine:
    status: AttendanceStatus
    recorded_at: dt.datetime
    session_id: strawberry.Private[int]
    participant_id: strawberry.Private[int]

    session = follows("Session", "session_id")

    participant = follows("Participant", "participant_id")


@strawberry.type(
    description="A consent: what was agreed, when, given by whom (a role, never a name), and "
    "when it was withdrawn."
)
class Consent(Node):
    purpose: ConsentPurpose
    given_at: dt.datetime
    given_by: ConsentGivenBy
    recorded_by: str = strawberry.field(description="Who recorded it: an API key or a command.")
    withdrawn_at: dt.datetime | None
    withdrawal_reason: str | None
    participant_id: strawberry.Private[int | None]
    stakeholder_id: strawberry.Private[int | None]

    active = is_null("withdrawn_at", "In force: given and not withdrawn.")

    participant = follows("Participant", "participant_id", optional=True)

    stakeholder = follows("Stakeholder", "stakeholder_id", optional=True)


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
    "Consent": (r.consents, Consent),
}

# Every type that is rows of one table: the node types and the register's lines. The SQL
# compiler reads their fields (columns and `mapping` metadata) from here.
SQL_TYPES: dict[str, tuple[Any, type]] = {**NODE_TYPES, "RegisterLine": (r.attendees, RegisterLine)}

NODE_CLASSES: tuple[type, ...] = tuple(cls for _, cls in NODE_TYPES.values())

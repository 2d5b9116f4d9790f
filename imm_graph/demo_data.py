"""Demo data set for imm_graph, drawn from IMM's own published documents.

Pure data: this module imports nothing from the database layer, so it can be used by seed scripts,
tests and fixtures alike.

Where the data comes from (files in ``/work/shared/seeds/``):

* ``000_f2d142ee665d5546.txt`` - Annual Report 2023/24. The main source: the programmes, the case
  studies (Youth Social Action, Youth Uniform Groups, The Welcome Centre Manchester, Manchester
  Jewish Museum, High Wycombe, Singing from the Heart, Generations in Motion, Sing & Grow, Sounds
  of Sustainability), the "IMM Hubs: London" section (8 boroughs; Enfield and Islington partners
  named), Hounslow's Harmony Generations (four hubs), the Woking and Guildford hubs, the music
  therapy posts (Frimley Health, Woodlands, Ridgeway and Fox Grove schools), training (Clarion
  Housing, Wales), the Talking Generations campaign, Intergenerational England and the headline
  impact figures.
* ``001_7386d116b5a7b205.txt`` - five-year anniversary: Together with Music (with Care England),
  Move & Groove (with Youth Sport Trust and London South Bank University), training figures.
* ``002_05cd661076e9ff8a.txt`` - what an IMM hub is.
* ``003_2153be3bf6b419f3.txt`` - mission statement and delivery arms.
* ``004_a68f0eef1cec2f75.txt`` - City of London hubs and the Activator volunteering pathway.

What is real and what is synthetic:

* Organisation, programme, hub, project and stakeholder *names* and roles are the ones the texts
  give. Where the texts name a place but no venue (six of the eight London boroughs, Woking, High
  Wycombe), the hub or project is hosted/led by IMM itself or has no lead, and the venue string says
  the venue is not named; no venue or partner is invented. Local authority names follow the ONS
  district names for the places the texts mention.
* ODS codes are given only for NHS bodies whose codes are well known (Frimley Health NHS FT ``RDU``,
  Royal Surrey NHS FT ``RA2``, NHS North West London ICB ``QRV``); postcodes are left as ``None``
  (the Hounslow hubs' postcode districts from the report are kept in the hub ``area`` text).
* Schedules, start dates that the texts do not state, the number of sessions, attendance counts,
  training head-counts, participants and their questionnaire scores are SYNTHETIC. They are shaped
  by the published figures (``PUBLISHED_FIGURES``): e.g. the London hubs run as 6-week blocks so
  that the 8 boroughs add up to the report's 48 sessions, Guildford sees up to ~60 attendees, care
  home and school hubs 15-35, and WHO-5 post scores improve on average (the report cites a 34%
  overall WHO-5 increase) but not for everyone.
* Everything is deterministic: the generators use ``random.Random(seed)`` and fixed iteration order,
  so the same seed always yields the same sessions and participants.

Codes (organisation kinds, hub statuses, generations, age bands, programme arms, cohort and
stakeholder kind codes, measures, timepoints) are the ones defined in ``imm_graph.reference``.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

# --------------------------------------------------------------------------------------------------
# Shapes
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoOrganisation:
    key: str
    name: str
    kind: str
    local_authority: str | None
    postcode: str | None
    ods_code: str | None
    website: str | None


@dataclass(frozen=True)
class DemoProgramme:
    code: str
    name: str
    arm: str
    description: str


@dataclass(frozen=True)
class DemoHub:
    code: str
    name: str
    area: str
    local_authority: str
    venue: str
    schedule: str
    host: str
    partners: tuple[str, ...]
    cohorts: tuple[str, ...]
    programme: str | None
    status: str
    started_on: date


@dataclass(frozen=True)
class DemoProject:
    code: str
    name: str
    programme: str
    area: str
    local_authority: str | None
    lead: str | None
    partners: tuple[str, ...]
    cohorts: tuple[str, ...]
    start_date: date
    weeks: int
    sessions_per_week: int


@dataclass(frozen=True)
class DemoStakeholder:
    name: str
    kind: str
    organisation: str | None
    role: str | None


@dataclass(frozen=True)
class DemoTraining:
    title: str
    programme: str | None
    organisation: str | None
    delivered_on: date
    trainees: int


@dataclass(frozen=True)
class DemoSession:
    parent_kind: str
    parent_code: str
    date: date
    venue: str
    facilitator: str
    children_young_people: int
    older_people: int
    staff: int
    volunteers: int
    families: int


@dataclass(frozen=True)
class DemoAssessment:
    measure: str
    timepoint: str
    assessed_on: date
    items: tuple[int, ...]


@dataclass(frozen=True)
class DemoParticipant:
    ref: str
    age_band: str
    generation: str
    cohorts: tuple[str, ...]
    hub: str | None
    project: str | None
    enrolled_on: date
    assessments: tuple[DemoAssessment, ...]


# --------------------------------------------------------------------------------------------------
# Sources
# --------------------------------------------------------------------------------------------------

_AR = "000_f2d142ee665d5546.txt"  # Annual Report 2023/24
_ANNIV = "001_7386d116b5a7b205.txt"  # five-year anniversary
_CITY = "004_a68f0eef1cec2f75.txt"  # City of London hubs

# --------------------------------------------------------------------------------------------------
# Organisations
# --------------------------------------------------------------------------------------------------


def _org(
    key: str,
    name: str,
    kind: str,
    local_authority: str | None = None,
    *,
    ods_code: str | None = None,
    website: str | None = None,
) -> DemoOrganisation:
    return DemoOrganisation(key, name, kind, local_authority, None, ods_code, website)


ORGANISATIONS: tuple[DemoOrganisation, ...] = (
    # IMM and its sister body
    _org("imm", "Intergenerational Music Making", "charity",
         website="https://www.imm-music.com"),
    _org("intergenerational-england", "Intergenerational England", "community_organisation"),
    # Funders
    _org("mercers-company", "The Mercers' Company", "funder", website="https://www.mercers.co.uk"),
    _org("thriving-communities-fund", "Thriving Communities Fund", "funder"),
    _org("comic-relief", "Comic Relief", "funder", website="https://www.comicrelief.com"),
    _org("clarion-futures", "Clarion Futures", "funder"),
    _org("iwill-fund", "#iwill Fund", "funder"),
    _org("utley-foundation", "The Utley Foundation", "funder"),  # spelt "Utleay" in the report
    _org("city-of-london-corporation", "City of London Corporation", "local_authority",
         "City of London", website="https://www.cityoflondon.gov.uk"),
    # Charities and national partners
    _org("nw-hearts-charity", "NW Hearts Charity", "charity"),
    _org("care-england", "Care England", "charity", website="https://www.careengland.org.uk"),
    _org("youth-united-foundation", "Youth United Foundation", "charity"),
    _org("boys-brigade", "The Boys' Brigade", "community_organisation",
         website="https://boys-brigade.org.uk"),
    _org("youth-sport-trust", "Youth Sport Trust", "charity",
         website="https://www.youthsporttrust.org"),
    _org("frimley-health-charity", "Frimley Health Charity", "charity"),
    _org("bamt", "British Association for Music Therapy", "charity",
         website="https://www.bamt.org"),
    _org("yougov", "YouGov", "business", website="https://yougov.co.uk"),
    # Housing
    _org("clarion-housing", "Clarion Housing Group", "housing_provider",
         website="https://www.clarionhg.com"),
    _org("sng", "SNG (Sovereign Network Group)", "housing_provider"),
    # Universities and cultural organisations
    _org("lsbu", "London South Bank University", "university", "Southwark",
         website="https://www.lsbu.ac.uk"),
    _org("royal-college-of-music", "Royal College of Music", "university",
         "Kensington and Chelsea", website="https://www.rcm.ac.uk"),
    _org("royal-albert-hall", "Royal Albert Hall", "cultural_organisation",
         "Kensington and Chelsea", website="https://www.royalalberthall.com"),
    _org("manchester-jewish-museum", "Manchester Jewish Museum", "cultural_organisation",
         "Manchester", website="https://www.manchesterjewishmuseum.com"),
    _org("electric-theatre", "Electric Theatre", "cultural_organisation", "Guildford"),
    # Libraries and community venues
    _org("manchester-central-library", "Central Library Manchester (Manchester Libraries)",
         "library", "Manchester"),
    _org("fitton-hill-library", "Fitton Hill Library", "library", "Oldham"),
    _org("welcome-centre-manchester", "The Welcome Centre Manchester", "community_organisation",
         "Manchester"),
    _org("cheadle-brownies", "Cheadle Brownies", "community_organisation", "Stockport"),
    _org("guildford-urc", "Guildford United Reformed Church", "faith_venue", "Guildford"),
    # London hubs
    _org("claremont-project", "Claremont Project", "charity", "Islington"),
    _org("catherine-lodge-care-home", "Catherine Lodge Care Home", "care_home", "Enfield"),
    _org("northside-primary-school", "Northside Primary School", "primary_school"),
    _org("sycamore-house", "Sycamore House", "care_home", "Hammersmith and Fulham"),
    _org("miles-coverdale-primary-school", "Miles Coverdale Primary School", "primary_school",
         "Hammersmith and Fulham"),
    # Hounslow (Harmony Generations)
    _org("nhs-nwl-hounslow", "NHS North West London - Hounslow Borough Team", "icb", "Hounslow",
         ods_code="QRV"),
    _org("hounslow-housing-engagement", "Hounslow Housing Engagement Team", "housing_provider",
         "Hounslow"),
    _org("thriving-communities-partnership", "Thriving Communities Community Partnership team",
         "community_organisation", "Hounslow"),
    _org("lva-trust", "Loved, Valued, Able (LVA Trust)", "charity", "Hounslow"),
    _org("holy-trinity-hounslow", "Holy Trinity Church, Hounslow", "faith_venue", "Hounslow"),
    _org("norwood-green-care-home", "Norwood Green Care Home", "care_home", "Hounslow"),
    _org("oriel-centre", "Oriel Centre", "community_organisation", "Hounslow"),
    # Guildford hub
    _org("pilgrim-wood", "Pilgrim Wood", "care_home", "Guildford"),
    _org("childs-play-pre-school", "Child's Play Pre-School", "nursery", "Guildford"),
    # Social prescribing (Generations in Motion)
    _org("braccan-health-pcn", "Braccan Health PCN / Forest Health", "pcn"),
    _org("asbury-manor-care-home", "Asbury Manor Care Home", "care_home"),
    # Music therapy posts
    _org("frimley-health-nhs-ft", "Frimley Health NHS Foundation Trust", "nhs_trust",
         ods_code="RDU", website="https://www.frimleyhealth.nhs.uk"),
    _org("wexham-park-hospital", "Wexham Park Hospital", "hospital", "Slough"),
    _org("frimley-park-hospital", "Frimley Park Hospital", "hospital", "Surrey Heath"),
    _org("farnham-centre-for-health", "Farnham Centre for Health", "hospital", "Waverley"),
    _org("heathlands-care-centre", "Heathlands Care Centre", "hospital"),
    _org("royal-surrey-nhs-ft", "Royal Surrey NHS Foundation Trust", "nhs_trust", "Guildford",
         ods_code="RA2", website="https://www.royalsurrey.nhs.uk"),
    _org("woodlands-school", "Woodlands School", "sen_school", "Mole Valley"),
    _org("ridgeway-school", "Ridgeway School", "sen_school", "Waverley"),
    _org("fox-grove-school", "Fox Grove School", "sen_school", "Mole Valley"),
    # Councils
    _org("surrey-county-council", "Surrey County Council", "local_authority", "Surrey",
         website="https://www.surreycc.gov.uk"),
)

# --------------------------------------------------------------------------------------------------
# Programmes
# --------------------------------------------------------------------------------------------------

PROGRAMMES: tuple[DemoProgramme, ...] = (
    DemoProgramme(
        "community_hubs", "IMM Community Hubs", "community",
        "Regular intergenerational creative health hubs where care homes, schools, young parents "
        "and community members meet weekly for music making, supported by local services.",
    ),
    DemoProgramme(
        "harmony_generations", "Harmony Generations", "community",
        "Twelve-month programme funded by the Thriving Communities Fund that created four "
        "multigenerational hubs across Hounslow for council tenants, older adults, young people, "
        "families, schools and care homes.",
    ),
    DemoProgramme(
        "together_with_music", "Together with Music", "community",
        "Free platform run with Care England that links care homes and older people with local "
        "schools and youth groups to set up intergenerational music projects.",
    ),
    DemoProgramme(
        "move_and_groove", "Move & Groove", "community",
        "Partnership programme combining music and movement, piloted with Youth Sport Trust and "
        "London South Bank University to tackle inactivity, loneliness and health inequalities.",
    ),
    DemoProgramme(
        "early_years", "Early Years", "community",
        "Music sessions for toddlers and their caregivers that support early development and "
        "strengthen the bond between parent and child.",
    ),
    DemoProgramme(
        "youth_social_action", "Youth Social Action", "community",
        "Trains young people as IMM Youth Innovators and pairs youth and uniformed groups with "
        "local care homes to lead creative intergenerational workshops.",
    ),
    DemoProgramme(
        "culture_and_heritage", "Culture & Heritage", "community",
        "Workshops and heritage projects in which generations share stories, recipes and songs "
        "about their cultural roots and local area.",
    ),
    DemoProgramme(
        "minutes_of_movement", "Music & Movement: Minutes of Movement", "community",
        "Music and movement projects and training that help the least active people move more, "
        "improve wellbeing and build community links through shared local venues.",
    ),
    DemoProgramme(
        "singing_from_the_heart", "Singing from the Heart", "community",
        "Six-week music programme in Greater Manchester with NW Hearts Charity for people living "
        "with heart disease and their families: guided listening, singing and music making.",
    ),
    DemoProgramme(
        "social_prescribing", "Health & Wellbeing: Social Prescribing", "community",
        "Music and movement prevention work with social prescribers for people with poor mental "
        "health, loneliness or inactivity, building confidence to use community facilities.",
    ),
    DemoProgramme(
        "sing_and_grow", "Sing & Grow", "community",
        "Environmental programme joining music and gardening: a communal garden where older "
        "people share their knowledge and sing with younger participants.",
    ),
    DemoProgramme(
        "sounds_of_sustainability", "Sounds of Sustainability", "community",
        "Two-day intergenerational workshop at Central Library Manchester exploring environmental "
        "themes with parents and children aged 2-6 through music and play.",
    ),
    DemoProgramme(
        "music_therapy_dementia", "Music Therapy: Dementia Post in Hospitals", "music_therapy",
        "Band 8 music therapist within Frimley Health's dementia care team across four sites, "
        "offering individual and group music therapy on the wards.",
    ),
    DemoProgramme(
        "music_therapy_schools", "Music Therapy in Schools", "music_therapy",
        "Music therapy posts in special schools in Surrey mixing clinical and community "
        "approaches, with individual, paired and whole-class sessions.",
    ),
    DemoProgramme(
        "imm_training", "IMM Training", "training",
        "Training for teachers, care and housing staff, volunteers and students to lead "
        "intergenerational music and movement sessions themselves.",
    ),
    DemoProgramme(
        "activator_pathway", "IMM Activator Volunteering Pathway", "training",
        "Volunteer pathway that builds local skills in intergenerational practice, leadership "
        "and community facilitation beyond the life of a programme.",
    ),
    DemoProgramme(
        "talking_generations", "Talking Generations", "campaign",
        "National awareness campaign and podcast with Intergenerational England that challenges "
        "attitudes to age and promotes conversation between generations.",
    ),
)

# --------------------------------------------------------------------------------------------------
# Hubs
# --------------------------------------------------------------------------------------------------

_DEMO = "demo schedule"


def _london_hub(
    code: str,
    borough: str,
    started_on: date,
    schedule: str,
    cohorts: tuple[str, ...],
    *,
    host: str = "imm",
    venue: str | None = None,
    partners: tuple[str, ...] = (),
    status: str = "paused",
) -> DemoHub:
    return DemoHub(
        code=code,
        name=f"{borough} Intergenerational Creative Health Hub",
        area=f"{borough}, London",
        local_authority=borough,
        venue=venue or f"Community venue in {borough} (not named in the report)",
        schedule=f"{schedule} (6-week block; {_DEMO})",
        host=host,
        partners=(*partners, "mercers-company"),
        cohorts=cohorts,
        programme="community_hubs",
        status=status,
        started_on=started_on,
    )


# The postcode districts each hub serves (for matching social-prescribing referrals): the
# districts of its borough or town. Demo values, chosen from the areas the report names.
CATCHMENTS: dict[str, tuple[str, ...]] = {
    "LDN-ENF": ("EN1", "EN2", "EN3", "N9", "N21"),
    "LDN-HAC": ("E5", "E8", "E9", "N16"),
    "LDN-HGY": ("N15", "N17", "N22", "N8"),
    "LDN-ISL": ("N1", "N7", "N19", "EC1V"),
    "LDN-NWM": ("E6", "E12", "E13", "E15"),
    "LDN-SWK": ("SE1", "SE5", "SE15", "SE16"),
    "LDN-LBH": ("SW2", "SW9", "SE11", "SE27"),
    "LDN-TWH": ("E1", "E2", "E3", "E14"),
    "HSL-LVA": ("TW4", "TW6"),
    "HSL-HTC": ("TW3",),
    "HSL-NGC": ("TW5", "UB2"),
    "HSL-ORC": ("TW13", "TW14"),
    "WOK-HUB": ("GU21", "GU22", "GU24"),
    "GFD-HUB": ("GU1", "GU2", "GU4"),
}

_HOUNSLOW_PARTNERS = (
    "thriving-communities-fund",
    "nhs-nwl-hounslow",
    "hounslow-housing-engagement",
    "thriving-communities-partnership",
)

HUBS: tuple[DemoHub, ...] = (
    # IMM Hubs: London - 8 boroughs, funded with the Mercers' Company; 48 sessions in total.
    # Enfield's block runs June-July 2024: its children wrote a song for the new Prime Minister
    # "following the election" (July 2024); the other blocks fall inside 2023/24.
    _london_hub("LDN-ENF", "Enfield", date(2024, 6, 5), "Weekly, Wednesdays 13:30-14:30",
                ("older_people", "dementia", "cyp"), host="catherine-lodge-care-home",
                venue="Catherine Lodge Care Home", partners=("northside-primary-school",),
                status="active"),
    _london_hub("LDN-HAC", "Hackney", date(2023, 4, 18), "Weekly, Tuesdays 14:00-15:00",
                ("older_people", "cyp", "mental_health")),
    _london_hub("LDN-HGY", "Haringey", date(2023, 6, 8), "Weekly, Thursdays 13:30-14:30",
                ("older_people", "dementia", "cyp")),
    _london_hub("LDN-ISL", "Islington", date(2023, 9, 13), "Weekly, Wednesdays 11:00-12:30",
                ("older_people", "mental_health", "cyp"), host="claremont-project",
                venue="Claremont Project"),
    _london_hub("LDN-NWM", "Newham", date(2023, 9, 15), "Weekly, Fridays 13:30-14:30",
                ("older_people", "cyp", "socioeconomic")),
    _london_hub("LDN-SWK", "Southwark", date(2023, 10, 30), "Weekly, Mondays 14:00-15:00",
                ("older_people", "dementia", "cyp")),
    _london_hub("LDN-LBH", "Lambeth", date(2024, 1, 9), "Weekly, Tuesdays 13:30-14:30",
                ("older_people", "cyp", "mental_health")),
    _london_hub("LDN-TWH", "Tower Hamlets", date(2024, 2, 8), "Weekly, Thursdays 14:00-15:00",
                ("older_people", "cyp", "socioeconomic")),
    # Hounslow: Harmony Generations, four hubs over a 12-month period.
    DemoHub(
        code="HSL-LVA", name="Harmony Generations Hub: LVA Trust", area="Hounslow (TW4)",
        local_authority="Hounslow", venue="Loved, Valued, Able (LVA Trust)",
        schedule=f"Weekly, Wednesdays 16:30-18:00 ({_DEMO})", host="lva-trust",
        partners=_HOUNSLOW_PARTNERS, cohorts=("cyp", "families", "older_people"),
        programme="harmony_generations", status="active", started_on=date(2023, 4, 12),
    ),
    DemoHub(
        code="HSL-HTC", name="Harmony Generations Hub: Holy Trinity Church",
        area="Hounslow (TW3)", local_authority="Hounslow", venue="Holy Trinity Church, Hounslow",
        schedule=f"Weekly, Tuesdays 10:30-12:00 ({_DEMO})", host="holy-trinity-hounslow",
        partners=_HOUNSLOW_PARTNERS, cohorts=("older_people", "families", "mental_health"),
        programme="harmony_generations", status="active", started_on=date(2023, 4, 18),
    ),
    DemoHub(
        code="HSL-NGC", name="Harmony Generations Hub: Norwood Green Care Home",
        area="Hounslow (TW5)", local_authority="Hounslow", venue="Norwood Green Care Home",
        schedule=f"Weekly, Thursdays 14:00-15:30 ({_DEMO})", host="norwood-green-care-home",
        partners=_HOUNSLOW_PARTNERS, cohorts=("older_people", "dementia", "caregivers", "cyp"),
        programme="harmony_generations", status="active", started_on=date(2023, 4, 20),
    ),
    DemoHub(
        code="HSL-ORC", name="Harmony Generations Hub: Oriel Centre", area="Hounslow (TW13)",
        local_authority="Hounslow", venue="Oriel Centre",
        schedule=f"Weekly, Mondays 11:00-12:30 ({_DEMO})", host="oriel-centre",
        partners=_HOUNSLOW_PARTNERS, cohorts=("older_people", "socioeconomic", "cyp"),
        programme="harmony_generations", status="active", started_on=date(2023, 4, 24),
    ),
    # Woking: care homes, domiciliary care, community members and young people; social
    # prescribers. The report names no venue, so IMM is the host.
    DemoHub(
        code="WOK-HUB", name="Woking Intergenerational Music Hub", area="Woking, Surrey",
        local_authority="Woking", venue="Woking hub venue (not named in the report)",
        schedule=f"Weekly, Fridays 10:30-12:00 ({_DEMO})", host="imm", partners=(),
        cohorts=("older_people", "dementia", "cyp", "families"), programme="community_hubs",
        status="active", started_on=date(2023, 5, 5),
    ),
    # Guildford: running since 2022, first at the Electric Theatre, now at the United Reformed
    # Church with up to 60 members a session. The start month is not stated (demo date).
    DemoHub(
        code="GFD-HUB", name="Guildford Intergenerational Music Hub", area="Guildford, Surrey",
        local_authority="Guildford",
        venue="Guildford United Reformed Church (previously the Electric Theatre)",
        schedule=f"Weekly, Thursdays 10:00-11:30 ({_DEMO})", host="guildford-urc",
        partners=("electric-theatre", "pilgrim-wood", "childs-play-pre-school"),
        cohorts=("older_people", "dementia", "cyp", "families"), programme="community_hubs",
        status="active", started_on=date(2022, 9, 15),
    ),
)

# Hubs that ran as a single block of weekly sessions rather than all year (London: 8 x 6 = 48).
_HUB_BLOCK_WEEKS: dict[str, int] = {hub.code: 6 for hub in HUBS if hub.code.startswith("LDN-")}

# --------------------------------------------------------------------------------------------------
# Projects
# --------------------------------------------------------------------------------------------------

_YUF = "youth-united-foundation"

PROJECTS: tuple[DemoProject, ...] = (
    DemoProject(
        "EY-MCR-WELCOME", "Early Years at The Welcome Centre", "early_years", "Manchester",
        "Manchester", "welcome-centre-manchester", (), ("cyp", "families"),
        date(2024, 1, 9), 8, 2,
    ),
    DemoProject(
        "CH-MJM-CAPSULE", "Time Capsule Song: Manchester Jewish Museum at 150",
        "culture_and_heritage", "Cheetham Hill, Manchester (M8)", "Manchester",
        "manchester-jewish-museum", ("cheadle-brownies",), ("cyp", "older_people", "families"),
        date(2024, 2, 5), 6, 1,
    ),
    DemoProject(
        "MM-HIGH-WYCOMBE", "Music & Movement: High Wycombe", "minutes_of_movement",
        "High Wycombe", "Buckinghamshire", None, (), ("older_people", "cyp", "send"),
        date(2023, 10, 3), 6, 1,
    ),
    DemoProject(
        "SP-GENERATIONS-IN-MOTION", "Generations in Motion", "social_prescribing",
        "Local park and Asbury Manor Care Home", None, "braccan-health-pcn",
        ("asbury-manor-care-home",), ("mental_health", "older_people"),
        date(2023, 6, 6), 8, 2,
    ),
    # Announced in the report as upcoming, funded by a GBP 12,000 grant from NW Hearts Charity.
    DemoProject(
        "HW-SINGING-FROM-THE-HEART", "Singing from the Heart", "singing_from_the_heart",
        "Greater Manchester", None, "nw-hearts-charity", (),
        ("chronic_illness", "families", "caregivers"), date(2024, 9, 10), 6, 1,
    ),
    DemoProject(
        "ENV-SING-AND-GROW", "Sing & Grow communal garden", "sing_and_grow",
        "Communal garden (location not named in the report)", None, None, ("comic-relief",),
        ("older_people", "dementia", "cyp"), date(2023, 4, 19), 10, 1,
    ),
    DemoProject(
        "YSA-YUF-SALFORD", "Youth Uniform Groups: Salford", "youth_social_action", "Salford",
        "Salford", _YUF, (), ("cyp", "older_people"), date(2023, 5, 9), 6, 1,
    ),
    DemoProject(
        "YSA-YUF-SCOTLAND", "Youth Uniform Groups: Scotland", "youth_social_action", "Scotland",
        None, _YUF, ("boys-brigade",), ("cyp", "older_people"), date(2023, 9, 12), 6, 1,
    ),
    DemoProject(
        "YSA-YUF-WYKEHAM", "Youth Uniform Groups: Wykeham", "youth_social_action", "Wykeham",
        None, _YUF, (), ("cyp", "older_people"), date(2023, 11, 1), 6, 1,
    ),
    DemoProject(
        "YSA-YUF-BANSTEAD", "Youth Uniform Groups: Banstead", "youth_social_action", "Banstead",
        "Reigate and Banstead", _YUF, (), ("cyp", "older_people"), date(2024, 1, 16), 6, 1,
    ),
    DemoProject(
        "YSA-INNOVATORS-BASINGSTOKE", "IMM Youth Innovators: Basingstoke", "youth_social_action",
        "Basingstoke", "Basingstoke and Deane", "sng", ("clarion-futures", "iwill-fund"),
        ("cyp", "autism", "older_people"), date(2023, 6, 5), 6, 1,
    ),
    DemoProject(
        "YSA-INNOVATORS-PLYMOUTH", "IMM Youth Innovators: Plymouth", "youth_social_action",
        "Plymouth", "Plymouth", "clarion-futures", ("sng", "iwill-fund"),
        ("cyp", "autism", "older_people"), date(2023, 10, 2), 6, 1,
    ),
    DemoProject(
        "TWM-SURREY-DOWNS", "Together with Music: Surrey Downs schools and care homes",
        "together_with_music", "Surrey Downs", "Surrey", "care-england", (),
        ("older_people", "dementia", "cyp"), date(2023, 9, 19), 10, 2,
    ),
    DemoProject(
        "MT-WOODLANDS-IGM", "Woodlands School intergenerational project",
        "music_therapy_schools", "Leatherhead", "Mole Valley", "woodlands-school", (),
        ("send", "cyp", "older_people"), date(2023, 10, 4), 6, 1,
    ),
    DemoProject(
        "TWM-IMPERIAL-SYCAMORE", "Imperial project: Sycamore House and Miles Coverdale Primary",
        "together_with_music", "Hammersmith", "Hammersmith and Fulham", "sycamore-house",
        ("miles-coverdale-primary-school",), ("older_people", "cyp"), date(2023, 11, 8), 6, 1,
    ),
    DemoProject(
        "TRN-CLARION-DORKING", "Clarion communities: Dorking", "imm_training", "Dorking",
        "Mole Valley", "clarion-housing", (), ("older_people", "cyp", "families"),
        date(2023, 4, 24), 6, 1,
    ),
    DemoProject(
        "TRN-CLARION-PLYMOUTH", "Clarion communities: Plymouth", "imm_training", "Plymouth",
        "Plymouth", "clarion-housing", (), ("older_people", "cyp", "families"),
        date(2023, 6, 12), 6, 1,
    ),
    DemoProject(
        "TRN-CLARION-BIRMINGHAM", "Clarion communities: Birmingham", "imm_training",
        "Birmingham", "Birmingham", "clarion-housing", (), ("older_people", "cyp", "families"),
        date(2023, 9, 18), 6, 1,
    ),
    DemoProject(
        "TRN-CLARION-BUCKS", "Clarion communities: Buckinghamshire", "imm_training",
        "Buckinghamshire", "Buckinghamshire", "clarion-housing", (),
        ("older_people", "cyp", "families"), date(2023, 11, 6), 6, 1,
    ),
    DemoProject(
        "TRN-CLARION-BANSTEAD", "Clarion communities: Banstead", "imm_training", "Banstead",
        "Reigate and Banstead", "clarion-housing", (), ("older_people", "cyp", "families"),
        date(2024, 2, 5), 6, 1,
    ),
)

# --------------------------------------------------------------------------------------------------
# Stakeholders (public figures and bodies named in the texts)
# --------------------------------------------------------------------------------------------------

STAKEHOLDERS: tuple[DemoStakeholder, ...] = (
    DemoStakeholder("Charlotte Miller", "music_therapists_facilitators", "imm",
                    "Founder and Director, IMM; co-founder of Intergenerational England"),
    DemoStakeholder("Emily Abbott", "music_therapists_facilitators", "imm",
                    "Programme Director, IMM; co-founder of Intergenerational England"),
    DemoStakeholder("Kamila Almabetova", "music_therapists_facilitators", "imm",
                    "Music Therapist, Woodlands and Ridgeway schools"),
    DemoStakeholder("Sarah Atkins", "community_organisations", _YUF, "Project Manager"),
    DemoStakeholder("Anna Maddox", "community_organisations", _YUF, "Director"),
    DemoStakeholder("Kyri Chrisostomou", "community_organisations", "claremont-project",
                    "Programme Manager"),
    DemoStakeholder("Gemma Meek", "cultural_arts_organisations", "manchester-jewish-museum",
                    "Programmes Manager"),
    DemoStakeholder("Sue Martin", "policy_makers_funders", "nw-hearts-charity",
                    "Operations Manager"),
    DemoStakeholder("Rehana Maqsood", "health_social_care_professionals", "braccan-health-pcn",
                    "Social Prescribing Team Lead"),
    DemoStakeholder("Angela Rawcliffe", "community_assets", "manchester-central-library",
                    "Manchester Libraries"),
    DemoStakeholder("Sami Gichki", "advocacy_groups", None,
                    "Co-chair of the #iwill movement; Intergenerational England ambassador"),
    DemoStakeholder("Jess & Norma", "advocacy_groups", "intergenerational-england",
                    "First Intergenerational England ambassadors; Talking Generations guests"),
    DemoStakeholder("Lord Syed Kamall", "policy_makers_funders", None,
                    "Member of the House of Lords"),
    DemoStakeholder("Zak Abel", "participants", None,
                    "Singer; joined the Imperial project session at Sycamore House"),
    DemoStakeholder("Izzy Judd", "participants", None,
                    "Musician and author; visited an IMM early years hub with her son"),
    DemoStakeholder("Ben Skelton", "participants", None,
                    "Programme attendee; Youth Worker Award, Age Friendly Awards"),
    DemoStakeholder("Maryam Amin", "housing_providers", None,
                    "Scheme manager; Outstanding Scheme Manager Award, Age Friendly Awards"),
    # Bodies
    DemoStakeholder("The Mercers' Company", "policy_makers_funders", "mercers-company",
                    "Funding partner of the London hubs"),
    DemoStakeholder("Thriving Communities Fund", "policy_makers_funders",
                    "thriving-communities-fund", "Funder of Harmony Generations, Hounslow"),
    DemoStakeholder("NHS North West London - Hounslow Borough Team",
                    "local_government_public_health", "nhs-nwl-hounslow",
                    "Hounslow hubs partner"),
    DemoStakeholder("Hounslow Housing Engagement Team", "housing_providers",
                    "hounslow-housing-engagement", "Hounslow hubs partner"),
    DemoStakeholder("London South Bank University", "researchers_academics", "lsbu",
                    "Research partner; Move & Groove pilot"),
    DemoStakeholder("Frimley Health NHS Foundation Trust", "hospitals_healthcare",
                    "frimley-health-nhs-ft", "Host of the dementia music therapy post"),
    DemoStakeholder("Frimley Health Charity", "policy_makers_funders", "frimley-health-charity",
                    "Co-funder of the Band 8 dementia music therapist post (from 2021)"),
    DemoStakeholder("The Utley Foundation", "policy_makers_funders", "utley-foundation",
                    "Funding collaborator on the Frimley dementia music therapy post"),
    DemoStakeholder("Wexham Park Hospital", "hospitals_healthcare", "wexham-park-hospital",
                    "Site of the dementia music therapy post"),
    DemoStakeholder("Frimley Park Hospital", "hospitals_healthcare", "frimley-park-hospital",
                    "Site of the dementia music therapy post"),
    DemoStakeholder("Farnham Centre for Health", "hospitals_healthcare",
                    "farnham-centre-for-health", "Site of the dementia music therapy post"),
    DemoStakeholder("Heathlands Care Centre", "hospitals_healthcare", "heathlands-care-centre",
                    "Site of the dementia music therapy post"),
    DemoStakeholder("Royal Surrey NHS Foundation Trust", "hospitals_healthcare",
                    "royal-surrey-nhs-ft", "Music therapy placement host"),
    DemoStakeholder("Woodlands School", "educational_institutions", "woodlands-school",
                    "Music therapy service, academic year 2023-24"),
    DemoStakeholder("Ridgeway School", "educational_institutions", "ridgeway-school",
                    "Weekly music therapy day since September 2023"),
    DemoStakeholder("Fox Grove School", "educational_institutions", "fox-grove-school",
                    "Music therapy taster days May-June 2024; post from September 2024"),
    DemoStakeholder("Care England", "community_organisations", "care-england",
                    "Together with Music partner"),
    DemoStakeholder("Youth Sport Trust", "community_organisations", "youth-sport-trust",
                    "Move & Groove pilot partner"),
    DemoStakeholder("Intergenerational England", "advocacy_groups", "intergenerational-england",
                    "Sister body co-founded from IMM; Talking Generations partner"),
    DemoStakeholder("British Association for Music Therapy", "advocacy_groups", "bamt",
                    "Professional body; award for music therapists, Advancing Healthcare Awards"),
    DemoStakeholder("Royal Albert Hall", "cultural_arts_organisations", "royal-albert-hall",
                    "Venue of IMM's intergenerational practice conference"),
    DemoStakeholder("YouGov", "researchers_academics", "yougov",
                    "Research commissioned by Intergenerational England, 2024"),
    DemoStakeholder("Fitton Hill Library", "community_assets", "fitton-hill-library",
                    "Host of the Oldham Music & Movement project"),
    DemoStakeholder("Surrey County Council", "local_government_public_health",
                    "surrey-county-council",
                    "Surrey JSNA chapter on loneliness features Together with Music"),
    DemoStakeholder("City of London Corporation", "local_government_public_health",
                    "city-of-london-corporation",
                    "Community Infrastructure Levy Neighbourhood Fund support for City hubs"),
)

# --------------------------------------------------------------------------------------------------
# Training deliveries (head-counts synthetic except where the report states them)
# --------------------------------------------------------------------------------------------------

TRAININGS: tuple[DemoTraining, ...] = (
    # 45 young people aged 12-17 trained as Youth Innovators (report figure), split over two areas.
    DemoTraining("IMM Youth Innovators training: Basingstoke", "youth_social_action", "sng",
                 date(2023, 5, 22), 22),
    DemoTraining("IMM Youth Innovators training: Plymouth", "youth_social_action",
                 "clarion-futures", date(2023, 9, 18), 23),
    # 15 young girls from the LVA Trust trained as community activators (report figure).
    DemoTraining("Community activator training: LVA Trust", "harmony_generations", "lva-trust",
                 date(2023, 7, 12), 15),
    DemoTraining("Intergenerational practice training for care staff: Norwood Green",
                 "harmony_generations", "norwood-green-care-home", date(2023, 10, 19), 12),
    DemoTraining("Music & Movement staff training: Clarion Dorking", "imm_training",
                 "clarion-housing", date(2023, 4, 24), 12),
    DemoTraining("Music & Movement staff training: Clarion Plymouth", "imm_training",
                 "clarion-housing", date(2023, 6, 12), 10),
    DemoTraining("Music & Movement staff training: Clarion Birmingham", "imm_training",
                 "clarion-housing", date(2023, 9, 18), 14),
    DemoTraining("Music & Movement staff training: Clarion Buckinghamshire", "imm_training",
                 "clarion-housing", date(2023, 11, 6), 11),
    DemoTraining("Music & Movement staff training: Clarion Banstead", "imm_training",
                 "clarion-housing", date(2024, 2, 5), 9),
    DemoTraining("IMM Music and Movement training for care home staff: Wales (first community)",
                 "imm_training", None, date(2023, 11, 15), 12),
    DemoTraining("IMM Music and Movement training for care home staff: Wales (second community)",
                 "imm_training", None, date(2024, 1, 24), 10),
    DemoTraining("Delivering creative intergenerational programmes: Royal College of Music",
                 "imm_training", "royal-college-of-music", date(2024, 3, 6), 28),
    DemoTraining("Intergenerational facilitation for volunteers and staff: London hubs",
                 "community_hubs", None, date(2024, 2, 28), 24),
    DemoTraining("Music & Movement training for local partners: High Wycombe",
                 "minutes_of_movement", None, date(2023, 11, 7), 9),
    DemoTraining("Youth Uniform Groups creative training: Salford", "youth_social_action", _YUF,
                 date(2023, 5, 9), 16),
    DemoTraining("Youth Uniform Groups creative training: Scotland", "youth_social_action", _YUF,
                 date(2023, 9, 12), 14),
    DemoTraining("Youth Uniform Groups creative training: Wykeham", "youth_social_action", _YUF,
                 date(2023, 11, 1), 12),
    DemoTraining("Youth Uniform Groups creative training: Banstead", "youth_social_action", _YUF,
                 date(2024, 1, 16), 13),
    DemoTraining("Together with Music staff training: Surrey Downs", "together_with_music",
                 "care-england", date(2023, 9, 12), 30),
)

# --------------------------------------------------------------------------------------------------
# Published figures (quoted, with the file and section they come from)
# --------------------------------------------------------------------------------------------------

PUBLISHED_FIGURES: dict[str, str] = {
    "people_engaged_18_months": f"34,300 ({_AR}, Our Impact)",
    "communities_reached_18_months": f"150 ({_AR}, Our Impact)",
    "annual_projects": f"500+ ({_AR}, cover)",
    "people_engaged": f"34,000 ({_AR}, Key Impact Statistics)",
    "clinical_staff_engaged": f"250 ({_AR}, Key Impact Statistics)",
    "children_engaged": f"10,000 ({_AR}, Key Impact Statistics)",
    "carers_engaged": f"3,000 ({_AR}, Key Impact Statistics)",
    "projects_workshops_hubs_delivered": f"500 ({_AR}, Key Impact Statistics)",
    "staff_engaged": f"8,000 ({_AR}, Key Impact Statistics)",
    "people_trained_all_ages": f"2,000 ({_AR}, Key Impact Statistics)",
    "volunteers_engaged": f"680 ({_AR}, Key Impact Statistics)",
    "adults_engaged": f"10,000 ({_AR}, Key Impact Statistics)",
    "families_engaged": f"400 ({_AR}, Key Impact Statistics)",
    "younger_participants_confidence_increase": f"97% ({_AR}, Key Impact Statistics)",
    "participants_more_connected": f"85% ({_AR}, Key Impact Statistics)",
    "who5_overall_increase": f"34% ({_AR}, Key Impact Statistics)",
    "ysa_young_people_and_adults_engaged": f"75 ({_AR}, Youth Social Action)",
    "ysa_young_people_trained": f"45 aged 12-17 ({_AR}, Youth Social Action)",
    "ysa_delivery": f"25 days across 6 locations ({_AR}, Youth Social Action)",
    "ysa_sessions": f"10 sessions across 5 locations in Basingstoke and Plymouth "
                    f"({_AR}, Youth Social Action)",
    "yuf_national_projects": f"4 ({_AR}, YSA: Youth Uniform Groups)",
    "yuf_salford_confidence_increase": f"47% ({_AR}, YSA: Youth Uniform Groups)",
    "yuf_salford_apprehension_reduction": f"43% ({_AR}, YSA: Youth Uniform Groups)",
    "yuf_salford_residents_wellbeing_increase": f"34% ({_AR}, YSA: Youth Uniform Groups)",
    "yuf_scotland_residents_wellbeing_increase": f"25% on average ({_AR}, YSA: Youth Uniform "
                                                 f"Groups)",
    "yuf_scotland_children_wellbeing_increase": f"93% on average ({_AR}, YSA: Youth Uniform "
                                                f"Groups)",
    "oldham_participants_enjoyed": f"100% ({_AR}, Music & Movement: Manchester)",
    "oldham_participants_mood_increase": f"100% ({_AR}, Music & Movement: Manchester)",
    "singing_from_the_heart_grant": f"GBP 12,000 ({_AR}, Health & Wellbeing: Singing from the "
                                    f"Heart)",
    "london_hub_boroughs": f"8 ({_AR}, IMM Hubs: London)",
    "london_hubs_children": f"155 ({_AR}, IMM Hubs: London)",
    "london_hubs_elders": f"160 ({_AR}, IMM Hubs: London)",
    "london_hubs_staff": f"80 ({_AR}, IMM Hubs: London)",
    "london_hubs_sessions": f"48 ({_AR}, IMM Hubs: London)",
    "london_hubs_enjoyed_sessions": f"100% ({_AR}, IMM Hubs: London)",
    "london_hubs_more_connected": f"95% ({_AR}, IMM Hubs: London)",
    "hounslow_hubs": f"4 ({_AR}, Hounslow)",
    "hounslow_participants": f"over 130 across 4 locations ({_AR}, Hounslow)",
    "hounslow_engagement_days": f"24 ({_AR}, Hounslow)",
    "hounslow_activators_trained": f"15 ({_AR}, Hounslow)",
    "guildford_attendance": f"up to 60 members ({_AR}, Guildford)",
    "frimley_patients_seen": f"approximately 1,800 over two years ({_AR}, Music Therapy)",
    "woodlands_individual_students": f"7 ({_AR}, Music Therapy)",
    "woodlands_pair_group_students": f"6 ({_AR}, Music Therapy)",
    "woodlands_whole_class_groups": f"8 classes ({_AR}, Music Therapy)",
    "ridgeway_individual_students": f"7 ({_AR}, Music Therapy)",
    "ridgeway_pair_group_students": f"2 ({_AR}, Music Therapy)",
    "ridgeway_whole_class_groups": f"9 classes ({_AR}, Music Therapy)",
    "fox_grove_taster_students": f"15 ({_AR}, Music Therapy)",
    "yougov_community_space_contact": f"17% of UK adults (14% aged 55+) ({_AR}, Intergenerational "
                                      f"England Research)",
    "twm_organisations": f"over 1,450 ({_ANNIV}, Together With Music)",
    "twm_community_members": f"78,000 ({_ANNIV}, Together With Music)",
    "twm_people_with_dementia": f"9,000 ({_ANNIV}, Together With Music)",
    "twm_projects": f"400 ({_ANNIV}, Together With Music)",
    "twm_creative_partners": f"96 ({_ANNIV}, Together With Music)",
    "twm_staff_trained": f"280 ({_ANNIV}, Together With Music)",
    "twm_surrey_downs_projects": f"over 100 ({_ANNIV}, Together With Music)",
    "move_and_groove_pilot_areas": f"10 ({_ANNIV}, Move & Groove)",
    "music_therapy_placements": f"6 ({_ANNIV}, Music Therapy)",
    "staff_trained_to_date": f"634 ({_ANNIV}, Our IMM Training)",
    "city_hubs_direct_beneficiaries": f"150 ({_CITY})",
    "city_hubs_indirect_reach": f"250 ({_CITY})",
}

# --------------------------------------------------------------------------------------------------
# Generators
# --------------------------------------------------------------------------------------------------

_YEAR_START = date(2023, 4, 1)
_YEAR_END = date(2024, 3, 31)
_CHRISTMAS = (date(2023, 12, 21), date(2024, 1, 3))  # the two weeks around Christmas

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _skipped(day: date) -> bool:
    return day.month == 8 or _CHRISTMAS[0] <= day <= _CHRISTMAS[1]


def _weekday(schedule: str) -> int:
    lowered = schedule.lower()
    for index, name in enumerate(_WEEKDAYS):
        if name in lowered:
            return index
    raise ValueError(f"no weekday in schedule {schedule!r}")


def _hub_dates(hub: DemoHub) -> list[date]:
    """Weekly session dates of a hub: a single block, or the whole 2023/24 year."""
    weekday = _weekday(hub.schedule)
    block = _HUB_BLOCK_WEEKS.get(hub.code)
    day = hub.started_on if block else max(hub.started_on, _YEAR_START)
    day += timedelta(days=(weekday - day.weekday()) % 7)
    dates: list[date] = []
    while (len(dates) < block) if block else (day <= _YEAR_END):
        if not _skipped(day):
            dates.append(day)
        day += timedelta(days=7)
    return dates


def _project_dates(project: DemoProject) -> list[date]:
    """Session dates of a project: weeks x sessions_per_week from the start date."""
    gap = 7 // (project.sessions_per_week + 1) if project.sessions_per_week > 1 else 0
    dates = []
    for week in range(project.weeks):
        first = project.start_date + timedelta(weeks=week)
        dates.extend(first + timedelta(days=gap * k) for k in range(project.sessions_per_week))
    return dates


@dataclass(frozen=True)
class _Attendance:
    """Inclusive ranges per session: (children/young people, older, staff, volunteers, families)."""

    children_young_people: tuple[int, int]
    older_people: tuple[int, int]
    staff: tuple[int, int]
    volunteers: tuple[int, int]
    families: tuple[int, int]


_ATTENDANCE: dict[str, _Attendance] = {
    # care home and school hubs: 15-34 participants
    "care_school": _Attendance((8, 18), (7, 16), (3, 8), (0, 3), (0, 2)),
    # Guildford: up to 60 members (children + older people + families)
    "guildford": _Attendance((12, 28), (14, 26), (3, 6), (2, 6), (2, 6)),
    "community": _Attendance((4, 14), (8, 18), (2, 5), (1, 4), (0, 5)),
    "youth_group": _Attendance((8, 18), (3, 10), (2, 4), (1, 3), (2, 8)),
    "early_years": _Attendance((8, 16), (0, 3), (2, 3), (0, 2), (8, 15)),
    "heritage": _Attendance((6, 12), (5, 12), (2, 4), (1, 3), (1, 5)),
    "social_prescribing": _Attendance((0, 3), (6, 15), (2, 5), (0, 2), (0, 2)),
    "heart": _Attendance((0, 4), (6, 14), (2, 3), (0, 2), (3, 8)),
    "garden": _Attendance((4, 12), (6, 14), (2, 4), (0, 3), (0, 4)),
    "uniform": _Attendance((10, 20), (8, 14), (3, 6), (2, 5), (0, 2)),
    "youth_innovators": _Attendance((6, 14), (6, 12), (2, 4), (1, 3), (0, 2)),
    "send_school": _Attendance((6, 9), (6, 12), (4, 8), (0, 1), (0, 0)),
    "housing": _Attendance((6, 16), (8, 16), (3, 6), (1, 4), (0, 4)),
}

# parent code -> (attendance profile, participant mix)
_HUB_STYLE: dict[str, tuple[str, str]] = {
    "LDN-ENF": ("care_school", "care"),
    "LDN-HAC": ("care_school", "care"),
    "LDN-HGY": ("care_school", "care"),
    "LDN-ISL": ("community", "older_community"),
    "LDN-NWM": ("care_school", "care"),
    "LDN-SWK": ("care_school", "care"),
    "LDN-LBH": ("care_school", "care"),
    "LDN-TWH": ("care_school", "care"),
    "HSL-LVA": ("youth_group", "youth_group"),
    "HSL-HTC": ("community", "community"),
    "HSL-NGC": ("care_school", "care"),
    "HSL-ORC": ("community", "community"),
    "WOK-HUB": ("care_school", "community"),
    "GFD-HUB": ("guildford", "nursery_care"),
}

_PROJECT_STYLE: dict[str, tuple[str, str]] = {
    "EY-MCR-WELCOME": ("early_years", "early_years"),
    "CH-MJM-CAPSULE": ("heritage", "heritage"),
    "MM-HIGH-WYCOMBE": ("care_school", "care"),
    "SP-GENERATIONS-IN-MOTION": ("social_prescribing", "social_prescribing"),
    "HW-SINGING-FROM-THE-HEART": ("heart", "heart"),
    "ENV-SING-AND-GROW": ("garden", "care"),
    "YSA-YUF-SALFORD": ("uniform", "uniform"),
    "YSA-YUF-SCOTLAND": ("uniform", "uniform"),
    "YSA-YUF-WYKEHAM": ("uniform", "uniform"),
    "YSA-YUF-BANSTEAD": ("uniform", "uniform"),
    "YSA-INNOVATORS-BASINGSTOKE": ("youth_innovators", "youth_action"),
    "YSA-INNOVATORS-PLYMOUTH": ("youth_innovators", "youth_action"),
    "TWM-SURREY-DOWNS": ("care_school", "care"),
    "MT-WOODLANDS-IGM": ("send_school", "send_school"),
    "TWM-IMPERIAL-SYCAMORE": ("care_school", "care"),
    "TRN-CLARION-DORKING": ("housing", "community"),
    "TRN-CLARION-PLYMOUTH": ("housing", "community"),
    "TRN-CLARION-BIRMINGHAM": ("housing", "community"),
    "TRN-CLARION-BUCKS": ("housing", "community"),
    "TRN-CLARION-BANSTEAD": ("housing", "community"),
}

# Venues for project sessions; a tuple alternates between venues within a week.
_PROJECT_VENUES: dict[str, tuple[str, ...]] = {
    "EY-MCR-WELCOME": ("The Welcome Centre, Manchester",),
    "CH-MJM-CAPSULE": ("Manchester Jewish Museum",),
    "MM-HIGH-WYCOMBE": ("Library in High Wycombe (not named in the report)",),
    "SP-GENERATIONS-IN-MOTION": ("Local park, after the ChitChat Coffee session",
                                 "Asbury Manor Care Home"),
    "HW-SINGING-FROM-THE-HEART": ("Greater Manchester venue (to be announced)",),
    "ENV-SING-AND-GROW": ("Communal garden",),
    "YSA-YUF-SALFORD": ("Local care home, Salford",),
    "YSA-YUF-SCOTLAND": ("Local care home, Scotland",),
    "YSA-YUF-WYKEHAM": ("Local care home, Wykeham",),
    "YSA-YUF-BANSTEAD": ("Local care home, Banstead",),
    "YSA-INNOVATORS-BASINGSTOKE": ("Local care home, Basingstoke",),
    "YSA-INNOVATORS-PLYMOUTH": ("Local care home, Plymouth",),
    "TWM-SURREY-DOWNS": ("Partner care home, Surrey Downs", "Partner school, Surrey Downs"),
    "MT-WOODLANDS-IGM": ("Local care home, Leatherhead",),
    "TWM-IMPERIAL-SYCAMORE": ("Sycamore House",),
    "TRN-CLARION-DORKING": ("Clarion housing scheme, Dorking",),
    "TRN-CLARION-PLYMOUTH": ("Clarion housing scheme, Plymouth",),
    "TRN-CLARION-BIRMINGHAM": ("Clarion housing scheme, Birmingham",),
    "TRN-CLARION-BUCKS": ("Clarion housing scheme, Buckinghamshire",),
    "TRN-CLARION-BANSTEAD": ("Clarion housing scheme, Banstead",),
}

_FACILITATORS: dict[str, tuple[str, ...]] = {
    "early_years": ("IMM early years facilitator",),
    "youth_social_action": ("IMM youth social action facilitator", "IMM facilitator"),
    "music_therapy_schools": ("IMM music therapist",),
    "music_therapy_dementia": ("IMM music therapist",),
    "imm_training": ("IMM trainer", "IMM facilitator"),
    "singing_from_the_heart": ("IMM music therapist", "IMM community musician"),
}
_DEFAULT_FACILITATORS = ("IMM facilitator", "IMM music therapist", "IMM community musician")


def _draw(rng: random.Random, bounds: tuple[int, int]) -> int:
    return rng.randint(bounds[0], bounds[1])


def _session(
    rng: random.Random,
    parent_kind: str,
    parent_code: str,
    day: date,
    venue: str,
    programme: str | None,
    profile: str,
) -> DemoSession:
    ranges = _ATTENDANCE[profile]
    facilitators = _FACILITATORS.get(programme or "", _DEFAULT_FACILITATORS)
    return DemoSession(
        parent_kind=parent_kind,
        parent_code=parent_code,
        date=day,
        venue=venue,
        facilitator=rng.choice(facilitators),
        children_young_people=_draw(rng, ranges.children_young_people),
        older_people=_draw(rng, ranges.older_people),
        staff=_draw(rng, ranges.staff),
        volunteers=_draw(rng, ranges.volunteers),
        families=_draw(rng, ranges.families),
    )


def session_plan(seed: int = 2024) -> Iterator[DemoSession]:
    """Yield every demo session: hubs first (in ``HUBS`` order), then projects.

    Year-round hubs meet weekly on their scheduled weekday across 2023-04-01..2024-03-31, skipping
    August and the two weeks around Christmas; the London hubs each ran one 6-week block. Projects
    run ``weeks x sessions_per_week`` sessions from their start date. Attendance is synthetic.
    """
    rng = random.Random(seed)
    for hub in HUBS:
        profile = _HUB_STYLE[hub.code][0]
        for day in _hub_dates(hub):
            yield _session(rng, "hub", hub.code, day, hub.venue, hub.programme, profile)
    for project in PROJECTS:
        profile = _PROJECT_STYLE[project.code][0]
        venues = _PROJECT_VENUES[project.code]
        for index, day in enumerate(_project_dates(project)):
            venue = venues[index % project.sessions_per_week % len(venues)]
            yield _session(rng, "project", project.code, day, venue, project.programme, profile)


# Participant mixes: generation weights.
_MIXES: dict[str, dict[str, int]] = {
    "care": {"older_person": 55, "child": 30, "young_person": 5, "adult": 10},
    "nursery_care": {"older_person": 50, "child": 35, "adult": 15},
    "community": {"older_person": 50, "young_person": 20, "adult": 20, "child": 10},
    "older_community": {"older_person": 75, "adult": 20, "young_person": 5},
    "youth_group": {"young_person": 60, "adult": 20, "older_person": 20},
    "early_years": {"child": 50, "adult": 50},
    "heritage": {"child": 45, "older_person": 35, "adult": 20},
    "social_prescribing": {"adult": 55, "older_person": 45},
    "heart": {"adult": 45, "older_person": 40, "young_person": 15},
    "uniform": {"child": 45, "young_person": 15, "older_person": 40},
    "youth_action": {"young_person": 60, "older_person": 30, "adult": 10},
    "send_school": {"child": 50, "young_person": 10, "older_person": 40},
}

# Cohorts a participant of each generation may carry (besides the base cohort).
_GENERATION_COHORTS: dict[str, frozenset[str]] = {
    "child": frozenset({"send", "autism", "families", "socioeconomic", "refugees"}),
    "young_person": frozenset(
        {"send", "autism", "mental_health", "socioeconomic", "refugees", "lgbtq", "families"}
    ),
    "adult": frozenset(
        {"families", "caregivers", "mental_health", "chronic_illness", "socioeconomic",
         "refugees", "lgbtq"}
    ),
    "older_person": frozenset(
        {"dementia", "mental_health", "chronic_illness", "neurological", "socioeconomic",
         "caregivers", "lgbtq", "palliative"}
    ),
}
_BASE_COHORT = {"child": "cyp", "young_person": "cyp", "older_person": "older_people"}

_PARTICIPANTS_PER_HUB: dict[str, int] = {"GFD-HUB": 30, "WOK-HUB": 20}
_PARTICIPANTS_PER_PROJECT: dict[str, int] = {
    "EY-MCR-WELCOME": 8,
    "SP-GENERATIONS-IN-MOTION": 8,
    "HW-SINGING-FROM-THE-HEART": 8,
    "TWM-SURREY-DOWNS": 10,
    "YSA-INNOVATORS-BASINGSTOKE": 7,
    "YSA-INNOVATORS-PLYMOUTH": 7,
}


def _participants_for_hub(hub: DemoHub) -> int:
    if hub.code in _PARTICIPANTS_PER_HUB:
        return _PARTICIPANTS_PER_HUB[hub.code]
    return 12 if hub.programme == "harmony_generations" else 10


def _participants_for_project(project: DemoProject) -> int:
    if project.code in _PARTICIPANTS_PER_PROJECT:
        return _PARTICIPANTS_PER_PROJECT[project.code]
    return 5 if project.programme == "imm_training" else 6


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def _age_band(rng: random.Random, generation: str, mix: str) -> str:
    if generation == "child":
        return "0-4" if mix == "early_years" else "5-10"
    if generation == "young_person":
        if mix == "youth_action":
            return "11-17"
        return _weighted(rng, {"11-17": 70, "18-25": 30})
    if generation == "adult":
        return _weighted(rng, {"26-49": 60, "50-64": 40})
    if mix in ("care", "nursery_care", "send_school"):
        return _weighted(rng, {"65-74": 15, "75-84": 40, "85+": 45})
    return _weighted(rng, {"50-64": 10, "65-74": 40, "75-84": 35, "85+": 15})


def _cohorts(rng: random.Random, generation: str, parent: tuple[str, ...]) -> tuple[str, ...]:
    chosen: list[str] = []
    base = _BASE_COHORT.get(generation)
    if base:
        chosen.append(base)
    allowed = _GENERATION_COHORTS[generation]
    for code in parent:
        if code in allowed and code not in chosen and rng.random() < 0.4:
            chosen.append(code)
    if not chosen:  # adults: parents/carers of the children, or carers/staff of older people
        chosen.append("families" if "cyp" in parent else "caregivers")
    return tuple(chosen)


def _items(rng: random.Random, count: int, level: float, low: int, high: int) -> tuple[int, ...]:
    return tuple(
        min(high, max(low, round(level + rng.gauss(0.0, 0.7)))) for _ in range(count)
    )


# measure -> (items, low, high, pre-level mean, pre-level sd, change mean, change sd)
# UCLA-3 scores loneliness (higher = lonelier), so its expected change is negative.
_MEASURES: dict[str, tuple[int, int, int, float, float, float, float]] = {
    "who5": (5, 0, 5, 2.3, 0.7, 0.75, 0.7),
    "ucla3": (3, 1, 3, 2.1, 0.45, -0.3, 0.35),
    "swemwbs": (7, 1, 5, 2.9, 0.6, 0.35, 0.5),
}

_GENERATION_MEASURES: dict[str, tuple[str, ...]] = {
    "child": (),
    "young_person": ("swemwbs",),
    "adult": ("who5",),
    "older_person": ("who5", "ucla3"),
}


def _assessments(
    rng: random.Random, generation: str, pre_on: date, post_on: date | None,
    follow_up_on: date | None,
) -> tuple[DemoAssessment, ...]:
    result: list[DemoAssessment] = []
    for measure in _GENERATION_MEASURES[generation]:
        count, low, high, mean, sd, change_mean, change_sd = _MEASURES[measure]
        level = min(high - 0.3, max(low + 0.3, rng.gauss(mean, sd)))
        result.append(DemoAssessment(measure, "pre", pre_on, _items(rng, count, level, low, high)))
        if post_on is None:
            continue
        level += rng.gauss(change_mean, change_sd)
        result.append(
            DemoAssessment(measure, "post", post_on, _items(rng, count, level, low, high))
        )
        if follow_up_on is not None:
            level += rng.gauss(-0.1 * (1 if change_mean > 0 else -1), 0.4)
            result.append(
                DemoAssessment(
                    measure, "follow_up", follow_up_on, _items(rng, count, level, low, high)
                )
            )
    return tuple(result)


def participant_plan(seed: int = 2024) -> Iterator[DemoParticipant]:
    """Yield about 300 pseudonymous demo participants spread over hubs and projects.

    Adults and older people answer WHO-5 (5 items, 0-5) before and after; older people also
    answer UCLA-3 (3 items, 1-3); young people aged 11+ answer SWEMWBS (7 items, 1-5). Children
    carry no questionnaire. Post scores improve on average but not for everyone; a few people have
    no post score (left early) and some long-running hub members have a follow-up.
    """
    rng = random.Random(seed)
    number = 0

    parents: list[tuple[str, str, tuple[str, ...], list[date], int, str]] = []
    for hub in HUBS:
        parents.append(("hub", hub.code, hub.cohorts, _hub_dates(hub),
                        _participants_for_hub(hub), _HUB_STYLE[hub.code][1]))
    for project in PROJECTS:
        parents.append(("project", project.code, project.cohorts, _project_dates(project),
                        _participants_for_project(project), _PROJECT_STYLE[project.code][1]))

    for kind, code, parent_cohorts, dates, count, mix in parents:
        year_round = kind == "hub" and code not in _HUB_BLOCK_WEEKS
        for _ in range(count):
            number += 1
            generation = _weighted(rng, _MIXES[mix])
            age_band = _age_band(rng, generation, mix)
            cohorts = _cohorts(rng, generation, parent_cohorts)
            if year_round:
                start = rng.randrange(0, max(1, int(len(dates) * 0.7)))
                end = min(len(dates) - 1, start + rng.randint(6, 12))
            else:
                start = 0 if rng.random() < 0.85 else 1
                end = len(dates) - 1
            enrolled_on = dates[start]
            post_on = dates[end] if end > start and rng.random() >= 0.08 else None
            follow_up_on = None
            if year_round and post_on is not None and rng.random() < 0.25:
                later = [d for d in dates if d >= post_on + timedelta(weeks=12)]
                follow_up_on = later[0] if later else None
            yield DemoParticipant(
                ref=f"P-{number:06d}",
                age_band=age_band,
                generation=generation,
                cohorts=cohorts,
                hub=code if kind == "hub" else None,
                project=code if kind == "project" else None,
                enrolled_on=enrolled_on,
                assessments=_assessments(rng, generation, enrolled_on, post_on, follow_up_on),
            )

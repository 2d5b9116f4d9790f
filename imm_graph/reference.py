"""Reference vocabularies of the core domain, with stable codes.

Codes are what the database, the API and partners store; names and descriptions are for people
and may be reworded without breaking anyone. The cohorts and stakeholder kinds are the ones listed
in the appendix of IMM's Annual Report 2023/24.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True)
class Term:
    code: str
    name: str
    description: str


class OrganisationKind(StrEnum):
    CARE_HOME = "care_home"
    PRIMARY_SCHOOL = "primary_school"
    SECONDARY_SCHOOL = "secondary_school"
    SEN_SCHOOL = "sen_school"
    PUPIL_REFERRAL_UNIT = "pupil_referral_unit"
    NURSERY = "nursery"
    UNIVERSITY = "university"
    NHS_TRUST = "nhs_trust"
    HOSPITAL = "hospital"
    PCN = "pcn"
    ICB = "icb"
    GP_PRACTICE = "gp_practice"
    LOCAL_AUTHORITY = "local_authority"
    HOUSING_PROVIDER = "housing_provider"
    CHARITY = "charity"
    COMMUNITY_ORGANISATION = "community_organisation"
    CULTURAL_ORGANISATION = "cultural_organisation"
    LIBRARY = "library"
    FAITH_VENUE = "faith_venue"
    FUNDER = "funder"
    BUSINESS = "business"


class HubStatus(StrEnum):
    PLANNED = "planned"
    ACTIVE = "active"
    PAUSED = "paused"
    CLOSED = "closed"


class Generation(StrEnum):
    """The generations IMM counts at every session."""

    CHILD = "child"  # early years and primary age
    YOUNG_PERSON = "young_person"  # secondary age to 25
    ADULT = "adult"  # working-age adults: parents, carers, staff
    OLDER_PERSON = "older_person"


class AgeBand(StrEnum):
    UNDER_5 = "0-4"
    AGE_5_10 = "5-10"
    AGE_11_17 = "11-17"
    AGE_18_25 = "18-25"
    AGE_26_49 = "26-49"
    AGE_50_64 = "50-64"
    AGE_65_74 = "65-74"
    AGE_75_84 = "75-84"
    AGE_85_PLUS = "85+"


class Measure(StrEnum):
    WHO5 = "who5"
    UCLA3 = "ucla3"
    SWEMWBS = "swemwbs"
    WEMWBS = "wemwbs"
    HEARTS = "hearts"


class Timepoint(StrEnum):
    PRE = "pre"
    POST = "post"
    FOLLOW_UP = "follow_up"


class ProgrammeArm(StrEnum):
    """IMM's delivery arms (mission statement): community, music therapy, training, campaigns."""

    COMMUNITY = "community"
    MUSIC_THERAPY = "music_therapy"
    TRAINING = "training"
    CAMPAIGN = "campaign"


class Sex(StrEnum):
    """Stated sex, as NHS England's data sets code it (NHS Data Dictionary: Person Stated
    Gender Code). Optional, and personal data: recorded only where a commissioner asks."""

    MALE = "1"
    FEMALE = "2"
    INDETERMINATE = "9"  # unable to be classified
    NOT_KNOWN = "X"  # not recorded or not stated


class EthnicCategory(StrEnum):
    """NHS Data Dictionary Ethnic Category (the 2001 census groups NHS data sets report by).

    Special-category data: readable per person only with ``read:personal``; reported only in
    aggregate, after disclosure control.
    """

    WHITE_BRITISH = "A"
    WHITE_IRISH = "B"
    WHITE_OTHER = "C"
    MIXED_WHITE_BLACK_CARIBBEAN = "D"
    MIXED_WHITE_BLACK_AFRICAN = "E"
    MIXED_WHITE_ASIAN = "F"
    MIXED_OTHER = "G"
    ASIAN_INDIAN = "H"
    ASIAN_PAKISTANI = "J"
    ASIAN_BANGLADESHI = "K"
    ASIAN_OTHER = "L"
    BLACK_CARIBBEAN = "M"
    BLACK_AFRICAN = "N"
    BLACK_OTHER = "P"
    CHINESE = "R"
    OTHER = "S"
    NOT_STATED = "Z"
    NOT_KNOWN = "99"


ETHNIC_CATEGORY_NAMES: dict[EthnicCategory, str] = {
    EthnicCategory.WHITE_BRITISH: "White - British",
    EthnicCategory.WHITE_IRISH: "White - Irish",
    EthnicCategory.WHITE_OTHER: "White - Any other White background",
    EthnicCategory.MIXED_WHITE_BLACK_CARIBBEAN: "Mixed - White and Black Caribbean",
    EthnicCategory.MIXED_WHITE_BLACK_AFRICAN: "Mixed - White and Black African",
    EthnicCategory.MIXED_WHITE_ASIAN: "Mixed - White and Asian",
    EthnicCategory.MIXED_OTHER: "Mixed - Any other mixed background",
    EthnicCategory.ASIAN_INDIAN: "Asian or Asian British - Indian",
    EthnicCategory.ASIAN_PAKISTANI: "Asian or Asian British - Pakistani",
    EthnicCategory.ASIAN_BANGLADESHI: "Asian or Asian British - Bangladeshi",
    EthnicCategory.ASIAN_OTHER: "Asian or Asian British - Any other Asian background",
    EthnicCategory.BLACK_CARIBBEAN: "Black or Black British - Caribbean",
    EthnicCategory.BLACK_AFRICAN: "Black or Black British - African",
    EthnicCategory.BLACK_OTHER: "Black or Black British - Any other Black background",
    EthnicCategory.CHINESE: "Other Ethnic Groups - Chinese",
    EthnicCategory.OTHER: "Other Ethnic Groups - Any other ethnic group",
    EthnicCategory.NOT_STATED: "Not stated",
    EthnicCategory.NOT_KNOWN: "Not known",
}


class AttendanceStatus(StrEnum):
    """One person on a session's register."""

    ATTENDED = "attended"
    DID_NOT_ATTEND = "did_not_attend"  # expected and absent without notice
    CANCELLED = "cancelled"  # absent, with notice


class ConsentPurpose(StrEnum):
    """What a person agreed to."""

    PARTICIPATION = "participation"  # to take part in sessions
    DATA_PROCESSING = "data_processing"  # to have their data held and used for the service
    REFERRAL_SHARING = "referral_sharing"  # status and outcomes shared back with the referrer
    OUTCOME_MEASURES = "outcome_measures"  # to fill in questionnaires for evaluation
    MEDIA = "media"  # photographs, recordings, a podcast appearance


class ConsentGivenBy(StrEnum):
    """Who gave the consent."""

    SELF = "self"
    PARENT_OR_GUARDIAN = "parent_or_guardian"
    CARER = "carer"
    LASTING_POWER_OF_ATTORNEY = "lasting_power_of_attorney"
    REFERRER_RECORDED = "referrer_recorded"  # the referrer recorded the person's consent


CLINICAL_COHORTS: tuple[Term, ...] = (
    Term(
        "older_people",
        "Older People",
        "Including both community-dwelling/shelter housing and those in care settings.",
    ),
    Term(
        "cyp",
        "Children and Young People (CYP)",
        "Covering a broad age range, from infants to young adults.",
    ),
    Term(
        "families",
        "Families",
        "Including multigenerational family units and those with unique family structures.",
    ),
    Term(
        "mental_health",
        "Mental Health",
        "Individuals with varying mental health needs, including anxiety, depression, PTSD, etc.",
    ),
    Term(
        "dementia",
        "Dementia",
        "Individuals living with different forms of dementia and their caregivers.",
    ),
    Term(
        "send",
        "Special Educational Needs and Disabilities (SEND)",
        "Children, young people, and adults with a wide range of additional needs.",
    ),
    Term(
        "lgbtq",
        "LGBTQ+",
        "Individuals of diverse sexual orientations and gender identities, including older "
        "LGBTQ+ individuals who may have unique needs.",
    ),
    Term(
        "neurological",
        "Neurological Disorders",
        "Including Parkinson's, multiple sclerosis, stroke survivors, etc.",
    ),
    Term(
        "palliative",
        "Palliative Care and End-of-Life",
        "Individuals receiving palliative care or at end-of-life stages.",
    ),
    Term(
        "chronic_illness",
        "Chronic Illness and Disability",
        "Individuals with chronic physical health conditions or disabilities.",
    ),
    Term(
        "autism",
        "Autism Spectrum Disorder (ASD)",
        "Individuals on the autism spectrum across all ages.",
    ),
    Term(
        "refugees",
        "Refugees and Asylum Seekers",
        "Individuals who may have experienced trauma and dislocation.",
    ),
    Term(
        "socioeconomic",
        "Socioeconomically Disadvantaged Groups",
        "Individuals or families living in poverty or under economic stress.",
    ),
    Term(
        "substance_use",
        "Substance Use and Recovery",
        "Individuals in recovery from addiction or those currently using substances.",
    ),
    Term(
        "caregivers",
        "Caregivers and Support Workers",
        "Including family caregivers and professional support workers.",
    ),
)

STAKEHOLDER_KINDS: tuple[Term, ...] = (
    Term(
        "participants",
        "Participants",
        "Individuals directly involved in the music-making sessions.",
    ),
    Term(
        "family_members",
        "Family Members",
        "Relatives who support or participate alongside the primary cohort.",
    ),
    Term(
        "health_social_care_professionals",
        "Health and Social Care Professionals",
        "Including doctors, nurses, social workers, therapists, social prescribers etc.",
    ),
    Term(
        "community_organisations",
        "Community Organisations",
        "Local groups and charities supporting various cohorts.",
    ),
    Term(
        "educational_institutions",
        "Educational Institutions",
        "Schools, colleges, and universities with students participating in programs.",
    ),
    Term(
        "music_therapists_facilitators",
        "AHP Music Therapists and Facilitators",
        "Professionals delivering the music-making sessions.",
    ),
    Term(
        "policy_makers_funders",
        "Policy Makers and Funders",
        "Organisations or individuals responsible for funding and policy decisions.",
    ),
    Term(
        "cultural_arts_organisations",
        "Cultural and Arts Organisations",
        "Including orchestras, museums, performance halls, community choirs, and arts charities.",
    ),
    Term(
        "researchers_academics",
        "Researchers and Academics",
        "Individuals conducting studies on the impacts of intergenerational music-making.",
    ),
    Term(
        "advocacy_groups",
        "Advocacy Groups",
        "Organisations representing the interests of specific cohorts, like dementia or mental "
        "health charities.",
    ),
    Term(
        "volunteers",
        "Volunteers",
        "Individuals who assist in the delivery or facilitation of sessions.",
    ),
    Term(
        "technology_providers",
        "Technology Providers",
        "Companies or organisations providing assistive or adaptive technologies used in "
        "music-making.",
    ),
    Term(
        "local_government_public_health",
        "Local Government and Public Health Bodies",
        "Involved in community health and wellbeing initiatives.",
    ),
    Term(
        "housing_providers",
        "Housing Providers",
        "Including residential care homes, assisted living facilities, and sheltered housing "
        "schemes.",
    ),
    Term(
        "hospitals_healthcare",
        "Hospitals and Healthcare Facilities",
        "Including acute care settings, rehabilitation centers, and mental health hospitals.",
    ),
    Term(
        "community_assets",
        "Community Assets",
        "Libraries, community centers, church halls, village halls, and other public spaces that "
        "can host music-making activities.",
    ),
    Term(
        "transportation_services",
        "Transportation Services",
        "Organisations providing transportation to participants, especially those with mobility "
        "issues.",
    ),
    Term(
        "private_sector_partners",
        "Private Sector Partners",
        "Businesses that may sponsor or support initiatives (e.g., local businesses, corporate "
        "social responsibility programs).",
    ),
)

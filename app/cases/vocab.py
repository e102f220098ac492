"""The words a case is described in: DOMAIN.md sections 1, 2 and 6, and IOM's Human Trafficking
Case Data Standard (HTCDS, DOMAIN.md section 9) wherever our model has the same notion, spelt as
HTCDS spells it so that a case exports without a lossy mapping."""

from __future__ import annotations

from enum import StrEnum


class Track(StrEnum):
    CHILD = "child"
    ADULT = "adult"


class Stage(StrEnum):
    RESCUED = "rescued"
    PRODUCED = "produced"
    INTERIM_CARE = "interim_care"
    UNDER_INQUIRY = "under_inquiry"
    INTERMEDIATE_CUSTODY = "intermediate_custody"
    SAFE_CUSTODY = "safe_custody"
    HOME_VERIFICATION = "home_verification"
    MAGISTRATE_ORDER = "magistrate_order"
    IN_TRANSFER = "in_transfer"
    RECEIVED_HOME = "received_home"
    FINAL_ORDER = "final_order"
    REHABILITATION = "rehabilitation"
    FOLLOW_UP = "follow_up"
    CLOSED = "closed"
    ABSCONDED = "absconded"
    DECEASED = "deceased"
    AGED_OUT = "aged_out"


class RescueType(StrEnum):
    RAID = "raid"
    RAILWAY_INTERCEPTION = "railway_interception"
    MISSING_CHILD_RECOVERY = "missing_child_recovery"
    SELF_ESCAPE = "self_escape"
    HELPLINE_CALL = "helpline_call"


class ExploitationType(StrEnum):
    SEXUAL = "sexual"
    LABOUR = "labour"
    BONDED_LABOUR = "bonded_labour"
    BEGGING = "begging"
    FORCED_MARRIAGE = "forced_marriage"
    ORGAN_REMOVAL = "organ_removal"
    CYBER_ENABLED = "cyber_enabled"
    OTHER = "other"


class Sex(StrEnum):  # HTCDS
    MALE = "Male"
    FEMALE = "Female"
    TRANSGENDER_NONCONFORMING = "Transgender/NonConforming"
    UNKNOWN = "Unknown"


class VillageTracing(StrEnum):
    UNKNOWN = "unknown"
    TRACING = "tracing"
    TRACED = "traced"
    VERIFIED = "verified"


class AgeBasis(StrEnum):
    DOCUMENT = "document"  # JJ s.94(2)(i): school or birth certificate
    MUNICIPAL_RECORD = "municipal_record"  # s.94(2)(ii)
    MEDICAL_TEST = "medical_test"  # s.94(2)(iii): ossification or other test
    CLAIMED = "claimed"


class RecruitmentMethod(StrEnum):  # HTCDS methodOfRecruitment
    ABDUCTION = "Abduction"
    EDUCATIONAL_FACILITY = "EducationalFacility"
    FAMILIAL = "Familial"
    INTERNET = "Internet"
    INTERNATIONAL_MARRIAGE_BROKER = "InternationalMarriageBroker"
    INTIMATE_PARTNER = "IntimatePartnerOrMarriageProposition"
    JOB_OFFER = "JobOffer"
    POSING_AS_BENEFACTOR = "PosingAsBenefactor"
    PUBLIC_AREA = "PublicArea"
    OFFER_OF_ACCOMMODATION = "OfferOfAccommodation"
    SHELTER = "Shelter"
    SMUGGLING = "Smuggling"
    WORK = "Work"
    OTHER = "Other"
    UNKNOWN = "Unknown"


class ControlMethod(StrEnum):  # HTCDS meansOfControl
    DEBT_BONDAGE = "DebtBondage"
    TAKES_EARNINGS = "TakesEarnings"
    RESTRICTS_FINANCIAL_ACCESS = "RestrictsFinancialAccess"
    THREATS = "Threats"
    PSYCHOLOGICAL_ABUSE = "PsychologicalAbuse"
    PHYSICAL_ABUSE = "PhysicalAbuse"
    SEXUAL_ABUSE = "SexualAbuse"
    FALSE_PROMISES = "FalsePromises"
    PSYCHOACTIVE_SUBSTANCES = "PsychoactiveSubstances"
    RESTRICTS_MOVEMENT = "RestrictsMovement"
    RESTRICTS_MEDICAL_CARE = "RestrictsMedicalCare"
    EXCESSIVE_WORKING_HOURS = "ExcessiveWorkingHours"
    USES_CHILDREN = "UsesChildren"
    THREAT_OF_LAW_ENFORCEMENT = "ThreatOfLawEnforcement"
    WITHHOLDS_NECESSITIES = "WithholdsNecessities"
    WITHHOLDS_DOCUMENTS = "WithholdsDocuments"
    OTHER = "Other"


class LabourExploitation(StrEnum):  # HTCDS typeOfLabour
    AGRICULTURE = "Agriculture"
    AQUAFARMING = "Aquafarming"
    BEGGING = "Begging"
    CONSTRUCTION = "Construction"
    DOMESTIC_WORK = "DomesticWork"
    HOSPITALITY = "Hospitality"
    ILLICIT_ACTIVITIES = "IllicitActivities"
    MANUFACTURING = "Manufacturing"
    MINING_OR_DRILLING = "MiningOrDrilling"
    PEDDLING = "Peddling"
    TRANSPORTATION = "Transportation"
    OTHER = "Other"


class SexualExploitation(StrEnum):  # HTCDS typeOfSexualExploitation
    PROSTITUTION = "Prostitution"
    PORNOGRAPHY = "Pornography"
    REMOTE_INTERACTIVE_SERVICES = "RemoteInteractiveServices"
    PRIVATE_SEXUAL_SERVICES = "PrivateSexualServices"


class Platform(StrEnum):  # HTCDS websites and apps
    FACEBOOK = "Facebook"
    INSTAGRAM = "Instagram"
    WHATSAPP = "WhatsApp"
    TELEGRAM = "Telegram"
    FACEBOOK_MESSENGER = "FacebookMessenger"
    VIBER = "Viber"
    SNAPCHAT = "SnapChat"
    LINE = "Line"
    WECHAT = "WeChat"
    TIKTOK = "TikTok"
    TWITTER = "Twitter"
    OTHER = "Other"


class RouteEventKind(StrEnum):  # HTCDS trafficking events
    RECRUITMENT = "Recruitment"
    TRANSIT = "Transit"
    EXPLOITATION = "Exploitation"


class Purpose(StrEnum):
    """Why identity is read (DOMAIN.md section 6); every read names one and is logged with it."""

    PRODUCTION = "production"
    HOME_VERIFICATION = "home_verification"
    FAMILY_TRACING = "family_tracing"
    ESCORT = "escort"
    COMPENSATION = "compensation"
    LEGAL_PROCEEDING = "legal_proceeding"
    VICTIM_REQUEST = "victim_request"


class Sensitivity(StrEnum):
    """Classes of notes and documents (DOMAIN.md section 6); all but general are encrypted."""

    GENERAL = "general"
    IDENTITY = "identity"
    MEDICAL_COUNSELLING = "medical_counselling"
    SAFETY = "safety"


class IdentityField(StrEnum):
    NAMES = "names"
    ALIASES = "aliases"
    DATE_OF_BIRTH = "date_of_birth"
    PHOTO_REF = "photo_ref"
    FAMILY_NAMES = "family_names"
    HOME_ADDRESS = "home_address"
    HOME_VILLAGE = "home_village"
    PRESENT_ADDRESS = "present_address"
    SCHOOL = "school"
    PHONES = "phones"
    ID_NUMBERS = "id_numbers"
    BANK_DETAILS = "bank_details"


# Home address and village are `safety` data when family complicity is flagged: then only the
# CWC / Magistrate seized of the case and the police may read them (DOMAIN.md section 6).
SAFETY_WHEN_FAMILY_COMPLICIT = frozenset({IdentityField.HOME_ADDRESS, IdentityField.HOME_VILLAGE})

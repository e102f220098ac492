"""Who may do what, as plain data: permissions, roles, the roles valid in each agency type (DOMAIN.md
section 4), and the permissions a machine client can never hold.

Every route names one permission (``require(Permission.X)``); a test checks that each permission here
belongs to at least one route, so the table never describes routes that do not exist.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class Permission(StrEnum):
    PROFILE_READ = "profile:read"
    PROFILE_PASSWORD = "profile:password"
    SESSIONS_REVOKE = "sessions:revoke"
    AGENCIES_READ = "agencies:read"
    AGENCIES_MANAGE = "agencies:manage"
    AGENCY_ADMINS_MANAGE = "agency_admins:manage"
    USERS_READ = "users:read"
    USERS_MANAGE = "users:manage"
    CLIENTS_MANAGE = "clients:manage"
    METRICS_READ = "metrics:read"
    CASES_CREATE = "cases:create"
    CASES_READ = "cases:read"
    # The change feed (``GET /v1/changes``): the events of the cases the caller sees, as the
    # case reads would show them. Every reader of cases holds it.
    CHANGES_READ = "changes:read"
    # Who read a case, and what (its access log): the owning agency's supervisors and audit
    # offices.
    ACCESS_LOG_READ = "access_log:read"
    CASES_UPDATE = "cases:update"
    CASES_ASSIGN = "cases:assign"
    CASES_PRODUCE = "cases:produce"
    IDENTITY_READ = "identity:read"
    IDENTITY_SEARCH = "identity:search"
    IDENTITY_UPDATE = "identity:update"
    NOTES_WRITE = "notes:write"
    DOCUMENTS_UPLOAD = "documents:upload"
    DOCUMENTS_READ = "documents:read"
    # The interstate transfer (DOMAIN.md section 3): one permission per kind of actor, so that
    # every holder of a route's permission is the right actor for it on some transfer.
    TRANSFERS_CREATE = "transfers:create"  # the sending caseworker / supervisor
    TRANSFERS_READ = "transfers:read"
    TRANSFERS_DIRECT = "transfers:direct"  # the sending CWC / Magistrate's acts
    TRANSFERS_ANSWER = "transfers:answer"  # the receiving side's answer and decline
    TRANSFERS_ACCEPT = "transfers:accept"  # the receiving CWC / supervisor
    TRANSFERS_CANCEL = "transfers:cancel"
    TRANSFERS_ESCORT = "transfers:escort"  # the escorting unit
    TRANSFERS_ESCALATE = "transfers:escalate"
    # Orders of a competent authority (DOMAIN.md section 2); stage reports of the agency
    # holding her (absconded, returned, deceased).
    ORDERS_ISSUE = "orders:issue"
    CASES_REPORT = "cases:report"
    # Follow-up visits, rehabilitation services and an adult's consents: facts recorded by the
    # agency holding her and her shelter.
    AFTERCARE_RECORD = "aftercare:record"
    # Referrals (DOMAIN.md section 3): the referring side asks and withdraws, the receiving side
    # answers (accepts, declines, completes); one permission per kind of actor, as for transfers.
    # The tamper-evident log: checkpoints and proofs (hashes only), for audit offices.
    AUDIT_READ = "audit:read"
    REFERRALS_CREATE = "referrals:create"  # the owner's staff, the CWC / Magistrate seized
    REFERRALS_READ = "referrals:read"
    REFERRALS_ANSWER = "referrals:answer"  # the receiving agency's staff
    REFERRALS_WITHDRAW = "referrals:withdraw"  # the referring side
    # Compensation claims (DOMAIN.md section 3): the filing side files and withdraws, the forum
    # (a legal services authority) records what it pays; its decision is an order
    # (``orders:issue``).
    COMPENSATION_FILE = "compensation:file"  # the owner's staff, the authority seized, legal aid
    COMPENSATION_READ = "compensation:read"
    COMPENSATION_DISBURSE = "compensation:disburse"  # the forum's legal aid officers


class Role(StrEnum):
    CASEWORKER = "caseworker"
    SUPERVISOR = "supervisor"
    AGENCY_ADMIN = "agency_admin"
    POLICE_OFFICER = "police_officer"
    CWC_MEMBER = "cwc_member"
    MAGISTRATE = "magistrate"
    LEGAL_AID_OFFICER = "legal_aid_officer"
    COMMISSION_OFFICER = "commission_officer"
    AUDITOR = "auditor"
    SYSTEM_ADMIN = "system_admin"


class AgencyType(StrEnum):
    NGO = "ngo"
    POLICE = "police"
    AHTU = "ahtu"
    SJPU = "sjpu"
    CWC = "cwc"
    MAGISTRATE = "magistrate"
    DCPU = "dcpu"
    SHELTER = "shelter"
    LEGAL_SERVICES = "legal_services"
    WCD = "wcd"
    COMMISSION = "commission"
    AUDIT = "audit"
    PLATFORM = "platform"


P = Permission
_EVERY_PERSON = {P.PROFILE_READ, P.PROFILE_PASSWORD, P.SESSIONS_REVOKE, P.AGENCIES_READ}

# Who records a rescue and its cases; who reads cases; who may ask for identity (with a purpose,
# and only where a relation to the case allows it: app/access/cases.py).
_CASE_CREATORS = {
    P.NOTES_WRITE,
    P.DOCUMENTS_UPLOAD,
    P.DOCUMENTS_READ,
    P.TRANSFERS_CREATE,
    P.TRANSFERS_READ,
    P.TRANSFERS_ESCORT,
    P.CASES_CREATE,
    P.CASES_READ,
    P.CHANGES_READ,
    P.CASES_UPDATE,
    P.CASES_PRODUCE,
    P.CASES_REPORT,
    P.AFTERCARE_RECORD,
    P.IDENTITY_READ,
    P.IDENTITY_SEARCH,
    P.IDENTITY_UPDATE,
    # Case staff refer their cases, and receive referrals of the services their agency gives.
    P.REFERRALS_CREATE,
    P.REFERRALS_READ,
    P.REFERRALS_ANSWER,
    P.REFERRALS_WITHDRAW,
    # Case staff file compensation claims for the cases their agency owns.
    P.COMPENSATION_FILE,
    P.COMPENSATION_READ,
}
_IDENTITY_READERS = {
    P.CASES_READ,
    P.CHANGES_READ,
    P.DOCUMENTS_UPLOAD,
    P.DOCUMENTS_READ,
    P.TRANSFERS_READ,
    P.TRANSFERS_DIRECT,
    P.TRANSFERS_ANSWER,
    P.TRANSFERS_CANCEL,
    P.TRANSFERS_ESCALATE,
    P.IDENTITY_READ,
    P.IDENTITY_SEARCH,
    P.IDENTITY_UPDATE,
    P.NOTES_WRITE,
    # A CWC or Magistrate directs a home verification (or another service) and may withdraw it;
    # it gives no service, so it does not answer referrals.
    P.REFERRALS_CREATE,
    P.REFERRALS_READ,
    P.REFERRALS_WITHDRAW,
    # A CWC or Magistrate may send her claim to the legal services authority (BNSS s.396(2)).
    P.COMPENSATION_FILE,
    P.COMPENSATION_READ,
}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.CASEWORKER: frozenset(_EVERY_PERSON | _CASE_CREATORS),
    # A supervisor also answers, accepts, cancels before the order and escalates (DOMAIN.md 3, 4).
    Role.SUPERVISOR: frozenset(
        _EVERY_PERSON
        | _CASE_CREATORS
        | {
            P.CASES_ASSIGN,
            P.ACCESS_LOG_READ,
            P.TRANSFERS_ANSWER,
            P.TRANSFERS_ACCEPT,
            P.TRANSFERS_CANCEL,
            P.TRANSFERS_ESCALATE,
        }
    ),
    Role.POLICE_OFFICER: frozenset(_EVERY_PERSON | _CASE_CREATORS),
    Role.CWC_MEMBER: frozenset(_EVERY_PERSON | _IDENTITY_READERS | {P.TRANSFERS_ACCEPT, P.ORDERS_ISSUE}),
    Role.MAGISTRATE: frozenset(_EVERY_PERSON | _IDENTITY_READERS | {P.ORDERS_ISSUE}),
    # Legal services receive legal_aid referrals: they read and answer them, and while one is
    # accepted read the case (the relation ``referral:legal_aid``: her names only, for a legal
    # proceeding) and its general documents; and while a compensation claim before it is open,
    # through ``compensation_forum``.
    Role.LEGAL_AID_OFFICER: frozenset(
        _EVERY_PERSON
        | {
            P.CASES_READ,
            P.CHANGES_READ,
            P.IDENTITY_READ,
            P.DOCUMENTS_READ,
            P.REFERRALS_READ,
            P.REFERRALS_ANSWER,
            # Compensation (``compensation_forum``): it files a claim for a victim it gives legal
            # aid to, decides the claims before its authority by order (only that kind of order:
            # ``app.orders.service``) and records what it pays.
            P.COMPENSATION_FILE,
            P.COMPENSATION_READ,
            P.COMPENSATION_DISBURSE,
            P.ORDERS_ISSUE,
        }
    ),
    # Commissions and auditors never receive identity (DOMAIN.md section 6).
    Role.COMMISSION_OFFICER: frozenset(
        _EVERY_PERSON
        | {P.CASES_READ, P.CHANGES_READ, P.TRANSFERS_READ, P.REFERRALS_READ, P.COMPENSATION_READ}
    ),
    Role.AUDITOR: frozenset(
        _EVERY_PERSON
        | {
            P.CASES_READ,
            P.CHANGES_READ,
            P.TRANSFERS_READ,
            P.REFERRALS_READ,
            P.COMPENSATION_READ,
            P.AUDIT_READ,
            P.ACCESS_LOG_READ,
        }
    ),
    Role.AGENCY_ADMIN: frozenset(_EVERY_PERSON | {P.USERS_READ, P.USERS_MANAGE, P.CLIENTS_MANAGE}),
    Role.SYSTEM_ADMIN: frozenset(
        _EVERY_PERSON | {P.AGENCIES_MANAGE, P.AGENCY_ADMINS_MANAGE, P.METRICS_READ}
    ),
}

_STAFF = (Role.CASEWORKER, Role.SUPERVISOR, Role.AGENCY_ADMIN)
_POLICE = (Role.POLICE_OFFICER, Role.SUPERVISOR, Role.AGENCY_ADMIN)

ROLES_BY_AGENCY_TYPE: dict[AgencyType, frozenset[Role]] = {
    AgencyType.NGO: frozenset(_STAFF),
    AgencyType.POLICE: frozenset(_POLICE),
    AgencyType.AHTU: frozenset(_POLICE),
    AgencyType.SJPU: frozenset(_POLICE),
    AgencyType.CWC: frozenset({Role.CWC_MEMBER, Role.AGENCY_ADMIN}),
    AgencyType.MAGISTRATE: frozenset({Role.MAGISTRATE, Role.AGENCY_ADMIN}),
    AgencyType.DCPU: frozenset(_STAFF),
    AgencyType.SHELTER: frozenset(_STAFF),
    AgencyType.LEGAL_SERVICES: frozenset({Role.LEGAL_AID_OFFICER, Role.AGENCY_ADMIN}),
    AgencyType.WCD: frozenset(_STAFF),
    AgencyType.COMMISSION: frozenset({Role.COMMISSION_OFFICER, Role.AGENCY_ADMIN}),
    AgencyType.AUDIT: frozenset({Role.AUDITOR, Role.AGENCY_ADMIN}),
    AgencyType.PLATFORM: frozenset({Role.SYSTEM_ADMIN}),
}

# Agency types that are national bodies when they have no state (NCPCR, a national audit office) or
# are always national (the platform operator). Every other type belongs to exactly one state.
STATELESS_AGENCY_TYPES = frozenset({AgencyType.PLATFORM})
# Who records rescues and opens cases (DOMAIN.md section 2: police, AHTU, NGO).
CASE_CREATING_AGENCY_TYPES = frozenset(
    {AgencyType.NGO, AgencyType.POLICE, AgencyType.AHTU, AgencyType.SJPU}
)
POLICE_AGENCY_TYPES = frozenset({AgencyType.POLICE, AgencyType.AHTU, AgencyType.SJPU})
OPTIONAL_STATE_AGENCY_TYPES = frozenset({AgencyType.COMMISSION, AgencyType.AUDIT})

# A machine client never reads identity, never issues orders or decides a transfer, never
# administers agencies, users, roles or clients, and has no password.
MACHINE_FORBIDDEN: frozenset[Permission] = frozenset(
    {
        P.IDENTITY_READ,
        P.IDENTITY_SEARCH,
        P.IDENTITY_UPDATE,
        # Naming the people who work a case is a supervisor's act, not an integration's; so is
        # reading who looked at her record.
        P.CASES_ASSIGN,
        P.ACCESS_LOG_READ,
        # Directing, answering, accepting, cancelling and escalating a transfer are acts of
        # named members of a committee, a court or a supervisor.
        P.TRANSFERS_DIRECT,
        P.TRANSFERS_ANSWER,
        P.TRANSFERS_ACCEPT,
        P.TRANSFERS_CANCEL,
        P.TRANSFERS_ESCALATE,
        P.ORDERS_ISSUE,
        # Referrals are not here: asking an agency for a service, and answering as the agency
        # that gives it, are what an agency's own case system does for it. A client acts as its
        # agency's staff, never as a CWC or Magistrate (``app.referrals.policy``), and the case
        # it reaches through an accepted referral comes without identity (``field_set``).
        # Nor are compensation claims: filing one and recording a payment are facts an agency's
        # system may report; the decision is an order, and so never a client's.
        P.PROFILE_PASSWORD,
        P.AGENCIES_MANAGE,
        P.AGENCY_ADMINS_MANAGE,
        P.USERS_READ,
        P.USERS_MANAGE,
        P.CLIENTS_MANAGE,
    }
)


def permissions_of_roles(roles: Iterable[Role]) -> frozenset[Permission]:
    granted: set[Permission] = set()
    for role in roles:
        granted |= ROLE_PERMISSIONS[role]
    return frozenset(granted)


def machine_grantable(agency_type: AgencyType) -> frozenset[Permission]:
    """What a machine client of this agency type may ever hold: its roles' permissions, less admin."""
    return permissions_of_roles(ROLES_BY_AGENCY_TYPE[agency_type]) - MACHINE_FORBIDDEN


def machine_permissions(agency_type: AgencyType, scopes: Iterable[str]) -> frozenset[Permission]:
    """A machine client's effective permissions: its scopes intersected with what it may hold."""
    allowed = machine_grantable(agency_type)
    return frozenset(p for p in allowed if p.value in set(scopes))


def role_valid_for(role: Role, agency_type: AgencyType) -> bool:
    return role in ROLES_BY_AGENCY_TYPE[agency_type]

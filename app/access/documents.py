"""Which documents of a case a caller may read and upload, by sensitivity class: the rule as data,
keyed by relation name (a relation added later slots in with one entry), and the SQL that applies
it. A document is visible only through its case: ``visible_documents`` is the case predicate of
``app.access.cases``, and ``readable_documents`` adds, per relation the caller holds, the classes
that relation reads (and, for a relation that sees only some documents, which ones). Lists filter
with it in SQL, so a list can never carry a document of a case the caller cannot see."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from sqlalchemy import ColumnElement, exists, false, or_, select

from app.access.binds import caller_agency
from app.access.cases import (
    NOTE_CLASSES,
    RELATIONS,
    Shape,
    relation_columns,
    sees_identity_within,
    shape_of,
    visible_cases,
)
from app.access.sql import one_of
from app.auth.permissions import Permission
from app.auth.principal import Principal
from app.cases.models import Case
from app.cases.vocab import Sensitivity
from app.documents.models import Document
from app.transfers.models import Transfer, TransferDocument

GENERAL_ONLY = frozenset({Sensitivity.GENERAL})

_BUNDLE_READ = frozenset({Sensitivity.GENERAL, Sensitivity.MEDICAL_COUNSELLING})

# The classes each relation reads (mirroring notes). A relation not listed reads no documents:
# commissions, auditors, WCDs overseeing and escorts. The receiving side of a transfer reads the
# bundle's general and medical documents from the request for consultation on (it must read them
# to answer), and its identity and safety documents from the order (DOMAIN.md section 3); after
# the acceptance the sending side keeps reading what it uploaded, but no identity or safety class.
DOCUMENT_CLASSES: dict[str, frozenset[Sensitivity]] = {
    "owner": frozenset(Sensitivity),
    "competent_authority": frozenset(Sensitivity),
    "rescue_party": GENERAL_ONLY,
    "transfer_receiver": _BUNDLE_READ,
    "transfer_receiver_ordered": frozenset(Sensitivity),
    "transfer_sender": _BUNDLE_READ,
    # The shelter holding her: care plans, medical and counselling reports.
    "placement": _BUNDLE_READ,
    # An agency giving a referred service, while the referral is accepted: the classes its work
    # needs (as for notes), never identity or safety documents.
    **{name: NOTE_CLASSES[name] for name in RELATIONS if name.startswith("referral:")},
    # The forum of an open compensation claim: the FIR, the orders, the general papers a
    # decision rests on; never identity, medical or safety documents.
    "compensation_forum": GENERAL_ONLY,
}


def _in_a_bundle_received(shape: Shape) -> ColumnElement[bool]:
    """The document is in the bundle of a transfer of its case that the caller's agency receives
    (as the receiving agency or authority)."""
    return exists(
        select(TransferDocument.document_id)
        .join(Transfer, Transfer.id == TransferDocument.transfer_id)
        .where(
            TransferDocument.document_id == Document.id,
            Transfer.case_id == Document.case_id,
            or_(
                Transfer.receiving_agency_id == caller_agency(),
                Transfer.receiving_authority_id == caller_agency(),
            ),
        )
    )


def _uploaded_by_caller_agency(shape: Shape) -> ColumnElement[bool]:
    return Document.uploaded_by_agency_id == caller_agency()


# Relations that read only some of the case's documents: relation -> a condition on ``Document``.
# A relation not listed reads every document of its classes.
DOCUMENT_SCOPES: dict[str, Callable[[Shape], ColumnElement[bool]]] = {
    "transfer_receiver": _in_a_bundle_received,
    "transfer_receiver_ordered": _in_a_bundle_received,
    "transfer_sender": _uploaded_by_caller_agency,
}

# Relations through which documents are uploaded: the owning agency and the authority seized (as
# for notes), the shelter she is placed in, and an agency giving a referred service (its report:
# a home verification is completed with one); each only in the classes it reads.
DOCUMENT_UPLOADERS = frozenset(
    {"owner", "competent_authority", "placement"}
    | {name for name in RELATIONS if name.startswith("referral:")}
)


def _narrowed(principal: Principal, relation: str, *, assigned: bool) -> frozenset[Sensitivity]:
    """What a relation's staff read when they may not read identity within it (as with identity,
    ``app.access.cases.sees_identity_within``): unassigned staff of the owner read ``general``
    only; staff of a receiving agency other than its supervisors keep the bundle's general and
    medical documents."""
    if sees_identity_within(principal, relation, assigned=assigned):
        return frozenset(Sensitivity)
    return _BUNDLE_READ if relation == "transfer_receiver_ordered" else GENERAL_ONLY


def document_grants(
    principal: Principal, relations: set[str], *, assigned: bool
) -> dict[str, frozenset[Sensitivity]]:
    """Relation -> the classes ``principal`` reads through it, for a case it holds ``relations``
    to (``assigned``: the case is assigned to it). Machine clients, and anyone who may not read
    identity, read ``general`` only."""
    grants: dict[str, frozenset[Sensitivity]] = {}
    limited = principal.kind == "client" or not principal.can(Permission.IDENTITY_READ)
    for name in sorted(relations):
        classes = DOCUMENT_CLASSES.get(name, frozenset()) & _narrowed(principal, name, assigned=assigned)
        if limited:
            classes &= GENERAL_ONLY
        if classes:
            grants[name] = classes
    return grants


def readable_classes(grants: Mapping[str, frozenset[Sensitivity]]) -> frozenset[Sensitivity]:
    found: set[Sensitivity] = set()
    for classes in grants.values():
        found |= classes
    return frozenset(found)


def upload_classes(
    principal: Principal, relations: set[str], *, assigned: bool
) -> frozenset[Sensitivity]:
    """The classes ``principal`` may upload on the case: through an uploading relation, and only
    classes it could read back."""
    grants = document_grants(principal, relations & DOCUMENT_UPLOADERS, assigned=assigned)
    return readable_classes(grants)


def visible_documents(principal: Principal) -> ColumnElement[bool]:
    """Documents whose case the caller sees (the one case predicate). Execute with the caller's
    bind parameters (the checked-read helpers add them)."""
    return exists(select(Case.id).where(Case.id == Document.case_id, visible_cases(principal)))


def readable_documents(
    principal: Principal, grants: Mapping[str, frozenset[Sensitivity]]
) -> ColumnElement[bool]:
    """Documents the caller may read: for some relation it holds to the document's case (checked
    here again, in SQL), of a class that relation reads, within that relation's scope."""
    columns = relation_columns(principal)
    shape = shape_of(principal)
    clauses: list[ColumnElement[bool]] = []
    for name, classes in sorted(grants.items()):
        if name not in columns or not classes:
            continue
        # The relation is a condition on the case; the class and the scope are conditions on the
        # document itself, so they stand outside the case subquery (a scope's own subquery then
        # correlates with the document row, not with a copy of the table of its own).
        held = exists(select(Case.id).where(Case.id == Document.case_id, columns[name]))
        clause = held & one_of(Document.sensitivity, classes)
        scope = DOCUMENT_SCOPES.get(name)
        if scope is not None:
            clause = clause & scope(shape)
        clauses.append(clause)
    if not clauses:
        return false()
    return or_(*clauses)

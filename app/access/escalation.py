"""When a transfer counts as escalated: the flag raised (an event), or a transfer deadline
breached while its act is awaited (computed against the request's clock, no event). Used by the
transfers' visibility (the WCDs' oversight) and by the case relation ``oversight``."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, or_

from app.access.binds import caller_now
from app.access.sql import one_of
from app.transfers.models import Transfer
from app.transfers.policy import Status


def breached() -> ColumnElement[bool]:
    """A transfer deadline has passed while its act is still awaited (TRANSFER_CONSULTATION,
    JJ95_ESCORT, TRANSFER_ACCEPTANCE): the transfer counts as escalated when read."""
    now = caller_now()
    return or_(
        and_(
            Transfer.status == Status.CONSULTATION_REQUESTED.value,
            Transfer.consultation_due_at < now,
        ),
        and_(
            one_of(Transfer.status, (Status.ESCORT_ASSIGNED, Status.IN_TRANSIT)),
            Transfer.escort_due_at < now,
        ),
        and_(Transfer.status == Status.HANDED_OVER.value, Transfer.acceptance_due_at < now),
    )


def escalated_now() -> ColumnElement[bool]:
    """An open transfer, past the request for consultation (before it only the sending side may
    see it), raised (the flag, an event) or with a deadline breached (computed, no event).
    Oversight ends with the transfer."""
    return and_(
        Transfer.ended_at.is_(None),
        Transfer.consultation_requested_at.is_not(None),
        or_(Transfer.escalated.is_(True), breached()),
    )

"""Documents of a case: their kinds and what is shown of them (never the content, which has its own
route, nor where or under which key it is stored)."""

from __future__ import annotations

import uuid
from enum import StrEnum

from fastapi import UploadFile
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from app.cases.vocab import Sensitivity


class DocumentKind(StrEnum):
    FIR = "fir"  # first information report (police)
    PRODUCTION_REPORT = "production_report"  # JJ s.31, ITPA s.15
    SIR = "sir"  # social investigation report, JJ s.36
    HOME_VERIFICATION_REPORT = "home_verification_report"
    MEDICAL_REPORT = "medical_report"
    AGE_DETERMINATION = "age_determination"  # JJ s.94
    CARE_PLAN = "care_plan"  # Form 7
    ORDER = "order"
    TRAVEL_VOUCHER = "travel_voucher"


class DocumentUpload(BaseModel):
    """The multipart form of an upload. Unknown fields are refused, as in every input."""

    model_config = ConfigDict(extra="forbid")

    file: UploadFile = Field(
        description="PDF, JPEG or PNG, judged by its content; its file name is not kept."
    )
    kind: DocumentKind
    sensitivity: Sensitivity
    occurred_at: AwareDatetime | None = Field(
        default=None, description="When the document was made; not in the future."
    )


class DocumentRead(BaseModel):
    id: uuid.UUID
    case_id: uuid.UUID
    kind: DocumentKind
    sensitivity: Sensitivity
    media_type: str
    size_bytes: int
    sha256: str
    occurred_at: AwareDatetime | None
    uploaded_by: uuid.UUID
    uploaded_by_agency_id: uuid.UUID
    created_at: AwareDatetime


class DocumentList(BaseModel):
    items: list[DocumentRead]
    # The classes the caller may read on this case: a document of another class is not listed.
    readable_classes: list[Sensitivity]

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.agencies.states import normalise_state
from app.auth.permissions import AgencyType

_DISTRICT = Field(default=None, min_length=1, max_length=100)
_LGD = Field(default=None, pattern=r"^[0-9]{1,10}$", description="Official LGD district code.")


class AgencyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=2, max_length=200)
    type: AgencyType
    state: str | None = Field(
        default=None, description="ISO 3166-2:IN code; the four pre-2023 codes are accepted."
    )
    district: str | None = _DISTRICT
    lgd_code: str | None = _LGD

    @field_validator("state")
    @classmethod
    def _state(cls, value: str | None) -> str | None:
        return None if value is None else normalise_state(value)

    @field_validator("name", "district")
    @classmethod
    def _strip(cls, value: str | None) -> str | None:
        return None if value is None else value.strip()


class AgencyUpdate(BaseModel):
    """Type and state never change: they are not fields here, so sending them is a 422."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=2, max_length=200)
    district: str | None = _DISTRICT
    lgd_code: str | None = _LGD


class AgencyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    type: AgencyType
    state: str | None
    district: str | None
    lgd_code: str | None
    active: bool
    successor_id: uuid.UUID | None = None
    created_at: datetime
    updated_at: datetime


class SuccessorSet(BaseModel):
    model_config = ConfigDict(extra="forbid")

    successor_id: uuid.UUID = Field(description="An active agency of the same type and state.")

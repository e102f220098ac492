from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.auth.permissions import Role

USERNAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{2,63}$"


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(pattern=USERNAME_PATTERN, description="Case-insensitive, unique.")
    display_name: str = Field(min_length=1, max_length=200)
    roles: list[Role] = Field(min_length=1, max_length=5)

    @field_validator("username")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.lower()


class AgencyAdminCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(pattern=USERNAME_PATTERN)
    display_name: str = Field(min_length=1, max_length=200)

    @field_validator("username")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.lower()


class RoleGrant(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Role


class UserRead(BaseModel):
    id: uuid.UUID
    agency_id: uuid.UUID
    username: str
    display_name: str
    roles: list[Role]
    active: bool
    activated: bool = Field(description="Whether a password has been set.")
    created_at: datetime


class OneTimeCode(BaseModel):
    code: str = Field(description="Shown once; give it to the person out of band.")
    purpose: str = Field(description="`activation` or `reset`.")
    expires_at: datetime


class UserCreated(UserRead):
    activation: OneTimeCode

from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict, Field


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "Bearer"
    expires_in: int = Field(description="Seconds until the access token expires.")
    refresh_token: str | None = None
    scope: str = ""


class ActivationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=16, max_length=128)
    password: str = Field(min_length=1, max_length=1024)


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    current_password: str = Field(min_length=1, max_length=1024)
    new_password: str = Field(min_length=1, max_length=1024)


class ActivationResult(BaseModel):
    user_id: uuid.UUID
    username: str


class AgencySummary(BaseModel):
    id: uuid.UUID
    name: str
    type: str
    state: str | None
    district: str | None


class MeResponse(BaseModel):
    kind: str = Field(description="`user` or `client`.")
    id: uuid.UUID
    username: str | None = None
    display_name: str | None = None
    client_name: str | None = None
    agency: AgencySummary
    roles: list[str]
    permissions: list[str]

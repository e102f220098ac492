from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class ClientCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=2, max_length=200)
    scopes: list[str] = Field(
        min_length=1, max_length=50, description="Permission names the client may request."
    )


class ClientRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID = Field(description="The `client_id` for the token endpoint.")
    agency_id: uuid.UUID
    name: str
    scopes: list[str]
    active: bool
    created_at: datetime
    secret_rotated_at: datetime | None


class ClientWithSecret(ClientRead):
    client_secret: str = Field(description="Shown once; stored only as a digest.")

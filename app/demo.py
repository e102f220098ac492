"""A clearly fictional demo data set: agencies of several types in Maharashtra, West Bengal and
Jharkhand, national bodies, and one user per role with a random password. Seeded once; the
credentials are kept in ``<data_dir>/demo-credentials.json`` (mode 0600) and printed at each start."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

from sqlalchemy import select

from app import admin
from app.agencies.models import Agency
from app.auth.permissions import AgencyType, Role
from app.runtime import Runtime

PLATFORM_NAME = "Homecoming Platform (DEMO)"

# (key, name, type, state, district); every name says DEMO so no one mistakes it for a real body.
AGENCIES: list[tuple[str, str, AgencyType, str | None, str | None]] = [
    ("platform", PLATFORM_NAME, AgencyType.PLATFORM, None, None),
    ("mh_ngo", "Asha Rescue Trust (DEMO)", AgencyType.NGO, "IN-MH", "Mumbai Suburban"),
    ("mh_police", "Kamathipura Police Station (DEMO)", AgencyType.POLICE, "IN-MH", "Mumbai City"),
    ("mh_ahtu", "Mumbai AHTU (DEMO)", AgencyType.AHTU, "IN-MH", "Mumbai City"),
    ("mh_cwc", "CWC Mumbai City (DEMO)", AgencyType.CWC, "IN-MH", "Mumbai City"),
    (
        "mh_magistrate",
        "Metropolitan Magistrate Court (DEMO)",
        AgencyType.MAGISTRATE,
        "IN-MH",
        "Mumbai City",
    ),
    ("mh_sjpu", "SJPU Mumbai City (DEMO)", AgencyType.SJPU, "IN-MH", "Mumbai City"),
    ("mh_shelter", "Navjeevan Children's Home (DEMO)", AgencyType.SHELTER, "IN-MH", "Mumbai City"),
    ("mh_dlsa", "DLSA Mumbai (DEMO)", AgencyType.LEGAL_SERVICES, "IN-MH", "Mumbai City"),
    ("mh_wcd", "WCD Maharashtra (DEMO)", AgencyType.WCD, "IN-MH", None),
    ("mh_scpcr", "Maharashtra SCPCR (DEMO)", AgencyType.COMMISSION, "IN-MH", None),
    ("wb_ngo", "Sabuj Sathi Collective (DEMO)", AgencyType.NGO, "IN-WB", "South 24 Parganas"),
    ("wb_cwc", "CWC South 24 Parganas (DEMO)", AgencyType.CWC, "IN-WB", "South 24 Parganas"),
    ("wb_dcpu", "DCPU South 24 Parganas (DEMO)", AgencyType.DCPU, "IN-WB", "South 24 Parganas"),
    ("wb_sjpu", "SJPU South 24 Parganas (DEMO)", AgencyType.SJPU, "IN-WB", "South 24 Parganas"),
    ("wb_wcd", "WCD West Bengal (DEMO)", AgencyType.WCD, "IN-WB", None),
    ("wb_scpcr", "West Bengal SCPCR (DEMO)", AgencyType.COMMISSION, "IN-WB", None),
    ("jh_ngo", "Jharkhand Haath Trust (DEMO)", AgencyType.NGO, "IN-JH", "Gumla"),
    ("jh_cwc", "CWC Gumla (DEMO)", AgencyType.CWC, "IN-JH", "Gumla"),
    (
        "jh_magistrate",
        "Chief Judicial Magistrate Gumla (DEMO)",
        AgencyType.MAGISTRATE,
        "IN-JH",
        "Gumla",
    ),
    ("jh_wcd", "WCD Jharkhand (DEMO)", AgencyType.WCD, "IN-JH", None),
    ("ncpcr", "NCPCR (DEMO)", AgencyType.COMMISSION, None, None),
    ("audit", "National Audit Office (DEMO)", AgencyType.AUDIT, None, None),
]

# (username, agency key, roles)
USERS: list[tuple[str, str, list[Role]]] = [
    ("sysadmin", "platform", [Role.SYSTEM_ADMIN]),
    ("mh.ngo.caseworker", "mh_ngo", [Role.CASEWORKER]),
    ("mh.ngo.supervisor", "mh_ngo", [Role.SUPERVISOR]),
    ("mh.ngo.admin", "mh_ngo", [Role.AGENCY_ADMIN]),
    ("mh.police.officer", "mh_police", [Role.POLICE_OFFICER]),
    ("mh.ahtu.officer", "mh_ahtu", [Role.POLICE_OFFICER]),
    ("mh.cwc.member", "mh_cwc", [Role.CWC_MEMBER]),
    ("mh.magistrate", "mh_magistrate", [Role.MAGISTRATE]),
    ("mh.dlsa.officer", "mh_dlsa", [Role.LEGAL_AID_OFFICER]),
    ("mh.scpcr.officer", "mh_scpcr", [Role.COMMISSION_OFFICER]),
    ("mh.sjpu.officer", "mh_sjpu", [Role.POLICE_OFFICER]),
    ("wb.ngo.caseworker", "wb_ngo", [Role.CASEWORKER]),
    ("wb.ngo.supervisor", "wb_ngo", [Role.SUPERVISOR]),
    ("wb.wcd.supervisor", "wb_wcd", [Role.SUPERVISOR]),
    ("wb.cwc.member", "wb_cwc", [Role.CWC_MEMBER]),
    ("wb.dcpu.supervisor", "wb_dcpu", [Role.SUPERVISOR]),
    ("jh.cwc.member", "jh_cwc", [Role.CWC_MEMBER]),
    ("jh.magistrate", "jh_magistrate", [Role.MAGISTRATE]),
    ("auditor", "audit", [Role.AUDITOR]),
]


def credentials_path(runtime: Runtime) -> Path:
    return runtime.settings.data_dir / "demo-credentials.json"


def _save(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(data, handle, indent=2)
    os.chmod(path, 0o600)


async def seed(runtime: Runtime) -> bool:
    """Seed the demo data set unless it is there already. Returns whether it seeded now."""
    if runtime.settings.is_production:
        raise admin.AdminError("the demo data set is refused in production")
    async with runtime.db.transaction() as session:
        existing = await session.execute(select(Agency.id).where(Agency.name == PLATFORM_NAME))
        if existing.first() is not None:
            return False
        ids: dict[str, Any] = {}
        for key, name, agency_type, state, district in AGENCIES:
            agency = await admin.create_agency(session, name, agency_type, state, district)
            ids[key] = agency.id
        users: dict[str, str] = {}
        for username, agency_key, roles in USERS:
            password = secrets.token_urlsafe(12)
            await admin.create_user(session, runtime, ids[agency_key], username, roles, password)
            users[username] = password
    _save(
        credentials_path(runtime),
        {"users": users, "agencies": {key: str(value) for key, value in ids.items()}},
    )
    return True


def credentials_text(runtime: Runtime) -> str:
    path = credentials_path(runtime)
    if not path.exists():
        return "No demo credentials on this machine (the data set was seeded elsewhere)."
    data = json.loads(path.read_text())
    lines = [f"Demo users (fictional data; passwords are random and kept in {path}):"]
    lines += [f"  {name:<22} {password}" for name, password in data["users"].items()]
    return "\n".join(lines)

"""Rescue events, cases and their visibility: who sees which case, what of it, and nothing of
another agency's."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from app.auth.permissions import AgencyType, Role
from tests.harness import Harness

VICTIM: dict[str, Any] = {
    "track": "child",
    "sex": "Female",
    "age_claimed": 15,
    "exploitation_types": ["sexual", "cyber_enabled"],
    "home_state": "IN-WB",
    "home_district": "South 24 Parganas",
    "flags": {"trafficker_contact": True},
    "placement": "Udaan Safe House, room 4",
    "trafficking_context": {
        "recruitment_methods": ["JobOffer"],
        "platforms": ["WhatsApp"],
        "route": [{"kind": "Recruitment", "state": "IN-WB", "country": "IN"}],
    },
    "identity": {
        "names": ["Sunita Kumari"],
        "date_of_birth": "2011-05-06",
        "phones": ["+91 98300 12345"],
        "home_address": "Ward 7, Canning",
    },
}


def _rescue(
    h: Harness, headers: dict[str, str], lead: Any, victims: list[dict[str, Any]], **extra: Any
) -> Any:
    body = {
        "occurred_at": "2026-11-20T22:30:00+05:30",
        "state": "IN-MH",
        "district": "Mumbai City",
        "police_station": "Nagpada",
        "rescue_type": "raid",
        "legal_basis": "ITPA s.15",
        "fir_number": "123/2026",
        "lead_agency_id": str(lead.id),
        "victims": victims,
        **extra,
    }
    return h.client.post("/v1/rescue-events", json=body, headers=headers)


@pytest.fixture
def world(h: Harness) -> dict[str, Any]:
    """An NGO in Maharashtra with a supervisor and two caseworkers, and bodies around it."""
    ngo = h.agency(AgencyType.NGO, "IN-MH")
    people = {
        "supervisor": h.user(ngo, Role.SUPERVISOR),
        "assigned": h.user(ngo, Role.CASEWORKER),
        "unassigned": h.user(ngo, Role.CASEWORKER),
    }
    return {"ngo": ngo, **people}


def test_a_rescue_with_two_victims_opens_two_cases(h: Harness, world: dict[str, Any]) -> None:
    headers = h.auth(world["supervisor"])
    second = {**VICTIM, "identity": {"names": ["Pooja"]}, "track": "adult"}
    response = _rescue(h, headers, world["ngo"], [VICTIM, second])
    assert response.status_code == 201, response.text
    body = response.json()
    codes = [c["code"] for c in body["cases"]]
    assert codes == ["MH-2026-000001", "MH-2026-000002"]
    assert "identity" not in response.text
    assert "Sunita" not in response.text
    event = h.client.get(f"/v1/rescue-events/{body['id']}", headers=headers).json()
    assert len(event["case_ids"]) == 2
    case = h.client.get(f"/v1/cases/{body['cases'][0]['id']}", headers=headers)
    assert case.status_code == 200
    read = case.json()
    assert read["stage"] == "rescued"
    assert read["owner_agency_id"] == str(world["ngo"].id)
    assert read["rescue_state"] == "IN-MH"
    assert read["exploitation_types"] == ["cyber_enabled", "sexual"]
    assert read["placement"] == "Udaan Safe House, room 4"
    assert read["relations"] == ["owner", "rescue_party"]  # it owns the case and led the rescue
    assert case.headers["etag"] == '"1"'
    assert "names" in read["identity_fields"]
    assert "Sunita" not in case.text


def test_no_plaintext_identity_in_the_database(h: Harness, world: dict[str, Any]) -> None:
    _rescue(h, h.auth(world["supervisor"]), world["ngo"], [VICTIM])
    dump = ""
    for table in ("cases", "identity_records", "identity_blind_indexes", "audit_events", "access_log"):
        dump += repr(h.sql(f"SELECT * FROM {table}"))
    # The phone whole, as sent and normalised: five digits alone turn up by chance in random hex.
    secrets = ("Sunita", "SUNITA", "sunita", "98300 12345", "9830012345", "2011-05-06", "Canning")
    for secret in (*secrets, "Udaan Safe"):
        assert secret not in dump, secret


@pytest.mark.sqlite
def test_no_plaintext_identity_in_the_sqlite_file(h: Harness, world: dict[str, Any]) -> None:
    _rescue(h, h.auth(world["supervisor"]), world["ngo"], [VICTIM])
    h.sql("PRAGMA wal_checkpoint(FULL)")
    path = h.runtime.db.url.split("///", 1)[1]
    raw = b""
    for suffix in ("", "-wal"):
        try:
            with open(path + suffix, "rb") as handle:
                raw += handle.read()
        except FileNotFoundError:
            pass
    assert raw
    # The phone whole, as sent and normalised: five digits alone turn up by chance in random bytes.
    secrets = (b"Sunita", b"98300 12345", b"9830012345", b"2011-05-06", b"Canning", b"Udaan Safe")
    for secret in secrets:
        assert secret not in raw


def test_identity_is_read_with_a_purpose_and_logged(h: Harness, world: dict[str, Any]) -> None:
    created = _rescue(h, h.auth(world["supervisor"]), world["ngo"], [VICTIM]).json()
    case_id = created["cases"][0]["id"]
    url = f"/v1/cases/{case_id}/identity?purpose=home_verification&fields=names&fields=home_address"
    read = h.client.get(url, headers=h.auth(world["supervisor"]))
    assert read.status_code == 200, read.text
    assert read.headers["cache-control"] == "no-store"
    assert read.json()["fields"] == {"names": ["Sunita Kumari"], "home_address": "Ward 7, Canning"}
    rows = h.sql(
        "SELECT purpose, fields, outcome, principal_id FROM access_log"
        " WHERE object_type = 'identity' AND outcome = 'read'"
    )
    assert len(rows) == 1
    assert rows[0][0] == "home_verification"
    assert "home_address" in str(rows[0][1])
    assert str(rows[0][3]).replace("-", "") == world["supervisor"].id.hex
    # An unknown purpose or field is a 422; a purpose outside the relation a 403.
    base = f"/v1/cases/{case_id}/identity"
    assert (
        h.client.get(
            f"{base}?purpose=curiosity&fields=names", headers=h.auth(world["supervisor"])
        ).status_code
        == 422
    )
    assert (
        h.client.get(
            f"{base}?purpose=production&fields=shoe_size", headers=h.auth(world["supervisor"])
        ).status_code
        == 422
    )
    assert (
        h.client.get(
            f"{base}?purpose=escort&fields=names", headers=h.auth(world["supervisor"])
        ).status_code
        == 403
    )


def test_within_the_owner_identity_goes_to_supervisors_and_assigned_staff(
    h: Harness, world: dict[str, Any]
) -> None:
    case = h.case(world["ngo"], assign=[world["assigned"]])
    url = f"/v1/cases/{case.id}/identity?purpose=production&fields=names"
    assert h.client.get(url, headers=h.auth(world["assigned"])).status_code == 200
    assert h.client.get(url, headers=h.auth(world["unassigned"])).status_code == 403
    # The unassigned caseworker still reads the case itself, without identity fields.
    read = h.client.get(f"/v1/cases/{case.id}", headers=h.auth(world["unassigned"])).json()
    assert read["identity_fields"] == []


def test_the_competent_authority_reads_identity_but_commission_and_auditor_never(
    h: Harness, world: dict[str, Any]
) -> None:
    cwc = h.agency(AgencyType.CWC, "IN-MH")
    case = h.case(world["ngo"], authority=cwc)
    member = h.auth(h.user(cwc, Role.CWC_MEMBER))
    url = f"/v1/cases/{case.id}/identity?purpose=production&fields=names"
    assert h.client.get(url, headers=member).status_code == 200
    commission = h.auth(h.user(h.agency(AgencyType.COMMISSION, "IN-MH"), Role.COMMISSION_OFFICER))
    auditor = h.auth(h.user(h.agency(AgencyType.AUDIT, None), Role.AUDITOR))
    for headers in (commission, auditor):
        assert h.client.get(url, headers=headers).status_code == 403  # no identity:read at all
        read = h.client.get(f"/v1/cases/{case.id}", headers=headers)
        assert read.status_code == 200
        body = read.json()
        assert "placement" not in body
        assert body["identity_fields"] == []
        assert body["home_state"] == "IN-WB"


def test_family_complicity_keeps_the_home_address_to_the_authority_and_police(
    h: Harness, world: dict[str, Any]
) -> None:
    cwc = h.agency(AgencyType.CWC, "IN-MH")
    victim = {**VICTIM, "flags": {"family_complicity": True}}
    case = h.case(world["ngo"], authority=cwc, victim=victim)
    url = f"/v1/cases/{case.id}/identity?purpose=family_tracing&fields=home_address"
    assert h.client.get(url, headers=h.auth(world["supervisor"])).status_code == 403
    assert h.client.get(url, headers=h.auth(h.user(cwc, Role.CWC_MEMBER))).status_code == 200
    names = f"/v1/cases/{case.id}/identity?purpose=family_tracing&fields=names"
    assert h.client.get(names, headers=h.auth(world["supervisor"])).status_code == 200


@pytest.mark.parametrize(
    "outsider",
    [
        "unrelated_ngo",
        "other_state_ngo",
        "commission_elsewhere",
        "state_auditor_elsewhere",
        "client_without_scope",
    ],
)
def test_outsiders_get_404_or_403_and_change_nothing(
    h: Harness, world: dict[str, Any], outsider: str
) -> None:
    case = h.case(world["ngo"])
    if outsider == "unrelated_ngo":
        headers = h.auth(h.user(h.agency(AgencyType.NGO, "IN-MH"), Role.SUPERVISOR))
    elif outsider == "other_state_ngo":
        headers = h.auth(h.user(h.agency(AgencyType.NGO, "IN-JH"), Role.SUPERVISOR))
    elif outsider == "commission_elsewhere":
        headers = h.auth(h.user(h.agency(AgencyType.COMMISSION, "IN-JH"), Role.COMMISSION_OFFICER))
    elif outsider == "state_auditor_elsewhere":
        headers = h.auth(h.user(h.agency(AgencyType.AUDIT, "IN-JH"), Role.AUDITOR))
    else:
        client, secret = h.machine_client(h.agency(AgencyType.NGO, "IN-MH"), ["agencies:read"])
        headers = {"Authorization": f"Bearer {h.client_token(client, secret)}"}
    before = h.sql("SELECT count(*) FROM audit_events")[0][0]
    expected = 403 if outsider == "client_without_scope" else 404
    assert h.client.get(f"/v1/cases/{case.id}", headers=headers).status_code == expected
    identity = h.client.get(
        f"/v1/cases/{case.id}/identity?purpose=production&fields=names", headers=headers
    )
    assert identity.status_code in (403, 404)
    if outsider in ("unrelated_ngo", "other_state_ngo"):
        assert identity.status_code == 404
    assert (
        h.client.get(f"/v1/rescue-events/{case.rescue_event_id}", headers=headers).status_code
        == expected
    )
    listed = h.client.get("/v1/cases", headers=headers)
    if listed.status_code == 200:
        assert str(case.id) not in listed.text
    added = h.client.post(
        "/v1/cases",
        json={**VICTIM, "rescue_event_id": str(case.rescue_event_id)},
        headers=headers,
    )
    assert added.status_code in (403, 404)
    assert h.sql("SELECT count(*) FROM audit_events")[0][0] == before
    assert h.sql("SELECT count(*) FROM cases")[0][0] == 1


def test_commissions_and_auditors_see_cases_of_their_state_and_national_ones_all(
    h: Harness, world: dict[str, Any]
) -> None:
    in_mh = h.case(world["ngo"])
    jh_ngo = h.agency(AgencyType.NGO, "IN-JH")
    in_jh = h.case(jh_ngo, state="IN-JH", victim={**VICTIM, "home_state": "IN-JH"})
    for agency_type, role in (
        (AgencyType.COMMISSION, Role.COMMISSION_OFFICER),
        (AgencyType.AUDIT, Role.AUDITOR),
    ):
        state_body = h.auth(h.user(h.agency(agency_type, "IN-WB"), role))  # the home state of in_mh
        national = h.auth(h.user(h.agency(agency_type, None), role))
        seen = {c["id"] for c in h.client.get("/v1/cases", headers=state_body).json()["items"]}
        assert seen == {str(in_mh.id)}
        seen = {c["id"] for c in h.client.get("/v1/cases", headers=national).json()["items"]}
        assert seen == {str(in_mh.id), str(in_jh.id)}


def test_lists_filter_and_page_by_keyset(h: Harness, world: dict[str, Any]) -> None:
    headers = h.auth(world["supervisor"])
    victims = [
        {**VICTIM, "identity": {}},
        {**VICTIM, "identity": {}, "track": "adult", "home_state": "IN-JH"},
    ] * 3
    assert _rescue(h, headers, world["ngo"], victims).status_code == 201
    h.case(h.agency(AgencyType.NGO, "IN-MH"))  # another agency's: never listed
    seen: list[str] = []
    url = "/v1/cases?limit=4"
    while url:
        page = h.client.get(url, headers=headers)
        assert page.status_code == 200
        seen += [c["id"] for c in page.json()["items"]]
        link = page.headers.get("link")
        url = link[1 : link.index(">")] if link else ""
    assert len(seen) == len(set(seen)) == 6
    adults = h.client.get("/v1/cases?track=adult&home_state=IN-JH", headers=headers).json()["items"]
    assert len(adults) == 3
    flagged = h.client.get(
        "/v1/cases?flag=trafficker_contact&exploitation_type=sexual", headers=headers
    ).json()
    assert len(flagged["items"]) == 6
    code = flagged["items"][0]["code"]
    assert [
        c["code"] for c in h.client.get(f"/v1/cases?code={code}", headers=headers).json()["items"]
    ] == [code]
    assert h.client.get("/v1/cases?flag=nonsense", headers=headers).status_code == 422
    assert h.client.get("/v1/cases?limit=500", headers=headers).status_code == 422
    pages = h.sql("SELECT object_ids FROM access_log WHERE route = '/v1/cases' AND outcome = 'read'")
    assert pages


@pytest.mark.parametrize(
    "extra",
    [
        {"owner_agency_id": str(uuid.uuid4())},
        {"stage": "closed"},
        {"code": "MH-2026-999999"},
        {"version": 7},
        {"id": str(uuid.uuid4())},
        {"flags": {"possible_repeat": True}},
    ],
)
def test_mass_assignment_is_422_and_changes_nothing(
    h: Harness, world: dict[str, Any], extra: dict[str, Any]
) -> None:
    response = _rescue(h, h.auth(world["supervisor"]), world["ngo"], [{**VICTIM, **extra}])
    assert response.status_code == 422
    assert h.sql("SELECT count(*) FROM cases")[0][0] == 0
    assert h.sql("SELECT count(*) FROM rescue_events")[0][0] == 0


def test_only_police_and_ngos_record_rescues_and_never_in_the_future(
    h: Harness, world: dict[str, Any]
) -> None:
    shelter = h.agency(AgencyType.SHELTER, "IN-MH")
    response = _rescue(h, h.auth(h.user(shelter, Role.CASEWORKER)), shelter, [VICTIM])
    assert response.status_code == 403
    future = _rescue(
        h, h.auth(world["supervisor"]), world["ngo"], [VICTIM], occurred_at="2099-01-01T00:00:00+05:30"
    )
    assert future.status_code == 422


def test_a_repeat_victim_is_flagged_on_both_cases_without_naming_either(
    h: Harness, world: dict[str, Any]
) -> None:
    first = h.case(world["ngo"], victim=VICTIM)
    other_ngo = h.agency(AgencyType.NGO, "IN-MH")
    unrelated = h.case(
        other_ngo, victim={**VICTIM, "identity": {"names": ["Meena"], "date_of_birth": "2000-01-01"}}
    )
    # The Devanagari spelling of the same name with the same date of birth: a possible match.
    again = {**VICTIM, "identity": {"names": ["सुनीता कुमारी"], "date_of_birth": "2011-05-06"}}
    second = _rescue(h, h.auth(h.user(other_ngo, Role.SUPERVISOR)), other_ngo, [again])
    assert second.status_code == 201
    new_case = second.json()["cases"][0]
    assert new_case["flags"]["possible_repeat"] is True
    mine = h.client.get(f"/v1/cases/{first.id}", headers=h.auth(world["supervisor"])).json()
    assert mine["flags"]["possible_repeat"] is True
    theirs = h.client.get(
        f"/v1/cases/{unrelated.id}", headers=h.auth(h.user(other_ngo, Role.SUPERVISOR))
    ).json()
    assert theirs["flags"]["possible_repeat"] is False
    events = h.sql(
        "SELECT actor_type, objects, changes, case_id FROM audit_events"
        " WHERE action = 'case.flagged_possible_repeat'"
    )
    assert len(events) == 1
    actor, objects, changes, flagged_case = events[0]
    assert str(flagged_case).replace("-", "") == first.id.hex
    assert actor == "system"
    assert str(new_case["id"]) not in str(objects) + str(changes)
    assert str(other_ngo.id) not in str(objects) + str(changes)


def test_search_matches_across_scripts_only_where_identity_may_be_read(
    h: Harness, world: dict[str, Any]
) -> None:
    mine = h.case(world["ngo"], victim={**VICTIM, "identity": {"names": ["सुनीता कुमारी"]}})
    h.case(
        h.agency(AgencyType.NGO, "IN-MH"), victim={**VICTIM, "identity": {"names": ["Sunita Kumari"]}}
    )
    found = h.client.post(
        "/v1/cases/search",
        json={"purpose": "family_tracing", "name": "SUNITA  Kumari"},
        headers=h.auth(world["supervisor"]),
    )
    assert found.status_code == 200
    assert [hit["id"] for hit in found.json()["items"]] == [str(mine.id)]
    nothing = h.client.post(
        "/v1/cases/search",
        json={"purpose": "family_tracing", "name": "Sunita Kumari"},
        headers=h.auth(world["unassigned"]),
    )
    assert nothing.json()["items"] == []
    assert (
        h.client.post(
            "/v1/cases/search", json={"purpose": "family_tracing"}, headers=h.auth(world["supervisor"])
        ).status_code
        == 422
    )
    rows = h.sql("SELECT outcome, purpose, fields FROM access_log WHERE outcome = 'search'")
    assert len(rows) == 2
    assert "Sunita" not in repr(rows)


def test_search_is_rate_limited_per_user(h: Harness, world: dict[str, Any]) -> None:
    h.clock.freeze()
    headers = h.auth(world["supervisor"])
    statuses = [
        h.client.post(
            "/v1/cases/search", json={"purpose": "production", "phone": "9830012345"}, headers=headers
        ).status_code
        for _ in range(h.runtime.settings.search_per_minute + 1)
    ]
    assert statuses[-1] == 429
    assert statuses.count(200) == h.runtime.settings.search_per_minute
    other = h.auth(world["assigned"])
    assert (
        h.client.post(
            "/v1/cases/search", json={"purpose": "production", "phone": "9830012345"}, headers=other
        ).status_code
        == 200
    )


def test_a_ciphertext_swapped_between_cases_fails_closed(h: Harness, world: dict[str, Any]) -> None:
    one = h.case(world["ngo"], victim={**VICTIM, "identity": {"names": ["Asha"]}})
    two = h.case(world["ngo"], victim={**VICTIM, "identity": {"names": ["Meena"]}})
    ids = (
        {one.id: one.id.hex, two.id: two.id.hex}
        if h.runtime.db.is_sqlite
        else {one.id: one.id, two.id: two.id}
    )
    stolen = h.sql("SELECT names FROM identity_records WHERE case_id = :c", c=ids[one.id])[0][0]
    h.sql("UPDATE identity_records SET names = :n WHERE case_id = :c", n=stolen, c=ids[two.id])
    response = h.client.get(
        f"/v1/cases/{two.id}/identity?purpose=production&fields=names",
        headers=h.auth(world["supervisor"]),
    )
    assert response.status_code == 500
    assert "integrity check" in response.json()["detail"]
    assert "Asha" not in response.text
    assert response.headers["content-type"] == "application/problem+json"


def test_rescue_events_replay_with_an_idempotency_key(h: Harness, world: dict[str, Any]) -> None:
    headers = {**h.auth(world["supervisor"]), "Idempotency-Key": "raid-2026-11-20"}
    first = _rescue(h, headers, world["ngo"], [VICTIM, VICTIM])
    again = _rescue(h, headers, world["ngo"], [VICTIM, VICTIM])
    assert first.status_code == again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert [c["id"] for c in again.json()["cases"]] == [c["id"] for c in first.json()["cases"]]
    assert h.sql("SELECT count(*) FROM cases")[0][0] == 2


@pytest.mark.parametrize("outsider", ["unrelated_ngo", "other_state_police", "commission", "auditor"])
def test_outsiders_cannot_change_a_case(h: Harness, world: dict[str, Any], outsider: str) -> None:
    case = h.case(world["ngo"])
    if outsider == "unrelated_ngo":
        user = h.user(h.agency(AgencyType.NGO, "IN-MH"), Role.SUPERVISOR)
    elif outsider == "other_state_police":
        user = h.user(h.agency(AgencyType.POLICE, "IN-JH"), Role.POLICE_OFFICER, Role.SUPERVISOR)
    elif outsider == "commission":
        user = h.user(h.agency(AgencyType.COMMISSION, "IN-MH"), Role.COMMISSION_OFFICER)
    else:
        user = h.user(h.agency(AgencyType.AUDIT, None), Role.AUDITOR)
    headers = h.auth(user)
    before = h.sql("SELECT count(*) FROM audit_events")[0][0]
    merge = {**headers, "If-Match": '"1"', "Content-Type": "application/merge-patch+json"}
    answers = [
        h.client.patch(f"/v1/cases/{case.id}", json={"home_district": "X1"}, headers=merge),
        h.client.put(f"/v1/cases/{case.id}/assignees", json={"user_ids": []}, headers=headers),
        h.client.post(
            f"/v1/cases/{case.id}/production-report",
            json={
                "occurred_at": "2026-11-29T00:00:00+00:00",
                "authority_id": str(uuid.uuid4()),
                "journey_hours": 1,
            },
            headers=headers,
        ),
        h.client.patch(
            f"/v1/cases/{case.id}/identity?purpose=production", json={"names": ["X"]}, headers=merge
        ),
    ]
    statuses = [a.status_code for a in answers]
    if outsider in ("unrelated_ngo", "other_state_police"):
        assert statuses == [404, 404, 404, 404]  # holds the permission, cannot see the case
    else:
        assert statuses == [403, 403, 403, 403]  # lacks the permission, whatever the id
    assert h.sql("SELECT count(*) FROM audit_events")[0][0] == before
    assert h.sql("SELECT version FROM cases")[0][0] == 1


def test_two_concurrent_rescue_posts_with_one_key_record_one_rescue(
    h: Harness, world: dict[str, Any]
) -> None:
    import asyncio

    import httpx

    headers = {**h.auth(world["supervisor"]), "Idempotency-Key": "raid-42"}
    body = {
        "occurred_at": "2026-11-20T22:30:00+05:30",
        "state": "IN-MH",
        "rescue_type": "raid",
        "lead_agency_id": str(world["ngo"].id),
        "victims": [VICTIM],
    }

    async def twins() -> list[int]:
        transport = httpx.ASGITransport(app=h.client.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            answers = await asyncio.gather(
                *[client.post("/v1/rescue-events", json=body, headers=headers) for _ in range(2)]
            )
            return sorted(a.status_code for a in answers)

    assert h.run(twins) in ([201, 201], [201, 409])
    assert h.sql("SELECT count(*) FROM rescue_events")[0][0] == 1
    assert h.sql("SELECT count(*) FROM cases")[0][0] == 1

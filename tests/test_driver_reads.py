"""The hot reads: visibility built once per principal shape, and on PostgreSQL run straight on the
driver (``app.driver``) with the same answers the session gives."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import select

from app.access.binds import caller_params
from app.access.cases import relation_columns, shape_of, visible_cases
from app.auth.current import rows_checked, with_check
from app.auth.permissions import AgencyType, Role
from app.cases.models import Case
from app.cases.schemas import CaseRead
from app.cases.service import _by_id
from app.pagination import Page
from tests.harness import Harness


def test_visibility_is_built_once_per_shape_and_bound_per_caller(h: Harness) -> None:
    """Two caseworkers of different NGOs share one SQL object; what differs is only the bind
    parameters, so each still sees only its own agency's cases."""
    mine, other = h.agency(AgencyType.NGO), h.agency(AgencyType.NGO)
    me = h.user(mine, Role.CASEWORKER)
    them = h.user(other, Role.CASEWORKER)
    p_me = h.runtime.tokens.decode_access(h.token(me))
    p_them = h.runtime.tokens.decode_access(h.token(them))
    assert visible_cases(p_me) is visible_cases(p_them)
    assert relation_columns(p_me) is relation_columns(p_them)
    assert caller_params(p_me, h.runtime.now())["caller_agency"] == mine.id
    assert caller_params(p_them, h.runtime.now())["caller_agency"] == other.id
    # A different shape (a commission officer) gets different SQL.
    commission = h.user(h.agency(AgencyType.COMMISSION, state="IN-WB"), Role.COMMISSION_OFFICER)
    p_commission = h.runtime.tokens.decode_access(h.token(commission))
    assert visible_cases(p_commission) is not visible_cases(p_me)

    case = h.case(mine, assign=[me])
    assert h.client.get(f"/v1/cases/{case.id}", headers=h.auth(me)).status_code == 200
    assert h.client.get(f"/v1/cases/{case.id}", headers=h.auth(them)).status_code == 404


def test_the_currency_check_is_added_once_per_statement(h: Harness) -> None:
    user = h.user(h.agency(AgencyType.NGO), Role.CASEWORKER)
    principal = h.runtime.tokens.decode_access(h.token(user))
    statement, _ = _by_id(shape_of(principal))
    assert with_check(statement, principal) is with_check(statement, principal)
    assert with_check(statement, principal) is not statement


@pytest.mark.postgres
def test_driver_rows_equal_the_session_rows(h: Harness) -> None:
    ngo = h.agency(AgencyType.NGO)
    worker = h.user(ngo, Role.CASEWORKER)
    case = h.case(ngo, assign=[worker])
    principal = h.runtime.tokens.decode_access(h.token(worker))
    statement, _ = _by_id(shape_of(principal))
    params = {**caller_params(principal, h.runtime.now()), "case_id": case.id}
    driver = h.runtime.db.driver
    assert driver is not None
    assert driver.started

    async def both() -> tuple[list[dict[str, Any]] | None, list[dict[str, Any]]]:
        via_driver = await driver.fetch(statement, params)
        async with h.runtime.db.engine.connect() as connection:
            rows = await connection.execute(statement, params)
            via_session = [dict(row._mapping) for row in rows]
        return via_driver, via_session

    via_driver, via_session = h.run(both)
    assert via_driver is not None
    assert len(via_driver) == 1
    assert via_driver == via_session
    for key, value in via_session[0].items():
        assert type(via_driver[0][key]) is type(value), key
    assert via_driver[0]["rel_owner"] is True
    assert via_driver[0]["assigned"] is True


@pytest.mark.postgres
def test_statements_the_driver_cannot_take_go_through_the_session(h: Harness) -> None:
    """An expanding IN is rendered per execution: the driver declines it, the session runs it."""
    ngo = h.agency(AgencyType.NGO)
    worker = h.user(ngo, Role.CASEWORKER)
    cases = [h.case(ngo), h.case(ngo)]
    principal = h.runtime.tokens.decode_access(h.token(worker))
    statement = select(Case.id).where(Case.id.in_([c.id for c in cases]), visible_cases(principal))
    driver = h.runtime.db.driver
    assert driver is not None

    async def go() -> tuple[list[dict[str, Any]] | None, list[dict[str, Any]]]:
        declined = await driver.fetch(statement, caller_params(principal, h.runtime.now()))
        async with h.runtime.db.session(write=False) as session:
            return declined, await rows_checked(session, principal, statement)

    declined, rows = h.run(go)
    assert declined is None
    assert {row["id"] for row in rows} == {c.id for c in cases}


@pytest.mark.postgres
def test_a_case_read_runs_one_statement_on_the_driver_and_none_through_sqlalchemy(
    h: Harness,
) -> None:
    ngo = h.agency(AgencyType.NGO)
    worker = h.user(ngo, Role.CASEWORKER)
    case = h.case(ngo, assign=[worker])
    headers = h.auth(worker)
    with h.statements() as statements:
        response = h.client.get(f"/v1/cases/{case.id}", headers=headers)
        first = list(statements)
        missing = h.client.get(f"/v1/cases/{uuid.uuid4()}", headers=headers)
    assert response.status_code == 200
    assert response.json()["assignees"] == [str(worker.id)]
    assert response.json()["exploitation_types"] == ["sexual"]
    assert first == []
    # Not found: the token is checked on its own (through the session), then 404.
    assert missing.status_code == 404
    assert len(statements) == 1
    assert "auth_sessions" in statements[0]


@pytest.mark.postgres
def test_an_identity_read_and_its_log_row_are_one_statement(h: Harness) -> None:
    """On the driver, the access-log row rides in the read as a data-modifying CTE: the row is
    committed, with its JSON stored as JSON (not a string of JSON), by the time the answer comes."""
    ngo = h.agency(AgencyType.NGO)
    worker = h.user(ngo, Role.CASEWORKER)
    case = h.case(ngo, assign=[worker])
    headers = h.auth(worker)
    url = f"/v1/cases/{case.id}/identity?purpose=family_tracing&fields=names&fields=date_of_birth"
    with h.statements() as statements:
        response = h.client.get(url, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["fields"] == {"names": ["Sunita Kumari"], "date_of_birth": "2012-03-04"}
    assert statements == []
    rows = h.sql(
        "SELECT jsonb_typeof(fields::jsonb), fields::jsonb, jsonb_typeof(object_ids::jsonb),"
        " purpose, outcome, object_id FROM access_log"
        " WHERE object_type = 'identity' AND outcome = 'read'"
    )
    assert len(rows) == 1
    kind, fields, ids_kind, purpose, outcome, object_id = rows[0]
    assert kind == "array"
    assert fields == ["date_of_birth", "names"]
    assert ids_kind == "array"
    assert (purpose, outcome, object_id) == ("family_tracing", "read", str(case.id))


def test_hot_read_answers_are_what_the_response_model_would_write(h: Harness) -> None:
    """The case read and list answer with orjson, not through the response model: the same JSON
    pydantic would write (UTC times with Z, UUIDs as strings), and the headers still set."""
    ngo = h.agency(AgencyType.NGO)
    worker = h.user(ngo, Role.CASEWORKER)
    case = h.case(ngo, assign=[worker])
    h.case(ngo)
    headers = h.auth(worker)
    read = h.client.get(f"/v1/cases/{case.id}", headers=headers)
    assert read.status_code == 200
    assert read.headers["content-type"] == "application/json"
    body = read.json()
    assert read.headers["etag"] == f'"{body["version"]}"'
    assert body == CaseRead.model_validate(body).model_dump(mode="json")
    assert body["opened_at"].endswith("Z")
    listed = h.client.get("/v1/cases?limit=1", headers=headers)
    assert listed.status_code == 200
    page = listed.json()
    assert page == Page[CaseRead].model_validate(page).model_dump(mode="json")
    assert page["next_cursor"]
    assert 'rel="next"' in listed.headers["link"]


def test_shared_visibility_sql_cannot_be_changed_by_a_caller(h: Harness) -> None:
    user = h.user(h.agency(AgencyType.NGO), Role.CASEWORKER)
    principal = h.runtime.tokens.decode_access(h.token(user))
    relations = relation_columns(principal)
    with pytest.raises(TypeError):
        relations["owner"] = relations["owner"]  # type: ignore[index]


def test_a_statements_parameters_never_stand_in_for_the_caller(h: Harness) -> None:
    """A filter value named like one of the caller's parameters is refused, never used."""
    ngo = h.agency(AgencyType.NGO)
    user = h.user(ngo, Role.CASEWORKER)
    principal = h.runtime.tokens.decode_access(h.token(user))
    statement, _ = _by_id(shape_of(principal))

    async def go() -> None:
        async with h.runtime.db.session(write=False) as session:
            await rows_checked(
                session, principal, statement, {"case_id": uuid.uuid4(), "caller_agency": uuid.uuid4()}
            )

    with pytest.raises(ValueError, match="caller"):
        h.run(go)


def test_checked_forms_of_passing_statements_are_not_kept(h: Harness) -> None:
    """Statements built per request get their checked form remembered only while they live."""
    import gc

    from app.auth import current

    user = h.user(h.agency(AgencyType.NGO), Role.CASEWORKER)
    principal = h.runtime.tokens.decode_access(h.token(user))
    before = len(current._WITH_CHECK)
    for _ in range(50):
        with_check(select(Case.id).where(Case.code == "x"), principal)
    gc.collect()
    assert len(current._WITH_CHECK) <= before + 1


@pytest.mark.postgres
def test_the_driver_refuses_a_statement_missing_a_required_value(h: Harness) -> None:
    """SQLAlchemy raises for a missing bind value; so does the driver (LIMIT NULL is no limit)."""
    user = h.user(h.agency(AgencyType.NGO), Role.CASEWORKER)
    principal = h.runtime.tokens.decode_access(h.token(user))
    statement, _ = _by_id(shape_of(principal))
    driver = h.runtime.db.driver
    assert driver is not None

    async def go() -> None:
        await driver.fetch(statement, caller_params(principal, h.runtime.now()))  # no case_id

    with pytest.raises(KeyError, match="case_id"):
        h.run(go)


def test_the_cache_of_list_statements_is_bounded() -> None:
    """Its key follows the query string (which filters are set): a caller must not be able to
    grow it without end by trying combinations."""
    from app.cases.service import _page_select

    assert _page_select.cache_info().maxsize is not None
    assert _page_select.cache_info().maxsize <= 1024

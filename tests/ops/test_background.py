from __future__ import annotations

from datetime import timedelta

from app.auth.permissions import AgencyType, Role
from app.ops.background import housekeeping
from tests.harness import PASSWORD, Harness


def test_housekeeping_forgets_what_has_expired_and_keeps_the_rest(h: Harness) -> None:
    start = h.clock.freeze()
    agency = h.agency(AgencyType.NGO)
    admin = h.user(agency, Role.AGENCY_ADMIN)
    h.client.post(
        "/v1/auth/token", data={"grant_type": "password", "username": "ghost", "password": "nope nope"}
    )
    h.client.post(
        "/v1/users",
        json={"username": "kept.user", "display_name": "K", "roles": ["caseworker"]},
        headers={**h.auth(admin), "Idempotency-Key": "k-1"},
    )
    signed_in = h.client.post(
        "/v1/auth/token",
        data={"grant_type": "password", "username": admin.username, "password": PASSWORD},
    )
    assert signed_in.status_code == 200

    def counts() -> tuple[int, int, int]:
        return (
            h.sql("SELECT count(*) FROM auth_throttles")[0][0],
            h.sql("SELECT count(*) FROM idempotency_keys")[0][0],
            h.sql("SELECT count(*) FROM auth_sessions")[0][0],
        )

    before = counts()
    assert before[:2] == (1, 1)
    assert before[2] >= 2
    h.clock.freeze(start + timedelta(minutes=30))
    h.run(housekeeping, h.runtime)
    assert counts() == (0, 1, before[2])
    h.clock.freeze(start + timedelta(days=9))
    h.run(housekeeping, h.runtime)
    assert counts() == (0, 0, 0)

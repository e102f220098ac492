from app.auth.permissions import AgencyType, Role
from tests.harness import Harness


def test_me_answers_for_a_minted_token(h: Harness) -> None:
    user, headers = h.person(AgencyType.NGO, Role.CASEWORKER)
    response = h.client.get("/v1/me", headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["username"] == user.username
    assert body["roles"] == ["caseworker"]
    assert "agencies:read" in body["permissions"]

"""Property-based tests of the small pure pieces (bounded example counts)."""

from __future__ import annotations

import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.agencies.states import RENAMED_2023, STATES, normalise_state
from app.auth.passwords import MIN_PASSWORD_LENGTH, password_problem
from app.auth.throttle import throttle_key
from app.errors import Problem
from app.idempotency.service import fingerprint
from app.pagination import decode_cursor, encode_cursor

BOUNDED = settings(max_examples=200, deadline=None)


@BOUNDED
@given(st.sampled_from(sorted(STATES) + sorted(RENAMED_2023)), st.sampled_from([str.lower, str.upper]))
def test_every_state_code_normalises_to_a_current_one(code: str, case: object) -> None:
    assert normalise_state(case(code)) in STATES  # type: ignore[operator]


@BOUNDED
@given(st.text(max_size=8))
def test_unknown_state_codes_are_refused(text: str) -> None:
    if text.strip().upper() in STATES or text.strip().upper() in RENAMED_2023:
        return
    with pytest.raises(ValueError, match="ISO 3166-2:IN"):
        normalise_state(text)


BIGINTS = st.integers(min_value=-(2**63), max_value=2**63 - 1)


@BOUNDED
@given(st.lists(st.one_of(st.text(max_size=40), BIGINTS, st.uuids().map(str)), max_size=3))
def test_cursors_round_trip(values: list[object]) -> None:
    kinds = [int if isinstance(v, int) else str for v in values]
    assert decode_cursor(encode_cursor(values), *kinds) == values


@BOUNDED
@given(st.one_of(st.integers(min_value=2**63), st.integers(max_value=-(2**63) - 1)))
def test_a_cursor_integer_beyond_a_bigint_is_422(value: int) -> None:
    # It would be compared with a BIGINT column: the query would fail, a 500.
    with pytest.raises(Problem) as refused:
        decode_cursor(encode_cursor([value]), int)
    assert refused.value.status_code == 422


@BOUNDED
@given(st.text(alphabet=string.printable, max_size=60))
def test_garbage_cursors_are_422_never_500(garbage: str) -> None:
    try:
        values = decode_cursor(garbage, str, str)
        status = 200 if len(values) == 2 else 500
    except Problem as problem:
        status = problem.status_code
    assert status in (200, 422)


USERNAME = st.text(alphabet=string.ascii_letters + string.digits + "._-", min_size=3, max_size=30)


@BOUNDED
@given(USERNAME, st.sampled_from(["10.0.0.1", "127.0.0.1"]))
def test_throttle_keys_ignore_case_and_padding_of_usernames(name: str, address: str) -> None:
    """``Admin`` and `` admin `` are one username to the throttle, so neither slips past it."""
    key = b"k" * 32
    same = throttle_key(key, "login", f"  {name.upper()} ", address)
    assert throttle_key(key, "login", name, address) == same
    assert throttle_key(key, "login", name, "192.0.2.1") != same


@BOUNDED
@given(st.binary(max_size=64), st.binary(max_size=64))
def test_fingerprints_separate_path_from_body(a: bytes, b: bytes) -> None:
    """Length-prefixed parts: moving bytes between path and body changes the fingerprint."""
    if a == b:
        return
    assert fingerprint("POST", "/v1/x", a) != fingerprint("POST", "/v1/x", b)
    assert fingerprint("POST", "/v1/x" + "y", b"") != fingerprint("POST", "/v1/x", b"y")


@BOUNDED
@given(st.text(min_size=MIN_PASSWORD_LENGTH, max_size=80).filter(lambda p: len(set(p)) >= 4))
def test_long_varied_passwords_are_accepted(password: str) -> None:
    assert password_problem(password, "someone.else") is None


@BOUNDED
@given(st.text(max_size=MIN_PASSWORD_LENGTH - 1))
def test_short_passwords_are_refused(password: str) -> None:
    assert password_problem(password) is not None

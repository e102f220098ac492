from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from app.config import ConfigurationError, Settings, resolve_secrets
from app.vault.crypto import BlindIndexer, Cipher, VaultError, new_key_spec, parse_keyring


def _cipher(*kids: str, active: str | None = None) -> Cipher:
    keys: dict[str, bytes] = {}
    for kid in kids:
        keys |= parse_keyring(new_key_spec(kid))
    return Cipher(keys, active or kids[-1])


def test_round_trip_carries_the_key_id_and_no_plaintext() -> None:
    cipher = _cipher("k1")
    row = uuid.uuid4()
    stored = cipher.encrypt("Sunita Devi", Cipher.context("identity_records", row, "name"))
    assert stored.startswith("v1.k1.")
    assert "Sunita" not in stored
    assert cipher.decrypt(stored, Cipher.context("identity_records", row, "name")) == "Sunita Devi"
    # A fresh nonce each time: equal plaintexts do not give equal ciphertexts.
    assert stored != cipher.encrypt("Sunita Devi", Cipher.context("identity_records", row, "name"))


@pytest.mark.parametrize("elsewhere", [("other_row", "name"), ("same_row", "phones")])
def test_a_ciphertext_moved_to_another_row_or_column_fails_closed(elsewhere: tuple[str, str]) -> None:
    cipher = _cipher("k1")
    row = uuid.uuid4()
    stored = cipher.encrypt("9876543210", Cipher.context("identity_records", row, "name"))
    target_row = uuid.uuid4() if elsewhere[0] == "other_row" else row
    with pytest.raises(VaultError):
        cipher.decrypt(stored, Cipher.context("identity_records", target_row, elsewhere[1]))


def test_tampering_fails_closed() -> None:
    cipher = _cipher("k1")
    context = Cipher.context("t", 1, "c")
    stored = cipher.encrypt("x", context)
    flipped = stored[:-2] + ("A" if stored[-2] != "A" else "B") + stored[-1]
    for bad in (flipped, "v1.k1.", "v2.k1.abcd", "plain text", "v1.k9." + stored.split(".")[2]):
        with pytest.raises(VaultError):
            cipher.decrypt(bad, context)


def test_rotation_new_writes_use_the_new_key_old_ones_still_read() -> None:
    old = _cipher("k1")
    context = Cipher.context("t", 1, "c")
    before = old.encrypt("Pooja", context)
    both = Cipher({**old.keys, **parse_keyring(new_key_spec("k2"))}, "k2")
    assert both.decrypt(before, context) == "Pooja"
    assert both.needs_rotation(before)
    after = both.encrypt("Pooja", context)
    assert after.startswith("v1.k2.")
    assert not both.needs_rotation(after)
    only_new = Cipher({"k2": both.keys["k2"]}, "k2")
    with pytest.raises(VaultError):
        only_new.decrypt(before, context)


def test_blind_indexes_are_keyed_and_deterministic() -> None:
    indexer = BlindIndexer(parse_keyring(new_key_spec("b1")), "b1")
    other = BlindIndexer(parse_keyring(new_key_spec("b1")), "b1")
    assert indexer.digest("name", "sunita") == indexer.digest("name", "sunita")
    assert indexer.digest("name", "sunita") != indexer.digest("phone", "sunita")
    assert indexer.digest("name", "sunita") != other.digest("name", "sunita")


@pytest.mark.parametrize("spec", ["", "k1", "k1:notbase64!!", "k-1:" + "A" * 43, "k1:AAAA"])
def test_malformed_keyrings_are_refused(spec: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - the message differs per case
        parse_keyring(spec)


def test_keyrings_come_from_settings_and_the_last_key_is_active(tmp_path: Path) -> None:
    ring = f"{new_key_spec('k1')},{new_key_spec('k2')}"
    settings = Settings(data_dir=tmp_path, vault_keys=ring, blind_index_keys=new_key_spec("b1"))
    resolved = resolve_secrets(settings)
    assert set(resolved.vault_keys) == {"k1", "k2"}
    assert resolved.vault_active_key == "k2"
    pinned = Settings(
        data_dir=tmp_path, vault_keys=ring, vault_active_key="k1", blind_index_keys=new_key_spec("b1")
    )
    assert resolve_secrets(pinned).vault_active_key == "k1"
    with pytest.raises(ConfigurationError):
        resolve_secrets(Settings(data_dir=tmp_path, vault_keys=ring, vault_active_key="k7"))

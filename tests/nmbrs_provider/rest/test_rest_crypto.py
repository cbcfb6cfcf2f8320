"""Tokens at rest: Fernet with NMBRS_TOKEN_KEY, else Airflow's [core] fernet_key; never plain."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from nmbrs_provider.rest.crypto import TokenCipher
from nmbrs_provider.rest.errors import NmbrsTokenStoreError


@pytest.fixture
def no_keys(monkeypatch):
    monkeypatch.delenv("NMBRS_TOKEN_KEY", raising=False)
    monkeypatch.setenv("AIRFLOW__CORE__FERNET_KEY", "")


def test_nmbrs_token_key_wins_over_airflows_fernet_key(no_keys, monkeypatch):
    own, airflows = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    monkeypatch.setenv("AIRFLOW__CORE__FERNET_KEY", airflows)
    assert TokenCipher.from_environment().source == "Airflow's [core] fernet_key"
    monkeypatch.setenv("NMBRS_TOKEN_KEY", own)
    cipher = TokenCipher.from_environment()
    assert cipher.source == "$NMBRS_TOKEN_KEY"
    secret = "refresh-token-value"
    stored = cipher.encrypt(secret, grant="conn_a")
    assert secret not in stored
    assert TokenCipher(own, "x").decrypt(stored, grant="conn_a") == secret
    with pytest.raises(NmbrsTokenStoreError, match="does not decrypt"):
        TokenCipher(airflows, "x").decrypt(stored, grant="conn_a")


def test_without_a_key_nothing_is_stored(no_keys):
    with pytest.raises(NmbrsTokenStoreError, match="set NMBRS_TOKEN_KEY"):
        TokenCipher.from_environment()


def test_a_key_that_is_not_a_fernet_key_is_refused_without_showing_it(no_keys, monkeypatch):
    monkeypatch.setenv("NMBRS_TOKEN_KEY", "not-a-key-at-all")
    with pytest.raises(NmbrsTokenStoreError) as caught:
        TokenCipher.from_environment()
    assert "not a Fernet key" in str(caught.value)
    assert "not-a-key-at-all" not in str(caught.value)


def test_keys_rotate_first_encrypts_every_one_decrypts():
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    stored = TokenCipher(old, "x").encrypt("t", grant="g")
    assert TokenCipher(f"{new},{old}", "x").decrypt(stored, grant="g") == "t"
    rotated = TokenCipher(f"{new},{old}", "x").encrypt("t", grant="g")
    assert TokenCipher(new, "x").decrypt(rotated, grant="g") == "t"


def test_a_ciphertext_copied_to_another_grant_does_not_decrypt():
    cipher = TokenCipher(Fernet.generate_key().decode(), "x")
    stored = cipher.encrypt("t", grant="conn_a")
    with pytest.raises(NmbrsTokenStoreError, match="another connection"):
        cipher.decrypt(stored, grant="conn_b")

"""Encryption of tokens at rest (Fernet), with a key that is never stored beside them.

The key is ``$NMBRS_TOKEN_KEY`` when set, else Airflow's own ``[core] fernet_key`` (the key that
already encrypts connection passwords in Airflow's metadata database, so every worker has it;
``AIRFLOW__CORE__FERNET_KEY``, ``fernet_key_cmd`` and ``fernet_key_secret`` work as in Airflow).
Both take several comma-separated keys: the first encrypts, every one decrypts (key rotation).
Without a key nothing is stored: tokens are never written in plain text.
"""

from __future__ import annotations

import json
import os

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from nmbrs_provider.rest.errors import NmbrsTokenStoreError

KEY_ENV = "NMBRS_TOKEN_KEY"


class TokenCipher:
    """Encrypts a token for one grant; a ciphertext copied to another grant does not decrypt."""

    def __init__(self, keys: str, source: str) -> None:
        try:
            fernets = [Fernet(k.strip().encode()) for k in keys.split(",") if k.strip()]
        except (ValueError, TypeError):
            raise NmbrsTokenStoreError(
                f"The token key from {source} is not a Fernet key (32 url-safe base64 bytes; "
                "make one with: python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())')."
            ) from None
        if not fernets:
            raise NmbrsTokenStoreError(f"The token key from {source} is empty.")
        self._fernet = MultiFernet(fernets)
        self.source = source

    def __repr__(self) -> str:
        return f"TokenCipher(source={self.source!r})"

    @classmethod
    def from_environment(cls) -> TokenCipher:
        """The cipher of ``$NMBRS_TOKEN_KEY``, else of Airflow's ``[core] fernet_key``."""
        keys = os.environ.get(KEY_ENV, "").strip()
        if keys:
            return cls(keys, f"${KEY_ENV}")
        keys = _airflow_fernet_key()
        if keys:
            return cls(keys, "Airflow's [core] fernet_key")
        raise NmbrsTokenStoreError(
            f"No key to encrypt Nmbrs tokens with: set {KEY_ENV} (a Fernet key, the same on every "
            "worker and where you run authorize) or Airflow's [core] fernet_key "
            "(AIRFLOW__CORE__FERNET_KEY). Tokens are never stored unencrypted."
        )

    def encrypt(self, value: str, *, grant: str) -> str:
        """The Fernet token of ``value``, bound to ``grant`` (the connection id)."""
        return self._fernet.encrypt(json.dumps({"grant": grant, "value": value}).encode()).decode()

    def decrypt(self, ciphertext: str, *, grant: str) -> str:
        """The value ``encrypt`` was given for ``grant``; a wrong key or grant is an error."""
        try:
            data = json.loads(self._fernet.decrypt(ciphertext.encode()))
        except (InvalidToken, ValueError):
            raise NmbrsTokenStoreError(
                f"The stored Nmbrs token of connection {grant!r} does not decrypt with the key "
                f"from {self.source}: use the key it was stored with (as first or later key), or "
                f"authorize again with python -m nmbrs_provider authorize --conn-id {grant}"
            ) from None
        if data.get("grant") != grant:
            raise NmbrsTokenStoreError(
                f"The stored Nmbrs token of connection {grant!r} was encrypted for another "
                f"connection; authorize again with python -m nmbrs_provider authorize "
                f"--conn-id {grant}"
            )
        return str(data["value"])


def _airflow_fernet_key() -> str:
    try:
        from airflow.configuration import conf
    except ImportError:  # pragma: no cover - the provider always runs with Airflow
        return ""
    return (conf.get("core", "fernet_key", fallback="") or "").strip()

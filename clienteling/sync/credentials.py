"""Where a till keeps its hub token: the system keyring when there is one, else a private
(0600) file in the user's config folder — never the database or a settings file others
can read (SPEC §6). Written here rather than a keyring "file backend" package because
those encrypt with a password someone would have to type at every start; a 0600 file is
what SSH does for its keys."""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

import keyring
import keyring.errors
from keyring.backend import KeyringBackend

SERVICE = "clienteling-hub"


def _usable(backend: KeyringBackend) -> bool:
    name = f"{type(backend).__module__}.{type(backend).__name__}"
    if name.startswith(("keyring.backends.fail", "keyring.backends.null")):
        return False
    if name == "keyring.backends.chainer.ChainerBackend":
        return bool(getattr(backend, "backends", []))
    try:
        return float(backend.priority) > 0
    except Exception:
        return True


class TokenStore:
    def __init__(self, *, file_dir: Path | None = None) -> None:
        backend = keyring.get_keyring()
        self._keyring: KeyringBackend | None = backend if _usable(backend) else None
        if file_dir is None:
            from platformdirs import user_config_dir

            file_dir = Path(user_config_dir("Clienteling", appauthor=False))
        self._file = file_dir / "hub-tokens.json"

    @property
    def where(self) -> str:
        if self._keyring is not None:
            return "the system keyring"
        return f"a private file at {self._file}"

    def save(self, hub_url: str, token: str) -> None:
        if self._keyring is not None:
            self._keyring.set_password(SERVICE, hub_url, token)
            return
        tokens = self._read()
        tokens[hub_url] = token
        self._write(tokens)

    def load(self, hub_url: str) -> str | None:
        if self._keyring is not None:
            return self._keyring.get_password(SERVICE, hub_url)
        return self._read().get(hub_url)

    def delete(self, hub_url: str) -> None:
        if self._keyring is not None:
            with contextlib.suppress(keyring.errors.PasswordDeleteError):
                self._keyring.delete_password(SERVICE, hub_url)
            return
        tokens = self._read()
        if tokens.pop(hub_url, None) is not None:
            self._write(tokens)

    def _read(self) -> dict[str, str]:
        try:
            data = json.loads(self._file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except ValueError:
            return {}
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}

    def _write(self, tokens: dict[str, str]) -> None:
        self._file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = self._file.with_suffix(".tmp")
        # Created 0600 from the start: never a moment when others could read the token.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(tokens, f)
        os.chmod(tmp, 0o600)
        os.replace(tmp, self._file)

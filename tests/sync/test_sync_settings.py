"""Where a till keeps its hub connection: the URL in the settings table (admins only,
validated, audited), the token in the keyring or a 0600 file — never in the database."""

from __future__ import annotations

import stat
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from sqlalchemy import text

from clienteling.engine.errors import PermissionDenied, ValidationError
from clienteling.sync import state
from clienteling.sync.credentials import TokenStore
from tests.conftest import World
from tests.internals import context_of

SECRET = "clt_abc123_s3cr3t-token-value"


class MemoryKeyring(KeyringBackend):
    """A real keyring backend (the keyring API's own base class), kept in memory."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.store.pop((service, username), None)


@pytest.fixture
def restore_keyring() -> object:
    before = keyring.get_keyring()
    yield before
    keyring.set_keyring(before)


def test_the_token_goes_to_the_keyring_when_there_is_one(tmp_path: Path,
                                                          restore_keyring: object) -> None:
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    store = TokenStore(file_dir=tmp_path)
    store.save("https://hub.example", SECRET)
    assert store.where == "the system keyring"
    assert store.load("https://hub.example") == SECRET
    assert list(backend.store.values()) == [SECRET]
    assert not list(tmp_path.iterdir())
    store.delete("https://hub.example")
    assert store.load("https://hub.example") is None


def test_without_a_keyring_the_token_is_a_private_file(tmp_path: Path,
                                                       restore_keyring: object) -> None:
    from keyring.backends.fail import Keyring as NoKeyring

    keyring.set_keyring(NoKeyring())
    store = TokenStore(file_dir=tmp_path / "cfg")
    store.save("https://hub.example", SECRET)
    assert store.where.startswith("a private file at ")
    [file] = list((tmp_path / "cfg").iterdir())
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    assert TokenStore(file_dir=tmp_path / "cfg").load("https://hub.example") == SECRET
    store.delete("https://hub.example")
    assert store.load("https://hub.example") is None


def test_the_hub_url_is_a_managers_or_admins_setting_checked_and_audited(
        world: World, restore_keyring: object) -> None:
    cl = world.cl
    with pytest.raises(PermissionDenied):
        state.set_hub_url(cl, world.associate, "https://hub.example")
    # A manager may: on a till no admin can sign in (issue 9), and a till must be reconnectable.
    state.set_hub_url(cl, world.manager, "https://manager.example")
    assert state.hub_url(cl) == "https://manager.example"
    state.set_hub_url(cl, world.admin, "https://hub.example")
    state.put(cl, state.HUB_URL, None)
    for bad in ("", "hub.example", "ftp://hub.example", "https://"):
        with pytest.raises(ValidationError) as refused:
            state.set_hub_url(cl, world.admin, bad)
        assert "hub_url" in refused.value.errors
    assert state.hub_url(cl) is None
    state.set_hub_url(cl, world.admin, " https://hub.example/ ")
    assert state.hub_url(cl) == "https://hub.example"
    keyring.set_keyring(MemoryKeyring())
    TokenStore().save("https://hub.example", SECRET)
    with context_of(cl).reading() as s:
        actions = list(s.execute(text("SELECT action FROM audit_events")).scalars())
        dump = "\n".join(str(v) for (v,) in s.execute(text("SELECT value FROM settings")))
    assert "settings.hub_url" in actions
    assert "https://hub.example" in dump and SECRET not in dump

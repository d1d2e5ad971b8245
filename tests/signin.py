"""Signing app sessions in for tests: accounts in the server's store, sign-in through the form or the session.

The app reads accounts from the server's register store (``QM_STORE``, else the demo working copy;
:func:`pages._auth.access_store`). :func:`account` puts one account per role there;
:func:`signed_in` marks a headless session (``AppTest``) as signed in with it -- as the sign-in form
does after a correct password -- for tests of pages behind a role; ``tests/app/test_roles.py`` and
``tests/app/test_browser_roles.py`` sign in through the real form instead (:func:`sign_in_form`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

from streamlit.testing.v1 import AppTest

from geo.access.accounts import Account, hash_password
from geo.access.roles import Role
from geo.register.store import open_store
from pages import _session

#: The password of every test account.
PASSWORD = "Test-Passwort-2024!"

#: The name of the test account of each role.
NAMES: dict[Role, str] = {Role.CITY: "stadt-test", Role.OFFICE: "buero-test", Role.ADMIN: "admin-test"}


@lru_cache(maxsize=1)
def _hash() -> str:
    return hash_password(PASSWORD)


def account(role: Role = Role.ADMIN, *, store: str | Path | None = None, name: str | None = None) -> str:
    """Put the test account of ``role`` (password :data:`PASSWORD`) into ``store`` (default: the server's store).

    Returns its name.
    """
    target = open_store(store) if store is not None else open_store()
    user = name or NAMES[role]
    existing = target.account(user)
    if existing is None or existing.role != role or existing.password_hash is None:
        target.put_account(Account(user, role, _hash(), datetime.now(UTC)))
    return user


def signed_in(at: AppTest, role: Role = Role.ADMIN) -> AppTest:
    """Mark the session of ``at`` as signed in with the test account of ``role`` (before its first run)."""
    at.session_state[_session.ACCOUNT] = account(role)
    return at


def sign_in_form(at: AppTest, name: str, password: str = PASSWORD) -> AppTest:
    """Sign in through the form of the page *Anmelden* (the session must show it)."""
    at.text_input(key="signin_name").set_value(name)
    at.text_input(key="signin_password").set_value(password)
    next(b for b in at.get("form_submit_button") if b.label == "Anmelden").click().run()
    return at

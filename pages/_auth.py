"""Who is signed in, and what this session may see and do: the server's check, asked by router and pages.

Without sign-in a session is :attr:`~geo.access.roles.Role.PUBLIC`. Local accounts sign in
with name and password (:func:`geo.access.accounts.sign_in` records success and failure and
pauses after repeated failures). With an ``[auth]`` section in ``secrets.toml`` (``st.login``:
:data:`OIDC_KEYS`) the city's identity provider signs in too: the account named by its e-mail
gives the role; without one the session stays public. The role is read from the account store
once per run (:func:`resolved`), so a removed account or a changed role takes effect at the next
click. Accounts and audit trail live in the server's register store (``QM_STORE``, else the demo
working copy), not in a register an admin opens on *Daten*. The session keeps only the local
account's name (``_session.ACCOUNT``), which no widget is bound to.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import streamlit as st
from streamlit.errors import StreamlitSecretNotFoundError

from geo import settings
from geo.access.accounts import AccessStore, AuditAction, SignInFailed, record, sign_in
from geo.access.roles import Right, Role, allowed
from geo.app import access
from geo.app.access import Who
from geo.errors import QuartiersmonitorError
from geo.register.store import open_store
from pages import _preload, _session

#: Settings of the ``[auth]`` section of ``secrets.toml`` that ``st.login()`` needs.
OIDC_KEYS = ("redirect_uri", "cookie_secret", "client_id", "client_secret", "server_metadata_url")
#: The button that starts the sign-in at the city's identity provider.
OIDC_BUTTON = "Mit dem Konto der Stadt anmelden"


@st.cache_resource(max_entries=4, show_spinner=False)
def _open(location: str) -> Any:
    return open_store(location) if location else open_store()


def access_store() -> AccessStore:
    """The store holding accounts and audit trail: the server's register (``QM_STORE`` or the demo copy)."""
    named = settings.named_store_path()
    return _open(str(named) if named is not None else "")  # type: ignore[no-any-return]


def oidc_configured() -> bool:
    """Whether ``secrets.toml`` has an ``[auth]`` section with everything ``st.login()`` needs."""
    try:
        auth = st.secrets.get("auth")
    except (FileNotFoundError, StreamlitSecretNotFoundError):
        return False
    return bool(auth) and all(auth.get(k) for k in OIDC_KEYS)


def _oidc_user() -> tuple[str | None, bool]:
    """The e-mail of the identity-provider sign-in of this browser (None: none) and whether it is verified."""
    if not oidc_configured() or not st.user.get("is_logged_in"):
        return None, False
    email = str(st.user.get("email") or "").strip()
    return (email or None), st.user.get("email_verified") is not False


def _account(store: AccessStore, email: str) -> Any:
    """The account of an e-mail address (as written, else in lower case: providers differ in case)."""
    return store.account(email) or (store.account(email.lower()) if email != email.lower() else None)


_CURRENT: ContextVar[Who | None] = ContextVar("qm_who", default=None)


def who() -> Who:
    """Who this session is: as resolved at the start of this run (:func:`resolved`), else read now.

    A fragment rerun (a form or button inside a fragment) does not pass the router, so
    its checks read the account store anew.
    """
    current = _CURRENT.get()
    return current if current is not None else _resolve()


@contextmanager
def resolved() -> Iterator[Who]:
    """Resolve who this session is once for the run inside (the router wraps every page in it)."""
    token = _CURRENT.set(_resolve())
    try:
        yield _CURRENT.get() or Who()
    finally:
        _CURRENT.reset(token)


def _resolve() -> Who:
    """Who this session is, with the role read from the account store now."""
    local = st.session_state.get(_session.ACCOUNT)
    email, verified = (None, False) if local else _oidc_user()
    if not local and not email:
        return Who()
    try:
        store = access_store()
        account = store.account(local) if local else _account(store, email or "")
    except QuartiersmonitorError:
        return Who(local or email, via="local" if local else "oidc",
                   notice="Die Konten sind gerade nicht erreichbar: nur die öffentlichen Seiten.")
    if local:
        if account is None:  # removed meanwhile: the session is signed out
            st.session_state.pop(_session.ACCOUNT, None)
            return Who(notice=f"Das Konto {local!r} gibt es nicht mehr; die Sitzung ist abgemeldet.")
        return Who(account.name, account.role, "local")
    if account is None or not verified:
        if st.session_state.get(_session.OIDC_SEEN) != email:  # once per session into the audit
            st.session_state[_session.OIDC_SEEN] = email
            _record(email, AuditAction.SIGN_IN_FAILED, "Konto der Stadt: " + (
                "kein Konto hier" if account is None else "E-Mail-Adresse nicht bestätigt"))
        why = ("für diese Adresse ist hier keine Rolle eingetragen" if account is None
               else "die E-Mail-Adresse ist beim Anbieter nicht bestätigt")
        return Who(email, via="oidc", notice=(
            f"Angemeldet als {email} mit dem Konto der Stadt, aber {why}: zu sehen sind nur die öffentlichen "
            "Seiten. Bitte eine Administratorin oder einen Administrator bitten, das Konto anzulegen."))
    if st.session_state.get(_session.OIDC_SEEN) != email:  # the first run of this sign-in: into the audit
        st.session_state[_session.OIDC_SEEN] = email
        _record(account.name, AuditAction.SIGN_IN, "Konto der Stadt")
    return Who(account.name, account.role, "oidc")


def can(right: Right) -> bool:
    """Whether this session holds ``right``."""
    return allowed(who().role, right)


def denied_text(right: Right, title: str | None = None) -> str:
    """Why this session may not see or do what needs ``right`` (German)."""
    return access.denied_text(who(), right, title)


def require(right: Right, *, title: str | None = None) -> Who:
    """The session's account if it holds ``right``; else a German message and the page stops here."""
    current = who()
    if not allowed(current.role, right):
        st.error(denied_text(right, title), icon=":material/lock:")
        st.stop()
    return current


def name() -> str:
    """The signed-in account's name, for ``recorded_by`` and the audit trail ("" when nobody is signed in)."""
    return who().name or ""


def shown_name() -> str:
    """The signed-in account's name escaped for Markdown (a name is user input)."""
    return access.markdown_name(name())


def _record(account: str, action: AuditAction, detail: str = "") -> None:
    try:
        record(access_store(), account, action, detail)
    except QuartiersmonitorError as exc:  # the audit trail must not break the page; the message names the store
        st.warning(f"Nicht ins Protokoll geschrieben: {exc}")


def audit(action: AuditAction, detail: str = "") -> None:
    """Record ``action`` of this session's account in the audit trail (``detail`` without personal data)."""
    _record(name() or Role.PUBLIC.value, action, detail)


def audited(make: Callable[[], bytes], action: AuditAction, detail: str) -> Callable[[], bytes]:
    """A download's data callable that records ``action`` when the file is asked for (``on_click="ignore"``)."""
    account = name() or Role.PUBLIC.value
    store = access_store()

    def data() -> bytes:
        out = make()
        record(store, account, action, detail)
        return out

    return data


def _forget_session() -> None:
    """Drop everything this session kept (a planned walk with contacts, a report, flashes, the account)."""
    for key in list(st.session_state.keys()):
        del st.session_state[key]


def sign_in_form(*, key: str, then: Callable[[], None] | None = None) -> None:
    """The local sign-in (name and password) and, when configured, the city account button.

    After a successful sign-in ``then`` runs (default: a rerun of this address).
    """
    current = who()
    if current.notice:
        st.info(current.notice, icon=":material/info:")
    with st.form(f"{key}_form", clear_on_submit=True):
        user = st.text_input("Name", key=f"{key}_name", autocomplete="username")
        password = st.text_input("Passwort", type="password", key=f"{key}_password", autocomplete="current-password")
        submitted = st.form_submit_button("Anmelden", type="primary")
    if submitted:
        try:
            account = sign_in(access_store(), user, password)
        except SignInFailed as exc:  # one message for unknown names and wrong passwords; a pause names seconds
            st.error(str(exc), icon=":material/lock:")
        except QuartiersmonitorError as exc:
            st.error(str(exc))
        else:
            st.session_state[_session.ACCOUNT] = account.name
            (then or st.rerun)()
    if oidc_configured() and current.via != "oidc":
        st.divider()
        if st.button(OIDC_BUTTON, key=f"{key}_oidc", icon=":material/account_circle:"):
            st.login()
    _preload.element_code()  # the pages' element code, loaded while the user types


def sign_out() -> None:
    """Sign this session out (recorded), forget what it kept and start at the overview."""
    from pages import _router

    current = who()
    if current.name:
        _record(current.name, AuditAction.SIGN_OUT, "Konto der Stadt" if current.via == "oidc" else "")
    _forget_session()
    if current.via == "oidc":
        st.logout()
    else:
        st.switch_page(_router.ROOT / _router.DEFAULT_PAGE)


def sidebar() -> None:
    """Name and role of the signed-in account and „Abmelden“, at the top of the sidebar."""
    current = who()
    if current.name is None:
        return
    box = st.sidebar.container(border=True)
    box.markdown(f":material/account_circle: **{shown_name()}** · {current.label}")
    if current.notice:
        box.caption(current.notice)
    if box.button("Abmelden", key="qm_sign_out", icon=":material/logout:", width="stretch"):
        sign_out()

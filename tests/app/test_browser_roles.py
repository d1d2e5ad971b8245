"""Issue 12 in a real browser: what a signed-in role's browser receives (headless Chromium, offline).

The app runs on the planted register of ``tests/app/test_roles.py`` (a personal marker in every
personal field) with one account per role. Each role signs in through the form in Chromium, at
the address of each page it may see (a bookmark: the sign-in shows there, then the page), opens a
unit's panel on Karte, and everything the browser receives is captured: every websocket frame
(``page.on("websocket")`` → ``framereceived``) and the page's HTML. No marker may reach the
public or the city session; the office's does receive them.

Last, sign-in with the city's account: a stub OpenID Connect provider on 127.0.0.1
(``tests/oidc_stub.py``) and a ``secrets.toml`` for it; „Mit dem Konto der Stadt anmelden“ ends
signed in with the role of the account named by the provider's e-mail.

Skipped where Chromium or the ``playwright`` package is missing.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from geo.access.roles import Role
from geo.register.store import open_store
from tests.app.test_roles import MENU, store  # noqa: F401 - the planted register with accounts
from tests.browser_util import AppServer, launch_browser, offline_context, sign_in, skip_reason, wait_idle
from tests.oidc_stub import OidcStub
from tests.outputs.test_output_trust import MARK, UNIT_MARKS
from tests.signin import NAMES, PASSWORD, account

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(skip_reason() is not None, reason=skip_reason() or ""),
]

WIDE = {"width": 1440, "height": 900}


@pytest.fixture(scope="module")
def browser():
    with launch_browser() as b:
        yield b


@pytest.fixture(scope="module")
def server(store, tmp_path_factory):  # noqa: F811 - the fixture imported above
    app = AppServer(store=store, log=tmp_path_factory.mktemp("roles-log") / "streamlit.log")
    app.start()
    yield app
    app.stop()


class Received:
    """Everything a page's browser receives over the app's websocket, as bytes."""

    def __init__(self, page) -> None:  # noqa: ANN001 - a Playwright page
        self.frames: list[bytes] = []
        page.on("websocket", lambda ws: ws.on("framereceived", self._add))

    def _add(self, payload: bytes | str) -> None:
        self.frames.append(payload.encode("utf-8") if isinstance(payload, str) else payload)

    def text(self) -> bytes:
        return b"\n".join(self.frames)


def _markers(data: bytes) -> list[str]:
    low = data.lower()
    found, start = [], low.find(MARK.encode())
    while start >= 0:
        found.append(data[max(0, start - 40) : start + 40].decode("utf-8", "replace"))
        start = low.find(MARK.encode(), start + 1)
    return found


def _open(page, server, path: str, role: Role | None) -> None:  # noqa: ANN001
    """Open ``path`` as a bookmark; sign in where the page asks for it."""
    page.goto(server.url + path)
    wait_idle(page, timeout=90)
    if role is not None and page.get_by_label("Passwort", exact=True).count():
        sign_in(page, NAMES[role], PASSWORD, timeout=90)


def _karte_panel(page) -> None:  # noqa: ANN001
    """Open the panel of unit T-0 on Karte (search field, Enter)."""
    field = page.get_by_label("Einheit suchen (Kennung, Straße oder Betrieb)")
    field.fill("T-0")
    field.press("Enter")
    wait_idle(page, timeout=90)
    page.get_by_text("Verlauf").first.wait_for(timeout=30_000)


@pytest.mark.parametrize("role", [None, Role.CITY, Role.OFFICE])
def test_what_the_browser_of_a_role_receives(server, browser, role):
    ctx = offline_context(browser, [], viewport=WIDE)
    try:
        page = ctx.new_page()
        received = Received(page)
        html: list[str] = []
        pages = ["/karte"] if role == Role.OFFICE else [f"/{Path(p).stem}" for p in sorted(MENU[role])]
        for path in pages:
            _open(page, server, path, role)
            assert page.get_by_label("Passwort", exact=True).count() == 0, f"{path}: still asks to sign in"
            if path == "/karte":
                _karte_panel(page)
            html.append(page.content())
        everything = received.text() + "\n".join(html).encode("utf-8")
        assert b"Eisenbahnstra" in everything and b"T-0" in everything  # the units did arrive …
        if role == Role.OFFICE:
            assert UNIT_MARKS["owner_name"].encode() in everything  # … with personal data for the office
        else:
            assert _markers(everything) == []  # … without a trace of it for the public and the city
    finally:
        ctx.close()


def test_a_bookmark_behind_a_role_asks_for_the_sign_in_and_then_shows_the_page(server, browser):
    ctx = offline_context(browser, [], viewport=WIDE)
    try:
        page = ctx.new_page()
        page.goto(server.url + "/entwicklung?quartier=Leipziger%20Osten")
        wait_idle(page, timeout=90)
        assert page.get_by_text("nur nach der Anmeldung zu sehen").count() == 1
        assert page.get_by_text("Leerstandsquote").count() == 0
        sign_in(page, NAMES[Role.CITY], PASSWORD, timeout=90)
        page.get_by_text("Leerstandsquote").first.wait_for(timeout=60_000)
        assert "/entwicklung" in page.url and "quartier=Leipziger" in page.url
    finally:
        ctx.close()


# -- the city's identity provider (OIDC) ------------------------------------------------------------------


def test_sign_in_with_the_city_account_gives_the_role_of_the_account_of_its_email(store, browser, tmp_path):  # noqa: F811
    email = "anna.oidc@leipzig.de"
    account(Role.OFFICE, store=store, name=email)
    with OidcStub(email=email) as idp:
        app = AppServer(store=store, log=tmp_path / "streamlit.log")
        secrets = tmp_path / "secrets.toml"
        secrets.write_text(idp.secrets_toml(app.url), encoding="utf-8")
        app.args = ["--secrets.files", str(secrets)]
        with app:
            ctx = offline_context(browser, [], viewport=WIDE)
            try:
                page = ctx.new_page()
                page.goto(app.url + "/anmelden")
                wait_idle(page, timeout=90)
                page.get_by_role("button", name="Mit dem Konto der Stadt anmelden").click()
                deadline = time.monotonic() + 60  # app → provider → app (/oauth2callback) → the app anew
                while "/token" not in idp.requests and time.monotonic() < deadline:
                    page.wait_for_timeout(200)  # (Playwright routes the requests meanwhile; time.sleep would stall them)
                assert {"/authorize", "/token"} <= set(idp.requests), app.log_text()
                sidebar = page.locator('[data-testid="stSidebar"]')
                sidebar.get_by_text(email).first.wait_for(timeout=60_000)
                wait_idle(page, timeout=90)
                assert "Büro" in sidebar.inner_text()
                menu = page.locator('[data-testid="stTopNavSection"], [data-testid="stTopNavLink"]').all_inner_texts()
                assert any("Vor Ort" in m for m in menu)  # the office's pages are in the menu
            finally:
                ctx.close()
        trail = open_store(store).audit(account=email)
        assert "anmeldung" in set(trail["action"])

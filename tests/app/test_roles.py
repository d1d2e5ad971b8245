"""Issue 12, app side: sign-in and roles enforced on the server.

A register with a planted personal value in every personal field (owner, contact, phone, e-mail,
address note, notes, staff names) and one account per role. Each role signs in through the form
of the page *Anmelden*; then

* the menu holds exactly the pages of the role (the rest are not in ``st.navigation``);
* a page's address without the right shows the sign-in, not the page; a page file run without
  the router stops at its own check;
* no planted value reaches any element a public or city session is sent (the whole element tree,
  maps and tables included); the office sees them;
* ``recorded_by`` is the account signed in, writes and internal exports are in the audit trail;
* no page offers a text field for a path on the server (element trees and source).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from geo import settings
from geo.access.accounts import AuditAction
from geo.access.roles import Role
from geo.dates import local_today
from geo.places.areas import official_boundaries
from geo.register.store import ChangeSet, GeoPackageStore, open_store
from pages import _preload, _router, _session
from tests.conftest import make_observations, make_units
from tests.outputs.test_output_trust import OBS_MARKS, UNIT_MARKS, VISIT_MARKS, _observations, _units, leaks
from tests.signin import NAMES, PASSWORD, account, sign_in_form

ROOT = Path(__file__).resolve().parents[2]
PUBLIC_PAGES = {"pages/uebersicht.py", "pages/praesentation.py"}
CITY_PAGES = PUBLIC_PAGES | {"pages/karte.py", "pages/entwicklung.py", "pages/gebaeude.py", "pages/bericht.py"}
OFFICE_PAGES = CITY_PAGES | {"pages/begehung.py", "pages/besuch.py", "pages/osm.py", "pages/daten.py"}
MENU = {None: PUBLIC_PAGES, Role.CITY: CITY_PAGES, Role.OFFICE: OFFICE_PAGES,
        Role.ADMIN: OFFICE_PAGES | {"pages/konten.py"}}
#: Labels a text field for a place on the server would have.
PATH_WORDS = re.compile(r"pfad|ordner|verzeichnis|auf dem server|register öffnen|\.gpkg", re.IGNORECASE)


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    """The planted register with official boundaries (a real one: not a demo) and one account per role."""
    path = tmp_path_factory.mktemp("roles") / "register.gpkg"
    target = GeoPackageStore.create(path)
    target.write(ChangeSet(boundaries=official_boundaries(), new_units=make_units(_units(UNIT_MARKS)),
                           observations=make_observations(_observations(OBS_MARKS)).drop(columns="obs_id")))
    import pandas as pd

    target.write(ChangeSet(visits=pd.DataFrame([
        {"unit_id": f"T-{i}", "visited_on": pd.Timestamp("2025-06-01"), "outcome": "follow_up",
         "follow_up_on": pd.Timestamp("2025-07-01"), **{k: f"{v} {i}" for k, v in VISIT_MARKS.items()}}
        for i in range(3)
    ])))
    for role in NAMES:
        account(role, store=path)
    return path


@pytest.fixture
def server(store, monkeypatch) -> Path:
    """The app server's register (``QM_STORE``): accounts and register in one store, as in production."""
    monkeypatch.setenv("QM_STORE", str(store))
    return store


def session(role: Role | None, *, page: str | None = None) -> AppTest:
    """A browser session on the app: signed in through the form with the account of ``role`` (None: public)."""
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=90)
    at.query_params.update({"stichtag": "2025-12-31"})
    at.run()
    if role is not None:
        at.switch_page("pages/anmelden.py").run()
        sign_in_form(at, NAMES[role])
        assert not at.error, [e.value for e in at.error]
    if page:
        at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def menu(at: AppTest) -> set[str]:
    """The page files in the session's ``st.navigation`` (registered with a script, not the sign-in gates)."""
    paths = {str(info.get("script_path") or "") for info in at._registered_pages.values()}
    return {p.relative_to(ROOT).as_posix() for p in map(Path, paths) if p.name and p.name != "anmelden.py"}


def tree_text(at: AppTest) -> str:
    """Everything the session's elements hold, as text: every element's message, table values, map HTML."""
    parts: list[str] = []

    def walk(node) -> None:  # noqa: ANN001 - streamlit.testing element tree nodes
        proto = getattr(node, "proto", None)
        if proto is not None:
            parts.append(str(proto))
        if getattr(node, "type", None) in ("arrow_data_frame", "dataframe"):
            parts.append(node.value.to_string())
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return "\n".join(parts)


# -- sign-in -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [None, Role.CITY, Role.OFFICE, Role.ADMIN])
def test_the_menu_holds_exactly_the_pages_of_the_role(server, role):
    at = session(role)
    assert menu(at) == MENU[role]
    assert [t.value for t in at.title] == ["Übersicht"]
    if role is None:
        assert not at.sidebar.button and not at.sidebar.markdown  # nobody signed in: no account box
    else:
        assert NAMES[role] in at.sidebar.markdown[0].value.replace("\\", "")
        assert any(b.label == "Abmelden" for b in at.sidebar.button)


def test_a_wrong_password_and_an_unknown_name_get_one_message_and_are_recorded(server):
    at = session(None, page="pages/anmelden.py")
    sign_in_form(at, NAMES[Role.OFFICE], "falsches-Passwort-1")
    first = [e.value for e in at.error]
    sign_in_form(at, "gibt-es-nicht", "falsches-Passwort-1")
    assert first == [e.value for e in at.error] == ["Name oder Passwort falsch."]
    assert menu(at) == PUBLIC_PAGES
    trail = open_store(server).audit()
    assert {"buero-test", "gibt-es-nicht"} <= set(trail.loc[trail["action"] == "anmeldung_fehlgeschlagen", "account"])


def test_repeated_failures_pause_the_account_even_for_the_right_password(server, monkeypatch):
    monkeypatch.setattr(settings, "signin_max_failures", 2)
    name = account(Role.CITY, store=server, name="pause-test")
    at = session(None, page="pages/anmelden.py")
    for _ in range(2):
        sign_in_form(at, name, "falsches-Passwort-1")
    sign_in_form(at, name, PASSWORD)
    message = " ".join(e.value for e in at.error)
    assert re.search(r"Zu viele fehlgeschlagene Anmeldungen\. Bitte in \d+ Sekunden erneut versuchen\.", message)
    assert menu(at) == PUBLIC_PAGES


def test_sign_out_is_recorded_and_forgets_the_session(server):
    at = session(Role.OFFICE, page="pages/karte.py")
    at.session_state[_session.WALK] = "a planned walk with contacts"
    next(b for b in at.sidebar.button if b.label == "Abmelden").click().run()
    assert menu(at) == PUBLIC_PAGES and _session.WALK not in at.session_state
    trail = open_store(server).audit(account=NAMES[Role.OFFICE])
    assert list(trail["action"])[-2:] == ["anmeldung", "abmeldung"]


def test_a_removed_account_is_signed_out_at_the_next_click(server):
    name = account(Role.OFFICE, store=server, name="geht-bald")
    at = session(None, page="pages/anmelden.py")
    sign_in_form(at, name)
    assert menu(at) == OFFICE_PAGES
    assert open_store(server).delete_account(name)
    at.run()
    assert menu(at) == PUBLIC_PAGES


# -- the city's identity provider (OIDC; in Chromium against a stub provider: test_browser_roles.py) -------

AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32, "client_id": "qm",
        "client_secret": "stub-secret", "server_metadata_url": "https://login.example/.well-known/openid-configuration"}


def oidc_session(user: dict) -> AppTest:
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=90)
    at.secrets["auth"] = AUTH
    at.user = user
    return at.run()


def test_the_city_account_button_is_offered_only_when_set_up(server):
    at = session(None, page="pages/anmelden.py")
    assert not [b for b in at.button if "Konto der Stadt" in b.label]
    at = oidc_session({"is_logged_in": False})
    at.switch_page("pages/anmelden.py").run()
    assert [b.label for b in at.button if "Konto der Stadt" in b.label] == ["Mit dem Konto der Stadt anmelden"]


def test_a_city_account_gets_the_role_of_the_account_of_its_email_and_is_recorded_once(server):
    email = account(Role.OFFICE, store=server, name="anna.beispiel@leipzig.de")
    at = oidc_session({"is_logged_in": True, "email": email, "email_verified": True})
    assert menu(at) == OFFICE_PAGES
    at.run()
    trail = open_store(server).audit(account=email)
    assert list(trail["action"]) == ["anmeldung"] and trail["detail"].iloc[0] == "Konto der Stadt"


@pytest.mark.parametrize("user", [{"email": "fremd@leipzig.de"}, {"email": NAMES[Role.OFFICE], "email_verified": False}])
def test_a_city_account_without_an_account_here_or_unverified_stays_public(server, user):
    at = oidc_session({"is_logged_in": True, **user})
    assert menu(at) == PUBLIC_PAGES
    at.run()
    trail = open_store(server).audit(account=user["email"])
    assert list(trail["action"])[-1] == "anmeldung_fehlgeschlagen" and "Konto der Stadt" in trail["detail"].iloc[-1]
    assert "bitten, das Konto anzulegen" in " ".join(c.value for c in at.sidebar.caption)
    assert any(b.label == "Abmelden" for b in at.sidebar.button)


# -- pages behind a right ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "page"), [(None, "pages/karte.py"), (Role.CITY, "pages/besuch.py"),
                                            (Role.OFFICE, "pages/konten.py")])
def test_an_address_without_the_right_shows_the_sign_in_not_the_page(server, role, page):
    """A bookmark opened by a role without the page's right: the gate, never the page's code."""
    at = AppTest.from_file(str(ROOT / page), default_timeout=90)  # the page's address, as a bookmark
    if role is not None:
        at.session_state[_session.ACCOUNT] = NAMES[role]
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    text = " ".join(m.value for kind in ("info", "error") for m in getattr(at, kind))
    assert "nur nach der Anmeldung" in text if role is None else "braucht die Rolle" in text
    assert not [b for b in at.get("download_button") if b.proto.label != _preload.LABEL] and not at.metric
    if role is None:  # the sign-in form: no table or chooser but the hidden ones that have the browser load their code
        (preload,) = at.dataframe
        assert preload.value.shape == (1, 1) and preload.value.iloc[0, 0] == ""
        assert [w.label for w in (*at.selectbox, *at.multiselect, *at.date_input, *at.radio, *at.slider)] == [
            _preload.LABEL] * 5
        assert _preload.STYLE == f".st-key-{_preload.KEY} {{ display: none; }}"
        assert f"<style>{_preload.STYLE}</style>" in " ".join(h.proto.body for h in at.get("html"))
    else:
        assert not at.dataframe
    if role is None:  # signed in at the same address, the page itself
        sign_in_form(at.run(), NAMES[Role.CITY])
        assert not at.exception and at.subheader and at.dataframe


def _page_alone(path: str) -> None:  # run by AppTest.from_function: a page file without the router
    import runpy

    from pages import _router

    _router._ROUTED.set(True)
    runpy.run_path(path, run_name="__main__")


@pytest.mark.parametrize("page", sorted(MENU[Role.ADMIN] - PUBLIC_PAGES))
def test_every_page_checks_its_right_itself(server, page):
    """Defence in depth: a page run without the router (and its menu) stops at its own check."""
    at = AppTest.from_function(_page_alone, args=(str(ROOT / page),), default_timeout=90).run()
    assert not at.exception, [e.value for e in at.exception]
    assert [e.value for e in at.error] and "Anmeldung" in at.error[0].value
    assert len(at.main.children) == 1  # the message only


# -- personal data -------------------------------------------------------------------------------------------


def _visit_all(at: AppTest, pages: set[str]) -> str:
    """The element trees of every page of ``pages``, Karte with a unit's panel open."""
    texts = []
    for page in sorted(pages):
        at.switch_page(page).run()
        assert not at.exception, (page, [e.value for e in at.exception])
        if page == "pages/karte.py":
            at.text_input(key=_session.UNIT_QUERY).set_value("T-0").run()
            assert at.selectbox(key=_session.UNIT).value == "T-0"
        texts.append(tree_text(at))
    return "\n".join(texts)


@pytest.mark.parametrize("role", [None, Role.CITY])
def test_no_planted_personal_value_reaches_a_public_or_city_session(server, role):
    at = session(role)
    text = _visit_all(at, MENU[role])
    assert "Eisenbahnstra" in text and "T-0" in text  # the units are shown …
    assert leaks(text) == []  # … their personal data is not


def test_the_office_sees_the_personal_data(server):
    at = session(Role.OFFICE, page="pages/karte.py")
    at.text_input(key=_session.UNIT_QUERY).set_value("T-0").run()
    text = tree_text(at)
    for mark in (UNIT_MARKS["owner_name"], UNIT_MARKS["contact_phone"], OBS_MARKS["note"]):
        assert mark in text


# -- who did it ---------------------------------------------------------------------------------------------


def test_an_observation_is_recorded_by_the_signed_in_account_and_audited(store, tmp_path, monkeypatch):
    import shutil

    work = Path(shutil.copyfile(store, tmp_path / "work.gpkg"))
    monkeypatch.setenv("QM_STORE", str(work))
    at = session(Role.OFFICE, page="pages/karte.py")
    at.text_input(key=_session.UNIT_QUERY).set_value("T-1").run()
    assert not any("Erfasst von" in t.label for t in at.text_input)  # no field to type a name into
    next(s for s in at.selectbox if s.label == "Status").set_value("vacant")
    next(b for b in at.get("form_submit_button") if b.label == "Beobachtung speichern").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    last = open_store(work).read().observations.iloc[-1]
    assert (last["unit_id"], last["recorded_by"]) == ("T-1", NAMES[Role.OFFICE])
    trail = open_store(work).audit(account=NAMES[Role.OFFICE])
    assert trail["action"].iloc[-1] == AuditAction.WRITE and "T-1" in trail["detail"].iloc[-1]
    assert not leaks(" ".join(trail["detail"]))


def test_an_internal_export_is_audited_when_downloaded_a_public_one_not(server, monkeypatch):
    made: dict[str, object] = {}
    original = MediaFileManager.add_deferred

    def spy(self, callable_, *args, file_name=None, **kwargs):  # noqa: ANN001 - the deferred download
        made[file_name] = callable_
        return original(self, callable_, *args, file_name=file_name, **kwargs)

    monkeypatch.setattr(MediaFileManager, "add_deferred", spy)
    at = session(Role.OFFICE, page="pages/daten.py")
    before = len(open_store(server).audit())
    public = next(n for n in made if n and n.startswith("leerstand") and "intern" not in n)
    made[public]()
    assert len(open_store(server).audit()) == before
    at.checkbox(key="d_internal").check().run()
    internal = next(n for n in made if n and "intern" in n)
    assert UNIT_MARKS["owner_name"].encode() in made[internal]()
    trail = open_store(server).audit()
    assert (trail["action"].iloc[-1], trail["detail"].iloc[-1]) == (AuditAction.EXPORT_PERSONAL, internal)


def test_accounts_are_managed_on_their_page_and_the_audit_export_is_audited(store, tmp_path, monkeypatch):
    import shutil

    work = Path(shutil.copyfile(store, tmp_path / "work.gpkg"))
    monkeypatch.setenv("QM_STORE", str(work))
    made: dict[str, object] = {}
    original = MediaFileManager.add_deferred

    def spy(self, callable_, *args, file_name=None, **kwargs):  # noqa: ANN001
        made[file_name] = callable_
        return original(self, callable_, *args, file_name=file_name, **kwargs)

    monkeypatch.setattr(MediaFileManager, "add_deferred", spy)
    at = session(Role.ADMIN, page="pages/konten.py")
    at.text_input(key="k_name").set_value("neu@leipzig.de")
    at.selectbox(key="k_role").set_value(Role.CITY)
    at.checkbox(key="k_oidc").check()
    next(b for b in at.get("form_submit_button") if b.label == "Konto speichern").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    listed = next(d.value for d in at.dataframe if "Rolle" in d.value.columns)
    assert "neu@leipzig.de" in set(listed["Konto"]) and not listed.to_string().count("$argon2")
    assert NAMES[Role.ADMIN] not in at.selectbox(key="k_remove").options  # never the own account
    at.selectbox(key="k_remove").set_value("neu@leipzig.de").run()
    at.checkbox(key="k_sure").check().run()
    next(b for b in at.button if b.label == "Entfernen").click().run()
    assert open_store(work).account("neu@leipzig.de") is None
    at.multiselect(key="k_audit_actions").set_value([AuditAction.ACCOUNT_ADDED]).run()
    table = next(d.value for d in at.dataframe if "Aktion" in d.value.columns)
    assert set(table["Aktion"]) == {"Konto angelegt"} and "neu@leipzig.de" in " ".join(table["Detail"])
    name = next(n for n in made if n and n.startswith("protokoll"))
    assert "Konto angelegt" in made[name]().decode("utf-8-sig")
    trail = open_store(work).audit(account=NAMES[Role.ADMIN])
    assert trail["action"].iloc[-1] == AuditAction.EXPORT_PERSONAL and "Protokoll" in trail["detail"].iloc[-1]
    assert trail["at"].iloc[-1].date() <= local_today()


def test_resetting_the_demo_working_copy_keeps_the_accounts_and_the_audit_trail(tmp_path, monkeypatch):
    if not settings.demo_store_path.exists():
        pytest.skip("data/demo.gpkg fehlt")
    import shutil

    demo = Path(shutil.copyfile(settings.demo_store_path, tmp_path / "demo-work.gpkg"))
    monkeypatch.setenv("QM_STORE", str(demo))
    account(Role.ADMIN, store=demo)
    at = session(Role.ADMIN, page="pages/daten.py")
    next(b for b in at.button if b.label == "Demo-Arbeitskopie zurücksetzen").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("zurückgesetzt" in m.value for m in at.success)
    assert open_store(demo).account(NAMES[Role.ADMIN]) is not None and menu(at) == MENU[Role.ADMIN]
    trail = open_store(demo).audit(account=NAMES[Role.ADMIN])
    assert list(trail["action"])[-2:] == ["anmeldung", "register"]


# -- no typed paths ------------------------------------------------------------------------------------------


def test_no_page_offers_a_text_field_for_a_path_on_the_server(server, tmp_path, monkeypatch):
    monkeypatch.setattr(settings, "server_files_dir", tmp_path)  # a data folder: its pickers are shown
    at = session(Role.ADMIN)
    labels = []
    for page in sorted(MENU[Role.ADMIN]):
        at.switch_page(page).run()
        assert not at.exception, (page, [e.value for e in at.exception])
        labels += [t.label for t in at.text_input]
    assert labels and not [label for label in labels if PATH_WORDS.search(label)]


def test_no_page_source_has_a_text_field_for_a_path():
    found = []
    for path in sorted((ROOT / "pages").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and ast.unparse(node.func).endswith("text_input"):
                label = ast.unparse(node.args[0]) if node.args else ""
                if PATH_WORDS.search(label) or "path" in ast.unparse(node).lower():
                    found.append(f"{path.name}:{node.lineno}: {label}")
    assert found == []


def test_the_menu_and_the_rights_name_the_same_pages():
    assert {path for path, _, _ in _router.PAGES} == set(_router.RIGHTS) == MENU[Role.ADMIN]

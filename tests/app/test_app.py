"""The Streamlit app, driven headless with ``streamlit.testing.v1.AppTest`` on a copy of the demo store."""

from __future__ import annotations

import hashlib
import shutil
from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from geo import settings
from geo.access.roles import Role
from geo.app.figures import counts_note, key_figures
from geo.app.filters import Filters, apply_filters
from geo.dates import local_today
from geo.register.store import open_store
from pages import _router
from tests.signin import signed_in
from tests.synthetic import synthetic_store

ROOT = Path(__file__).resolve().parents[2]

#: every page the router knows
PAGES = [path for path, _, _ in _router.PAGES]

BAD_CSV = (
    "Straße;Hausnummer;PLZ;Status;Datum;lat;lon\n"
    "Eisenbahnstraße;300;04315;leerr;01.02.2024;51.3456;12.4001\n"
    "Eisenbahnstraße;301;04315;leer;01.02.2099;51.3457;12.4002\n"
).encode()
GOOD_CSV = (
    "Straße;Hausnummer;PLZ;Status;Datum;Betrieb;lat;lon\n"
    "Eisenbahnstraße;300;04315;genutzt;01.02.2024;Neue Bäckerei;51.3456;12.4001\n"
).encode()


def _copy_demo(target: Path) -> Path:
    if settings.demo_store_path.exists():
        shutil.copyfile(settings.demo_store_path, target)
        return target
    return synthetic_store(target, n=300)


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory) -> Path:
    """A read-only copy of the demo register for the whole module."""
    return _copy_demo(tmp_path_factory.mktemp("app") / "demo.gpkg")


@pytest.fixture
def work_store(tmp_path) -> Path:
    """A fresh copy for tests that write."""
    return _copy_demo(tmp_path / "work.gpkg")


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def app(store: Path, page: str | None = None, query: dict[str, str] | None = None,
        role: Role | None = Role.ADMIN) -> AppTest:
    """The app on ``store``, signed in with ``role`` (None: public, nobody signed in), on ``page``."""
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=60)
    at.session_state["qm_store_path"] = str(store)
    if role is not None:
        signed_in(at, role)
    if query:
        at.query_params.update(query)
    at.run()
    if page:
        at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metrics(at: AppTest) -> dict[str, tuple[str, str]]:
    return {m.label: (m.value, m.delta) for m in at.metric}


def expected(store: Path, filters: Filters) -> dict[str, tuple[str, str]]:
    register = apply_filters(open_store(store).read(), filters, by_status=False)
    return {f.label: (f.value, f.delta) for f in key_figures(register, at=filters.date_at())}


def shown_text(at: AppTest) -> str:
    parts = [str(e.value) for kind in ("markdown", "caption", "title", "subheader", "info", "success", "error")
             for e in getattr(at, kind)]
    parts += [d.value.to_string() for d in at.dataframe]
    return "\n".join(parts)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_on_the_demo_store(demo_store, page):
    at = app(demo_store, page)
    assert not at.error, [e.value for e in at.error]
    assert at.title
    if open_store(demo_store).read().meta.get("demo") == "true":
        assert settings.demo_label in shown_text(at)


def test_filter_and_date_change_the_figures(demo_store):
    at = app(demo_store)
    base = metrics(at)
    assert base == expected(demo_store, Filters())
    at.selectbox(key="f_quarter").set_value("Grünau").run()
    gruenau = metrics(at)
    assert gruenau != base
    assert gruenau == expected(demo_store, Filters(quarter="Grünau"))
    assert at.query_params["quartier"] == "Grünau"
    at.date_input(key="f_at").set_value(date(2019, 6, 30)).run()
    earlier = metrics(at)
    assert earlier != gruenau
    assert earlier == expected(demo_store, Filters(quarter="Grünau", at=date(2019, 6, 30)))
    assert at.query_params["stichtag"] == "2019-06-30"


def test_bookmarked_view_opens_with_its_filters(demo_store):
    at = app(demo_store, query={"quartier": "Leipziger Osten", "stichtag": "2020-01-01"})
    assert at.selectbox(key="f_quarter").value == "Leipziger Osten"
    assert at.date_input(key="f_at").value == date(2020, 1, 1)
    assert metrics(at) == expected(demo_store, Filters(quarter="Leipziger Osten", at=date(2020, 1, 1)))


def test_filters_are_shared_between_pages(demo_store):
    at = app(demo_store)
    at.selectbox(key="f_quarter").set_value("Grünau").run()
    at.switch_page("pages/karte.py").run()
    assert not at.exception
    assert at.selectbox(key="f_quarter").value == "Grünau"
    assert "Grünau" in " ".join(c.value for c in at.caption)


def _personal_unit(store: Path) -> dict:
    units = open_store(store).read().units
    row = units.loc[units["owner_name"].notna() & units["contact_email"].notna()].iloc[0]
    return row.to_dict()


def test_unit_details_internal_for_the_office_and_public_for_the_city(demo_store):
    unit = _personal_unit(demo_store)
    at = app(demo_store, "pages/karte.py", role=Role.OFFICE)
    at.text_input(key="qm_unit_query").set_value(unit["unit_id"]).run()
    assert not at.exception and not at.error
    assert at.selectbox(key="qm_unit").value == unit["unit_id"]
    assert any("personenbezogen" in e.label for e in at.expander)
    assert unit["owner_name"] in shown_text(at)
    assert any(b.label == "Beobachtung speichern" for b in at.get("form_submit_button"))

    at = app(demo_store, "pages/karte.py", role=Role.CITY)
    at.text_input(key="qm_unit_query").set_value(unit["unit_id"]).run()
    assert at.selectbox(key="qm_unit").value == unit["unit_id"]
    assert not any("personenbezogen" in e.label for e in at.expander)
    text = shown_text(at)
    assert unit["owner_name"] not in text and unit["contact_email"] not in text
    assert not at.get("form_submit_button")
    assert "Beobachtungen erfassen kann die Rolle Büro" in text


def test_recording_an_observation_writes_to_the_store(work_store):
    unit = _personal_unit(work_store)
    before = len(open_store(work_store).read().observations)
    at = app(work_store, "pages/karte.py")
    at.text_input(key="qm_unit_query").set_value(unit["unit_id"]).run()
    next(s for s in at.selectbox if s.label == "Status").set_value("vacant")
    next(t for t in at.text_input if t.label == "Betrieb (Name)").set_value("")
    next(b for b in at.get("form_submit_button") if b.label == "Beobachtung speichern").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    register = open_store(work_store).read()
    assert len(register.observations) == before + 1
    last = register.observations.iloc[-1]
    assert last["unit_id"] == unit["unit_id"] and last["status"] == "vacant"
    assert any("gespeichert" in s.value for s in at.success)


def test_bad_upload_shows_report_and_writes_nothing(work_store):
    before = digest(work_store)
    at = app(work_store, "pages/daten.py")
    at.get("file_uploader")[0].set_value(("liste.csv", BAD_CSV, "text/csv")).run()
    assert not at.exception
    assert any("Import abgelehnt" in e.value for e in at.error)
    report = next(d.value for d in at.dataframe if "Grund" in d.value.columns)
    assert list(report.columns) == ["Zeile", "Spalte", "Wert", "Grund", "Art"]
    assert {2, 3} <= set(report["Zeile"].dropna().astype(int))
    assert not any(b.label == "Importieren" for b in at.button)
    assert digest(work_store) == before


def test_a_file_of_the_server_data_folder_is_validated_too(work_store, tmp_path, monkeypatch):
    folder = tmp_path / "daten"
    folder.mkdir()
    (folder / "netzlaufwerk.csv").write_bytes(BAD_CSV)
    monkeypatch.setattr(settings, "server_files_dir", folder)
    before = digest(work_store)
    at = app(work_store, "pages/daten.py")
    assert at.selectbox(key="d_server_file").options == ["netzlaufwerk.csv"]  # by name, never a typed path
    at.selectbox(key="d_server_file").set_value("netzlaufwerk.csv").run()
    assert not at.exception
    assert any("Import abgelehnt" in e.value for e in at.error)
    assert digest(work_store) == before


def test_good_upload_is_imported_after_confirmation(work_store):
    import sqlite3

    con = sqlite3.connect(work_store)  # a real register: a store flagged as demo refuses imports
    con.execute("DELETE FROM qm_meta WHERE key = 'demo'")
    con.commit()
    con.close()
    units_before = len(open_store(work_store).read().units)
    at = app(work_store, "pages/daten.py")
    at.get("file_uploader")[0].set_value(("neu.csv", GOOD_CSV, "text/csv")).run()
    assert len(open_store(work_store).read().units) == units_before  # checked, not written
    next(b for b in at.button if b.label == "Importieren").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert len(open_store(work_store).read().units) == units_before + 1
    assert any("Import abgeschlossen" in s.value for s in at.success)


def test_export_offers_public_and_internal_files(demo_store):
    at = app(demo_store, "pages/daten.py")
    assert at.get("download_button")
    preview = next(d.value for d in at.dataframe if "Nr." in d.value.columns)  # German headers, as downloaded
    assert "Eigentümer" not in preview.columns
    at.checkbox(key="d_internal").check().run()
    preview = next(d.value for d in at.dataframe if "Nr." in d.value.columns)
    assert "Eigentümer" in preview.columns
    assert any("personenbezogene Daten" in w.value for w in at.warning)


def test_presentation_page_shows_no_personal_data_and_no_controls_in_sidebar(demo_store):
    unit = _personal_unit(demo_store)
    at = app(demo_store, "pages/praesentation.py", role=None)  # the public view: nobody signed in
    text = shown_text(at)
    assert unit["owner_name"] not in text and unit["contact_email"] not in text
    assert not at.get("form_submit_button")
    assert len(at.sidebar.children) == 0
    assert len(at.metric) == 6


def test_missing_store_gives_a_readable_error(tmp_path):
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=30)
    at.session_state["qm_store_path"] = str(tmp_path / "gibt-es-nicht.gpkg")
    at.run()
    assert not at.exception
    assert any("nicht gefunden" in e.value for e in at.error)


# -- the review of the screenshots ---------------------------------------------------------------------


def svg_charts(at) -> list[str]:
    """The charts a page shows as inline SVG (:func:`pages._charts.show`)."""
    return [m.value for m in at.markdown if m.value.startswith('<div class="qm-chart">\n<svg')]


def _tree_types(node, acc: list[str]) -> list[str]:
    for child in getattr(node, "children", {}).values():
        acc.append(child.type)
        _tree_types(child, acc)
    return acc


def test_german_placeholders_and_neutral_zero_deltas(demo_store):
    from streamlit.proto.Metric_pb2 import Metric

    at = app(demo_store, "pages/karte.py")
    placeholders = {key: at.selectbox(key=key).proto.placeholder for key in ("f_quarter", "f_ortsteil", "f_street")}
    assert placeholders == {"f_quarter": "alle Quartiere", "f_ortsteil": "alle Ortsteile", "f_street": "alle Straßen"}
    at = app(demo_store)
    for m in at.metric:
        if m.delta and m.delta.startswith("±"):
            assert m.proto.color == Metric.MetricColor.GRAY and m.proto.direction == Metric.MetricDirection.NONE
        elif m.delta:
            assert m.proto.direction != Metric.MetricDirection.NONE


@pytest.mark.parametrize(
    ("page", "n"),
    [("pages/uebersicht.py", 1), ("pages/karte.py", 1), ("pages/entwicklung.py", 4), ("pages/praesentation.py", 3)],
)
def test_charts_and_maps_offer_png_and_svg(demo_store, page, n):
    at = app(demo_store, page)
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels.count("PNG") == n and labels.count("SVG") == n, labels


def test_unit_panel_is_light_and_shows_the_timeline_on_request(demo_store):
    unit = _personal_unit(demo_store)
    at = app(demo_store, "pages/karte.py")
    at.text_input(key="qm_unit_query").set_value(unit["unit_id"]).run()
    assert not svg_charts(at)
    assert len(at.dataframe) == 2  # the unit list and the history; details are Markdown
    history = next(d for d in at.dataframe if not (d.key or "").startswith("qm_unit_list_")).value
    assert "None" not in history.drop(columns=["Neuansiedlung", "ersetzt"]).to_string()
    at.toggle(key="qm_unit_chart").set_value(True).run()
    assert not at.exception
    (timeline,) = svg_charts(at)  # drawn on the server: no chart library in the browser
    assert "<title>" in timeline and "vega_lite_chart" not in _tree_types(at.main, [])


def test_data_page_explains_the_number_of_units(demo_store):
    at = app(demo_store, "pages/daten.py")
    register = open_store(demo_store).read()
    note = counts_note(register, at=local_today())
    assert any(note in c.value for c in at.caption)


def test_the_city_role_is_offered_nothing_internal(demo_store):
    """The role Stadt gets the public report only, and the page Daten (internal exports) is not in its menu."""
    at = app(demo_store, "pages/bericht.py", role=Role.CITY)
    assert not at.exception
    assert not [r for r in at.radio if r.key == "b_version"]
    assert any("Öffentliche Fassung" in c.value for c in at.caption)
    with pytest.raises(ValueError, match="navigation page"):
        at.switch_page("pages/daten.py")

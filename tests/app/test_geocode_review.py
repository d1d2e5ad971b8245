"""Page Daten: addresses placed on import, the list „Zu prüfen: Verortung“, accepting and setting places on the map.

Headless with ``AppTest`` on a small real (not demo) register; addresses from the fictional fixture
``tests/fixtures/geocoding/addresses.osm``. A click on the small map is simulated the way
``st_folium`` reports it: its value (``last_clicked``) under the map's key in the session state.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from geo.access.roles import Role
from geo.app.geocode_review import clicked_point, review_details, review_list
from geo.places.geocoding import GeocodingUnavailable
from geo.register.io import record_observation
from geo.register.stats import status_at
from geo.register.store import open_store
from pages import _session
from tests.signin import NAMES, signed_in
from tests.synthetic import synthetic_store

ROOT = Path(__file__).resolve().parents[2]
OSM = ROOT / "tests" / "fixtures" / "geocoding" / "addresses.osm"

#: A list without coordinates: exact, letter dropped, similar street name, interpolated.
LIST = (
    "Straße;Hausnummer;PLZ;Status;Betrieb;Datum\n"
    "Eisenbahnstr.;31;04315;leer;;01.05.2025\n"
    "Eisenbahnstraße;29a;04315;genutzt;Café Eins;01.05.2025\n"
    "Hedwisgtraße;9;;genutzt;Laden Zwei;01.05.2025\n"
    "Hedwigstraße;7;04315;leer;;01.05.2025\n"
).encode()


@pytest.fixture
def store(tmp_path) -> Path:
    """A small real register (no demo flag: a demo refuses imports) with the official boundaries."""
    return synthetic_store(tmp_path / "register.gpkg", n=20, demo=False)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def app(store: Path) -> AppTest:
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=90)
    at.session_state["qm_store_path"] = str(store)
    signed_in(at)
    at.run()
    at.switch_page("pages/daten.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def uploader(at: AppTest, label: str):
    return next(u for u in at.get("file_uploader") if u.label.startswith(label))


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def review_frame(at: AppTest) -> pd.DataFrame | None:
    return next((d.value for d in at.dataframe if "Verortung" in d.value.columns), None)


def imported(store: Path) -> AppTest:
    """The list imported with the address file through the page; the page after the import."""
    at = app(store)
    at.radio(key="d_geocode").set_value("offline").run()
    uploader(at, "Datei hochladen").set_value(("liste.csv", LIST, "text/csv"))
    uploader(at, "Adressdateien").set_value(("adressen.osm", OSM.read_bytes(), "application/xml")).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    button(at, "Importieren").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    return at


def test_without_geocoding_the_page_says_what_to_choose_not_the_command_line(store):
    at = app(store)
    uploader(at, "Datei hochladen").set_value(("liste.csv", LIST, "text/csv")).run()
    reasons = " ".join(next(d.value for d in at.dataframe if "Grund" in d.value.columns)["Grund"])
    assert "Adressen ohne Koordinaten verorten" in reasons and "offline aus Adressdateien" in reasons
    assert "--geocode" not in reasons


def test_nominatim_shows_its_usage_note_and_an_unreachable_server_names_the_offline_choice(store, monkeypatch):
    from geo import settings
    from tests.osm_stub import closed_port

    monkeypatch.setattr(settings, "nominatim_url", f"http://127.0.0.1:{closed_port()}")
    monkeypatch.setattr(settings, "nominatim_timeout_s", 2.0)
    before = digest(store)
    at = app(store)
    at.radio(key="d_geocode").set_value("nominatim").run()
    assert any("Nutzungsbedingungen" in c.value and "höchstens eine Anfrage je Sekunde" in c.value for c in at.caption)
    uploader(at, "Datei hochladen").set_value(("liste.csv", LIST, "text/csv")).run()
    assert not at.exception
    (error,) = [e.value for e in at.error]
    assert "Nominatim ist nicht erreichbar" in error and "offline aus Adressdateien" in error
    assert "--geocode" not in error
    assert not any(b.label == "Importieren" for b in at.button)
    assert digest(store) == before


def test_an_import_places_the_addresses_and_lists_the_inexact_ones_for_review(store):
    units_before = len(open_store(store).read().units)
    at = app(store)
    at.radio(key="d_geocode").set_value("offline").run()
    assert any("Adressdateien hochladen" in i.value for i in at.info)  # asked for, nothing checked yet
    uploader(at, "Datei hochladen").set_value(("liste.csv", LIST, "text/csv"))
    uploader(at, "Adressdateien").set_value(("adressen.osm", OSM.read_bytes(), "application/xml")).run()
    report = next(d.value for d in at.dataframe if "Qualität" in d.value.columns)  # the import's review list
    assert len(report) == 3 and set(report["Adresse"]) >= {"Hedwisgtraße 9"}
    assert len(open_store(store).read().units) == units_before  # checked, not written
    button(at, "Importieren").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("Zu prüfen: Verortung" in s.value for s in at.success)
    units = open_store(store).read().units
    new = units.iloc[units_before:].set_index("street")
    assert len(new) == 4 and new.geometry.notna().all()
    assert (new.loc["Hedwisgtraße", "geocode_quality"], new.loc["Hedwigstraße", "geocode_quality"]) == (
        "fuzzy_street", "interpolated",
    )
    assert sorted(new["geocode_quality"]) == ["exact", "fuzzy_number", "fuzzy_street", "interpolated"]
    listed = review_frame(at)
    assert listed is not None and len(listed) == 3
    assert set(listed["Einheit"]) == set(units.loc[units["geocode_quality"].isin(
        ["fuzzy_number", "fuzzy_street", "interpolated"]), "unit_id"])  # fmt: skip
    row = listed.set_index("Adresse").loc["Eisenbahnstraße 29a, 04315"]
    assert row["gefunden"] and row["Verortung"] == "Hausnummer angenähert"  # what the import found, kept


def test_accepting_takes_a_unit_off_the_list_and_stores_the_check(store):
    at = imported(store)
    listed = review_frame(at)
    unit_id = listed["Einheit"].iloc[0]
    observations = open_store(store).read().observations
    at.selectbox(key=_session.GEOCODE_UNIT).set_value(unit_id).run()
    button(at, "Übernehmen").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any(f"Ort von {unit_id} übernommen" in s.value for s in at.success)
    assert unit_id not in set(review_frame(at)["Einheit"])
    opened = open_store(store)
    units = opened.read().units.set_index("unit_id")
    assert units.loc[unit_id, "geocode_quality"] == "checked"
    assert opened.location_checks()["unit_id"].tolist() == [unit_id]
    pd.testing.assert_frame_equal(opened.read().observations, observations)


def test_a_click_on_the_map_places_the_unit_there(store):
    at = imported(store)
    unit_id = review_frame(at)["Einheit"].iloc[-1]
    register = open_store(store).read()
    figures = status_at(register, pd.Timestamp("2025-06-30").date())[["unit_id", "status"]]
    at.selectbox(key=_session.GEOCODE_UNIT).set_value(unit_id).run()
    assert not at.exception
    at.session_state[_session.GEOCODE_MAP] = {"last_clicked": {"lat": 51.34601, "lng": 12.40123}}
    at.run()
    assert any("neuer Ort 51,34601 N, 12,40123 O" in c.value for c in at.caption)
    button(at, "Speichern").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any(f"Ort von {unit_id} von Hand gesetzt" in s.value for s in at.success)
    opened = open_store(store)
    after = opened.read()
    unit = after.units.set_index("unit_id").loc[unit_id]
    assert (unit.geometry.x, unit.geometry.y) == (12.40123, 51.34601)
    assert (unit["geocode_method"], unit["geocode_quality"]) == ("map", "manual")
    assert unit_id not in set(review_frame(at)["Einheit"])
    (check,) = opened.location_checks().to_dict("records")
    before = register.units.set_index("unit_id").loc[unit_id].geometry
    assert (check["action"], check["lon_before"], check["lat_before"]) == ("moved", before.x, before.y)
    pd.testing.assert_frame_equal(after.observations, register.observations)  # history intact
    pd.testing.assert_frame_equal(status_at(after, pd.Timestamp("2025-06-30").date())[["unit_id", "status"]], figures)


@pytest.mark.parametrize(
    ("click", "message"),
    [({"lat": 51.05, "lng": 13.74}, "außerhalb Leipzigs"), ({"lat": 51.30, "lng": 12.30}, "außerhalb der Quartiere")],
)
def test_a_click_outside_leipzig_or_the_quarters_is_refused(store, click, message):
    at = imported(store)
    before = digest(store)
    at.session_state[_session.GEOCODE_MAP] = {"last_clicked": click}
    at.run()
    assert not at.exception
    assert any(message in e.value for e in at.error)
    assert not any(b.label == "Speichern" for b in at.button)
    assert digest(store) == before


def test_a_stale_list_is_not_written_the_user_sees_the_current_state(store):
    at = imported(store)
    unit_id = review_frame(at)["Einheit"].iloc[0]
    at.selectbox(key=_session.GEOCODE_UNIT).set_value(unit_id).run()
    opened = open_store(store)
    record_observation(opened, unit_id=unit_id, observed_on=pd.Timestamp("2025-06-01").date(), status="vacant")
    before = digest(store)  # another session wrote after the list was shown
    button(at, "Übernehmen").click().run()
    assert not at.exception
    assert any("inzwischen geändert" in w.value for w in at.warning)
    assert digest(store) == before
    assert opened.location_checks().empty
    assert unit_id in set(review_frame(at)["Einheit"])  # still to check, now on the current version
    button(at, "Übernehmen").click().run()
    assert open_store(store).location_checks()["unit_id"].tolist() == [unit_id]


def test_a_checked_place_is_recorded_with_the_signed_in_account_and_audited(store):
    """No typed „Erfasst von“: the account signed in is the one recorded, and the write is in the audit trail."""
    imported(store)
    at = app(store)
    unit_id = at.selectbox(key=_session.GEOCODE_UNIT).value
    button(at, "Übernehmen").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    checks = open_store(store).location_checks()
    assert checks["recorded_by"].tolist() == [NAMES[Role.ADMIN]]
    trail = open_store().audit(account=NAMES[Role.ADMIN])  # the server's store holds the trail
    assert any(unit_id in d for d in trail.loc[trail["action"] == "schreiben", "detail"])


# -- the presenter -----------------------------------------------------------------------------------


def test_clicks_are_read_strictly():
    assert clicked_point({"last_clicked": {"lat": 51.3, "lng": 12.4}}) == (12.4, 51.3)
    assert clicked_point({"last_clicked": None}) is None
    assert clicked_point(None) is None
    assert clicked_point({"last_clicked": {"lat": "x", "lng": 12.4}}) is None
    assert clicked_point({"last_clicked": {"lat": float("nan"), "lng": 12.4}}) is None


def test_review_details_take_the_latest_import_and_ignore_foreign_logs():
    imports = pd.DataFrame({"report": [
        '{"review": [{"unit_id": "A", "matched": "Alt 1", "uncertainty_m": 5, "reason": "r"}]}',
        "kein JSON", None, '{"review": "falsch"}',
        '{"review": [{"unit_id": "A", "matched": "Neu 1", "uncertainty_m": null, "reason": null}]}',
    ]})  # fmt: skip
    details = review_details(imports)
    assert details["unit_id"].tolist() == ["A"] and details["matched"].tolist() == ["Neu 1"]
    assert details["uncertainty_m"].isna().all() and details["reason"].isna().all()  # never "None"/"nan"
    assert review_list(open_store_units_empty()).empty


def open_store_units_empty():
    import geopandas as gpd

    from geo.register.model import UNIT_COLUMNS

    return gpd.GeoDataFrame({c: pd.Series(dtype="str") for c in UNIT_COLUMNS}, geometry=gpd.GeoSeries([], crs=4326))


def test_an_unreachable_nominatim_names_the_choice_on_the_page():
    from geo.app.geocode_review import unavailable_message

    text = unavailable_message(GeocodingUnavailable(
        "Nominatim ist nicht erreichbar (127.0.0.1:9: keine Verbindung). Ohne Internet: --geocode offline "
        "--addresses DATEI (OSM-Daten oder Hauskoordinaten); ein eigener Server: Einstellung nominatim_url."
    ))  # fmt: skip
    assert text.startswith("Nominatim ist nicht erreichbar (127.0.0.1:9: keine Verbindung).")
    assert "offline aus Adressdateien" in text and "--geocode" not in text and "Nichts wurde" in text

"""The store interface both backends implement: version, optimistic concurrency, recorded upgrades.

Tests taking ``store`` run on the GeoPackage file and on PostGIS (``store_factory``); the
upgrade of older GeoPackage files and the app run on the file.
"""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from geo import settings
from geo.errors import StoreConflict, StoreError
from geo.register.io import record_observation
from geo.register.store import SCHEMA_VERSION, ChangeSet, GeoPackageStore, open_store
from tests.conftest import make_observations, make_units
from tests.signin import signed_in

ROOT = Path(__file__).resolve().parents[2]

#: What schema version 3 adds (the triggers counting changes of other programs).
V3_TRIGGERS = {
    "units_count_insert", "units_count_update", "units_count_delete", "observations_count_insert",
    "visits_count_insert", "visits_count_update",
    "boundaries_count_insert", "boundaries_count_update", "boundaries_count_delete",
}
V2_TRIGGERS = {"observations_no_replace", "visits_no_replace", "visits_no_update", "visits_no_delete"}
#: What schema version 2 adds in PostgreSQL (it has no INSERT OR REPLACE; TRUNCATE is refused too).
V2_TRIGGERS_PG = {"visits_no_update", "visits_no_delete", "visits_no_truncate"}
#: Columns added by steps after version 3 (dropped to make a store of an older version).
LATER_UNIT_COLUMNS = ("geocode_method", "geocode_quality")


def digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _obs(unit_id: str = "A", name: str | None = None) -> pd.DataFrame:
    return make_observations([(unit_id, "2023-05-01", "occupied", name)]).drop(columns="obs_id")


@pytest.fixture
def store(store_factory):
    """A store with two units and one write, on each backend."""
    s = store_factory()
    s.write(ChangeSet(new_units=make_units([{"unit_id": "A"}, {"unit_id": "B"}])))
    return s


@pytest.fixture
def gpkg_store(tmp_path) -> GeoPackageStore:
    s = open_store(tmp_path / "register.gpkg", create=True)
    s.write(ChangeSet(new_units=make_units([{"unit_id": "A"}, {"unit_id": "B"}])))
    return s


def _sql(path: Path, *statements: str) -> None:
    con = sqlite3.connect(path)
    try:
        for statement in statements:
            con.execute(statement)
        con.commit()
    finally:
        con.close()


def _rows(path: Path, query: str) -> list[tuple]:
    con = sqlite3.connect(path)
    try:
        return con.execute(query).fetchall()
    finally:
        con.close()


def _triggers(path: Path) -> set[str]:
    return {r[0] for r in _rows(path, "SELECT name FROM sqlite_master WHERE type = 'trigger'")}


def _columns(path: Path, table: str) -> set[str]:
    return {r[1] for r in _rows(path, f"PRAGMA table_info({table})")}


def _as_version(path: Path, version: int) -> None:
    """Turn a store into one written by schema version ``version`` (1 or 2): drop what came later."""
    drops = [f"ALTER TABLE units DROP COLUMN {c}" for c in LATER_UNIT_COLUMNS if c in _columns(path, "units")]
    drops += [f"DROP TRIGGER {name}" for name in sorted(V3_TRIGGERS)]
    drops += ["DROP TABLE qm_migrations", "DELETE FROM qm_meta WHERE key = 'change_counter'"]
    if version == 1:
        drops += [f"DROP TRIGGER {name}" for name in sorted(V2_TRIGGERS)]
    _sql(path, *drops, f"UPDATE qm_meta SET value = '{version}' WHERE key = 'schema_version'")


# -- version -----------------------------------------------------------------------------------------


def test_version_counts_each_write_once_and_no_read(store, store_factory):
    assert store.version() == 1  # the fixture's one write
    before = store_factory.state(store)
    store.read()
    store.read(unit_ids=["A"])
    store.meta()
    open_store(store.target)
    assert store.version() == 1 and store_factory.state(store) == before
    result = store.write(ChangeSet(observations=make_observations(
        [("A", "2023-01-01", "vacant"), ("B", "2023-01-01", "occupied", "Bäckerei")]
    ).drop(columns="obs_id")))
    assert result.version == store.version() == 2  # two rows, one write
    store.write(ChangeSet(meta={"note": "x"}))
    assert store.version() == 3
    assert store.read().meta["change_counter"] == "3"


def test_a_new_store_starts_at_version_0(store_factory):
    assert store_factory("neu").version() == 0


def test_the_version_cannot_be_set_through_a_change(store):
    store.write(ChangeSet(meta={"change_counter": "99", "schema_version": "99"}))
    assert store.version() == 2
    assert store.meta()["schema_version"] == str(SCHEMA_VERSION)


def test_failed_write_leaves_the_version(store, store_factory):
    before = store_factory.state(store)
    with pytest.raises(StoreError):
        store.write(ChangeSet(observations=_obs("X")))  # unknown unit
    assert store.version() == 1 and store_factory.state(store) == before


def test_changes_by_another_program_raise_the_version(store, store_factory):
    # e.g. QGIS: rows changed through plain SQL are counted by triggers
    store_factory.sql(store, "UPDATE units SET street = 'Eisenbahnstraße' WHERE unit_id = 'A'")
    assert store.version() == 2
    store_factory.sql(
        store,
        "INSERT INTO observations (unit_id, observed_on, status, recorded_at)"
        " VALUES ('B', '2023-02-01', 'vacant', '2023-02-01T00:00:00Z')",
        "DELETE FROM boundaries",  # no rows: nothing changed, nothing counted
    )
    assert store.version() == 3
    store_factory.sql(store, "UPDATE units SET postcode = '04315'")  # two rows: counted one each
    assert store.version() == 5
    # a write of the library counts once on top of them, and a stale edit is refused
    assert store.write(ChangeSet(meta={"x": "y"}), expected_version=5).version == store.version() == 6
    with pytest.raises(StoreConflict):
        store.write(ChangeSet(meta={"x": "z"}), expected_version=5)


def test_a_counter_that_is_no_number_is_a_clear_error(store, store_factory):
    store_factory.sql(store, "UPDATE qm_meta SET value = 'viele' WHERE key = 'change_counter'")
    with pytest.raises(StoreError, match="change_counter.*'viele'.*ganze Zahl"):
        store.version()


# -- optimistic concurrency ---------------------------------------------------------------------------


def test_a_write_on_a_stale_version_is_refused_and_changes_nothing(store, store_factory):
    seen = store.version()
    store.write(ChangeSet(observations=_obs("A", "Erste")))  # someone else, meanwhile
    before = store_factory.state(store)
    with pytest.raises(StoreConflict, match=rf"inzwischen geändert \(Version {seen + 1}, erwartet {seen}\)") as caught:
        store.write(ChangeSet(observations=_obs("A", "Zweite")), expected_version=seen)
    assert isinstance(caught.value, StoreError)
    assert (caught.value.version, caught.value.expected) == (seen + 1, seen)
    assert store_factory.state(store) == before
    assert "Zweite" not in set(store.read().observations["business_name"].dropna())
    result = store.write(ChangeSet(observations=_obs("A", "Zweite")), expected_version=seen + 1)
    assert result.version == seen + 2


def test_two_servers_on_one_file_see_each_others_writes(store):
    one, two = type(store)(store.target), open_store(store.target)
    seen_by_two = two.version()
    one.write(ChangeSet(observations=_obs("A", "von Server 1")))
    assert two.version() == one.version() == seen_by_two + 1
    with pytest.raises(StoreConflict):
        two.write(ChangeSet(observations=_obs("B", "von Server 2")), expected_version=seen_by_two)
    two.write(ChangeSet(observations=_obs("B", "von Server 2")), expected_version=two.version())
    assert one.version() == seen_by_two + 2
    assert {"von Server 1", "von Server 2"} <= set(one.read().observations["business_name"].dropna())


def test_record_observation_passes_the_version_it_was_made_on(store, store_factory):
    seen = store.version()
    record_observation(store, unit_id="A", observed_on=date(2024, 3, 1), status="vacant", expected_version=seen)
    before = store_factory.state(store)
    with pytest.raises(StoreConflict, match="inzwischen geändert"):
        record_observation(store, unit_id="B", observed_on=date(2024, 3, 1), status="vacant", expected_version=seen)
    assert store_factory.state(store) == before
    assert len(store.read().observations) == 1


# -- recorded upgrades ---------------------------------------------------------------------------------


def test_a_new_store_lists_every_step(store, store_factory):
    rows = store_factory.rows(store, "SELECT version, applied_at FROM qm_migrations ORDER BY version")
    assert [v for v, _ in rows] == list(range(1, SCHEMA_VERSION + 1))
    assert all(at is not None for _, at in rows)
    assert all(str(at).endswith("Z") for _, at in rows) or store_factory.name == "postgis"
    v2 = V2_TRIGGERS if store_factory.name == "gpkg" else V2_TRIGGERS_PG
    assert V3_TRIGGERS | v2 <= store_factory.triggers(store)


@pytest.mark.parametrize("old", [1, 2])
def test_older_stores_are_upgraded_and_list_the_steps_they_received(gpkg_store, old):
    store = gpkg_store
    _as_version(store.path, old)
    assert not V3_TRIGGERS & _triggers(store.path)
    assert store.version() == 0  # no counter before version 3
    opened = open_store(store.path)
    assert opened.meta()["schema_version"] == str(SCHEMA_VERSION)
    assert V3_TRIGGERS | V2_TRIGGERS <= _triggers(store.path)
    rows = dict(_rows(store.path, "SELECT version, applied_at FROM qm_migrations"))
    assert sorted(rows) == list(range(1, SCHEMA_VERSION + 1))
    # steps before the table existed: applied at an unknown time; the ones received now: with their time
    assert [v for v, at in sorted(rows.items()) if at is None] == list(range(1, old + 1))
    assert opened.version() == 0  # an upgrade changes no register data
    opened.write(ChangeSet(observations=_obs("A")))
    assert opened.version() == 1
    assert len(opened.read().observations) == 1


def test_a_write_upgrades_an_older_store_too(gpkg_store):
    store = gpkg_store
    _as_version(store.path, 2)
    result = GeoPackageStore(store.path).write(ChangeSet(observations=_obs("B")), expected_version=0)
    assert result.version == 1
    assert store.meta()["schema_version"] == str(SCHEMA_VERSION)
    assert [v for (v,) in _rows(store.path, "SELECT version FROM qm_migrations ORDER BY version")] == list(
        range(1, SCHEMA_VERSION + 1)
    )


def test_a_refused_write_leaves_an_older_store_unupgraded(gpkg_store):
    store = gpkg_store
    _as_version(store.path, 2)
    before = digest(store.path)
    with pytest.raises(StoreConflict):
        GeoPackageStore(store.path).write(ChangeSet(observations=_obs("B")), expected_version=5)
    assert digest(store.path) == before


def test_the_committed_demo_is_at_the_newest_version(tmp_path):
    if not settings.demo_store_path.exists():
        pytest.skip("data/demo.gpkg fehlt")
    copy = tmp_path / "demo.gpkg"
    shutil.copyfile(settings.demo_store_path, copy)
    before = digest(copy)
    assert open_store(copy).meta()["schema_version"] == str(SCHEMA_VERSION)
    assert digest(copy) == before  # nothing to upgrade


# -- the app --------------------------------------------------------------------------------------------


def _app(store_path: Path, page: str):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=60)
    at.session_state["qm_store_path"] = str(store_path)
    signed_in(at)
    at.run()
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _names(path: Path) -> set[str]:
    return set(open_store(path).read().observations["business_name"].dropna())


def test_karte_refuses_an_observation_on_a_stale_register_and_lets_the_user_record_again(gpkg_store):
    store = gpkg_store
    at = _app(store.path, "pages/karte.py")
    at.text_input(key="qm_unit_query").set_value("A").run()
    assert at.selectbox(key="qm_unit").value == "A"
    store.write(ChangeSet(observations=_obs("A", "Anderswo erfasst")))  # another session, meanwhile

    def submit(name: str) -> None:
        next(s for s in at.selectbox if s.label == "Status").set_value("occupied")
        next(t for t in at.text_input if t.label == "Betrieb (Name)").set_value(name)
        next(b for b in at.get("form_submit_button") if b.label == "Beobachtung speichern").click().run()
        assert not at.exception and not at.error, [e.value for e in at.error]

    before = digest(store.path)
    submit("Hier erfasst")
    assert any("inzwischen geändert" in w.value for w in at.warning)
    assert digest(store.path) == before and "Hier erfasst" not in _names(store.path)
    submit("Hier erfasst")  # the page shows the current state now: recording again works
    assert any("gespeichert" in s.value for s in at.success)
    assert {"Anderswo erfasst", "Hier erfasst"} <= _names(store.path)


def test_the_app_shows_the_register_after_a_demo_reset_not_an_older_state(tmp_path, monkeypatch):
    if not settings.demo_store_path.exists():
        pytest.skip("data/demo.gpkg fehlt")
    monkeypatch.setenv("QM_DATA_DIR", str(tmp_path / "userdata"))
    work = tmp_path / "demo-copy.gpkg"
    shutil.copyfile(settings.demo_store_path, work)
    unit = open_store(work).read().units["unit_id"].iloc[0]

    def history_names(at) -> str:
        at.text_input(key="qm_unit_query").set_value(unit).run()
        return " ".join(" ".join(map(str, d.value.to_numpy().ravel())) for d in at.dataframe)

    GeoPackageStore(work).write(ChangeSet(observations=_obs(unit, "Verworfener Betrieb")))
    assert "Verworfener Betrieb" in history_names(_app(work, "pages/karte.py"))  # cached at this version
    at = _app(work, "pages/daten.py")
    next(b for b in at.button if b.label == "Demo-Arbeitskopie zurücksetzen").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    GeoPackageStore(work).write(ChangeSet(observations=_obs(unit, "Neuer Betrieb")))  # the same version again
    shown = history_names(_app(work, "pages/karte.py"))
    assert "Neuer Betrieb" in shown and "Verworfener Betrieb" not in shown

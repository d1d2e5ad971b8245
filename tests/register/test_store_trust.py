"""Trust in the store (issue "Trust"): which store is written, demo flag, store faults, append-only."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from geo import cli, settings
from geo.errors import InputError, SchemaVersionError, StoreError
from geo.register.io import build_demo_store, import_file
from geo.register.store import (
    SCHEMA_VERSION,
    ChangeSet,
    GeoPackageStore,
    open_store,
    reset_demo_store,
)
from tests.conftest import make_observations, make_units
from tests.signin import signed_in

ROOT = Path(__file__).resolve().parents[2]

CSV = (
    "Straße;Hausnummer;PLZ;lon;lat;Datum;Status;Betrieb;Eigentümer\n"
    "Eisenbahnstraße;66;04315;12,4038;51,3455;01.03.2024;genutzt;Bäckerei;Muster GmbH\n"
    "Eisenbahnstraße;70;04315;12,4045;51,3456;01.03.2024;leer;;\n"
)

NEW_TRIGGERS = ("observations_no_replace", "visits_no_replace", "visits_no_update", "visits_no_delete")


def digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.fixture
def user_dirs(tmp_path, monkeypatch) -> Path:
    """Fresh data/cache folders for this test; no store named."""
    monkeypatch.setenv("QM_DATA_DIR", str(tmp_path / "userdata"))
    monkeypatch.setenv("QM_CACHE_DIR", str(tmp_path / "usercache"))
    monkeypatch.delenv("QM_STORE", raising=False)
    monkeypatch.delenv("QM_OSM_CACHE", raising=False)
    return tmp_path


@pytest.fixture
def csv_file(tmp_path) -> Path:
    path = tmp_path / "liste.csv"
    path.write_text(CSV, encoding="utf-8")
    return path


def _fill(s):
    """A real (non-demo) register with two units, three observations and two visits."""
    units = make_units([{"unit_id": "A"}, {"unit_id": "B"}])
    obs = make_observations(
        [
            ("A", "2020-01-01", "occupied", "Laden"),
            ("A", "2021-01-01", "vacant"),
            ("B", "2020-02-01", "unknown"),
        ]
    )
    visits = pd.DataFrame(
        [
            {"unit_id": "A", "visited_on": pd.Timestamp("2021-01-01"), "outcome": "nobody_there"},
            {"unit_id": "B", "visited_on": pd.Timestamp("2021-01-02"), "outcome": "nobody_there"},
        ]
    )
    s.write(ChangeSet(new_units=units, observations=obs.drop(columns="obs_id"), visits=visits))
    return s


@pytest.fixture
def store(tmp_path) -> GeoPackageStore:
    """The register of :func:`_fill` in a GeoPackage file."""
    return _fill(open_store(tmp_path / "register.gpkg", create=True))


@pytest.fixture
def any_store(store_factory):
    """The register of :func:`_fill` on each backend (GeoPackage, PostGIS)."""
    return _fill(store_factory())


@pytest.fixture
def demo_copy(tmp_path) -> Path:
    if not settings.demo_store_path.exists():
        pytest.skip("data/demo.gpkg fehlt")
    target = tmp_path / "demo-copy.gpkg"
    shutil.copyfile(settings.demo_store_path, target)
    return target


def run(argv: list[str], capsys) -> tuple[int, str, str]:
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def triggers(path: Path) -> set[str]:
    con = sqlite3.connect(path)
    try:
        return {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    finally:
        con.close()


# -- which store is written ------------------------------------------------------------------------


def test_import_without_a_named_store_is_refused(user_dirs, csv_file, capsys):
    code, _, err = run(["import", str(csv_file)], capsys)
    assert code == 2
    assert err.count("\n") == 1 and "--store" in err and "QM_STORE" in err
    assert "python -m geo import liste.csv --store register.gpkg" in err
    assert not settings.demo_work_path().exists()  # nothing written, not even the demo copy


def test_boundaries_without_a_named_store_is_refused(user_dirs, capsys):
    code, _, err = run(["boundaries", "--osm"], capsys)
    assert code == 2 and "QM_STORE" in err and err.count("\n") == 1


def test_qm_store_is_read_when_the_command_runs(user_dirs, csv_file, capsys, monkeypatch):
    target = user_dirs / "aus-env.gpkg"
    monkeypatch.setenv("QM_STORE", str(target))  # set after geo.settings was imported
    code, _, err = run(["import", str(csv_file)], capsys)
    assert code == 0, err
    assert len(open_store(target).read().units) == 2
    assert settings.named_store_path() == target


def test_reading_without_a_store_uses_the_demo_copy_and_says_so(user_dirs, capsys):
    if not settings.demo_store_path.exists():
        pytest.skip("data/demo.gpkg fehlt")
    code, out, err = run(["stats", "--format", "json"], capsys)
    assert code == 0, err
    assert "Demo-Register (fiktiv)" in err and str(settings.demo_work_path()) in err
    assert settings.demo_work_path().is_file()
    assert settings.demo_work_path().is_relative_to(user_dirs / "userdata")
    assert out.startswith("[")


def test_working_copies_and_caches_live_outside_the_source_tree(monkeypatch, tmp_path):
    import platformdirs

    from geo.osm._cache import _cache_dir

    for name in ("QM_DATA_DIR", "QM_CACHE_DIR", "QM_OSM_CACHE"):
        monkeypatch.delenv(name, raising=False)
    assert settings.user_data_folder() == platformdirs.user_data_path("quartiersmonitor")
    assert settings.cache_folder() == platformdirs.user_cache_path("quartiersmonitor")
    for path in (settings.demo_work_path(), settings.osm_cache_folder()):
        assert not path.is_relative_to(ROOT)
    monkeypatch.setenv("QM_CACHE_DIR", str(tmp_path / "c"))
    assert _cache_dir() == tmp_path / "c" / "osm"  # one home, resolved when used
    monkeypatch.setenv("QM_OSM_CACHE", str(tmp_path / "o"))
    assert _cache_dir() == settings.osm_cache_folder() == tmp_path / "o"


def test_import_into_a_demo_store_is_refused(demo_copy, csv_file, capsys):
    before = digest(demo_copy)
    with pytest.raises(InputError, match="python -m geo import liste.csv --store register.gpkg"):
        import_file(csv_file, store=demo_copy)
    code, _, err = run(["import", str(csv_file), "--store", str(demo_copy)], capsys)
    assert code == 2 and "Demo-Register" in err and err.count("\n") == 1
    # the store refuses it too, whatever the caller
    obs = make_observations([("X", "2024-01-01", "vacant")]).drop(columns="obs_id")
    with pytest.raises(StoreError, match="keine Importe"):
        GeoPackageStore(demo_copy).write(ChangeSet(observations=obs, import_record={"file_name": "x.csv"}))
    assert digest(demo_copy) == before


def test_only_a_flagged_demo_store_is_reset(user_dirs, store, demo_copy):
    before = digest(store.path)
    with pytest.raises(StoreError, match="kein Demo-Register"):
        reset_demo_store(store.path)
    assert digest(store.path) == before
    with pytest.raises(StoreError, match="ausgelieferte Demo-Register selbst"):
        reset_demo_store(settings.demo_store_path)
    GeoPackageStore(demo_copy).write(ChangeSet(meta={"edited": "yes"}))
    assert reset_demo_store(demo_copy) == demo_copy
    assert "edited" not in GeoPackageStore(demo_copy).meta()
    made = reset_demo_store()  # default: the working copy in the user's data folder
    assert made == settings.demo_work_path() and GeoPackageStore(made).is_demo


def test_demo_is_never_built_over_a_real_register(store, tmp_path):
    before = digest(store.path)
    with pytest.raises(StoreError, match="kein Demo-Register"):
        build_demo_store(store.path)
    assert digest(store.path) == before


def _daten_page(store_path: Path):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "pages" / "daten.py"), default_timeout=60)
    at.session_state["qm_store_path"] = str(store_path)
    signed_in(at)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_reset_button_only_for_flagged_demo_stores(store, demo_copy):
    label = "Demo-Arbeitskopie zurücksetzen"
    assert not any(b.label == label for b in _daten_page(store.path).button)
    at = _daten_page(demo_copy)
    next(b for b in at.button if b.label == label).click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert digest(demo_copy) == digest(settings.demo_store_path)


# -- store faults ----------------------------------------------------------------------------------


@pytest.fixture
def full_disk(monkeypatch):
    """Every connection may not grow the file: SQLite answers SQLITE_FULL as on a full disk."""
    real = GeoPackageStore._connect

    def connect(self):
        con = real(self)
        pages = con.execute("PRAGMA page_count").fetchone()[0]
        con.execute(f"PRAGMA max_page_count = {max(pages, 1)}")
        return con

    monkeypatch.setattr(GeoPackageStore, "_connect", connect)


def _many_observations(n: int = 3000) -> pd.DataFrame:
    rows = [("A", "2022-01-01", "vacant", None, {"note": "x" * 400})] * n
    return make_observations(rows).drop(columns="obs_id")


def test_full_disk_names_the_real_cause_and_leaves_the_store(store, full_disk, csv_file, capsys):
    before = digest(store.path)
    with pytest.raises(StoreError) as caught:
        store.write(ChangeSet(observations=_many_observations()))
    assert "Speicherplatz voll" in str(caught.value) and "no transaction" not in str(caught.value)
    assert digest(store.path) == before
    big = csv_file.with_name("gross.csv")
    big.write_text(
        CSV
        + "".join(
            f"Eisenbahnstraße;{i};04315;12,4;51,345;01.03.2024;leer;;{'y' * 300}\n" for i in range(100, 2100)
        ),
        encoding="utf-8",
    )
    code, _, err = run(["import", str(big), "--store", str(store.path)], capsys)
    assert code == 2 and err.startswith("Fehler: Speicherplatz voll") and err.count("\n") == 1
    assert digest(store.path) == before


def test_schema_version_that_is_no_number_is_a_clear_error(store, capsys):
    con = sqlite3.connect(store.path)
    con.execute("UPDATE qm_meta SET value = 'abc' WHERE key = 'schema_version'")
    con.commit()
    con.close()
    with pytest.raises(SchemaVersionError, match="'abc'.*ganze Zahl"):
        open_store(store.path)
    code, _, err = run(["stats", "--store", str(store.path)], capsys)
    assert code == 2 and "'abc'" in err and err.count("\n") == 1


def test_newer_schema_version_is_refused(store):
    con = sqlite3.connect(store.path)
    con.execute("UPDATE qm_meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 1),))
    con.commit()
    con.close()
    with pytest.raises(SchemaVersionError, match="neuere Programmversion"):
        open_store(store.path)


def test_sqlite_and_file_errors_become_store_errors(tmp_path):
    blocker = tmp_path / "eine-datei"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(StoreError, match="lässt sich nicht anlegen"):
        GeoPackageStore.create(blocker / "register.gpkg")
    broken = tmp_path / "kaputt.gpkg"
    broken.write_bytes(b"SQLite format 3\x00" + b"\xff" * 200)
    with pytest.raises(StoreError):
        open_store(broken)


# -- append-only against every SQL path --------------------------------------------------------------


#: Statements that would rewrite history, per backend; every one must be refused.
REWRITES = {
    "gpkg": (
        "INSERT OR REPLACE INTO observations (obs_id, unit_id, observed_on, status, recorded_at)"
        " VALUES (1, 'A', '2020-01-01', 'vacant', '2020-01-01T00:00:00Z')",
        "REPLACE INTO visits (visit_id, unit_id, visited_on, outcome, recorded_at)"
        " VALUES (1, 'A', '2021-01-01', 'spoken_owner', '2021-01-01T00:00:00Z')",
        "DELETE FROM visits WHERE visit_id = 1",
        "UPDATE visits SET note = 'anders' WHERE visit_id = 1",
    ),
    "postgis": (
        "INSERT INTO observations (obs_id, unit_id, observed_on, status, recorded_at)"
        " VALUES (1, 'A', '2020-01-01', 'vacant', '2020-01-01T00:00:00Z')"
        " ON CONFLICT (obs_id) DO UPDATE SET status = excluded.status",
        "INSERT INTO visits (visit_id, unit_id, visited_on, outcome, recorded_at)"
        " VALUES (1, 'A', '2021-01-01', 'spoken_owner', '2021-01-01T00:00:00Z')"
        " ON CONFLICT (visit_id) DO UPDATE SET outcome = excluded.outcome",
        "DELETE FROM visits WHERE visit_id = 1",
        "UPDATE visits SET note = 'anders' WHERE visit_id = 1",
        "TRUNCATE observations CASCADE",
        "TRUNCATE visits",
    ),
}


def test_insert_or_replace_cannot_rewrite_history(any_store, store_factory):
    store = any_store
    for statement in REWRITES[store_factory.name]:
        with pytest.raises(store_factory.errors, match="append-only"):
            store_factory.sql(store, statement)
    store_factory.sql(store, "UPDATE visits SET follow_up_done = true WHERE visit_id = 1")  # the one allowed change
    reg = store.read()
    assert reg.observations.set_index("obs_id").loc[1, "status"] == "occupied"
    assert reg.visits["outcome"].tolist() == ["nobody_there", "nobody_there"]
    assert reg.visits["follow_up_done"].tolist() == [True, False]


def _make_version_1(path: Path) -> None:
    """Turn a store into one written by schema version 1 (without the version-2 triggers)."""
    con = sqlite3.connect(path)
    for name in NEW_TRIGGERS:
        con.execute(f"DROP TRIGGER {name}")
    for column in ("geocode_method", "geocode_quality"):  # added by a later step
        con.execute(f"ALTER TABLE units DROP COLUMN {column}")
    con.execute("UPDATE qm_meta SET value = '1' WHERE key = 'schema_version'")
    con.commit()
    con.close()


def test_version_1_store_is_upgraded_on_open(store):
    _make_version_1(store.path)
    assert not set(NEW_TRIGGERS) & triggers(store.path)
    opened = open_store(store.path)
    assert set(NEW_TRIGGERS) <= triggers(store.path)
    assert opened.meta()["schema_version"] == str(SCHEMA_VERSION)
    assert len(opened.read().observations) == 3


def test_read_only_version_1_store_is_read_without_upgrade(store, monkeypatch):
    _make_version_1(store.path)
    before = digest(store.path)

    def read_only(self):
        return sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, isolation_level=None)

    monkeypatch.setattr(GeoPackageStore, "_connect", read_only)
    assert len(open_store(store.path).read().units) == 2
    with pytest.raises(StoreError, match="schreibgeschützt"):
        store.write(ChangeSet(meta={"x": "y"}))
    assert digest(store.path) == before


def test_ids_come_from_the_database_after_deleted_rows(store):
    # an old store edited elsewhere: the last observation and the last visit were deleted
    _make_version_1(store.path)
    con = sqlite3.connect(store.path)
    con.execute("DROP TRIGGER observations_no_delete")
    con.execute("DELETE FROM visits WHERE visit_id = 2")
    con.execute("DELETE FROM observations WHERE obs_id = 3")
    con.commit()
    con.close()
    obs = make_observations([("B", "2023-03-01", "occupied", "Neu")]).drop(columns="obs_id")
    visit = pd.DataFrame(
        [
            {
                "unit_id": "B",
                "visited_on": pd.Timestamp("2023-03-01"),
                "outcome": "status_changed",
                "note": "neu",
                "obs_index": 0,
            }
        ]
    )
    result = store.write(ChangeSet(observations=obs, visits=visit))
    reg = store.read()
    assert result.obs_ids == [4] and result.visit_ids == [3]  # AUTOINCREMENT never reuses 3 and 2
    assert reg.observations.set_index("obs_id").loc[result.obs_ids[0], "business_name"] == "Neu"
    visits = reg.visits.set_index("visit_id")
    assert visits.loc[result.visit_ids[0], "note"] == "neu"
    assert visits.loc[result.visit_ids[0], "obs_id"] == result.obs_ids[0]


def test_missing_values_never_become_text(any_store, store_factory):
    store = any_store
    before = store_factory.state(store)
    for text in ("nan", "None", "NaT"):
        obs = make_observations([("A", "2022-01-01", "vacant", text)]).drop(columns="obs_id")
        with pytest.raises(StoreError, match="Spalte business_name.*fehlender Wert"):
            store.write(ChangeSet(observations=obs))
    stringified = make_observations([("A", "2022-01-01", "vacant")]).drop(columns="obs_id").map(str)
    with pytest.raises(StoreError, match="fehlender Wert"):
        store.write(ChangeSet(observations=stringified))
    assert store_factory.state(store) == before
    # real missing values are stored as NULL
    visits = pd.DataFrame(
        [
            {
                "unit_id": "A",
                "visited_on": pd.Timestamp("2022-02-01"),
                "outcome": "nobody_there",
                "follow_up_on": pd.NaT,
                "note": float("nan"),
            }
        ]
    )
    obs = make_observations([("A", "2022-02-01", "vacant", None, {"note": float("nan")})]).drop(
        columns="obs_id"
    )
    store.write(ChangeSet(observations=obs, visits=visits))
    texts = (
        store_factory.rows(
            store,
            "SELECT COUNT(*) FROM observations"
            " WHERE business_name IN ('nan', 'None', 'NaT') OR note IN ('nan', 'None')",
        )[0][0]
        + store_factory.rows(
            store, "SELECT COUNT(*) FROM visits WHERE CAST(follow_up_on AS TEXT) IN ('NaT', 'nan') OR note IN ('nan', 'None')"
        )[0][0]
    )
    nulls = store_factory.rows(store, "SELECT COUNT(*) FROM visits WHERE follow_up_on IS NULL AND note IS NULL")[0][0]
    assert texts == 0 and nulls == 3


def test_new_store_gets_the_permissions_of_a_normal_file(tmp_path):
    """A register on a shared drive must open for colleagues: not the 0600 of mkstemp."""
    import os

    old = os.umask(0o022)
    try:
        path = tmp_path / "register.gpkg"
        GeoPackageStore.create(path)
        plain = tmp_path / "plain.txt"
        plain.write_text("x")
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == plain.stat().st_mode & 0o777 == 0o644
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".qm-")]

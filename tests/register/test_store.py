"""The register stores: round trips, atomic writes, schema versions — on both backends (GeoPackage, PostGIS).

Tests taking ``store`` run once per backend (``store_factory`` in ``tests/conftest.py``);
``gpkg_store`` ones are about the GeoPackage file itself (GDAL, blobs, the file).
"""

from __future__ import annotations

import hashlib

import pandas as pd
import pyogrio
import pytest

from geo.errors import SchemaVersionError, StoreError
from geo.register.store import SCHEMA_VERSION, ChangeSet, GeoPackageStore, _gpkg, _rows, open_store
from tests.conftest import make_observations, make_units


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _fill(s):
    units = make_units(
        [
            {"unit_id": "A", "street": "Eisenbahnstraße", "housenumber": "66", "lon": 12.4038, "lat": 51.3455,
             "floor_area_m2": 85.5, "owner_name": "Erbengemeinschaft Beispiel"},
            {"unit_id": "B", "street": "Stuttgarter Allee", "housenumber": "12", "lon": 12.2905, "lat": 51.3196},
        ]
    )
    obs = make_observations(
        [("A", "2020-01-01", "occupied", 'Café & Bar "Zur <Ecke>"'), ("A", "2021-01-01", "vacant"),
         ("B", "2020-02-01", "unknown")]
    )
    s.write(ChangeSet(new_units=units, observations=obs.drop(columns="obs_id")))
    return s


@pytest.fixture
def store(store_factory):
    return _fill(store_factory())


@pytest.fixture
def gpkg_store(tmp_path):
    return _fill(open_store(tmp_path / "register.gpkg", create=True))


def test_round_trip(store):
    reg = store.read()
    assert list(reg.units["unit_id"]) == ["A", "B"]
    assert reg.units.crs.to_epsg() == 4326
    assert reg.units.geometry.iloc[0].x == pytest.approx(12.4038)
    assert reg.units["floor_area_m2"].iloc[0] == pytest.approx(85.5)
    assert reg.units["owner_name"].iloc[0] == "Erbengemeinschaft Beispiel"
    obs = reg.observations
    assert list(obs["obs_id"]) == [1, 2, 3]
    assert obs["observed_on"].iloc[1] == pd.Timestamp("2021-01-01")
    assert obs["business_name"].iloc[0] == 'Café & Bar "Zur <Ecke>"'
    assert obs["new_settlement"].dtype == bool


def test_file_is_a_geopackage_gdal_reads(gpkg_store):
    store = gpkg_store
    layers = {name for name, _ in pyogrio.list_layers(store.path)}
    assert {"units", "observations", "boundaries", "imports"} <= layers
    units = pyogrio.read_dataframe(store.path, layer="units")
    assert units.crs.to_epsg() == 4326
    assert units.geometry.iloc[1].x == pytest.approx(12.2905)
    assert units.geometry.iloc[1].y == pytest.approx(51.3196)
    obs = pyogrio.read_dataframe(store.path, layer="observations", read_geometry=False)
    assert list(obs["status"]) == ["occupied", "vacant", "unknown"]


def test_observations_are_append_only(store, store_factory):
    before = store_factory.state(store)
    with pytest.raises(store_factory.errors, match="append-only"):
        store_factory.sql(store, "UPDATE observations SET status = 'occupied' WHERE obs_id = 2")
    with pytest.raises(store_factory.errors, match="append-only"):
        store_factory.sql(store, "DELETE FROM observations")
    assert store_factory.state(store) == before


def test_failed_write_leaves_file_unchanged(store, store_factory):
    before = store_factory.state(store)
    units = make_units([{"unit_id": "C", "lon": 12.41, "lat": 51.35}])
    # the last observation has a status the schema refuses
    obs = make_observations(
        [("C", "2022-01-01", "occupied", "X"), ("A", "2022-01-01", "leer-ish")]
    ).drop(columns="obs_id")
    with pytest.raises(StoreError, match="nichts geändert"):
        store.write(ChangeSet(new_units=units, observations=obs))
    assert store_factory.state(store) == before
    assert len(store.read().units) == 2


def test_interrupted_write_leaves_the_store_unchanged(store, store_factory, monkeypatch):
    before = store_factory.state(store)

    def boom(*args, **kwargs):
        raise KeyboardInterrupt  # Ctrl-C after the units and observations were written in the transaction

    monkeypatch.setattr(_rows, "new_visits", boom)
    visit = pd.DataFrame([{"unit_id": "C", "visited_on": pd.Timestamp("2022-01-01"), "outcome": "nobody_there"}])
    with pytest.raises(KeyboardInterrupt):
        store.write(ChangeSet(
            new_units=make_units([{"unit_id": "C"}]),
            observations=make_observations([("C", "2022-01-01", "vacant")]).drop(columns="obs_id"),
            visits=visit,
        ))
    assert store_factory.state(store) == before
    assert store.version() == 1


def test_interrupted_write_leaves_file_unchanged(gpkg_store, monkeypatch):
    store = gpkg_store
    before = digest(store.path)

    def boom(*args, **kwargs):
        raise KeyboardInterrupt  # as if the user pressed Ctrl-C during the last step

    monkeypatch.setattr(_gpkg, "touch_table", boom)
    with pytest.raises(KeyboardInterrupt):
        store.write(ChangeSet(observations=make_observations([("B", "2022-01-01", "vacant")]).drop(columns="obs_id")))
    assert digest(store.path) == before


def test_unknown_unit_in_observation_is_refused(store, store_factory):
    before = store_factory.state(store)
    with pytest.raises(StoreError):
        store.write(ChangeSet(observations=make_observations([("ZZZ", "2022-01-01", "vacant")]).drop(columns="obs_id")))
    assert store_factory.state(store) == before


def test_schema_version_mismatch_is_refused(store, store_factory):
    store_factory.sql(store, "UPDATE qm_meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(SchemaVersionError, match=f"Schema-Version 99.*Version {SCHEMA_VERSION}"):
        open_store(store.target)


def test_other_files_are_refused_clearly(tmp_path):
    missing = tmp_path / "nope.gpkg"
    with pytest.raises(StoreError, match="nicht gefunden.*python -m geo import"):
        open_store(missing)
    text = tmp_path / "liste.gpkg"
    text.write_text("unit_id;status\n1;leer\n", encoding="utf-8")
    with pytest.raises(StoreError, match="keine"):
        open_store(text)
    other = tmp_path / "other.gpkg"
    import geopandas as gpd
    from shapely.geometry import Point

    gpd.GeoDataFrame({"a": [1]}, geometry=[Point(12.4, 51.3)], crs=4326).to_file(other)
    with pytest.raises(StoreError, match="qm_meta"):
        open_store(other)


def test_create_refuses_existing_file(gpkg_store):
    with pytest.raises(StoreError, match="existiert bereits"):
        GeoPackageStore.create(gpkg_store.path)


def test_geometry_blob_round_trip_with_envelope():
    from shapely.geometry import Polygon

    poly = Polygon([(12.3, 51.3), (12.4, 51.3), (12.4, 51.4)])
    blob = _gpkg.encode([poly])[0]
    # add a 2-D envelope (flag bits 1-3 = 1) the way GDAL writes it
    with_env = blob[:3] + bytes((blob[3] | 0x02,)) + blob[4:8] + b"\0" * 32 + blob[8:]
    assert _gpkg.decode([with_env])[0].equals(poly)
    assert _gpkg.decode([None])[0] is None


def test_visits_link_to_observations_written_in_the_same_change(store):
    obs = make_observations([("A", "2022-05-01", "occupied", "Neuer Laden")]).drop(columns="obs_id")
    visits = pd.DataFrame(
        [
            {"unit_id": "A", "visited_on": pd.Timestamp("2022-05-01"), "outcome": "status_changed", "obs_index": 0},
            {"unit_id": "B", "visited_on": pd.Timestamp("2022-05-01"), "outcome": "follow_up",
             "follow_up_on": pd.Timestamp("2022-05-15"), "note": "Eigentümer zurückrufen"},
        ]
    )
    result = store.write(ChangeSet(observations=obs, visits=visits))
    reg = store.read()
    assert list(reg.visits["obs_id"].astype("Int64")) == [result.obs_ids[0], pd.NA]
    assert reg.visits["follow_up_on"].iloc[1] == pd.Timestamp("2022-05-15")
    assert not reg.visits["follow_up_done"].any()
    store.write(ChangeSet(follow_ups_done=[result.visit_ids[1]]))
    assert store.read().visits["follow_up_done"].tolist() == [False, True]


def test_visit_with_unknown_outcome_is_refused(store, store_factory):
    before = store_factory.state(store)
    bad = pd.DataFrame([{"unit_id": "A", "visited_on": pd.Timestamp("2022-05-01"), "outcome": "party"}])
    with pytest.raises(StoreError):
        store.write(ChangeSet(visits=bad))
    assert store_factory.state(store) == before


def test_read_only_some_units(store):
    part = store.read(unit_ids=["A", "O'Brien"])
    assert list(part.units["unit_id"]) == ["A"]
    assert set(part.observations["unit_id"]) == {"A"}
    assert list(part.observations["obs_id"]) == [1, 2]
    assert len(part.boundaries) == len(store.read().boundaries)
    assert store.read(unit_ids=[]).units.empty


def test_figures_only_reads_what_the_figures_need(store):
    from geo.register.stats import stats, timeline

    full, lean = store.read(), store.read(figures_only=True)
    for by in ("street", "quarter", None):
        pd.testing.assert_frame_equal(stats(lean, at="2021-06-30", by=by), stats(full, at="2021-06-30", by=by))
    pd.testing.assert_frame_equal(
        timeline(lean, freq="year", start="2019-01-01", end="2021-12-31"),
        timeline(full, freq="year", start="2019-01-01", end="2021-12-31"),
    )
    assert list(lean.units.columns) == list(full.units.columns)
    assert lean.units["owner_name"].isna().all() and lean.units.geometry.isna().all()  # no personal data
    assert lean.observations["business_name"].iloc[0] == 'Café & Bar "Zur <Ecke>"'
    assert list(lean.observations["obs_id"]) == [1, 2, 3]

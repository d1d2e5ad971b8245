"""Checking units' places by hand (``geo.register.relocation``): accept, move, the append-only log, on both backends."""

from __future__ import annotations

import shutil
import sqlite3

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from geo.errors import InputError, StoreConflict
from geo.places.geocoding import review_units
from geo.register import relocation
from geo.register.stats import status_at
from geo.register.store import ChangeSet, open_store
from geo.register.store.transfer import copy_store
from tests.conftest import make_observations, make_units

#: Two Ortsteile side by side around Eisenbahnstraße (12.40 E, 51.345 N).
WEST = shapely.box(12.390, 51.340, 12.405, 51.350)
EAST = shapely.box(12.405, 51.340, 12.420, 51.350)


@pytest.fixture
def store(store_factory):
    """A register with two Ortsteile, three units (fuzzy, street only, exact) and their history."""
    s = store_factory()
    boundaries = gpd.GeoDataFrame(
        {"name": ["West", "Ost"], "quarter": ["Testquartier", "Testquartier"], "source": ["Test", "Test"],
         "approximate": [False, False]},
        geometry=[WEST, EAST], crs="EPSG:4326",
    )
    units = make_units([
        {"unit_id": "F", "street": "Eisenbahnstraße", "housenumber": "29a", "geocode_method": "offline",
         "geocode_quality": "fuzzy_number", "ortsteil": "West", "quarter": "Testquartier", "lon": 12.4000},
        {"unit_id": "S", "street": "Kurze Gasse", "housenumber": "20", "geocode_method": "nominatim",
         "geocode_quality": "street_only", "ortsteil": "West", "quarter": "Testquartier", "lon": 12.4010},
        {"unit_id": "X", "street": "Eisenbahnstraße", "housenumber": "31", "geocode_method": "offline",
         "geocode_quality": "exact", "ortsteil": "West", "quarter": "Testquartier", "lon": 12.4020},
    ])  # fmt: skip
    observations = make_observations([
        ("F", "2024-01-10", "occupied", "Café"), ("F", "2025-02-01", "vacant"),
        ("S", "2024-03-01", "vacant"), ("X", "2024-05-01", "occupied", "Laden"),
    ]).drop(columns="obs_id")  # fmt: skip
    s.write(ChangeSet(boundaries=boundaries, new_units=units, observations=observations))
    return s


def _unit(store, unit_id: str) -> pd.Series:
    units = store.read().units
    return units.loc[units["unit_id"] == unit_id].iloc[0]


def _history(store) -> tuple[pd.DataFrame, pd.DataFrame]:
    register = store.read()
    return register.observations.reset_index(drop=True), status_at(register, pd.Timestamp("2025-06-30").date())[
        ["unit_id", "status"]
    ].reset_index(drop=True)


def test_accepting_a_place_takes_the_unit_off_the_review_list_and_logs_the_check(store, store_factory):
    before = store.version()
    observations, figures = _history(store)
    assert set(review_units(store.read().units)["unit_id"]) == {"F", "S"}
    result = relocation.accept_location(store, "F", expected_version=before, recorded_by="  Frau Test ")
    assert result.version == before + 1 == store.version()
    unit = _unit(store, "F")
    assert (unit["geocode_quality"], unit["geocode_method"]) == ("checked", "offline")  # method kept
    assert unit.geometry.equals(shapely.Point(12.4000, 51.3455))  # the place is as it was
    assert set(review_units(store.read().units)["unit_id"]) == {"S"}
    (check,) = store.location_checks().to_dict("records")
    assert (check["unit_id"], check["action"], check["quality_before"], check["method_before"]) == (
        "F", "accepted", "fuzzy_number", "offline",
    )
    assert (check["lon"], check["lat"]) == (check["lon_before"], check["lat_before"]) == (12.4, 51.3455)
    assert check["recorded_by"] == "Frau Test" and not pd.isna(check["recorded_at"])
    after_obs, after_figures = _history(store)
    pd.testing.assert_frame_equal(after_obs, observations)  # history and figures untouched
    pd.testing.assert_frame_equal(after_figures, figures)


def test_moving_a_unit_sets_the_click_keeps_the_old_point_and_derives_the_area_again(store):
    observations, figures = _history(store)
    relocation.relocate_unit(store, "S", lon=12.41234, lat=51.34567, expected_version=store.version())
    unit = _unit(store, "S")
    assert (unit.geometry.x, unit.geometry.y) == (12.41234, 51.34567)
    assert (unit["geocode_method"], unit["geocode_quality"]) == ("map", "manual")
    assert (unit["ortsteil"], unit["quarter"]) == ("Ost", "Testquartier")  # moved across the Ortsteil line
    (check,) = store.location_checks().to_dict("records")
    assert (check["action"], check["lon"], check["lat"]) == ("moved", 12.41234, 51.34567)
    assert (check["lon_before"], check["lat_before"], check["quality_before"]) == (12.401, 51.3455, "street_only")
    assert "S" not in set(review_units(store.read().units)["unit_id"])
    after_obs, after_figures = _history(store)
    pd.testing.assert_frame_equal(after_obs, observations)
    pd.testing.assert_frame_equal(after_figures, figures)
    # moved again: a second row, the first one kept (append-only)
    relocation.relocate_unit(store, "S", lon=12.4005, lat=51.3460, expected_version=store.version())
    checks = store.location_checks()
    assert checks["action"].tolist() == ["moved", "moved"]
    assert (checks["lon_before"].iloc[1], checks["lat_before"].iloc[1]) == (12.41234, 51.34567)
    assert _unit(store, "S")["ortsteil"] == "West"


@pytest.mark.parametrize(
    ("lon", "lat", "message"),
    [
        (13.5, 51.3, "außerhalb Leipzigs"),  # Dresden's direction
        (12.30, 51.30, r"außerhalb der Quartiere \(Testquartier\)"),  # Leipzig, but not the quarter
        (float("nan"), 51.3, "Kein gültiger Punkt"),
        ("abc", 51.3, "Kein gültiger Punkt"),
    ],
)
def test_a_point_outside_leipzig_or_the_quarter_is_refused_and_nothing_is_written(
    store, store_factory, lon, lat, message
):
    before = store_factory.state(store)
    with pytest.raises(InputError, match=message):
        relocation.relocate_unit(store, "F", lon=lon, lat=lat, expected_version=store.version())
    assert store_factory.state(store) == before


def test_a_stale_version_is_refused_and_nothing_is_written(store, store_factory):
    seen = store.version()
    relocation.accept_location(store, "S", expected_version=seen)  # someone else, meanwhile
    before = store_factory.state(store)
    with pytest.raises(StoreConflict, match="inzwischen geändert"):
        relocation.relocate_unit(store, "F", lon=12.4001, lat=51.3456, expected_version=seen)
    with pytest.raises(StoreConflict, match="inzwischen geändert"):
        relocation.accept_location(store, "F", expected_version=seen)
    assert store_factory.state(store) == before


@pytest.mark.parametrize(("unit_id", "message"), [("X", "genau"), ("nope", "gibt es im Register nicht")])
def test_only_places_to_check_can_be_accepted(store, store_factory, unit_id, message):
    before = store_factory.state(store)
    with pytest.raises(InputError, match=message):
        relocation.accept_location(store, unit_id, expected_version=store.version())
    assert store_factory.state(store) == before


def test_the_log_is_append_only_against_raw_sql(store, store_factory):
    relocation.accept_location(store, "F", expected_version=store.version())
    for statement in ("UPDATE location_checks SET lon = 0", "DELETE FROM location_checks"):
        with pytest.raises(store_factory.errors, match="append-only"):
            store_factory.sql(store, statement)
    if store_factory.name == "gpkg":  # INSERT OR REPLACE deletes without DELETE triggers
        with pytest.raises(store_factory.errors, match="append-only"):
            store_factory.sql(
                store, "INSERT OR REPLACE INTO location_checks (check_id, unit_id, action, lon, lat, recorded_at)"
                " VALUES (1, 'F', 'moved', 0, 0, '2025-01-01T00:00:00Z')",
            )
    else:
        with pytest.raises(store_factory.errors, match="append-only"):
            store_factory.sql(store, "TRUNCATE location_checks")
    assert len(store.location_checks()) == 1


def test_a_check_by_another_program_raises_the_version(store, store_factory):
    before = store.version()
    store_factory.sql(
        store, "INSERT INTO location_checks (unit_id, action, lon, lat, recorded_at)"
        " VALUES ('F', 'accepted', 12.4, 51.3455, '2025-01-01T00:00:00Z')",
    )
    assert store.version() == before + 1


def test_a_copy_keeps_the_checks(store, tmp_path):
    relocation.relocate_unit(store, "F", lon=12.4101, lat=51.3466, expected_version=store.version())
    relocation.accept_location(store, "S", expected_version=store.version())
    copy_store(store.target, tmp_path / "kopie.gpkg")
    copied = open_store(tmp_path / "kopie.gpkg")
    pd.testing.assert_frame_equal(copied.location_checks(), store.location_checks())
    assert _unit(copied, "F")["geocode_quality"] == "manual"


def test_an_older_store_gets_the_log_on_open(tmp_path):
    path = tmp_path / "alt.gpkg"
    s = open_store(path, create=True)
    s.write(ChangeSet(new_units=make_units([{"unit_id": "A", "geocode_quality": "fuzzy_street"}])))
    con = sqlite3.connect(path)
    con.executescript(
        "DROP TABLE location_checks; DELETE FROM gpkg_contents WHERE table_name = 'location_checks';"
        "DELETE FROM qm_migrations WHERE version >= 5;"  # a store of schema version 4 (before the log)
        "UPDATE qm_meta SET value = '4' WHERE key = 'schema_version';"
    )
    con.close()
    copy = tmp_path / "kopie.gpkg"
    shutil.copyfile(path, copy)
    assert open_store(copy).location_checks().empty  # upgraded on open: the table is there, empty
    with sqlite3.connect(copy) as con:
        assert con.execute("SELECT data_type FROM gpkg_contents WHERE table_name = 'location_checks'").fetchone() == (
            "attributes",
        )
    relocation.accept_location(open_store(copy), "A", expected_version=None)
    assert len(open_store(copy).location_checks()) == 1

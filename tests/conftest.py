"""Shared fixtures: small registers built from compact tables, and the shared Leipzig data."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point

from geo.register.history import Register
from geo.register.model import OBSERVATION_COLUMNS, UNIT_COLUMNS

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "leipzig"


@pytest.fixture(scope="session", autouse=True)
def _user_folders(tmp_path_factory):
    """Working copies and caches of the tests go to a temporary folder, never into the user's home.

    Set in the environment, so CLI and app subprocesses inherit it; a ``QM_STORE`` of the
    developer's shell is not written to either.
    """
    base = tmp_path_factory.mktemp("user")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("QM_DATA_DIR", str(base / "data"))
        mp.setenv("QM_CACHE_DIR", str(base / "cache"))
        mp.delenv("QM_OSM_CACHE", raising=False)
        mp.delenv("QM_STORE", raising=False)
        yield base


@pytest.fixture(scope="session")
def postgis_server() -> str:
    """URL of a PostgreSQL server with PostGIS for the tests, or skip.

    ``QM_TEST_POSTGRES_URL`` (``.ci/run`` starts one), else a throwaway cluster made here with
    ``./dev db`` (initdb, pg_ctl; a free port, a temporary folder) and stopped after the session.
    """
    from tests.store_backends import start_postgis

    with start_postgis() as url:
        yield url


@pytest.fixture(params=["gpkg", "postgis"])
def store_factory(request, tmp_path):
    """A backend to make fresh, empty register stores of (GeoPackage file, PostGIS schema), with its raw SQL.

    Call it for a store: ``store_factory()``; see :class:`tests.store_backends.Backend`.
    Each PostGIS store is a fresh schema, dropped after the test.
    """
    from tests.store_backends import GpkgBackend, PostgisBackend

    if request.param == "gpkg":
        yield GpkgBackend(tmp_path)
        return
    backend = PostgisBackend(request.getfixturevalue("postgis_server"))
    try:
        yield backend
    finally:
        backend.drop()


@pytest.fixture
def postgis_url(postgis_server) -> str:
    """The URL of a fresh, empty schema on the test server (dropped after the test)."""
    from tests.store_backends import PostgisBackend

    backend = PostgisBackend(postgis_server)
    try:
        yield backend.new_url()
    finally:
        backend.drop()


@pytest.fixture
def shared_data() -> Path:
    """The real Leipzig data folder next to the project, or skip."""
    if not SHARED.is_dir():
        pytest.skip(f"shared Leipzig data not available at {SHARED}")
    return SHARED


def make_units(rows: list[dict]) -> gpd.GeoDataFrame:
    """Units from dicts; ``lon``/``lat`` default to a point on Eisenbahnstraße."""
    records = []
    geoms = []
    for i, row in enumerate(rows):
        rec = {c: None for c in UNIT_COLUMNS}
        rec.update({k: v for k, v in row.items() if k not in ("lon", "lat")})
        records.append(rec)
        geoms.append(Point(row.get("lon", 12.40 + i * 1e-4), row.get("lat", 51.3455)))
    frame = pd.DataFrame.from_records(records, columns=list(UNIT_COLUMNS))
    frame["floor_area_m2"] = pd.to_numeric(frame["floor_area_m2"]).astype(float)
    return gpd.GeoDataFrame(frame, geometry=geoms, crs="EPSG:4326")


def make_observations(rows: list[tuple]) -> pd.DataFrame:
    """Observations from tuples ``(unit_id, date, status[, business[, extra dict]])``.

    ``obs_id`` follows the order given; ``recorded_at`` is the observation date
    plus the row number in seconds unless ``extra`` sets it.
    """
    records = []
    for i, row in enumerate(rows, start=1):
        unit_id, day, status = row[:3]
        business = row[3] if len(row) > 3 else None
        extra = row[4] if len(row) > 4 else {}
        rec = {c: None for c in OBSERVATION_COLUMNS}
        rec.update(
            obs_id=i,
            unit_id=unit_id,
            observed_on=pd.Timestamp(day),
            status=status,
            business_name=business,
            new_settlement=False,
            recorded_at=pd.Timestamp(day) + pd.Timedelta(seconds=i),
        )
        rec.update(extra)
        records.append(rec)
    frame = pd.DataFrame.from_records(records, columns=list(OBSERVATION_COLUMNS))
    frame["observed_on"] = pd.to_datetime(frame["observed_on"])
    frame["recorded_at"] = pd.to_datetime(frame["recorded_at"])
    frame["new_settlement"] = frame["new_settlement"].astype(bool)
    for col in ("obs_id", "supersedes", "import_id"):
        frame[col] = pd.array(pd.to_numeric(frame[col]), dtype="Int64")
    return frame


def make_register(units: list[dict], observations: list[tuple]) -> Register:
    return Register(make_units(units), make_observations(observations))

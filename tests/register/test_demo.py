"""Tests of geo.register.demo: the fictional demo register."""

from __future__ import annotations

from datetime import date

import geopandas as gpd
import pandas as pd
import pytest

from geo import settings
from geo.places import areas
from geo.register import model
from geo.register.demo import SOURCE_REPORT, SOURCE_WALK, make_demo_register

END = date(2026, 10, 31)


@pytest.fixture(scope="module")
def register() -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    return make_demo_register()


@pytest.fixture(scope="module")
def units(register) -> gpd.GeoDataFrame:
    return register[0]


@pytest.fixture(scope="module")
def observations(register) -> pd.DataFrame:
    return register[1]


def _effective(observations: pd.DataFrame) -> pd.DataFrame:
    """Observations that are not superseded by a correction."""
    return observations[~observations["obs_id"].isin(observations["supersedes"].dropna())]


def _status_at(observations: pd.DataFrame, day: str) -> pd.DataFrame:
    eff = _effective(observations)
    eff = eff[eff["observed_on"] <= pd.Timestamp(day)]
    return eff.sort_values(["observed_on", "obs_id"]).groupby("unit_id").tail(1)


def test_deterministic(register):
    units, observations = make_demo_register()
    pd.testing.assert_frame_equal(units, register[0])
    pd.testing.assert_frame_equal(observations, register[1])
    other_units, other_obs = make_demo_register(seed=7)
    # another seed gives another register: other places and other histories
    assert not other_units.geometry.geom_equals(units.geometry).all()
    assert not other_obs["status"].reset_index(drop=True).equals(observations["status"].reset_index(drop=True))


def test_size_and_columns(units, observations):
    assert len(units) >= 300
    assert list(units.columns) == [*model.UNIT_COLUMNS, "geometry"]
    assert list(observations.columns) == list(model.OBSERVATION_COLUMNS)
    assert isinstance(units, gpd.GeoDataFrame)
    assert units.crs.equals("EPSG:4326")
    assert (units.geom_type == "Point").all()
    lon_min, lat_min, lon_max, lat_max = settings.leipzig_bbox
    assert units.geometry.x.between(lon_min, lon_max).all()
    assert units.geometry.y.between(lat_min, lat_max).all()
    assert len(make_demo_register(n_units=40)[0]) == 40


def test_unit_dtypes_and_values(units):
    for column in ("unit_id", "street", "housenumber", "postcode", "position", "use_class"):
        assert pd.api.types.is_string_dtype(units[column]), column
        assert units[column].notna().all(), column
    assert units["unit_id"].is_unique
    assert units["floor_area_m2"].dtype == "float64"
    area = units["floor_area_m2"].dropna()
    assert area.between(40, 400).all()
    assert 0.08 <= units["floor_area_m2"].isna().mean() <= 0.25
    assert set(units["position"]) == {p.value for p in model.Position}
    assert (units["position"] == "ground_floor").mean() > 0.6
    assert set(units["use_class"]) <= set(model.USE_CLASSES)
    # 04347: Schönefelder Allee in Schönefeld-Abtnaundorf, a street of the demo since it uses the official boundaries
    assert units["postcode"].isin(["04315", "04317", "04318", "04347", "04207", "04209"]).all()
    assert pd.api.types.is_datetime64_dtype(units["created_at"])
    assert units["created_at"].notna().all()


def test_areas_come_from_the_official_boundaries(units):
    assert units["ortsteil"].notna().all() and units["quarter"].notna().all()
    assert set(units["quarter"]) == {"Leipziger Osten", "Grünau"}
    counts = units["quarter"].value_counts()
    assert counts["Leipziger Osten"] > counts["Grünau"] > 0.25 * len(units)
    recomputed = areas.assign_areas(units, areas.official_boundaries())
    pd.testing.assert_series_equal(recomputed["ortsteil"], units["ortsteil"])
    pd.testing.assert_series_equal(recomputed["quarter"], units["quarter"])
    assert units.loc[units["street"] == "Eisenbahnstraße", "quarter"].eq("Leipziger Osten").all()
    assert units.loc[units["street"] == "Stuttgarter Allee", "quarter"].eq("Grünau").all()
    assert units["street"].value_counts().idxmax() == "Eisenbahnstraße"


def test_personal_fields_for_a_share_of_units(units):
    share = units["owner_name"].notna().mean()
    assert 0.45 <= share <= 0.75
    contacts = units.dropna(subset=["contact_person"])
    assert len(contacts) > 0.3 * len(units)
    assert contacts["contact_email"].str.endswith("@example.org").all()
    assert contacts["contact_phone"].str.match(r"^0341 555 0\d{3}$").all()
    assert units.loc[units["owner_name"].isna(), "contact_person"].isna().all()


def test_observation_dtypes_and_ids(units, observations):
    assert observations["obs_id"].dtype == "int64"
    assert observations["obs_id"].tolist() == list(range(1, len(observations) + 1))
    assert observations["unit_id"].isin(units["unit_id"]).all()
    assert units["unit_id"].isin(observations["unit_id"]).all()
    assert pd.api.types.is_datetime64_dtype(observations["observed_on"])
    assert (observations["observed_on"] == observations["observed_on"].dt.normalize()).all()
    assert pd.api.types.is_datetime64_dtype(observations["recorded_at"])
    assert (observations["recorded_at"] >= observations["observed_on"]).all()
    assert observations["recorded_at"].is_monotonic_increasing
    assert observations["new_settlement"].dtype == bool
    assert observations["supersedes"].dtype == "Int64"
    assert observations["import_id"].dtype == "Int64" and observations["import_id"].isna().all()
    assert set(observations["status"]) <= set(model.STATUSES)
    assert set(observations["confidence"]) <= {c.value for c in model.Confidence}
    assert set(observations["source"]) == {SOURCE_WALK, SOURCE_REPORT}
    sectors = set(observations["sector"].dropna())
    assert sectors <= set(model.USE_CLASSES) | set(model.WZ_SECTIONS)
    assert sectors & set(model.WZ_SECTIONS) and sectors & set(model.USE_CLASSES)
    assert observations["recorded_by"].notna().all()
    first = observations.groupby("unit_id")["recorded_at"].min()
    assert units.set_index("unit_id")["created_at"].equals(first.rename("created_at"))


def test_observation_dates_within_history(observations):
    assert observations["observed_on"].min() >= pd.Timestamp("2015-01-01")
    assert observations["observed_on"].max() <= pd.Timestamp(END)
    short = make_demo_register(end=date(2019, 6, 30), n_units=60)[1]
    assert short["observed_on"].max() <= pd.Timestamp("2019-06-30")


def test_statuses_cover_all_values(observations):
    assert set(observations["status"]) == set(model.STATUSES)
    business = observations["business_name"].notna()
    assert (observations.loc[business, "status"].isin(["occupied", "temporary_use"])).all()
    occupied = observations["status"] == "occupied"
    assert observations.loc[occupied, "business_name"].notna().all()


def test_one_observation_per_unit_and_day_except_corrections(observations):
    plain = observations[observations["supersedes"].isna()]
    assert not plain.duplicated(["unit_id", "observed_on"]).any()


def test_corrections_supersede_same_unit_and_date(observations):
    corrections = observations.dropna(subset=["supersedes"])
    assert 3 <= len(corrections) <= 20
    by_id = observations.set_index("obs_id")
    for row in corrections.itertuples():
        original = by_id.loc[int(row.supersedes)]
        assert original["unit_id"] == row.unit_id
        assert original["observed_on"] == row.observed_on
        assert original["recorded_at"] < row.recorded_at
        assert int(row.supersedes) < row.obs_id
        assert row.note.startswith("Korrektur")


def test_demolitions_end_histories(units, observations):
    demolished = observations.loc[observations["status"] == "demolished", "unit_id"]
    assert 3 <= demolished.nunique() <= 6
    assert demolished.is_unique
    quarters = units.set_index("unit_id").loc[demolished, "quarter"]
    assert (quarters == "Grünau").any()
    for unit_id in demolished:
        history = observations[observations["unit_id"] == unit_id]
        assert history.sort_values("observed_on")["status"].iloc[-1] == "demolished"


def test_new_settlements_and_business_changes(observations):
    flagged = observations[observations["new_settlement"]]
    assert len(flagged) > 50
    assert (flagged["status"] == "occupied").all()
    first = observations.sort_values("obs_id").groupby("unit_id").head(1)
    assert first["new_settlement"].any()
    eff = _effective(observations).sort_values(["unit_id", "observed_on"])
    previous = eff.groupby("unit_id")["business_name"].shift()
    changes = eff[(eff["status"] == "occupied") & previous.notna() & (previous != eff["business_name"])]
    assert len(changes) > 0


def test_names_that_need_html_escaping(observations):
    names = observations["business_name"].dropna()
    assert (names == 'Café & Bar "Zur <Ecke>"').any()
    assert names.str.contains("'", regex=False).any()
    last = _status_at(observations, END.isoformat())
    assert (last["business_name"] == 'Café & Bar "Zur <Ecke>"').any()
    assert observations["note"].dropna().str.contains("<", regex=False).any()


def test_vacancy_level_and_trend(units, observations):
    quarter = units.set_index("unit_id")["quarter"]

    def rates(day: str) -> pd.Series:
        last = _status_at(observations, day)
        last = last[last["status"] != "demolished"]
        vacant = last["status"].isin(model.VACANT_STATUSES)
        return vacant.groupby(last["unit_id"].map(quarter)).mean()

    start, now = rates("2015-12-31"), rates(END.isoformat())
    overall = _status_at(observations, END.isoformat())
    overall = overall[overall["status"] != "demolished"]["status"].isin(model.VACANT_STATUSES)
    assert 0.08 <= overall.mean() <= 0.22
    assert now["Grünau"] > now["Leipziger Osten"]
    assert start["Leipziger Osten"] > now["Leipziger Osten"] + 0.05

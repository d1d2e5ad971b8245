"""Tests of geo.places.areas: quarter configuration, boundaries and spatial assignment."""

from __future__ import annotations

import logging
import time
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo import settings
from geo.errors import InputError
from geo.places import areas
from geo.text import place_key

OSTEN = {
    "Neustadt-Neuschönefeld",
    "Volkmarsdorf",
    "Anger-Crottendorf",
    "Sellerhausen-Stünz",
    "Reudnitz-Thonberg",
    "Schönefeld-Abtnaundorf",
}
GRUENAU = {
    "Grünau-Ost",
    "Grünau-Mitte",
    "Grünau-Nord",
    "Grünau-Siedlung",
    "Lausen-Grünau",
    "Schönau",
}

# Places whose Ortsteil is well known (and lie well inside the official boundaries).
KNOWN_POINTS = [
    ("Torgauer Platz", 12.4146, 51.3459, "Volkmarsdorf", "Leipziger Osten"),
    ("Lukaskirche, Volkmarsdorfer Markt", 12.4105, 51.3480, "Volkmarsdorf", "Leipziger Osten"),
    ("Eisenbahnstraße, westlicher Teil", 12.4000, 51.3460, "Neustadt-Neuschönefeld", "Leipziger Osten"),
    ("Lene-Voigt-Park", 12.4030, 51.3370, "Reudnitz-Thonberg", "Leipziger Osten"),
    ("Stünzer Park", 12.4400, 51.3390, "Sellerhausen-Stünz", "Leipziger Osten"),
    ("Abtnaundorfer Park", 12.4150, 51.3620, "Schönefeld-Abtnaundorf", "Leipziger Osten"),
    ("Allee-Center", 12.2930, 51.3185, "Grünau-Mitte", "Grünau"),
    ("Lausen", 12.2700, 51.3080, "Lausen-Grünau", "Grünau"),
]
OUTSIDE_POINTS = [
    ("Hauptbahnhof", 12.3820, 51.3450),
    ("Völkerschlachtdenkmal", 12.4133, 51.3124),
    ("Augustusplatz", 12.3813, 51.3385),
]


def _points(coords: list[tuple[float, float]], index=None) -> gpd.GeoDataFrame:
    xs, ys = zip(*coords, strict=True)
    return gpd.GeoDataFrame(
        {"label": [f"p{i}" for i in range(len(coords))]},
        geometry=gpd.points_from_xy(xs, ys),
        crs="EPSG:4326",
        index=index,
    )


def _write_layer(tmp_path: Path, frame: gpd.GeoDataFrame, name: str = "layer.geojson") -> Path:
    path = tmp_path / name
    frame.to_file(path)
    return path


# -- configuration ---------------------------------------------------------------


def test_load_quarters_reads_project_config():
    quarters = areas.load_quarters()
    assert list(quarters) == ["Leipziger Osten", "Grünau"]
    osten, gruenau = quarters["Leipziger Osten"], quarters["Grünau"]
    assert osten.slug == "leipziger-osten" and gruenau.slug == "gruenau"
    assert set(osten.ortsteile) == OSTEN
    assert set(gruenau.ortsteile) == GRUENAU
    assert osten.office_name == "Arbeitsladen Leipziger Osten"
    assert "Torgauer Platz" in osten.office_address
    lon_min, lat_min, lon_max, lat_max = settings.leipzig_bbox
    for q in quarters.values():
        assert lon_min < q.office_lon < lon_max and lat_min < q.office_lat < lat_max
    assert osten.has_ortsteil("Sellerhausen-Stuenz")
    assert not osten.has_ortsteil("Grünau-Mitte")


def test_load_quarters_errors(tmp_path):
    with pytest.raises(InputError, match="nicht gefunden"):
        areas.load_quarters(tmp_path / "fehlt.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text('[quarters."A"\nslug = ', encoding="utf-8")
    with pytest.raises(InputError, match="kein gültiges TOML"):
        areas.load_quarters(broken)
    no_office = tmp_path / "no_office.toml"
    no_office.write_text('[quarters."A"]\nslug = "a"\nortsteile = ["X"]\n', encoding="utf-8")
    with pytest.raises(InputError, match="office"):
        areas.load_quarters(no_office)
    twice = tmp_path / "twice.toml"
    office = 'office = { name = "B", address = "C", lon = 12.4, lat = 51.3 }'
    twice.write_text(
        f'[quarters."A"]\nslug = "a"\nortsteile = ["Grünau-Ost"]\n{office}\n'
        f'[quarters."B"]\nslug = "b"\nortsteile = ["Gruenau Ost"]\n{office}\n',
        encoding="utf-8",
    )
    with pytest.raises(InputError, match="mehreren"):
        areas.load_quarters(twice)
    swapped = tmp_path / "swapped.toml"
    swapped.write_text(
        '[quarters."A"]\nslug = "a"\nortsteile = ["X"]\n'
        'office = { name = "B", address = "C", lon = 51.3, lat = 12.4 }\n',
        encoding="utf-8",
    )
    with pytest.raises(InputError, match="vertauscht"):
        areas.load_quarters(swapped)


@pytest.mark.parametrize(
    ("variant", "official"),
    [
        ("Gruenau-Mitte", "Grünau-Mitte"),
        ("GRÜNAU MITTE", "Grünau-Mitte"),
        ("grünau_mitte", "Grünau-Mitte"),
        ("Sellerhausen-Stuenz", "Sellerhausen-Stünz"),
        ("Schoenefeld - Abtnaundorf", "Schönefeld-Abtnaundorf"),
        ("Neustadt–Neuschönefeld", "Neustadt-Neuschönefeld"),  # en dash
        ("Gru\u0308nau-Ost", "Grünau-Ost"),  # decomposed umlaut
        ("Straße", "Strasse"),
    ],
)
def test_place_key_tolerates_spelling(variant, official):
    assert place_key(variant) == place_key(official)


def test_quarter_lookups():
    assert areas.quarter_names() == ("Leipziger Osten", "Grünau")
    assert areas.get_quarter("gruenau").name == "Grünau"
    assert areas.get_quarter("Leipziger Osten").slug == "leipziger-osten"
    assert "Volkmarsdorf" in areas.ortsteile_of("leipziger-osten")
    assert areas.quarter_of("Gruenau-Nord") == "Grünau"
    assert areas.quarter_of("Connewitz") is None
    with pytest.raises(InputError, match="gruenau"):
        areas.get_quarter("Connewitz")


# -- default boundaries (the official ones: tests/places/test_official_boundaries.py) ---------


@pytest.fixture(scope="module")
def shipped() -> gpd.GeoDataFrame:
    return areas.official_boundaries()


# -- assignment ------------------------------------------------------------------


def test_assign_areas_known_points(shipped):
    coords = [(lon, lat) for _, lon, lat, *_ in KNOWN_POINTS]
    coords += [(lon, lat) for _, lon, lat in OUTSIDE_POINTS]
    units = _points(coords)
    result = areas.assign_areas(units, shipped)
    for i, (label, *_, ortsteil, quarter) in enumerate(KNOWN_POINTS):
        assert result["ortsteil"].iloc[i] == ortsteil, label
        assert result["quarter"].iloc[i] == quarter, label
    outside = result.iloc[len(KNOWN_POINTS) :]
    assert outside["ortsteil"].isna().all() and outside["quarter"].isna().all()
    assert "ortsteil" not in units.columns  # input untouched


def test_assign_areas_keeps_order_and_index(shipped):
    rng = np.random.default_rng(1)
    coords = [(lon, lat) for _, lon, lat, *_ in KNOWN_POINTS] * 3 + [
        (lon, lat) for _, lon, lat in OUTSIDE_POINTS
    ]
    order = rng.permutation(len(coords))
    index = pd.Index([f"u{k % 5}" for k in range(len(coords))])  # not unique on purpose
    units = _points([coords[k] for k in order], index=index)
    units["payload"] = np.arange(len(units))
    result = areas.assign_areas(units, shipped)
    assert result.index.equals(units.index)
    assert result["payload"].tolist() == units["payload"].tolist()
    assert result.geometry.equals(units.geometry)
    expected = {(round(lon, 4), round(lat, 4)): ot for _, lon, lat, ot, _ in KNOWN_POINTS}
    for geom, ortsteil in zip(result.geometry, result["ortsteil"], strict=True):
        want = expected.get((round(geom.x, 4), round(geom.y, 4)))
        assert (pd.isna(ortsteil) and want is None) or ortsteil == want


def test_assign_areas_edges_and_overlaps_are_deterministic():
    boundaries = gpd.GeoDataFrame(
        {"name": ["Zeta", "Alpha", "Beta"], "quarter": ["Q", "Q", None]},
        geometry=[
            shapely.box(12.40, 51.34, 12.41, 51.35),
            shapely.box(12.405, 51.34, 12.415, 51.35),  # overlaps Zeta
            shapely.box(12.41, 51.35, 12.42, 51.36),  # shares a corner with Zeta
        ],
        crs="EPSG:4326",
    )
    units = _points([(12.4075, 51.345), (12.402, 51.345), (12.41, 51.35), (12.415, 51.355), (12.5, 51.5)])
    first = areas.assign_areas(units, boundaries)
    assert first["ortsteil"].iloc[0] == "Alpha"  # in the overlap: first by name
    assert first["ortsteil"].iloc[1] == "Zeta"
    assert first["ortsteil"].iloc[2] in {"Alpha", "Beta", "Zeta"}  # on a shared corner
    assert first["ortsteil"].iloc[3] == "Beta" and pd.isna(first["quarter"].iloc[3])
    assert pd.isna(first["ortsteil"].iloc[4])
    again = areas.assign_areas(units, boundaries.iloc[::-1])
    pd.testing.assert_series_equal(first["ortsteil"], again["ortsteil"])


def test_assign_areas_handles_missing_geometry_and_crs(shipped):
    units = gpd.GeoDataFrame(
        {"unit_id": ["a", "b", "c"]},
        geometry=[shapely.Point(12.4146, 51.3459), None, shapely.Point()],
    )  # no CRS: taken as EPSG:4326
    result = areas.assign_areas(units, shipped)
    assert result["ortsteil"].tolist()[0] == "Volkmarsdorf"
    assert result["ortsteil"].iloc[1:].isna().all()
    empty = areas.assign_areas(units.iloc[:0], shipped)
    assert len(empty) == 0 and "ortsteil" in empty.columns
    no_quarter = areas.assign_areas(units, shipped.drop(columns="quarter"))
    assert no_quarter["ortsteil"].iloc[0] == "Volkmarsdorf" and no_quarter["quarter"].isna().all()
    with pytest.raises(InputError, match="name"):
        areas.assign_areas(units, shipped.drop(columns="name"))


def test_assign_areas_is_fast_for_100000_points(shipped):
    rng = np.random.default_rng(7)
    n = 100_000
    units = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy(rng.uniform(12.26, 12.46, n), rng.uniform(51.29, 51.38, n)),
        crs="EPSG:4326",
    )
    start = time.perf_counter()
    result = areas.assign_areas(units, shipped)
    assert time.perf_counter() - start < 5.0
    assert result["quarter"].notna().sum() > 1000


# -- loading boundary files ------------------------------------------------------


def _two_ortsteile(column: str = "name") -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {column: ["Volkmarsdorf", "Gruenau-Mitte"], "OT": ["21", "62"]},
        geometry=[shapely.box(12.405, 51.342, 12.42, 51.35), shapely.box(12.28, 51.31, 12.30, 51.32)],
        crs="EPSG:4326",
    )


@pytest.mark.parametrize("column", ["name", "Name", "NAME", "Ortsteil", "OT_NAME", "ortsteil"])
def test_load_boundaries_detects_name_column(tmp_path, column):
    path = _write_layer(tmp_path, _two_ortsteile(column))
    result = areas.load_boundaries(path)
    loaded = result.frame
    assert loaded.attrs == {}  # the notes travel in the result, not in DataFrame.attrs
    assert list(loaded.columns) == list(areas.BOUNDARY_COLUMNS)
    assert loaded["name"].tolist() == ["Volkmarsdorf", "Grünau-Mitte"]  # official spelling
    assert loaded["quarter"].tolist() == ["Leipziger Osten", "Grünau"]
    assert (loaded["source"] == "layer.geojson").all()
    assert loaded["approximate"].dtype == bool and not loaded["approximate"].any()
    assert any("Nicht in layer.geojson enthalten" in n for n in result.notes)


def test_load_boundaries_name_column_errors(tmp_path):
    ambiguous = _two_ortsteile("name")
    ambiguous["Ortsteil"] = ambiguous["name"]
    path = _write_layer(tmp_path, ambiguous, "ambiguous.geojson")
    with pytest.raises(InputError) as info:
        areas.load_boundaries(path)
    message = str(info.value)
    assert "Mehrere" in message and "OT" in message and "--name-column" in message
    loaded = areas.load_boundaries(path, name_column="Ortsteil").frame
    assert loaded["name"].tolist() == ["Volkmarsdorf", "Grünau-Mitte"]

    nameless = _two_ortsteile("Bezirk_Nr").drop(columns="Bezirk_Nr")
    nameless["Flaeche"] = [1.0, 2.0]
    path = _write_layer(tmp_path, nameless, "nameless.geojson")
    with pytest.raises(InputError) as info:
        areas.load_boundaries(path)
    message = str(info.value)
    assert "Keine Spalte" in message and "OT, Flaeche" in message and "--name-column" in message
    assert areas.load_boundaries(path, name_column="OT").frame["name"].tolist() == ["21", "62"]
    with pytest.raises(InputError, match="Gefundene Spalten: OT, Flaeche"):
        areas.load_boundaries(path, name_column="Ortsteilname")


def test_load_boundaries_reprojects_from_25833(tmp_path, shipped):
    metric = shipped.drop(columns=["quarter", "approximate"]).to_crs("EPSG:25833")
    path = tmp_path / "ortsteile_utm.gpkg"
    metric.to_file(path)
    result = areas.load_boundaries(path)
    loaded = result.frame
    assert loaded.crs.equals("EPSG:4326")
    assert any("umprojiziert" in n for n in result.notes)
    assert loaded["name"].tolist() == shipped["name"].tolist()
    assert loaded["quarter"].tolist() == shipped["quarter"].tolist()
    for got, want in zip(loaded.geometry, shipped.geometry, strict=True):
        assert got.hausdorff_distance(want) < 1e-6


def test_load_boundaries_reads_zipped_shapefile(tmp_path):
    folder = tmp_path / "shp"
    folder.mkdir()
    _two_ortsteile("Ortsteil").to_crs("EPSG:25833").to_file(folder / "ortsteile.shp")
    archive = tmp_path / "ortsteile.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for part in sorted(folder.iterdir()):
            zf.write(part, part.name)
    loaded = areas.load_boundaries(archive).frame
    assert loaded["quarter"].tolist() == ["Leipziger Osten", "Grünau"]
    assert (loaded["source"] == "ortsteile.zip").all()


def test_load_boundaries_repairs_bow_tie(tmp_path, caplog):
    bow_tie = shapely.Polygon([(12.40, 51.34), (12.41, 51.35), (12.41, 51.34), (12.40, 51.35)])
    assert not bow_tie.is_valid
    frame = gpd.GeoDataFrame(
        {"name": ["Volkmarsdorf", "Anger-Crottendorf"]},
        geometry=[bow_tie, shapely.box(12.41, 51.33, 12.43, 51.34)],
        crs="EPSG:4326",
    )
    path = _write_layer(tmp_path, frame)
    with caplog.at_level(logging.WARNING, logger="geo.places.areas"):
        result = areas.load_boundaries(path)
    loaded = result.frame
    assert loaded.is_valid.all()
    assert set(loaded.geom_type) <= {"Polygon", "MultiPolygon"}
    repaired = loaded.geometry.iloc[0]
    assert repaired.area == pytest.approx(0.01 * 0.01 / 2, rel=1e-6)
    assert any("repariert" in n and "Volkmarsdorf" in n for n in result.notes)
    assert "repariert" in caplog.text


def test_load_boundaries_drops_non_polygons_and_merges_parts(tmp_path):
    frame = gpd.GeoDataFrame(
        {"name": ["Volkmarsdorf", "Volkmarsdorf", "Haltestelle", None]},
        geometry=[
            shapely.box(12.405, 51.342, 12.41, 51.35),
            shapely.box(12.41, 51.342, 12.42, 51.35),
            shapely.Point(12.41, 51.345),
            shapely.box(12.30, 51.30, 12.31, 51.31),
        ],
        crs="EPSG:4326",
    )
    path = _write_layer(tmp_path, frame)
    result = areas.load_boundaries(path)
    loaded = result.frame
    assert loaded["name"].tolist() == ["Volkmarsdorf"]
    assert loaded.geometry.iloc[0].area == pytest.approx(0.015 * 0.008)
    notes = " ".join(result.notes)
    assert "Haltestelle" in notes and "vereinigt" in notes and "ohne Namen" in notes


def test_load_boundaries_without_polygons_fails(tmp_path):
    frame = gpd.GeoDataFrame(
        {"name": ["A", "B"]},
        geometry=[shapely.Point(12.4, 51.34), shapely.LineString([(12.4, 51.34), (12.5, 51.35)])],
        crs="EPSG:4326",
    )
    path = _write_layer(tmp_path, frame)
    with pytest.raises(InputError, match="keine Flächen.*LineString, Point"):
        areas.load_boundaries(path)


def test_load_boundaries_unreadable_file(tmp_path):
    with pytest.raises(InputError, match="nicht gefunden"):
        areas.load_boundaries(tmp_path / "fehlt.geojson")
    junk = tmp_path / "junk.geojson"
    junk.write_text("das ist kein GeoJSON", encoding="utf-8")
    with pytest.raises(InputError, match="kann nicht gelesen werden"):
        areas.load_boundaries(junk)


# -- OpenStreetMap (stubbed, never online) ----------------------------------------


def test_boundaries_from_osm_with_stub(monkeypatch):
    import osmnx

    queries: list[str] = []

    def fake_geocode(query, **kwargs):
        queries.append(query)
        k = len(queries)
        return gpd.GeoDataFrame(
            {"display_name": [query]},
            geometry=[shapely.box(12.3 + k * 0.01, 51.3, 12.305 + k * 0.01, 51.305)],
            crs="EPSG:4326",
        )

    monkeypatch.setattr(osmnx, "geocode_to_gdf", fake_geocode)
    result = areas.boundaries_from_osm()
    assert len(result) == 12 and len(queries) == 12
    assert "Sellerhausen-Stünz, Leipzig, Germany" in queries
    assert list(result.columns) == list(areas.BOUNDARY_COLUMNS)
    assert set(result["name"]) == OSTEN | GRUENAU
    assert result["quarter"].notna().all()
    assert not result["approximate"].any()
    assert result["source"].str.contains("OpenStreetMap").all()


def test_boundaries_from_osm_offline(monkeypatch):
    import osmnx
    import requests

    def offline(query, **kwargs):
        raise requests.exceptions.ConnectionError("Name or service not known")

    monkeypatch.setattr(osmnx, "geocode_to_gdf", offline)
    with pytest.raises(InputError, match="nicht erreichbar"):
        areas.boundaries_from_osm()


def test_boundaries_from_osm_point_only(monkeypatch):
    import osmnx

    def point(query, **kwargs):
        return gpd.GeoDataFrame(geometry=[shapely.Point(12.4, 51.34)], crs="EPSG:4326")

    monkeypatch.setattr(osmnx, "geocode_to_gdf", point)
    with pytest.raises(InputError, match="keine Fläche"):
        areas.boundaries_from_osm()


# -- the official Ortsteil layer (real data, outside the repo) ----------------------


@pytest.fixture
def official(shared_data: Path) -> gpd.GeoDataFrame:
    """The official Ortsteil layer (62 polygons, properties ``OT`` and ``Name``)."""
    return areas.load_boundaries(shared_data / "ortsteile.geojson").frame


@pytest.mark.shared_data
def test_official_file_assigns_exactly_the_twelve_ortsteile(official):
    assert len(official) == 62
    assert official.is_valid.all()
    assigned = official.dropna(subset=["quarter"])
    assert set(assigned["name"]) == OSTEN | GRUENAU
    assert set(assigned.loc[assigned["name"].isin(OSTEN), "quarter"]) == {"Leipziger Osten"}
    assert set(assigned.loc[assigned["name"].isin(GRUENAU), "quarter"]) == {"Grünau"}
    assert (official["source"] == "ortsteile.geojson").all()


@pytest.mark.shared_data
def test_official_file_agrees_on_known_points(official):
    coords = [(lon, lat) for _, lon, lat, *_ in KNOWN_POINTS]
    result = areas.assign_areas(_points(coords), official)
    assert result["quarter"].tolist() == [q for *_, q in KNOWN_POINTS]


@pytest.mark.shared_data
def test_demo_units_lie_in_their_ortsteil_by_the_city_layer(official):
    from geo.register.demo import make_demo_register

    units, _ = make_demo_register()
    checked = areas.assign_areas(units, official)
    # the demo is made in the official boundaries: every unit in its quarter and Ortsteil
    assert (checked["quarter"] == units["quarter"]).all()
    assert (checked["ortsteil"] == units["ortsteil"]).all()

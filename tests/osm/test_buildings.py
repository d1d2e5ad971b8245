"""Tests of geo.osm.buildings: building-stock figures from OSM building snapshots."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import mapping, shape

from geo import settings
from geo.cli import buildings as buildings_cli
from geo.errors import InputError
from geo.osm import buildings as B
from geo.osm.classify import commercial_flags
from geo.osm.snapshots import load_snapshots, snapshot_date
from geo.places.areas import load_boundaries

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data" / "leipzig"

TO_METRIC = Transformer.from_crs("EPSG:4326", "EPSG:25833", always_xy=True)
TO_LONLAT = Transformer.from_crs("EPSG:25833", "EPSG:4326", always_xy=True)

# the border between the two synthetic Ortsteile: x = X0 (metric); west is Neustadt-Neuschönefeld
X0, Y0 = TO_METRIC.transform(12.41, 51.345)
GX, GY = TO_METRIC.transform(12.29, 51.32)  # Grünau-Mitte


def _to_lonlat(geom: shapely.Geometry) -> shapely.Geometry:
    return shapely.transform(geom, lambda xy: np.column_stack(TO_LONLAT.transform(xy[:, 0], xy[:, 1])))


def _to_metric(geom: shapely.Geometry) -> shapely.Geometry:
    return shapely.transform(geom, lambda xy: np.column_stack(TO_METRIC.transform(xy[:, 0], xy[:, 1])))


def rect(x: float, y: float, w: float, h: float, *, ox: float = X0, oy: float = Y0) -> shapely.Geometry:
    """A w x h metre rectangle with its lower left corner (x, y) metres from (ox, oy), in lon/lat."""
    return _to_lonlat(shapely.box(ox + x, oy + y, ox + x + w, oy + y + h))


def feature(osm_id: object, geom: shapely.Geometry | None, **tags: object) -> dict:
    props = {"id": osm_id, "version": str(tags.pop("version", 1)), "timestamp": "1420070400000"}
    props.update({k.replace("__", ":"): v for k, v in tags.items()})
    return {"type": "Feature", "properties": props, "geometry": None if geom is None else mapping(geom)}


def write(path: Path, features: list[dict]) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    return path


@pytest.fixture
def boundaries(tmp_path: Path) -> gpd.GeoDataFrame:
    """Three synthetic Ortsteile: two adjacent ones in the Leipziger Osten, one in Grünau."""
    west = _to_lonlat(shapely.box(X0 - 500, Y0 - 500, X0, Y0 + 500))
    east = _to_lonlat(shapely.box(X0, Y0 - 500, X0 + 500, Y0 + 500))
    gruenau = _to_lonlat(shapely.box(GX - 300, GY - 300, GX + 300, GY + 300))
    feats = [
        {"type": "Feature", "properties": {"Name": n}, "geometry": mapping(g)}
        for n, g in (("Neustadt-Neuschoenefeld", west), ("Volkmarsdorf", east), ("Grünau-Mitte", gruenau))
    ]
    return load_boundaries(write(tmp_path / "ot.geojson", feats)).frame


B7 = shapely.Polygon([(60, 60), (66, 60), (66, 65), (60, 65)])  # 6 x 5 m, metric offsets


def b7(*, noise: float = 0.0, extra_vertex: bool = False) -> shapely.Geometry:
    coords = [(X0 + x, Y0 + y) for x, y in B7.exterior.coords[:-1]]
    if extra_vertex:
        coords.insert(1, (X0 + 63, Y0 + 60))
    geom = _to_lonlat(shapely.Polygon(coords))
    return shapely.transform(geom, lambda xy: xy + noise)


@pytest.fixture
def series(tmp_path: Path) -> list[Path]:
    """Three yearly snapshots of three areas (2014-2016) with known changes.

    1  west, 10x10, unchanged
    2  west, 10x20, building=yes -> retail in 2016 (use change)
    3  east, 12x10 apartments, extended to 12x15 in 2015 (geometry change)
    4  east, 8x8 with shop=bakery (commercial), removed in 2016
    5  east, 10x10 house, added in 2015
    6  20x10 straddling the border (most of it east), in both area files, amenity=parking
    7  east, 6x5, float noise in 2015 and an extra vertex on an edge in 2016 (no change)
    8  Grünau, 10x10 with amenity=restaurant (commercial)
    plus quirks: id 1 twice in the west file 2015, a building=no and a feature
    without geometry in 2015, ids as integers in 2016, columns shop/amenity
    only where used.
    """
    folder = tmp_path / "snapshots"
    folder.mkdir()
    b1, b2 = rect(-100, 0, 10, 10), rect(-60, 0, 10, 20)
    b3_old, b3_new = rect(20, 0, 12, 10), rect(20, 0, 12, 15)
    b4, b5, b6 = rect(40, 0, 8, 8), rect(80, 0, 10, 10), rect(-4, 30, 20, 10)
    b8 = rect(0, 0, 10, 10, ox=GX, oy=GY)
    paths = []
    # 2014
    paths.append(
        write(
            folder / "West-2014-buildings.geojson",
            [
                feature("1", b1, building="yes"),
                feature("2", b2, building="yes"),
                feature("6", b6, building="yes", amenity="parking"),
            ],
        )
    )
    paths.append(
        write(
            folder / "East-2014-buildings.geojson",
            [
                feature("3", b3_old, building="apartments", building__levels="5"),
                feature("4", b4, building="yes", shop="bakery"),
                feature("6", b6, building="yes", amenity="parking"),
                feature("7", b7(), building="yes"),
            ],
        )
    )
    paths.append(
        write(
            folder / "Gruenau-2014-buildings.geojson",
            [
                feature("8", b8, building="yes", amenity="restaurant"),
            ],
        )
    )
    # 2015
    paths.append(
        write(
            folder / "West-2015-buildings.geojson",
            [
                feature("1", b1, building="yes"),
                feature("2", b2, building="yes"),
                feature("1", b1, building="yes"),
                feature("6", b6, building="yes", amenity="parking"),
                feature("9", rect(-200, 0, 10, 10), building="no", note="abgerissen"),
                feature("10", None, building="yes"),
            ],
        )
    )
    paths.append(
        write(
            folder / "East-2015-buildings.geojson",
            [
                feature("3", b3_new, building="apartments", version=2),
                feature("4", b4, building="yes", shop="bakery"),
                feature("5", b5, building="house", source="survey", date="1912"),
                feature("6", b6, building="yes", amenity="parking"),
                feature("7", b7(noise=1e-9), building="yes"),
            ],
        )
    )
    paths.append(
        write(
            folder / "Gruenau-2015-buildings.geojson",
            [
                feature("8", b8, building="yes", amenity="restaurant"),
            ],
        )
    )
    # 2016: ids as integers
    paths.append(
        write(
            folder / "West-2016-buildings.geojson",
            [
                feature(1, b1, building="yes"),
                feature(2, b2, building="retail", version=2),
                feature(6, b6, building="yes", amenity="parking"),
            ],
        )
    )
    paths.append(
        write(
            folder / "East-2016-buildings.geojson",
            [
                feature(3, b3_new, building="apartments", version=2),
                feature(5, b5, building="house"),
                feature(6, b6, building="yes", amenity="parking"),
                feature(7, b7(extra_vertex=True), building="yes", version=2),
            ],
        )
    )
    paths.append(
        write(
            folder / "Gruenau-2016-buildings.geojson",
            [
                feature(8, b8, building="yes", amenity="restaurant"),
            ],
        )
    )
    return paths  # fmt: skip


NS, VD, GM = "Neustadt-Neuschönefeld", "Volkmarsdorf", "Grünau-Mitte"
NA = None
# group, year, buildings, footprint, commercial, added, removed, changed, geometry_changed, use_changed
EXPECTED = [
    (GM, 2014, 1, 100, 1, NA, NA, NA, NA, NA),
    (GM, 2015, 1, 100, 1, 0, 0, 0, 0, 0),
    (GM, 2016, 1, 100, 1, 0, 0, 0, 0, 0),
    (NS, 2014, 2, 300, 0, NA, NA, NA, NA, NA),
    (NS, 2015, 2, 300, 0, 0, 0, 0, 0, 0),
    (NS, 2016, 2, 300, 1, 0, 0, 1, 0, 1),
    (VD, 2014, 4, 120 + 64 + 200 + 30, 1, NA, NA, NA, NA, NA),
    (VD, 2015, 5, 180 + 64 + 100 + 200 + 30, 1, 1, 0, 1, 1, 0),
    (VD, 2016, 4, 180 + 100 + 200 + 30, 0, 0, 1, 0, 0, 0),
]


def _check(stats: pd.DataFrame, expected: list[tuple]) -> None:
    assert list(stats.columns) == list(B.STATS_COLUMNS)
    assert len(stats) == len(expected)
    for row, exp in zip(stats.itertuples(index=False), expected, strict=True):
        group, year, n, area, comm, *events = exp
        assert (row.group, row.date) == (group, pd.Timestamp(year, 1, 1))
        assert (row.buildings, row.commercial) == (n, comm), row
        assert row.footprint_m2 == pytest.approx(area, rel=1e-6)
        got = [row.added, row.removed, row.changed, row.geometry_changed, row.use_changed]
        assert [None if pd.isna(v) else int(v) for v in got] == events, row


# -- synthetic series ------------------------------------------------------------------


def test_load_snapshots_merges_areas_and_deduplicates(series: list[Path]) -> None:
    loaded = load_snapshots(series)
    snaps = loaded.frame
    assert snaps.attrs == {}  # the notes travel in the result, not in DataFrame.attrs
    counts = snaps.groupby("date")["osm_id"].agg(["size", "nunique"])
    assert counts["size"].tolist() == counts["nunique"].tolist() == [7, 8, 7]
    assert snaps["date"].drop_duplicates().tolist() == [pd.Timestamp(y, 1, 1) for y in (2014, 2015, 2016)]
    assert snaps.crs == settings.storage_crs
    assert set(snaps["osm_id"]) == {str(i) for i in range(1, 9)}  # ints and strings alike
    assert set(snaps.geometry.geom_type) == {"Polygon"}
    assert snaps["version"].dtype == "Int64"
    assert "building:levels" in snaps.columns and "shop" in snaps.columns
    slim = load_snapshots(series, tags=["name"]).frame
    assert "building:levels" not in slim.columns and {"building", "shop", "amenity"} <= set(slim.columns)
    five = snaps[(snaps["osm_id"] == "5") & (snaps["date"] == "2015-01-01")].iloc[0]
    assert (five["source"], five["tag:date"], five["file"]) == (
        "survey",
        "1912",
        "East-2015-buildings.geojson",
    )
    notes = " ".join(loaded.notes)
    assert "West-2015-buildings.geojson: 1 doppelte" in notes
    assert "building=no" in notes and "ohne Geometrie" in notes


def test_building_stats_by_ortsteil(series: list[Path], boundaries: gpd.GeoDataFrame) -> None:
    snaps = load_snapshots(series)
    result = B.building_stats(snaps, boundaries)
    _check(result.table, EXPECTED)
    assert result.caveat == B.CAVEAT and result.table.attrs == {}
    # the snapshots' notes are carried over, and a table of the snapshots gives the same figures
    assert result.notes == snaps.notes
    plain = B.building_stats(snaps.frame, boundaries)
    pd.testing.assert_frame_equal(plain.table, result.table)
    assert plain.notes == ()
    assert B.CAVEAT.startswith("OSM-Zuwachs spiegelt Kartierungsaktivität ebenso wie Bautätigkeit wider")


def test_analyse_files_and_folder_match_building_stats(
    series: list[Path], boundaries: gpd.GeoDataFrame
) -> None:
    from_frame = B.building_stats(load_snapshots(series), boundaries)
    for streamed in (B.analyse_files(series, boundaries), B.analyse_folder(series[0].parent, boundaries)):
        pd.testing.assert_frame_equal(streamed.table, from_frame.table)
        assert streamed.notes == from_frame.notes and streamed.caveat == B.CAVEAT


def test_building_stats_by_quarter(series: list[Path], boundaries: gpd.GeoDataFrame) -> None:
    stats = B.building_stats(load_snapshots(series), boundaries, by="quarter").table
    lo = "Leipziger Osten"
    _check(
        stats,
        [
            ("Grünau", 2014, 1, 100, 1, NA, NA, NA, NA, NA),
            ("Grünau", 2015, 1, 100, 1, 0, 0, 0, 0, 0),
            ("Grünau", 2016, 1, 100, 1, 0, 0, 0, 0, 0),
            (lo, 2014, 6, 714, 1, NA, NA, NA, NA, NA),
            (lo, 2015, 7, 874, 1, 1, 0, 1, 1, 0),
            (lo, 2016, 6, 810, 1, 0, 1, 1, 0, 1),
        ],
    )


def test_unassigned_buildings_get_their_own_group(series: list[Path], boundaries: gpd.GeoDataFrame) -> None:
    stats = B.building_stats(load_snapshots(series), boundaries[boundaries["name"] != "Grünau-Mitte"]).table
    rows = stats[stats["group"] == settings.unassigned_label]
    assert rows["buildings"].tolist() == [1, 1, 1]
    assert stats["group"].iloc[-1] == settings.unassigned_label  # listed last


def test_building_changes(series: list[Path], boundaries: gpd.GeoDataFrame) -> None:
    changes = B.building_changes(load_snapshots(series), boundaries=boundaries)
    assert list(changes.columns) == list(B.CHANGE_COLUMNS)
    assert changes.crs == settings.storage_crs
    got = [(r.year, r.kind, r.osm_id) for r in changes.itertuples()]
    assert got == [
        (2015, "added", "5"),
        (2015, "changed", "3"),
        (2016, "removed", "4"),
        (2016, "changed", "2"),
    ]
    by_id = changes.set_index("osm_id")
    assert by_id.loc["5", "kind_label"] == "neu erfasst"
    assert pd.isna(by_id.loc["5", "old_building"]) and by_id.loc["5", "new_building"] == "house"
    assert (by_id.loc["3", "geometry_changed"], by_id.loc["3", "use_changed"]) == (True, False)
    assert by_id.loc["3", "footprint_m2"] == pytest.approx(180, rel=1e-6)
    assert (by_id.loc["2", "old_building"], by_id.loc["2", "new_building"]) == ("yes", "retail")
    assert (by_id.loc["2", "old_commercial"], by_id.loc["2", "new_commercial"]) == (False, True)
    assert by_id.loc["2", "use_changed"] and not by_id.loc["2", "geometry_changed"]
    assert by_id.loc["4", "ortsteil"] == VD and by_id.loc["4", "quarter"] == "Leipziger Osten"
    assert by_id.loc["4", "previous_date"] == pd.Timestamp("2015-01-01")
    first_three = load_snapshots(series[:3]).frame
    assert by_id.loc["4", "geometry"].equals(first_three.set_index("osm_id").geometry["4"])

    since = B.building_changes(load_snapshots(series), since=2016)
    assert since["osm_id"].tolist() == ["4", "2"]
    assert since["ortsteil"].isna().all()
    assert B.building_changes(load_snapshots(series), since="2015-06-01")["osm_id"].tolist() == ["4", "2"]
    assert len(B.building_changes(load_snapshots(series), since=2030)) == 0


def _moved(dx: float) -> gpd.GeoDataFrame:
    """Two snapshots of one 20 x 20 m building, the second shifted east by ``dx`` metres."""
    geoms = [rect(0, 0, 20, 20), rect(dx, 0, 20, 20)]
    return gpd.GeoDataFrame(
        {"osm_id": ["1", "1"], "date": pd.to_datetime(["2020-01-01", "2021-01-01"]), "building": "yes"},
        geometry=geoms,
        crs="EPSG:4326",
    )


def test_building_stats_from_a_hand_made_frame(boundaries: gpd.GeoDataFrame) -> None:
    """Frames not made by load_snapshots: other geometry name, duplicates without version, odd tags."""
    frame = gpd.GeoDataFrame(
        {
            "osm_id": ["1", "1", "2", "3", "2"],
            "date": ["2020-01-01", "2020-01-01", "2020-01-01", "2020-01-01", "2021-01-01"],
            "building": [" Retail", " Retail", None, "no", "yes"],
            "umriss": [
                rect(10, 0, 10, 10),
                rect(10, 0, 10, 10),
                rect(30, 0, 10, 5),
                rect(50, 0, 5, 5),
                rect(30, 0, 10, 5),
            ],
        },
        geometry="umriss",
        crs="EPSG:4326",
    )
    stats = B.building_stats(frame, boundaries).table
    assert stats["group"].unique().tolist() == [VD]
    assert stats["buildings"].tolist() == [2, 1]
    assert stats["commercial"].tolist() == [1, 0]
    assert stats["footprint_m2"].tolist() == pytest.approx([150, 50], rel=1e-6)
    assert stats["removed"].tolist()[1] == 1 and stats["changed"].tolist()[1] == 0


@pytest.mark.parametrize(("dx", "changed"), [(0.0, 0), (0.3, 0), (0.45, 0), (0.6, 1), (3.0, 1)])
def test_geometry_change_threshold(dx: float, changed: int, boundaries: gpd.GeoDataFrame) -> None:
    stats = B.building_stats(_moved(dx), boundaries).table
    assert stats["geometry_changed"].tolist()[1] == changed
    assert stats["changed"].tolist()[1] == changed


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ({"building": "retail"}, True),
        ({"building": "Commercial "}, True),
        ({"building": "kiosk"}, True),
        ({"building": "apartments"}, False),
        ({"building": "yes", "shop": "bakery"}, True),
        ({"building": "yes", "shop": "vacant"}, True),
        ({"building": "yes", "shop": "no"}, False),
        ({"building": "yes", "office": "insurance"}, True),
        ({"building": "yes", "craft": "locksmith"}, True),
        ({"building": "yes", "amenity": "restaurant"}, True),
        ({"building": "yes", "amenity": "school;cafe"}, True),
        ({"building": "yes", "amenity": "parking"}, False),
        ({"building": "yes", "amenity": "bench"}, False),
        ({"building": "yes", "amenity": "place_of_worship"}, False),
        ({"building": "yes", "tourism": "hotel"}, True),
        ({"building": "yes", "tourism": "museum"}, False),
        ({"building": "yes", "leisure": "sports_centre"}, False),
    ],
)
def test_commercial_flags(tags: dict, expected: bool) -> None:
    frame = pd.DataFrame([tags])
    assert commercial_flags(frame).tolist() == [expected]


def test_commercial_flags_without_tag_columns() -> None:
    assert commercial_flags(pd.DataFrame({"building": ["yes", None]})).tolist() == [False, False]


# -- dates and input errors ----------------------------------------------------------


def test_snapshot_date() -> None:
    assert snapshot_date("Volkmarsdorf-2014-buildings.geojson") == pd.Timestamp("2014-01-01")
    assert snapshot_date("/x/osm-2023-06-30.geojson") == pd.Timestamp("2023-06-30")
    assert snapshot_date("a.geojson", dates={"a.geojson": "2020-03-01"}) == pd.Timestamp("2020-03-01")
    assert snapshot_date(
        "/x/a.geojson", dates={Path("/x/a.geojson"): pd.Timestamp("2021-01-01")}
    ) == pd.Timestamp("2021-01-01")
    with pytest.raises(InputError, match="gebaeude.geojson.*kein Jahr"):
        snapshot_date("gebaeude.geojson")
    with pytest.raises(InputError, match="mehrere Daten"):
        snapshot_date("Gebiet-2014-2015.geojson")
    with pytest.raises(InputError, match="kein Datum"):
        snapshot_date("a.geojson", dates={"a.geojson": "gestern"})


def test_dates_mapping_for_files_without_year(tmp_path: Path) -> None:
    a = write(tmp_path / "alt.geojson", [feature("1", rect(0, 0, 10, 10), building="yes")])
    b = write(tmp_path / "neu.geojson", [feature("1", rect(0, 0, 10, 10), building="yes")])
    with pytest.raises(InputError, match="alt.geojson"):
        load_snapshots([a, b])
    snaps = load_snapshots([a, b], dates={"alt.geojson": "2019-01-01", "neu.geojson": "2020-01-01"}).frame
    assert snaps["date"].tolist() == [pd.Timestamp("2019-01-01"), pd.Timestamp("2020-01-01")]


def test_empty_and_missing_files(tmp_path: Path, boundaries: gpd.GeoDataFrame) -> None:
    full = write(
        tmp_path / "East-2014-buildings.geojson", [feature("1", rect(10, 0, 10, 10), building="yes")]
    )
    empty = write(tmp_path / "East-2015-buildings.geojson", [])
    result = B.analyse_files([full, empty], boundaries)
    stats = result.table
    assert stats["buildings"].tolist() == [1, 0]
    assert stats["removed"].tolist()[1] == 1
    assert any("East-2015-buildings.geojson enthält keine Gebäude" in n for n in result.notes)

    zero = tmp_path / "East-2016-buildings.geojson"
    zero.write_bytes(b"")
    with pytest.raises(InputError, match=r"East-2016-buildings.geojson ist leer \(0 Byte\)"):
        B.analyse_files([full, zero], boundaries)
    with pytest.raises(InputError, match="nicht gefunden.*East-2017"):
        B.analyse_files([full, tmp_path / "East-2017-buildings.geojson"], boundaries)
    broken = tmp_path / "East-2018-buildings.geojson"
    broken.write_text("{kein json", encoding="utf-8")
    with pytest.raises(InputError, match="East-2018-buildings.geojson kann nicht gelesen werden"):
        B.analyse_files([broken], boundaries)
    with pytest.raises(InputError, match="keine Dateien"):
        B.analyse_folder(tmp_path, boundaries, pattern="*.gpkg")
    with pytest.raises(InputError, match="Ordner .* nicht gefunden"):
        B.analyse_folder(tmp_path / "fehlt", boundaries)


def test_missing_area_file_is_noted(series: list[Path], boundaries: gpd.GeoDataFrame) -> None:
    without = [p for p in series if p.name != "Gruenau-2015-buildings.geojson"]
    result = B.analyse_files(without, boundaries)
    stats = result.table
    gm = stats[stats["group"] == GM]
    assert gm["buildings"].tolist() == [1, 0, 1]
    assert gm["removed"].tolist()[1] == 1 and gm["added"].tolist()[2] == 1
    notes = " ".join(result.notes)
    assert "keine Datei für Gruenau – " in notes and "erstmals Datei(en) für Gruenau – " in notes


def test_invalid_and_odd_geometries(tmp_path: Path, boundaries: gpd.GeoDataFrame) -> None:
    bowtie = _to_lonlat(
        shapely.Polygon([(X0 + 10, Y0), (X0 + 20, Y0 + 10), (X0 + 20, Y0), (X0 + 10, Y0 + 10)])
    )
    multi = shapely.MultiPolygon([rect(30, 0, 10, 10), rect(50, 0, 10, 10)])
    ring = rect(70, 0, 10, 10).exterior
    path = write(
        tmp_path / "East-2014-buildings.geojson",
        [
            feature("1", bowtie, building="yes"),
            feature("2", multi, building="yes"),
            {
                "type": "Feature",
                "properties": {"id": "3", "building": "yes"},
                "geometry": mapping(shapely.LineString(ring.coords)),
            },
            feature("4", _to_lonlat(shapely.Point(X0 + 90, Y0)), building="yes"),
            feature("5", rect(100, 0, 10, 10)),
        ],
    )
    loaded = load_snapshots([path])
    snaps = loaded.frame
    assert snaps["osm_id"].tolist() == ["1", "2", "3", "5"]
    assert snaps.geometry.is_valid.all()
    assert snaps.set_index("osm_id").loc["5", "building"] == "yes"  # missing tag: a building anyway
    stats = B.building_stats(snaps, boundaries).table
    assert stats["footprint_m2"].tolist()[0] == pytest.approx(50 + 200 + 100 + 100, rel=1e-6)
    notes = " ".join(loaded.notes)
    assert "repariert" in notes and "geschlossene Linie" in notes and "ohne Fläche" in notes


def test_no_files() -> None:
    with pytest.raises(InputError, match="Keine Schnappschuss-Dateien"):
        load_snapshots([])


def test_missing_id_column(tmp_path: Path) -> None:
    path = tmp_path / "East-2014-buildings.geojson"
    path.write_text(
        json.dumps({"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {"building": "yes"}, "geometry": mapping(rect(0, 0, 5, 5))}
        ]}),
        encoding="utf-8",
    )  # fmt: skip
    with pytest.raises(InputError, match="East-2014-buildings.geojson hat keine Spalte mit der OSM-Kennung"):
        load_snapshots([path])


def test_bad_options(series: list[Path], boundaries: gpd.GeoDataFrame) -> None:
    with pytest.raises(InputError, match="Gruppierung"):
        B.building_stats(load_snapshots(series), boundaries, by="street")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="osm_id"):
        B.building_stats(gpd.GeoDataFrame({"date": []}, geometry=[], crs="EPSG:4326"), boundaries)
    with pytest.raises(InputError, match="since"):
        B.building_changes(load_snapshots(series), since="irgendwann")


# -- command line ----------------------------------------------------------------------


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m geo")
    sub = parser.add_subparsers(dest="command", required=True)
    buildings_cli.add_cli(sub)
    return parser.parse_args(argv)


def _write_boundaries(tmp_path: Path, boundaries: gpd.GeoDataFrame) -> Path:
    path = tmp_path / "grenzen.geojson"
    boundaries[["name", "geometry"]].to_file(path, driver="GeoJSON")
    return path


def test_cli_json(series: list[Path], boundaries: gpd.GeoDataFrame, tmp_path: Path, capsys) -> None:
    args = _parse(
        [
            "buildings",
            *map(str, series),
            "--boundaries",
            str(_write_boundaries(tmp_path, boundaries)),
            "--format",
            "json",
        ]
    )
    assert args.by == "ortsteil"
    assert buildings_cli.run_cli(args) == 0
    out, err = capsys.readouterr()
    rows = json.loads(out)
    assert len(rows) == len(EXPECTED)
    first = rows[0]
    assert first["group"] == GM and first["date"] == "2014-01-01"
    assert first["added"] is None and first["removed"] is None and first["changed"] is None
    vd = [r for r in rows if r["group"] == VD]
    assert [r["buildings"] for r in vd] == [4, 5, 4]
    assert [r["added"] for r in vd] == [None, 1, 0]
    assert vd[1]["footprint_m2"] == pytest.approx(574, rel=1e-6)
    assert "Kartierungsaktivität" in err


def test_cli_csv_and_table(series: list[Path], boundaries: gpd.GeoDataFrame, tmp_path: Path, capsys) -> None:
    grenzen = str(_write_boundaries(tmp_path, boundaries))
    assert (
        buildings_cli.run_cli(
            _parse(
                [
                    "buildings",
                    *map(str, series),
                    "--boundaries",
                    grenzen,
                    "--format",
                    "csv",
                    "--by",
                    "quarter",
                ]
            )
        )
        == 0
    )
    out, _ = capsys.readouterr()
    lines = out.strip().splitlines()
    assert lines[0].split(";")[:8] == [
        "group",
        "date",
        "buildings",
        "footprint_m2",
        "commercial",
        "added",
        "removed",
        "changed",
    ]
    assert lines[1].startswith("Grünau;2014-01-01;1;")
    assert buildings_cli.run_cli(_parse(["buildings", *map(str, series), "--boundaries", grenzen])) == 0
    out, _ = capsys.readouterr()
    assert "Volkmarsdorf" in out and "2016-01-01" in out and "Kartierungsaktivität" in out


def test_cli_error(tmp_path: Path, capsys) -> None:
    args = _parse(
        [
            "buildings",
            str(tmp_path / "X-2014-buildings.geojson"),
            "--boundaries",
            str(tmp_path / "fehlt.geojson"),
        ]
    )
    assert buildings_cli.run_cli(args) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("Fehler: ") and "fehlt.geojson" in err and err.count("\n") == 1


# -- the real Leipzig snapshots ------------------------------------------------------------

REAL_ORTSTEILE = {"Volkmarsdorf": "Volkmarsdorf", "Gruenau-Mitte": "Grünau-Mitte"}
YEARS = range(2014, 2026)
COMMERCIAL_AMENITY = {
    "bank", "bar", "biergarten", "bicycle_rental", "boat_rental", "bureau_de_change", "car_rental",
    "car_wash", "casino", "cafe", "cinema", "coworking_space", "dentist", "dive_centre", "doctors",
    "driving_school", "fast_food", "food_court", "fuel", "gambling", "ice_cream", "internet_cafe",
    "marketplace", "money_transfer", "nightclub", "pharmacy", "post_office", "pub", "restaurant",
    "sauna", "studio", "vehicle_inspection", "veterinary",
}  # fmt: skip


def _is_commercial(tags: dict) -> bool:
    """The documented rule, written out independently of geo.osm.buildings."""

    def values(key: str) -> list[str]:
        raw = tags.get(key)
        return [] if raw is None else [v.strip().lower() for v in str(raw).split(";")]

    return (
        any(
            v in {"retail", "commercial", "office", "industrial", "supermarket", "kiosk"}
            for v in values("building")
        )
        or any(v not in {"", "no", "none"} for k in ("shop", "office", "craft") for v in values(k))
        or any(v in COMMERCIAL_AMENITY for v in values("amenity"))
        or any(v in {"hotel", "hostel", "guest_house", "motel"} for v in values("tourism"))
    )


def _independent(folder: Path, ortsteile_path: Path) -> dict[tuple[str, int], dict]:
    """Figures per (Ortsteil, year) with plain json + shapely + pyproj."""
    polygons = {}
    for feat in json.loads(ortsteile_path.read_text(encoding="utf-8"))["features"]:
        if feat["properties"]["Name"] in REAL_ORTSTEILE.values():
            polygons[feat["properties"]["Name"]] = _to_metric(shape(feat["geometry"]))
    others = [
        _to_metric(shape(f["geometry"]))
        for f in json.loads(ortsteile_path.read_text(encoding="utf-8"))["features"]
        if f["properties"]["Name"] not in polygons
    ]
    snapshots: dict[int, dict[str, dict]] = {}
    for year in YEARS:
        found: dict[str, dict] = {}
        for stem in REAL_ORTSTEILE:
            data = json.loads((folder / f"{stem}-{year}-buildings.geojson").read_text(encoding="utf-8"))
            for feat in data["features"]:
                tags = feat["properties"]
                if feat["geometry"] is None or str(tags.get("building", "yes")).strip().lower() == "no":
                    continue
                osm_id = str(int(tags["id"]))
                if osm_id in found and int(found[osm_id]["version"]) >= int(tags["version"]):
                    continue
                geom = _to_metric(shape(feat["geometry"]))
                point = geom.point_on_surface()
                where = next((name for name, poly in polygons.items() if poly.intersects(point)), None)
                assert where is not None or any(p.intersects(point) for p in others)
                found[osm_id] = {
                    "version": tags["version"],
                    "where": where,
                    "area": geom.area,
                    "geom": geom,
                    "building": str(tags.get("building", "yes")).strip().lower(),
                    "commercial": _is_commercial(tags),
                }
        snapshots[year] = found
    result = {}
    for name in REAL_ORTSTEILE.values():
        for year in YEARS:
            cur = snapshots[year]
            here = {i: b for i, b in cur.items() if b["where"] == name}
            row = {
                "buildings": len(here),
                "footprint_m2": sum(b["area"] for b in here.values()),
                "commercial": sum(b["commercial"] for b in here.values()),
            }
            if year > YEARS[0]:
                prev = snapshots[year - 1]
                row["added"] = sum(i not in prev for i in here)
                row["removed"] = sum(b["where"] == name and i not in cur for i, b in prev.items())
                both = [(prev[i], b) for i, b in here.items() if i in prev]
                row["use_changed"] = sum(
                    old["building"] != new["building"] or old["commercial"] != new["commercial"]
                    for old, new in both
                )
                row["geometry_changed"] = sum(
                    old["geom"].hausdorff_distance(new["geom"]) > 0.5
                    and old["geom"].symmetric_difference(new["geom"]).area > 1.0
                    for old, new in both
                )
            result[(name, year)] = row
    return result


@pytest.mark.shared_data
def test_real_snapshots_against_independent_computation() -> None:
    folder = SHARED / "osm-buildings"
    if not folder.is_dir():
        pytest.skip(f"shared Leipzig building snapshots not available at {folder}")
    ortsteile_path = SHARED / "ortsteile.geojson"
    files = [folder / f"{stem}-{year}-buildings.geojson" for stem in REAL_ORTSTEILE for year in YEARS]
    result = B.analyse_files(files, load_boundaries(ortsteile_path).frame)
    stats = result.table
    expected = _independent(folder, ortsteile_path)

    assert set(stats["date"].dt.year) == set(YEARS)
    for (name, year), exp in expected.items():
        row = stats[(stats["group"] == name) & (stats["date"] == pd.Timestamp(year, 1, 1))]
        assert len(row) == 1, (name, year)
        got = row.iloc[0]
        where = f"{name} {year}"
        assert got["buildings"] == exp["buildings"], where
        assert got["commercial"] == exp["commercial"], where
        assert math.isclose(got["footprint_m2"], exp["footprint_m2"], rel_tol=1e-6), where
        if year == YEARS[0]:
            assert pd.isna(got["added"]) and pd.isna(got["removed"]) and pd.isna(got["changed"])
            continue
        for col in ("added", "removed", "use_changed", "geometry_changed"):
            assert got[col] == exp[col], (where, col, got[col], exp[col])
    # the 2020 extracts hold every building twice: counted once
    assert any("Volkmarsdorf-2020-buildings.geojson: 716 doppelte" in n for n in result.notes)
    vd = stats[stats["group"] == "Volkmarsdorf"].set_index(
        stats["date"].dt.year[stats["group"] == "Volkmarsdorf"]
    )
    assert vd.loc[2020, "buildings"] < 1.1 * vd.loc[2019, "buildings"]


def test_events_outside_every_ortsteil_count_as_unassigned(
    series: list[Path], boundaries: gpd.GeoDataFrame
) -> None:
    """Additions/removals of buildings outside the boundaries go to '(ohne Zuordnung)', not 'nan'."""
    snapshots = load_snapshots(series)
    full = B.building_stats(snapshots, boundaries).table
    kept = boundaries.iloc[:1]
    partial = B.building_stats(snapshots, kept).table
    assert set(partial["group"]) == {kept["name"].iloc[0], settings.unassigned_label}
    for col in ("buildings", "added", "removed", "changed"):
        whole = full.groupby("date")[col].sum(min_count=1)
        split = partial.groupby("date")[col].sum(min_count=1)
        pd.testing.assert_series_equal(whole, split, check_dtype=False)
    outside = partial[partial["group"] == settings.unassigned_label]
    assert outside[["added", "removed", "changed"]].fillna(0).to_numpy().sum() > 0

"""Static maps and charts (geo.outputs.staticmaps, geo.outputs.figures): offline rendering, map furniture, PNG/SVG export."""

from __future__ import annotations

import io
import socket
import sys
import types
from datetime import date
from pathlib import Path
from xml.etree import ElementTree as ET

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from matplotlib.figure import Figure

from geo import settings
from geo.errors import InputError
from geo.outputs import figures as F
from geo.outputs import staticmaps as SM
from geo.register import stats
from geo.register.history import Register
from geo.register.store import open_store

END = date(2025, 12, 31)
START = date(2024, 12, 31)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def register(tmp_path_factory: pytest.TempPathFactory) -> Register:
    """The demo register (read-only copy of data/demo.gpkg, or built fresh)."""
    if settings.demo_store_path.exists():
        return open_store(settings.demo_store_path).read()
    from geo.register.io import build_demo_store

    return open_store(build_demo_store(tmp_path_factory.mktemp("maps") / "demo.gpkg")).read()


@pytest.fixture(scope="module")
def osten(register: Register) -> Register:
    return register.subset((register.units["quarter"] == "Leipziger Osten").fillna(False).to_numpy())


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every attempt to open a network connection fails."""

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise OSError("Netzwerk im Test gesperrt")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def texts(fig: Figure) -> list[str]:
    out = [t.get_text() for t in fig.texts]
    for ax in fig.axes:
        out += [t.get_text() for t in ax.texts]
        legend = ax.get_legend()
        if legend is not None:
            out += [t.get_text() for t in legend.get_texts()]
    return out


def artists_with_gid(fig: Figure, gid: str) -> list[object]:
    return [a for a in fig.findobj() if getattr(a, "get_gid", lambda: None)() == gid]


def map_axes(fig: Figure):
    return next(ax for ax in fig.axes if ax.get_label() == SM.MAP_CRS)


def assert_map_furniture(fig: Figure) -> None:
    ax = map_axes(fig)
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    # EPSG:25833 metres around Leipzig (easting ~ 300-340 km, northing ~ 5.68-5.71 Mm)
    assert 280_000 < x0 < x1 < 360_000
    assert 5_650_000 < y0 < y1 < 5_730_000
    assert ax.get_legend() is not None and ax.get_legend().get_gid() == SM.GID_LEGEND
    scale = [t for t in ax.texts if t.get_gid() == SM.GID_SCALEBAR]
    assert scale and scale[0].get_text().endswith(("m", "km"))
    assert artists_with_gid(fig, SM.GID_NORTH)
    assert "N" in [t.get_text() for t in ax.texts if t.get_gid() == SM.GID_NORTH]


def test_status_map_offline(register: Register, osten: Register, offline: None) -> None:
    current = stats.status_at(osten, END)
    settled = stats.events(osten, kind="settlement", start=START, end=END)
    fig = SM.status_map(
        current,
        boundaries=register.boundaries,
        settlements=settled,
        at=END,
        quarter="Leipziger Osten",
        title="Leipziger Osten",
        demo=True,
    )
    assert_map_furniture(fig)
    shown = texts(fig)
    counts = current["status"].value_counts()
    assert f"genutzt ({counts['occupied']})" in shown
    assert any(t.startswith(f"Neuansiedlung im Zeitraum ({len(set(settled['unit_id']))})") for t in shown)
    joined = " ".join(shown)
    assert "Stand 31.12.2025" in joined
    assert settings.demo_label in joined
    assert f"Ortsteilgrenzen: {SM.OFFICIAL_BOUNDARY_CREDIT}" in joined  # the demo's official boundaries
    assert SM.NO_BASEMAP in joined


def test_change_map_counts(register: Register, osten: Register, offline: None) -> None:
    compared = stats.compare(osten, before=START, after=END)
    fig = SM.change_map(
        compared, boundaries=register.boundaries, before=START, after=END, quarter="Leipziger Osten"
    )
    assert_map_furniture(fig)
    n = int((compared["change"] == "newly_vacant").sum())
    assert f"neu leer ({n})" in texts(fig)


def test_scale_bar_length_is_in_metres() -> None:
    fig = Figure(figsize=(6, 4))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(320_000, 322_000)
    ax.set_ylim(5_690_000, 5_691_000)
    assert SM.add_scale_bar(ax) == "250 m"
    ax.set_xlim(300_000, 320_000)
    assert SM.add_scale_bar(ax) == "2,5 km"
    angle = SM.add_north_arrow(ax)
    assert (
        0 < angle < 4
    )  # west of UTM 33's central meridian (15° E) true north lies a little east of grid north


def test_basemap_without_network_renders_without_tiles(
    monkeypatch: pytest.MonkeyPatch, osten: Register, offline: None
) -> None:
    calls: list[str] = []

    def add_basemap(*_args: object, **_kwargs: object) -> None:
        calls.append("tiles")
        socket.create_connection(("tile.openstreetmap.org", 443))

    fake = types.SimpleNamespace(
        add_basemap=add_basemap,
        providers=types.SimpleNamespace(OpenStreetMap=types.SimpleNamespace(Mapnik="osm")),
    )
    monkeypatch.setitem(sys.modules, "contextily", fake)
    fig = SM.status_map(stats.status_at(osten, END), at=END, basemap=True)
    assert calls == ["tiles"]
    assert SM.NO_BASEMAP in " ".join(texts(fig))
    assert PNG_SIGNATURE == SM.figure_bytes(fig, dpi=50)[:8]


def test_basemap_without_contextily(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "contextily", None)  # import fails
    fig = Figure()
    ax = fig.add_axes((0, 0, 1, 1))
    assert SM.add_basemap(ax) is False


def test_png_and_svg_export(osten: Register, tmp_path: Path) -> None:
    fig = SM.status_map(stats.status_at(osten, END), at=END)
    png = tmp_path / "karte.png"
    SM.save_figure(fig, png, fmt="png", dpi=60)
    assert png.read_bytes()[:8] == PNG_SIGNATURE
    svg = SM.figure_bytes(fig, fmt="svg")
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    assert SM.GID_SCALEBAR.encode() in svg and SM.GID_NORTH.encode() in svg
    with pytest.raises(InputError, match="Bildformat"):
        SM.save_figure(fig, io.BytesIO(), fmt="pdf")  # type: ignore[arg-type]


def test_empty_map() -> None:
    fig = SM.status_map(stats.status_at(Register.empty(), END), at=END)
    assert "Keine Einheiten am Stichtag" in texts(fig)
    assert SM.figure_bytes(fig, dpi=40)[:8] == PNG_SIGNATURE


def test_street_segments(osten: Register) -> None:
    current = stats.status_at(osten, END)
    registered = current.loc[current["status"].notna()]
    labels, segments = SM.street_segments(registered, min_units=3, length_m=400)
    assert labels.notna().all()
    assert segments["segment"].is_unique
    assert set(labels) == set(segments["segment"])
    assert segments.crs.equals(SM.MAP_CRS)
    per_street = registered.groupby("street").size()
    for row in segments.itertuples():
        if per_street[row.street] >= 3:
            assert row.n_units >= 3
        assert row.segment.startswith(row.street)
    counted = labels.value_counts()
    assert (counted.reindex(segments["segment"]).to_numpy() == segments["n_units"].to_numpy()).all()
    long_streets = segments.loc[segments["street"] == "Eisenbahnstraße"]
    assert len(long_streets) >= 3  # about 2 km, cut into sections of about 400 m


def test_segment_map_hides_small_sections(register: Register, osten: Register) -> None:
    current = stats.status_at(osten, END)
    _, segments = SM.street_segments(current.loc[current["status"].notna()])
    segments["rate"] = np.linspace(0, 0.4, len(segments))
    segments["units"] = segments["n_units"]
    shown = np.ones(len(segments), bool)
    shown[0] = False
    fig = SM.segment_map(
        segments,
        column="rate",
        classes=[(0, 0.2, "niedrig", "#ffffcc"), (0.2, np.inf, "hoch", "#800026")],
        shown=shown,
        boundaries=register.boundaries,
        at=END,
    )
    assert_map_furniture(fig)
    shown_texts = texts(fig)
    assert "niedrig" in shown_texts and "hoch" in shown_texts
    assert any("nicht ausgewiesen" in t for t in shown_texts)


def test_streets_layer_is_drawn_and_credited(osten: Register, tmp_path: Path) -> None:
    line = shapely.LineString([(12.395, 51.3464), (12.4215, 51.345)])
    streets = gpd.GeoDataFrame(
        {"name": ["Eisenbahnstraße"], "highway": ["secondary"]}, geometry=[line], crs="EPSG:4326"
    )
    path = tmp_path / "strassen.geojson"
    streets.to_file(path, driver="GeoJSON")
    loaded = SM.load_streets(path)
    assert loaded.crs.equals(SM.MAP_CRS) and len(loaded) == 1
    fig = SM.status_map(stats.status_at(osten, END), streets=loaded, at=END)
    assert f"Straßen: {SM.OSM_CREDIT}" in " ".join(texts(fig))
    with pytest.raises(InputError, match="nicht gefunden"):
        SM.load_streets(tmp_path / "fehlt.geojson")
    points = gpd.GeoDataFrame(geometry=[shapely.Point(12.4, 51.34)], crs="EPSG:4326")
    with pytest.raises(InputError, match="keine Linien"):
        SM.load_streets(points)


def test_boundary_credit() -> None:
    approx = gpd.GeoDataFrame(
        {"name": ["A"], "source": ["x"], "approximate": [True]}, geometry=[shapely.box(0, 0, 1, 1)]
    )
    official = approx.assign(approximate=False, source="ortsteile.geojson")
    assert SM.boundary_credit(approx) == SM.APPROX_BOUNDARY_CREDIT
    assert SM.boundary_credit(official) == SM.OFFICIAL_BOUNDARY_CREDIT
    assert SM.boundary_credit(None) is None


# -- charts ----------------------------------------------------------------------------------------


def test_vacancy_rate_figure_hides_small_groups(osten: Register) -> None:
    years = stats.timeline(osten, freq="year", start="2016-01-01", end=END, by="ortsteil")
    fig = F.vacancy_rate_figure(years, min_units=3)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    small = set(years.loc[years["units"] < 3, "group"]) - set(years.loc[years["units"] >= 3, "group"])
    assert not small & set(labels)
    big = set(years.loc[years["units"] >= 3, "group"])
    assert big <= set(labels)
    ticks = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert ticks[0] == "2016" and ticks[-1] == "2025"


def test_events_and_duration_figures(osten: Register) -> None:
    years = stats.timeline(osten, freq="year", start="2016-01-01", end=END)
    fig = F.events_figure(years, demo=True)
    bar_heights = sorted(int(p.get_height()) for p in fig.axes[0].patches)
    assert sorted([*years["new_settlements"], *years["closures"]]) == bar_heights
    assert settings.demo_label in texts(fig)
    spells = stats.vacancy_spells(osten, at=END)
    bins = stats.duration_bins(spells, bin_months=6)
    assert int(bins[["ongoing", "ended"]].to_numpy().sum()) == len(spells)
    assert int(bins["ongoing"].sum()) == int(spells["ongoing"].sum())
    assert SM.figure_bytes(F.duration_figure(spells), fmt="svg")[:5] in (b"<?xml", b"<svg ")


def test_sector_figure_and_labels() -> None:
    assert F.sector_label("food") == "Gastronomie"
    assert F.sector_label("i") == "I Gastgewerbe"
    assert F.sector_label(None) == "ohne Angabe"
    events = pd.DataFrame({"sector": ["food", "food", "G", None]})
    fig = F.sector_figure(events)
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels[0] == "Gastronomie"  # most settlements on top
    assert sorted(labels) == ["G Handel, Kfz-Reparatur", "Gastronomie", "ohne Angabe"]


def test_charts_without_data() -> None:
    empty = stats.timeline(Register.empty(), freq="year", start="2024-01-01", end=END)
    for fig in (
        F.vacancy_rate_figure(empty),
        F.events_figure(empty.iloc[0:0]),
        F.sector_figure(pd.DataFrame({"sector": []})),
        F.duration_figure(pd.DataFrame({"days": [], "ongoing": []})),
    ):
        assert SM.figure_bytes(fig, dpi=40)[:8] == PNG_SIGNATURE


def test_streets_from_a_cached_osm_network(tmp_path: Path) -> None:
    from geo.osm._synthetic import write_grid_osm

    write_grid_osm(tmp_path / "netz.osm", nx=6, ny=5, spacing_m=80, origin=(12.40, 51.344))
    streets = SM.load_streets(tmp_path / "netz.osm")
    assert len(streets) > 10 and streets.crs.equals(SM.MAP_CRS)
    assert set(streets.geometry.geom_type) <= {"LineString", "MultiLineString"}

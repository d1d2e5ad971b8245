"""A fictional series of yearly building snapshots for the demo register („Demo-Daten (fiktiv)“).

The page *Gebäudebestand* analyses yearly OpenStreetMap building snapshots. The demo
register has none, so the project makes a small series of its own: three made-up
blocks of buildings, one each in Volkmarsdorf, Neustadt-Neuschönefeld and
Grünau-Mitte, as GeoJSON files in the format of real snapshots (``id``, ``version``,
``timestamp`` and the ``building`` tag per footprint, one file per area and year,
``fiktiv-volkmarsdorf-2021-buildings.geojson``). Nothing in them is OpenStreetMap data:
footprints, ids (from :data:`FIRST_ID`), tags and their changes come from a seeded
random generator. Over the years buildings are added (among them a whole row of
garages mapped in one year, the mapping activity the caveat warns of), a few removed,
uses changed (``yes`` -> ``retail``, a shop into a flat) and outlines redrawn.

:func:`write_demo_buildings` writes the series (deterministic: the same files for the
same seed, whatever the date); the committed copy lives in :func:`demo_buildings_dir`
(``data/demo-buildings/``, about 120 KB). Rebuild it with::

    python -c "from geo.osm.demo_buildings import write_demo_buildings as w; w('data/demo-buildings')"

Whatever shows these figures must label them :data:`DEMO_LABEL`.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import shapely
from pyproj import Transformer

from geo import settings

__all__ = [
    "AREAS",
    "DEMO_LABEL",
    "FIRST_ID",
    "YEARS",
    "demo_buildings_dir",
    "demo_file_names",
    "write_demo_buildings",
]

#: Label of the series wherever it is shown (and the ``name`` of every file).
DEMO_LABEL = "Demo-Gebäude (fiktiv)"

#: Snapshot years (each snapshot is the state on 1 January).
YEARS: tuple[int, ...] = (2020, 2021, 2022, 2023, 2024, 2025)

#: First (fictional) building id; real OSM way ids of Leipzig are far below.
FIRST_ID = 9_900_000_001

#: Areas: file-name key (the Ortsteil's :func:`geo.text.slug`), centre (lon, lat) well inside the
#: Ortsteil (more than 300 m from its official border; the buildings lie within 150 m), kind of block.
AREAS: tuple[tuple[str, tuple[float, float], str], ...] = (
    ("volkmarsdorf", (12.41126, 51.34553), "block"),
    ("neustadt-neuschoenefeld", (12.40079, 51.34503), "block"),
    ("gruenau-mitte", (12.28806, 51.31714), "slabs"),
)

_TO_METRIC = Transformer.from_crs("EPSG:4326", settings.metric_crs, always_xy=True)
_TO_LONLAT = Transformer.from_crs(settings.metric_crs, "EPSG:4326", always_xy=True)


@dataclass
class _Building:
    """One fictional footprint: metric rectangle and tags; ``version`` rises with each change."""

    osm_id: int
    box: tuple[float, float, float, float]
    tags: dict[str, str]
    version: int = 1
    edited: int = 0  # year of the last change, for the timestamp


@dataclass
class _Area:
    key: str
    kind: str
    buildings: list[_Building] = field(default_factory=list)
    lots: list[tuple[float, float, float, float]] = field(default_factory=list)  # free places, used in order


def demo_buildings_dir() -> Path:
    """The committed demo series: ``demo-buildings`` in :data:`geo.settings.data_dir`."""
    return Path(settings.data_dir) / "demo-buildings"


def demo_file_names() -> list[str]:
    """Names of the files :func:`write_demo_buildings` writes, in order."""
    return [f"fiktiv-{key}-{year}-buildings.geojson" for key, _, _ in AREAS for year in YEARS]


def _block(x0: float, y0: float, rng: np.random.Generator, ids: list[int], area: _Area) -> None:
    """A Gründerzeit block: two rows of houses along a street, rear buildings, free lots."""
    for row, y in enumerate((y0 + 12, y0 - 28)):  # north and south of a 12 m wide street
        x = x0 - 90.0
        while x < x0 + 80:
            width = float(rng.integers(12, 19))
            if rng.random() < 0.12:  # a gap: a lot that may be built on later
                area.lots.append((x, y, x + width, y + 14))
            else:
                tags = {"building": str(rng.choice(["apartments", "apartments", "residential", "yes"]))}
                tags["building:levels"] = str(rng.integers(3, 6))
                if row == 0 and rng.random() < 0.3:  # a shop on the ground floor of the main street
                    tags["shop"] = str(rng.choice(["bakery", "convenience", "hairdresser", "kiosk", "clothes"]))
                area.buildings.append(_Building(ids.pop(0), (x, y, x + width, y + 14), tags))
            x += width + 0.5
    for k in range(4):  # rear buildings and backyards
        bx = x0 - 70 + 40 * k
        area.lots.append((bx, y0 + 34, bx + 10, y0 + 42))
    area.buildings.append(_Building(ids.pop(0), (x0 - 20, y0 + 32, x0 - 4, y0 + 44), {"building": "commercial"}))


def _slabs(x0: float, y0: float, rng: np.random.Generator, ids: list[int], area: _Area) -> None:
    """Prefabricated slabs (Plattenbau), a shopping pavilion, places for a row of garages."""
    for k in range(3):
        y = y0 - 60 + 45 * k
        levels = str(rng.choice(["5", "6", "11"]))
        area.buildings.append(
            _Building(ids.pop(0), (x0 - 70, y, x0 + 10, y + 12), {"building": "apartments", "building:levels": levels})
        )
    for k in range(3):  # point blocks
        tx = x0 - 60 + 30 * k
        area.buildings.append(
            _Building(ids.pop(0), (tx, y0 + 55, tx + 18, y0 + 73), {"building": "apartments", "building:levels": "16"})
        )
    area.buildings.append(_Building(ids.pop(0), (x0 + 30, y0 - 20, x0 + 55, y0 + 10), {"building": "retail"}))
    area.buildings.append(_Building(ids.pop(0), (x0 + 30, y0 + 25, x0 + 42, y0 + 33), {"building": "yes"}))
    for k in range(8):  # garages, all mapped in the same year
        gx = x0 - 70 + 7 * k
        area.lots.append((gx, y0 + 90, gx + 6, y0 + 96))
    area.lots.append((x0 + 30, y0 - 50, x0 + 50, y0 - 35))


def _evolve(area: _Area, year: int, rng: np.random.Generator, ids: list[int]) -> None:
    """One year of changes: additions, a removal now and then, use changes, redrawn outlines."""
    garages = area.kind == "slabs" and year == 2022
    n_new = min(len(area.lots), 8 if garages else int(rng.integers(1, 3)))
    for _ in range(n_new):
        lot = area.lots.pop(0)
        small = (lot[2] - lot[0]) * (lot[3] - lot[1]) < 100
        tag = "garage" if small and area.kind == "slabs" else str(rng.choice(["yes", "apartments", "retail"]))
        area.buildings.append(_Building(ids.pop(0), lot, {"building": tag}, edited=year))
    if rng.random() < 0.4 and len(area.buildings) > 5:  # demolished (or deleted in OSM)
        area.buildings.pop(int(rng.integers(0, len(area.buildings))))
    changing = area.buildings[int(rng.integers(0, len(area.buildings)))]
    if changing.tags.get("building") == "yes":
        changing.tags["building"] = "retail"
    elif "shop" in changing.tags:
        del changing.tags["shop"]  # the shop became a flat
    else:
        changing.tags["shop"] = "vacant"  # empty premises, mapped as such
    changing.version += 1
    changing.edited = year
    redrawn = area.buildings[int(rng.integers(0, len(area.buildings)))]
    x1, y1, x2, y2 = redrawn.box
    redrawn.box = (x1, y1, x2 + float(rng.integers(1, 4)), y2)  # more precise outline
    redrawn.version += 1
    redrawn.edited = year


def _feature(b: _Building, year: int) -> dict[str, object]:
    x1, y1, x2, y2 = b.box
    ring = shapely.box(x1, y1, x2, y2).exterior.coords
    lon, lat = _TO_LONLAT.transform([p[0] for p in ring], [p[1] for p in ring])
    coords = [[round(float(a), 7), round(float(c), 7)] for a, c in zip(lon, lat, strict=True)]
    stamp = int(np.datetime64(f"{b.edited or year - 1}-06-15", "ms").astype(np.int64))
    props = {"id": str(b.osm_id), "version": str(b.version), "timestamp": str(stamp), **b.tags}
    return {"type": "Feature", "properties": props, "geometry": {"type": "Polygon", "coordinates": [coords]}}


def write_demo_buildings(folder: str | os.PathLike[str], *, seed: int = 2020) -> list[Path]:
    """Write the fictional snapshot series into ``folder`` (created if missing); returns the files.

    One GeoJSON per area of :data:`AREAS` and year of :data:`YEARS`, named as
    :func:`demo_file_names`. The same ``seed`` gives byte-identical files.
    """
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    ids = list(range(FIRST_ID, FIRST_ID + 10_000))
    written: list[Path] = []
    for key, (lon, lat), kind in AREAS:
        area = _Area(key, kind)
        x0, y0 = _TO_METRIC.transform(lon, lat)
        (_block if kind == "block" else _slabs)(x0, y0, rng, ids, area)
        for i, year in enumerate(YEARS):
            if i:
                _evolve(area, year, rng, ids)
            collection = {
                "type": "FeatureCollection",
                "name": f"{DEMO_LABEL}: {key} {year}",
                "features": [_feature(b, year) for b in area.buildings],
            }
            path = out / f"fiktiv-{key}-{year}-buildings.geojson"
            path.write_text(json.dumps(collection, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
            written.append(path)
    return written

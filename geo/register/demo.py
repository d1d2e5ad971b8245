"""Fictional demo register for both quarters.

:func:`make_demo_register` invents commercial units along the real main
commercial streets of the Leipziger Osten and Grünau and a plausible history
of observations from 2015 on. Everything except the street names and the
rough street geometry is fictional: businesses, owners, contact persons
(phone numbers in the ``0341 555 0xxx`` style, e-mail at ``example.org``),
staff initials, statuses. Wherever it is shown it must carry the label
:data:`geo.settings.demo_label` ("Demo-Daten (fiktiv)").

The street polylines (in :mod:`geo.register._demo_data`) were drawn by hand for
this project (approximate, not traced from any data set) and checked against the
official Ortsteil polygons, so that every unit lies on its street (at most
:data:`MAX_STREET_OFFSET_M` from its line, on the side of its house number) and in
the Ortsteil the street really runs through; every Ortsteil of both quarters has
units. The histories are simulated in :mod:`geo.register._demo_history`.
``ortsteil`` and ``quarter`` of the units are never typed in: they come from
:func:`geo.places.areas.assign_areas` against the official boundaries
(:func:`geo.places.areas.official_boundaries`).

The output is fully determined by the arguments; it does not depend on the
current date. The fictional walking network along the same streets is
:mod:`geo.register.demo_network`.
"""

from __future__ import annotations

import math
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from geo import settings
from geo.places.areas import assign_areas, official_boundaries
from geo.register._demo_data import (
    _FIRST_NAMES,
    _LAST_NAMES,
    _OSTEN,
    _OWNERS,
    _STREETS,
    _USE_MIX,
    HISTORY_START,
    SOURCE_REPORT,
    SOURCE_WALK,
    _Street,
)
from geo.register._demo_history import (
    _add_corrections,
    _demolish,
    _ensure_escaping_example,
    _month_index,
    _Names,
    _Obs,
    _observe,
    _simulate,
    _Unit,
)
from geo.register.model import OBSERVATION_COLUMNS, UNIT_COLUMNS
from geo.text import column_key

__all__ = [
    "DEMO_END",
    "DEMO_SEED",
    "HISTORY_START",
    "MAX_STREET_OFFSET_M",
    "SOURCE_REPORT",
    "SOURCE_WALK",
    "make_demo_register",
]


#: Default seed of the demo register.
DEMO_SEED: int = 2015
#: Default last day of the demo history.
DEMO_END: date = date(2026, 10, 31)
#: Farthest a demo unit lies from its street's line (metres): front buildings about 10 m, rear ones 14 m more.
MAX_STREET_OFFSET_M: float = 26.0


def make_demo_register(
    *, seed: int = DEMO_SEED, end: date = DEMO_END, n_units: int = 360
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Make the fictional demo register.

    Everything it returns is fictional and must be labelled
    :data:`geo.settings.demo_label` wherever it is shown.

    Parameters
    ----------
    seed
        Seed of the random generator; equal arguments give equal registers.
    end
        Last possible observation date; histories start in 2015.
    n_units
        Number of units, spread over the commercial streets of both quarters
        (about 60 % Leipziger Osten, 40 % Grünau; every Ortsteil gets some of the default 360).

    Returns
    -------
    units : geopandas.GeoDataFrame
        Columns :data:`geo.register.model.UNIT_COLUMNS` and point ``geometry`` in EPSG:4326,
        ordered by ``unit_id``; ``ortsteil`` and ``quarter`` assigned from the
        official boundaries.
    observations : pandas.DataFrame
        Columns :data:`geo.register.model.OBSERVATION_COLUMNS`, ``obs_id`` 1..n in
        recording order; a few corrections supersede an observation of the
        same unit and date.
    """
    if n_units < 1:
        raise ValueError("n_units must be positive")
    if end <= HISTORY_START:
        raise ValueError(f"end must be after {HISTORY_START.isoformat()}")
    rng = np.random.default_rng(seed)
    units = _make_units(rng, n_units)
    n_months = _month_index(end) + 1
    names = _Names(rng)
    histories = [_simulate(rng, names, unit, n_months) for unit in units]
    _demolish(rng, units, histories, n_months)
    _ensure_escaping_example(units, histories, n_months)
    observations = _observe(rng, units, histories, end)
    _add_corrections(rng, observations)
    return _unit_frame(units, observations), _observation_frame(units, observations)


# -- units -------------------------------------------------------------------------


def _make_units(rng: np.random.Generator, n_units: int) -> list[_Unit]:
    weights = np.array([s.weight for s in _STREETS])
    counts = _largest_remainder(weights / weights.sum(), n_units)
    to_metric = Transformer.from_crs(settings.storage_crs, settings.metric_crs, always_xy=True)
    to_lonlat = Transformer.from_crs(settings.metric_crs, settings.storage_crs, always_xy=True)
    units: list[_Unit] = []
    for street, count in zip(_STREETS, counts, strict=True):
        if count == 0:
            continue
        lo, hi = sorted(street.numbers)
        candidates = np.arange(lo, hi + 1)
        n_buildings = min(max(1, round(count * street.share_distinct)), len(candidates))
        numbers = np.sort(rng.choice(candidates, size=n_buildings, replace=False))
        extra = rng.choice(numbers, size=count - n_buildings, replace=True)
        xs, ys = to_metric.transform([lon for lon, _ in street.line], [lat for _, lat in street.line])
        line = shapely.LineString(list(zip(xs, ys, strict=True)))
        entries = [(int(hn), False) for hn in numbers] + [(int(hn), True) for hn in extra]
        entries.sort(key=lambda e: (e[0], e[1]))
        suffix_of: dict[int, str] = {}
        for hn, is_extra in entries:
            if hn not in suffix_of:
                suffix_of[hn] = "a" if rng.random() < 0.05 else ""
            position, note = _position(rng, is_extra, street.quarter)
            x, y = _place(rng, line, street, hn, position)
            lon, lat = to_lonlat.transform(x, y)
            units.append(
                {
                    "street": street,
                    "housenumber": f"{hn}{suffix_of[hn]}",
                    "postcode": next(pc for upto, pc in street.postcodes if hn <= upto),
                    "address_note": note,
                    "position": position,
                    "lon": round(lon, 6),
                    "lat": round(lat, 6),
                }
            )
    for unit in units:
        quarter = unit["street"].quarter
        mix = _USE_MIX[quarter]
        unit["use_class"] = str(rng.choice(list(mix), p=_normalised(list(mix.values()))))
        area = float(np.clip(rng.lognormal(math.log(85), 0.55), 40, 400))
        unit["floor_area_m2"] = float(round(area)) if rng.random() >= 0.15 else math.nan
        unit.update(_personal(rng))
    return units


def _position(rng: np.random.Generator, is_extra: bool, quarter: str) -> tuple[str, str | None]:
    roll = rng.random()
    if is_extra:
        if roll < 0.55:
            return "upper_floor", str(rng.choice(["1. OG", "1. OG links", "2. OG"]))
        if roll < 0.85:
            return "rear_building", str(rng.choice(["Hinterhaus", "Hof, Seitenflügel"]))
        return "ground_floor", "Laden B" if quarter == _OSTEN else "Pavillon"
    if roll < 0.90:
        note = "Eckladen" if rng.random() < 0.06 else None
        return "ground_floor", note
    if roll < 0.97:
        return "upper_floor", "1. OG"
    return "rear_building", "Hinterhaus"


def _place(
    rng: np.random.Generator, line: shapely.LineString, street: _Street, hn: int, position: str
) -> tuple[float, float]:
    """Metric coordinates of a house number: along the line, offset to its side."""
    start, stop = street.numbers
    frac = (hn - start) / (stop - start)
    dist = float(np.clip(frac * line.length + rng.normal(0, 3), 1.0, line.length - 1.0))
    a = line.interpolate(dist - 1.0)
    b = line.interpolate(dist + 1.0)
    dx, dy = b.x - a.x, b.y - a.y
    norm = math.hypot(dx, dy)
    left = (-dy / norm, dx / norm)
    side = 1.0 if hn % 2 == 1 else -1.0
    offset = 10.0 + rng.uniform(-2, 2) + (14.0 if position == "rear_building" else 0.0)
    p = line.interpolate(dist)
    return p.x + side * offset * left[0], p.y + side * offset * left[1]


def _personal(rng: np.random.Generator) -> dict[str, str | None]:
    empty: dict[str, str | None] = {
        "owner_name": None,
        "contact_person": None,
        "contact_phone": None,
        "contact_email": None,
    }
    if rng.random() >= 0.6:
        return empty
    empty["owner_name"] = str(rng.choice(_OWNERS))
    if rng.random() < 0.85:
        first = str(rng.choice(_FIRST_NAMES))
        last = str(rng.choice(_LAST_NAMES))
        empty["contact_person"] = f"{first} {last}"
        empty["contact_phone"] = f"0341 555 0{int(rng.integers(100, 1000))}"
        empty["contact_email"] = f"{column_key(first)}.{column_key(last)}@example.org"
    return empty


# -- frames ------------------------------------------------------------------------


def _unit_frame(units: list[_Unit], observations: list[_Obs]) -> gpd.GeoDataFrame:
    n = len(units)
    ids = [f"D-{i + 1:04d}" for i in range(n)]
    first_recorded: list[pd.Timestamp | None] = [None] * n
    for obs in observations:
        current = first_recorded[obs.unit]
        if current is None or obs.recorded_at < current:
            first_recorded[obs.unit] = obs.recorded_at
    frame = pd.DataFrame(
        {
            "unit_id": pd.array(ids, dtype="str"),
            "street": pd.array([u["street"].name for u in units], dtype="str"),
            "housenumber": pd.array([u["housenumber"] for u in units], dtype="str"),
            "postcode": pd.array([u["postcode"] for u in units], dtype="str"),
            "address_note": pd.array([u["address_note"] for u in units], dtype="str"),
            "position": pd.array([u["position"] for u in units], dtype="str"),
            "floor_area_m2": np.array([u["floor_area_m2"] for u in units], dtype="float64"),
            "use_class": pd.array([u["use_class"] for u in units], dtype="str"),
            "ortsteil": pd.array([None] * n, dtype="str"),
            "quarter": pd.array([None] * n, dtype="str"),
            "owner_name": pd.array([u["owner_name"] for u in units], dtype="str"),
            "contact_person": pd.array([u["contact_person"] for u in units], dtype="str"),
            "contact_phone": pd.array([u["contact_phone"] for u in units], dtype="str"),
            "contact_email": pd.array([u["contact_email"] for u in units], dtype="str"),
            "created_at": pd.Series(first_recorded, dtype="datetime64[s]"),
            "geocode_method": pd.array([None] * n, dtype="str"),
            "geocode_quality": pd.array([None] * n, dtype="str"),
        }
    )
    gdf = gpd.GeoDataFrame(
        frame,
        geometry=gpd.points_from_xy([u["lon"] for u in units], [u["lat"] for u in units]),
        crs=settings.storage_crs,
    )
    gdf = assign_areas(gdf, official_boundaries())
    return gdf[[*UNIT_COLUMNS, "geometry"]]


def _observation_frame(units: list[_Unit], observations: list[_Obs]) -> pd.DataFrame:
    ids = [f"D-{i + 1:04d}" for i in range(len(units))]
    order = sorted(
        range(len(observations)),
        key=lambda k: (observations[k].recorded_at, observations[k].unit, observations[k].day, k),
    )
    obs_id = {k: n + 1 for n, k in enumerate(order)}
    rows = [observations[k] for k in order]
    supersedes = [obs_id[o.supersedes] if o.supersedes is not None else None for o in rows]
    return pd.DataFrame(
        {
            "obs_id": np.arange(1, len(rows) + 1, dtype="int64"),
            "unit_id": pd.array([ids[o.unit] for o in rows], dtype="str"),
            "observed_on": pd.Series([pd.Timestamp(o.day) for o in rows], dtype="datetime64[s]"),
            "status": pd.array([o.status for o in rows], dtype="str"),
            "business_name": pd.array([o.business for o in rows], dtype="str"),
            "sector": pd.array([o.sector for o in rows], dtype="str"),
            "confidence": pd.array([o.confidence for o in rows], dtype="str"),
            "source": pd.array([o.source for o in rows], dtype="str"),
            "note": pd.array([o.note for o in rows], dtype="str"),
            "new_settlement": np.array([o.new_settlement for o in rows], dtype=bool),
            "supersedes": pd.array(supersedes, dtype="Int64"),
            "recorded_by": pd.array([o.recorded_by for o in rows], dtype="str"),
            "recorded_at": pd.Series([o.recorded_at for o in rows], dtype="datetime64[s]"),
            "import_id": pd.array([None] * len(rows), dtype="Int64"),
        }
    )[list(OBSERVATION_COLUMNS)]


# -- helpers -----------------------------------------------------------------------


def _normalised(values: list[float]) -> np.ndarray:
    arr = np.asarray(values, dtype=float)
    shares: np.ndarray = arr / arr.sum()
    return shares


def _largest_remainder(shares: np.ndarray, total: int) -> list[int]:
    raw = shares * total
    counts = np.floor(raw).astype(int)
    for k in np.argsort(-(raw - counts), kind="stable")[: total - counts.sum()]:
        counts[k] += 1
    return [int(c) for c in counts]

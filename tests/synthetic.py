"""A small synthetic register for the app and map tests (fictional, reproducible)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import Point

from geo.places.areas import assign_areas, official_boundaries
from geo.register.history import Register
from geo.register.model import OBSERVATION_COLUMNS, UNIT_COLUMNS, USE_CLASSES
from geo.register.store import ChangeSet, GeoPackageStore

#: Business names that must be escaped wherever they are shown.
NASTY_NAMES = ('Café & Bar "Zur <Ecke>"', "<script>alert('x')</script> Imbiss")

_STREETS = ["Eisenbahnstraße", "Hermann-Liebmann-Straße", "Torgauer Straße", "Stuttgarter Allee",
            "Ludwigsburger Straße", "Dresdner Straße", "Wurzner Straße", "Lützner Straße"]
_BUSINESSES = ["Bäckerei Sonne", "Friseur Schnitt", "Späti Ost", "Blumen Rosa", "Copyshop Blatt",
               "Nähstube Faden", "Imbiss Eck", "Reisebüro Weit", "Kiosk Mitte", "Laden 42"]


def synthetic_units(n: int, *, seed: int = 7) -> gpd.GeoDataFrame:
    """``n`` units at random points inside the official Ortsteil boundaries."""
    rng = np.random.default_rng(seed)
    bounds = official_boundaries()
    polys = bounds.geometry.to_numpy()
    points = []
    while len(points) < n:
        poly = polys[rng.integers(len(polys))]
        minx, miny, maxx, maxy = poly.bounds
        p = Point(rng.uniform(minx, maxx), rng.uniform(miny, maxy))
        if poly.contains(p):
            points.append(p)
    records = []
    for i in range(n):
        rec = {c: None for c in UNIT_COLUMNS}
        rec.update(
            unit_id=f"S-{i:04d}",
            street=_STREETS[i % len(_STREETS)],
            housenumber=str(1 + i // len(_STREETS)),
            postcode="04315",
            position="ground_floor",
            floor_area_m2=float(rng.integers(20, 300)),
            use_class=USE_CLASSES[i % len(USE_CLASSES)],
            owner_name=f"Eigentümerin {i}",
            contact_person=f"Kontakt {i}",
            contact_phone="0341 000000",
            contact_email=f"kontakt{i}@example.org",
        )
        records.append(rec)
    frame = pd.DataFrame.from_records(records, columns=list(UNIT_COLUMNS))
    frame["floor_area_m2"] = frame["floor_area_m2"].astype(float)
    units = gpd.GeoDataFrame(frame, geometry=points, crs="EPSG:4326")
    return assign_areas(units, bounds)


def synthetic_observations(units: pd.DataFrame, *, seed: int = 7) -> pd.DataFrame:
    """A few observations per unit between 2015 and 2025."""
    rng = np.random.default_rng(seed)
    rows = []
    for i, uid in enumerate(units["unit_id"]):
        day = pd.Timestamp("2015-04-01") + pd.Timedelta(days=int(rng.integers(0, 400)))
        status = "occupied" if rng.random() < 0.75 else "vacant"
        name = NASTY_NAMES[i % 2] if i < 4 else _BUSINESSES[i % len(_BUSINESSES)]
        while day < pd.Timestamp("2025-06-30"):
            rows.append((uid, day, status, name if status == "occupied" else None))
            day += pd.Timedelta(days=int(rng.integers(200, 900)))
            r = rng.random()
            if status == "occupied":
                status = "vacant" if r < 0.35 else ("probably_vacant" if r < 0.45 else "occupied")
            else:
                status = "occupied" if r < 0.55 else status
                if status == "occupied":
                    name = _BUSINESSES[int(rng.integers(len(_BUSINESSES)))] + f" {i}"
    records = []
    for k, (uid, day, status, name) in enumerate(rows, start=1):
        rec = {c: None for c in OBSERVATION_COLUMNS}
        rec.update(obs_id=k, unit_id=uid, observed_on=day, status=status, business_name=name,
                   confidence="confirmed_on_site", source="Begehung", new_settlement=False,
                   note="interne Notiz", recorded_by="Test", recorded_at=day + pd.Timedelta(hours=12))
        records.append(rec)
    obs = pd.DataFrame.from_records(records, columns=list(OBSERVATION_COLUMNS))
    obs["observed_on"] = pd.to_datetime(obs["observed_on"])
    obs["recorded_at"] = pd.to_datetime(obs["recorded_at"])
    obs["new_settlement"] = obs["new_settlement"].astype(bool)
    for col in ("obs_id", "supersedes", "import_id"):
        obs[col] = pd.array(pd.to_numeric(obs[col]), dtype="Int64")
    return obs


def synthetic_register(n: int = 200, *, seed: int = 7) -> Register:
    """A register of ``n`` fictional units with boundaries, marked as demo."""
    units = synthetic_units(n, seed=seed)
    return Register(units, synthetic_observations(units, seed=seed), official_boundaries(), {"demo": "true"})


def synthetic_store(path: Path, n: int = 200, *, seed: int = 7, demo: bool = True) -> Path:
    """Write :func:`synthetic_register` to a new store at ``path`` (flagged demo unless ``demo=False``)."""
    reg = synthetic_register(n, seed=seed)
    store = GeoPackageStore.create(Path(path))
    store.write(
        ChangeSet(
            boundaries=reg.boundaries,
            new_units=reg.units,
            observations=reg.observations.drop(columns=["obs_id"]),
            meta={"demo": "true"} if demo else None,
        )
    )
    return Path(path)

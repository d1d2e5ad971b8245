"""The data of a report: key figures of a period and everything the report shows of one quarter.

Every figure comes from :mod:`geo.register.stats` (``stats``, ``timeline``,
``events``, ``vacancy_spells``, ``longest_vacant``, ``compare``); the public
version computes on a copy of the register without personal columns
(:func:`_for_version`) and, unless unit level is allowed, on street sections
(:func:`geo.outputs.segments.street_segments`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd
from matplotlib.figure import Figure

from geo import settings
from geo.dates import DAYS_PER_MONTH
from geo.errors import InputError
from geo.formats import fmt_date, fmt_int, fmt_months, fmt_pct, fmt_signed
from geo.outputs import staticmaps as SM
from geo.outputs.report.period import Period
from geo.register.history import Register
from geo.register.model import public_frame, wants_internal
from geo.register.stats import compare, events, stats, status_at
from geo.text import file_name, slug

if TYPE_CHECKING:  # pragma: no cover
    from geo.osm.buildings import BuildingStats
    from geo.osm.snapshots import Snapshots

__all__ = [
    "FIGURES",
    "PUBLISHER",
    "file_stem",
    "format_change",
    "format_value",
    "key_figures",
    "load_osm_buildings",
]


#: Publisher line of every report.
PUBLISHER: str = "Quartiersservice Wirtschaft · Arbeitsladen Leipziger Osten, Torgauer Platz 2, 04315 Leipzig"

#: Key figures of the report: key, German label, kind (count, rate, area, signed, days).
FIGURES: tuple[tuple[str, str, str], ...] = (
    ("units", "Gewerbeeinheiten (bekannter Status)", "count"),
    ("vacant", "davon leerstehend", "count"),
    ("vacancy_rate", "Leerstandsquote nach Anzahl", "rate"),
    ("vacancy_rate_area", "Leerstandsquote nach Fläche", "rate"),
    ("vacant_floor_area_m2", "Leerstehende Fläche", "area"),
    ("new_settlements", "Neuansiedlungen im Zeitraum", "count"),
    ("closures", "Schließungen im Zeitraum", "count"),
    ("net_settlements", "Saldo (Neuansiedlungen − Schließungen)", "signed"),
    ("median_vacancy_days", "Leerstandsdauer (Median)", "days"),
    ("longest_vacancy_days", "Längster laufender Leerstand", "days"),
)


def key_figures(register: Register, *, start: date, end: date) -> pd.DataFrame:
    """The report's key figures for ``start``..``end`` and the previous period of equal length.

    Stock figures are taken on ``end`` and, for the previous period, on the
    day before ``start``; new settlements and closures are counted within each
    period. Everything is computed by :func:`geo.register.stats.stats` and
    :func:`geo.register.stats.events`.

    Returns
    -------
    pandas.DataFrame
        One row per :data:`FIGURES` entry: ``key``, ``label``, ``kind``,
        ``value``, ``previous`` and ``change`` (floats, NaN where undefined).
    """
    period = Period.between(start, end)
    prev = period.previous()
    now = stats(register, at=period.end).iloc[0]
    then = stats(register, at=prev.end).iloc[0]

    def count(kind: str, p: Period) -> float:
        return float(len(events(register, kind=kind, start=p.before, end=p.end)))  # type: ignore[arg-type]

    values: dict[str, tuple[float, float]] = {
        key: (float(now[key]), float(then[key]))
        for key in (
            "units",
            "vacant",
            "vacancy_rate",
            "vacancy_rate_area",
            "vacant_floor_area_m2",
            "median_vacancy_days",
            "longest_vacancy_days",
        )
    }
    values["new_settlements"] = (count("settlement", period), count("settlement", prev))
    values["closures"] = (count("closure", period), count("closure", prev))
    values["net_settlements"] = (
        values["new_settlements"][0] - values["closures"][0],
        values["new_settlements"][1] - values["closures"][1],
    )
    rows = [
        {
            "key": key,
            "label": label,
            "kind": kind,
            "value": values[key][0],
            "previous": values[key][1],
            "change": values[key][0] - values[key][1],
        }
        for key, label, kind in FIGURES
    ]
    return pd.DataFrame(rows)


def format_value(value: float, kind: str) -> str:
    """A key figure as shown in the report (German number format)."""
    if kind == "rate":
        return fmt_pct(value)
    if kind == "days":
        return fmt_months(value)
    if kind == "area":
        return "–" if pd.isna(value) else f"{fmt_int(value)} m²"
    if kind == "signed":
        return fmt_signed(value) or "–"
    return fmt_int(value)


def format_change(value: float, kind: str) -> str:
    """The change of a key figure as shown in the report (``+3``, ``−1,2 Pp.``, ``+0,5 Mon.``)."""
    if kind == "rate":
        text = fmt_signed(value * 100, digits=1, unit="Pp.")
    elif kind == "days":
        text = fmt_signed(value / DAYS_PER_MONTH, digits=1, unit="Mon.")
    elif kind == "area":
        text = fmt_signed(value, unit="m²")
    else:
        text = fmt_signed(value)
    return (text or "–").replace("-", "−")


@dataclass
class _Quarter:
    """Everything the report shows of one quarter (or of the whole register)."""

    name: str | None
    label: str
    slug: str
    register: Register
    boundaries: gpd.GeoDataFrame | None
    period: Period
    status_end: gpd.GeoDataFrame
    settlements: gpd.GeoDataFrame
    closures: gpd.GeoDataFrame
    compared: gpd.GeoDataFrame
    figures: pd.DataFrame
    history_start: date
    segments: gpd.GeoDataFrame | None = None
    segment_labels: pd.Series | None = None
    figs: dict[str, Figure] = field(default_factory=dict)
    pngs: dict[tuple[str, int], bytes] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not len(self.register.units)

    def png(self, key: str, dpi: int) -> bytes:
        """The figure ``key`` as PNG at ``dpi``, drawn once: the PDF and the app's image downloads share it."""
        if (key, dpi) not in self.pngs:
            self.pngs[(key, dpi)] = SM.figure_bytes(self.figs[key], fmt="png", dpi=dpi)
        return self.pngs[(key, dpi)]




def _slug(text: str) -> str:
    """A quarter's name in file names (:func:`geo.text.slug`); ``gesamt`` for the whole register."""
    return slug(text) or "gesamt"


def _resolve_quarters(register: Register, quarter: str | Sequence[str] | None) -> list[str | None]:
    if quarter is None:
        return [None]
    names = [quarter] if isinstance(quarter, str) else [q for q in quarter if q]
    if not names:
        return [None]
    if len(set(names)) > 2:
        raise InputError(
            "Höchstens zwei Quartiere nebeneinander; bitte einen Bericht je Quartierspaar erstellen."
        )
    present = sorted(set(register.units["quarter"].dropna().astype(str)))
    out: list[str | None] = []
    for name in names:
        if name in present:
            resolved = name
        else:
            from geo.places.areas import get_quarter

            try:
                resolved = get_quarter(name).name
            except InputError as exc:
                listed = ", ".join(present) or "(keine)"
                raise InputError(f"{exc} Im Register vorhanden: {listed}.") from exc
        if resolved not in out:
            out.append(resolved)
    if len(out) > 2:
        raise InputError(
            "Höchstens zwei Quartiere nebeneinander; bitte einen Bericht je Quartierspaar erstellen."
        )
    return out


def _boundaries(register: Register) -> gpd.GeoDataFrame:
    if register.boundaries is not None and len(register.boundaries):
        return register.boundaries
    from geo.places.areas import official_boundaries

    return official_boundaries()


def _for_version(register: Register, *, internal: bool) -> Register:
    """The register as the version may show it: the public version computes on a copy whose
    non-public columns are empty (:func:`geo.register.model.public_frame`), so no table can leak them."""
    if internal:
        return register
    return Register(
        public_frame(register.units, drop=False),
        public_frame(register.observations, drop=False),
        register.boundaries,
        register.meta,
    )


def _first_day(register: Register, end: date) -> date:
    first = register.observations["observed_on"].min() if len(register.observations) else pd.NaT
    if pd.isna(first) or pd.Timestamp(first).date() > end:
        return date(end.year, 1, 1)
    first_day: date = pd.Timestamp(first).date()
    return max(first_day, date(end.year - 9, 1, 1))


def _quarter_data(
    register: Register, name: str | None, period: Period, *, public: bool, unit_level: bool
) -> _Quarter:
    if name is None:
        sub = register
        present = sorted(set(register.units["quarter"].dropna().astype(str)))
        label = " und ".join(present) if present else "Gesamtes Register"
    else:
        mask = (register.units["quarter"].astype("string") == name).fillna(False).to_numpy()
        sub = register.subset(mask)
        label = name
    start, end = period.start, period.end
    q = _Quarter(
        name=name,
        label=label,
        slug=_slug(label),
        register=sub,
        boundaries=_boundaries(register),
        period=period,
        status_end=status_at(sub, end),
        settlements=events(sub, kind="settlement", start=period.before, end=end),
        closures=events(sub, kind="closure", start=period.before, end=end),
        compared=compare(sub, before=period.before, after=end),
        figures=key_figures(sub, start=start, end=end),
        history_start=_first_day(sub, end),
    )
    if public and not unit_level:
        _add_segments(q)
    return q


def _add_segments(q: _Quarter) -> None:
    """Street sections with their figures on the period end (via :func:`geo.register.stats.stats`)."""
    st = q.status_end
    registered = st.loc[st["status"].notna()]
    labels, segments = SM.street_segments(registered)
    units = q.register.units.copy()
    units["street"] = (
        labels.reindex(units.index).astype(object).where(labels.reindex(units.index).notna(), None).to_numpy()
    )
    relabelled = Register(units, q.register.observations, q.register.boundaries, q.register.meta)
    figures = stats(relabelled, at=q.period.end, by="street")
    cols = ["group", "units", "vacant", "vacancy_rate", "median_vacancy_days"]
    segments = segments.merge(figures[cols], left_on="segment", right_on="group", how="left").drop(
        columns="group"
    )
    change = q.compared["change"].astype(str)
    seg_of = labels.reindex(q.compared.index)
    counts = pd.DataFrame(
        {
            "segment": seg_of.to_numpy(),
            "newly_vacant": (change == "newly_vacant").to_numpy(),
            "newly_occupied": (change == "newly_occupied").to_numpy(),
        }
    ).dropna(subset=["segment"])
    per = counts.groupby("segment")[["newly_vacant", "newly_occupied"]].sum()
    segments = segments.merge(per, left_on="segment", right_index=True, how="left")
    for col in ("units", "vacant", "newly_vacant", "newly_occupied"):
        segments[col] = segments[col].fillna(0).astype(int)
    segments["balance"] = segments["newly_occupied"] - segments["newly_vacant"]
    segments["shown"] = segments["units"] >= settings.public_min_units
    q.segments = segments
    q.segment_labels = labels


def _quarter_notes(q: _Quarter) -> list[str]:
    if q.empty:
        return [f"{q.label}: Im Register sind für dieses Quartier keine Einheiten erfasst."]
    if not int(q.status_end["status"].notna().sum()):
        return [f"{q.label}: Bis zum {fmt_date(q.period.end)} liegen keine Beobachtungen vor."]
    return []


def _version_text(public: bool, unit_level: bool) -> str:
    if not public:
        return "intern (enthält personenbezogene Daten, nicht zur Weitergabe)"
    if unit_level:
        return "öffentlich (ohne personenbezogene Daten; Leerstand je Einheit freigegeben)"
    return f"öffentlich (ohne personenbezogene Daten; Leerstand nur je Straßenabschnitt ab {settings.public_min_units} Einheiten)"


def _data_date(register: Register, end: date) -> date | None:
    obs = register.observations["observed_on"]
    obs = obs.loc[obs <= pd.Timestamp(end)]
    return pd.Timestamp(obs.max()).date() if len(obs) and pd.notna(obs.max()) else None


def load_osm_buildings(folder: str | os.PathLike[str], register: Register) -> BuildingStats:
    """Building-stock figures per Ortsteil from a folder of OSM snapshots (for ``osm_buildings``).

    Reads every ``*-buildings.geojson`` in ``folder`` with
    :func:`geo.osm.buildings.analyse_folder`, against the register's boundaries.

    Returns
    -------
    geo.osm.buildings.BuildingStats
        The figures, with the notes on the data.

    Raises
    ------
    InputError
        If the folder is missing or holds no snapshot.
    """
    from geo.osm.buildings import analyse_folder

    return analyse_folder(Path(folder).expanduser(), _boundaries(register))


def file_stem(
    quarters: Sequence[str | None], period: Period, *, internal: bool = False, public: bool | None = None
) -> str:
    """File name stem of a report, e.g. ``bericht_leipziger-osten_2025-01-01_2025-12-31_oeffentlich``
    (``…_intern`` for the internal version)."""
    internal = wants_internal(internal, public)
    names = [q for q in quarters if q] or ["gesamt"]
    version = "intern" if internal else "oeffentlich"
    return file_name("bericht", *names, f"{period.start:%Y-%m-%d}", f"{period.end:%Y-%m-%d}", version)


def _building_stats(
    osm_buildings: BuildingStats | Snapshots | pd.DataFrame, register: Register
) -> pd.DataFrame:
    """The figures table of ``osm_buildings``: figures, snapshots, or a table of either."""
    from geo.osm.buildings import BuildingStats, building_stats
    from geo.osm.snapshots import Snapshots

    if isinstance(osm_buildings, BuildingStats):
        return osm_buildings.table
    if isinstance(osm_buildings, Snapshots):
        return building_stats(osm_buildings, _boundaries(register), by="ortsteil").table
    if {"group", "date", "buildings"} <= set(osm_buildings.columns):
        return osm_buildings
    if "osm_id" in osm_buildings.columns:
        return building_stats(osm_buildings, _boundaries(register), by="ortsteil").table
    raise InputError(
        "Gebäudebestand nicht erkannt: erwartet Kennzahlen aus geo.osm.buildings.building_stats/analyse_folder "
        "(Spalten group, date, buildings) oder Schnappschüsse aus load_snapshots (Spalte osm_id)."
    )


def _quarter_areas(name: str | None, boundaries: gpd.GeoDataFrame | None) -> set[str]:
    """Names of the Ortsteile of a quarter (and the quarter's own name); empty for the whole register."""
    if name is None:
        return set()
    names = {name}
    if boundaries is not None and "quarter" in boundaries:
        inside = (boundaries["quarter"].astype("string") == name).fillna(False).to_numpy()
        names |= set(boundaries.loc[inside, "name"].astype(str))
    from geo.places.areas import get_quarter

    try:
        names |= set(get_quarter(name).ortsteile)
    except InputError:
        pass  # a quarter only in the register, not configured: its boundaries name its Ortsteile
    return names


def _building_rows(bstats: pd.DataFrame, areas: set[str], end: date) -> pd.DataFrame:
    data = bstats.loc[pd.to_datetime(bstats["date"]) <= pd.Timestamp(end)]
    if areas:
        data = data.loc[data["group"].astype(str).isin(areas)]
    return data

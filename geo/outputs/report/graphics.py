"""The report's maps and charts of a quarter, as matplotlib figures (:mod:`geo.outputs.staticmaps`,
:mod:`geo.outputs.figures`)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from geo import settings
from geo.formats import fmt_date
from geo.outputs import figures as F
from geo.outputs import staticmaps as SM
from geo.outputs.report.data import (
    _building_rows,
    _building_stats,
    _for_version,
    _Quarter,
    _quarter_areas,
    _quarter_data,
    _resolve_quarters,
)
from geo.outputs.report.period import Period
from geo.register.history import Register
from geo.register.model import wants_internal
from geo.register.stats import timeline, vacancy_spells

if TYPE_CHECKING:  # pragma: no cover
    from geo.osm.buildings import BuildingStats
    from geo.osm.snapshots import Snapshots

__all__ = ["BALANCE_CLASSES", "VACANCY_CLASSES", "report_figures"]


VACANCY_CLASSES: tuple[tuple[float, float, str, str], ...] = (
    (0.0, 0.05, "unter 5 %", "#ffffcc"),
    (0.05, 0.10, "5 bis unter 10 %", "#fed976"),
    (0.10, 0.20, "10 bis unter 20 %", "#fd8d3c"),
    (0.20, 0.30, "20 bis unter 30 %", "#e31a1c"),
    (0.30, np.inf, "30 % und mehr", "#800026"),
)

BALANCE_CLASSES: tuple[tuple[float, float, str, str], ...] = (
    (-np.inf, -1.5, "mehr neu leer (Saldo −2 und weniger)", "#d73027"),
    (-1.5, -0.5, "Saldo −1", "#fc8d59"),
    (-0.5, 0.5, "ausgeglichen (±0)", "#f7f7f7"),
    (0.5, 1.5, "Saldo +1", "#91cf60"),
    (1.5, np.inf, "mehr neu genutzt (Saldo +2 und mehr)", "#1a9850"),
)

_SOURCE = "Quelle: Register des Quartiersservice (Quartiersmonitor)"


def _quarter_figures(
    q: _Quarter, *, public: bool, unit_level: bool, streets: gpd.GeoDataFrame | None, demo: bool
) -> dict[str, Figure]:
    p = q.period
    end_text = fmt_date(p.end)
    common: dict[str, Any] = {"boundaries": q.boundaries, "streets": streets, "quarter": q.name, "demo": demo}
    out: dict[str, Figure] = {}
    if public and not unit_level and q.segments is not None:
        seg = q.segments
        out["karte_bestand"] = SM.segment_map(
            seg,
            column="vacancy_rate",
            classes=VACANCY_CLASSES,
            shown=seg["shown"].to_numpy(),
            points=q.settlements,
            points_label="Neuansiedlung im Zeitraum",
            at=p.end,
            legend_title="Leerstandsquote des Straßenabschnitts",
            title=f"{q.label}: Leerstand nach Straßenabschnitten",
            subtitle=f"Stand {end_text}; Linienbreite nach Zahl der Einheiten; Sterne: Neuansiedlungen {p.label}",
            hidden_label=f"weniger als {settings.public_min_units} Einheiten (nicht ausgewiesen)",
            **common,
        )
        out["karte_veraenderung"] = SM.segment_map(
            seg,
            column="balance",
            classes=BALANCE_CLASSES,
            shown=seg["shown"].to_numpy(),
            at=p.end,
            legend_title="neu genutzt minus neu leer je Straßenabschnitt",
            title=f"{q.label}: Veränderungen nach Straßenabschnitten",
            subtitle=f"Neu genutzte minus neu leere Einheiten zwischen {fmt_date(p.before)} und {end_text}",
            hidden_label=f"weniger als {settings.public_min_units} Einheiten (nicht ausgewiesen)",
            **common,
        )
    else:
        out["karte_bestand"] = SM.status_map(
            q.status_end,
            settlements=q.settlements,
            at=p.end,
            title=f"{q.label}: Gewerbeeinheiten nach Status",
            subtitle=f"Status am {end_text}; umrandet: Neuansiedlungen {p.label}",
            **common,
        )
        out["karte_veraenderung"] = SM.change_map(
            q.compared,
            before=p.before,
            after=p.end,
            title=f"{q.label}: neu leer und neu genutzt",
            **common,
        )
    years = timeline(q.register, freq="year", start=q.history_start, end=p.end, by="ortsteil")
    total = timeline(q.register, freq="year", start=q.history_start, end=p.end, by=None)
    out["leerstandsquote"] = F.vacancy_rate_figure(
        years,
        total=total,
        total_label=f"{q.label} gesamt" if q.name else "gesamt",
        min_units=settings.public_min_units,
        title="Leerstandsquote je Ortsteil",
        subtitle=f"jeweils am Jahresende, zuletzt am {end_text}",
        demo=demo,
        source=_SOURCE + f" · Werte von Ortsteilen mit weniger als {settings.public_min_units} Einheiten nicht dargestellt",
    )
    span = ""
    if len(total):
        first, last = str(total["period"].iloc[0]), str(total["period"].iloc[-1])
        span = f"Kalenderjahre {first}–{last}" if first != last else f"Kalenderjahr {first}"
        if p.end != date(p.end.year, 12, 31):
            span += f" ({last} bis {end_text})"
    out["ansiedlungen"] = F.events_figure(
        total, title="Neuansiedlungen und Schließungen je Jahr", subtitle=span, demo=demo
    )
    out["branchen"] = F.sector_figure(
        q.settlements,
        title="Neuansiedlungen nach Branche",
        subtitle=f"{p.label} ({p.dates})",
        demo=demo,
    )
    out["leerstandsdauer"] = F.duration_figure(
        _spells(q),
        title="Dauer der Leerstände",
        subtitle=f"am {end_text} laufende und im Zeitraum {p.dates} beendete Leerstände",
        demo=demo,
    )
    return out


def _spells(q: _Quarter) -> pd.DataFrame:
    spells = vacancy_spells(q.register, at=q.period.end)
    ended = spells["end"].notna() & (spells["end"] >= pd.Timestamp(q.period.start))
    return spells.loc[spells["ongoing"].astype(bool) | ended].reset_index(drop=True)


def report_figures(
    register: Register,
    *,
    quarter: str | list[str] | None,
    start: date,
    end: date,
    internal: bool = False,
    public: bool | None = None,
    unit_level: bool = False,
    streets: gpd.GeoDataFrame | None = None,
    osm_buildings: BuildingStats | Snapshots | pd.DataFrame | None = None,
) -> dict[str, Figure]:
    """The report's maps and charts, keyed by a file-name stem (``karte_bestand_gruenau``, …).

    Parameters as in :func:`build_report`; write them with :func:`geo.outputs.figures.save_figure`.
    """
    public = not wants_internal(internal, public)
    register = _for_version(register, internal=not public)
    period = Period.between(start, end)
    demo = register.meta.get("demo") == "true"
    street_lines = SM.load_streets(streets) if streets is not None else None
    out: dict[str, Figure] = {}
    quarters = []
    for name in _resolve_quarters(register, quarter):
        q = _quarter_data(register, name, period, public=public, unit_level=unit_level)
        quarters.append(q)
        for key, fig in _quarter_figures(
            q, public=public, unit_level=unit_level, streets=street_lines, demo=demo
        ).items():
            out[f"{key}_{q.slug}"] = fig
    if osm_buildings is not None:
        out["gebaeudebestand"] = _buildings_download(_building_stats(osm_buildings, register), quarters, period.end)
    return out


def _buildings_download(bstats: pd.DataFrame, quarters: list[_Quarter], end: date) -> Figure:
    """The building-stock figure offered for download (:func:`report_figures`) for the report's quarters."""
    areas: set[str] = set()
    for q in quarters:
        areas |= _quarter_areas(q.name, q.boundaries)
    return F.buildings_figure(
        _building_rows(bstats, areas, end), subtitle="Anzahl der Gebäude (links) und der gewerblich genutzten (rechts)"
    )

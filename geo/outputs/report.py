"""The period report: an A4 PDF in German for the Beirat and the city, and its tables.

:func:`build_report` makes the PDF for one quarter, two quarters side by side,
or the whole register, and a period (year, half-year, quarter, month or free
dates): title page with sources and licences, key figures with the change
against the previous period of equal length, maps of the status at the end of
the period and of the changes within it, charts, tables, the building stock
from OpenStreetMap snapshots where given, and a methods page.

Every figure comes from :mod:`geo.register.stats` (``stats``, ``timeline``,
``events``, ``vacancy_spells``, ``longest_vacant``, ``compare``).

Public version
--------------
The public version is the default; the internal one needs ``internal=True``
(command line ``--internal``) and says "intern" in its title, its header, its
PDF metadata and (on the command line) its file name. The public version is
computed on a copy of the register in which every column not on the public
whitelists of :mod:`geo.register.model` is empty (:func:`geo.register.model.public_frame`): no
owner, contacts, notes, staff, address notes or free-text sources, whatever a
table asks for. Unless ``unit_level=True`` it never shows a single vacant unit: maps show street
sections (:func:`geo.outputs.staticmaps.street_segments`: each street cut into
sections of about 400 m with equal numbers of units) coloured by the
section's vacancy rate in classes, and sections with fewer than
:data:`MIN_UNITS` units are not shown; tables list streets and sections, not
vacant addresses; vacancy rates of Ortsteile with fewer than
:data:`MIN_UNITS` units are left out of the charts. New settlements are open
businesses and stay listed with name and address.

Command line: ``python -m geo report --store PATH --quarter NAME --from DATE
--to DATE [--internal] --out report.pdf`` (see :func:`add_cli`).
"""

from __future__ import annotations

import argparse
import calendar
import io
import os
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import IO, Any
from xml.sax.saxutils import escape

import geopandas as gpd
import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    Image,
    KeepTogether,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from geo import settings
from geo._files import internal_path, write_bytes
from geo.app.views import fmt_date, fmt_int, fmt_months, fmt_pct, fmt_signed, unit_address
from geo.errors import InputError, QuartiersmonitorError
from geo.outputs import figures as F
from geo.outputs import staticmaps as SM
from geo.outputs.tables import display_text
from geo.register.history import Register
from geo.register.model import public_frame, wants_internal
from geo.register.stats import compare, events, longest_vacant, stats, status_at, timeline, vacancy_spells

__all__ = [
    "FIGURES",
    "MIN_UNITS",
    "Period",
    "ReportBundle",
    "ReportSummary",
    "add_cli",
    "build_report",
    "describe_period",
    "file_stem",
    "format_change",
    "format_value",
    "key_figures",
    "load_osm_buildings",
    "parse_period",
    "preview_pages",
    "report_bundle",
    "report_figures",
    "report_tables",
    "run_cli",
    "summary_table",
]

#: Smallest number of units of a street, section or Ortsteil whose vacancy is published.
MIN_UNITS: int = 3

#: Target length of a street section on public maps (metres).
SEGMENT_LENGTH_M: float = 400.0

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

_MONTHS = (
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
)

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


# -- periods -----------------------------------------------------------------------------------


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _whole_months(start: date, end: date) -> int:
    """Number of calendar months ``start``..``end`` spans exactly (0 if not whole months)."""
    if start.day != 1 or end != _month_end(end.year, end.month):
        return 0
    return (end.year - start.year) * 12 + end.month - start.month + 1


def describe_period(start: date, end: date) -> str:
    """German name of a period: „Jahr 2025“, „1. Halbjahr 2025“, „3. Quartal 2025“, „Juni 2025“ or the dates."""
    months = _whole_months(start, end)
    if months == 12 and start.month == 1:
        return f"Jahr {start.year}"
    if months == 6 and start.month in (1, 7):
        return f"{1 if start.month == 1 else 2}. Halbjahr {start.year}"
    if months == 3 and start.month in (1, 4, 7, 10):
        return f"{(start.month - 1) // 3 + 1}. Quartal {start.year}"
    if months == 1:
        return f"{_MONTHS[start.month - 1]} {start.year}"
    return f"{fmt_date(start)} – {fmt_date(end)}"


@dataclass(frozen=True)
class Period:
    """A report period: first and last day (both included) and its German name."""

    start: date
    end: date
    label: str

    @classmethod
    def between(cls, start: date, end: date, *, label: str | None = None) -> Period:
        """The period ``start``..``end`` (named automatically unless ``label`` is given)."""
        start, end = _as_date(start, "Beginn"), _as_date(end, "Ende")
        if start > end:
            raise InputError(f"Beginn {fmt_date(start)} liegt nach dem Ende {fmt_date(end)}.")
        return cls(start, end, label or describe_period(start, end))

    @property
    def dates(self) -> str:
        """``01.01.2025 – 31.12.2025``."""
        return f"{fmt_date(self.start)} – {fmt_date(self.end)}"

    @property
    def days(self) -> int:
        """Length in days."""
        return (self.end - self.start).days + 1

    @property
    def before(self) -> date:
        """The day before the start: the stock figures of the previous period are taken there."""
        return self.start - timedelta(days=1)

    def previous(self) -> Period:
        """The period of equal length right before (whole calendar months: the previous months)."""
        months = _whole_months(self.start, self.end)
        end = self.before
        if months:
            start = (pd.Timestamp(self.start) - pd.DateOffset(months=months)).date()
        else:
            start = end - timedelta(days=self.days - 1)
        return Period.between(start, end)


def _as_date(value: Any, what: str) -> date:
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{what}: „{value}“ ist kein Datum; erwartet z. B. 2025-12-31.") from exc
    if pd.isna(stamp):
        raise InputError(f"{what}: kein Datum angegeben.")
    return stamp.date()


def parse_period(text: str) -> Period:
    """A period from its short form: ``2025``, ``2025H1``, ``2025Q3`` or ``2025-06``.

    Raises
    ------
    InputError
        If the text is none of these forms.
    """
    value = str(text).strip().upper().replace(" ", "")
    if m := re.fullmatch(r"(\d{4})", value):
        y = int(m[1])
        return Period.between(date(y, 1, 1), date(y, 12, 31))
    if m := re.fullmatch(r"(\d{4})-?H([12])", value):
        y, h = int(m[1]), int(m[2])
        return Period.between(date(y, 6 * h - 5, 1), _month_end(y, 6 * h))
    if m := re.fullmatch(r"(\d{4})-?Q([1-4])", value):
        y, q = int(m[1]), int(m[2])
        return Period.between(date(y, 3 * q - 2, 1), _month_end(y, 3 * q))
    if (m := re.fullmatch(r"(\d{4})-(\d{1,2})", value)) and 1 <= int(m[2]) <= 12:
        y, mo = int(m[1]), int(m[2])
        return Period.between(date(y, mo, 1), _month_end(y, mo))
    raise InputError(
        f"Zeitraum „{text}“ nicht lesbar; erwartet z. B. 2025 (Jahr), 2025H1 (Halbjahr), "
        "2025Q3 (Quartal) oder 2025-06 (Monat)."
    )


# -- figures -----------------------------------------------------------------------------------


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
        text = fmt_signed(value / F.DAYS_PER_MONTH, digits=1, unit="Mon.")
    elif kind == "area":
        text = fmt_signed(value, unit="m²")
    else:
        text = fmt_signed(value)
    return (text or "–").replace("-", "−")


# -- the data of one quarter -------------------------------------------------------------------


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

    @property
    def empty(self) -> bool:
        return not len(self.register.units)


def _slug(text: str) -> str:
    text = text.casefold().translate(str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"}))
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-") or "gesamt"


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
    from geo.places.areas import approximate_boundaries

    return approximate_boundaries()


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
    return max(pd.Timestamp(first).date(), date(end.year - 9, 1, 1))


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
    labels, segments = SM.street_segments(registered, min_units=MIN_UNITS, length_m=SEGMENT_LENGTH_M)
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
    segments["shown"] = segments["units"] >= MIN_UNITS
    q.segments = segments
    q.segment_labels = labels


# -- figures of a quarter ------------------------------------------------------------------------


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
            hidden_label=f"weniger als {MIN_UNITS} Einheiten (nicht ausgewiesen)",
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
            hidden_label=f"weniger als {MIN_UNITS} Einheiten (nicht ausgewiesen)",
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
        min_units=MIN_UNITS,
        title="Leerstandsquote je Ortsteil",
        subtitle=f"jeweils am Jahresende, zuletzt am {end_text}",
        demo=demo,
        source=_SOURCE + f" · Werte von Ortsteilen mit weniger als {MIN_UNITS} Einheiten nicht dargestellt",
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


# -- tables (numbers) ------------------------------------------------------------------------------


def _ortsteil_table(q: _Quarter, *, public: bool) -> pd.DataFrame:
    frame = stats(q.register, at=q.period.end, by="ortsteil")
    settle = q.settlements["ortsteil"].astype("string").fillna(settings.unassigned_label).value_counts()
    close = q.closures["ortsteil"].astype("string").fillna(settings.unassigned_label).value_counts()
    out = pd.DataFrame(
        {
            "Quartier": q.label,
            "Ortsteil": frame["group"],
            "Einheiten": frame["units"],
            "leer": frame["vacant"].astype(float),
            "Leerstandsquote": frame["vacancy_rate"],
            "Leerstandsquote Fläche": frame["vacancy_rate_area"],
            "Neuansiedlungen": [int(settle.get(g, 0)) for g in frame["group"]],
            "Schließungen": [int(close.get(g, 0)) for g in frame["group"]],
            "Median Leerstandsdauer (Tage)": frame["median_vacancy_days"],
        }
    )
    if public:
        small = out["Einheiten"] < MIN_UNITS
        out.loc[
            small, ["leer", "Leerstandsquote", "Leerstandsquote Fläche", "Median Leerstandsdauer (Tage)"]
        ] = np.nan
    return out


def _street_table(q: _Quarter) -> pd.DataFrame:
    now = stats(q.register, at=q.period.end, by="street")
    then = stats(q.register, at=q.period.before, by="street").set_index("group")["vacancy_rate"]
    settle = q.settlements["street"].astype("string").value_counts()
    out = pd.DataFrame(
        {
            "Quartier": q.label,
            "Straße": now["group"],
            "Einheiten": now["units"],
            "leer": now["vacant"],
            "Leerstandsquote": now["vacancy_rate"],
            "Leerstandsquote Vorperiode": [then.get(g, np.nan) for g in now["group"]],
            "Neuansiedlungen": [int(settle.get(g, 0)) for g in now["group"]],
        }
    )
    out = out.loc[out["Einheiten"] >= MIN_UNITS]
    return out.sort_values(
        ["Leerstandsquote", "leer", "Straße"], ascending=[False, False, True], kind="stable"
    ).reset_index(drop=True)


def _longest_table(q: _Quarter, *, public: bool, n: int) -> pd.DataFrame:
    frame = longest_vacant(q.register, at=q.period.end, n=n)
    out = pd.DataFrame(
        {
            "Quartier": q.label,
            "Einheit": frame["unit_id"],
            "Adresse": [unit_address(r) for r in frame.to_dict("records")],
            "Ortsteil": frame["ortsteil"],
            "Status": frame["status_label"],
            "leer seit": pd.to_datetime(frame["since"]).dt.date,
            "Dauer (Monate)": (frame["vacant_days"] / F.DAYS_PER_MONTH).round(1),
            "Fläche (m²)": frame["floor_area_m2"],
        }
    )
    if not public:
        out["Eigentümer/in"] = frame["owner_name"].to_numpy()
        out["Ansprechperson"] = frame["contact_person"].to_numpy()
        out["Telefon"] = frame["contact_phone"].to_numpy()
        out["E-Mail"] = frame["contact_email"].to_numpy()
    return out


def _segment_table(q: _Quarter) -> pd.DataFrame:
    seg = (
        q.segments
        if q.segments is not None
        else pd.DataFrame(
            columns=["segment", "ortsteil", "units", "vacant", "vacancy_rate", "median_vacancy_days", "shown"]
        )
    )
    seg = seg.loc[seg["shown"].astype(bool)]
    out = pd.DataFrame(
        {
            "Quartier": q.label,
            "Straßenabschnitt": seg["segment"],
            "Ortsteil": seg["ortsteil"],
            "Einheiten": seg["units"],
            "leer": seg["vacant"],
            "Leerstandsquote": seg["vacancy_rate"],
            "Median Leerstandsdauer (Tage)": seg["median_vacancy_days"],
        }
    )
    return out.sort_values(["Leerstandsquote", "leer"], ascending=[False, False], kind="stable").reset_index(
        drop=True
    )


def _settlement_table(q: _Quarter) -> pd.DataFrame:
    ev = q.settlements
    return pd.DataFrame(
        {
            "Quartier": q.label,
            "Datum": pd.to_datetime(ev["event_date"]).dt.date,
            "Betrieb": ev["business_name"].astype(object),
            "Branche": [F.sector_label(s) for s in ev["sector"].astype(object)],
            "Adresse": [unit_address(r) for r in ev.to_dict("records")],
            "Ortsteil": ev["ortsteil"],
        }
    )


def _figure_table(quarters: list[_Quarter]) -> pd.DataFrame:
    unit = {"count": "Anzahl", "rate": "Anteil", "area": "m²", "signed": "Anzahl", "days": "Tage"}
    out = pd.DataFrame(
        {"Kennzahl": [label for _, label, _ in FIGURES], "Einheit": [unit[k] for _, _, k in FIGURES]}
    )
    for q in quarters:
        f = q.figures
        out[q.label] = f["value"].to_numpy()
        out[f"{q.label} Vorperiode"] = f["previous"].to_numpy()
        out[f"{q.label} Veränderung"] = f["change"].to_numpy()
    return out


def _info_table(
    register: Register, quarters: list[_Quarter], period: Period, *, public: bool, unit_level: bool
) -> pd.DataFrame:
    prev = period.previous()
    rows = [
        ("Zeitraum", f"{period.label} ({period.dates})"),
        ("Vorperiode", f"{prev.label} ({prev.dates})"),
        ("Quartier(e)", ", ".join(q.label for q in quarters)),
        ("Fassung", _version_text(public, unit_level)),
        ("Datenstand", fmt_date(_data_date(register, period.end))),
        ("Erstellt am", fmt_date(date.today())),
        ("Quelle Einheiten", "Register des Quartiersservice Wirtschaft (Quartiersmonitor)"),
        ("Quelle Grenzen", SM.boundary_credit(quarters[0].boundaries) or "–"),
        ("Herausgeber", PUBLISHER),
    ]
    if register.meta.get("demo") == "true":
        rows.insert(
            0, ("Hinweis", f"{settings.demo_label}: alle Betriebe, Adressen und Personen sind erfunden.")
        )
    return pd.DataFrame(rows, columns=["Feld", "Wert"])


def _version_text(public: bool, unit_level: bool) -> str:
    if not public:
        return "intern (enthält personenbezogene Daten, nicht zur Weitergabe)"
    if unit_level:
        return "öffentlich (ohne personenbezogene Daten; Leerstand je Einheit freigegeben)"
    return f"öffentlich (ohne personenbezogene Daten; Leerstand nur je Straßenabschnitt ab {MIN_UNITS} Einheiten)"


def _data_date(register: Register, end: date) -> date | None:
    obs = register.observations["observed_on"]
    obs = obs.loc[obs <= pd.Timestamp(end)]
    return pd.Timestamp(obs.max()).date() if len(obs) and pd.notna(obs.max()) else None


def report_tables(
    register: Register,
    *,
    quarter: str | Sequence[str] | None,
    start: date,
    end: date,
    internal: bool = False,
    public: bool | None = None,
    unit_level: bool = False,
    period_label: str | None = None,
    n_longest: int = 50,
) -> dict[str, pd.DataFrame]:
    """The report's tables as numbers (for XLSX, see :func:`geo.outputs.figures.period_figures_xlsx`).

    Public unless ``internal=True`` (``public`` is the deprecated spelling, see
    :func:`geo.register.model.wants_internal`).

    Returns
    -------
    dict[str, pandas.DataFrame]
        Keyed by :data:`geo.outputs.figures.XLSX_SHEETS`. ``Kennzahlen`` has one row
        per :data:`FIGURES` entry with, per quarter, the value, the value of
        the previous period and the change (``Einheit``: Anzahl, Anteil, m², Tage).
    """
    public = not wants_internal(internal, public)
    register = _for_version(register, internal=not public)
    period = Period.between(start, end, label=period_label)
    quarters = [
        _quarter_data(register, name, period, public=public, unit_level=unit_level)
        for name in _resolve_quarters(register, quarter)
    ]
    longest = (
        pd.concat([_segment_table(q) for q in quarters], ignore_index=True)
        if public and not unit_level
        else pd.concat([_longest_table(q, public=public, n=n_longest) for q in quarters], ignore_index=True)
    )
    return {
        "Kennzahlen": _figure_table(quarters),
        "Ortsteile": pd.concat([_ortsteil_table(q, public=public) for q in quarters], ignore_index=True),
        "Straßen": pd.concat([_street_table(q) for q in quarters], ignore_index=True),
        "Am längsten leer": longest,
        "Neuansiedlungen": pd.concat([_settlement_table(q) for q in quarters], ignore_index=True),
        "Info": _info_table(register, quarters, period, public=public, unit_level=unit_level),
    }


# -- buildings ---------------------------------------------------------------------------------------


def load_osm_buildings(folder: str | os.PathLike[str], register: Register) -> pd.DataFrame:
    """Building-stock figures per Ortsteil from a folder of OSM snapshots (for ``osm_buildings``).

    Reads every ``*-buildings.geojson`` in ``folder`` with
    :func:`geo.osm.buildings.analyse_folder`, against the register's boundaries.

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
    names = "_".join(_slug(q) for q in quarters if q) or "gesamt"
    return f"bericht_{names}_{period.start:%Y-%m-%d}_{period.end:%Y-%m-%d}_{'intern' if internal else 'oeffentlich'}"


def _building_stats(osm_buildings: pd.DataFrame, register: Register) -> pd.DataFrame:
    if {"group", "date", "buildings"} <= set(osm_buildings.columns):
        return osm_buildings
    if "osm_id" in osm_buildings.columns:
        from geo.osm.buildings import building_stats

        return building_stats(osm_buildings, _boundaries(register), by="ortsteil")  # type: ignore[arg-type]
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


# -- PDF: fonts, styles, page furniture ---------------------------------------------------------------

_FONT, _BOLD, _ITALIC = "QM-Sans", "QM-Sans-Bold", "QM-Sans-Oblique"
_INK = colors.HexColor("#1b1b1b")
_BLUE = colors.HexColor("#1d3557")
_GREY = colors.HexColor("#5a5a5a")
_RED = colors.HexColor("#c0392b")
_RULE = colors.HexColor("#b8c2cc")
_HEAD_BG = colors.HexColor("#e6edf4")
_ZEBRA = colors.HexColor("#f5f7f9")
_PAGE_W, _PAGE_H = A4
_MARGIN_X, _MARGIN_TOP, _MARGIN_BOTTOM = 18 * mm, 21 * mm, 22 * mm
_WIDTH = _PAGE_W - 2 * _MARGIN_X


def _register_fonts() -> None:
    """DejaVu Sans from matplotlib's own data (always installed, covers every character we print)."""
    if _FONT in pdfmetrics.getRegisteredFontNames():
        return
    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    pdfmetrics.registerFont(TTFont(_FONT, str(folder / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(_BOLD, str(folder / "DejaVuSans-Bold.ttf")))
    pdfmetrics.registerFont(TTFont(_ITALIC, str(folder / "DejaVuSans-Oblique.ttf")))
    pdfmetrics.registerFontFamily(_FONT, normal=_FONT, bold=_BOLD, italic=_ITALIC, boldItalic=_BOLD)


def _styles() -> dict[str, ParagraphStyle]:
    body = ParagraphStyle("body", fontName=_FONT, fontSize=9.5, leading=13.2, textColor=_INK, spaceAfter=5)
    return {
        "body": body,
        "small": ParagraphStyle(
            "small", parent=body, fontSize=8, leading=10.6, textColor=_GREY, spaceAfter=3
        ),
        "caption": ParagraphStyle(
            "caption", parent=body, fontSize=8, leading=10.6, textColor=_GREY, spaceBefore=2, spaceAfter=8
        ),
        "H1": ParagraphStyle(
            "H1",
            parent=body,
            fontName=_BOLD,
            fontSize=17,
            leading=21,
            textColor=_BLUE,
            spaceAfter=9,
            keepWithNext=1,
        ),
        "H2": ParagraphStyle(
            "H2",
            parent=body,
            fontName=_BOLD,
            fontSize=12,
            leading=15,
            textColor=_BLUE,
            spaceBefore=9,
            spaceAfter=5,
        ),
        "term": ParagraphStyle("term", parent=body, fontName=_BOLD, spaceAfter=0, keepWithNext=1),
        "def": ParagraphStyle("def", parent=body, leftIndent=5 * mm, spaceAfter=5),
        "cell": ParagraphStyle("cell", parent=body, fontSize=8, leading=10, spaceAfter=0, alignment=TA_LEFT),
        "cell_r": ParagraphStyle(
            "cell_r", parent=body, fontSize=8, leading=10, spaceAfter=0, alignment=TA_RIGHT
        ),
        "head": ParagraphStyle("head", parent=body, fontName=_BOLD, fontSize=8, leading=10, spaceAfter=0),
        "head_r": ParagraphStyle(
            "head_r", parent=body, fontName=_BOLD, fontSize=8, leading=10, spaceAfter=0, alignment=TA_RIGHT
        ),
        "fig": ParagraphStyle("fig", parent=body, fontName=_BOLD, fontSize=11, leading=14, spaceAfter=2),
        "fig_r": ParagraphStyle(
            "fig_r", parent=body, fontName=_BOLD, fontSize=11, leading=14, spaceAfter=0, alignment=TA_RIGHT
        ),
        "title_kicker": ParagraphStyle(
            "tk", parent=body, fontSize=11, leading=14, textColor=_GREY, spaceAfter=18
        ),
        "title": ParagraphStyle(
            "title", parent=body, fontName=_BOLD, fontSize=26, leading=31, textColor=_BLUE, spaceAfter=10
        ),
        "title_sub": ParagraphStyle("ts", parent=body, fontName=_BOLD, fontSize=17, leading=22, spaceAfter=6),
        "title_period": ParagraphStyle(
            "tp", parent=body, fontSize=13, leading=17, textColor=_GREY, spaceAfter=16
        ),
        "box": ParagraphStyle("box", parent=body, fontSize=9.5, leading=13, spaceAfter=0),
    }


def _p(text: Any, style: ParagraphStyle) -> Paragraph:
    """A paragraph of plain text (escaped: business names and addresses are user input; missing -> empty)."""
    return Paragraph(escape(display_text(text)), style)


class _Doc(BaseDocTemplate):
    """Adds every H1/H2 heading to the PDF outline (bookmarks)."""

    def afterFlowable(self, flowable: Flowable) -> None:  # noqa: N802 - reportlab's hook name
        if isinstance(flowable, Paragraph) and flowable.style.name in ("H1", "H2"):
            level = 0 if flowable.style.name == "H1" else 1
            if level == 0:
                self._qm_h1 = True
            elif not getattr(self, "_qm_h1", False):
                return  # the title page's headings are not in the outline
            key = f"h{id(flowable)}"
            self.canv.bookmarkPage(key)
            self.canv.addOutlineEntry(flowable.getPlainText(), key, level=level, closed=level > 0)


def _canvas_class(pages: list[int]) -> type[Canvas]:
    """A canvas that writes „Seite x von y“ once the page count is known."""

    class _Numbered(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._states: list[dict[str, Any]] = []

        def showPage(self) -> None:  # noqa: N802 - reportlab API
            self._states.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._states)
            pages.append(total)
            for state in self._states:
                self.__dict__.update(state)
                self.setFont(_FONT, 7.5)
                self.setFillColor(_GREY)
                self.drawRightString(_PAGE_W - _MARGIN_X, 11 * mm, f"Seite {self._pageNumber} von {total}")
                super().showPage()
            super().save()

    return _Numbered


@dataclass
class _Context:
    register: Register
    quarters: list[_Quarter]
    period: Period
    public: bool
    unit_level: bool
    demo: bool
    streets: bool
    buildings: pd.DataFrame | None
    dpi: int
    data_date: date | None

    @property
    def label(self) -> str:
        if len(self.quarters) == 1:
            return self.quarters[0].label
        return " und ".join(q.label for q in self.quarters)

    @property
    def aggregated(self) -> bool:
        return self.public and not self.unit_level


def _furniture(ctx: _Context, *, title_page: bool) -> Any:
    def draw(canvas: Canvas, _doc: Any) -> None:
        canvas.saveState()
        if not title_page:
            canvas.setFont(_FONT, 7.5)
            canvas.setFillColor(_GREY)
            canvas.drawString(
                _MARGIN_X, _PAGE_H - 12 * mm, f"Quartiersmonitor · {ctx.label} · {ctx.period.label}"
            )
            canvas.setFont(_BOLD, 7.5)
            if ctx.public:
                canvas.drawRightString(_PAGE_W - _MARGIN_X, _PAGE_H - 12 * mm, "Öffentliche Fassung")
            else:
                canvas.setFillColor(_RED)
                canvas.drawRightString(
                    _PAGE_W - _MARGIN_X,
                    _PAGE_H - 12 * mm,
                    "INTERN – enthält personenbezogene Daten, nicht zur Weitergabe",
                )
            canvas.setStrokeColor(_RULE)
            canvas.setLineWidth(0.5)
            canvas.line(_MARGIN_X, _PAGE_H - 13.8 * mm, _PAGE_W - _MARGIN_X, _PAGE_H - 13.8 * mm)
        canvas.setStrokeColor(_RULE)
        canvas.setLineWidth(0.5)
        canvas.line(_MARGIN_X, 14.5 * mm, _PAGE_W - _MARGIN_X, 14.5 * mm)
        canvas.setFont(_FONT, 7.5)
        canvas.setFillColor(_GREY)
        canvas.drawString(_MARGIN_X, 11 * mm, PUBLISHER)
        if ctx.demo:
            canvas.setFont(_BOLD, 8.5)
            canvas.setFillColor(_RED)
            canvas.drawCentredString(
                _PAGE_W / 2,
                16.5 * mm,
                f"{settings.demo_label} – alle Betriebe, Adressen und Personen sind erfunden",
            )
        canvas.restoreState()

    return draw


def _image(fig: Figure, *, dpi: int, width: float = _WIDTH) -> Image:
    buffer = io.BytesIO()
    SM.save_figure(fig, buffer, fmt="png", dpi=dpi)
    buffer.seek(0)
    w_in, h_in = fig.get_size_inches()
    return Image(buffer, width=width, height=width * h_in / w_in)


def _table(
    header: Sequence[str],
    rows: Sequence[Sequence[Any]],
    widths_mm: Sequence[float],
    s: dict[str, ParagraphStyle],
    *,
    right: Sequence[int] = (),
    header_rows: int = 1,
    extra_style: Sequence[tuple[Any, ...]] = (),
    font_size: float = 8.0,
) -> Table:
    """A table with a bold header (repeated on every page), zebra rows and wrapped cells."""
    if font_size != 8.0:
        lead = font_size * 1.28
        s = {
            **s,
            **{
                k: ParagraphStyle(f"{k}{font_size}", parent=s[k], fontSize=font_size, leading=lead)
                for k in ("cell", "cell_r", "head", "head_r")
            },
        }
    right_set = set(right)
    data: list[list[Any]] = [[_p(h, s["head_r" if i in right_set else "head"]) for i, h in enumerate(header)]]
    for row in rows:
        data.append(
            [
                c if isinstance(c, Flowable) else _p(c, s["cell_r" if i in right_set else "cell"])
                for i, c in enumerate(row)
            ]
        )
    table = Table(data, colWidths=[w * mm for w in widths_mm], repeatRows=header_rows, hAlign="LEFT")
    style = [
        ("BACKGROUND", (0, 0), (-1, header_rows - 1), _HEAD_BG),
        ("LINEBELOW", (0, header_rows - 1), (-1, header_rows - 1), 0.8, _BLUE),
        ("LINEBELOW", (0, -1), (-1, -1), 0.5, _RULE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 2.6),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.6),
        ("LEFTPADDING", (0, 0), (-1, -1), 3.5),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3.5),
    ]
    for i in range(header_rows, len(data)):
        if (i - header_rows) % 2 == 1:
            style.append(("BACKGROUND", (0, i), (-1, i), _ZEBRA))
    table.setStyle(TableStyle(style + list(extra_style)))
    return table


def _box(flowables: list[Flowable], *, color: colors.Color, background: colors.Color | None = None) -> Table:
    table = Table([[flowables]], colWidths=[_WIDTH], hAlign="LEFT")
    style = [
        ("BOX", (0, 0), (-1, -1), 1.0, color),
        ("LEFTPADDING", (0, 0), (-1, -1), 7),
        ("RIGHTPADDING", (0, 0), (-1, -1), 7),
        ("TOPPADDING", (0, 0), (-1, -1), 5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
    ]
    if background is not None:
        style.append(("BACKGROUND", (0, 0), (-1, -1), background))
    table.setStyle(TableStyle(style))
    return table


def _num(value: Any, *, digits: int = 0) -> str:
    if value is None or pd.isna(value):
        return "–"
    return f"{float(value):,.{digits}f}".replace(",", "X").replace(".", ",").replace("X", ".")


# -- PDF: sections -----------------------------------------------------------------------------------


def _sources(ctx: _Context) -> list[tuple[str, str]]:
    register_line = "Register des Quartiersservice Wirtschaft (Quartiersmonitor)"
    if ctx.data_date is not None:
        register_line += f", letzte Beobachtung vom {fmt_date(ctx.data_date)}"
    if ctx.demo:
        register_line += f" – {settings.demo_label}"
    rows = [("Gewerbeeinheiten", register_line)]
    credit = SM.boundary_credit(ctx.quarters[0].boundaries)
    if credit:
        rows.append(("Ortsteilgrenzen", credit))
    osm_uses = [
        what
        for what, used in (("Straßennetz", ctx.streets), ("Gebäudebestand", ctx.buildings is not None))
        if used
    ]
    if osm_uses:
        rows.append(("OpenStreetMap", f"{SM.OSM_CREDIT} ({', '.join(osm_uses)})"))
    rows.append(("Karten", f"eigene Darstellung in ETRS89 / UTM 33N (EPSG:25833), {SM.NO_BASEMAP}"))
    return rows


def _title_page(ctx: _Context, s: dict[str, ParagraphStyle]) -> list[Flowable]:
    period, prev = ctx.period, ctx.period.previous()
    subtitle = ctx.label if len(ctx.quarters) == 1 else f"{ctx.label} im Vergleich"
    story: list[Flowable] = [
        Spacer(1, 6 * mm),
        _p(
            "Quartiersmonitor · Bericht für Beirat und Stadt"
            if ctx.public
            else "Quartiersmonitor · INTERNER Bericht – nicht zur Weitergabe",
            s["title_kicker"],
        ),
        _p("Gewerbeleerstand und Standortentwicklung", s["title"]),
        _p(subtitle, s["title_sub"]),
        _p(f"{period.label} ({period.dates})", s["title_period"]),
    ]
    if ctx.public:
        version = [
            _p("Öffentliche Fassung", ParagraphStyle("v", parent=s["box"], fontName=_BOLD)),
            _p(
                "Ohne personenbezogene Daten. "
                + (
                    "Leerstand wird je Einheit gezeigt (freigegeben)."
                    if ctx.unit_level
                    else f"Leerstand wird nur zusammengefasst je Straßenabschnitt (ab {MIN_UNITS} Einheiten) gezeigt."
                ),
                s["box"],
            ),
        ]
        story.append(_box(version, color=_BLUE))
    else:
        version = [
            _p(
                "Interne Fassung – nicht zur Weitergabe",
                ParagraphStyle("v", parent=s["box"], fontName=_BOLD, textColor=_RED),
            ),
            _p(
                "Enthält personenbezogene Daten (Eigentümer, Ansprechpersonen, Kontaktdaten). "
                "Für Beirat und Öffentlichkeit die öffentliche Fassung verwenden.",
                s["box"],
            ),
        ]
        story.append(_box(version, color=_RED))
    if ctx.demo:
        story += [
            Spacer(1, 3 * mm),
            _box(
                [
                    _p(
                        settings.demo_label,
                        ParagraphStyle("d", parent=s["box"], fontName=_BOLD, textColor=_RED),
                    ),
                    _p(
                        "Dieser Bericht zeigt das fiktive Demo-Register: alle Betriebe, Adressen, Personen und Zahlen "
                        "sind erfunden. Nur die Straßennamen sind echt.",
                        s["box"],
                    ),
                ],
                color=_RED,
                background=colors.HexColor("#fdf0ee"),
            ),
        ]
    rows = [
        ("Zeitraum", f"{period.label}: {period.dates}"),
        ("Vergleichszeitraum", f"{prev.label}: {prev.dates}"),
        ("Stichtag der Bestandszahlen", fmt_date(period.end)),
        ("Datenstand", "–" if ctx.data_date is None else f"letzte Beobachtung vom {fmt_date(ctx.data_date)}"),
        ("Erstellt am", fmt_date(date.today())),
        ("Herausgeber", PUBLISHER.replace(" · ", ", ")),
    ]
    story += [
        Spacer(1, 6 * mm),
        _table(["Angabe", ""], rows, [55, 119], s),
        Spacer(1, 3 * mm),
        _p("Datenquellen und Lizenzen", s["H2"]),
        _table(["Daten", "Quelle, Lizenz"], _sources(ctx), [40, 134], s),
    ]
    contents = ["Kennzahlen mit Vergleich zur Vorperiode"]
    for q in ctx.quarters:
        contents.append(f"{q.label}: Karten, Entwicklung, Tabellen")
    if ctx.buildings is not None:
        contents.append("Gebäudebestand nach OpenStreetMap")
    contents.append("Methodik, Definitionen und Hinweise")
    story += [Spacer(1, 2 * mm), _p("Inhalt", s["H2"])]
    story += [
        _p(f"{i}. {c}", ParagraphStyle("toc", parent=s["body"], spaceAfter=1))
        for i, c in enumerate(contents, start=1)
    ]
    return [*story, NextPageTemplate("body"), PageBreak()]


def _figures_section(ctx: _Context, s: dict[str, ParagraphStyle]) -> list[Flowable]:
    period, prev = ctx.period, ctx.period.previous()
    story: list[Flowable] = [_p("Kennzahlen", s["H1"])]
    story.append(
        _p(
            f"Bestandszahlen am {fmt_date(period.end)}, Neuansiedlungen und Schließungen im Zeitraum {period.dates}. "
            f"Veränderung gegenüber der Vorperiode ({prev.label}, {prev.dates}): Bestandszahlen am "
            f"{fmt_date(prev.end)}, Ereignisse im gleich langen Zeitraum davor.",
            s["body"],
        )
    )
    if len(ctx.quarters) == 1:
        q = ctx.quarters[0]
        header = [
            "Kennzahl",
            period.label,
            f"Vorperiode: {prev.label}",
            "Veränderung",
        ]
        rows = [
            [
                r.label,
                format_value(r.value, r.kind),
                format_value(r.previous, r.kind),
                format_change(r.change, r.kind),
            ]
            for r in q.figures.itertuples()
        ]
        table = _table(header, rows, [72, 32, 36, 34], s, right=(1, 2, 3), font_size=10)
    else:
        header = ["Kennzahl"]
        for q in ctx.quarters:
            header += [q.label, ""]
        sub = [""] + [period.label, "Veränderung"] * len(ctx.quarters)
        rows = [sub]
        for i, (_, label, kind) in enumerate(FIGURES):
            row = [label]
            for q in ctx.quarters:
                r = q.figures.iloc[i]
                row += [format_value(r["value"], kind), format_change(r["change"], kind)]
            rows.append(row)
        spans = [("SPAN", (1 + 2 * j, 0), (2 + 2 * j, 0)) for j in range(len(ctx.quarters))]
        table = _table(
            header,
            rows,
            [66, 27, 27, 27, 27],
            s,
            right=(1, 2, 3, 4),
            header_rows=2,
            font_size=9.5,
            extra_style=[
                *spans,
                ("BACKGROUND", (0, 1), (-1, 1), _HEAD_BG),
                ("LINEAFTER", (2, 0), (2, -1), 0.5, _RULE),
            ],
        )
    story += [table, Spacer(1, 2 * mm)]
    story.append(
        _p(
            "Leerstehend: leer und vermutlich leer. Leerstandsquote: leerstehende Einheiten je Einheit mit bekanntem "
            "Status (ohne entfallene). Leerstandsdauer in Monaten (Tage / 30,4375). Pp.: Prozentpunkte. "
            "Definitionen im Abschnitt „Methodik“.",
            s["small"],
        )
    )
    story.append(_p("Auf einen Blick", s["H2"]))
    for q in ctx.quarters:
        story.append(_p(_summary_sentence(q), s["body"]))
    for note in (n for q in ctx.quarters for n in _quarter_notes(q)):
        story.append(_p(note, s["small"]))
    for q in ctx.quarters:
        story.append(CondPageBreak(60 * mm))
        story.append(_p(f"Ortsteile: {q.label}" if q.name else "Ortsteile", s["H2"]))
        story.append(_ortsteil_flowable(q, ctx, s))
    story.append(PageBreak())
    return story


def _summary_sentence(q: _Quarter) -> str:
    f = q.figures.set_index("key")
    p = q.period
    if q.empty or pd.isna(f.loc["vacancy_rate", "value"]):
        return f"{q.label}: am {fmt_date(p.end)} keine Einheiten mit bekanntem Status."
    rate_prev = f.loc["vacancy_rate", "previous"]
    prev_text = "" if pd.isna(rate_prev) else f"; Vorperiode {fmt_pct(rate_prev)}"
    return (
        f"{q.label}: Am {fmt_date(p.end)} standen {fmt_int(f.loc['vacant', 'value'])} von "
        f"{fmt_int(f.loc['units', 'value'])} Gewerbeeinheiten leer (Leerstandsquote {fmt_pct(f.loc['vacancy_rate', 'value'])}"
        f"{prev_text}). Im Zeitraum gab es {fmt_int(f.loc['new_settlements', 'value'])} Neuansiedlungen und "
        f"{fmt_int(f.loc['closures', 'value'])} Schließungen (Saldo {format_value(f.loc['net_settlements', 'value'], 'signed')})."
    )


def _quarter_notes(q: _Quarter) -> list[str]:
    if q.empty:
        return [f"{q.label}: Im Register sind für dieses Quartier keine Einheiten erfasst."]
    if not int(q.status_end["status"].notna().sum()):
        return [f"{q.label}: Bis zum {fmt_date(q.period.end)} liegen keine Beobachtungen vor."]
    return []


def _ortsteil_flowable(q: _Quarter, ctx: _Context, s: dict[str, ParagraphStyle]) -> Flowable:
    table = _ortsteil_table(q, public=ctx.public)
    if not len(table):
        return _p("Keine Einheiten.", s["body"])
    rows = [
        [
            r["Ortsteil"],
            fmt_int(r["Einheiten"]),
            fmt_int(r["leer"]),
            fmt_pct(r["Leerstandsquote"]),
            fmt_pct(r["Leerstandsquote Fläche"]),
            fmt_int(r["Neuansiedlungen"]),
            fmt_int(r["Schließungen"]),
        ]
        for _, r in table.iterrows()
    ]
    flow = _table(
        ["Ortsteil", "Einheiten", "leer", "Quote", "Quote Fläche", "Neuansiedl.", "Schließ."],
        rows,
        [52, 20, 17, 21, 24, 22, 18],
        s,
        right=(1, 2, 3, 4, 5, 6),
    )
    if ctx.public and (table["Einheiten"] < MIN_UNITS).any():
        return KeepTogether(
            [
                flow,
                _p(
                    f"Ortsteile mit weniger als {MIN_UNITS} Einheiten: Leerstand nicht ausgewiesen (–).",
                    s["small"],
                ),
            ]
        )
    return flow


def _quarter_sections(q: _Quarter, ctx: _Context, s: dict[str, ParagraphStyle]) -> list[Flowable]:
    p = q.period
    dpi = ctx.dpi
    story: list[Flowable] = [_p(f"{q.label}: Karten", s["H1"])]
    if ctx.aggregated:
        story.append(
            _p(
                f"Öffentliche Fassung: Leerstand zusammengefasst je Straßenabschnitt (Abschnitte von etwa "
                f"{SEGMENT_LENGTH_M:.0f} m mit mindestens {MIN_UNITS} Einheiten, beide Straßenseiten); einzelne leere "
                "Einheiten werden nicht gezeigt.",
                s["small"],
            )
        )
    # both maps on one page when they fit at no less than 80 % of the text width
    ratio = sum(
        q.figs[k].get_size_inches()[1] / q.figs[k].get_size_inches()[0]
        for k in ("karte_bestand", "karte_veraenderung")
    )
    room = _PAGE_H - _MARGIN_TOP - _MARGIN_BOTTOM - (40 if ctx.aggregated else 32) * mm
    width = (
        _WIDTH
        if ratio * _WIDTH <= room
        else max(room / ratio, 0.8 * _WIDTH)
        if room / ratio >= 0.8 * _WIDTH
        else _WIDTH
    )
    story += [_image(q.figs["karte_bestand"], dpi=dpi, width=width), Spacer(1, 3 * mm)]
    story += [
        KeepTogether(
            [
                _p(f"{q.label}: Veränderungen im Zeitraum", s["H2"]),
                _image(q.figs["karte_veraenderung"], dpi=dpi, width=width),
            ]
        )
    ]
    counts = q.compared["change"].astype(str).value_counts() if len(q.compared) else pd.Series(dtype=int)
    change_rows = [[cls.label, fmt_int(counts.get(cls.code, 0))] for cls in SM.CHANGE_CLASSES]
    story += [
        Spacer(1, 2 * mm),
        KeepTogether(
            [
                _table(
                    [f"Einheiten {fmt_date(p.before)} → {fmt_date(p.end)}", "Anzahl"],
                    change_rows,
                    [80, 25],
                    s,
                    right=(1,),
                ),
                _p(
                    "neu leer: am Ende leer oder vermutlich leer, am Anfang nicht; neu genutzt: am Ende genutzt, am Anfang nicht; "
                    "andere Änderung: z. B. zu Sanierung/Umbau oder entfallen.",
                    s["small"],
                ),
            ]
        ),
        PageBreak(),
    ]
    story += [
        _p(f"{q.label}: Entwicklung", s["H1"]),
        _image(q.figs["leerstandsquote"], dpi=dpi),
        Spacer(1, 4 * mm),
        _image(q.figs["ansiedlungen"], dpi=dpi),
        _p(
            "Balken: Neuansiedlungen und Schließungen je Kalenderjahr (das letzte Jahr bis zum Stichtag); Raute: Saldo.",
            s["caption"],
        ),
        PageBreak(),
        _image(q.figs["branchen"], dpi=dpi),
        Spacer(1, 4 * mm),
        _image(q.figs["leerstandsdauer"], dpi=dpi),
        _p(
            "Dauer der am Stichtag laufenden Leerstände (bis zum Stichtag gemessen) und der im Zeitraum beendeten.",
            s["caption"],
        ),
        PageBreak(),
    ]
    story.append(_p(f"{q.label}: Tabellen", s["H1"]))
    story += _longest_flowables(q, ctx, s)
    story += _settlement_flowables(q, s)
    story += _street_flowables(q, ctx, s)
    story.append(PageBreak())
    return story


def _longest_flowables(q: _Quarter, ctx: _Context, s: dict[str, ParagraphStyle]) -> list[Flowable]:
    end = fmt_date(q.period.end)
    if ctx.aggregated:
        table = _segment_table(q).head(20)
        head = _p(f"Leerstand nach Straßenabschnitten am {end}", s["H2"])
        if not len(table):
            return [head, _p(f"Keine Straßenabschnitte mit mindestens {MIN_UNITS} Einheiten.", s["body"])]
        rows = [
            [
                r["Straßenabschnitt"],
                r["Ortsteil"],
                fmt_int(r["Einheiten"]),
                fmt_int(r["leer"]),
                fmt_pct(r["Leerstandsquote"]),
                fmt_months(r["Median Leerstandsdauer (Tage)"]),
            ]
            for _, r in table.iterrows()
        ]
        return [
            head,
            _table(
                ["Straßenabschnitt", "Ortsteil", "Einheiten", "leer", "Quote", "Median-Dauer"],
                rows,
                [56, 40, 18, 14, 20, 26],
                s,
                right=(2, 3, 4, 5),
            ),
            _p(
                f"Die {len(table)} Abschnitte mit der höchsten Leerstandsquote; Abschnitte mit weniger als {MIN_UNITS} "
                "Einheiten sind nicht aufgeführt. Einzelne leere Einheiten werden in der öffentlichen Fassung nicht genannt.",
                s["caption"],
            ),
        ]
    table = _longest_table(q, public=ctx.public, n=15)
    head = _p(f"Am längsten leerstehende Einheiten am {end}", s["H2"])
    if not len(table):
        return [head, _p("Keine leerstehenden Einheiten am Stichtag.", s["body"])]
    rows = []
    for _, r in table.iterrows():
        address = Paragraph(
            f"{escape(display_text(r['Adresse']))}<br/><font size=7 color='#5a5a5a'>"
            f"{escape(display_text(r['Ortsteil']))} · {escape(display_text(r['Status']))}</font>",
            s["cell"],
        )
        area = "–" if pd.isna(r["Fläche (m²)"]) else f"{fmt_int(r['Fläche (m²)'])} m²"
        row = [address, fmt_date(r["leer seit"]), _num(r["Dauer (Monate)"], digits=1), area]
        if not ctx.public:
            contact = "<br/>".join(
                escape(str(v))
                for v in (r["Ansprechperson"], r["Telefon"], r["E-Mail"])
                if v is not None and not pd.isna(v) and str(v).strip()
            )
            row += [
                _p(
                    r["Eigentümer/in"]
                    if r["Eigentümer/in"] is not None and not pd.isna(r["Eigentümer/in"])
                    else "–",
                    s["cell"],
                ),
                Paragraph(contact or "–", s["cell"]),
            ]
        rows.append(row)
    if ctx.public:
        flow = _table(
            ["Adresse", "leer seit", "Monate", "Fläche"], rows, [88, 30, 26, 30], s, right=(1, 2, 3)
        )
    else:
        flow = _table(
            ["Adresse", "leer seit", "Mon.", "Fläche", "Eigentümer/in", "Ansprechperson, Kontakt"],
            rows,
            [41, 18.5, 11.5, 16, 41, 46],
            s,
            right=(1, 2, 3),
        )
    return [
        head,
        flow,
        _p(
            f"Die {len(table)} Einheiten mit dem längsten laufenden Leerstand (leer oder vermutlich leer); "
            "„leer seit“: Beginn des Leerstands.",
            s["caption"],
        ),
    ]


def _settlement_flowables(q: _Quarter, s: dict[str, ParagraphStyle], *, limit: int = 40) -> list[Flowable]:
    table = _settlement_table(q)
    head = _p(f"Neuansiedlungen im Zeitraum ({q.period.dates})", s["H2"])
    if not len(table):
        return [CondPageBreak(30 * mm), head, _p("Keine Neuansiedlungen im Zeitraum.", s["body"])]
    rows = [
        [
            fmt_date(r["Datum"]),
            r["Betrieb"] if r["Betrieb"] is not None and not pd.isna(r["Betrieb"]) else "–",
            r["Branche"],
            f"{r['Adresse']}"
            + (f" ({r['Ortsteil']})" if r["Ortsteil"] and not pd.isna(r["Ortsteil"]) else ""),
        ]
        for _, r in table.head(limit).iterrows()
    ]
    out: list[Flowable] = [
        CondPageBreak(40 * mm),
        head,
        _table(["Datum", "Betrieb", "Branche", "Adresse"], rows, [20, 50, 40, 64], s),
    ]
    if len(table) > limit:
        out.append(
            _p(
                f"… und {len(table) - limit} weitere; die vollständige Liste enthält die XLSX-Datei.",
                s["caption"],
            )
        )
    else:
        out.append(Spacer(1, 3 * mm))
    return out


def _street_flowables(
    q: _Quarter, ctx: _Context, s: dict[str, ParagraphStyle], *, limit: int = 20
) -> list[Flowable]:
    table = _street_table(q)
    head = _p(f"Straßen nach Leerstandsquote am {fmt_date(q.period.end)}", s["H2"])
    if not len(table):
        return [
            CondPageBreak(30 * mm),
            head,
            _p(f"Keine Straße mit mindestens {MIN_UNITS} Einheiten.", s["body"]),
        ]
    rows = []
    for rank, (_, r) in enumerate(table.head(limit).iterrows(), start=1):
        delta = (r["Leerstandsquote"] - r["Leerstandsquote Vorperiode"]) * 100
        rows.append(
            [
                str(rank),
                r["Straße"],
                fmt_int(r["Einheiten"]),
                fmt_int(r["leer"]),
                fmt_pct(r["Leerstandsquote"]),
                (fmt_signed(delta, digits=1, unit="Pp.") or "–").replace("-", "−"),
                fmt_int(r["Neuansiedlungen"]),
            ]
        )
    return [
        CondPageBreak(50 * mm),
        head,
        _table(
            ["Rang", "Straße", "Einheiten", "leer", "Quote", "Veränderung", "Neuansiedl."],
            rows,
            [12, 56, 20, 16, 22, 26, 22],
            s,
            right=(0, 2, 3, 4, 5, 6),
        ),
        _p(
            f"Straßen mit mindestens {MIN_UNITS} Einheiten mit bekanntem Status; Veränderung der Quote gegenüber "
            f"{fmt_date(q.period.before)}; Neuansiedlungen im Zeitraum.",
            s["caption"],
        ),
    ]


def _buildings_section(ctx: _Context, s: dict[str, ParagraphStyle]) -> list[Flowable]:
    from geo.osm.buildings import CAVEAT

    assert ctx.buildings is not None
    story: list[Flowable] = [
        _p("Gebäudebestand nach OpenStreetMap", s["H1"]),
        _box(
            [_p("Hinweis", ParagraphStyle("c", parent=s["box"], fontName=_BOLD)), _p(CAVEAT, s["box"])],
            color=colors.HexColor("#e69f00"),
            background=colors.HexColor("#fff8e8"),
        ),
        Spacer(1, 4 * mm),
    ]
    for q in ctx.quarters:
        areas = _quarter_areas(q.name, q.boundaries)
        data = _building_rows(ctx.buildings, areas, ctx.period.end)
        story += [CondPageBreak(70 * mm), _p(f"{q.label}" if q.name else "Alle Ortsteile", s["H2"])]
        if not len(data):
            story.append(
                _p(f"Keine OSM-Schnappschüsse bis {fmt_date(ctx.period.end)} für diese Ortsteile.", s["body"])
            )
            continue
        days = sorted(pd.to_datetime(data["date"]).unique())
        first, last = pd.Timestamp(days[0]), pd.Timestamp(days[-1])
        rows = []
        for group, frame in data.groupby("group", sort=True):
            frame = frame.assign(date=pd.to_datetime(frame["date"])).sort_values("date")
            a, b = frame.iloc[0], frame.iloc[-1]
            later = frame.iloc[1:]
            rows.append(
                [
                    group,
                    fmt_int(a["buildings"]),
                    fmt_int(b["buildings"]),
                    fmt_signed(float(b["buildings"]) - float(a["buildings"])) or "–",
                    fmt_int(a["commercial"]),
                    fmt_int(b["commercial"]),
                    fmt_int(pd.to_numeric(later["added"]).sum()),
                    fmt_int(pd.to_numeric(later["removed"]).sum()),
                ]
            )
        story += [
            _table(
                [
                    "Ortsteil",
                    f"Gebäude {first:%Y}",
                    f"Gebäude {last:%Y}",
                    "Veränd.",
                    f"gewerbl. {first:%Y}",
                    f"gewerbl. {last:%Y}",
                    "neu erfasst",
                    "entfernt",
                ],
                rows,
                [44, 19, 19, 16, 19, 19, 20, 18],
                s,
                right=(1, 2, 3, 4, 5, 6, 7),
            ),
            _p(
                f"Stand von OpenStreetMap am {fmt_date(first)} und am {fmt_date(last)} (letzter Schnappschuss bis zum "
                f"Stichtag); neu erfasst / entfernt: Summe über die Schnappschüsse dazwischen. {SM.OSM_CREDIT}.",
                s["caption"],
            ),
            _image(
                F.buildings_figure(
                    data,
                    title="Gebäude je Ortsteil in OpenStreetMap",
                    subtitle="Anzahl der Gebäude (links) und der gewerblich genutzten Gebäude (rechts)",
                ),
                dpi=ctx.dpi,
            ),
            Spacer(1, 4 * mm),
        ]
    story.append(PageBreak())
    return story


_DEFINITIONS: tuple[tuple[str, str], ...] = (
    (
        "Gewerbeeinheit",
        "Eine gewerblich nutzbare Einheit (Laden, Büro, Werkstatt …) mit fester Kennung und Lage. "
        "Ortsteil und Quartier ergeben sich aus der Lage und den Ortsteilgrenzen, sie werden nie eingetippt.",
    ),
    (
        "Status am Stichtag",
        "Die letzte Beobachtung der Einheit an oder vor dem Stichtag. Beobachtungen eines Tages werden "
        "nach Erfassungszeitpunkt geordnet; durch eine Korrektur ersetzte Beobachtungen gehen in keine Zahl ein. Eine Einheit "
        "ohne Beobachtung bis zum Stichtag zählt noch nicht.",
    ),
    (
        "Gewerbeeinheiten (bekannter Status)",
        "Einheiten mit bekanntem Status am Stichtag, ohne „unbekannt“ und ohne "
        "„entfallen“ (abgerissen, zusammengelegt).",
    ),
    (
        "Leerstehend",
        "Status „leer“ oder „vermutlich leer“ (vermutlich leer wird in den Tabellen mitgezählt).",
    ),
    (
        "Leerstandsquote nach Anzahl",
        "Leerstehende Einheiten geteilt durch die Einheiten mit bekanntem Status (ohne entfallene).",
    ),
    (
        "Leerstandsquote nach Fläche",
        "Leerstehende Fläche geteilt durch die Fläche der Einheiten mit bekanntem Status, "
        "jeweils nur über die Einheiten mit bekannter Fläche.",
    ),
    (
        "Neuansiedlung",
        "Eine Beobachtung im Zeitraum, die eine Einheit „genutzt“ macht, wenn ihr voriger bekannter Status "
        "(„unbekannt“ wird übersprungen) nicht „genutzt“ war oder ein anderer Betrieb dort war (Namen ohne Rücksicht auf "
        "Groß-/Kleinschreibung und Leerzeichen verglichen; ein fehlender Name gilt nicht als anderer Betrieb). Die erste "
        "Beobachtung einer Einheit zählt nur, wenn sie als Neuansiedlung gekennzeichnet ist – eine Ersterfassung sagt nichts "
        "darüber, wann ein Betrieb kam.",
    ),
    (
        "Schließung",
        "Eine Beobachtung im Zeitraum, deren voriger bekannter Status „genutzt“ war und die „leer“, „vermutlich "
        "leer“ oder „Sanierung/Umbau“ lautet. Genutzt → entfallen ist keine Schließung.",
    ),
    ("Saldo", "Neuansiedlungen minus Schließungen im Zeitraum."),
    (
        "Leerstandsdauer",
        "Von der ersten Beobachtung „leer“/„vermutlich leer“ bis zur nächsten Beobachtung mit anderem Status "
        "(auch „unbekannt“ beendet einen Leerstand); laufende Leerstände werden bis zum Stichtag gemessen. Median und längster "
        "Leerstand werden über die am Stichtag laufenden Leerstände gebildet. Monate = Tage / 30,4375.",
    ),
    (
        "Zeitraum und Vorperiode",
        "Zeitraum: erster bis letzter Tag, beide eingeschlossen; Bestandszahlen am letzten Tag. "
        "Vorperiode: der gleich lange Zeitraum unmittelbar davor (bei Jahr, Halbjahr, Quartal und Monat der vorige "
        "Kalenderzeitraum); ihre Bestandszahlen gelten am Tag vor Beginn des Berichtszeitraums.",
    ),
    (
        "Neu leer / neu genutzt",
        "Vergleich der Status am Tag vor Beginn und am letzten Tag des Zeitraums: neu leer – am Ende "
        "leerstehend, am Anfang nicht; neu genutzt – am Ende genutzt, am Anfang nicht; andere Änderung – jede andere Änderung.",
    ),
    (
        "Leerstandsquote je Jahr",
        "Jeweils am 31.12. eines Jahres, im letzten Jahr am Stichtag; Neuansiedlungen und "
        "Schließungen je Kalenderjahr.",
    ),
)


def _coverage_text(q: _Quarter) -> str:
    st = q.status_end
    registered = st.loc[st["status"].notna()]
    if not len(registered):
        return f"{q.label}: Bis zum Stichtag keine Einheiten erfasst."
    live = registered.loc[registered["status"] != "demolished"]
    unknown = int((live["status"] == "unknown").sum())
    probably = int((live["status"] == "probably_vacant").sum())
    cutoff = pd.Timestamp(q.period.end) - pd.DateOffset(years=1)
    stale = int((pd.to_datetime(live["observed_on"]) < cutoff).sum())
    share = stale / len(live) if len(live) else float("nan")
    return (
        f"{q.label}: {fmt_int(len(registered))} Einheiten bis zum {fmt_date(q.period.end)} erfasst, davon "
        f"{fmt_int(unknown)} mit Status „unbekannt“ und {fmt_int(probably)} „vermutlich leer“; "
        f"{fmt_int(stale)} Einheiten ({fmt_pct(share)}) wurden zuletzt vor mehr als 12 Monaten beobachtet – ihr Status kann "
        "veraltet sein."
    )


def _methods_section(ctx: _Context, s: dict[str, ParagraphStyle]) -> list[Flowable]:
    story: list[Flowable] = [
        _p("Methodik, Definitionen und Hinweise", s["H1"]),
        _p("Begriffe und Kennzahlen", s["H2"]),
    ]
    for term, text in _DEFINITIONS:
        story.append(KeepTogether([_p(term, s["term"]), _p(text, s["def"])]))
    if ctx.public:
        story += [CondPageBreak(40 * mm), _p("Öffentliche Fassung", s["H2"])]
        text = (
            "Die öffentliche Fassung enthält keine personenbezogenen oder internen Angaben: keine Eigentümer, "
            "Ansprechpersonen, Telefonnummern, E-Mail-Adressen, Notizen oder Namen von Mitarbeitenden. "
        )
        if ctx.unit_level:
            text += "Leerstand wird auf ausdrückliche Freigabe je Einheit gezeigt."
        else:
            text += (
                f"Leerstand wird nicht je Einheit gezeigt, sondern je Straßenabschnitt: Jede Straße wird (beide Seiten "
                f"zusammen) entlang ihres Verlaufs in Abschnitte von etwa {SEGMENT_LENGTH_M:.0f} m mit gleich vielen "
                f"Einheiten geteilt, jeder mit mindestens {MIN_UNITS} Einheiten. Die Karte zeigt die Leerstandsquote "
                "des Abschnitts in Klassen, die Tabellen Abschnitte und Straßen, keine Adressen leerer Einheiten. "
                f"Abschnitte, Straßen und Ortsteile mit weniger als {MIN_UNITS} Einheiten werden nicht ausgewiesen. "
                "Neuansiedlungen sind geöffnete Betriebe und werden mit Namen und Adresse genannt."
            )
        story.append(_p(text, s["body"]))
    story += [CondPageBreak(40 * mm), _p("Hinweise zur Datengrundlage", s["H2"])]
    story.append(
        _p(
            "Das Register enthält die Einheiten, die der Quartiersservice bei Begehungen, aus Meldungen und Listen erfasst hat; "
            "es ist keine Vollerhebung. Einheiten werden unterschiedlich oft beobachtet, der Status am Stichtag ist der zuletzt "
            "beobachtete. „Vermutlich leer“ beruht auf äußeren Anzeichen. Neue Einheiten im Register können schon lange "
            "bestehen: Die Zahl der Einheiten wächst auch mit der Erfassung.",
            s["body"],
        )
    )
    for q in ctx.quarters:
        story.append(_p(_coverage_text(q), s["body"]))
    credit = SM.boundary_credit(ctx.quarters[0].boundaries) or ""
    if SM.APPROX_BOUNDARY_CREDIT in credit:
        story.append(
            _p(
                "Ortsteilgrenzen: eigene, handgezeichnete Umrisse des Quartiersmonitors, stellenweise einige hundert "
                "Meter ungenau und nicht amtlich. Für amtliche Zahlen die Ortsteilgrenzen der Stadt Leipzig laden "
                "(python -m geo boundaries).",
                s["body"],
            )
        )
    if ctx.buildings is not None:
        from geo.osm.buildings import CAVEAT

        story.append(_p(f"Gebäudebestand aus OpenStreetMap: {CAVEAT}", s["body"]))
    else:
        story.append(
            _p(
                "OpenStreetMap: Veränderungen im Kartenbestand spiegeln auch die Aktivität der Kartierenden wider, "
                "nicht nur Bautätigkeit.",
                s["body"],
            )
        )
    if ctx.demo:
        story.append(
            _p(
                f"{settings.demo_label}: Alle Betriebe, Adressen, Personen und Zahlen dieses Berichts sind erfunden.",
                ParagraphStyle("demo", parent=s["body"], fontName=_BOLD, textColor=_RED),
            )
        )
    story += [CondPageBreak(40 * mm), _p("Quellen und Lizenzen", s["H2"])]
    story.append(_table(["Daten", "Quelle, Lizenz"], _sources(ctx), [40, 134], s))
    return story


@dataclass
class _Rendered:
    pdf: bytes
    pages: int


def _render(ctx: _Context) -> _Rendered:
    _register_fonts()
    s = _styles()
    buffer = io.BytesIO()
    doc = _Doc(
        buffer,
        pagesize=A4,
        leftMargin=_MARGIN_X,
        rightMargin=_MARGIN_X,
        topMargin=_MARGIN_TOP,
        bottomMargin=_MARGIN_BOTTOM,
        title=("" if ctx.public else "INTERN – ")
        + f"Gewerbeleerstand und Standortentwicklung – {ctx.label} – {ctx.period.label}",
        author="Quartiersservice Wirtschaft (Quartiersmonitor)",
        subject=_version_text(ctx.public, ctx.unit_level),
        creator="Quartiersmonitor",
        lang="de-DE",
    )
    frame = Frame(
        _MARGIN_X,
        _MARGIN_BOTTOM,
        _WIDTH,
        _PAGE_H - _MARGIN_TOP - _MARGIN_BOTTOM,
        id="body",
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
    )
    doc.addPageTemplates(
        [
            PageTemplate(id="title", frames=[frame], onPage=_furniture(ctx, title_page=True)),
            PageTemplate(id="body", frames=[frame], onPage=_furniture(ctx, title_page=False)),
        ]
    )
    story = _title_page(ctx, s) + _figures_section(ctx, s)
    for q in ctx.quarters:
        story += _quarter_sections(q, ctx, s)
    if ctx.buildings is not None:
        story += _buildings_section(ctx, s)
    story += _methods_section(ctx, s)
    pages: list[int] = []
    doc.build(story, canvasmaker=_canvas_class(pages))
    return _Rendered(buffer.getvalue(), pages[-1] if pages else 0)


# -- entry points -------------------------------------------------------------------------------------


@dataclass
class ReportSummary:
    """What :func:`build_report` made.

    Attributes
    ----------
    pages
        Number of pages of the PDF.
    quarters
        Quarters shown (display names; None for the whole register).
    period
        The period (its previous period: ``period.previous()``).
    public, unit_level, demo
        Version of the report, and whether the register is the fictional demo.
    figures
        Key figures (:func:`key_figures`) of every quarter, with a ``quarter`` column.
    notes
        German remarks (quarters without units or observations).
    seconds
        Time taken.
    """

    pages: int
    quarters: tuple[str | None, ...]
    period: Period
    public: bool
    unit_level: bool
    demo: bool
    figures: pd.DataFrame
    notes: list[str]
    seconds: float

    @property
    def internal(self) -> bool:
        """Whether this is the internal version (with personal data)."""
        return not self.public


def _write(data: bytes, out: str | os.PathLike[str] | IO[bytes]) -> None:
    """Write to a path (atomically, normal permissions: :func:`geo._files.write_bytes`) or a file object."""
    write_bytes(out, data, prefix=".qm-report-")


def build_report(
    register: Register,
    *,
    quarter: str | list[str] | None,
    start: date,
    end: date,
    out: str | os.PathLike[str] | IO[bytes],
    internal: bool = False,
    public: bool | None = None,
    osm_buildings: pd.DataFrame | None = None,
    period_label: str | None = None,
    unit_level: bool = False,
    streets: gpd.GeoDataFrame | None = None,
    dpi: int = 200,
) -> ReportSummary:
    """Make the period report as an A4 PDF in German.

    Parameters
    ----------
    register
        The register (``store.read()``).
    quarter
        A quarter (display name or slug), a list of two shown side by side,
        or None for the whole register.
    start, end
        First and last day of the period (both included).
    out
        File path (replaced atomically) or binary file object. The name is used as
        given; the command line inserts ``-intern`` for the internal version.
    internal
        The internal version with owners and contacts (title, header and PDF
        metadata say "INTERN"). Default: the public version, no personal or
        internal data; vacancy only per street section (see the module
        documentation) unless ``unit_level``.
    public
        Deprecated spelling: ``public=False`` is ``internal=True``.
    osm_buildings
        Building-stock figures (:func:`geo.osm.buildings.building_stats`,
        :func:`geo.osm.buildings.analyse_folder`) or snapshots
        (:func:`geo.osm.buildings.load_snapshots`): adds the building-stock section.
    period_label
        Name of the period on the title page (default: „Jahr 2025“,
        „1. Halbjahr 2025“, „3. Quartal 2025“, „Juni 2025“ or the dates).
    unit_level
        Public version: show vacancy per unit anyway (without personal data).
    streets
        Street lines for the maps (:func:`geo.outputs.staticmaps.load_streets`, e.g.
        the cached OSM network); without, the maps show no streets.
    dpi
        Resolution of maps and charts in the PDF.

    Returns
    -------
    ReportSummary
        Pages, key figures, remarks.

    Raises
    ------
    InputError
        Unknown quarter, more than two quarters, start after end, unusable
        building data, missing target folder.
    """
    t0 = time.perf_counter()
    public = not wants_internal(internal, public)
    register = _for_version(register, internal=not public)
    period = Period.between(start, end, label=period_label)
    if isinstance(out, (str, os.PathLike)) and not Path(out).parent.exists():
        raise InputError(f"Ordner {Path(out).parent} existiert nicht.")
    demo = register.meta.get("demo") == "true"
    names = _resolve_quarters(register, quarter)
    street_lines = SM.load_streets(streets) if streets is not None else None
    bstats = _building_stats(osm_buildings, register) if osm_buildings is not None else None
    quarters = [_quarter_data(register, name, period, public=public, unit_level=unit_level) for name in names]
    for q in quarters:
        q.figs = _quarter_figures(q, public=public, unit_level=unit_level, streets=street_lines, demo=demo)
    ctx = _Context(
        register=register,
        quarters=quarters,
        period=period,
        public=public,
        unit_level=unit_level,
        demo=demo,
        streets=street_lines is not None,
        buildings=bstats,
        dpi=dpi,
        data_date=_data_date(register, period.end),
    )
    rendered = _render(ctx)
    _write(rendered.pdf, out)
    return ReportSummary(
        pages=rendered.pages,
        quarters=tuple(names),
        period=period,
        public=public,
        unit_level=unit_level,
        demo=demo,
        figures=pd.concat([q.figures.assign(quarter=q.label) for q in quarters], ignore_index=True),
        notes=[n for q in quarters for n in _quarter_notes(q)],
        seconds=time.perf_counter() - t0,
    )


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
    osm_buildings: pd.DataFrame | None = None,
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
    areas: set[str] = set()
    names = _resolve_quarters(register, quarter)
    for name in names:
        q = _quarter_data(register, name, period, public=public, unit_level=unit_level)
        areas |= _quarter_areas(name, q.boundaries)
        for key, fig in _quarter_figures(
            q, public=public, unit_level=unit_level, streets=street_lines, demo=demo
        ).items():
            out[f"{key}_{q.slug}"] = fig
    if osm_buildings is not None:
        data = _building_rows(_building_stats(osm_buildings, register), areas, period.end)
        out["gebaeudebestand"] = F.buildings_figure(
            data, subtitle="Anzahl der Gebäude (links) und der gewerblich genutzten (rechts)"
        )
    return out


# -- command line ------------------------------------------------------------------------------------


def add_cli(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``report`` subcommand to the command line.

    Parameters
    ----------
    subparsers
        The object returned by :meth:`argparse.ArgumentParser.add_subparsers`.

    Returns
    -------
    argparse.ArgumentParser
        The parser of the subcommand.
    """
    from geo.cli import _date, _store_arg

    p = subparsers.add_parser(
        "report",
        help="Zeitraumbericht als PDF (A4, deutsch) für Beirat und Stadt",
        description="Bericht für ein Quartier (oder zwei nebeneinander) und einen Zeitraum: Kennzahlen mit Vergleich "
        "zur Vorperiode, Karten, Diagramme, Tabellen, Methodik. Zeitraum mit --period (2025, 2025H1, 2025Q3, 2025-06) "
        "oder --from/--to.",
    )
    _store_arg(p)
    p.add_argument(
        "--quarter",
        action="append",
        default=None,
        metavar="NAME",
        help="Quartier (Name oder Kürzel); zweimal angeben für zwei Quartiere nebeneinander; ohne: alle Einheiten",
    )
    p.add_argument("--period", default=None, help="Zeitraum: 2025, 2025H1, 2025Q3 oder 2025-06")
    p.add_argument(
        "--from", dest="start", type=_date, default=None, metavar="DATUM", help="erster Tag des Zeitraums"
    )
    p.add_argument(
        "--to", dest="end", type=_date, default=None, metavar="DATUM", help="letzter Tag des Zeitraums"
    )
    p.add_argument(
        "--internal",
        action="store_true",
        help="interne Fassung mit Eigentümern und Kontakten (Dateinamen erhalten -intern); ohne: öffentliche Fassung",
    )
    p.add_argument("--public", action="store_true", help="öffentliche Fassung (Vorgabe; nur zur Kompatibilität)")
    p.add_argument(
        "--unit-level",
        action="store_true",
        help="öffentliche Fassung: Leerstand trotzdem je Einheit zeigen (sonst je Straßenabschnitt)",
    )
    p.add_argument(
        "--osm-buildings",
        type=Path,
        default=None,
        metavar="ORDNER",
        help="Ordner mit OSM-Gebäude-Schnappschüssen (*-buildings.geojson) für den Gebäudebestand",
    )
    p.add_argument(
        "--streets",
        type=Path,
        default=None,
        metavar="DATEI",
        help="Straßennetz für die Karten (OSM-XML, GraphML, GeoJSON/GeoPackage mit Linien)",
    )
    p.add_argument(
        "--xlsx", type=Path, default=None, metavar="DATEI", help="zusätzlich die Kennzahlen als XLSX"
    )
    p.add_argument("--out", type=Path, required=True, metavar="DATEI", help="Ziel-PDF")
    return p


def run_cli(args: argparse.Namespace) -> int:
    """Run the ``report`` subcommand.

    Returns
    -------
    int
        0 on success, 2 on bad input (one German message on stderr).
    """
    from geo.register.store import open_store

    try:
        if args.internal and args.public:
            raise InputError("--internal und --public widersprechen sich: eines weglassen (Vorgabe: öffentlich).")
        out = internal_path(args.out) if args.internal else args.out
        xlsx = internal_path(args.xlsx) if args.internal and args.xlsx is not None else args.xlsx
        if args.period and (args.start or args.end):
            raise InputError("Entweder --period oder --from/--to angeben, nicht beides.")
        if args.period:
            period = parse_period(args.period)
        elif args.start and args.end:
            period = Period.between(args.start, args.end)
        else:
            raise InputError(
                "Zeitraum fehlt: --period 2025 (bzw. 2025H1, 2025Q3) oder --from DATUM --to DATUM angeben."
            )
        register = open_store(args.store).read()
        osm = load_osm_buildings(args.osm_buildings, register) if args.osm_buildings is not None else None
        streets = SM.load_streets(args.streets) if args.streets is not None else None
        summary = build_report(
            register,
            quarter=args.quarter,
            start=period.start,
            end=period.end,
            internal=args.internal,
            out=out,
            osm_buildings=osm,
            unit_level=args.unit_level,
            streets=streets,
        )
        if xlsx is not None:
            F.period_figures_xlsx(
                register,
                quarter=args.quarter,
                start=period.start,
                end=period.end,
                out=xlsx,
                internal=args.internal,
                unit_level=args.unit_level,
            )
    except QuartiersmonitorError as exc:
        sys.stderr.write(f"Fehler: {exc}\n")
        return 2
    for note in summary.notes:
        sys.stderr.write(f"Hinweis: {note}\n")
    version = "öffentlich" if summary.public else "intern, mit personenbezogenen Daten"
    print(
        f"Bericht {period.label} ({version}, {summary.pages} Seiten) geschrieben: {out}"
        + (f"; Kennzahlen: {xlsx}" if xlsx else "")
    )
    return 0


# -- for the app ---------------------------------------------------------------------------------------


@dataclass
class ReportBundle:
    """Everything the app offers for download for one report.

    Attributes
    ----------
    pdf
        The report (:func:`build_report`).
    xlsx
        The period figures (:func:`geo.outputs.figures.period_figures_xlsx`).
    images
        PNG (200 dpi) and SVG of every map and chart, by file-name stem (:func:`report_figures`).
    summary
        The report's summary.
    """

    pdf: bytes
    xlsx: bytes
    images: dict[str, tuple[bytes, bytes]]
    summary: ReportSummary


def report_bundle(
    register: Register,
    *,
    quarter: str | list[str] | None,
    start: date,
    end: date,
    internal: bool = False,
    public: bool | None = None,
    unit_level: bool = False,
    osm_buildings: pd.DataFrame | None = None,
) -> ReportBundle:
    """PDF, XLSX and every figure as PNG and SVG for one choice (parameters as in :func:`build_report`)."""
    pdf, xlsx = io.BytesIO(), io.BytesIO()
    options: dict[str, Any] = {
        "quarter": quarter,
        "start": start,
        "end": end,
        "internal": wants_internal(internal, public),
        "unit_level": unit_level,
    }
    summary = build_report(register, out=pdf, osm_buildings=osm_buildings, **options)
    F.period_figures_xlsx(register, out=xlsx, **options)
    images = {
        name: (F.figure_bytes(fig, fmt="png"), F.figure_bytes(fig, fmt="svg"))
        for name, fig in report_figures(register, osm_buildings=osm_buildings, **options).items()
    }
    return ReportBundle(pdf.getvalue(), xlsx.getvalue(), images, summary)


def summary_table(summary: ReportSummary) -> pd.DataFrame:
    """The key figures of a report as text, one column pair (value, change) per quarter."""
    frame = summary.figures
    table = pd.DataFrame({"Kennzahl": list(dict.fromkeys(frame["label"]))})
    for quarter, part in frame.groupby("quarter", sort=False):
        table[f"{quarter}"] = [format_value(r.value, r.kind) for r in part.itertuples()]
        table[f"{quarter}: Veränderung"] = [format_change(r.change, r.kind) for r in part.itertuples()]
    return table


def preview_pages(pdf: bytes, *, pages: int = 2, scale: float = 1.4) -> list[bytes]:
    """The first ``pages`` pages of a PDF as PNG (needs the optional package ``pypdfium2``; else empty)."""
    try:
        import pypdfium2 as pdfium
    except ImportError:
        return []
    doc = pdfium.PdfDocument(pdf)
    out = []
    for i in range(min(pages, len(doc))):
        buffer = io.BytesIO()
        doc[i].render(scale=scale).to_pil().save(buffer, format="PNG")
        out.append(buffer.getvalue())
    return out

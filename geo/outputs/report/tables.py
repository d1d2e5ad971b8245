"""The report's tables as numbers: key figures, Ortsteile, streets, longest vacant, new settlements."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np
import pandas as pd

from geo import settings
from geo.dates import DAYS_PER_MONTH, local_today
from geo.formats import fmt_date, unit_address
from geo.outputs import figures as F
from geo.outputs import staticmaps as SM
from geo.outputs.report.data import (
    FIGURES,
    PUBLISHER,
    _data_date,
    _for_version,
    _Quarter,
    _quarter_data,
    _resolve_quarters,
    _version_text,
)
from geo.outputs.report.period import Period
from geo.register.history import Register
from geo.register.model import wants_internal
from geo.register.stats import longest_vacant, public_rate, stats

__all__ = ["report_tables"]


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
        small = public_rate(frame).isna().to_numpy()  # the public rule, as in the charts
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
    out = out.loc[out["Einheiten"] >= settings.public_min_units]
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
            "Dauer (Monate)": (frame["vacant_days"] / DAYS_PER_MONTH).round(1),
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
        ("Erstellt am", fmt_date(local_today())),
        ("Quelle Einheiten", "Register des Quartiersservice Wirtschaft (Quartiersmonitor)"),
        ("Quelle Grenzen", SM.boundary_credit(quarters[0].boundaries) or "–"),
        ("Herausgeber", PUBLISHER),
    ]
    if register.meta.get("demo") == "true":
        rows.insert(
            0, ("Hinweis", f"{settings.demo_label}: alle Betriebe, Adressen und Personen sind erfunden.")
        )
    return pd.DataFrame(rows, columns=["Feld", "Wert"])


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
    """The report's tables as numbers (for XLSX, see :func:`geo.outputs.report.xlsx.period_figures_xlsx`).

    Public unless ``internal=True`` (``public`` is the deprecated spelling, see
    :func:`geo.register.model.wants_internal`).

    Returns
    -------
    dict[str, pandas.DataFrame]
        Keyed by :data:`geo.outputs.report.xlsx.XLSX_SHEETS`. ``Kennzahlen`` has one row
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

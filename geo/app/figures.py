"""Figures of a view with German labels: key figures, tables per area, longest vacancies, periods.

* :func:`key_figures` -- the overview's key figures (:class:`KeyFigure`, for
  ``st.metric``) with the change against one year earlier;
* :func:`register_counts`, :func:`counts_note` -- how the units in the register
  relate to the key figure „Gewerbeeinheiten“ (:class:`RegisterCounts`);
* :func:`area_table`, :func:`longest_vacant_table` -- tables with German columns;
* :func:`plausible_start`, :func:`first_observation`, :func:`spells_between`,
  :func:`events_summary` -- the period of the development views.

The figures themselves are computed by :mod:`geo.register.stats`; this module
only labels and formats them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Literal

import pandas as pd

from geo.dates import DAYS_PER_MONTH, plausible_window
from geo.formats import fmt_date, fmt_int, fmt_months, fmt_pct, fmt_signed, is_missing, unit_address
from geo.register.history import Register
from geo.register.model import Status, public_record
from geo.register.stats import longest_vacant, stats, status_at, vacancy_spells

# -- key figures ---------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyFigure:
    """One key figure for ``st.metric``."""

    label: str
    value: str
    delta: str | None
    delta_color: Literal["normal", "inverse", "off"]
    help: str
    delta_arrow: Literal["auto", "up", "down", "off"] = "auto"


def _neutral_zero(figure: KeyFigure) -> KeyFigure:
    """A change of zero (``±0``) shown grey and without an arrow (not as a red "up")."""
    if figure.delta is not None and figure.delta.startswith("±"):
        return replace(figure, delta_color="off", delta_arrow="off")
    return figure


@dataclass(frozen=True)
class RegisterCounts:
    """Units of a register on a date, by how they count in the key figures.

    Attributes
    ----------
    total
        All units in the register.
    known
        Units with a known status, not demolished (the key figure „Gewerbeeinheiten“).
    demolished, unknown
        Units demolished, or with status unknown, on the date.
    unobserved
        Units without an observation on or before the date.
    """

    total: int
    known: int
    demolished: int
    unknown: int
    unobserved: int


def register_counts(register: Register, *, at: date) -> RegisterCounts:
    """Units of ``register`` on ``at``: all, with known status (as in the key figures), demolished, unknown, not yet observed."""
    status = status_at(register, at)["status"].astype(object)
    counts = status.value_counts()
    total = len(status)
    demolished = int(counts.get(Status.DEMOLISHED, 0))
    unknown = int(counts.get(Status.UNKNOWN, 0))
    unobserved = int(status.isna().sum())
    return RegisterCounts(
        total=total,
        known=total - demolished - unknown - unobserved,
        demolished=demolished,
        unknown=unknown,
        unobserved=unobserved,
    )


def counts_note(register: Register, *, at: date) -> str:
    """German sentence explaining how the number of units in the register relates to the key figure „Gewerbeeinheiten“."""
    c = register_counts(register, at=at)
    rest = [
        f"{fmt_int(n)} {label}"
        for n, label in ((c.demolished, "entfallen"), (c.unknown, "Status unbekannt"),
                         (c.unobserved, "am Stichtag noch nicht erfasst"))
        if n
    ]
    text = (
        f"{fmt_int(c.total)} Einheiten in der Auswahl, davon {fmt_int(c.known)} mit bekanntem Status "
        "am Stichtag (in der Übersicht „Gewerbeeinheiten“)"
    )
    return text + (f"; {', '.join(rest)}." if rest else ".")


def key_figures(register: Register, *, at: date) -> list[KeyFigure]:
    """Key figures on ``at`` with the change against one year earlier."""
    before = (pd.Timestamp(at) - pd.DateOffset(years=1)).date()
    now = stats(register, at=at).iloc[0]
    then = stats(register, at=before).iloc[0]
    ref = f"gegenüber {fmt_date(before)}"

    def diff(col: str) -> float:
        return float(now[col]) - float(then[col])

    counts = register_counts(register, at=at)
    rate_delta = (
        None
        if is_missing(now["vacancy_rate"]) or is_missing(then["vacancy_rate"])
        else fmt_signed(diff("vacancy_rate") * 100, digits=1, unit="Pp.")
    )
    median_delta = None
    if not (is_missing(now["median_vacancy_days"]) or is_missing(then["median_vacancy_days"])):
        median_delta = fmt_signed(diff("median_vacancy_days") / DAYS_PER_MONTH, digits=1, unit="Mon.")
    figures = [
        KeyFigure(
            "Gewerbeeinheiten",
            fmt_int(now["units"]),
            fmt_signed(diff("units")),
            "off",
            f"Einheiten mit bekanntem Status (ohne entfallene) am Stichtag; Änderung {ref}. "
            f"Im Register: {fmt_int(counts.total)} Einheiten, davon {fmt_int(counts.demolished)} entfallen, "
            f"{fmt_int(counts.unknown)} mit unbekanntem Status, {fmt_int(counts.unobserved)} noch nicht erfasst.",
        ),
        KeyFigure(
            "Leerstehend",
            fmt_int(now["vacant"]),
            fmt_signed(diff("vacant")),
            "inverse",
            f"Leer und vermutlich leer; Änderung {ref}.",
        ),
        KeyFigure(
            "Leerstandsquote",
            fmt_pct(now["vacancy_rate"]),
            rate_delta,
            "inverse",
            f"Leerstehende je Einheit mit bekanntem Status; Änderung in Prozentpunkten {ref}.",
        ),
        KeyFigure(
            "Neuansiedlungen (12 Monate)",
            fmt_int(now["new_settlements_12m"]),
            fmt_signed(diff("new_settlements_12m")),
            "normal",
            f"In den 12 Monaten bis zum Stichtag; Vergleich mit den 12 Monaten davor ({ref}).",
        ),
        KeyFigure(
            "Schließungen (12 Monate)",
            fmt_int(now["closures_12m"]),
            fmt_signed(diff("closures_12m")),
            "inverse",
            f"In den 12 Monaten bis zum Stichtag; Vergleich mit den 12 Monaten davor ({ref}).",
        ),
        KeyFigure(
            "Mittlere Leerstandsdauer",
            fmt_months(now["median_vacancy_days"]),
            median_delta,
            "inverse",
            f"Median der am Stichtag laufenden Leerstände; Änderung {ref}.",
        ),
    ]
    return [_neutral_zero(f) for f in figures]


def area_table(
    register: Register, *, at: date, by: Literal["quarter", "ortsteil", "street"] = "ortsteil"
) -> pd.DataFrame:
    """Key figures per quarter, Ortsteil or street on ``at``, with German column names."""
    frame = stats(register, at=at, by=by)
    heading = {"quarter": "Quartier", "ortsteil": "Ortsteil", "street": "Straße"}[by]
    return pd.DataFrame(
        {
            heading: frame["group"],
            "Einheiten": frame["units"],
            "leer": frame["vacant"],
            "Leerstandsquote %": (frame["vacancy_rate"] * 100).round(1),
            "Neuansiedlungen 12 M.": frame["new_settlements_12m"],
            "Schließungen 12 M.": frame["closures_12m"],
            "Median Leerstand (Monate)": (frame["median_vacancy_days"] / DAYS_PER_MONTH).round(1),
        }
    )


def longest_vacant_table(register: Register, *, at: date, n: int = 20) -> pd.DataFrame:
    """The ``n`` units vacant longest on ``at`` (no personal data)."""
    frame = longest_vacant(register, at=at, n=n)
    return pd.DataFrame(
        {
            "Einheit": frame["unit_id"],
            "Adresse": [unit_address(public_record(r)) for r in frame.to_dict("records")],
            "Ortsteil": frame["ortsteil"],
            "Status": frame["status_label"],
            "leer seit": [fmt_date(v) for v in frame["since"]],
            "Monate": (frame["vacant_days"] / DAYS_PER_MONTH).round(1),
        }
    )


# -- periods: plausible start, vacancy spells, events ---------------------------------------


def plausible_start(
    register: Register, *, end: date | None = None, today: date | None = None
) -> tuple[date, str | None]:
    """Default start of a period view: the register's first observation, moved into the plausible window.

    Returns the start (never after ``end``) and a German notice when the
    register holds observations before :data:`geo.settings.earliest_date`
    (an old import that was not checked), else None.
    """
    first = first_observation(register)
    low, high = plausible_window(today=today)
    start = min(max(first, low), end or high)
    notice = None
    if first < low:
        notice = (
            f"Das Register enthält Beobachtungen vor dem frühesten plausiblen Datum {fmt_date(low)} "
            f"(früheste: {fmt_date(first)}, vermutlich ein Tippfehler beim Import). Der Zeitraum beginnt "
            f"deshalb frühestens am {fmt_date(low)}; bitte die Beobachtung prüfen und korrigieren."
        )
    return start, notice


def first_observation(register: Register, *, default: date = date(2015, 1, 1)) -> date:
    """Date of the register's first observation (``default`` when it has none)."""
    first = register.observations["observed_on"].min()
    return pd.Timestamp(first).date() if pd.notna(first) else default


def spells_between(register: Register, *, start: date, end: date) -> pd.DataFrame:
    """Vacancy spells that began between ``start`` and ``end`` (measured up to ``end``)."""
    spells = vacancy_spells(register, at=end)
    return spells.loc[spells["start"] >= pd.Timestamp(start)].reset_index(drop=True)


def events_summary(timeline: pd.DataFrame) -> str:
    """German sentence: settlements, closures and balance over all periods of a timeline."""
    settled, closed = int(timeline["new_settlements"].sum()), int(timeline["closures"].sum())
    return (
        f"Im Zeitraum: {fmt_int(settled)} Neuansiedlungen, {fmt_int(closed)} Schließungen "
        f"(Saldo {fmt_signed(settled - closed)})."
    )

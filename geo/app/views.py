"""What the app's pages show, computed without Streamlit.

* :class:`Filters` -- the filter state of a view and its URL form
  (:meth:`Filters.to_query_params` / :meth:`Filters.from_query_params`), so a
  view can be bookmarked and sent to a colleague;
* :func:`apply_filters`, :func:`filter_options` -- the register restricted to
  a view and the choices offered;
* :func:`key_figures`, :func:`area_table`, :func:`unit_details`,
  :func:`history_table`, :func:`longest_vacant_table`, :func:`search_units` --
  figures and tables with German labels;
* :func:`plan_upload`, :func:`import_upload`, :func:`export_bytes` -- the data
  page's import and export steps;
* :func:`figure`, :func:`figure_name` -- the app's charts and maps as
  matplotlib figures (:mod:`geo.outputs.figures`) for download as PNG or SVG;
* :func:`german_style`, :func:`markdown_table` -- tables in German number
  format (decimal comma) and light key-value tables.

Public views (presentation mode, public export) show only the columns on the
whitelists of :mod:`geo.register.model` (:data:`geo.register.model.PUBLIC_COLUMNS`): no personal
data, notes, staff names, address notes or free-text sources.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from datetime import date
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qsl, urlencode

import numpy as np
import pandas as pd

from geo import settings
from geo.errors import InputError
from geo.outputs.maps import CHANGE_CATEGORIES, MapData, prepare_map
from geo.outputs.tables import display_text, is_missing
from geo.register.history import Register
from geo.register.model import (
    CONFIDENCE_LABELS,
    POSITION_LABELS,
    STATUS_LABELS,
    STATUSES,
    USE_CLASS_LABELS,
    WZ_SECTIONS,
    public_record,
    wants_internal,
)
from geo.register.model import public_frame as _public_only
from geo.register.stats import compare, events, longest_vacant, stats, status_at, vacancy_spells

#: Status code for units without an observation on the date (as in :mod:`geo.outputs.maps`).
NO_STATUS = "none"

#: Labels of the status filter choices.
STATUS_FILTER_LABELS: dict[str, str] = {**STATUS_LABELS, NO_STATUS: "keine Angabe"}

#: Query parameter of each filter field (German, they appear in the URL).
QUERY_NAMES: dict[str, str] = {
    "quarter": "quartier",
    "ortsteil": "ortsteil",
    "street": "strasse",
    "statuses": "status",
    "use_classes": "nutzung",
    "at": "stichtag",
    "since": "seit",
    "basemap": "karte",
    "presentation": "praesentation",
}

BASEMAP_KEYS: tuple[str, ...] = ("osm", "positron", "none")


# -- formatting -------------------------------------------------------------------------


_missing = is_missing


def fmt_int(value: Any) -> str:
    """``1234`` -> ``"1.234"``; missing -> ``"–"``."""
    return "–" if _missing(value) else f"{round(float(value)):,}".replace(",", ".")


def fmt_pct(value: Any, *, digits: int = 1) -> str:
    """A share as German percentage: ``0.1234`` -> ``"12,3 %"``."""
    if _missing(value):
        return "–"
    return f"{float(value) * 100:.{digits}f} %".replace(".", ",")


def fmt_signed(value: Any, *, digits: int = 0, unit: str = "") -> str | None:
    """A change with sign: ``+3``, ``-1,2 Pp.``; missing -> None."""
    if _missing(value):
        return None
    text = f"{float(value):+.{digits}f}".replace(".", ",")
    if text.lstrip("+-").strip("0,") == "":
        text = "±0" if digits == 0 else "±" + text.lstrip("+-")
    return f"{text} {unit}".strip()


def fmt_date(value: Any) -> str:
    """A date as ``31.12.2024`` (years below 1000 with four digits: ``01.01.0001``); missing -> ``"–"``."""
    if _missing(value):
        return "–"
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError):
        return str(value)
    return "–" if pd.isna(stamp) else f"{stamp.day:02d}.{stamp.month:02d}.{stamp.year:04d}"


def fmt_months(days: Any) -> str:
    """A duration in days as months (``"14,5 Monate"``); under two months in days."""
    if _missing(days):
        return "–"
    days = float(days)
    if days < 61:
        return f"{days:.0f} Tage"
    return f"{days / 30.4375:.1f} Monate".replace(".", ",")


def sector_text(code: Any) -> str:
    """German label of a sector code: a use class (``"craft"`` -> ``"Handwerk"``) or a WZ 2008
    section (``"G"`` -> ``"G Handel, Kfz-Reparatur"``); missing -> ``"–"``."""
    text = display_text(code)
    if not text:
        return "–"
    if text in USE_CLASS_LABELS or text.upper() in WZ_SECTIONS:
        from geo.outputs.figures import sector_label  # matplotlib only when needed

        return sector_label(text)
    return text


def sector_choices(current: Any = None) -> list[str]:
    """Sector codes offered in forms: the use classes, then the WZ 2008 sections.

    A current value that is neither (free text from an import) is kept as the first choice.
    """
    codes = [*USE_CLASS_LABELS, *WZ_SECTIONS]
    text = display_text(current)
    if text and text not in codes:
        codes.insert(0, text)
    return codes


def german_style(frame: pd.DataFrame, formats: Mapping[str, str] | None = None) -> Any:
    """``frame`` as a pandas Styler in German number format for ``st.dataframe``.

    Decimal comma, thousands point, ``"–"`` for missing values; columns stay
    numeric, so sorting in the table still works. ``formats`` maps columns to
    Python format strings (e.g. ``"{:.1f} %"``); other float columns get one
    decimal, integer columns none.
    """
    formats = dict(formats or {})
    for col in frame.columns:
        if col in formats:
            continue
        if pd.api.types.is_float_dtype(frame[col]):
            formats[col] = "{:.1f}"
        elif pd.api.types.is_integer_dtype(frame[col]):
            formats[col] = "{:,.0f}"
    return frame.style.format(formats, na_rep="–", decimal=",", thousands=".")


def _md_cell(value: Any) -> str:
    text = "–" if _missing(value) else str(value)
    text = text.replace("\\", "\\\\").replace("\n", " ")
    for ch in "|*_`[]<>#~$":
        text = text.replace(ch, "\\" + ch)
    return text


def markdown_table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A Markdown table with every cell escaped (user input must not format or break it).

    Much lighter in the browser than ``st.dataframe`` for a few key-value rows.
    Missing values (None, NaN) are shown as ``"–"``, empty strings stay empty.
    """
    head = "| " + " | ".join(_md_cell(c) if c else " " for c in columns) + " |"
    rule = "|" + "|".join(":--" for _ in columns) + "|"
    body = ["| " + " | ".join(_md_cell(v) for v in row) + " |" for row in rows]
    return "\n".join([head, rule, *body])


def unit_address(row: Mapping[str, Any]) -> str:
    """``Straße Nr`` of a unit (with the address note), or its id; missing parts are left out."""
    text = " ".join(p for p in (display_text(row.get(k)) for k in ("street", "housenumber")) if p)
    note = display_text(row.get("address_note"))
    if note:
        text = f"{text} ({note})" if text else note
    return text or display_text(row.get("unit_id"), missing="–")


# -- plausible dates ---------------------------------------------------------------------------


def plausible_window(*, today: date | None = None) -> tuple[date, date]:
    """The dates the pages work with: from :data:`geo.settings.earliest_date` up to today.

    Date widgets take their ``min_value``/``max_value`` from here; dates from
    the store or a URL outside it are moved into it (:func:`clamp_date`).
    """
    today = today or date.today()
    return min(settings.earliest_date, today), today


def clamp_date(value: date, *, today: date | None = None) -> date:
    """``value`` moved into :func:`plausible_window` (the nearest plausible date)."""
    low, high = plausible_window(today=today)
    return min(max(value, low), high)


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


_URL_DATE_LABELS = {"at": "Der Stichtag", "since": "Der Beginn „Neuansiedlungen seit“"}


# -- filters ---------------------------------------------------------------------------------


def _split(value: str | Sequence[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    items = [value] if isinstance(value, str) else list(value)
    out: list[str] = []
    for item in items:
        out.extend(p.strip() for p in str(item).split(",") if p.strip())
    return tuple(dict.fromkeys(out))


def _last(value: str | Sequence[str] | None) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        value = value[-1] if len(value) else None
    value = (value or "").strip()
    return value or None


def _parse_date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        try:
            return pd.to_datetime(value, format="%d.%m.%Y").date()
        except ValueError:
            return None


@dataclass(frozen=True)
class Filters:
    """The filter state of a view.

    Attributes
    ----------
    quarter, ortsteil, street
        Area filters (None: all).
    statuses
        Status codes at ``at`` to show (empty: all); ``"none"`` for no observation.
    use_classes
        Use classes to show (empty: all).
    at
        Reference date (None: today).
    since
        Start of the period whose new settlements are highlighted (None: one year before ``at``).
    basemap
        Base map shown first: ``osm``, ``positron`` or ``none``.
    presentation
        Presentation mode: no personal data, no editing.
    """

    quarter: str | None = None
    ortsteil: str | None = None
    street: str | None = None
    statuses: tuple[str, ...] = ()
    use_classes: tuple[str, ...] = ()
    at: date | None = None
    since: date | None = None
    basemap: str = "osm"
    presentation: bool = False

    def date_at(self, *, today: date | None = None) -> date:
        """The reference date (today when not set)."""
        return self.at or today or date.today()

    def period_start(self, *, today: date | None = None) -> date:
        """Start of the new-settlement period (default: one year before the reference date)."""
        if self.since is not None:
            return self.since
        return (pd.Timestamp(self.date_at(today=today)) - pd.DateOffset(years=1)).date()

    def to_query_params(self) -> dict[str, str]:
        """The filters as URL query parameters; defaults are left out."""
        out: dict[str, str] = {}
        for name, param in QUERY_NAMES.items():
            value = getattr(self, name)
            if name == "basemap":
                if value != "osm":
                    out[param] = value
            elif name == "presentation":
                if value:
                    out[param] = "1"
            elif isinstance(value, tuple):
                if value:
                    out[param] = ",".join(value)
            elif isinstance(value, date):
                out[param] = value.isoformat()
            elif value:
                out[param] = str(value)
        return out

    @classmethod
    def from_query_params(cls, params: Mapping[str, str | Sequence[str]]) -> Filters:
        """Filters from URL query parameters (as :meth:`to_query_params` writes them).

        Unknown parameters are ignored, and so are values that cannot be
        understood (an unreadable date, an unknown status or base map), so an
        old or mistyped bookmark still opens.
        """
        get = lambda name: params.get(QUERY_NAMES[name])  # noqa: E731
        statuses = tuple(s for s in _split(get("statuses")) if s in STATUS_FILTER_LABELS)
        basemap = _last(get("basemap")) or "osm"
        return cls(
            quarter=_last(get("quarter")),
            ortsteil=_last(get("ortsteil")),
            street=_last(get("street")),
            statuses=statuses,
            use_classes=_split(get("use_classes")),
            at=_parse_date(_last(get("at"))),
            since=_parse_date(_last(get("since"))),
            basemap=basemap if basemap in BASEMAP_KEYS else "osm",
            presentation=_last(get("presentation")) in ("1", "true", "ja"),
        )

    @classmethod
    def from_url(
        cls, params: Mapping[str, str | Sequence[str]], *, today: date | None = None
    ) -> tuple[Filters, list[str]]:
        """Filters from URL query parameters with every date checked, and German notices.

        As :meth:`from_query_params`, but a date that cannot be read, or lies
        outside :func:`plausible_window` (before
        :data:`geo.settings.earliest_date` or after today), is not used
        silently: an unreadable date is ignored (the default applies), an
        implausible one is replaced by the nearest plausible date, and each
        gives a notice naming the value ignored.
        """
        today = today or date.today()
        filters = cls.from_query_params(params)
        notices: list[str] = []
        changes: dict[str, date | None] = {}
        for name, label in _URL_DATE_LABELS.items():
            raw = _last(params.get(QUERY_NAMES[name]))
            if raw is None:
                continue
            value = getattr(filters, name)
            default = "heute" if name == "at" else "ein Jahr vor dem Stichtag"
            if value is None:
                notices.append(
                    f"{label} aus dem Link („{raw}“) ist kein lesbares Datum (erwartet z. B. 2024-12-31) "
                    f"und wird ignoriert; es gilt die Vorgabe ({default})."
                )
                continue
            fixed = clamp_date(value, today=today)
            if fixed == value:
                continue
            reason = (
                f"liegt vor dem frühesten plausiblen Datum {fmt_date(fixed)}"
                if value < fixed
                else f"liegt nach heute ({fmt_date(today)})"
            )
            notices.append(
                f"{label} aus dem Link („{raw}“) {reason} und wird ignoriert; es gilt der {fmt_date(fixed)}."
            )
            changes[name] = None if name == "at" and fixed == today else fixed
        return replace(filters, **changes), notices  # type: ignore[arg-type]

    def key(self, *, today: date | None = None) -> str:
        """A canonical text of the filters (dates resolved), for cache keys."""
        resolved = replace(self, at=self.date_at(today=today), since=self.period_start(today=today))
        return urlencode(sorted(resolved.to_query_params().items()))

    @classmethod
    def from_key(cls, key: str) -> Filters:
        """The filters of a :meth:`key`."""
        return cls.from_query_params(dict(parse_qsl(key)))

    def only(self, *names: str) -> Filters:
        """A copy keeping only the named fields (the others at their defaults)."""
        defaults = Filters()
        values = {
            f.name: getattr(self if f.name in names else defaults, f.name) for f in fields(self)
        }
        return Filters(**values)


def has_filter_params(params: Mapping[str, Any]) -> bool:
    """Whether ``params`` contain any filter parameter."""
    return any(p in params for p in QUERY_NAMES.values())


def _text(series: pd.Series) -> pd.Series:
    return series.astype("string").fillna("")


def apply_filters(register: Register, filters: Filters, *, by_status: bool = True) -> Register:
    """The register restricted to the units the filters select.

    Parameters
    ----------
    register
        The full register.
    filters
        Area, street, use-class and (with ``by_status``) status filters; the
        status is the one on ``filters.at``.
    by_status
        Apply the status filter (figures of vacancy ignore it).
    """
    units = register.units
    mask = np.ones(len(units), dtype=bool)
    for name, column in (("quarter", "quarter"), ("ortsteil", "ortsteil"), ("street", "street")):
        value = getattr(filters, name)
        if value:
            mask &= (_text(units[column]) == value).to_numpy()
    if filters.use_classes:
        mask &= _text(units["use_class"]).isin(filters.use_classes).to_numpy()
    if by_status and filters.statuses:
        current = status_at(register, filters.date_at())["status"].astype(object)
        codes = current.where(current.notna(), NO_STATUS)
        mask &= codes.isin(filters.statuses).to_numpy()
    if mask.all():
        return register
    return register.subset(mask)


def _german_key(text: str) -> str:
    return text.casefold().translate(str.maketrans({"ä": "a", "ö": "o", "ü": "u", "ß": "ss"}))


@dataclass(frozen=True)
class FilterOptions:
    """Choices offered by the filter widgets for the current selection."""

    quarters: tuple[str, ...]
    ortsteile: tuple[str, ...]
    streets: tuple[str, ...]
    use_classes: tuple[str, ...]
    statuses: tuple[str, ...] = (*STATUSES, NO_STATUS)


def filter_options(
    register: Register, *, quarter: str | None = None, ortsteil: str | None = None
) -> FilterOptions:
    """Quarters, Ortsteile (of ``quarter``) and streets (of ``quarter``/``ortsteil``) in the register."""
    units = register.units
    quarter_col, ortsteil_col = _text(units["quarter"]), _text(units["ortsteil"])
    try:
        from geo.places.areas import load_quarters

        configured = list(load_quarters())
    except InputError:
        configured = []
    present = set(quarter_col) - {""}
    quarters = [q for q in configured if q in present] + sorted(
        present - set(configured), key=_german_key
    )
    in_quarter = quarter_col == quarter if quarter else pd.Series(True, index=units.index)
    ortsteile = sorted(set(ortsteil_col[in_quarter]) - {""}, key=_german_key)
    in_area = in_quarter & (ortsteil_col == ortsteil) if ortsteil else in_quarter
    streets = sorted(set(_text(units["street"])[in_area]) - {""}, key=_german_key)
    present_uses = set(_text(units["use_class"])) - {""}
    uses = [u for u in USE_CLASS_LABELS if u in present_uses] + sorted(
        present_uses - set(USE_CLASS_LABELS)
    )
    return FilterOptions(tuple(quarters), tuple(ortsteile), tuple(streets), tuple(uses))


def sanitize(filters: Filters, options: FilterOptions) -> Filters:
    """Drop choices the options do not offer (e.g. an Ortsteil of another quarter)."""
    return replace(
        filters,
        quarter=filters.quarter if filters.quarter in options.quarters else None,
        ortsteil=filters.ortsteil if filters.ortsteil in options.ortsteile else None,
        street=filters.street if filters.street in options.streets else None,
        statuses=tuple(s for s in filters.statuses if s in options.statuses),
        use_classes=tuple(u for u in filters.use_classes if u in options.use_classes),
    )


def describe(filters: Filters) -> str:
    """A one-line German description of the filters, e.g. for captions and exports."""
    parts = [filters.quarter or "alle Quartiere"]
    if filters.ortsteil:
        parts.append(f"Ortsteil {filters.ortsteil}")
    if filters.street:
        parts.append(filters.street)
    if filters.statuses:
        parts.append(
            "Status: " + ", ".join(STATUS_FILTER_LABELS.get(s, s) for s in filters.statuses)
        )
    if filters.use_classes:
        parts.append(
            "Nutzung: " + ", ".join(USE_CLASS_LABELS.get(u, u) for u in filters.use_classes)
        )
    parts.append(f"Stichtag {fmt_date(filters.date_at())}")
    return " · ".join(parts)


# -- figures -----------------------------------------------------------------------------


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


def register_counts(register: Register, *, at: date) -> dict[str, int]:
    """Units of ``register`` on ``at``: all, with known status (as in the key figures), demolished, unknown, not yet observed."""
    status = status_at(register, at)["status"].astype(object)
    counts = status.value_counts()
    total = len(status)
    demolished = int(counts.get("demolished", 0))
    unknown = int(counts.get("unknown", 0))
    unobserved = int(status.isna().sum())
    return {
        "total": total,
        "known": total - demolished - unknown - unobserved,
        "demolished": demolished,
        "unknown": unknown,
        "unobserved": unobserved,
    }


def counts_note(register: Register, *, at: date) -> str:
    """German sentence explaining how the number of units in the register relates to the key figure „Gewerbeeinheiten“."""
    c = register_counts(register, at=at)
    rest = [
        f"{fmt_int(n)} {label}"
        for n, label in ((c["demolished"], "entfallen"), (c["unknown"], "Status unbekannt"),
                         (c["unobserved"], "am Stichtag noch nicht erfasst"))
        if n
    ]
    text = (
        f"{fmt_int(c['total'])} Einheiten in der Auswahl, davon {fmt_int(c['known'])} mit bekanntem Status "
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
        if _missing(now["vacancy_rate"]) or _missing(then["vacancy_rate"])
        else fmt_signed(diff("vacancy_rate") * 100, digits=1, unit="Pp.")
    )
    median_delta = None
    if not (_missing(now["median_vacancy_days"]) or _missing(then["median_vacancy_days"])):
        median_delta = fmt_signed(diff("median_vacancy_days") / 30.4375, digits=1, unit="Mon.")
    figures = [
        KeyFigure(
            "Gewerbeeinheiten",
            fmt_int(now["units"]),
            fmt_signed(diff("units")),
            "off",
            f"Einheiten mit bekanntem Status (ohne entfallene) am Stichtag; Änderung {ref}. "
            f"Im Register: {fmt_int(counts['total'])} Einheiten, davon {fmt_int(counts['demolished'])} entfallen, "
            f"{fmt_int(counts['unknown'])} mit unbekanntem Status, {fmt_int(counts['unobserved'])} noch nicht erfasst.",
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
            "Median Leerstand (Monate)": (frame["median_vacancy_days"] / 30.4375).round(1),
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
            "Monate": (frame["vacant_days"] / 30.4375).round(1),
        }
    )


#: Filter fields that change which units a view contains and how they are classed.
DATA_FIELDS: tuple[str, ...] = ("quarter", "ortsteil", "street", "statuses", "use_classes", "at", "since")


def view_map_data(register: Register, filters: Filters, *, settlements: bool = True) -> MapData:
    """Map data of a filtered register: status on ``filters.at``, boundaries, new settlements since ``filters.since``."""
    at = filters.date_at()
    since = filters.period_start()
    events_frame = events(register, kind="settlement", start=since, end=at) if settlements else None
    return prepare_map(
        status_at(register, at),
        boundaries=register.boundaries,
        settlements=events_frame,
        settlements_since=since,
        legend_title=f"Status am {fmt_date(at)}",
        demo=register.meta.get("demo") == "true",
    )


def compare_map_data(register: Register, *, before: date, after: date) -> tuple[MapData, pd.DataFrame]:
    """Map data and table (without geometry) of the before/after comparison of two dates.

    Units are not clustered (a cluster would hide the change classes), and
    „unverändert“ is a layer of its own, off at first.
    """
    if before >= after:
        raise InputError(f"„Vorher“ ({fmt_date(before)}) muss vor „Nachher“ ({fmt_date(after)}) liegen.")
    compared = compare(register, before=before, after=after)
    data = prepare_map(
        compared,
        boundaries=register.boundaries,
        heat=False,
        column="change",
        categories=CHANGE_CATEGORIES,
        legend_title=f"{fmt_date(before)} → {fmt_date(after)}",
        demo=register.meta.get("demo") == "true",
        cluster=False,
        hidden=("unchanged",),
    )
    return data, pd.DataFrame(compared.drop(columns="geometry"))


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


def search_units(frame: pd.DataFrame, query: str, *, limit: int = 50) -> pd.DataFrame:
    """Units whose id, address or business name contains ``query`` (case-insensitive)."""
    query = (query or "").strip().casefold()
    if not query:
        return frame.iloc[0:0]
    exact = frame.loc[_text(frame["unit_id"]).str.casefold() == query]
    if len(exact):
        return exact
    hay = _text(frame["unit_id"]) + " " + _text(frame["street"]) + " " + _text(frame["housenumber"])
    if "business_name" in frame:
        hay = hay + " " + _text(frame["business_name"])
    return frame.loc[hay.str.casefold().str.contains(query, regex=False)].head(limit)


def unit_label(row: Mapping[str, Any], *, public: bool = False) -> str:
    """``ID – address (status)`` for choice lists (``public``: without the internal address note)."""
    row = public_record(row) if public else row
    status = display_text(row.get("status_label"))
    return f"{display_text(row.get('unit_id'))} – {unit_address(row)}" + (f" ({status})" if status else "")


def unit_details(frame: pd.DataFrame, unit_id: str, *, public: bool) -> dict[str, dict[str, str]]:
    """A unit's details on the frame's date, as German label -> text, in sections.

    Parameters
    ----------
    frame
        A status frame (:func:`geo.register.stats.status_at`).
    public
        Leave out the section ``"personenbezogen"`` (owner and contact).

    Raises
    ------
    InputError
        Unknown ``unit_id``.
    """
    rows = frame.loc[frame["unit_id"] == unit_id]
    if rows.empty:
        raise InputError(f"Einheit '{unit_id}' gibt es in dieser Auswahl nicht.")
    r = rows.iloc[0].to_dict()
    if public:  # only whitelisted columns (geo.register.model.PUBLIC_COLUMNS): no address note, no free-text source
        r = public_record(r)

    def t(key: str, labels: Mapping[str, str] | None = None) -> str:
        value = display_text(r.get(key))
        if not value:
            return "–"
        return labels.get(value, value) if labels else value

    status = r.get("status")
    postcode = "" if t("postcode") == "–" else f", {t('postcode')} Leipzig"
    out = {
        "Einheit": {
            "Kennung": t("unit_id"),
            "Adresse": unit_address(r) + postcode,
            "Lage": t("position", POSITION_LABELS),
            "Fläche": "–"
            if _missing(r.get("floor_area_m2"))
            else f"{fmt_int(r['floor_area_m2'])} m²",
            "Nutzungsart": t("use_class", USE_CLASS_LABELS),
            "Ortsteil": settings.unassigned_label if t("ortsteil") == "–" else t("ortsteil"),
            "Quartier": settings.unassigned_label if t("quarter") == "–" else t("quarter"),
        },
        "Stand": {
            "Status": STATUS_FILTER_LABELS.get(
                status if isinstance(status, str) else NO_STATUS, display_text(status, missing="–")
            ),
            "seit": fmt_date(r.get("since")),
            "Betrieb": t("business_name"),
            "Branche": sector_text(r.get("sector")),
            "zuletzt beobachtet": fmt_date(r.get("observed_on")),
            "Sicherheit": t("confidence", CONFIDENCE_LABELS),
        },
    }
    if not _missing(r.get("vacant_days")):
        out["Stand"]["Leerstandsdauer"] = fmt_months(r["vacant_days"])
    if not public:
        out["personenbezogen"] = {
            "Eigentümer/in": t("owner_name"),
            "Ansprechperson": t("contact_person"),
            "Telefon": t("contact_phone"),
            "E-Mail": t("contact_email"),
        }
    return out


def history_table(register: Register, unit_id: str, *, public: bool) -> pd.DataFrame:
    """A unit's full history, oldest first, with German columns (public: no notes, no staff)."""
    hist = register.unit_history(unit_id)
    if public:  # internal columns emptied, a free-text source too (geo.register.model.public_frame)
        hist = _public_only(hist, drop=False)

    def text(values: Any, labels: Mapping[str, str] | None = None) -> list[str]:
        out = []
        for v in values:
            v = display_text(v)
            out.append("–" if not v else (labels.get(v, v) if labels else v))
        return out

    out = pd.DataFrame(
        {
            "Datum": [fmt_date(v) for v in hist["observed_on"]],
            "Status": text(hist["status"], STATUS_LABELS),
            "Betrieb": text(hist["business_name"]),
            "Branche": [sector_text(v) for v in hist["sector"]],
            "Sicherheit": text(hist["confidence"], CONFIDENCE_LABELS),
            "Quelle": text(hist["source"]),
            "Neuansiedlung": hist["new_settlement"].astype(bool).to_numpy(),
            "ersetzt": hist["superseded"].astype(bool).to_numpy(),
        }
    )
    if not public:
        out["Notiz"] = text(hist["note"])
        out["erfasst von"] = text(hist["recorded_by"])
    return out


def public_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with only the public columns (whitelists of :mod:`geo.register.model`, :func:`geo.register.model.public_frame`)."""
    return _public_only(frame)


# -- import and export --------------------------------------------------------------------

#: File types the import accepts.
IMPORT_SUFFIXES: tuple[str, ...] = ("csv", "xlsx", "geojson", "json", "gpkg", "zip")

EXPORT_MIME: dict[str, str] = {
    "gpkg": "application/geopackage+sqlite3",
    "geojson": "application/geo+json",
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

EXPORT_LABELS: dict[str, str] = {
    "gpkg": "GeoPackage (.gpkg, für QGIS)",
    "geojson": "GeoJSON (.geojson)",
    "csv": "CSV für Excel (.csv)",
    "xlsx": "Excel (.xlsx)",
}


def _upload_file(data: bytes, name: str, folder: str) -> Path:
    suffix = Path(name).suffix.lower()
    if suffix.lstrip(".") not in IMPORT_SUFFIXES:
        raise InputError(
            f"Dateityp '{suffix or name}' wird nicht unterstützt; erlaubt: "
            + ", ".join(f".{s}" for s in IMPORT_SUFFIXES)
        )
    path = Path(folder) / (Path(name).name or f"upload{suffix}")
    path.write_bytes(data)
    return path


def plan_upload(
    register: Register,
    *,
    data: bytes | None = None,
    name: str | None = None,
    path: str | os.PathLike[str] | None = None,
    as_of: date | None = None,
    on_error: Literal["reject", "skip"] = "reject",
) -> Any:
    """Validate an uploaded file (``data``/``name``) or a server-side ``path``; nothing is written.

    Returns
    -------
    geo.register.imports.ImportPlan
        With ``report`` (rows read, rejected rows and reasons) and ``accepted``.

    Raises
    ------
    InputError
        Unsupported type, missing file or unreadable content.
    """
    from geo.register.imports import plan_import

    with tempfile.TemporaryDirectory(prefix="qm-upload-") as folder:
        if path is not None:
            source = Path(path).expanduser()
            if not source.is_file():
                raise InputError(
                    f"Datei {source} nicht gefunden (Pfad auf dem Server/Netzlaufwerk prüfen)."
                )
        else:
            if data is None or not name:
                raise InputError("Keine Datei gewählt.")
            source = _upload_file(data, name, folder)
        plan = plan_import(
            source,
            units=register.units,
            observations=register.observations,
            as_of=as_of,
            on_error=on_error,
        )
    plan.report.file = Path(name).name if path is None and name else str(path)
    return plan


def import_upload(
    store: Any,
    *,
    data: bytes | None = None,
    name: str | None = None,
    path: str | os.PathLike[str] | None = None,
    as_of: date | None = None,
    on_error: Literal["reject", "skip"] = "reject",
    recorded_by: str | None = None,
) -> Any:
    """Import an uploaded file or a server-side ``path`` into ``store`` (see :func:`geo.register.io.import_file`)."""
    from geo.register.io import import_file

    with tempfile.TemporaryDirectory(prefix="qm-upload-") as folder:
        if path is not None:
            source = Path(path).expanduser()
            if not source.is_file():
                raise InputError(
                    f"Datei {source} nicht gefunden (Pfad auf dem Server/Netzlaufwerk prüfen)."
                )
        else:
            if data is None or not name:
                raise InputError("Keine Datei gewählt.")
            source = _upload_file(data, name, folder)
        return import_file(
            source, store=store, as_of=as_of, on_error=on_error, recorded_by=recorded_by
        )


def export_name(filters: Filters, fmt: str, *, internal: bool = False, public: bool | None = None) -> str:
    """File name of an export, e.g. ``leerstand_gruenau_2024-12-31_oeffentlich.csv`` (``…_intern.csv``)."""
    internal = wants_internal(internal, public)
    area = filters.ortsteil or filters.quarter or "alle"
    slug = _german_key(area).replace(" ", "-")
    slug = "".join(ch for ch in slug if ch.isalnum() or ch == "-")
    return f"leerstand_{slug}_{filters.date_at().isoformat()}_{'intern' if internal else 'oeffentlich'}.{fmt}"


def export_bytes(
    register: Register, *, fmt: str, at: date, internal: bool = False, public: bool | None = None
) -> bytes:
    """The units of ``register`` with their status on ``at`` as a file in ``fmt`` (see :func:`geo.register.io.export_units`).

    Public unless ``internal=True`` (``public`` is the deprecated spelling).
    """
    from geo.register.io import export_units

    internal = wants_internal(internal, public)
    with tempfile.TemporaryDirectory(prefix="qm-export-") as folder:
        out = export_units(register, Path(folder) / f"export.{fmt}", fmt=fmt, at=at, internal=internal)  # type: ignore[arg-type]
        return out.read_bytes()


# -- figures for download ------------------------------------------------------------------

#: Charts and maps offered for download: kind -> file name stem.
FIGURE_STEMS: dict[str, str] = {
    "rate": "leerstandsquote",
    "events": "neuansiedlungen-schliessungen",
    "duration": "leerstandsdauer",
    "status_map": "karte-status",
    "change_map": "karte-vorher-nachher",
}

#: MIME type of each download format.
IMAGE_MIME: dict[str, str] = {"png": "image/png", "svg": "image/svg+xml"}

_FREQ_LABELS = {"year": "je Jahr", "quarter": "je Quartal", "month": "je Monat"}


def _area_name(filters: Filters) -> str:
    return filters.ortsteil or filters.quarter or "Leipziger Osten und Grünau"


def figure_for(
    kind: str,
    register: Register,
    filters: Filters,
    *,
    start: date | None = None,
    end: date | None = None,
    freq: str = "year",
    by: str | None = None,
    bin_months: int = 6,
    before: date | None = None,
    after: date | None = None,
    settlements: bool = True,
) -> Any:
    """A chart or map of the app as a matplotlib figure in presentation quality (:mod:`geo.outputs.figures`).

    Parameters
    ----------
    kind
        One of :data:`FIGURE_STEMS`: ``rate`` (vacancy rate per ``by`` group),
        ``events`` (settlements and closures), ``duration`` (vacancy
        durations in ``bin_months`` classes), ``status_map`` (units by status
        on the filter date, new settlements ringed unless ``settlements`` is
        false), ``change_map`` (``before`` / ``after``).
    register
        The filtered register (:func:`apply_filters`).
    filters
        The view (area, date) for titles and the map frame.
    start, end
        Period of the charts (default: first observation, filter date).

    Raises
    ------
    InputError
        Unknown ``kind`` or ``before`` not before ``after``.
    """
    from geo.outputs import figures
    from geo.register.stats import timeline

    demo = register.meta.get("demo") == "true"
    end = end or filters.date_at()
    start = start or plausible_start(register, end=end)[0]
    period = f"{fmt_date(start)} bis {fmt_date(end)}"
    area = _area_name(filters)
    if kind == "rate":
        frame = timeline(register, freq=freq, start=start, end=end, by=by)  # type: ignore[arg-type]
        return figures.vacancy_rate_figure(
            frame, title="Leerstandsquote", subtitle=f"{area} · {_FREQ_LABELS.get(freq, '')} · {period}", demo=demo
        )
    if kind == "events":
        frame = timeline(register, freq=freq, start=start, end=end)  # type: ignore[arg-type]
        return figures.events_figure(
            frame,
            title="Neuansiedlungen und Schließungen",
            subtitle=f"{area} · {_FREQ_LABELS.get(freq, '')} · {period}",
            demo=demo,
        )
    if kind == "duration":
        return figures.duration_figure(
            spells_between(register, start=start, end=end),
            bin_months=bin_months,
            subtitle=f"{area} · Leerstände, die {period} begannen · Klassen zu {bin_months} Monaten",
            demo=demo,
        )
    if kind == "status_map":
        at, since = filters.date_at(), filters.period_start()
        settled = events(register, kind="settlement", start=since, end=at) if settlements else None
        return figures.status_map(
            status_at(register, at),
            boundaries=register.boundaries,
            settlements=settled,
            at=at,
            quarter=filters.quarter,
            title=f"Gewerbeeinheiten nach Status – {area}",
            subtitle=describe(filters),
            settlements_label=f"Neuansiedlung seit {fmt_date(since)}",
            demo=demo,
        )
    if kind == "change_map":
        before = before or (pd.Timestamp(end) - pd.DateOffset(years=1)).date()
        after = after or end
        if before >= after:
            raise InputError(f"„Vorher“ ({fmt_date(before)}) muss vor „Nachher“ ({fmt_date(after)}) liegen.")
        return figures.change_map(
            compare(register, before=before, after=after),
            boundaries=register.boundaries,
            before=before,
            after=after,
            quarter=filters.quarter,
            title=f"Vorher / nachher – {area}",
            demo=demo,
        )
    raise InputError(f"Abbildung '{kind}' unbekannt; möglich: {', '.join(FIGURE_STEMS)}.")


def figure_name(kind: str, filters: Filters, fmt: str) -> str:
    """File name of a downloaded figure, e.g. ``leerstandsquote_grunau_2024-12-31.png``."""
    area = filters.ortsteil or filters.quarter or "alle"
    slug = "".join(ch for ch in _german_key(area).replace(" ", "-") if ch.isalnum() or ch == "-")
    return f"{FIGURE_STEMS.get(kind, kind)}_{slug}_{filters.date_at().isoformat()}.{fmt}"

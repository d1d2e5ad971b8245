"""The filter state of a view, its URL form, and the part of the register it selects.

* :class:`Filters` -- area, street, status, use-class and date filters, and
  their URL form (:meth:`Filters.to_query_params` /
  :meth:`Filters.from_query_params`, :meth:`Filters.from_url` with German
  notices on implausible dates), so a view can be bookmarked and sent to a
  colleague;
* :func:`apply_filters` -- the register restricted to a view;
* :func:`filter_options`, :func:`sanitize` -- the choices offered for the
  current selection, and filters cleaned of choices not offered;
* :func:`describe` -- a one-line German description of a view.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from datetime import date
from typing import Any
from urllib.parse import parse_qsl, urlencode

import numpy as np
import pandas as pd

from geo.dates import clamp_date, local_today, parse_date
from geo.errors import InputError
from geo.formats import fmt_date
from geo.register.history import Register
from geo.register.model import STATUS_LABELS, STATUSES, USE_CLASS_LABELS
from geo.register.stats import status_at
from geo.text import sort_key

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
}

BASEMAP_KEYS: tuple[str, ...] = ("osm", "positron", "none")

#: Filter fields that change which units a view contains and how they are classed.
DATA_FIELDS: tuple[str, ...] = ("quarter", "ortsteil", "street", "statuses", "use_classes", "at", "since")

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
    """A date from a URL (:func:`geo.dates.parse_date`), None when empty or unreadable."""
    if not value:
        return None
    try:
        return parse_date(value)
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
    """

    quarter: str | None = None
    ortsteil: str | None = None
    street: str | None = None
    statuses: tuple[str, ...] = ()
    use_classes: tuple[str, ...] = ()
    at: date | None = None
    since: date | None = None
    basemap: str = "osm"

    def date_at(self, *, today: date | None = None) -> date:
        """The reference date (today when not set)."""
        return self.at or today or local_today()

    def period_start(self, *, today: date | None = None) -> date:
        """Start of the new-settlement period (default: one year before the reference date)."""
        if self.since is not None:
            return self.since
        start: date = (pd.Timestamp(self.date_at(today=today)) - pd.DateOffset(years=1)).date()
        return start

    def to_query_params(self) -> dict[str, str]:
        """The filters as URL query parameters; defaults are left out."""
        out: dict[str, str] = {}
        for name, param in QUERY_NAMES.items():
            value = getattr(self, name)
            if name == "basemap":
                if value != "osm":
                    out[param] = value
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
        def get(name: str) -> str | Sequence[str] | None:
            return params.get(QUERY_NAMES[name])

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
        )

    @classmethod
    def from_url(
        cls, params: Mapping[str, str | Sequence[str]], *, today: date | None = None
    ) -> tuple[Filters, list[str]]:
        """Filters from URL query parameters with every date checked, and German notices.

        As :meth:`from_query_params`, but a date that cannot be read, or lies
        outside :func:`geo.dates.plausible_window` (before
        :data:`geo.settings.earliest_date` or after today), is not used
        silently: an unreadable date is ignored (the default applies), an
        implausible one is replaced by the nearest plausible date, and each
        gives a notice naming the value ignored.
        """
        today = today or local_today()
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


def as_text(series: pd.Series) -> pd.Series:
    """A column as text (``string`` dtype), missing values as ``""`` (for comparing and searching)."""
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
            mask &= (as_text(units[column]) == value).to_numpy()
    if filters.use_classes:
        mask &= as_text(units["use_class"]).isin(filters.use_classes).to_numpy()
    if by_status and filters.statuses:
        current = status_at(register, filters.date_at())["status"].astype(object)
        codes = current.where(current.notna(), NO_STATUS)
        mask &= codes.isin(filters.statuses).to_numpy()
    if mask.all():
        return register
    return register.subset(mask)


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
    quarter_col, ortsteil_col = as_text(units["quarter"]), as_text(units["ortsteil"])
    try:
        from geo.places.areas import load_quarters

        configured = list(load_quarters())
    except InputError:
        configured = []
    # distinct values first (vectorised): iterating 50,000 Arrow strings in Python took 0.1 s a call
    present = set(quarter_col.unique()) - {""}
    quarters = [q for q in configured if q in present] + sorted(
        present - set(configured), key=sort_key
    )
    in_quarter = quarter_col == quarter if quarter else pd.Series(True, index=units.index)
    ortsteile = sorted(set(ortsteil_col[in_quarter].unique()) - {""}, key=sort_key)
    in_area = in_quarter & (ortsteil_col == ortsteil) if ortsteil else in_quarter
    streets = sorted(set(as_text(units["street"])[in_area].unique()) - {""}, key=sort_key)
    present_uses = set(as_text(units["use_class"]).unique()) - {""}
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

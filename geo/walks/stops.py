"""The stops of an outreach walk: which units to visit, why, and in which priority.

:func:`select_stops` picks units by rules (:class:`Rule`: vacant for more
than N months, new settlements of the last N months not yet welcomed, not
visited for N months), by a list of units to verify (register and
OpenStreetMap disagree, :mod:`geo.osm.matching`) and by explicit picks,
limited to a quarter, an Ortsteil, a street or a drawn polygon. Every stop gets a
German ``reason``, what to ``check`` there and a ``priority`` (Dringlichkeit), explained
in ``ranking``: the points of :data:`geo.settings.walk_rule_weights` for each rule it
was selected by, plus points per month it has stood empty
(:data:`geo.settings.walk_weight_vacant_month`, up to
:data:`geo.settings.walk_vacancy_max_months`), for a follow-up due
(:data:`geo.settings.walk_weight_follow_up`) and per month since its last visit
(:data:`geo.settings.walk_weight_unvisited_month`, up to
:data:`geo.settings.walk_unvisited_max_months`; never visited counts as that long). A stop selected twice outranks one
selected once, a unit empty for 27 months one empty for 7, and a time budget
leaves out the lowest first. Demolished units are never stops. :func:`state_text`
says what is at a unit (the business, or „leer seit 03.2022“).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import shape

from geo import settings
from geo.dates import DAYS_PER_MONTH, local_today
from geo.errors import InputError
from geo.formats import fmt_date, fmt_number, is_missing, unit_address
from geo.places.areas import load_quarters
from geo.register.history import Register
from geo.register.model import VACANT_STATUSES, status_label
from geo.register.stats import events, status_at
from geo.text import place_key, street_key

__all__ = [
    "RULE_CHECKS",
    "RULE_KINDS",
    "RULE_LABELS",
    "VERIFY_REASON",
    "Rule",
    "StopSelection",
    "select_stops",
    "state_text",
]


#: The reasons a stop can be selected for, most important first (the weights are
#: :data:`geo.settings.walk_rule_weights`), with their German names in the ranking text.
RULE_LABELS: dict[str, str] = {
    "picked": "ausgewählt",
    "verify": "Abgleich OSM",
    "new": "Neuansiedlung",
    "vacant": "Leerstand",
    "unvisited": "lange nicht besucht",
}

#: What to do at a stop, by the reason it was selected.
RULE_CHECKS: dict[str, str] = {
    "picked": "Stand vor Ort prüfen",
    "verify": "Status vor Ort klären: Register und OpenStreetMap widersprechen sich",
    "new": "Neuen Betrieb begrüßen, Angebote des Quartiersservice vorstellen",
    "vacant": "Eigentümer/in ansprechen: Vermietung, Zwischennutzung, Zustand",
    "unvisited": "Nutzung prüfen: Betrieb, Leerstand, Änderungen",
}

#: Rule kinds and the comparison each is written with (``vacant>6m``, ``new<3m``, ``unvisited>6m``).
RULE_KINDS: dict[str, str] = {"vacant": ">", "new": "<", "unvisited": ">"}


#: Default reason of a unit to verify when the list gives none.
VERIFY_REASON: str = "Register und OpenStreetMap widersprechen sich"

_RULE_RE = re.compile(r"^\s*(?P<kind>[a-z]+)\s*(?P<op>[<>])\s*(?P<n>\d+)\s*(m|mon|monate?)?\s*$", re.IGNORECASE)
_RULE_HELP = (
    "vacant>6m (leer seit mehr als 6 Monaten), new<3m (Neuansiedlungen der letzten 3 Monate, "
    "noch nicht begrüßt), unvisited>6m (seit mehr als 6 Monaten oder nie besucht)"
)


# -- rules ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """A selection rule for the stops of a walk.

    Attributes
    ----------
    kind
        ``"vacant"`` (vacant for more than ``months``), ``"new"`` (new
        settlement within the last ``months``, no visit since) or
        ``"unvisited"`` (no visit for more than ``months``, or never).
    months
        The number of months.
    """

    kind: str
    months: int

    def __post_init__(self) -> None:
        if self.kind not in RULE_KINDS:
            raise InputError(f"Regel „{self.kind}“ unbekannt; erlaubt: {_RULE_HELP}.")
        if isinstance(self.months, bool) or not isinstance(self.months, int | np.integer) or self.months < 0:
            raise InputError(f"Regel {self.kind}: Monate müssen eine ganze Zahl ab 0 sein, angegeben: {self.months!r}.")

    @classmethod
    def parse(cls, text: str) -> Rule:
        """A rule from its short form: ``vacant>6m``, ``new<3m`` or ``unvisited>6m``.

        Raises
        ------
        InputError
            If the text is not one of these forms.
        """
        match = _RULE_RE.match(str(text))
        if match is None or match["kind"].lower() not in RULE_KINDS:
            raise InputError(f"Regel „{text}“ nicht verstanden; erlaubt: {_RULE_HELP}.")
        kind = match["kind"].lower()
        if match["op"] != RULE_KINDS[kind]:
            raise InputError(
                f"Regel „{text}“: {kind} wird mit „{RULE_KINDS[kind]}“ geschrieben, z. B. "
                f"{kind}{RULE_KINDS[kind]}{match['n']}m."
            )
        return cls(kind, int(match["n"]))

    def __str__(self) -> str:
        return f"{self.kind}{RULE_KINDS[self.kind]}{self.months}m"

    @property
    def label(self) -> str:
        """The rule in German."""
        n = self.months
        if self.kind == "vacant":
            return f"leer seit mehr als {_months(n)}"
        if self.kind == "new":
            return f"Neuansiedlungen der letzten {_months(n)}, noch nicht begrüßt"
        return f"seit mehr als {_months(n)} nicht besucht (oder nie)"


def _months(n: int) -> str:
    return "1 Monat" if n == 1 else f"{n} Monaten" if n else "0 Monaten"


def _month_count(n: int) -> str:
    return "1 Monat" if n == 1 else f"{n} Monate"


def _as_rules(rules: Rule | str | Iterable[Rule | str] | None) -> list[Rule]:
    if rules is None:
        return []
    if isinstance(rules, Rule | str):
        rules = [rules]
    return [r if isinstance(r, Rule) else Rule.parse(str(r)) for r in rules]


def _timestamp(value: date | str | pd.Timestamp | None) -> pd.Timestamp:
    if value is None:
        return pd.Timestamp(local_today())
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise InputError(f"Datum „{value}“ nicht lesbar; erwartet z. B. 2024-12-31.") from exc
    if pd.isna(stamp):
        raise InputError(f"Datum „{value}“ nicht lesbar; erwartet z. B. 2024-12-31.")
    return stamp.tz_localize(None).normalize() if stamp.tzinfo else stamp.normalize()


# -- area -----------------------------------------------------------------------------------------


def _polygon(area: Any) -> shapely.Geometry:
    """A drawn area as one (multi)polygon in EPSG:4326."""
    if isinstance(area, gpd.GeoDataFrame | gpd.GeoSeries):
        geoms = area.geometry if isinstance(area, gpd.GeoDataFrame) else area
        if geoms.crs is not None:
            geoms = geoms.to_crs(settings.storage_crs)
        geom = shapely.union_all(geoms.dropna().to_numpy())
    elif isinstance(area, Mapping):
        kind = area.get("type")
        if kind == "FeatureCollection":
            geom = shapely.union_all([shape(f["geometry"]) for f in area.get("features", []) if f.get("geometry")])
        elif kind == "Feature":
            geom = shape(area["geometry"])
        else:
            try:
                geom = shape(area)
            except (KeyError, ValueError, TypeError, AttributeError) as exc:
                raise InputError(f"Gebiet als GeoJSON nicht lesbar: {exc}") from exc
    elif isinstance(area, shapely.Geometry):
        geom = area
    else:
        raise InputError(
            f"Gebiet nicht verstanden: {type(area).__name__}. Erwartet: Name eines Quartiers oder Ortsteils, "
            "oder ein Polygon (EPSG:4326)."
        )
    if geom is None or geom.is_empty or geom.geom_type not in ("Polygon", "MultiPolygon"):
        raise InputError("Das gezeichnete Gebiet muss eine Fläche (Polygon) sein.")
    minx, miny, maxx, maxy = geom.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise InputError(
            "Das Gebiet liegt nicht in Längen-/Breitengraden (EPSG:4326); bitte in EPSG:4326 angeben."
        )
    return shapely.make_valid(geom)


def _area_mask(units: gpd.GeoDataFrame, area: Any) -> np.ndarray:
    """Which units lie in ``area`` (a quarter or Ortsteil name, or a polygon)."""
    n = len(units)
    if area is None or (isinstance(area, str) and not area.strip()):
        return np.ones(n, dtype=bool)
    if isinstance(area, str):
        key = place_key(area)
        quarters = load_quarters()
        unit_quarter = units["quarter"].astype("string").fillna("").map(place_key)
        for q in quarters.values():
            if key in (place_key(q.name), q.slug):
                in_quarter: np.ndarray = (unit_quarter == place_key(q.name)).to_numpy(dtype=bool)
                return in_quarter
        unit_ortsteil = units["ortsteil"].astype("string").fillna("").map(place_key)
        inside: np.ndarray = (unit_ortsteil == key).to_numpy(dtype=bool)
        if inside.any() or any(q.has_ortsteil(area) for q in quarters.values()):
            return inside
        known = sorted({str(o) for o in units["ortsteil"].dropna()})
        raise InputError(
            f"Gebiet „{area}“ unbekannt. Quartiere: {', '.join(quarters)}; Ortsteile im Register: "
            f"{', '.join(known) or 'keine'}."
        )
    polygon = _polygon(area)
    geoms = units.geometry
    return np.asarray(geoms.notna() & geoms.covered_by(polygon), dtype=bool)


def _visits(register: Register) -> pd.DataFrame:
    from geo.register.store import normalise_visits

    if register.visits is None:
        return normalise_visits(pd.DataFrame())
    return register.visits


def _last_visits(register: Register, day: pd.Timestamp) -> pd.Series:
    """Date of each unit's last visit on or before ``day`` (unit_id -> Timestamp)."""
    visits = _visits(register)
    visits = visits.loc[visits["visited_on"] <= day]
    last = visits.groupby(visits["unit_id"].astype(str))["visited_on"].max()
    return last.astype("datetime64[s]")


# -- what a stop is ------------------------------------------------------------------------------


def state_text(status: Any, *, business_name: Any = None, since: Any = None) -> str:
    """What is at a unit, in German: the business, or ``"leer seit 03.2022"``.

    Parameters
    ----------
    status
        Status code (``geo.register.model.STATUSES``) or None.
    business_name
        The business, if known.
    since
        Start of the current status (for vacant units the start of the vacancy).
    """
    business = None if _missing(business_name) or not str(business_name).strip() else str(business_name).strip()
    stamp = None if _missing(since) else pd.Timestamp(since)
    when = f" seit {stamp:%m.%Y}" if stamp is not None and not pd.isna(stamp) else ""
    if _missing(status) or not status:
        return business or "keine Angabe"
    if status in VACANT_STATUSES:
        return f"{status_label(status)}{when}"
    if status == "occupied":
        return business or "genutzt (Betrieb unbekannt)"
    return f"{status_label(status)}{': ' + business if business else ''}{when}"


_missing = is_missing


@dataclass(frozen=True)
class StopSelection:
    """The stops :func:`select_stops` chose, and remarks on the choice.

    Attributes
    ----------
    frame
        One row per stop, highest priority first (columns in :func:`select_stops`).
    notes
        German remarks for the user, e.g. picked units left out because they are demolished.
    """

    frame: gpd.GeoDataFrame
    notes: tuple[str, ...] = ()


# -- selecting the stops ------------------------------------------------------------------------


def select_stops(
    register: Register,
    *,
    at: date | str | None = None,
    rules: Rule | str | Iterable[Rule | str] | None = (),
    area: Any = None,
    street: str | None = None,
    picked: Iterable[str] | None = None,
    verify: pd.DataFrame | Sequence[pd.DataFrame] | None = None,
) -> StopSelection:
    """The units to visit on a walk, with the reason and a priority for each.

    Parameters
    ----------
    register
        The register.
    at
        The walk's date (default: today); statuses, vacancy lengths and
        visits are taken as of this day.
    rules
        Selection rules: :class:`Rule` objects or their short forms
        (``"vacant>6m"``, ``"new<3m"``, ``"unvisited>6m"``).
    area
        Limit the rule-based and verify stops to a quarter or Ortsteil (name,
        spelled tolerantly, or the quarter's slug) or to a polygon in
        EPSG:4326 (shapely geometry, GeoJSON mapping or GeoDataFrame).
        Explicitly picked units are kept wherever they are.
    street
        Limit the rule-based and verify stops to this street as well (spelled
        tolerantly: ``Torgauer Str.`` = ``Torgauer Straße``).
    picked
        Unit ids to visit in any case.
    verify
        Units to verify on site because register and OpenStreetMap disagree:
        any table with ``unit_id`` and optionally ``reason`` (e.g. the lists
        ``vacant_but_osm_business``/``occupied_but_osm_disused`` of
        :func:`geo.osm.matching.compare_with_osm`), or several such tables. Rows
        whose unit is not in the register are passed over.

    Returns
    -------
    StopSelection
        ``frame``: one row per stop, highest priority first: ``unit_id``, ``label``
        (address), ``priority`` (see the module description), ``ranking`` (German:
        what the priority is made of, „Dringlichkeit 6,5: Leerstand +2, 27 Monate
        leer +2,7, …“), ``reason`` (German, why the stop was
        selected), ``check`` (what to do there), ``rules`` (comma-separated
        kinds: picked, verify, new, vacant, unvisited), ``state`` (business or
        „leer seit …“), ``last_visit``, ``follow_up_on`` (earliest follow-up due
        and not done), the unit's columns and its status on
        ``at`` (:func:`geo.register.stats.status_at`), point geometry (EPSG:4326).
        ``notes``: remarks (German), e.g. picked units left out because they
        are demolished, or verify rows without a unit in the register.

    Raises
    ------
    InputError
        Unknown rule, area, street or picked unit, or a verify table without ``unit_id``.
    """
    day = _timestamp(at)
    rule_list = _as_rules(rules)
    current = status_at(register, day).reset_index(drop=True)
    index = pd.Index(current["unit_id"].astype(str))
    status = current["status"].astype(object).to_numpy()
    alive = np.array([s != "demolished" for s in status], dtype=bool)
    inside = _area_mask(current, area) & _street_mask(current, street)
    usable = alive & inside
    last_visit = pd.Series(
        pd.to_datetime(_last_visits(register, day).reindex(index).to_numpy()), dtype="datetime64[s]"
    )
    notes: list[str] = []
    hits: list[tuple[int, str, str]] = []

    for rule in rule_list:
        cutoff = day - pd.DateOffset(months=rule.months)
        if rule.kind == "vacant":
            since = current["since"]
            mask = usable & current["status"].isin(VACANT_STATUSES).to_numpy() & (since < cutoff).to_numpy(dtype=bool)
            for i in np.flatnonzero(mask):
                months = int((day - since.iloc[i]).days // DAYS_PER_MONTH)
                hits.append((int(i), "vacant", f"{status_label(status[i])} seit {since.iloc[i]:%m.%Y} ({_month_count(months)})"))
        elif rule.kind == "new":
            ev = events(register, kind="settlement", start=cutoff, end=day)
            ev = ev.sort_values("event_date").drop_duplicates("unit_id", keep="last")
            for pos, when, name in zip(
                index.get_indexer(ev["unit_id"].astype(str)), ev["event_date"], ev["business_name"], strict=True
            ):
                if pos < 0 or not usable[pos] or status[pos] != "occupied":
                    continue
                seen = last_visit.iloc[pos]
                if not _missing(seen) and seen >= when:
                    continue  # welcomed already
                business = f" ({name})" if not _missing(name) and str(name).strip() else ""
                hits.append((pos, "new", f"Neuansiedlung am {when:%d.%m.%Y}{business}, noch nicht begrüßt"))
        else:
            never = last_visit.isna().to_numpy()
            old = (last_visit < cutoff).fillna(False).to_numpy(dtype=bool)
            for i in np.flatnonzero(usable & (never | old)):
                seen = last_visit.iloc[i]
                hits.append((int(i), "unvisited", "noch nie besucht" if never[i] else f"zuletzt besucht am {seen:%d.%m.%Y}"))

    for table in [verify] if isinstance(verify, pd.DataFrame) else list(verify or []):
        if "unit_id" not in table.columns:
            raise InputError("Der Prüfliste (Abgleich mit OpenStreetMap) fehlt die Spalte „unit_id“.")
        reasons = table["reason"] if "reason" in table.columns else pd.Series(None, index=table.index)
        passed = 0
        for uid, reason in zip(table["unit_id"], reasons, strict=True):
            pos = index.get_indexer([str(uid)])[0] if not _missing(uid) else -1
            if pos < 0:
                passed += 1
                continue
            if usable[pos]:
                text = str(reason).strip() if not _missing(reason) and str(reason).strip() else VERIFY_REASON
                hits.append((pos, "verify", text))
        if passed:
            notes.append(f"{passed} Einträge der Prüfliste ohne Einheit im Register übergangen.")

    wanted = list(dict.fromkeys(str(u).strip() for u in (picked or []) if str(u).strip()))
    unknown = [u for u in wanted if u not in index]
    if unknown:
        raise InputError(f"Nicht im Register: {', '.join(unknown[:10])}{' …' if len(unknown) > 10 else ''}.")
    for uid in wanted:
        pos = index.get_loc(uid)
        if not alive[pos]:
            notes.append(f"{uid} ist entfallen (abgerissen/zusammengelegt) und wird nicht besucht.")
            continue
        hits.append((pos, "picked", "ausgewählt"))

    due = _due_follow_ups(register, day).reindex(index)
    return StopSelection(_stop_frame(current, hits, last_visit, due, day), tuple(notes))


def _street_mask(units: gpd.GeoDataFrame, street: str | None) -> np.ndarray:
    """Which units lie on ``street`` (all without one)."""
    if street is None or not str(street).strip():
        return np.ones(len(units), dtype=bool)
    wanted = street_key(pd.Series([str(street)])).iloc[0]
    keys = street_key(units["street"]) if "street" in units.columns else pd.Series("", index=units.index)
    on_street: np.ndarray = (keys == wanted).to_numpy(dtype=bool)
    if not on_street.any():
        raise InputError(f"Straße „{street}“: keine Einheit des Registers liegt an dieser Straße.")
    return on_street


def _due_follow_ups(register: Register, day: pd.Timestamp) -> pd.Series:
    """Earliest open follow-up of each unit due on or before ``day`` (unit_id -> Timestamp)."""
    visits = _visits(register)
    open_ = visits.loc[
        visits["follow_up_on"].notna() & ~visits["follow_up_done"].astype(bool) & (visits["follow_up_on"] <= day)
    ]
    return open_.groupby(open_["unit_id"].astype(str))["follow_up_on"].min().astype("datetime64[s]")


def _points(value: float) -> str:
    return fmt_number(value, digits=0 if float(value).is_integer() else 1)


def _score(
    kinds: list[str], row: Mapping[str, Any], last: Any, due: Any, day: pd.Timestamp
) -> tuple[float, str]:
    """Priority of one stop and its German explanation (weights in :mod:`geo.settings`)."""
    vacancy_cap, visit_cap = float(settings.walk_vacancy_max_months), float(settings.walk_unvisited_max_months)
    parts = [(RULE_LABELS[k], float(settings.walk_rule_weights.get(k, 0.0))) for k in kinds]
    since = row.get("since")
    if row.get("status") in VACANT_STATUSES and not _missing(since):
        months = (day - pd.Timestamp(since)).days / DAYS_PER_MONTH
        if months >= 1:
            parts.append((f"{_month_count(int(months))} leer", settings.walk_weight_vacant_month * min(months, vacancy_cap)))
    if not _missing(due):
        parts.append((f"Nachfassen fällig seit {fmt_date(due)}", float(settings.walk_weight_follow_up)))
    if _missing(last):
        parts.append(("nie besucht", settings.walk_weight_unvisited_month * visit_cap))
    else:
        months = (day - pd.Timestamp(last)).days / DAYS_PER_MONTH
        if months >= 1:
            text = f"zuletzt besucht vor {_months(int(months))}"
            parts.append((text, settings.walk_weight_unvisited_month * min(months, visit_cap)))
    parts = [(t, round(float(v), 2)) for t, v in parts if round(float(v), 2) > 0]
    total = round(sum(v for _, v in parts), 2)
    return total, f"Dringlichkeit {fmt_number(total, digits=1)}: " + ", ".join(f"{t} +{_points(v)}" for t, v in parts)


def _stop_frame(
    current: gpd.GeoDataFrame,
    hits: list[tuple[int, str, str]],
    last_visit: pd.Series,
    due: pd.Series,
    day: pd.Timestamp,
) -> gpd.GeoDataFrame:
    by_unit: dict[int, dict[str, str]] = {}
    for pos, kind, reason in hits:
        by_unit.setdefault(pos, {}).setdefault(kind, reason)
    rank = list(RULE_LABELS)
    positions = sorted(by_unit)
    out = current.iloc[positions].drop(columns=["created_at"], errors="ignore").copy()
    kinds = [sorted(by_unit[p], key=rank.index) for p in positions]
    # only the columns read below, and each Series indexed once: row by row it took seconds at 50,000 units
    read = [c for c in ("unit_id", "street", "housenumber", "address_note", "status", "business_name", "since")
            if c in out.columns]
    records = out[read].to_dict("records")
    lasts, dues = list(last_visit.iloc[positions]), list(due.iloc[positions])
    scores = [
        _score(ks, row, last, when, day)
        for ks, row, last, when in zip(kinds, records, lasts, dues, strict=True)
    ]
    out["priority"] = [total for total, _ in scores]
    out["ranking"] = [text for _, text in scores]
    out["follow_up_on"] = pd.to_datetime(due.iloc[positions].to_numpy()) if positions else pd.Series(dtype="datetime64[s]")
    out["rules"] = [",".join(ks) for ks in kinds]
    out["reason"] = ["; ".join(by_unit[p][k] for k in ks) for p, ks in zip(positions, kinds, strict=True)]
    out["check"] = ["; ".join(RULE_CHECKS[k] for k in ks if k != "picked" or len(ks) == 1) for ks in kinds]
    out["label"] = [unit_address(r) for r in records]
    out["state"] = [
        state_text(r.get("status"), business_name=r.get("business_name"), since=r.get("since")) for r in records
    ]
    out["last_visit"] = pd.to_datetime(last_visit.iloc[positions]).to_numpy() if positions else pd.Series(dtype="datetime64[s]")
    front = ["unit_id", "label", "priority", "ranking", "reason", "check", "rules", "state", "last_visit",
             "follow_up_on"]
    out = out[front + [c for c in out.columns if c not in front]]
    out = out.sort_values(["priority", "label", "unit_id"], ascending=[False, True, True], kind="stable")
    return gpd.GeoDataFrame(out.reset_index(drop=True), geometry="geometry", crs=settings.storage_crs)


def _column(frame: pd.DataFrame, name: str) -> list[str]:
    if name not in frame.columns:
        return [""] * len(frame)
    return ["" if _missing(v) else str(v) for v in frame[name]]

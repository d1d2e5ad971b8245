"""Outreach walks: which units to visit, what to take along, and what the visits found.

The Quartiersservice walks its streets every week to talk to owners of empty
units, welcome new businesses and check what changed. This module is
everything around the route planning of :mod:`geo.walks.network`:

Stops
    :func:`select_stops` picks units by rules (:class:`Rule`: vacant for more
    than N months, new settlements of the last N months not yet welcomed,
    not visited for N months), by a list of units to verify (register and
    OpenStreetMap disagree, :mod:`geo.osm.matching`) and by explicit picks,
    limited to a quarter, an Ortsteil or a drawn polygon. Every stop gets a
    German ``reason``, what to ``check`` there and a ``priority``: the sum of
    :data:`RULE_PRIORITY` over the reasons it was selected for, so a stop
    selected twice outranks one selected once, and the time budget drops the
    lowest first. Demolished units are never stops.
Plan and take along
    :func:`plan_outreach` selects the stops and plans the walk from the
    quarter's office (:func:`geo.places.areas.load_quarters`). The
    :class:`OutreachWalk` it returns gives the route map (folium, offline
    assets), the walk sheet (PDF, :mod:`geo.walks.walksheet`), GPX, JSON and a
    GeoPackage for QField (:func:`export_qfield`).
Log
    :func:`log_visit` records one visit and, when the status or business
    changed, an observation (``confirmed_on_site``, source ``Begehung``) in
    one transaction. :func:`import_qfield` reads the filled-in visit table of
    the QField GeoPackage back the same way: every row is checked first,
    nothing is written if any row is bad, and rows already in the register
    (same unit, date, outcome and note) are skipped, so importing a file
    twice adds nothing. :func:`due_follow_ups` lists the follow-ups due in a
    week (and the overdue ones), :func:`mark_follow_up_done` closes them.

Command line: ``python -m geo walk`` (:func:`add_cli`, :func:`run_cli`).
"""

from __future__ import annotations

import argparse
import bz2
import gzip
import hashlib
import json
import os
import re
import shutil
import sqlite3
import sys
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyogrio
import shapely
from shapely.geometry import shape

from geo import settings
from geo.app.views import unit_address
from geo.errors import InputError, QuartiersmonitorError
from geo.outputs.tables import is_missing
from geo.places.areas import get_quarter, load_quarters, normalize_name, quarter_of
from geo.register.history import Register, normalise_name
from geo.register.model import (
    STATUS_LABELS,
    STATUSES,
    VACANT_STATUSES,
    VISIT_OUTCOME_LABELS,
    status_label,
)
from geo.register.stats import events, status_at
from geo.register.store import ChangeSet, Store

if TYPE_CHECKING:  # pragma: no cover
    import folium
    import networkx as nx

    from geo.walks.network import WalkPlan

__all__ = [
    "DEMO_NETWORK_CREDIT",
    "OSM_CREDIT",
    "RULE_CHECKS",
    "RULE_PRIORITY",
    "SYNTHETIC_CREDIT",
    "LoggedVisit",
    "OutreachWalk",
    "Rule",
    "VisitImport",
    "VisitImportRejected",
    "add_cli",
    "due_follow_ups",
    "dropped_table",
    "export_qfield",
    "follow_up_table",
    "graph_files",
    "import_qfield",
    "log_visit",
    "make_walk_id",
    "mark_follow_up_done",
    "network_credit",
    "plan_outreach",
    "route_map",
    "run_cli",
    "select_stops",
    "state_text",
    "stop_labels",
    "stop_table",
]

#: Priority a stop gets for each reason it was selected (reasons add up).
RULE_PRIORITY: dict[str, int] = {"picked": 5, "verify": 4, "new": 3, "vacant": 2, "unvisited": 1}

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

#: Attribution of OpenStreetMap data (walking network, streets).
OSM_CREDIT: str = "© OpenStreetMap-Mitwirkende, ODbL"

#: Note for the project's synthetic test networks (:mod:`geo.osm._synthetic`): no map data, no licence.
SYNTHETIC_CREDIT: str = "Wegenetz: synthetisches Testnetz (keine echten Kartendaten)"

#: Note for the fictional demo walking network (:func:`geo.register.demo.write_demo_walk_network`).
DEMO_NETWORK_CREDIT: str = "Demo-Wegenetz (fiktiv, vereinfacht)"

#: Source written on observations recorded on a walk.
VISIT_SOURCE: str = "Begehung"

#: Default reason of a unit to verify when the list gives none.
VERIFY_REASON: str = "Register und OpenStreetMap widersprechen sich"

_DAYS_PER_MONTH = 30.4375
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
        return pd.Timestamp(date.today())
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
        key = normalize_name(area)
        quarters = load_quarters()
        unit_quarter = units["quarter"].astype("string").fillna("").map(normalize_name)
        for q in quarters.values():
            if key in (normalize_name(q.name), q.slug):
                return (unit_quarter == normalize_name(q.name)).to_numpy(dtype=bool)
        unit_ortsteil = units["ortsteil"].astype("string").fillna("").map(normalize_name)
        inside = (unit_ortsteil == key).to_numpy(dtype=bool)
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


# -- selecting the stops ------------------------------------------------------------------------


def select_stops(
    register: Register,
    *,
    at: date | str | None = None,
    rules: Rule | str | Iterable[Rule | str] | None = (),
    area: Any = None,
    picked: Iterable[str] | None = None,
    verify: pd.DataFrame | Sequence[pd.DataFrame] | None = None,
) -> gpd.GeoDataFrame:
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
    geopandas.GeoDataFrame
        One row per stop, highest priority first: ``unit_id``, ``label``
        (address), ``priority``, ``reason`` (German, why the stop was
        selected), ``check`` (what to do there), ``rules`` (comma-separated
        kinds: picked, verify, new, vacant, unvisited), ``state`` (business or
        „leer seit …“), ``last_visit``, the unit's columns and its status on
        ``at`` (:func:`geo.register.stats.status_at`), point geometry (EPSG:4326).
        ``attrs["notes"]`` holds remarks (German), e.g. picked units left out
        because they are demolished.

    Raises
    ------
    InputError
        Unknown rule, area or picked unit, or a verify table without ``unit_id``.
    """
    day = _timestamp(at)
    rule_list = _as_rules(rules)
    current = status_at(register, day).reset_index(drop=True)
    index = pd.Index(current["unit_id"].astype(str))
    status = current["status"].astype(object).to_numpy()
    alive = np.array([s != "demolished" for s in status], dtype=bool)
    inside = _area_mask(current, area)
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
                months = int((day - since.iloc[i]).days // _DAYS_PER_MONTH)
                hits.append((i, "vacant", f"{status_label(status[i])} seit {since.iloc[i]:%m.%Y} ({_month_count(months)})"))
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
                hits.append((i, "unvisited", "noch nie besucht" if never[i] else f"zuletzt besucht am {seen:%d.%m.%Y}"))

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

    return _stop_frame(current, hits, last_visit, notes)


def _stop_frame(
    current: gpd.GeoDataFrame, hits: list[tuple[int, str, str]], last_visit: pd.Series, notes: list[str]
) -> gpd.GeoDataFrame:
    by_unit: dict[int, dict[str, str]] = {}
    for pos, kind, reason in hits:
        by_unit.setdefault(pos, {}).setdefault(kind, reason)
    rank = list(RULE_PRIORITY)
    positions = sorted(by_unit)
    out = current.iloc[positions].drop(columns=["created_at"], errors="ignore").copy()
    kinds = [sorted(by_unit[p], key=rank.index) for p in positions]
    out["priority"] = [float(sum(RULE_PRIORITY[k] for k in ks)) for ks in kinds]
    out["rules"] = [",".join(ks) for ks in kinds]
    out["reason"] = ["; ".join(by_unit[p][k] for k in ks) for p, ks in zip(positions, kinds, strict=True)]
    out["check"] = ["; ".join(RULE_CHECKS[k] for k in ks if k != "picked" or len(ks) == 1) for ks in kinds]
    records = out.to_dict("records")
    out["label"] = [unit_address(r) for r in records]
    out["state"] = [
        state_text(r.get("status"), business_name=r.get("business_name"), since=r.get("since")) for r in records
    ]
    out["last_visit"] = pd.to_datetime(last_visit.iloc[positions]).to_numpy() if positions else pd.Series(dtype="datetime64[s]")
    front = ["unit_id", "label", "priority", "reason", "check", "rules", "state", "last_visit"]
    out = out[front + [c for c in out.columns if c not in front]]
    out = out.sort_values(["priority", "label", "unit_id"], ascending=[False, True, True], kind="stable")
    out = gpd.GeoDataFrame(out.reset_index(drop=True), geometry="geometry", crs=settings.storage_crs)
    out.attrs["notes"] = notes
    return out


# -- network source ------------------------------------------------------------------------------


def network_credit(source: str | os.PathLike[str] | bytes, *, name: str | None = None) -> str:
    """Attribution of a walking-network file for maps and sheets.

    OpenStreetMap XML and osmnx GraphML files are credited with
    :data:`OSM_CREDIT`; the project's synthetic test networks (written by
    :mod:`geo.osm._synthetic`) with :data:`SYNTHETIC_CREDIT`, the fictional
    demo network with :data:`DEMO_NETWORK_CREDIT`.

    Parameters
    ----------
    source
        The file, or its content (an upload; compressed content counts as OSM).
    name
        File name of uploaded content (for the format).
    """
    from geo.osm._synthetic import DEMO_GENERATOR, GENERATOR

    file_name = (name or ("" if isinstance(source, bytes) else Path(source).name)).lower()
    if file_name.endswith(".graphml"):
        return OSM_CREDIT
    if isinstance(source, bytes):
        head = source[:2048].decode("utf-8", errors="replace")
    else:
        opener: Any = gzip.open if file_name.endswith(".gz") else bz2.open if file_name.endswith(".bz2") else open
        try:
            with opener(Path(source), "rb") as fh:
                head = fh.read(2048).decode("utf-8", errors="replace")
        except OSError:
            return OSM_CREDIT
    if DEMO_GENERATOR in head:
        return DEMO_NETWORK_CREDIT
    return SYNTHETIC_CREDIT if GENERATOR in head else OSM_CREDIT


def load_graph_upload(data: bytes, name: str) -> nx.MultiDiGraph:
    """A walking network from the bytes of an uploaded ``.osm``/``.graphml`` file.

    Raises
    ------
    InputError
        As :func:`geo.walks.network.load_walk_graph`.
    """
    from geo.walks.network import load_walk_graph

    suffix = "".join(Path(name).suffixes[-2:]) or ".osm"
    with tempfile.TemporaryDirectory(prefix="qm-graph-") as folder:
        target = Path(folder) / f"wegenetz{suffix}"
        target.write_bytes(data)
        return load_walk_graph(target)


# -- planning ------------------------------------------------------------------------------------


def make_walk_id(unit_ids: Iterable[str], *, on: date) -> str:
    """An id for a walk: ``BG-20240503-1a2b3c`` (date and a hash of its stops)."""
    digest = hashlib.sha1(",".join(sorted(map(str, unit_ids))).encode()).hexdigest()[:6]
    return f"BG-{on:%Y%m%d}-{digest}"


@dataclass
class OutreachWalk:
    """A planned outreach walk and everything to take along.

    Attributes
    ----------
    plan
        The route (:class:`geo.walks.network.WalkPlan`); its ``stops`` carry the
        columns of :func:`select_stops` (reason, check, state, contacts …).
    walk_id
        Id written on the visits of this walk.
    at
        The walk's date.
    area
        Name of the area, for titles (or None).
    network_credit
        Attribution of the walking network (None: none shown).
    demo
        Whether the register is the fictional demo.
    boundaries
        Ortsteil outlines for the map.
    graph
        The walking network (for the streets on the sheet's map).
    notes
        Remarks on the selection (German).
    """

    plan: WalkPlan
    walk_id: str
    at: date
    area: str | None = None
    network_credit: str | None = OSM_CREDIT
    demo: bool = False
    boundaries: gpd.GeoDataFrame | None = None
    graph: Any = field(default=None, repr=False)
    notes: list[str] = field(default_factory=list)
    _cache: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def title(self) -> str:
        """``"Begehung Leipziger Osten am 03.05.2024"``."""
        where = f" {self.area}" if self.area else ""
        return f"Begehung{where} am {self.at:%d.%m.%Y}"

    def file_name(self, suffix: str, *, internal: bool = False) -> str:
        """A download name, e.g. ``begehung-BG-20240503-1a2b3c-intern.pdf``."""
        return f"begehung-{self.walk_id}{'-intern' if internal else ''}.{suffix.lstrip('.')}"

    def to_json(self) -> dict[str, Any]:
        """:meth:`geo.walks.network.WalkPlan.to_json` plus ``walk_id``, ``at``, ``area`` and each stop's ``reason``/``check``."""
        data = self.plan.to_json()
        extra = self.plan.stops
        for item, reason, check in zip(
            data["stops"], _column(extra, "reason"), _column(extra, "check"), strict=True
        ):
            item["reason"] = reason
            item["check"] = check
        return {"walk_id": self.walk_id, "at": self.at.isoformat(), "area": self.area, **data}

    def to_gpx(self) -> str:
        """GPX 1.1 of the route and the stops (:meth:`geo.walks.network.WalkPlan.to_gpx`)."""
        return self.plan.to_gpx(name=self.title)

    def streets(self) -> gpd.GeoDataFrame | None:
        """The network's streets around the walk (EPSG:25833), for the sheet's map; None without graph."""
        if self.graph is None:
            return None
        if "streets" not in self._cache:
            from geo.outputs.staticmaps import MAP_CRS, load_streets

            streets = load_streets(self.graph)
            parts = [self.plan.stops.geometry, gpd.GeoSeries([self.plan.route], crs=settings.storage_crs)]
            box = shapely.box(*pd.concat([p.to_crs(MAP_CRS) for p in parts]).total_bounds).buffer(600)
            self._cache["streets"] = streets.loc[streets.intersects(box).to_numpy()].reset_index(drop=True)
        return self._cache["streets"]

    def sheet_pdf(self, *, internal: bool = False) -> bytes:
        """The walk sheet (A4 PDF, German); contact data only with ``internal=True``."""
        key = ("pdf", internal)
        if key not in self._cache:
            from geo.walks.walksheet import walk_sheet_pdf

            self._cache[key] = walk_sheet_pdf(
                self.plan,
                internal=internal,
                at=self.at,
                title=self.title,
                walk_id=self.walk_id,
                streets=self.streets(),
                boundaries=self.boundaries,
                network_credit=self.network_credit,
                demo=self.demo,
            )
        return self._cache[key]

    def qfield_gpkg(self, *, internal: bool = False) -> bytes:
        """The GeoPackage for QField (:func:`export_qfield`) as bytes."""
        with tempfile.TemporaryDirectory(prefix="qm-qfield-") as folder:
            path = export_qfield(
                self.plan.stops,
                Path(folder) / self.file_name("gpkg", internal=internal),
                internal=internal,
                walk_id=self.walk_id,
                at=self.at,
                demo=self.demo,
            )
            return path.read_bytes()

    def route_map(
        self, *, basemap: str = "osm", assets: Literal["inline", "linked"] = "inline", asset_base: str | None = None
    ) -> folium.Map:
        """The folium map of the route with numbered stops (:func:`route_map`)."""
        return route_map(self.plan, basemap=basemap, demo=self.demo, assets=assets, asset_base=asset_base)

    def write(self, out: str | os.PathLike[str], *, internal: bool = False) -> Path:
        """Write the walk as ``.gpx``, ``.pdf``, ``.gpkg`` (QField) or ``.json`` (by the suffix of ``out``).

        Raises
        ------
        InputError
            Unknown suffix or missing folder.
        """
        out = Path(out)
        suffix = _out_suffix(out)
        if suffix == ".gpkg":
            return export_qfield(
                self.plan.stops, out, internal=internal, walk_id=self.walk_id, at=self.at, demo=self.demo
            )
        if suffix == ".pdf":
            data: bytes = self.sheet_pdf(internal=internal)
        elif suffix == ".gpx":
            data = self.to_gpx().encode("utf-8")
        else:
            data = (json.dumps(self.to_json(), ensure_ascii=False, indent=2) + "\n").encode("utf-8")
        _write_atomic(out, data)
        return out


_OUT_SUFFIXES = (".gpx", ".pdf", ".gpkg", ".json")


def _out_suffix(out: Path) -> str:
    suffix = out.suffix.lower()
    if suffix not in _OUT_SUFFIXES:
        raise InputError(f"Ausgabe {out.name}: Format unbekannt; erlaubt: {', '.join(_OUT_SUFFIXES)}.")
    if not out.parent.exists():
        raise InputError(f"Ordner {out.parent} existiert nicht.")
    return suffix


def _write_atomic(out: Path, data: bytes) -> None:
    """Replace ``out`` atomically, with normal file permissions (:func:`geo._files.write_bytes`)."""
    from geo._files import write_bytes

    write_bytes(out, data, prefix=".qm-walk-")


def _column(frame: pd.DataFrame, name: str) -> list[str]:
    if name not in frame.columns:
        return [""] * len(frame)
    return ["" if _missing(v) else str(v) for v in frame[name]]


def _area_name(area: Any) -> str | None:
    if not isinstance(area, str) or not area.strip():
        return None if area is None else "gezeichnetes Gebiet"
    key = normalize_name(area)
    for q in load_quarters().values():
        if key in (normalize_name(q.name), q.slug):
            return q.name
    return area.strip()


def _default_start(area: Any) -> str | None:
    """The quarter (name) whose office starts a walk in ``area``, if the area names one."""
    name = _area_name(area)
    if name is None or not isinstance(area, str):
        return None
    try:
        return get_quarter(name).name
    except InputError:
        return quarter_of(name)


def plan_outreach(
    register: Register,
    graph: nx.MultiDiGraph,
    *,
    at: date | str | None = None,
    rules: Rule | str | Iterable[Rule | str] | None = (),
    area: Any = None,
    picked: Iterable[str] | None = None,
    verify: pd.DataFrame | Sequence[pd.DataFrame] | None = None,
    start: Any = None,
    end: Any = None,
    round_trip: bool = True,
    speed_kmh: float = 4.5,
    minutes_per_visit: float = 10.0,
    time_budget_min: float | None = None,
    network_credit: str | None = OSM_CREDIT,
) -> OutreachWalk:
    """Select the stops (:func:`select_stops`) and plan the walk (:func:`geo.walks.network.plan_walk`).

    Parameters
    ----------
    register
        The register.
    graph
        Walking network from :func:`geo.walks.network.load_walk_graph`.
    at, rules, area, picked, verify
        The selection, as in :func:`select_stops`.
    start
        Start point (as :func:`geo.walks.network.plan_walk` takes it). Default: the
        office of the quarter named by ``area`` (or of the Ortsteil's
        quarter), else the office of the stops' quarter.
    end, round_trip, speed_kmh, minutes_per_visit, time_budget_min
        As in :func:`geo.walks.network.plan_walk`; stops that do not fit the budget
        are dropped lowest priority first and listed with the reason.
    network_credit
        Attribution of the network (see :func:`network_credit`).

    Returns
    -------
    OutreachWalk
        The plan and its take-along files.

    Raises
    ------
    InputError
        Nothing selected, or any error of the selection or the planning.
    """
    from geo.walks.network import plan_walk

    day = _timestamp(at).date()
    stops = select_stops(register, at=day, rules=rules, area=area, picked=picked, verify=verify)
    notes = list(stops.attrs.get("notes", []))
    if stops.empty:
        raise InputError(
            "Keine Stopps: Keine Einheit erfüllt die gewählten Regeln in diesem Gebiet, und keine ist "
            "ausgewählt. Regeln lockern, Gebiet ändern oder Einheiten auswählen."
        )
    if start is None:
        start = _default_start(area)
    plan = plan_walk(
        graph,
        stops,
        start=start,
        end=end,
        round_trip=round_trip,
        speed_kmh=speed_kmh,
        minutes_per_visit=minutes_per_visit,
        time_budget_min=time_budget_min,
    )
    return OutreachWalk(
        plan=plan,
        walk_id=make_walk_id(plan.stops["unit_id"], on=day),
        at=day,
        area=_area_name(area),
        network_credit=network_credit,
        demo=register.meta.get("demo") == "true",
        boundaries=register.boundaries,
        graph=graph,
        notes=notes,
    )


# -- route map -------------------------------------------------------------------------------------

_ROUTE_CSS = """<style>
.qm-stop{display:flex;align-items:center;justify-content:center;width:22px;height:22px;border-radius:50%;
 border:2px solid #222;font:bold 11px/1 sans-serif;color:#fff;text-shadow:0 0 2px #000;box-shadow:0 1px 3px rgba(0,0,0,.4)}
.qm-stop.light{color:#111;text-shadow:none}
.qm-end{display:flex;align-items:center;justify-content:center;width:22px;height:22px;border-radius:3px;
 background:#111;color:#fff;font:bold 11px/1 sans-serif;border:2px solid #fff;box-shadow:0 1px 3px rgba(0,0,0,.5)}
</style>"""

_LIGHT = {"unknown", None}


def _template_safe(text: str) -> str:
    """Escaped tooltip HTML that is also safe inside folium's JavaScript template literals."""
    return text.replace("`", "&#96;").replace("${", "&#36;{")


def route_map(
    plan: WalkPlan,
    *,
    basemap: str = "osm",
    demo: bool = False,
    names: bool = True,
    assets: Literal["inline", "linked"] = "inline",
    asset_base: str | None = None,
) -> folium.Map:
    """A folium map of a walk: route line, numbered stops coloured by status, start and end.

    Built on :func:`geo.outputs.maps.render_map` (base maps, legend, demo mark) with
    the Leaflet assets inlined (:mod:`geo.outputs._assets`); only base-map tiles are
    loaded online. All text is HTML-escaped.

    Parameters
    ----------
    plan
        The walk.
    basemap
        ``"osm"``, ``"positron"`` or ``"none"``.
    demo
        Mark the map as fictional demo data.
    names
        Show business names in tooltips.
    assets, asset_base
        As in :func:`geo.outputs.maps.render_map`.
    """
    import folium
    from branca.element import Element

    from geo.outputs import maps
    from geo.outputs._assets import apply_assets
    from geo.register.model import STATUS_COLORS

    stops = plan.stops
    frame = stops if "status" in stops.columns else stops.assign(status=None)
    data = maps.prepare_map(frame, heat=False, names=names, demo=demo, legend_title="Stopps nach Status")
    m = maps.render_map(data, basemap=basemap, cluster=False, assets=assets, asset_base=asset_base)
    m.get_root().header.add_child(Element(_ROUTE_CSS), name="qm_route_css")
    if len(plan.route.coords) >= 2:
        folium.PolyLine(
            [(y, x) for x, y in plan.route.coords], color="#08519c", weight=5, opacity=0.8,
            tooltip=_template_safe(maps.esc(plan.summary)),
        ).add_to(m)
    # markers go on the map itself: a layer added after render_map's layer control breaks the control
    for row in stops.to_dict("records"):
        status = row.get("status") if isinstance(row.get("status"), str) else None
        color = STATUS_COLORS.get(status or "unknown", "#bdbdbd")
        light = " light" if status in _LIGHT else ""
        tip = f"<b>{int(row['order'])}. {maps.esc(row.get('label'))}</b>"
        if names and not _missing(row.get("state")):
            tip += f"<br>{maps.esc(row.get('state'))}"
        if not _missing(row.get("reason")):
            tip += f"<br>{maps.esc(row.get('reason'))}"
        tip += f"<br>{maps.esc(row['unit_id'])} · nach {row['cumulative_m']:.0f} m"
        tip = _template_safe(tip)
        folium.Marker(
            (float(row["lat"]), float(row["lon"])),
            icon=folium.DivIcon(
                html=f'<div class="qm-stop{light}" style="background:{maps.esc(color, quote=True)}">{int(row["order"])}</div>',
                icon_size=(22, 22), icon_anchor=(11, 11),
            ),
            tooltip=tip,
        ).add_to(m)
    ends = [("S", plan.start, "Start")]
    if plan.end is not None and (plan.end.lon, plan.end.lat) != (plan.start.lon, plan.start.lat):
        ends.append(("Z", plan.end, "Ziel"))
    for letter, point, role in ends:
        folium.Marker(
            (point.lat, point.lon),
            icon=folium.DivIcon(html=f'<div class="qm-end">{letter}</div>', icon_size=(22, 22), icon_anchor=(11, 11)),
            tooltip=_template_safe(f"{role}: {maps.esc(point.name)}"),
        ).add_to(m)
    lons = [p.lon for _, p, _ in ends] + list(stops["lon"].astype(float))
    lats = [p.lat for _, p, _ in ends] + list(stops["lat"].astype(float))
    if plan.route.coords:
        xy = np.asarray(plan.route.coords)
        lons += [float(xy[:, 0].min()), float(xy[:, 0].max())]
        lats += [float(xy[:, 1].min()), float(xy[:, 1].max())]
    pad = 0.0008
    m.fit_bounds([[min(lats) - pad, min(lons) - pad], [max(lats) + pad, max(lons) + pad]], max_zoom=18)
    return apply_assets(m, assets, asset_base)


# -- QField GeoPackage -------------------------------------------------------------------------------

#: Columns of the ``visits`` table of the QField GeoPackage, with their German names.
QFIELD_VISIT_COLUMNS: dict[str, str] = {
    "unit_id": "Einheit",
    "visited_on": "Besucht am",
    "outcome": "Ergebnis",
    "status_new": "Neuer Status",
    "business_new": "Neuer Betrieb",
    "follow_up_on": "Nachfassen am",
    "note": "Notiz",
}

_STOP_COLUMNS: dict[str, str] = {
    "order": "Nr.",
    "unit_id": "Einheit",
    "address": "Adresse",
    "business": "Betrieb",
    "state": "Stand",
    "reason": "Grund",
    "check": "Was prüfen",
}
_CONTACT_COLUMNS: dict[str, str] = {
    "owner_name": "Eigentümer/in",
    "contact_person": "Kontaktperson",
    "contact_phone": "Telefon",
    "contact_email": "E-Mail",
}


def _stops_layer(stops: pd.DataFrame, internal: bool) -> gpd.GeoDataFrame:
    frame = stops.reset_index(drop=True)
    n = len(frame)
    order = frame["order"].astype(int) if "order" in frame.columns else pd.Series(np.arange(1, n + 1))
    records = frame.to_dict("records")
    label = _column(frame, "label") if "label" in frame.columns else [unit_address(r) for r in records]
    state = (
        _column(frame, "state")
        if "state" in frame.columns
        else [
            state_text(r.get("status"), business_name=r.get("business_name"), since=r.get("since")) for r in records
        ]
    )
    out = pd.DataFrame(
        {
            "order": order.to_numpy(dtype=np.int64),
            "unit_id": frame["unit_id"].astype(str).to_numpy(),
            "address": label,
            "business": _column(frame, "business_name"),
            "state": state,
            "reason": _column(frame, "reason"),
            "check": _column(frame, "check"),
        }
    )
    if internal:
        for col in _CONTACT_COLUMNS:
            out[col] = _column(frame, col)
    geoms = frame.geometry if isinstance(frame, gpd.GeoDataFrame) else gpd.points_from_xy(frame["lon"], frame["lat"])
    crs = frame.crs if isinstance(frame, gpd.GeoDataFrame) else settings.storage_crs
    layer = gpd.GeoDataFrame(out, geometry=gpd.GeoSeries(geoms, crs=crs).to_crs(settings.storage_crs).to_numpy(),
                             crs=settings.storage_crs)
    return layer.sort_values("order", kind="stable").reset_index(drop=True)


def export_qfield(
    stops: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    internal: bool = False,
    walk_id: str | None = None,
    at: date | None = None,
    demo: bool = False,
) -> Path:
    """Write a GeoPackage for offline field capture with QField.

    Layers:

    ``stops`` (points, EPSG:4326)
        ``order``, ``unit_id``, ``address``, ``business``, ``state``,
        ``reason``, ``check``; with ``internal=True`` also owner and contact
        (never otherwise).
    ``visits`` (attribute table, empty)
        One row per visit to fill in: ``unit_id``, ``visited_on`` (date),
        ``outcome``, ``status_new``, ``business_new``, ``follow_up_on``
        (date), ``note``. ``unit_id``, ``outcome`` and ``status_new`` carry
        value-list constraints (GeoPackage schema extension,
        ``gpkg_data_column_constraints``): GDAL reads them as coded field
        domains and QGIS/QField offer them as a drop-down list (code stored,
        German label shown). Where an app shows a plain text field instead,
        type the code (e.g. ``nobody_there``) or the German label; both are
        accepted by :func:`import_qfield`. German column names are set as
        aliases (``gpkg_data_columns.name``).
    ``info`` (attribute table)
        ``key``/``value``: walk id, date, version, demo mark, how to fill in.

    Parameters
    ----------
    stops
        The stops in walking order (:attr:`geo.walks.network.WalkPlan.stops`) or a
        selection (:func:`select_stops`; then numbered as given).
    path
        The ``.gpkg`` to write (replaced atomically).
    internal
        Include owner and contact data (personal data: internal use only).
    walk_id
        The walk's id; :func:`import_qfield` writes it on the visits.
    at
        The walk's date.
    demo
        Mark the file as fictional demo data.

    Returns
    -------
    pathlib.Path
        The written file.
    """
    path = Path(path)
    if path.suffix.lower() != ".gpkg":
        raise InputError(f"{path.name}: Für QField wird eine GeoPackage-Datei (.gpkg) geschrieben.")
    if not path.parent.exists():
        raise InputError(f"Ordner {path.parent} existiert nicht.")
    layer = _stops_layer(stops, internal)
    visits = pa.table(
        {
            "unit_id": pa.array([], pa.string()),
            "visited_on": pa.array([], pa.date32()),
            "outcome": pa.array([], pa.string()),
            "status_new": pa.array([], pa.string()),
            "business_new": pa.array([], pa.string()),
            "follow_up_on": pa.array([], pa.date32()),
            "note": pa.array([], pa.string()),
        }
    )
    info = [
        ("walk_id", walk_id or ""),
        ("Stand", f"{at:%d.%m.%Y}" if at else ""),
        ("Fassung", "intern – enthält personenbezogene Daten" if internal else "ohne personenbezogene Daten"),
        (
            "Anleitung",
            "Je Besuch eine Zeile in „visits“: Einheit, Besucht am, Ergebnis; bei Statusänderung Neuer Status/"
            "Neuer Betrieb; bei „Nachfassen nötig“ das Datum. Danach im Quartiersmonitor unter „Besuche "
            "erfassen“ hochladen.",
        ),
    ]
    if demo:
        info.insert(0, ("Hinweis", settings.demo_label))
    from geo._files import atomic_output  # atomic, normal file permissions

    with atomic_output(path, prefix=".qm-qfield-") as tmp:
        pyogrio.write_dataframe(layer, tmp, layer="stops", driver="GPKG")
        pyogrio.write_arrow(visits, tmp, layer="visits", driver="GPKG")
        pyogrio.write_dataframe(pd.DataFrame(info, columns=["key", "value"]), tmp, layer="info", driver="GPKG")
        _add_value_lists(tmp, layer, internal)
    return path


_SCHEMA_EXTENSION = "http://www.geopackage.org/spec/#extension_schema"


def _add_value_lists(path: Path, stops: gpd.GeoDataFrame, internal: bool) -> None:
    """Value lists and German aliases through the GeoPackage schema extension."""
    constraints: list[tuple[str, str, str]] = []
    for code, label in VISIT_OUTCOME_LABELS.items():
        constraints.append(("qm_outcome", code, label))
    for code in STATUSES:
        constraints.append(("qm_status", code, STATUS_LABELS[code]))
    for order, uid, address in zip(stops["order"], stops["unit_id"], stops["address"], strict=True):
        constraints.append(("qm_stop", str(uid), f"{int(order)}. {address}"))
    columns = [("visits", col, alias, {"outcome": "qm_outcome", "status_new": "qm_status", "unit_id": "qm_stop"}.get(col))
               for col, alias in QFIELD_VISIT_COLUMNS.items()]
    stop_aliases = _STOP_COLUMNS | (_CONTACT_COLUMNS if internal else {})
    columns += [("stops", col, alias, None) for col, alias in stop_aliases.items()]
    con = sqlite3.connect(path)
    try:
        with con:
            con.executescript(
                """
                CREATE TABLE IF NOT EXISTS gpkg_extensions (
                  table_name TEXT, column_name TEXT, extension_name TEXT NOT NULL,
                  definition TEXT NOT NULL, scope TEXT NOT NULL,
                  CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name));
                CREATE TABLE IF NOT EXISTS gpkg_data_columns (
                  table_name TEXT NOT NULL, column_name TEXT NOT NULL, name TEXT, title TEXT,
                  description TEXT, mime_type TEXT, constraint_name TEXT,
                  CONSTRAINT pk_gdc PRIMARY KEY (table_name, column_name),
                  CONSTRAINT gdc_tn UNIQUE (table_name, name));
                CREATE TABLE IF NOT EXISTS gpkg_data_column_constraints (
                  constraint_name TEXT NOT NULL, constraint_type TEXT NOT NULL, value TEXT,
                  min NUMERIC, min_is_inclusive BOOLEAN, max NUMERIC, max_is_inclusive BOOLEAN,
                  description TEXT,
                  CONSTRAINT gdcc_ntv UNIQUE (constraint_name, constraint_type, value));
                """
            )
            con.executemany(
                "INSERT OR IGNORE INTO gpkg_extensions VALUES (?, NULL, 'gpkg_schema', ?, 'read-write')",
                [("gpkg_data_columns", _SCHEMA_EXTENSION), ("gpkg_data_column_constraints", _SCHEMA_EXTENSION)],
            )
            con.executemany(
                "INSERT INTO gpkg_data_column_constraints (constraint_name, constraint_type, value, description)"
                " VALUES (?, 'enum', ?, ?)",
                constraints,
            )
            con.executemany(
                "INSERT OR REPLACE INTO gpkg_data_columns (table_name, column_name, name, title, constraint_name)"
                " VALUES (?, ?, ?, ?, ?)",
                [(t, c, alias, alias, constraint) for t, c, alias, constraint in columns],
            )
    finally:
        con.close()


# -- logging visits ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoggedVisit:
    """What :func:`log_visit` wrote.

    Attributes
    ----------
    visit_id
        The new visit.
    obs_id
        The observation written with it (status or business changed), or None.
    """

    visit_id: int
    obs_id: int | None


@dataclass
class VisitImport:
    """What :func:`import_qfield` read and wrote.

    Attributes
    ----------
    rows_read
        Filled rows in the visit table (empty rows are not counted).
    visits_added
        Visits written.
    observations_added
        Observations written (status or business changed).
    duplicates
        Rows skipped because the register (or the file) already has them.
    visit_ids
        Ids of the new visits.
    """

    rows_read: int = 0
    visits_added: int = 0
    observations_added: int = 0
    duplicates: int = 0
    visit_ids: list[int] = field(default_factory=list)

    @property
    def summary(self) -> str:
        """One German sentence."""
        text = (
            f"{self.rows_read} Zeilen gelesen: {self.visits_added} Besuche und "
            f"{self.observations_added} Beobachtungen übernommen"
        )
        if self.duplicates:
            text += f", {self.duplicates} schon vorhanden (übersprungen)"
        return text + "."


class VisitImportRejected(InputError):
    """A visit import was refused; nothing was written.

    Parameters
    ----------
    message
        The German summary.
    errors
        One row per problem: ``Zeile``, ``Spalte``, ``Wert``, ``Grund``.
    """

    def __init__(self, message: str, errors: pd.DataFrame) -> None:
        super().__init__(message)
        self.errors = errors


@dataclass
class _Visit:
    row: int
    unit_id: str
    visited_on: pd.Timestamp
    outcome: str
    status: str | None
    business: str | None
    follow_up_on: pd.Timestamp | None
    note: str | None

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.unit_id, f"{self.visited_on:%Y-%m-%d}", self.outcome, self.note or "")


def _text(value: Any) -> str | None:
    if _missing(value):
        return None
    text = str(value).strip()
    return text or None


def _day_value(value: Any) -> pd.Timestamp | None:
    """A date from a date, a timestamp or text (``2024-05-03``, ``03.05.2024``); None when empty."""
    if _missing(value) or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime | date | pd.Timestamp | np.datetime64):
        stamp = pd.Timestamp(value)
    else:
        text = str(value).strip()
        if re.fullmatch(r"\d{1,2}\.\d{1,2}\.\d{4}", text):
            stamp = pd.to_datetime(text, format="%d.%m.%Y")
        elif re.fullmatch(r"\d{4}-\d{2}-\d{2}([T ][0-9:.]+Z?)?", text):
            stamp = pd.Timestamp(text[:10])
        else:
            raise ValueError(text)
    if pd.isna(stamp):
        return None
    return stamp.tz_localize(None).normalize() if stamp.tzinfo else stamp.normalize()


def _code(value: str, labels: Mapping[str, str]) -> str | None:
    """The code of a value given as code or German label (case-insensitive)."""
    if value in labels:
        return value
    folded = value.casefold()
    for code, label in labels.items():
        if folded in (code.casefold(), label.casefold()):
            return code
    return None


def _check_rows(
    register: Register, rows: Sequence[Mapping[str, Any]], *, today: date
) -> tuple[list[_Visit], list[dict[str, Any]]]:
    """Validate raw visit rows; returns the clean visits and the errors (Zeile, Spalte, Wert, Grund)."""
    known = set(register.units["unit_id"].astype(str))
    today_ts = pd.Timestamp(today)
    outcomes = ", ".join(f"{c} ({label})" for c, label in VISIT_OUTCOME_LABELS.items())
    statuses = ", ".join(f"{c} ({label})" for c, label in STATUS_LABELS.items())
    clean: list[_Visit] = []
    errors: list[dict[str, Any]] = []
    for raw in rows:
        row = int(raw["row"])
        bad: list[dict[str, Any]] = []

        def fail(column: str, value: Any, reason: str, *, _row: int = row, _bad: list = bad) -> None:
            _bad.append({"Zeile": _row, "Spalte": column, "Wert": "" if _missing(value) else str(value), "Grund": reason})

        unit_id = _text(raw.get("unit_id"))
        if unit_id is None:
            fail("unit_id", None, "Einheit fehlt.")
        elif unit_id not in known:
            fail("unit_id", unit_id, f"Einheit „{unit_id}“ gibt es im Register nicht.")
        dates: dict[str, pd.Timestamp | None] = {}
        for column in ("visited_on", "follow_up_on"):
            try:
                dates[column] = _day_value(raw.get(column))
            except (ValueError, TypeError):
                dates[column] = None
                fail(column, raw.get(column), "Datum nicht lesbar; erwartet JJJJ-MM-TT oder TT.MM.JJJJ.")
        visited_on, follow_up_on = dates["visited_on"], dates["follow_up_on"]
        if visited_on is None and not any(e["Spalte"] == "visited_on" for e in bad):
            fail("visited_on", None, "Besuchsdatum fehlt.")
        elif visited_on is not None and visited_on > today_ts:
            fail("visited_on", raw.get("visited_on"), f"Datum liegt in der Zukunft (heute ist {today:%d.%m.%Y}).")
        elif visited_on is not None and visited_on < pd.Timestamp(settings.earliest_date):
            fail(
                "visited_on", raw.get("visited_on"),
                f"Datum liegt vor dem frühesten plausiblen Datum {settings.earliest_date:%d.%m.%Y} – vermutlich ein "
                "Tippfehler; bitte das Datum prüfen.",
            )
        for column in ("business_new", "note"):
            text = _text(raw.get(column))
            if text is not None and len(text) > settings.max_field_chars:
                fail(
                    column, text[:40] + " …",
                    f"Text ist {len(text)} Zeichen lang; höchstens {settings.max_field_chars} Zeichen sind erlaubt.",
                )
        outcome_text = _text(raw.get("outcome"))
        outcome = _code(outcome_text, VISIT_OUTCOME_LABELS) if outcome_text else None
        if outcome_text is None:
            fail("outcome", None, f"Ergebnis fehlt; erlaubt: {outcomes}.")
        elif outcome is None:
            fail("outcome", outcome_text, f"Kein gültiges Ergebnis; erlaubt: {outcomes}.")
        status_text = _text(raw.get("status_new"))
        status = _code(status_text, STATUS_LABELS) if status_text else None
        if status_text is not None and status is None:
            fail("status_new", status_text, f"Kein gültiger Status; erlaubt: {statuses}.")
        business = _text(raw.get("business_new"))
        if outcome == "follow_up" and follow_up_on is None and not any(e["Spalte"] == "follow_up_on" for e in bad):
            fail("follow_up_on", None, "Bei „Nachfassen nötig“ bitte das Datum zum Nachfassen angeben.")
        if follow_up_on is not None and visited_on is not None and follow_up_on < visited_on:
            fail("follow_up_on", raw.get("follow_up_on"), "Nachfassen kann nicht vor dem Besuch liegen.")
        if outcome == "status_changed" and status_text is None and business is None:
            fail("status_new", None, "Bei „Status geändert“ bitte den neuen Status oder den neuen Betrieb angeben.")
        if bad:
            errors.extend(bad)
            continue
        assert unit_id is not None and visited_on is not None and outcome is not None
        clean.append(
            _Visit(row, unit_id, visited_on, outcome, status, business, follow_up_on, _text(raw.get("note")))
        )
    return clean, errors


def _visit_changes(
    register: Register, visits: Sequence[_Visit], *, walk_id: str | None, recorded_by: str | None
) -> ChangeSet:
    """Visits plus an observation for each visit that changed status or business, linked by ``obs_index``."""
    states: dict[pd.Timestamp, pd.DataFrame] = {}
    pending: dict[str, tuple[pd.Timestamp, str, str | None]] = {}
    observations: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    recorder = _text(recorded_by)
    for v in sorted(visits, key=lambda v: (v.visited_on, v.row)):
        if v.unit_id in pending and pending[v.unit_id][0] <= v.visited_on:
            _, cur_status, cur_business = pending[v.unit_id]
        else:
            if v.visited_on not in states:
                states[v.visited_on] = status_at(register, v.visited_on).set_index("unit_id")
            cur = states[v.visited_on].loc[v.unit_id]
            cur_status = cur["status"] if isinstance(cur["status"], str) else None
            cur_business = _text(cur["business_name"])
        new_status, new_business = None, None
        if v.status is not None:
            new_status = v.status
            new_business = v.business if v.business is not None else (cur_business if new_status == cur_status else None)
        elif v.business is not None:
            new_status = cur_status if cur_status in ("occupied", "temporary_use") else "occupied"
            new_business = v.business
        obs_index = None
        if new_status is not None and (
            new_status != cur_status or _same_name(new_business, cur_business) is False
        ):
            observations.append(
                {
                    "unit_id": v.unit_id,
                    "observed_on": v.visited_on,
                    "status": new_status,
                    "business_name": new_business,
                    "sector": None,
                    "confidence": "confirmed_on_site",
                    "source": VISIT_SOURCE,
                    "note": v.note,
                    "new_settlement": False,
                    "supersedes": None,
                    "recorded_by": recorder,
                }
            )
            obs_index = len(observations) - 1
            pending[v.unit_id] = (v.visited_on, new_status, new_business)
        rows.append(
            {
                "unit_id": v.unit_id,
                "visited_on": v.visited_on,
                "outcome": v.outcome,
                "follow_up_on": v.follow_up_on,
                "follow_up_done": False,
                "note": v.note,
                "walk_id": _text(walk_id),
                "obs_id": None,
                "obs_index": obs_index,
                "recorded_by": recorder,
            }
        )
    visit_frame = pd.DataFrame(rows)
    visit_frame["follow_up_on"] = pd.to_datetime(visit_frame["follow_up_on"])
    visit_frame["obs_index"] = visit_frame["obs_index"].astype(object)
    return ChangeSet(observations=pd.DataFrame(observations) if observations else None, visits=visit_frame)


def _same_name(a: str | None, b: str | None) -> bool:
    """Whether two business names are the same (case and spaces ignored; unknown equals unknown)."""
    key = normalise_name(pd.Series([a, b], dtype="string"))
    left, right = key.iloc[0], key.iloc[1]
    if pd.isna(left) and pd.isna(right):
        return True
    return bool(not pd.isna(left) and not pd.isna(right) and left == right)


def log_visit(
    store: Store,
    *,
    unit_id: str,
    visited_on: date,
    outcome: str,
    status: str | None = None,
    business_name: str | None = None,
    follow_up_on: date | None = None,
    note: str | None = None,
    walk_id: str | None = None,
    recorded_by: str | None = None,
    today: date | None = None,
) -> LoggedVisit:
    """Record one visit; when the status or business changed, also an observation (one transaction).

    The observation is dated ``visited_on`` with confidence
    ``confirmed_on_site`` and source ``Begehung``. A business given without a
    status keeps an occupied (or temporary) status and otherwise makes the
    unit occupied. Given status and business equal to the register's, only
    the visit is written.

    Parameters
    ----------
    store
        The register store.
    unit_id
        The unit visited.
    visited_on
        The day of the visit (not in the future).
    outcome
        One of :data:`geo.register.model.VISIT_OUTCOMES` (or its German label).
    status
        The status found, if it changed (code or German label).
    business_name
        The business found, if it changed.
    follow_up_on
        When to follow up (required for outcome ``follow_up``).
    note
        Internal note.
    walk_id
        The walk the visit belongs to.
    recorded_by
        Who records (internal).
    today
        The current day (default: the real today).

    Returns
    -------
    LoggedVisit
        The new visit id and the observation id (or None).

    Raises
    ------
    InputError
        Unknown unit, outcome or status, bad or future date, missing
        follow-up date; nothing is written.
    """
    today = today or date.today()
    register = store.read(unit_ids=[unit_id])
    raw = {
        "row": 1, "unit_id": unit_id, "visited_on": visited_on, "outcome": outcome, "status_new": status,
        "business_new": business_name, "follow_up_on": follow_up_on, "note": note,
    }
    clean, errors = _check_rows(register, [raw], today=today)
    if errors:
        raise InputError(" ".join(e["Grund"] if not e["Wert"] else f"{e['Grund']} (Wert: {e['Wert']})" for e in errors))
    result = store.write(_visit_changes(register, clean, walk_id=walk_id, recorded_by=recorded_by))
    return LoggedVisit(visit_id=result.visit_ids[0], obs_id=result.obs_ids[0] if result.obs_ids else None)


def _read_qfield(source: str | os.PathLike[str] | bytes) -> tuple[list[dict[str, Any]], dict[str, str], str]:
    """Rows of the ``visits`` table (raw values, ``row`` numbered from 1) and the ``info`` table.

    Read with :mod:`sqlite3` from a private copy: the raw text of every cell
    is kept for the error messages (GDAL would turn an unreadable date into
    an empty value), and the user's file is never touched.
    """
    name = "Upload" if isinstance(source, bytes) else Path(source).name
    with tempfile.TemporaryDirectory(prefix="qm-qfield-in-") as folder:
        copy = Path(folder) / "visits.gpkg"
        if isinstance(source, bytes):
            copy.write_bytes(source)
        else:
            if not Path(source).is_file():
                raise InputError(f"Datei nicht gefunden: {source}")
            shutil.copyfile(source, copy)
        con = sqlite3.connect(copy)
        try:
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if "visits" not in tables:
                raise InputError(
                    f"{name}: Tabelle „visits“ fehlt. Erwartet wird das GeoPackage einer Begehung "
                    "(Download „GeoPackage für QField“)."
                )
            columns = [r[1] for r in con.execute('PRAGMA table_info("visits")')]
            missing = [c for c in ("unit_id", "visited_on", "outcome") if c not in columns]
            if missing:
                raise InputError(f"{name}: In der Tabelle „visits“ fehlen Spalten: {', '.join(missing)}.")
            order = "fid" if "fid" in columns else "rowid"
            cursor = con.execute(f'SELECT * FROM "visits" ORDER BY {order}')
            names = [d[0] for d in cursor.description]
            records = [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]
            info: dict[str, str] = {}
            if "info" in tables:
                info = {str(k): str(v) for k, v in con.execute('SELECT key, value FROM "info"') if k is not None}
        except sqlite3.DatabaseError as exc:
            raise InputError(f"{name} ist keine lesbare GeoPackage-Datei: {exc}") from exc
        finally:
            con.close()
    rows = []
    for i, record in enumerate(records, start=1):
        values = {c: record.get(c) for c in QFIELD_VISIT_COLUMNS}
        if all(_text(v) is None for v in values.values()):
            continue  # an empty row left by the app
        rows.append({"row": i, **values})
    return rows, info, name


def import_qfield(
    store: Store,
    gpkg_path: str | os.PathLike[str] | bytes,
    *,
    walk_id: str | None = None,
    recorded_by: str | None = None,
    today: date | None = None,
) -> VisitImport:
    """Read the filled-in ``visits`` table of a QField GeoPackage into the register.

    Every row is validated as in :func:`log_visit`; if any row is bad,
    nothing is written and :class:`VisitImportRejected` names each problem
    with row, column and value. Rows the register already holds (same unit,
    date, outcome and note) and repeats within the file are skipped, so a
    second import of the same file adds nothing. Visits and observations are
    written in one transaction.

    Parameters
    ----------
    store
        The register store.
    gpkg_path
        The GeoPackage written by :func:`export_qfield` and filled in, or its
        bytes (an upload).
    walk_id
        The walk's id (default: from the file's ``info`` table).
    recorded_by
        Who records (internal).
    today
        The current day (default: the real today).

    Returns
    -------
    VisitImport
        Counts of what was read and written.

    Raises
    ------
    VisitImportRejected
        Any row is bad; nothing was written.
    InputError
        The file is no GeoPackage with a visit table.
    """
    today = today or date.today()
    rows, info, name = _read_qfield(gpkg_path)
    register = store.read()
    clean, errors = _check_rows(register, rows, today=today)
    if errors:
        table = pd.DataFrame(errors, columns=["Zeile", "Spalte", "Wert", "Grund"])
        shown = "; ".join(
            f"Zeile {e['Zeile']}, Spalte „{e['Spalte']}“, Wert „{e['Wert']}“: {e['Grund']}" for e in errors[:5]
        )
        more = f" (und {len(errors) - 5} weitere)" if len(errors) > 5 else ""
        raise VisitImportRejected(
            f"Import von {name} abgelehnt, nichts geschrieben – {len(errors)} Fehler: {shown}{more}", table
        )
    existing = _visits(register)
    seen = {
        (str(u), f"{pd.Timestamp(d):%Y-%m-%d}", str(o), _text(n) or "")
        for u, d, o, n in zip(existing["unit_id"], existing["visited_on"], existing["outcome"], existing["note"], strict=True)
    }
    fresh: list[_Visit] = []
    for visit in clean:
        if visit.key in seen:
            continue
        seen.add(visit.key)
        fresh.append(visit)
    report = VisitImport(rows_read=len(rows), duplicates=len(clean) - len(fresh))
    if not fresh:
        return report
    result = store.write(
        _visit_changes(register, fresh, walk_id=walk_id or info.get("walk_id") or None, recorded_by=recorded_by)
    )
    report.visits_added = len(result.visit_ids)
    report.observations_added = result.observations_added
    report.visit_ids = result.visit_ids
    return report


# -- follow-ups --------------------------------------------------------------------------------------


def due_follow_ups(register: Register, *, week_of: date | None = None) -> pd.DataFrame:
    """Follow-ups due in the week of ``week_of`` (Monday to Sunday) and all overdue ones not done.

    Parameters
    ----------
    register
        The register.
    week_of
        Any day of the week (default: today).

    Returns
    -------
    pandas.DataFrame
        One row per open follow-up, earliest first: ``visit_id``,
        ``unit_id``, ``label`` (address), ``state`` (business or „leer seit
        …“ today), ``follow_up_on``, ``overdue`` (date before ``week_of``),
        ``visited_on``, ``outcome``, ``outcome_label``, ``note`` (internal),
        ``walk_id``.
    """
    day = _timestamp(week_of)
    sunday = day + pd.Timedelta(days=6 - day.weekday())
    visits = _visits(register)
    open_ = visits.loc[
        visits["follow_up_on"].notna() & ~visits["follow_up_done"].astype(bool) & (visits["follow_up_on"] <= sunday)
    ]
    columns = ["visit_id", "unit_id", "label", "state", "follow_up_on", "overdue", "visited_on", "outcome",
               "outcome_label", "note", "walk_id"]
    if open_.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    current = status_at(register, day).set_index("unit_id")
    out = open_.copy()
    units = current.reindex(out["unit_id"])
    out["label"] = [unit_address({**r, "unit_id": u}) for u, r in zip(out["unit_id"], units.to_dict("records"), strict=True)]
    out["state"] = [
        state_text(s, business_name=b, since=w)
        for s, b, w in zip(units["status"], units["business_name"], units["since"], strict=True)
    ]
    out["overdue"] = (out["follow_up_on"] < day).to_numpy()
    out["outcome_label"] = out["outcome"].map(VISIT_OUTCOME_LABELS)
    return out.sort_values(["follow_up_on", "visit_id"])[columns].reset_index(drop=True)


def mark_follow_up_done(store: Store, visit_ids: Iterable[int]) -> int:
    """Mark the follow-ups of visits as done; returns how many were open.

    Raises
    ------
    InputError
        An id names no visit, or a visit without follow-up; nothing is written.
    """
    ids = list(dict.fromkeys(int(i) for i in visit_ids))
    if not ids:
        return 0
    visits = _visits(store.read()).set_index("visit_id")
    unknown = [i for i in ids if i not in visits.index]
    if unknown:
        raise InputError(f"Besuch(e) nicht gefunden: {', '.join(map(str, unknown))}.")
    without = [i for i in ids if pd.isna(visits.at[i, "follow_up_on"])]
    if without:
        raise InputError(f"Besuch(e) ohne Nachfassen: {', '.join(map(str, without))}.")
    open_ids = [i for i in ids if not bool(visits.at[i, "follow_up_done"])]
    if open_ids:
        store.write(ChangeSet(follow_ups_done=open_ids))
    return len(open_ids)


# -- tables for the app ----------------------------------------------------------------------------------


def stop_table(plan: WalkPlan) -> pd.DataFrame:
    """The stops of a plan as a German table for display (no personal data)."""
    stops = plan.stops
    return pd.DataFrame(
        {
            "Nr.": stops["order"].astype(int).to_numpy(),
            "Adresse": _column(stops, "label"),
            "Betrieb / Stand": _column(stops, "state"),
            "Grund": _column(stops, "reason"),
            "Weg (m)": stops["leg_m"].round(0).astype(int).to_numpy(),
            "Ankunft nach (min)": stops["eta_min"].round(0).astype(int).to_numpy(),
            "Einheit": stops["unit_id"].astype(str).to_numpy(),
        }
    )


def dropped_table(plan: WalkPlan) -> pd.DataFrame:
    """Stops left out for the time budget, with priority and reason (German columns)."""
    return pd.DataFrame(
        [(d.unit_id, d.priority, d.reason) for d in plan.dropped], columns=["Einheit", "Priorität", "Grund"]
    )


def stop_labels(plan: WalkPlan) -> dict[str, str]:
    """``unit_id`` -> ``"3. Eisenbahnstraße 9 – leer seit 03.2022"`` in walking order."""
    stops = plan.stops
    return {
        str(uid): f"{int(order)}. {label}" + (f" – {state}" if state else "")
        for uid, order, label, state in zip(
            stops["unit_id"], stops["order"], _column(stops, "label"), _column(stops, "state"), strict=True
        )
    }


def follow_up_table(due: pd.DataFrame, *, internal: bool = True) -> pd.DataFrame:
    """:func:`due_follow_ups` as a German table (``note`` only when ``internal``)."""
    table = pd.DataFrame(
        {
            "erledigt": False,
            "Fällig am": pd.to_datetime(due["follow_up_on"]).dt.strftime("%d.%m.%Y"),
            "überfällig": due["overdue"].astype(bool),
            "Adresse": due["label"],
            "Stand": due["state"],
            "Besuch am": pd.to_datetime(due["visited_on"]).dt.strftime("%d.%m.%Y"),
            "Ergebnis": due["outcome_label"],
            "Einheit": due["unit_id"],
            "Besuch-Nr.": pd.array(due["visit_id"], dtype="Int64"),
        }
    )
    if internal:
        table.insert(7, "Notiz", due["note"])
    return table


def graph_files() -> list[Path]:
    """Walking networks on this computer: the OSM cache (``walk-*.graphml``) and ``.osm``/``.graphml`` in the data folder."""
    folders = [settings.data_dir, settings.osm_cache_folder()]
    found: list[Path] = []
    for folder in folders:
        if folder.is_dir():
            found += sorted(p for p in folder.iterdir() if p.suffix.lower() in (".osm", ".graphml") and p.is_file())
    return found


# -- command line --------------------------------------------------------------------------------------


def _lonlat_arg(text: str) -> tuple[float, float]:
    parts = [p.strip() for p in str(text).split(",")]
    try:
        lon, lat = (float(p) for p in parts)
    except ValueError:
        raise argparse.ArgumentTypeError(f"„{text}“ ist kein Punkt; erwartet LON,LAT, z. B. 12.4146,51.3459") from None
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise argparse.ArgumentTypeError(f"„{text}“ liegt außerhalb von Längen-/Breitengraden; erwartet LON,LAT.")
    return lon, lat


def _rule_arg(text: str) -> Rule:
    try:
        return Rule.parse(text)
    except InputError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _date_arg(text: str) -> date:
    try:
        stamp = _day_value(text)
    except ValueError:
        stamp = None
    if stamp is None:
        raise argparse.ArgumentTypeError(f"Datum „{text}“ nicht lesbar; erwartet JJJJ-MM-TT oder TT.MM.JJJJ")
    return stamp.date()


def add_cli(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``walk`` subcommand to the command line.

    Parameters
    ----------
    subparsers
        The object returned by :meth:`argparse.ArgumentParser.add_subparsers`.

    Returns
    -------
    argparse.ArgumentParser
        The parser of the subcommand.
    """
    p = subparsers.add_parser(
        "walk",
        help="Begehung planen: Stopps wählen, kürzeste Route, Laufzettel/GPX/GeoPackage/JSON",
        description="Wählt Einheiten nach Regeln oder Liste, plant den kürzesten Fußweg über das Wegenetz "
        "und schreibt je nach Endung von --out: .pdf (Laufzettel), .gpx, .gpkg (für QField), .json.",
    )
    from geo.cli import _store_arg

    _store_arg(p)
    p.add_argument("--graph", type=Path, required=True, help="Wegenetz: OSM-XML (.osm) oder GraphML von osmnx")
    p.add_argument("--stops", default=None, help="Einheiten (unit_id), kommagetrennt")
    p.add_argument("--rule", action="append", type=_rule_arg, default=[], metavar="REGEL",
                   help=f"Auswahlregel, mehrfach möglich: {_RULE_HELP}")
    p.add_argument("--verify", type=Path, default=None,
                   help="Prüfliste aus dem OSM-Abgleich (Tabelle mit unit_id und reason; CSV, GeoJSON, GPKG)")
    p.add_argument("--quarter", default=None, help="nur Einheiten in diesem Quartier oder Ortsteil")
    p.add_argument("--start", type=_lonlat_arg, default=None, help="Start LON,LAT (Vorgabe: Quartiersbüro)")
    p.add_argument("--end", type=_lonlat_arg, default=None, help="Ziel LON,LAT (nur ohne --round-trip)")
    p.add_argument("--round-trip", action="store_true", help="zum Start zurückkehren")
    p.add_argument("--budget", type=float, default=None, help="Zeitbudget in Minuten (Gehen und Besuche)")
    p.add_argument("--speed", type=float, default=4.5, help="Gehgeschwindigkeit in km/h (Vorgabe 4,5)")
    p.add_argument("--minutes-per-visit", type=float, default=10.0, help="Minuten je Besuch (Vorgabe 10)")
    p.add_argument("--at", type=_date_arg, default=None, help="Datum der Begehung (Vorgabe: heute)")
    p.add_argument("--internal", action="store_true",
                   help="PDF/GeoPackage mit Kontaktdaten (personenbezogen, nur intern)")
    p.add_argument("--out", type=Path, required=True, help="Ausgabe: .gpx, .pdf, .gpkg oder .json")
    return p


def _read_verify(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise InputError(f"Prüfliste nicht gefunden: {path}")
    try:
        if path.suffix.lower() == ".csv":
            return pd.read_csv(path, sep=None, engine="python", dtype=str, encoding="utf-8-sig")
        return pd.DataFrame(pyogrio.read_dataframe(path, read_geometry=False))
    except (OSError, ValueError, pd.errors.ParserError, pyogrio.errors.DataSourceError) as exc:
        raise InputError(f"Prüfliste {path.name} kann nicht gelesen werden: {exc}") from exc


def run_cli(args: argparse.Namespace) -> int:
    """Run the ``walk`` subcommand.

    Prints the plan's summary and the file written; notes (dropped stops,
    passed-over entries) go to stderr.

    Parameters
    ----------
    args
        Parsed arguments of the parser made by :func:`add_cli`.

    Returns
    -------
    int
        0 on success, 2 on bad input (one German message on stderr).
    """
    from geo.register.store import open_store
    from geo.walks.network import WalkPoint, load_walk_graph

    try:
        _out_suffix(args.out)
        picked = [s for s in (args.stops or "").split(",") if s.strip()]
        if not picked and not args.rule and args.verify is None:
            raise InputError("Keine Stopps gewählt: --stops, --rule oder --verify angeben.")
        register = open_store(args.store).read()
        verify = _read_verify(args.verify) if args.verify is not None else None
        graph = load_walk_graph(args.graph)
        walk = plan_outreach(
            register,
            graph,
            at=args.at,
            rules=args.rule,
            area=args.quarter,
            picked=picked,
            verify=verify,
            start=WalkPoint("Start", *args.start) if args.start else None,
            end=WalkPoint("Ziel", *args.end) if args.end else None,
            round_trip=args.round_trip,
            speed_kmh=args.speed,
            minutes_per_visit=args.minutes_per_visit,
            time_budget_min=args.budget,
            network_credit=network_credit(args.graph),
        )
        out = walk.write(args.out, internal=args.internal)
    except QuartiersmonitorError as exc:
        sys.stderr.write(f"Fehler: {exc}\n")
        return 2
    for note in [*walk.notes, *walk.plan.notes]:
        sys.stderr.write(f"Hinweis: {note}\n")
    print(f"{walk.plan.summary} Geschrieben: {out}")
    return 0

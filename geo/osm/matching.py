"""The register and OpenStreetMap side by side: which businesses match, and where they disagree.

:func:`compare_with_osm` matches the register's units (with their status on a
date, :func:`geo.register.stats.status_at`) to OSM businesses (:mod:`geo.osm.download`):

Candidates
    Every unit/business pair at most ``tolerance_m`` apart (default
    :data:`geo.settings.osm_match_distance_m`, 30 m,
    measured in :data:`geo.settings.metric_crs`). Units without a status on
    the date (not yet registered) and demolished units take no part.
Names
    Both names are normalised (:func:`normalise_business_name`: case, umlauts,
    accents, punctuation and legal forms such as GmbH or e. V. do not count)
    and compared with rapidfuzz's ``token_set_ratio`` (0-100), leaving out
    words that only name the trade (:data:`GENERIC_NAME_WORDS`: Bäckerei,
    Friseur, Imbiss, ...) so that "Bäckerei Sonne" and "Bäckerei Mond" differ
    (:func:`name_similarity`; a name of such words only is compared in full). A pair whose
    two names are both known and score below ``name_threshold`` (default
    :data:`geo.settings.osm_name_threshold`, 80)
    is no candidate: two different businesses next to each other. A pair
    where one name is unknown (a vacant unit has no business, many OSM shops
    have no name) is a candidate by location alone. The name of a disused
    OSM shop is its *former* business, so it is not compared either.
Score
    ``0.7 * name + 0.3 * nearness`` for compared names, ``0.5 * nearness``
    for location-only pairs, where nearness is ``100 * (1 - distance /
    tolerance)``: a pair confirmed by its name always beats one by location
    alone.
Assignment
    One-to-one: each unit matches at most one business and vice versa,
    chosen to maximise the total score (:func:`scipy.optimize.linear_sum_assignment`,
    solved per cluster of mutually close candidates).

The three lists (GeoDataFrames with :data:`LIST_COLUMNS`, German ``reason``):

``osm_missing_in_register``
    OSM businesses (and vacant shops) matched to no unit: candidates to add,
    outreach targets. The ``unit_*`` columns name the nearest unit within the
    tolerance if there is one (a different business), for orientation.
``vacant_but_osm_business``
    Units the register calls vacant or probably vacant, matched to an active
    OSM business: to verify on the next walk.
``occupied_but_osm_disused``
    Units the register calls occupied, matched to an OSM feature marked
    disused or vacant.

Taking selected rows over into the register (observations, new units) is
:mod:`geo.osm.takeover`. :func:`review_table` shows a list for review.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from rapidfuzz import fuzz
from scipy.optimize import linear_sum_assignment
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from geo import settings
from geo.dates import local_today
from geo.errors import InputError
from geo.formats import fmt_date, fmt_number, is_missing
from geo.osm.features import BUSINESS_COLUMNS, OsmTable
from geo.register.history import Register
from geo.register.model import STATUS_LABELS, USE_CLASS_LABELS, VACANT_STATUSES
from geo.register.stats import status_at
from geo.text import fold, sort_key

__all__ = [
    "GENERIC_NAME_WORDS",
    "KINDS",
    "LIST_COLUMNS",
    "OSMComparison",
    "compare_with_osm",
    "name_similarity",
    "normalise_business_name",
    "osm_unit_id",
    "review_table",
]


#: The three lists, with their German titles.
KINDS: dict[str, str] = {
    "osm_missing_in_register": "In OpenStreetMap, aber nicht im Register",
    "vacant_but_osm_business": "Im Register leer, in OpenStreetMap ein Betrieb",
    "occupied_but_osm_disused": "Im Register genutzt, in OpenStreetMap leer/aufgegeben",
}

#: Columns of every list (besides ``geometry``: the OSM point for ``osm_missing_in_register``,
#: the unit's point otherwise; EPSG:4326). The index is a row key ``"<kind>:<osm_type>/<osm_id>"``.
LIST_COLUMNS: dict[str, str] = {
    "kind": "str",  # key of KINDS
    "reason": "str",  # German explanation
    "unit_id": "str",  # matched unit (missing list: nearest unit within the tolerance, if any)
    "unit_status": "str",  # the unit's status on the comparison date
    "unit_business_name": "str",
    "unit_street": "str",
    "unit_housenumber": "str",
    "osm_type": "str",
    "osm_id": "int64",
    "osm_name": "str",
    "osm_tag": "str",  # deciding tag, e.g. shop=bakery
    "use_class": "str",  # the OSM feature's use class
    "disused": "bool",  # the OSM feature is marked vacant/disused
    "osm_street": "str",
    "osm_housenumber": "str",
    "osm_postcode": "str",
    "distance_m": "float64",  # unit to OSM feature, metres (missing: to the nearest unit)
    "name_score": "float64",  # name similarity 0-100 (missing when a name is unknown)
    "data_date": "datetime64[s]",  # date of the OSM data
}

#: Tokens ignored when comparing business names (legal forms and the like).
IGNORED_NAME_TOKENS: frozenset[str] = frozenset(
    {"gmbh", "mbh", "ug", "kg", "ohg", "gbr", "ag", "co", "ek", "ev", "inh", "inhaber", "haftungsbeschraenkt"}
)

#: Words that say what kind of business it is, not which one; left out of the name
#: comparison ("Bäckerei Sonne" and "Bäckerei Mond" differ), unless nothing else is left.
GENERIC_NAME_WORDS: frozenset[str] = frozenset(
    {
        "baeckerei", "backshop", "konditorei", "fleischerei", "metzgerei", "friseur", "friseursalon",
        "salon", "barbershop", "barber", "imbiss", "kiosk", "spaeti", "spaetkauf", "restaurant", "cafe",
        "bistro", "bar", "pizzeria", "grill", "apotheke", "praxis", "studio", "laden", "shop", "markt",
        "der", "die", "das", "und", "zum", "zur", "am", "im", "an", "bei",
    }
)  # fmt: skip

_NON_WORD = re.compile(r"[^0-9a-z]+")


def normalise_business_name(name: Any) -> str:
    """A business name reduced for comparison.

    :func:`geo.text.fold` (case, umlauts as ``ae``, accents, invisible
    characters), then punctuation, one-letter tokens (``e. V.``, ``Mo's``) and
    :data:`IGNORED_NAME_TOKENS` do not count.

    Parameters
    ----------
    name
        Any name; missing values give ``""``.

    Returns
    -------
    str
        Space-separated tokens, e.g. ``"baeckerei sonnenschein"`` for
        ``"BÄCKEREI Sonnenschein GmbH"``.
    """
    if is_missing(name):
        return ""
    tokens = _NON_WORD.sub(" ", fold(name)).split()
    return " ".join(t for t in tokens if len(t) > 1 and t not in IGNORED_NAME_TOKENS)


def _name_key(name: Any) -> tuple[str, str]:
    """A name normalised, and its distinctive part without :data:`GENERIC_NAME_WORDS`."""
    full = normalise_business_name(name)
    return full, " ".join(t for t in full.split() if t not in GENERIC_NAME_WORDS)


def _name_score(a: tuple[str, str], b: tuple[str, str]) -> float:
    if not a[0] or not b[0]:
        return np.nan
    if a[1] and b[1]:
        return float(fuzz.token_set_ratio(a[1], b[1], processor=None))
    # a name of generic words only ("Kiosk"): compare the full names
    return float(fuzz.token_set_ratio(a[0], b[0], processor=None))


def name_similarity(a: Any, b: Any) -> float:
    """Similarity 0-100 of two business names (NaN when one is unknown).

    rapidfuzz ``token_set_ratio`` of the names normalised by
    :func:`normalise_business_name`, without :data:`GENERIC_NAME_WORDS`; when
    a name has nothing else ("Kiosk"), the full names are compared.
    """
    return _name_score(_name_key(a), _name_key(b))


@dataclass
class OSMComparison:
    """The outcome of :func:`compare_with_osm`.

    Attributes
    ----------
    osm_missing_in_register
        OSM businesses matched to no unit.
    vacant_but_osm_business
        Vacant units matched to an active OSM business.
    occupied_but_osm_disused
        Occupied units matched to a disused OSM feature.
    matches
        Every matched pair: ``unit_id``, ``osm_type``, ``osm_id``,
        ``distance_m``, ``name_score``, ``score``.
    at
        Date of the register status compared.
    data_date
        Date of the OSM data (None if unknown).
    tolerance_m
        Distance tolerance used.
    name_threshold
        Name similarity threshold used.
    """

    osm_missing_in_register: gpd.GeoDataFrame
    vacant_but_osm_business: gpd.GeoDataFrame
    occupied_but_osm_disused: gpd.GeoDataFrame
    matches: pd.DataFrame
    at: pd.Timestamp
    data_date: pd.Timestamp | None
    tolerance_m: float
    name_threshold: float

    def lists(self) -> dict[str, gpd.GeoDataFrame]:
        """The three lists by kind, in the order of :data:`KINDS`."""
        return {kind: getattr(self, kind) for kind in KINDS}


def _metres(value: float) -> str:
    return fmt_number(value, unit="m")


def _text(value: Any) -> str | None:
    return None if is_missing(value) else str(value)


def _osm_label(row: Mapping[str, Any]) -> str:
    name, tag = _text(row.get("osm_name")), _text(row.get("osm_tag")) or ""
    return f"„{name}“ ({tag})" if name else tag


def _assign(n_osm: int, n_units: int, oi: np.ndarray, ui: np.ndarray, score: np.ndarray) -> np.ndarray:
    """Indices into the candidate arrays of a one-to-one assignment maximising the total score."""
    if not len(oi):
        return np.zeros(0, dtype=np.int64)
    graph = coo_matrix((np.ones(len(oi)), (oi, n_osm + ui)), shape=(n_osm + n_units,) * 2)
    _, label = connected_components(graph, directed=False)
    chosen = []
    comp_of_pair = label[oi]
    order = np.argsort(comp_of_pair, kind="stable")
    bounds = np.flatnonzero(np.diff(comp_of_pair[order])) + 1
    for group in np.split(order, bounds):
        rows, row_idx = np.unique(oi[group], return_inverse=True)
        cols, col_idx = np.unique(ui[group], return_inverse=True)
        if len(group) == 1:
            chosen.append(group[0])
            continue
        # no candidate: a cost far above any score, so that only real candidates are kept
        cost = np.full((len(rows), len(cols)), 1e6)
        cost[row_idx, col_idx] = -score[group]
        pair_of = np.full((len(rows), len(cols)), -1)
        pair_of[row_idx, col_idx] = group
        r, c = linear_sum_assignment(cost)
        picked = pair_of[r, c]
        chosen.extend(picked[picked >= 0].tolist())
    return np.sort(np.asarray(chosen, dtype=np.int64))


def _frame(table: pd.DataFrame, geometry: Any) -> gpd.GeoDataFrame:
    out = {}
    n = len(table)
    for col, dtype in LIST_COLUMNS.items():
        values = table[col] if col in table.columns else pd.Series([None] * n, dtype="object")
        values = values.reset_index(drop=True)
        if dtype == "str":
            out[col] = values.astype("object").where(values.notna(), None).astype("str")
        elif dtype == "bool":
            out[col] = values.astype("object").where(values.notna(), False).astype(bool)
        elif dtype.startswith("datetime"):
            out[col] = pd.to_datetime(values).astype("datetime64[s]")
        else:
            out[col] = pd.to_numeric(values).astype(dtype)
    frame = gpd.GeoDataFrame(
        out, geometry=gpd.GeoSeries(np.asarray(geometry, dtype=object), crs=settings.storage_crs)
    )
    frame.index = pd.Index(
        [f"{k}:{t}/{i}" for k, t, i in zip(frame["kind"], frame["osm_type"], frame["osm_id"], strict=True)],
        dtype="str",
        name="key",
    )
    return frame


def compare_with_osm(
    register: Register,
    osm: OsmTable | gpd.GeoDataFrame,
    *,
    at: date | str | pd.Timestamp | None = None,
    tolerance_m: float | None = None,
    name_threshold: float | None = None,
) -> OSMComparison:
    """Match the register's units to OSM businesses and list where they disagree.

    Parameters
    ----------
    register
        The register (or a filtered view of it).
    osm
        Businesses as :func:`geo.osm.download.fetch_businesses` returns them, or their ``frame``.
    at
        Date of the register status to compare (default: today, i.e. the
        latest known status).
    tolerance_m
        Maximum distance of a unit and a business that are the same place
        (default :data:`geo.settings.osm_match_distance_m`).
    name_threshold
        Minimum similarity (0-100, rapidfuzz ``token_set_ratio``) of two known names
        (default :data:`geo.settings.osm_name_threshold`).

    Returns
    -------
    OSMComparison
        The three lists and the matched pairs.

    Raises
    ------
    InputError
        ``osm`` lacks columns of :data:`geo.osm.features.BUSINESS_COLUMNS`, or a parameter is out of range.
    """
    if isinstance(osm, OsmTable):
        osm = osm.frame
    missing = [c for c in BUSINESS_COLUMNS if c not in osm.columns]
    if missing:
        raise InputError(f"Den OSM-Daten fehlen die Spalten {', '.join(missing)}; bitte mit geo.osm.download laden.")
    tolerance_m = settings.osm_match_distance_m if tolerance_m is None else tolerance_m
    name_threshold = settings.osm_name_threshold if name_threshold is None else name_threshold
    if not tolerance_m > 0 or not 0 <= name_threshold <= 100:
        raise InputError("Abstand muss größer als 0 m sein, Namensähnlichkeit zwischen 0 und 100 liegen.")
    at_ts = pd.Timestamp(at if at is not None else local_today()).normalize()
    units = status_at(register, at_ts.date())
    keep = (units["status"].notna() & (units["status"] != "demolished")).to_numpy()
    keep = keep & (units.geometry.notna() & ~units.geometry.is_empty).to_numpy()
    units = units.loc[keep].reset_index(drop=True)
    osm = osm.loc[(osm.geometry.notna() & ~osm.geometry.is_empty).to_numpy()].reset_index(drop=True)
    data_dates = pd.to_datetime(osm["data_date"]).dropna()
    data_date = data_dates.max() if len(data_dates) else None

    u_geom = units.geometry.to_crs(settings.metric_crs) if len(units) else units.geometry
    o_geom = osm.geometry.to_crs(settings.metric_crs) if len(osm) else osm.geometry
    if len(units) and len(osm):
        oi, ui = u_geom.sindex.query(o_geom.to_numpy(), predicate="dwithin", distance=tolerance_m)
    else:
        oi = ui = np.zeros(0, dtype=np.int64)
    dist = shapely.distance(o_geom.to_numpy()[oi], u_geom.to_numpy()[ui]).astype(float)
    unit_names = [_name_key(v) for v in units["business_name"]]
    osm_names = [_name_key(v) for v in osm["name"]]
    disused = osm["disused"].to_numpy(dtype=bool)
    names = np.array(
        [
            np.nan if disused[o] else _name_score(osm_names[o], unit_names[u])
            for o, u in zip(oi, ui, strict=True)
        ],
        dtype=float,
    )
    nearness = 100.0 * (1.0 - dist / tolerance_m)
    admissible = (dist <= tolerance_m) & (np.isnan(names) | (names >= name_threshold))
    score = np.where(np.isnan(names), 0.5 * nearness, 0.7 * np.nan_to_num(names) + 0.3 * nearness)
    cand = np.flatnonzero(admissible)
    chosen = cand[_assign(len(osm), len(units), oi[cand], ui[cand], score[cand])]

    matches = pd.DataFrame(
        {
            "unit_id": units["unit_id"].to_numpy()[ui[chosen]],
            "osm_type": osm["osm_type"].to_numpy()[oi[chosen]],
            "osm_id": osm["osm_id"].to_numpy()[oi[chosen]],
            "distance_m": dist[chosen].round(1),
            "name_score": names[chosen],
            "score": score[chosen].round(1),
        }
    )

    def rows(o: np.ndarray, u: np.ndarray, d: np.ndarray, sim: np.ndarray, kind: str) -> gpd.GeoDataFrame:
        """List rows for OSM features ``o`` and units ``u`` (-1: none) at distance ``d``."""
        has_unit = u >= 0
        pick = np.where(has_unit, u, 0)

        def unit_col(col: str) -> np.ndarray:
            if not len(units):
                return np.full(len(o), None, dtype=object)
            values: np.ndarray = units[col].astype("object").to_numpy()[pick]
            return np.where(has_unit, values, np.array(None, dtype=object))

        def osm_col(col: str) -> np.ndarray:
            values: np.ndarray = osm[col].astype("object").to_numpy()[o]
            return values

        table = pd.DataFrame(
            {
                "kind": kind,
                "unit_id": unit_col("unit_id"),
                "unit_status": unit_col("status"),
                "unit_business_name": unit_col("business_name"),
                "unit_street": unit_col("street"),
                "unit_housenumber": unit_col("housenumber"),
                "unit_since": unit_col("since"),
                "osm_type": osm_col("osm_type"),
                "osm_id": osm["osm_id"].to_numpy()[o],
                "osm_name": osm_col("name"),
                "osm_tag": osm_col("osm_tag"),
                "use_class": osm_col("use_class"),
                "disused": disused[o],
                "osm_street": osm_col("street"),
                "osm_housenumber": osm_col("housenumber"),
                "osm_postcode": osm_col("postcode"),
                "distance_m": np.where(has_unit, d, np.nan).round(1),
                "name_score": np.where(has_unit, sim, np.nan),
                "data_date": osm["data_date"].to_numpy()[o],
            }
        )
        table["reason"] = [_reason(kind, r, tolerance_m) for r in table.to_dict("records")]
        if kind == "osm_missing_in_register":
            geoms = osm.geometry.to_numpy()[o]
            sort_by = ["osm_street", "osm_housenumber", "osm_name"]
        else:
            geoms = units.geometry.to_numpy()[pick]
            sort_by = ["unit_street", "unit_housenumber", "unit_id"]
        order = table.sort_values(sort_by, key=_sort_key, kind="stable").index.to_numpy()
        return _frame(table.loc[order], geoms[order])

    # units the register calls vacant/occupied where OSM disagrees
    status = units["status"].to_numpy(dtype=object)[ui[chosen]]
    flags = {
        "vacant_but_osm_business": np.isin(status, list(VACANT_STATUSES)) & ~disused[oi[chosen]],
        "occupied_but_osm_disused": (status == "occupied") & disused[oi[chosen]],
    }
    lists = {
        kind: rows(oi[chosen[f]], ui[chosen[f]], dist[chosen[f]], names[chosen[f]], kind)
        for kind, f in flags.items()
    }

    # OSM features matched to no unit, with the nearest unit within the tolerance (if any)
    matched = np.zeros(len(osm), dtype=bool)
    matched[oi[chosen]] = True
    lone = np.flatnonzero(~matched)
    nearest = np.full(len(osm), -1, dtype=np.int64)  # index of the candidate pair with the nearest unit
    if len(oi):
        by_dist = np.lexsort((dist, oi))
        firsts, at_pos = np.unique(oi[by_dist], return_index=True)
        nearest[firsts] = by_dist[at_pos]
    pair = nearest[lone]
    safe = np.maximum(pair, 0)
    has = pair >= 0
    lists["osm_missing_in_register"] = rows(
        lone,
        np.where(has, ui[safe] if len(ui) else -1, -1),
        np.where(has, dist[safe] if len(dist) else np.nan, np.nan),
        np.where(has, names[safe] if len(names) else np.nan, np.nan),
        "osm_missing_in_register",
    )

    return OSMComparison(
        osm_missing_in_register=lists["osm_missing_in_register"],
        vacant_but_osm_business=lists["vacant_but_osm_business"],
        occupied_but_osm_disused=lists["occupied_but_osm_disused"],
        matches=matches,
        at=at_ts,
        data_date=data_date,
        tolerance_m=float(tolerance_m),
        name_threshold=float(name_threshold),
    )


def _sort_key(values: pd.Series) -> pd.Series:
    """Sort key: names without case/umlaut differences, house numbers by number, missing values last."""

    def key(value: Any) -> tuple[int, str, str]:
        text = _text(value)
        if text is None:
            return (2, "", "")
        digits = re.match(r"\d+", text)
        if digits:
            return (0, f"{int(digits.group()):08d}", text)
        return (1, sort_key(text), text)

    return values.astype("object").map(key)


def _reason(kind: str, row: Mapping[str, Any], tolerance_m: float) -> str:
    osm = _osm_label(row)
    status = STATUS_LABELS.get(str(row.get("unit_status")), "ohne Status")
    if kind == "vacant_but_osm_business":
        return (
            f"Im Register {status} (seit {fmt_date(row.get('unit_since'))}), in OpenStreetMap {osm} "
            f"in {_metres(row['distance_m'])} Entfernung – beim nächsten Rundgang prüfen."
        )
    if kind == "occupied_but_osm_disused":
        business = _text(row.get("unit_business_name"))
        was = f" („{business}“)" if business else ""
        return (
            f"Im Register genutzt{was}, in OpenStreetMap als leer/aufgegeben markiert ({row.get('osm_tag')}) "
            f"in {_metres(row['distance_m'])} Entfernung – beim nächsten Rundgang prüfen."
        )
    if row.get("disused"):
        text = f"In OpenStreetMap als leer/aufgegeben markiert: {osm}"
    else:
        use = USE_CLASS_LABELS.get(str(row.get("use_class")), "Betrieb")
        text = f"{use}: {osm} ist in OpenStreetMap eingetragen"
    text += f"; im Register keine passende Einheit im Umkreis von {_metres(tolerance_m)}."
    if _text(row.get("unit_id")):
        business = _text(row.get("unit_business_name"))
        detail = f", „{business}“" if business else ""
        text += (
            f" Nächste Einheit: {row['unit_id']} ({_metres(row['distance_m'])}, {status}{detail}) – "
            "anderer Betrieb oder Betriebswechsel?"
        )
    return text


def osm_unit_id(osm_type: str, osm_id: int) -> str:
    """Unit id for a unit created from an OSM feature: ``OSM-n123`` (node), ``OSM-w…``, ``OSM-r…``."""
    return f"OSM-{str(osm_type)[:1].lower()}{int(osm_id)}"


def review_table(frame: gpd.GeoDataFrame) -> pd.DataFrame:
    """A list as a German table for review, with an empty ``Übernehmen`` checkbox column first.

    The index (row keys) is kept, so selected rows can be looked up in ``frame``.
    """
    table = pd.DataFrame(
        {
            "Übernehmen": np.zeros(len(frame), dtype=bool),
            "Einheit": frame["unit_id"],
            "Adresse (Register)": _address(frame["unit_street"], frame["unit_housenumber"]),
            "Status (Register)": frame["unit_status"].map(
                lambda s: STATUS_LABELS.get(s, "") if isinstance(s, str) else ""
            ),
            "Betrieb (Register)": frame["unit_business_name"],
            "Name (OSM)": frame["osm_name"],
            "Merkmal (OSM)": frame["osm_tag"],
            "Nutzungsart (OSM)": frame["use_class"].map(
                lambda u: USE_CLASS_LABELS.get(u, u) if isinstance(u, str) else ""
            ),
            "Adresse (OSM)": _address(frame["osm_street"], frame["osm_housenumber"]),
            "Abstand (m)": frame["distance_m"].round(0),
            "Namensähnlichkeit": frame["name_score"].round(0),
            "Grund": frame["reason"],
        },
        index=frame.index,
    )
    return table


def _address(street: pd.Series, number: pd.Series) -> pd.Series:
    s = street.astype("object").where(street.notna(), "")
    n = number.astype("object").where(number.notna(), "")
    return (s.astype(str) + " " + n.astype(str)).str.strip()

"""One unit in the app: search, choice labels, details on a date, full history.

* :func:`search_units`, :func:`unit_label` -- finding a unit and naming it in choice lists;
  :class:`UnitChoices` -- units to pick by searching;
* :func:`unit_details` -- its details on a date (:class:`UnitDetails`, German
  labels only at display time);
* :func:`history_table` -- its full history (observations and visits) with German columns;
* :func:`public_frame` -- a frame with only the public columns.

Public views (roles without personal data) show only the columns on the whitelists of
:mod:`geo.register.model` (:data:`geo.register.model.PUBLIC_COLUMNS`): no
personal data, notes, staff names, address notes or free-text sources.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from geo import settings
from geo.app.display import sector_text
from geo.app.filters import NO_STATUS, STATUS_FILTER_LABELS, as_text
from geo.errors import InputError
from geo.formats import display_text, fmt_area, fmt_date, fmt_months, is_missing, unit_address
from geo.register.history import Register
from geo.register.model import (
    CONFIDENCE_LABELS,
    POSITION_LABELS,
    STATUS_LABELS,
    USE_CLASS_LABELS,
    VISIT_COLUMNS,
    VISIT_OUTCOME_LABELS,
    public_record,
)
from geo.register.model import public_frame as _public_only
from geo.text import map_unique, sort_key, street_key


def search_keys(frame: pd.DataFrame) -> pd.DataFrame:
    """What :func:`search_units` compares, for every row of ``frame`` (same positions), made once per frame.

    Columns ``id``, ``id_fold`` (casefolded), ``street`` and ``number`` (the spelling-tolerant keys of
    :func:`geo.text.street_key` and the house-number key of the imports), ``address`` (both, with a
    space between), ``plain`` (id, address and
    business name, casefolded), ``sort`` (German order of the street) and ``num`` (the house number's
    number, ``inf`` without). At 50,000 units making them took 0.1 s of every search.
    """
    from geo.register.imports._addresses import housenumber_key  # the address rules of imports (lazy)

    ids = as_text(frame["unit_id"])
    street_text = as_text(frame["street"])
    streets = street_key(street_text)
    numbers = housenumber_key(as_text(frame["housenumber"]))
    plain = ids + " " + street_text + " " + as_text(frame["housenumber"])
    if "business_name" in frame:
        plain = plain + " " + as_text(frame["business_name"])
    num = pd.to_numeric(numbers.str.extract(r"^(\d+)", expand=False), errors="coerce").fillna(np.inf)
    columns = {
        "id": ids,
        "id_fold": ids.str.casefold(),
        "street": streets,
        "number": numbers,
        "address": streets + " " + numbers,
        "plain": plain.str.casefold(),
        "sort": map_unique(street_text, lambda u: u.map(sort_key)),  # per row: 0.14 s at 50,000 units
        "num": num,
    }
    return pd.DataFrame({name: col.reset_index(drop=True) for name, col in columns.items()})


@lru_cache(maxsize=64)
def _query_keys(text: str) -> tuple[str, str, str]:
    """The street, the whole query and the house number of a search text in the keys' spelling ("" if none).

    Kept per text: the import's address rules work on columns (10 ms for one text), and the unit
    panel searches its query again on every run (a hit chosen, the timeline switched).
    """
    from geo.register.imports._addresses import housenumber_key, split_address

    wanted = split_address(pd.Series([text], dtype="str")).iloc[0]
    want_street, key_query = street_key(pd.Series([wanted["street"], text], dtype="str"))  # one call: 8 ms each
    number = wanted["housenumber"]
    want_number = "" if is_missing(number) else housenumber_key(pd.Series([number])).iloc[0]
    return "" if is_missing(want_street) else want_street, "" if is_missing(key_query) else key_query, want_number


def search_units(frame: pd.DataFrame, query: str, *, limit: int = 50, keys: pd.DataFrame | None = None) -> pd.DataFrame:
    """Units whose id, address or business name matches ``query``, the best match first.

    A unit id typed in full gives that unit alone. Otherwise a unit is a hit
    when its id, address or business name contains the query (case ignored),
    or its address does in the spelling-tolerant form of
    :func:`geo.text.street_key` (``Eisenbahnstr. 1`` = ``Eisenbahnstraße 1``).
    Hits are ranked, so that the first one -- the one a choice list preselects
    -- is the address typed:

    0. street and house number equal (``Eisenbahnstraße 1`` for „Eisenbahnstraße 1“;
       house numbers compared without case and spaces: ``1 A`` = ``1a``);
    1. the same number with a letter or range (``1a``, ``1-3``), or the whole
       street when the query names a street without number;
    2. other numbers of that street containing the query (``10``, ``11``);
    3. any other hit (business name, part of an id or address).

    Within a rank: street in German order, house number by its number, unit id.
    ``keys``: :func:`search_keys` of ``frame`` when the caller keeps them (the app, per store version).
    """
    text = (query or "").strip()
    if not text:
        return frame.iloc[0:0]
    k = search_keys(frame) if keys is None else keys
    exact = np.flatnonzero((k["id_fold"] == text.casefold()).to_numpy(dtype=bool))
    if len(exact):
        return frame.iloc[exact]
    want_street, key_query, want_number = _query_keys(text)
    streets, numbers = k["street"], k["number"]
    hit = k["plain"].str.contains(text.casefold(), regex=False).to_numpy(dtype=bool, copy=True)
    hit |= k["address"].str.contains(key_query, regex=False).to_numpy(dtype=bool) if key_query else False
    same_street = (streets == want_street).to_numpy() & bool(want_street)
    if want_number:
        exact_number = (numbers == want_number).to_numpy()
        suffixed = np.zeros(len(k), dtype=bool)  # a number with a letter or range: looked for in the street only
        on_street = np.flatnonzero(same_street)
        pattern = re.escape(want_number) + r"(?![0-9])"
        suffixed[on_street] = numbers.iloc[on_street].str.match(pattern).to_numpy(dtype=bool)
        rank = np.select([same_street & exact_number, same_street & suffixed, same_street & hit], [0, 1, 2], 3)
    else:
        rank = np.where(same_street, 1, 3)
    keep = np.flatnonzero(hit | (rank <= 1))
    kept = k.iloc[keep]  # the hits' keys only (50,000 texts made into Python objects took 6 ms)
    order = pd.DataFrame(
        {
            "rank": rank[keep],
            "street": kept["sort"].to_numpy(),
            "number": kept["num"].to_numpy(),
            "house": kept["number"].to_numpy(),
            "id": kept["id"].to_numpy(),
        },
        index=keep,
    )
    best = order.sort_values(["rank", "street", "number", "house", "id"], kind="stable").index[:limit]
    return frame.iloc[best]


def unit_label(row: Mapping[str, Any], *, public: bool = False) -> str:
    """``ID – address (status)`` for choice lists (``public``: without the internal address note)."""
    row = public_record(row) if public else row
    status = display_text(row.get("status_label"))
    return f"{display_text(row.get('unit_id'))} – {unit_address(row)}" + (f" ({status})" if status else "")


#: The columns :func:`unit_label` reads.
LABEL_COLUMNS = ("unit_id", "street", "housenumber", "address_note", "status_label")


def unit_labels(frame: pd.DataFrame, *, public: bool = False) -> dict[str, str]:
    """:func:`unit_label` of every row of ``frame``, by unit id, in the frame's order.

    Only :data:`LABEL_COLUMNS` are turned into records: the whole row of a status frame
    (27 columns, dates and geometry) made this 6 times slower for 50,000 units.
    """
    columns = [c for c in LABEL_COLUMNS if c in frame.columns]
    return {str(r["unit_id"]): unit_label(r, public=public) for r in frame[columns].to_dict("records")}


@dataclass(frozen=True)
class UnitChoices:
    """Units to pick by searching: their rows and search keys, made once per register version.

    A choice box offering every unit sends all their labels to the browser on every run
    of the page (at 50,000 units most of a second); :meth:`options` offers the units
    picked so far and the best hits of a search instead, and :meth:`label` labels only
    those (labelling all 50,000 units took 0.5 s). Make it with :meth:`of`.
    """

    frame: pd.DataFrame
    positions: dict[str, int]
    keys: pd.DataFrame
    public: bool = False

    @classmethod
    def of(cls, frame: pd.DataFrame, *, public: bool = False) -> UnitChoices:
        """The choices among the rows of ``frame`` (a status frame; ``public``: labels without internal notes)."""
        rows = frame.reset_index(drop=True)
        positions = {str(i): n for n, i in enumerate(rows["unit_id"].tolist())}
        return cls(rows, positions, search_keys(rows), public)

    def known(self, ids: Iterable[str]) -> list[str]:
        """Those of ``ids`` that are still among the choices, in their order."""
        return [i for i in ids if i in self.positions]

    def label(self, unit_id: str) -> str:
        """:func:`unit_label` of a unit among the choices (its id when it is not one of them)."""
        if unit_id not in self.positions:
            return unit_id
        at = self.positions[unit_id]
        row = {c: self.frame[c].iat[at] for c in LABEL_COLUMNS if c in self.frame.columns}
        return unit_label(row, public=self.public)

    def options(self, query: str, picked: Sequence[str] = (), *, limit: int = 20) -> list[str]:
        """``picked`` first, then up to ``limit`` hits of :func:`search_units` for ``query``, the best first."""
        hits = search_units(self.frame, query, limit=limit, keys=self.keys)["unit_id"].astype(str)
        return list(dict.fromkeys([*picked, *hits]))


#: German label of each field of :class:`UnitDetails` about the unit itself, in display order.
UNIT_LABELS: dict[str, str] = {
    "unit_id": "Kennung",
    "address": "Adresse",
    "position": "Lage",
    "floor_area": "Fläche",
    "use_class": "Nutzungsart",
    "ortsteil": "Ortsteil",
    "quarter": "Quartier",
}

#: German label of each field of :class:`UnitDetails` about its state on the date, in display order.
STATE_LABELS: dict[str, str] = {
    "status": "Status",
    "since": "seit",
    "business": "Betrieb",
    "sector": "Branche",
    "observed_on": "zuletzt beobachtet",
    "confidence": "Sicherheit",
    "vacancy_duration": "Leerstandsdauer",
}

#: German label of each field of :class:`UnitContact`, in display order.
CONTACT_LABELS: dict[str, str] = {
    "owner": "Eigentümer/in",
    "contact_person": "Ansprechperson",
    "phone": "Telefon",
    "email": "E-Mail",
}


def _rows(item: Any, labels: Mapping[str, str]) -> list[tuple[str, str]]:
    """``(German label, text)`` of each field of ``item`` named in ``labels``; fields that are None left out."""
    return [(label, getattr(item, name)) for name, label in labels.items() if getattr(item, name) is not None]


@dataclass(frozen=True)
class UnitContact:
    """Owner and contact person of a unit as display text (``"–"`` when missing).

    Personal data (DSGVO): only in internal views, never in public ones.
    """

    owner: str
    contact_person: str
    phone: str
    email: str

    def rows(self) -> list[tuple[str, str]]:
        """``(German label, text)`` of each field (:data:`CONTACT_LABELS`), for a key-value table."""
        return _rows(self, CONTACT_LABELS)


@dataclass(frozen=True)
class UnitDetails:
    """A unit's details on a date, each as display text (``"–"`` when missing).

    The German labels are added at display time (:meth:`unit_rows`,
    :meth:`state_rows`, :data:`UNIT_LABELS`, :data:`STATE_LABELS`).

    Attributes
    ----------
    unit_id, address, position, floor_area, use_class, ortsteil, quarter
        The unit: id, address with postcode, position in the building, floor
        area, use class, Ortsteil and quarter (:data:`geo.settings.unassigned_label`
        when outside every Ortsteil).
    status, since, business, sector, observed_on, confidence
        Its state on the date: status and since when, business and sector,
        date and confidence of the observation.
    vacancy_duration
        Length of the open vacancy spell; None when the unit is not vacant.
    contact
        Owner and contact person; None in public views.
    """

    unit_id: str
    address: str
    position: str
    floor_area: str
    use_class: str
    ortsteil: str
    quarter: str
    status: str
    since: str
    business: str
    sector: str
    observed_on: str
    confidence: str
    vacancy_duration: str | None = None
    contact: UnitContact | None = None

    def unit_rows(self) -> list[tuple[str, str]]:
        """``(German label, text)`` about the unit itself, in display order."""
        return _rows(self, UNIT_LABELS)

    def state_rows(self) -> list[tuple[str, str]]:
        """``(German label, text)`` about its state on the date, in display order (no duration unless vacant)."""
        return _rows(self, STATE_LABELS)

    def texts(self) -> list[str]:
        """Every text shown, contact included (for checks that nothing private or missing leaks)."""
        contact = self.contact.rows() if self.contact else []
        return [text for _, text in (*self.unit_rows(), *self.state_rows(), *contact)]


def unit_details(frame: pd.DataFrame, unit_id: str, *, public: bool) -> UnitDetails:
    """A unit's details on the frame's date, as display text.

    Parameters
    ----------
    frame
        A status frame (:func:`geo.register.stats.status_at`).
    public
        Leave out owner and contact (:attr:`UnitDetails.contact` is None).

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
    contact = None
    if not public:
        contact = UnitContact(
            owner=t("owner_name"),
            contact_person=t("contact_person"),
            phone=t("contact_phone"),
            email=t("contact_email"),
        )
    return UnitDetails(
        unit_id=t("unit_id"),
        address=unit_address(r) + postcode,
        position=t("position", POSITION_LABELS),
        floor_area=fmt_area(r.get("floor_area_m2")),
        use_class=t("use_class", USE_CLASS_LABELS),
        ortsteil=settings.unassigned_label if t("ortsteil") == "–" else t("ortsteil"),
        quarter=settings.unassigned_label if t("quarter") == "–" else t("quarter"),
        status=STATUS_FILTER_LABELS.get(
            status if isinstance(status, str) else NO_STATUS, display_text(status, missing="–")
        ),
        since=fmt_date(r.get("since")),
        business=t("business_name"),
        sector=sector_text(r.get("sector")),
        observed_on=fmt_date(r.get("observed_on")),
        confidence=t("confidence", CONFIDENCE_LABELS),
        vacancy_duration=None if is_missing(r.get("vacant_days")) else fmt_months(r["vacant_days"]),
        contact=contact,
    )


def unit_visits(register: Register, unit_id: str) -> pd.DataFrame:
    """The visits of one unit on outreach walks (:mod:`geo.walks.visits`), oldest first; empty without any."""
    visits = register.visits
    if visits is None or not len(visits):
        return pd.DataFrame(columns=list(VISIT_COLUMNS))
    rows = visits.loc[as_text(visits["unit_id"]) == unit_id]
    return rows.sort_values(["visited_on", "visit_id"], kind="stable").reset_index(drop=True)


def _visit_text(visit: Mapping[str, Any]) -> str:
    """„niemand angetroffen · Nachfassen am 05.01.2027 (erledigt)“: a visit's outcome and follow-up."""
    outcome = display_text(visit.get("outcome"))
    parts = [VISIT_OUTCOME_LABELS.get(outcome, outcome) or "Besuch"]
    if not is_missing(visit.get("follow_up_on")):
        done = " (erledigt)" if bool(visit.get("follow_up_done")) else ""
        parts.append(f"Nachfassen am {fmt_date(visit['follow_up_on'])}{done}")
    return " · ".join(parts)


def history_table(register: Register, unit_id: str, *, public: bool) -> pd.DataFrame:
    """A unit's full history, oldest first, with German columns: observations and visits (public: no notes, no staff).

    Each observation is a row „Beobachtung“, each visit of an outreach walk
    (:func:`geo.walks.visits.log_visit`) a row „Besuch“ with its outcome and
    follow-up in the column „Besuch“; on the same day an observation comes
    before the visit that recorded it. Columns that do not apply to a row are
    empty. Notes and staff names are internal: the public table has neither
    column (visits pass :func:`geo.register.model.public_frame` too).
    """
    from geo.walks.visits import VISIT_SOURCE

    hist = register.unit_history(unit_id)
    visits = unit_visits(register, unit_id)
    if public:  # internal columns emptied, a free-text source too (geo.register.model.public_frame)
        hist = _public_only(hist, drop=False)
        visits = _public_only(visits, drop=False)

    def text(values: Any, labels: Mapping[str, str] | None = None) -> list[str]:
        out = []
        for v in values:
            v = display_text(v)
            out.append("–" if not v else (labels.get(v, v) if labels else v))
        return out

    observed = pd.DataFrame(
        {
            "Datum": [fmt_date(v) for v in hist["observed_on"]],
            "Eintrag": "Beobachtung",
            "Status": text(hist["status"], STATUS_LABELS),
            "Betrieb": text(hist["business_name"]),
            "Branche": [sector_text(v) for v in hist["sector"]],
            "Sicherheit": text(hist["confidence"], CONFIDENCE_LABELS),
            "Quelle": text(hist["source"]),
            "Besuch": "",
            "Neuansiedlung": hist["new_settlement"].astype(bool).to_numpy(),
            "ersetzt": hist["superseded"].astype(bool).to_numpy(),
            "Notiz": text(hist["note"]),
            "erfasst von": text(hist["recorded_by"]),
            "_day": pd.to_datetime(hist["observed_on"]).to_numpy(),
        }
    )
    records = visits.to_dict("records")
    visited = pd.DataFrame(
        {
            "Datum": [fmt_date(v) for v in visits["visited_on"]],
            "Eintrag": "Besuch",
            "Status": "",
            "Betrieb": "",
            "Branche": "",
            "Sicherheit": "",
            "Quelle": VISIT_SOURCE,
            "Besuch": [_visit_text(v) for v in records],
            "Neuansiedlung": False,
            "ersetzt": False,
            "Notiz": text(visits["note"]),
            "erfasst von": text(visits["recorded_by"]),
            "_day": pd.to_datetime(visits["visited_on"]).to_numpy(),
        },
        index=pd.RangeIndex(len(visits)),
    )
    parts = [part for part in (observed, visited) if len(part)]
    out = pd.concat(parts, ignore_index=True) if parts else observed
    out = out.sort_values("_day", kind="stable").drop(columns="_day").reset_index(drop=True)
    out[["Neuansiedlung", "ersetzt"]] = out[["Neuansiedlung", "ersetzt"]].astype(bool)
    if public:
        out = out.drop(columns=["Notiz", "erfasst von"])
    return out


def public_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with only the public columns (whitelists of :mod:`geo.register.model`, :func:`geo.register.model.public_frame`)."""
    return _public_only(frame)

"""The list of units beside the map (page *Karte*): what it shows, and the same list as CSV or XLSX.

* :func:`unit_list` -- the units of a view, one row each, with German headers,
  in address order; built from the public columns only
  (:func:`geo.register.model.public_frame`), so it is the same in the office
  and for every role and never shows personal data;
* :func:`list_name`, :func:`list_bytes` -- the list as a file, e.g.
  ``einheiten_gruenau_2024-12-31.csv``, written by the formula-safe writers of
  :mod:`geo._files` (German dates, ``;`` and decimal comma in CSV, real dates
  in XLSX).
"""

from __future__ import annotations

import io
from typing import Any

import pandas as pd

from geo import settings
from geo._files import write_csv, write_xlsx
from geo.app.filters import NO_STATUS, STATUS_FILTER_LABELS, Filters, as_text, describe
from geo.errors import InputError
from geo.formats import display_text
from geo.register.model import USE_CLASS_LABELS, public_frame
from geo.text import map_unique, slug, sort_key

#: Columns of the list, in display order.
LIST_COLUMNS: tuple[str, ...] = ("Kennung", "Adresse", "Status", "Status seit", "Betrieb", "Nutzungsart", "Ortsteil")

#: Columns with few distinct values, held as categories (a missing one is NaN, not None).
CATEGORY_COLUMNS: tuple[str, ...] = ("Status", "Nutzungsart", "Ortsteil")

#: The column holding dates (a date in the table, ``TT.MM.JJJJ`` in files).
DATE_COLUMN = "Status seit"

#: MIME type of each list format.
LIST_MIME: dict[str, str] = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def unit_list(frame: pd.DataFrame) -> pd.DataFrame:
    """The units of a status frame as the list beside the map, in address order.

    Parameters
    ----------
    frame
        A status frame of the view (:func:`geo.register.stats.status_at` of the
        filtered register).

    Returns
    -------
    pandas.DataFrame
        :data:`LIST_COLUMNS`, one row per unit, index ``0 … n-1``: „Status seit“
        holds dates (None when unknown), the other columns text (those of
        :data:`CATEGORY_COLUMNS` as categories), a missing business None. Only
        public columns are read.
    """
    public = pd.DataFrame(public_frame(frame)).reset_index(drop=True)

    def text(column: str) -> pd.Series:
        return as_text(public[column]).str.strip() if column in public else pd.Series("", index=public.index)

    ids = text("unit_id")
    address = (text("street") + " " + text("housenumber")).str.strip()  # as geo.formats.unit_address, public
    status = public["status"].astype(object) if "status" in public else pd.Series(None, index=public.index)
    codes = status.where(status.map(lambda s: isinstance(s, str)), NO_STATUS)
    since = pd.to_datetime(public["since"], errors="coerce") if "since" in public else pd.Series(pd.NaT, index=public.index)
    use = text("use_class")
    business = text("business_name")
    out = pd.DataFrame(
        {
            "Kennung": ids,
            "Adresse": address.where(address != "", ids),
            "Ortsteil": text("ortsteil").replace("", settings.unassigned_label),
            "Status": map_unique(codes, lambda u: u.map(lambda c: STATUS_FILTER_LABELS.get(c, display_text(c)))),
            DATE_COLUMN: since.dt.date.astype(object).where(since.notna(), None),
            "Betrieb": business.astype(object).where(business != "", None),
            "Nutzungsart": map_unique(use, lambda u: u.map(lambda c: USE_CLASS_LABELS.get(c, c))).astype(object)
            .where(use != "", None),
        },
        columns=list(LIST_COLUMNS),
    )
    if not len(out):
        return out
    numbers = as_text(public["housenumber"]) if "housenumber" in public else pd.Series("", index=public.index)
    order = pd.DataFrame(
        {
            "street": map_unique(as_text(public["street"]), lambda u: u.map(sort_key)) if "street" in public else "",
            "number": pd.to_numeric(numbers.str.extract(r"^(\d+)", expand=False), errors="coerce"),
            "house": numbers.str.casefold(),
            "id": out["Kennung"],
        }
    )
    ranked = order.sort_values(["street", "number", "house", "id"], kind="stable", na_position="last").index
    out = out.loc[ranked].reset_index(drop=True)
    for column in CATEGORY_COLUMNS:  # few distinct values: sent to the browser once each (50,000 units: 6.2 -> 3.6 MB)
        out[column] = out[column].astype("category")
    return out


def list_name(filters: Filters, fmt: str) -> str:
    """File name of the list, e.g. ``einheiten_gruenau_2024-12-31.csv`` (with the street when one is chosen)."""
    parts = ["einheiten", slug(filters.ortsteil or filters.quarter or "alle")]
    if filters.street and slug(filters.street):
        parts.append(slug(filters.street))
    return "_".join(parts) + f"_{filters.date_at().isoformat()}.{fmt}"


def _file_frame(table: pd.DataFrame) -> pd.DataFrame:
    """The list for a file: dates as datetimes (written as ``TT.MM.JJJJ`` or as Excel dates), text as text."""
    out = table.copy()
    for column in out.columns:
        if isinstance(out[column].dtype, pd.CategoricalDtype):
            out[column] = out[column].astype(object).where(out[column].notna(), None)
    if DATE_COLUMN in out:
        out[DATE_COLUMN] = pd.to_datetime(out[DATE_COLUMN])
    return out


def _layout(name: str, frame: pd.DataFrame, ws: Any) -> None:
    """Column widths, and German dates for the date column."""
    for idx, column in enumerate(frame.columns, start=1):
        letter = ws.cell(row=1, column=idx).column_letter
        longest = max([len(str(column)), *(len(display_text(v)) for v in frame[column].head(500))])
        ws.column_dimensions[letter].width = min(max(10, longest + 2), 48)
        if column == DATE_COLUMN:
            for row in range(2, len(frame) + 2):
                ws.cell(row=row, column=idx).number_format = "DD.MM.YYYY"


def list_bytes(table: pd.DataFrame, fmt: str, *, filters: Filters | None = None, demo: bool = False) -> bytes:
    """The list (:func:`unit_list`) as a CSV or XLSX file, as shown; no cell can run as a formula.

    CSV: ``;``-separated, decimal comma, dates ``TT.MM.JJJJ``, with a BOM for
    Excel. XLSX: the sheet „Einheiten“ with real dates shown ``TT.MM.JJJJ``,
    and a sheet „Info“ naming the view (``filters``) and, for ``demo`` data,
    :data:`geo.settings.demo_label`.

    Raises
    ------
    InputError
        ``fmt`` is neither ``csv`` nor ``xlsx``.
    """
    if fmt not in LIST_MIME:
        raise InputError(f"Format „{fmt}“ für die Liste unbekannt; möglich: {', '.join(LIST_MIME)}.")
    frame = _file_frame(table)
    buffer = io.BytesIO()
    if fmt == "csv":
        write_csv(frame, buffer, date_format="%d.%m.%Y")
        return buffer.getvalue()
    info = [("Inhalt", "Gewerbeeinheiten der Auswahl (ohne personenbezogene Daten)"), ("Einheiten", len(frame))]
    if filters is not None:
        info.append(("Auswahl", describe(filters)))
    if demo:
        info.append(("Hinweis", settings.demo_label))
    sheets = {"Einheiten": frame, "Info": pd.DataFrame(info, columns=["Merkmal", "Wert"])}
    write_xlsx(sheets, buffer, title="Gewerbeeinheiten", subject=describe(filters) if filters else None,
               format_sheet=_layout)
    return buffer.getvalue()

"""Map data of the app's maps: a filtered view, and the before/after comparison of two dates.

Both return :class:`geo.outputs.maps.MapData` (units, boundaries, layers and
legend, ready for :func:`geo.outputs.maps.render_map`).
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from geo.app.filters import Filters
from geo.errors import InputError
from geo.formats import fmt_date
from geo.outputs.maps import CHANGE_CATEGORIES, MapData, prepare_map
from geo.register.history import Register
from geo.register.stats import compare, events, status_at


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

"""Charts and tables of the building-stock figures (OSM building snapshots), in German.

:func:`stock_chart` and :func:`change_chart` (altair), :func:`figures_table` and
:func:`styled` for the app, :func:`figures_csv` and :func:`figures_xlsx` for
download, with German labels and number formats. The figures come from
:func:`geo.osm.buildings.building_stats`; the maps are in
:mod:`geo.outputs.building_maps`. Show :data:`geo.osm.buildings.CAVEAT` with
everything made here.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import altair as alt
import pandas as pd

from geo import settings
from geo.formats import fmt_area, fmt_int
from geo.osm import buildings
from geo.outputs.building_maps import ATTRIBUTION
from geo.outputs.charts import DE_LOCALE

__all__ = [
    "FIGURE_LABELS",
    "MEASURES",
    "change_chart",
    "change_frame",
    "figures_csv",
    "figures_table",
    "figures_xlsx",
    "german",
    "group_colors",
    "stock_chart",
    "styled",
]


#: German labels of the figure columns (:data:`geo.osm.buildings.STATS_COLUMNS`).
FIGURE_LABELS: dict[str, str] = {
    "group": "Ortsteil",
    "date": "Stichtag",
    "buildings": "Gebäude",
    "footprint_m2": "Grundfläche (m²)",
    "mean_m2": "Ø Grundfläche je Gebäude (m²)",
    "commercial": "gewerblich genutzt",
    "added": "neu erfasst",
    "removed": "entfernt",
    "changed": "verändert",
    "geometry_changed": "davon Umriss",
    "use_changed": "davon Nutzung",
}

#: Distinct colours for up to 20 Ortsteile (vega's tableau20, dark shades first).
_GROUP_COLORS = (
    "#4c78a8", "#f58518", "#54a24b", "#b79a20", "#439894", "#e45756", "#79706e", "#d67195", "#b279a2", "#9e765f",
    "#9ecae9", "#ffbf79", "#88d27a", "#f2cf5b", "#83bcb6", "#ff9d98", "#bab0ac", "#fcbfd2", "#d6a5c9", "#d8b5a5",
)  # fmt: skip

#: Measures of :func:`stock_chart` and their German labels.
MEASURES = {"buildings": "Gebäude", "footprint_m2": "Grundfläche (m²)", "commercial": "gewerblich genutzt"}


def german(chart: alt.Chart) -> alt.Chart:
    """``chart`` with German number and date formats (thousands ``.``, decimal ``,``)."""
    configured: alt.Chart = chart.configure(locale=DE_LOCALE)
    return configured


def group_colors(groups: Sequence[str]) -> tuple[list[str], list[str]]:
    """Domain and colours of the groups: up to 20 distinct colours, buildings outside every Ortsteil grey and last."""
    named = [g for g in dict.fromkeys(groups) if g != settings.unassigned_label]
    domain = named + ([settings.unassigned_label] if settings.unassigned_label in groups else [])
    colors = [_GROUP_COLORS[i % len(_GROUP_COLORS)] for i in range(len(named))]
    return domain, colors + ["#9e9e9e"] * (len(domain) - len(named))


def stock_chart(stats: pd.DataFrame, *, measure: str = "buildings", height: int | None = None) -> alt.Chart:
    """One line per Ortsteil over the snapshot years: ``buildings``, ``footprint_m2`` or ``commercial``.

    The default height leaves room for one legend row per Ortsteil (Streamlit fits legend and plot into it).
    """
    label = MEASURES[measure]
    data = pd.DataFrame(
        {
            "Jahr": pd.to_datetime(stats["date"]).dt.year.astype(int),
            "Ortsteil": stats["group"].astype(str),
            label: stats[measure].astype(float).round(0),
        }
    )
    shown = fmt_area if measure == "footprint_m2" else fmt_int
    unit = "" if measure == "footprint_m2" else f" {label}"
    data["Beschreibung"] = [f"{o}, {y}: {shown(v)}{unit}" for o, y, v in zip(data["Ortsteil"], data["Jahr"], data[label],
                                                                           strict=True)]  # fmt: skip
    domain, colors = group_colors(list(data["Ortsteil"]))
    chart = (
        alt.Chart(data)
        .mark_line(point=alt.OverlayMarkDef(size=18))
        .encode(
            x=alt.X("Jahr:O", title=None, axis=alt.Axis(labelAngle=0)),
            y=alt.Y(f"{label}:Q", title=label, axis=alt.Axis(format=",.0f")),
            color=alt.Color(
                "Ortsteil:N", title=None, scale=alt.Scale(domain=domain, range=colors),
                legend=alt.Legend(orient="right", symbolLimit=0, labelLimit=0),  # names in full
            ),  # fmt: skip
            description="Beschreibung:N",
        )
        .properties(height=height or max(320, 30 * len(domain) + 40))
    )
    return german(chart)


def change_frame(stats: pd.DataFrame) -> pd.DataFrame:
    """Buildings added and removed per snapshot year, summed over the groups (first snapshot left out)."""
    data = stats.loc[stats["added"].notna()]
    years = pd.to_datetime(data["date"]).dt.year.astype(int)
    grouped = data.groupby(years.to_numpy())[["added", "removed"]].sum().astype(int)
    out = grouped.rename(columns={"added": "neu erfasst", "removed": "entfernt"}).rename_axis("Jahr").reset_index()
    return out.melt(id_vars="Jahr", var_name="Art", value_name="Gebäude")


def change_chart(stats: pd.DataFrame, *, height: int = 300) -> alt.Chart:
    """Buildings added and removed per snapshot year as grouped bars."""
    data = change_frame(stats)
    data["Beschreibung"] = [f"{y}: {fmt_int(n)} Gebäude {a}" for y, n, a in zip(data["Jahr"], data["Gebäude"], data["Art"],
                                                                               strict=True)]  # fmt: skip
    chart = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("Jahr:O", title=None, axis=alt.Axis(labelAngle=0)),
            xOffset=alt.XOffset("Art:N", sort=["neu erfasst", "entfernt"]),
            y=alt.Y("Gebäude:Q", title="Gebäude", axis=alt.Axis(format=",.0f")),
            color=alt.Color(
                "Art:N", title=None, legend=alt.Legend(orient="bottom", labelLimit=0),
                scale=alt.Scale(domain=["neu erfasst", "entfernt"], range=["#1a9850", "#d73027"]),
            ),  # fmt: skip
            description="Beschreibung:N",
        )
        .properties(height=height)
    )
    return german(chart)


def figures_table(stats: pd.DataFrame) -> pd.DataFrame:
    """The figures with German column labels (numbers stay numbers; format with :func:`styled`)."""
    table = stats.loc[:, [c for c in FIGURE_LABELS if c in stats.columns]].copy()
    table["date"] = pd.to_datetime(table["date"]).dt.date
    table.insert(
        table.columns.get_loc("footprint_m2") + 1,
        "mean_m2",
        (table["footprint_m2"] / table["buildings"].where(table["buildings"] > 0)).round(1),
    )
    table["footprint_m2"] = table["footprint_m2"].round(0).astype("int64")
    return table.rename(columns=FIGURE_LABELS).reset_index(drop=True)


def styled(table: pd.DataFrame) -> tuple[Any, dict[str, Any]]:
    """:func:`figures_table` for ``st.dataframe``: a Styler and the column configuration.

    Thousands ``.``, decimal comma, dates ``dd.mm.yyyy``. Columns with missing
    values (the events at the first snapshot) become right-aligned text with
    ``–``, since Streamlit shows a missing number as "None".
    """
    mean = FIGURE_LABELS["mean_m2"]
    fixed = (FIGURE_LABELS["group"], FIGURE_LABELS["date"], mean)
    gaps = [c for c in table.columns if c not in fixed and table[c].isna().any()]
    shown = table.astype({c: object for c in gaps})
    for col in gaps:
        shown[col] = [fmt_int(v) for v in table[col]]
    counts = [c for c in table.columns if c not in (*fixed, *gaps)]
    styler = (
        shown.style.format(precision=0, thousands=".", decimal=",", subset=counts)
        .format(precision=1, thousands=".", decimal=",", na_rep="–", subset=[mean])
        .format(lambda d: d.strftime("%d.%m.%Y"), subset=[FIGURE_LABELS["date"]])
    )
    # a right-aligned text column, as st.column_config.TextColumn(c, alignment="right") makes it
    config = {c: {"label": c, "alignment": "right", "type_config": {"type": "text"}} for c in gaps}
    return styler, config


def figures_csv(stats: pd.DataFrame) -> bytes:
    """The figures as CSV for German spreadsheets (``;``, decimal comma, UTF-8 with BOM)."""
    table = figures_table(stats)
    table[FIGURE_LABELS["date"]] = pd.to_datetime(table[FIGURE_LABELS["date"]]).dt.strftime("%d.%m.%Y")
    from geo._files import csv_text  # cells that would run as formulas start with '

    return csv_text(table).encode("utf-8-sig")


def figures_xlsx(stats: pd.DataFrame, *, notes: Sequence[str] = ()) -> bytes:
    """The figures as an Excel workbook: sheet "Gebäudebestand" and a sheet "Hinweis" (caveat, notes)."""
    table = figures_table(stats)
    table[FIGURE_LABELS["date"]] = pd.to_datetime(table[FIGURE_LABELS["date"]])
    info = pd.DataFrame({"Hinweis": [buildings.CAVEAT, f"Daten: {ATTRIBUTION}", *notes]})
    from geo._files import write_xlsx  # no cell can be a formula

    def layout(sheet: str, _frame: pd.DataFrame, ws: Any) -> None:
        if sheet == "Hinweis":
            ws.column_dimensions["A"].width = 120
            return
        for idx, col in enumerate(table.columns, start=1):
            letter = ws.cell(row=1, column=idx).column_letter
            ws.column_dimensions[letter].width = max(12, len(str(col)) + 2)
            fmt = "DD.MM.YYYY" if col == FIGURE_LABELS["date"] else (
                "#,##0.0" if col == FIGURE_LABELS["mean_m2"] else "#,##0")  # fmt: skip
            if col != FIGURE_LABELS["group"]:
                for row in range(2, len(table) + 2):
                    ws.cell(row=row, column=idx).number_format = fmt
        ws.freeze_panes = "B2"

    buffer = io.BytesIO()
    write_xlsx({"Gebäudebestand": table, "Hinweis": info}, buffer, format_sheet=layout)
    return buffer.getvalue()

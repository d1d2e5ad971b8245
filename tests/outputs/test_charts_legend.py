"""The vacancy-rate chart of Entwicklung and Präsentation: every line named, legends never cut,
Ortsteile below ``settings.public_min_units`` left out exactly as in the period report."""

from __future__ import annotations

import html
import re
from datetime import date

import pandas as pd
import pytest

from geo import formats, settings
from geo.outputs import charts, figures
from geo.register import stats
from geo.register.store import open_store

#: The Leipziger Osten as the demo showed it: five Ortsteile and one with 2 units whose rate jumps 0 <-> 50 %.
GROUPS = {
    "Anger-Crottendorf": 11,
    "Neustadt-Neuschönefeld": 73,
    "Reudnitz-Thonberg": 16,
    "Schönefeld-Abtnaundorf": 2,
    "Sellerhausen-Stünz": 11,
    "Volkmarsdorf": 103,
}
YEARS = list(range(2016, 2026))


def timeline(groups: dict[str, int] = GROUPS, *, growing: str | None = None) -> pd.DataFrame:
    """A yearly timeline by Ortsteil like :func:`geo.register.stats.timeline` (``growing``: 1 unit, later 5)."""
    rows = []
    for name, units in groups.items():
        for i, year in enumerate(YEARS):
            n = (1 if i < 5 else 5) if name == growing else units
            vacant = (i % 2) if n == 2 else max(0, n // 6 - i % 3)
            rows.append({"period": str(year), "period_end": pd.Timestamp(year, 12, 31), "group": name,
                         "units": n, "vacant": vacant, "vacancy_rate": vacant / n})  # fmt: skip
    return pd.DataFrame(rows)


def spec_parts(chart) -> tuple[dict, list[dict]]:
    spec = chart.to_dict()
    rows = [row for data in spec["datasets"].values() for row in data]
    return spec["encoding"]["color"], rows


def report_lines(frame: pd.DataFrame) -> list[str]:
    """The lines the period report's chart draws (legend texts of its matplotlib figure)."""
    fig = figures.vacancy_rate_figure(frame, min_units=settings.public_min_units)
    return [t.get_text() for t in fig.axes[0].get_legend().get_texts()]


@pytest.mark.parametrize("presentation", [False, True])
def test_every_line_is_named_in_full_and_the_small_ortsteil_is_left_out(presentation):
    frame = timeline()
    color, rows = spec_parts(charts.vacancy_rate_chart(frame, presentation=presentation))
    drawn = list(dict.fromkeys(r["Gebiet"] for r in rows))
    # every line drawn has its name in the legend (the scale's domain) -- no unnamed line
    assert color["scale"]["domain"] == drawn
    assert drawn == [g for g in GROUPS if GROUPS[g] >= settings.public_min_units]
    # the 2-unit Ortsteil (0 % / 50 %) is not drawn, exactly as in the PDF report
    assert "Schönefeld-Abtnaundorf" not in drawn
    assert report_lines(frame) == drawn
    assert not any(r["Leerstandsquote"] == 0.5 for r in rows)


@pytest.mark.parametrize("presentation", [False, True])
def test_legend_labels_are_never_cut(presentation):
    legend = spec_parts(charts.vacancy_rate_chart(timeline(), presentation=presentation))[0]["legend"]
    assert legend["labelLimit"] == 0 and legend["symbolLimit"] == 0  # Vega's default cuts at 160 px ("Schö…")
    # the entries wrap into columns that fit the narrowest chart, instead of running out of it
    assert 1 <= legend["columns"] < len(GROUPS) - 1
    longest = max(len(g) for g in GROUPS)
    entry = longest * 0.6 * charts.FONT_SIZES[presentation] + 34
    assert legend["columns"] * entry <= charts.LEGEND_WIDTH[presentation]
    # short names side by side
    short = charts.legend(["Leipziger Osten", "Grünau"], presentation=presentation).to_dict()
    assert short["columns"] == 2 and short["labelLimit"] == 0


def test_a_group_is_left_out_only_where_it_is_small():
    frame = timeline({"Volkmarsdorf": 103, "Anger-Crottendorf": 11}, growing="Anger-Crottendorf")
    _, rows = spec_parts(charts.vacancy_rate_chart(frame))
    anger = sorted(r["Periode"] for r in rows if r["Gebiet"] == "Anger-Crottendorf")
    assert anger == [str(y) for y in YEARS[5:]]  # 1 unit in 2016-2020: no rate; 5 units later: shown
    assert report_lines(frame) == ["Volkmarsdorf", "Anger-Crottendorf"]
    shown = stats.public_rate(frame)
    assert shown[frame["units"] < settings.public_min_units].isna().all()
    assert shown[frame["units"] >= settings.public_min_units].notna().all()


def test_the_threshold_is_the_setting(monkeypatch):
    monkeypatch.setattr(settings, "public_min_units", 12)
    _, rows = spec_parts(charts.vacancy_rate_chart(timeline()))
    assert {r["Gebiet"] for r in rows} == {"Neustadt-Neuschönefeld", "Reudnitz-Thonberg", "Volkmarsdorf"}
    note = charts.hidden_rate_note(timeline())
    assert note is not None and "weniger als 12 Einheiten" in note
    assert "Anger-Crottendorf" in note and "Schönefeld-Abtnaundorf" in note and "Volkmarsdorf" not in note


def test_note_names_the_left_out_groups_and_is_empty_otherwise():
    note = charts.hidden_rate_note(timeline())
    assert note == (
        f"Werte von Gebieten mit weniger als {settings.public_min_units} Einheiten nicht dargestellt: "
        "Schönefeld-Abtnaundorf."
    )
    assert charts.hidden_rate_note(timeline({"Volkmarsdorf": 103})) is None
    assert charts.hidden_rate_note(timeline().iloc[0:0]) is None


def test_events_and_duration_legends_are_not_cut():
    frame = timeline({"Volkmarsdorf": 103}).assign(new_settlements=1, closures=2)
    legend = charts.events_chart(frame).to_dict()["encoding"]["color"]["legend"]
    assert legend["labelLimit"] == 0


def test_the_downloaded_rate_figure_follows_the_same_rule(tmp_path, monkeypatch):
    """The PNG/SVG download of the chart (geo.app.exchange.figure_for) leaves small groups out too."""
    from geo.app.exchange import figure_for
    from geo.app.filters import Filters
    from tests.synthetic import synthetic_store

    monkeypatch.setattr(settings, "public_min_units", 9)  # the synthetic Ortsteile have 6 to 16 units
    register = open_store(synthetic_store(tmp_path / "s.gpkg", n=120)).read()
    frame = stats.timeline(register, freq="year", start=date(2018, 1, 1), end=date(2024, 12, 31), by="ortsteil")
    small = set(frame.loc[frame["units"] < settings.public_min_units, "group"])
    assert small and small != set(frame["group"])
    fig = figure_for("rate", register, Filters(at=date(2024, 12, 31)), start=date(2018, 1, 1),
                     end=date(2024, 12, 31), by="ortsteil")  # fmt: skip
    legend = fig.axes[0].get_legend()
    drawn = [t.get_text() for t in legend.get_texts()] if legend else []
    expected = list(dict.fromkeys(frame.loc[stats.public_rate(frame).notna(), "group"].astype(str)))
    assert drawn == expected
    _, rows = spec_parts(charts.vacancy_rate_chart(frame))
    assert list(dict.fromkeys(r["Gebiet"] for r in rows)) == expected
    assert not small & set(drawn)


# -- drawn on the server (the app shows the SVG) ----------------------------------------------------


def svg_texts(svg: str) -> list[str]:
    return [html.unescape(t) for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg)]


@pytest.mark.parametrize(("presentation", "width"), [(False, 960), (False, 440), (True, 620)])
def test_the_drawn_chart_names_every_line_in_full_in_german(presentation, width):
    svg = charts.to_svg(charts.vacancy_rate_chart(timeline(), presentation=presentation), width=width)
    root = svg[: svg.index(">")]
    assert f'width="{width}"' in root and 'style="max-width:100%;height:auto"' in root  # shrinks, never grows
    texts = svg_texts(svg)
    shown = [g for g in GROUPS if GROUPS[g] >= settings.public_min_units]
    assert [t for t in texts if t in GROUPS] == shown  # legend: every drawn line by its full name, in order
    assert not any("…" in t for t in texts)
    assert "Leerstandsquote" in texts and "10\u00a0%" in texts  # German percent on the axis
    # every point tells its figures on hover (SVG <title>, no chart library in the browser)
    rate = formats.fmt_pct(12 / 73)
    assert rate.startswith("16,4") and (  # Vega's own "%" format would say 16 %
        f"<title>Neustadt-Neuschönefeld, 2016: Leerstandsquote {rate} (12 von 73 Einheiten leer)</title>" in svg
    )
    assert svg.count("<title>") == sum(1 for _ in charts.vacancy_rate_chart(timeline()).to_dict()["datasets"].values()
                                       for _ in _)  # one per point, none on the lines  # fmt: skip


def test_a_business_name_is_escaped_in_the_drawn_timeline():
    history = pd.DataFrame(
        {
            "observed_on": pd.to_datetime(["2021-03-01", "2023-06-15"]),
            "status": ["occupied", "vacant"],
            "business_name": ['<img src=x onerror="alert(1)"> & Söhne', None],
            "superseded": [False, False],
        }
    )
    svg = charts.to_svg(charts.unit_timeline_chart(history, until="2024-12-31"), width=440)
    assert "<img" not in svg and 'onerror="' not in svg
    titles = re.findall("<title>([^<]*)</title>", svg)
    assert titles == [
        "genutzt vom 01.03.2021 bis 15.06.2023: &lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; Söhne",
        "leer vom 15.06.2023 bis 31.12.2024",  # no business: no "None", no "nan"
    ]

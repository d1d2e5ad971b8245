"""One home per rule (issue "Restructure"): text keys, dates and German formats.

Each table pins the cases of one rule, including the cases on which the former
copies disagreed (soft hyphen, ``ä`` as ``ae`` or ``a``, ``Str.`` against
``Straße``, date forms, ``11.8%`` against ``11,8 %``), and checks that every entry
point that used to have its own copy now gives the same answer.
"""

from __future__ import annotations

import argparse
import decimal
import io
from datetime import UTC, date, datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pytest

from geo import dates, formats, settings, text
from geo.app.exchange import export_name, figure_name
from geo.app.filters import Filters
from geo.cli._common import parse_date_arg as cli_date
from geo.errors import InputError
from geo.osm.matching import normalise_business_name
from geo.osm.takeover import apply_to_register
from geo.outputs import building_figures, charts, figures
from geo.outputs.tables import emit
from geo.register import stats
from geo.register.history import History, effective_history, superseded
from geo.walks import visits
from tests.synthetic import synthetic_register

SHY = "\u00ad"  # soft hyphen, e.g. from a word processor's hyphenation
ZWSP = "\u200b"  # zero-width space
NBSP = "\u00a0"


# -- text keys ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("Bäckerei", "baeckerei"),
        ("BAECKEREI", "baeckerei"),
        (f"Bäcker{SHY}ei", "baeckerei"),  # the importer read it as "bäcker ei", history kept it
        (f"Bäcker{ZWSP}ei", "baeckerei"),
        (f"  Café{NBSP} Größe  ", "cafe groesse"),
        ("Straße", "strasse"),
        ("STRAẞE", "strasse"),
        ("Fläche m²", "flaeche m2"),
        ("Ärzte\tÖl\nÜbel", "aerzte oel uebel"),
        (None, ""),
    ],
)
def test_fold(raw, folded):
    assert text.fold(raw) == folded


def test_name_key_is_fold_vectorised_and_missing_stays_missing():
    raw = pd.Series(["Bäckerei Sonne", f"BÄCKER{SHY}EI  sonne", "Baeckerei Sonne", " ", None, np.nan, "Café"])
    key = text.name_key(raw)
    assert key.iloc[:3].tolist() == ["baeckerei sonne"] * 3
    assert key.iloc[3:6].isna().all() and key.iloc[6] == "cafe"
    assert text.text_key(raw).tolist() == ["baeckerei sonne"] * 3 + ["", "", "", "cafe"]
    many = pd.Series([f"Name {i % 7} Müller{SHY if i % 2 else ''}" for i in range(50)])
    assert text.name_key(many).tolist() == [text.fold(v) for v in many]


@pytest.mark.parametrize(
    ("label", "key"),
    [
        ("Hausnr.", "hausnr"),
        ("E-Mail", "email"),
        ("Fläche m²", "flaechem2"),
        ("Straße", "strasse"),
        (f"Stra{SHY}ße", "strasse"),
    ],
)
def test_column_key(label, key):
    assert text.column_key(label) == key


@pytest.mark.parametrize(
    "variant", ["Grünau-Mitte", "Gruenau Mitte", "GRUENAU_MITTE", "grünau – mitte", f"Grü{SHY}nau-Mitte"]
)
def test_place_key(variant):
    assert text.place_key(variant) == "gruenau-mitte"


@pytest.mark.parametrize(
    "variant",
    [
        "Torgauer Straße",
        "Torgauer Str.",
        "Torgauer Str",
        "torgauer strasse",
        "TORGAUER  STRASSE",
        f"Torgauer Stra{SHY}ße",
    ],
)
def test_street_key_str_strasse_strasse(variant):
    assert text.street_key(pd.Series([variant])).iloc[0] == "torgauer strasse"


def test_street_forms():
    streets = pd.Series(["Eisenbahnstr.", "Eisenbahnstraße", "Hermann-Liebmann-Str. ", None])
    assert text.street_key(streets).tolist() == [
        "eisenbahnstrasse",
        "eisenbahnstrasse",
        "hermann liebmann strasse",
        "",
    ]
    assert text.tidy_street(streets).iloc[:3].tolist() == [
        "Eisenbahnstraße",
        "Eisenbahnstraße",
        "Hermann-Liebmann-Straße",
    ]


@pytest.mark.parametrize(
    ("raw", "slug"),
    [
        ("Grünau", "gruenau"),
        ("Straße des 18. Oktober", "strasse-des-18-oktober"),
        ("Café/Bar", "cafe-bar"),
        ("", ""),
    ],
)
def test_slug_spells_umlauts_out(raw, slug):
    assert text.slug(raw) == slug


def test_file_names_use_the_slug_not_the_sort_key():
    """The app folded "Grünau" to "grunau" (a sort key), the report to "gruenau"; now both say "gruenau"."""
    view = Filters(quarter="Grünau", at=date(2024, 1, 1))
    assert "_gruenau_" in export_name(view, "csv", public=True)
    assert "_gruenau_" in figure_name("rate", view, "png")


def test_sort_key_is_din_5007_and_not_the_matching_rule():
    names = ["Mulsow", "Müller", "Muller", "Mueller", "Zeitz", "älter", "Apfel"]
    assert sorted(names, key=text.sort_key) == [
        "älter",
        "Apfel",
        "Mueller",
        "Müller",
        "Muller",
        "Mulsow",
        "Zeitz",
    ]
    assert text.sort_key("Müller") == text.sort_key("Muller") != text.fold("Müller")
    assert text.fold("Müller") == text.fold("Mueller") and text.sort_key("Müller") != text.sort_key("Mueller")


def test_business_names_in_osm_matching_fold_like_everywhere():
    assert normalise_business_name(f"BÄCKER{SHY}EI Sonnenschein GmbH") == "baeckerei sonnenschein"
    assert normalise_business_name("Café Zuckerbäcker") == normalise_business_name("Cafe Zuckerbaecker")


def test_visit_sheet_names_compare_like_settlement_detection():
    assert visits._same_name("Bäckerei Sonne", f"BAECKER{SHY}EI  sonne")
    assert visits._same_name(None, "  ") and not visits._same_name("Sonne", None)


# -- effective history and settlements ------------------------------------------------------------


def _obs(rows):
    frame = pd.DataFrame(
        rows,
        columns=["obs_id", "unit_id", "observed_on", "recorded_at", "status", "business_name", "supersedes"],
    )
    frame["observed_on"] = pd.to_datetime(frame["observed_on"])
    frame["recorded_at"] = pd.to_datetime(frame["recorded_at"])
    frame["supersedes"] = frame["supersedes"].astype("Int64")
    frame["new_settlement"] = False
    return frame


def test_effective_history_drops_superseded_and_orders():
    obs = _obs(
        [
            (1, "A", "2024-01-01", "2024-01-05", "vacant", None, None),
            (2, "A", "2024-01-01", "2024-01-02", "occupied", "X", None),
            (3, "A", "2023-06-01", "2024-02-01", "occupied", "Y", None),
            (4, "A", "2024-01-01", "2024-01-05", "vacant", None, 1),  # corrects 1
            (5, "B", "2020-01-01", "2020-01-01", "vacant", None, None),
        ]
    )
    assert superseded(obs).tolist() == [True, False, False, False, False]
    assert effective_history(obs)["obs_id"].tolist() == [3, 2, 4, 5]


def test_settlements_ignore_soft_hyphens_and_umlaut_spelling():
    """Settlement detection compared only case and spacing: a soft hyphen or "ae" made a new business."""
    units = pd.DataFrame({"unit_id": ["A"]})
    obs = _obs(
        [
            (1, "A", "2020-01-01", "2020-01-01", "occupied", "Bäckerei Sonne", None),
            (2, "A", "2021-01-01", "2021-01-01", "occupied", f"Bäcker{SHY}ei  Sonne", None),
            (3, "A", "2022-01-01", "2022-01-01", "occupied", "BAECKEREI SONNE", None),
            (4, "A", "2023-01-01", "2023-01-01", "occupied", "Café Mond", None),
        ]
    )
    assert History(units, obs).settlement.tolist() == [False, False, False, True]


# -- dates --------------------------------------------------------------------------------------

STRICT = [
    ("2024-03-01", date(2024, 3, 1)),
    ("01.03.2024", date(2024, 3, 1)),
    ("1.3.2024", date(2024, 3, 1)),
    (" 01.03.2024 ", date(2024, 3, 1)),
    ("2024-03-01T10:15:00Z", date(2024, 3, 1)),
    ("0001-01-01", date(1, 1, 1)),
    ("31.02.2024", None),
    ("01.03.24", None),  # two-digit years only in imports
    ("03/2024", None),
    ("20240301", None),  # date.fromisoformat read this on the command line, nowhere else
    ("2024-W09-5", None),
    ("gestern", None),
]


@pytest.mark.parametrize(("raw", "expected"), STRICT)
def test_every_typed_date_is_read_alike(raw, expected):
    """Command line, URL and visit sheet read the same forms (four copies accepted different ones)."""
    if expected is None:
        with pytest.raises(ValueError, match="nicht lesbar"):
            dates.parse_date(raw)
        with pytest.raises(argparse.ArgumentTypeError, match="JJJJ-MM-TT oder TT.MM.JJJJ"):
            cli_date(raw)
        assert Filters.from_query_params({"stichtag": raw}).at is None
    else:
        assert dates.parse_date(raw) == expected
        assert cli_date(raw) == expected
        assert Filters.from_query_params({"stichtag": raw}).at == expected


def test_import_dates_add_the_short_forms():
    raw = pd.Series(
        ["01.03.2024", "01.03.24", "01.03.99", "03/2024", "2024-03", None, "31.02.2024", "1. 3. 2024"]
    )
    got, month_only = dates.parse_dates(raw, today=date(2024, 6, 1))
    assert (
        got.tolist()[:5]
        == [pd.Timestamp("2024-03-01")] * 2 + [pd.Timestamp("1999-03-01")] + [pd.Timestamp("2024-03-01")] * 2
    )
    assert got.iloc[5:7].isna().all() and got.iloc[7] == pd.Timestamp("2024-03-01")
    assert month_only.tolist() == [False, False, False, True, True, False, False, False]
    assert str(got.dtype) == "datetime64[us]"


def test_plausibility_has_one_rule():
    today = date(2024, 6, 1)
    early = settings.earliest_date - timedelta(days=1)
    assert dates.plausible_window(today=today) == (settings.earliest_date, today)
    assert dates.clamp_date(early, today=today) == settings.earliest_date
    assert dates.clamp_date(date(2030, 1, 1), today=today) == today
    assert dates.implausible_reason(today, today=today) is None
    assert dates.implausible_reason(settings.earliest_date, today=today) is None
    assert "in der Zukunft (heute ist 01.06.2024)" in dates.implausible_reason(date(2024, 6, 2), today=today)
    assert "vor dem frühesten plausiblen Datum" in dates.implausible_reason(early, today=today)
    future, too_early = dates.implausible_masks(
        pd.Series(pd.to_datetime(["2024-06-02", "1900-01-01", "2020-01-01"])), today=today
    )
    assert future.tolist() == [True, False, False] and too_early.tolist() == [False, True, False]


def test_visits_and_osm_takeovers_refuse_implausible_dates():
    reg = synthetic_register(20)
    unit = str(reg.units["unit_id"].iloc[0])
    rows = [{"row": 2, "unit_id": unit, "visited_on": "01.01.1900", "outcome": "checked"}]
    _clean, errors = visits._check_rows(reg, rows, today=date(2024, 6, 1))
    assert any("vor dem frühesten plausiblen Datum" in e["Grund"] for e in errors)
    with pytest.raises(
        InputError, match="vor dem frühesten plausiblen Datum"
    ):  # checked before the store is read
        apply_to_register(None, {}, observed_on=date(1900, 1, 1), today=date(2024, 6, 1))


def test_days_per_month_has_one_value():
    assert dates.DAYS_PER_MONTH == 30.4375
    spells = pd.DataFrame({"days": [0, 182, 183, 400], "ongoing": [True, False, True, False]})
    bins = stats.duration_bins(spells, bin_months=6)
    # 182 days = 5.98 months, 183 days = 6.01 months (30.4375 days per month)
    assert bins.to_dict("list") == {
        "from_months": [0, 6, 12],
        "to_months": [6, 12, 18],
        "ongoing": [1, 1, 0],
        "ended": [1, 0, 1],
    }


def test_chart_and_figure_count_the_same_duration_bins():
    spells = pd.DataFrame({"days": [10, 20, 200, 800], "ongoing": [True, False, True, True]})
    spec = charts.duration_histogram(spells, bin_months=6).to_dict()
    shown = spec["datasets"][spec["data"]["name"]]
    bins = stats.duration_bins(spells, bin_months=6)
    assert sorted((r["von"], r["Stand"], r["Anzahl"]) for r in shown) == sorted(
        [(int(f), "laufend", int(n)) for f, n in zip(bins["from_months"], bins["ongoing"], strict=True) if n]
        + [(int(f), "beendet", int(n)) for f, n in zip(bins["from_months"], bins["ended"], strict=True) if n]
    )
    fig = figures.duration_figure(spells)
    heights = [int(p.get_height()) for p in fig.axes[0].patches]
    assert heights == [*bins["ongoing"], *bins["ended"]]


def test_altair_charts_share_one_german_locale():
    import altair as alt

    chart = alt.Chart(pd.DataFrame({"x": [1]})).mark_point().encode(x="x:Q")
    assert building_figures.german(chart).to_dict()["config"]["locale"] == charts.DE_LOCALE
    assert charts.styled(chart).to_dict()["config"]["locale"] == charts.DE_LOCALE


# -- German formats -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("func", "value", "shown"),
    [
        (formats.fmt_pct, 0.118, "11,8 %"),  # not "11.8%"
        (formats.fmt_pct, 0.1234, "12,3 %"),
        (formats.fmt_pct, 1, "100,0 %"),
        (formats.fmt_area, 29112, "29.112 m²"),
        (formats.fmt_area, 85.4, "85 m²"),
        (formats.fmt_days, 546, "546 Tage"),
        (formats.fmt_days, 1, "1 Tag"),
        (formats.fmt_int, 12345, "12.345"),
        (formats.fmt_int, 1234567.4, "1.234.567"),
        (formats.fmt_int, 0.5, "1"),  # half up (German commercial rounding), not Python's half even
        (formats.fmt_months, 30, "30 Tage"),
        (formats.fmt_months, 365.25, "12,0 Monate"),
        (formats.fmt_months, 442, "14,5 Monate"),
        (formats.fmt_km, 2350, "2,4 km"),
        (formats.fmt_date, pd.Timestamp("2024-12-31"), "31.12.2024"),
        (formats.fmt_date, date(1, 1, 1), "01.01.0001"),
        (formats.fmt_date, np.datetime64("NaT"), "–"),
        (formats.fmt_int, None, "–"),
        (formats.fmt_pct, float("nan"), "–"),
        (formats.fmt_area, pd.NA, "–"),
    ],
)
def test_german_formats(func, value, shown):
    assert func(value) == shown


def test_numbers_with_digits_and_signs():
    assert formats.fmt_number(1234.56, digits=1) == "1.234,6"
    assert formats.fmt_number(2.675, digits=2) == "2,68"
    assert formats.fmt_number(2024, grouping=False) == "2024"
    assert formats.fmt_signed(1.234, digits=1, unit="Pp.") == "+1,2 Pp."
    assert formats.fmt_signed(-0.04, digits=1) == "±0,0"
    assert formats.fmt_signed(0) == "±0" and formats.fmt_signed(-3) == "-3"
    assert formats.fmt_signed(1234) == "+1.234"
    assert formats.fmt_signed(None) is None


def test_numbers_read_as_babel_formats_them_for_the_locale():
    """The fast number formatting gives exactly Babel's text (CLDR de_DE patterns), rounding included."""
    from babel.numbers import format_decimal, format_percent

    rng = np.random.default_rng(13)
    values = [0.0, -0.0, 0.5, 1.5, 2.5, -0.5, 2.675, 1.005, 0.125, 0.995, -0.04, 0.0049, 1e15, -1234567.891]
    values += [*rng.uniform(-1e6, 1e6, 400), *rng.uniform(-1, 1, 400), *np.round(rng.uniform(-100, 100, 400), 3)]
    with decimal.localcontext(decimal.Context(rounding=decimal.ROUND_HALF_UP)):  # Babel rounds in the context
        for value in map(float, values):
            for digits in (0, 1, 2):
                body = "#,##0" + ("." + "0" * digits if digits else "")
                assert formats.fmt_number(value, digits=digits) == format_decimal(value, body, locale="de_DE")
                assert formats.fmt_number(value, digits=digits, grouping=False) == format_decimal(
                    value, body.replace("#,##", ""), locale="de_DE")
                assert formats.fmt_pct(value, digits=digits) == format_percent(
                    value, body + " %", locale="de_DE").replace("\xa0", " ")
                signed = formats.fmt_signed(value, digits=digits)
                babel = format_decimal(value, f"+{body};-{body}", locale="de_DE")
                assert signed == (babel if babel.lstrip("+-").strip("0,.") else "±" + babel.lstrip("+-"))


def test_missing_values_never_become_text():
    for value in (None, np.nan, pd.NA, pd.NaT, np.datetime64("NaT")):
        assert formats.is_missing(value) and formats.display_text(value) == ""
    assert not formats.is_missing("") and formats.display_text(" x ") == "x"
    assert formats.field_text("  ", label="Notiz") is None


def test_field_text_limit_message_is_german(monkeypatch):
    monkeypatch.setattr(settings, "max_field_chars", 1500)
    with pytest.raises(InputError, match=r"2\.000 Zeichen lang; höchstens 1\.500 Zeichen"):
        formats.field_text("x" * 2000, label="Notiz")


def test_command_line_table_is_german():
    frame = pd.DataFrame(
        {
            "group": ["a", "b"],
            "vacancy_rate": [0.118, None],
            "floor_area_m2": [29112.0, None],
            "median_days": [12.5, 3.0],
        }
    )
    out = io.StringIO()
    emit(frame, "table", stream=out)
    table = out.getvalue()
    assert "11,8 %" in table and "29.112" in table and "12,5" in table
    assert "11.8%" not in table and "nan" not in table.casefold()


# -- today is Leipzig's date ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "day"),
    [
        (datetime(2026, 12, 1, 23, 30, tzinfo=UTC), date(2026, 12, 2)),  # winter: UTC+1, already tomorrow in Leipzig
        (datetime(2026, 6, 30, 22, 15, tzinfo=UTC), date(2026, 7, 1)),  # summer: UTC+2
        (datetime(2026, 6, 30, 21, 59), date(2026, 6, 30)),  # naive: read as UTC
        (datetime(2026, 12, 1, 0, 30, tzinfo=timezone(timedelta(hours=-5))), date(2026, 12, 1)),
    ],
)
def test_today_is_the_date_in_leipzig_whatever_the_server_clock_zone(moment, day):
    assert dates.local_today(moment) == day


def test_the_audit_period_ending_today_shows_an_event_just_after_midnight_in_leipzig():
    """A server clock in UTC is still on yesterday for 1-2 h after midnight in Leipzig."""
    from geo.app.access import audit_table

    event = pd.DataFrame({"at": [pd.Timestamp("2026-12-01 23:30", tz="UTC")], "account": ["büro"],
                          "action": ["sign_in"], "detail": [""]})  # fmt: skip
    today = dates.local_today(datetime(2026, 12, 1, 23, 45, tzinfo=UTC))
    assert len(audit_table(event, since=today, until=today)) == 1

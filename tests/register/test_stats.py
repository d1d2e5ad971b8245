"""The domain rules of the register: every definition with its edge cases."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from geo.errors import InputError
from geo.register import stats
from tests.conftest import make_register


def one(frame: pd.DataFrame, group: str = "Gesamt") -> pd.Series:
    rows = frame.loc[frame["group"] == group]
    assert len(rows) == 1, frame
    return rows.iloc[0]


# -- status at date ---------------------------------------------------------------


def test_status_at_takes_latest_observation_on_or_before_date():
    reg = make_register(
        [{"unit_id": "A"}],
        [("A", "2020-01-01", "occupied", "Bäckerei"), ("A", "2021-06-01", "vacant")],
    )
    assert stats.status_at(reg, "2019-12-31")["status"].iloc[0] is None
    assert stats.status_at(reg, "2020-01-01")["status"].iloc[0] == "occupied"
    assert stats.status_at(reg, "2021-05-31")["status"].iloc[0] == "occupied"
    on_day = stats.status_at(reg, "2021-06-01").iloc[0]
    assert on_day["status"] == "vacant"
    assert on_day["status_label"] == "leer"
    assert on_day["since"] == pd.Timestamp("2021-06-01")


def test_same_day_observations_the_later_recorded_wins():
    reg = make_register(
        [{"unit_id": "A"}],
        [
            ("A", "2022-03-01", "occupied", "Imbiss", {"recorded_at": pd.Timestamp("2022-03-01 15:00")}),
            ("A", "2022-03-01", "vacant", None, {"recorded_at": pd.Timestamp("2022-03-01 09:00")}),
        ],
    )
    assert stats.status_at(reg, "2022-03-01")["status"].iloc[0] == "occupied"


def test_correction_supersedes_and_original_stays():
    reg = make_register(
        [{"unit_id": "A"}],
        [
            ("A", "2020-01-01", "occupied", "Späti"),
            ("A", "2021-01-01", "vacant"),
            # correction: on 2021-01-01 the unit was in fact under renovation
            ("A", "2021-01-01", "renovation", None, {"supersedes": 2}),
        ],
    )
    assert stats.status_at(reg, "2021-02-01")["status"].iloc[0] == "renovation"
    history = reg.unit_history("A")
    assert list(history["status"]) == ["occupied", "vacant", "renovation"]
    assert list(history["superseded"]) == [False, True, False]
    # the superseded vacancy opens no spell
    assert stats.vacancy_spells(reg, at="2022-01-01").empty


def test_supersedes_chain_keeps_only_the_last_correction():
    reg = make_register(
        [{"unit_id": "A"}],
        [
            ("A", "2021-01-01", "vacant"),
            ("A", "2021-01-01", "occupied", "X", {"supersedes": 1}),
            ("A", "2021-01-01", "temporary_use", "Y", {"supersedes": 2}),
        ],
    )
    assert stats.status_at(reg, "2021-01-02")["status"].iloc[0] == "temporary_use"


# -- vacancy rate -------------------------------------------------------------------


def test_vacancy_rate_counts_known_non_demolished_units_only():
    reg = make_register(
        [
            {"unit_id": "A", "floor_area_m2": 100},
            {"unit_id": "B", "floor_area_m2": 300},
            {"unit_id": "C"},
            {"unit_id": "D", "floor_area_m2": 50},
            {"unit_id": "E", "floor_area_m2": 80},
            {"unit_id": "F"},
        ],
        [
            ("A", "2020-01-01", "vacant"),
            ("B", "2020-01-01", "occupied", "Markt"),
            ("C", "2020-01-01", "probably_vacant"),
            ("D", "2020-01-01", "demolished"),
            ("E", "2020-01-01", "unknown"),
            ("F", "2021-01-01", "occupied", "Later"),  # not yet observed at 2020-06-30
        ],
    )
    row = one(stats.stats(reg, at="2020-06-30"))
    assert row["units_registered"] == 5
    assert row["units"] == 3  # A, B, C
    assert row["vacant"] == 2 and row["probably_vacant"] == 1
    assert row["demolished"] == 1 and row["unknown"] == 1
    assert row["vacancy_rate"] == pytest.approx(2 / 3)
    # by floor area: only A (100, vacant) and B (300, occupied) have areas among the known
    assert row["floor_area_m2"] == pytest.approx(400)
    assert row["vacancy_rate_area"] == pytest.approx(0.25)


def test_empty_group_has_no_rate_but_no_error():
    reg = make_register([{"unit_id": "A"}], [("A", "2020-01-01", "unknown")])
    row = one(stats.stats(reg, at="2021-01-01"))
    assert row["units"] == 0
    assert math.isnan(row["vacancy_rate"])


# -- new settlements and closures ------------------------------------------------------


def test_settlement_rules():
    reg = make_register(
        [{"unit_id": u} for u in "ABCDEFG"],
        [
            # A: vacant -> occupied: settlement
            ("A", "2019-01-01", "vacant"),
            ("A", "2020-05-01", "occupied", "Café Eins"),
            # B: occupied by X -> occupied by Y: settlement (different business)
            ("B", "2019-01-01", "occupied", "Friseur X"),
            ("B", "2020-06-01", "occupied", "Friseur Y"),
            # C: same business, name spelled differently: no settlement
            ("C", "2019-01-01", "occupied", "Döner  Haus"),
            ("C", "2020-06-01", "occupied", "döner haus"),
            # D: first observation occupied, not flagged: no settlement
            ("D", "2020-06-01", "occupied", "Neu"),
            # E: first observation occupied and flagged: settlement
            ("E", "2020-07-01", "occupied", "Flagged", {"new_settlement": True}),
            # F: vacant -> unknown -> occupied: previous *known* status is vacant: settlement
            ("F", "2019-01-01", "vacant"),
            ("F", "2019-06-01", "unknown"),
            ("F", "2020-08-01", "occupied", "Laden F"),
            # G: occupied (name unknown) -> occupied named: not known to differ: no settlement
            ("G", "2019-01-01", "occupied"),
            ("G", "2020-09-01", "occupied", "Laden G"),
        ],
    )
    found = stats.events(reg, kind="settlement", start="2020-01-01", end="2020-12-31")
    assert sorted(found["unit_id"]) == ["A", "B", "E", "F"]
    assert one(stats.stats(reg, at="2020-12-31"))["new_settlements_12m"] == 4
    # the window is (a, b]: an event on a is outside, on b inside
    assert list(stats.events(reg, kind="settlement", start="2020-05-01", end="2020-06-01")["unit_id"]) == ["B"]


def test_closure_rules():
    reg = make_register(
        [{"unit_id": u} for u in "ABCDE"],
        [
            ("A", "2019-01-01", "occupied", "X"),
            ("A", "2020-03-01", "vacant"),  # closure
            ("B", "2019-01-01", "occupied", "Y"),
            ("B", "2020-04-01", "renovation"),  # closure
            ("C", "2019-01-01", "occupied", "Z"),
            ("C", "2019-05-01", "unknown"),
            ("C", "2020-05-01", "probably_vacant"),  # closure across an unknown
            ("D", "2019-01-01", "vacant"),
            ("D", "2020-06-01", "renovation"),  # not a closure: was not occupied
            ("E", "2019-01-01", "occupied", "W"),
            ("E", "2020-07-01", "demolished"),  # not a closure by definition
        ],
    )
    found = stats.events(reg, kind="closure", start="2019-12-31", end="2020-12-31")
    assert sorted(found["unit_id"]) == ["A", "B", "C"]
    assert one(stats.stats(reg, at="2020-12-31"))["closures_12m"] == 3
    assert one(stats.stats(reg, at="2021-12-31"))["closures_12m"] == 0


def test_demolished_unit_that_reappears():
    reg = make_register(
        [{"unit_id": "A"}],
        [
            ("A", "2016-01-01", "occupied", "Alt"),
            ("A", "2017-01-01", "demolished"),
            ("A", "2022-01-01", "occupied", "Neubau-Laden"),
        ],
    )
    assert one(stats.stats(reg, at="2018-01-01"))["units"] == 0
    back = one(stats.stats(reg, at="2022-06-01"))
    assert back["units"] == 1 and back["occupied"] == 1
    assert back["new_settlements_12m"] == 1  # demolished -> occupied


# -- vacancy spells -----------------------------------------------------------------------


def test_vacancy_spells_closed_and_ongoing():
    reg = make_register(
        [{"unit_id": "A"}, {"unit_id": "B"}, {"unit_id": "C"}],
        [
            ("A", "2020-01-01", "vacant"),
            ("A", "2020-07-01", "probably_vacant"),  # same spell continues
            ("A", "2021-01-01", "occupied", "X"),  # spell ends: 366 days (2020 is a leap year)
            ("A", "2022-01-01", "vacant"),  # second spell, ongoing
            ("B", "2021-03-01", "vacant"),
            ("B", "2021-09-01", "unknown"),  # a non-vacant observation ends the spell
            ("C", "2023-01-01", "vacant"),  # starts after the query date
        ],
    )
    spells = stats.vacancy_spells(reg, at="2022-12-31").sort_values(["unit_id", "start"])
    assert list(spells["unit_id"]) == ["A", "A", "B"]
    assert list(spells["days"]) == [366, 364, 184]
    assert list(spells["ongoing"]) == [False, True, False]
    row = one(stats.stats(reg, at="2022-12-31"))
    # open spells at 2022-12-31: only A's second (364 days)
    assert row["median_vacancy_days"] == 364
    assert row["longest_vacancy_days"] == 364


def test_median_vacancy_days_of_open_spells():
    reg = make_register(
        [{"unit_id": u} for u in "ABC"],
        [("A", "2020-01-01", "vacant"), ("B", "2020-01-11", "vacant"), ("C", "2020-01-31", "vacant")],
    )
    row = one(stats.stats(reg, at="2020-02-10"))
    assert row["median_vacancy_days"] == 30  # 40, 30, 10 days
    assert row["longest_vacancy_days"] == 40
    longest = stats.longest_vacant(reg, at="2020-02-10", n=2)
    assert list(longest["unit_id"]) == ["A", "B"]


# -- grouping and timeline ------------------------------------------------------------------


def _grouped_register():
    return make_register(
        [
            {"unit_id": "A", "quarter": "Leipziger Osten", "ortsteil": "Volkmarsdorf", "street": "Eisenbahnstraße"},
            {"unit_id": "B", "quarter": "Leipziger Osten", "ortsteil": "Volkmarsdorf", "street": "Eisenbahnstraße"},
            {"unit_id": "C", "quarter": "Grünau", "ortsteil": "Grünau-Mitte", "street": "Stuttgarter Allee"},
            {"unit_id": "D", "quarter": None, "ortsteil": None, "street": "Irgendwo"},
        ],
        [
            ("A", "2018-01-01", "vacant"),
            ("A", "2019-06-01", "occupied", "Laden A"),
            ("B", "2018-01-01", "occupied", "Laden B"),
            ("B", "2020-02-01", "vacant"),
            ("C", "2018-01-01", "occupied", "Laden C"),
            ("C", "2019-03-01", "vacant"),
            ("D", "2018-01-01", "vacant"),
        ],
    )


def test_stats_by_quarter_and_street():
    reg = _grouped_register()
    by_quarter = stats.stats(reg, at="2019-12-31", by="quarter")
    assert list(by_quarter["group"]) == ["(ohne Zuordnung)", "Grünau", "Leipziger Osten"]
    osten = one(by_quarter, "Leipziger Osten")
    assert (osten["units"], osten["vacant"], osten["new_settlements_12m"]) == (2, 0, 1)
    assert one(by_quarter, "Grünau")["closures_12m"] == 1
    by_street = stats.stats(reg, at="2020-12-31", by="street")
    assert one(by_street, "Eisenbahnstraße")["vacancy_rate"] == pytest.approx(0.5)


def test_unknown_grouping_is_a_clear_error():
    with pytest.raises(InputError, match="quarter, ortsteil, street"):
        stats.stats(_grouped_register(), by="plz")


def test_timeline_equals_stats_at_each_period_end():
    reg = _grouped_register()
    line = stats.timeline(reg, freq="year", start="2018-01-01", end="2020-12-31", by="quarter")
    assert list(line.loc[line["group"] == "Leipziger Osten", "period"]) == ["2018", "2019", "2020"]
    for _, row in line.iterrows():
        expected = one(stats.stats(reg, at=row["period_end"], by="quarter"), row["group"])
        for col in ("units", "vacant", "vacancy_rate", "median_vacancy_days", "new_settlements_12m"):
            a, b = row[col], expected[col]
            assert (a == b) or (pd.isna(a) and pd.isna(b)), (row["group"], row["period"], col, a, b)
    osten = line.loc[line["group"] == "Leipziger Osten"].set_index("period")
    assert list(osten["new_settlements"]) == [0, 1, 0]
    assert list(osten["closures"]) == [0, 0, 1]


def test_timeline_periods_months_and_partial_last_period():
    reg = _grouped_register()
    line = stats.timeline(reg, freq="month", start="2019-11-15", end="2020-02-10")
    assert list(line["period"]) == ["2019-11", "2019-12", "2020-01", "2020-02"]
    assert line["period_end"].iloc[-1] == pd.Timestamp("2020-02-10")
    quarters = stats.timeline(reg, freq="quarter", start="2019-01-01", end="2019-12-31")
    assert list(quarters["period"]) == ["2019Q1", "2019Q2", "2019Q3", "2019Q4"]
    # B's closure on 2020-02-01 falls into the February period
    assert list(line["closures"]) == [0, 0, 0, 1]


def test_compare_two_dates():
    reg = _grouped_register()
    diff = stats.compare(reg, before="2019-01-01", after="2020-12-31").set_index("unit_id")
    assert diff.loc["A", "change"] == "newly_occupied"
    assert diff.loc["B", "change"] == "newly_vacant"
    assert diff.loc["D", "change"] == "unchanged"


def test_large_random_register_matches_naive_computation():
    """The vectorised engine against a plain per-unit loop on random histories."""
    rng = np.random.default_rng(7)
    statuses = ["occupied", "vacant", "probably_vacant", "temporary_use", "renovation", "demolished", "unknown"]
    units = [{"unit_id": f"U{i}", "quarter": ["Q1", "Q2"][i % 2]} for i in range(60)]
    obs = []
    for i in range(60):
        days = np.sort(rng.choice(np.arange(0, 3000), size=rng.integers(1, 8), replace=False))
        for d in days:
            s = statuses[rng.integers(0, 7)]
            biz = f"B{rng.integers(0, 3)}" if s == "occupied" else None
            obs.append((f"U{i}", pd.Timestamp("2015-01-01") + pd.Timedelta(days=int(d)), s, biz))
    reg = make_register(units, obs)
    at = pd.Timestamp("2021-06-30")
    frame = pd.DataFrame(obs, columns=["unit_id", "day", "status", "business"])
    naive_status = {}
    naive_settle = 0
    for uid, g in frame.groupby("unit_id", sort=False):
        g = g.sort_values("day")
        upto = g[g["day"] <= at]
        if len(upto):
            naive_status[uid] = upto["status"].iloc[-1]
        prev = None
        for _, r in g.iterrows():
            if r["status"] == "occupied" and prev is not None and r["day"] > at - pd.DateOffset(years=1) and r["day"] <= at:
                if prev[0] != "occupied" or (prev[1] and r["business"] and prev[1] != r["business"]):
                    naive_settle += 1
            if r["status"] != "unknown":
                prev = (r["status"], r["business"])
    got = stats.status_at(reg, at).set_index("unit_id")["status"].dropna().to_dict()
    assert got == naive_status
    known = [s for s in naive_status.values() if s not in ("unknown", "demolished")]
    vac = [s for s in known if s in ("vacant", "probably_vacant")]
    row = one(stats.stats(reg, at=at))
    assert row["units"] == len(known)
    assert row["vacant"] == len(vac)
    assert row["new_settlements_12m"] == naive_settle

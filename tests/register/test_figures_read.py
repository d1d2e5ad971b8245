"""The fast path of the figures (issue 12): the history's events against a plain reference, the
figures-only read of both backends, and PostGIS read through ADBC in the snapshot of the read.

``History`` works on whole arrays and folds business names only where two texts differ; here a
row-by-row reference of the rules (README: definitions) checks it on random registers with the
cases that matter: ties on a day, unknown statuses between, superseded rows, units not in the
register, names that differ in spelling only, blank and missing names.
"""

from __future__ import annotations

import sys
from urllib.parse import urlsplit, urlunsplit

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from geo.register.history import (
    CLOSURE_CODES,
    OCC,
    STATUS_CODE,
    UNKNOWN,
    VACANT_CODES,
    History,
    effective_history,
)
from geo.register.store import ChangeSet, open_store
from geo.register.store.base import figure_observations, normalise_observations
from geo.text import name_key
from tests.conftest import make_observations, make_units

STATUS_WORDS = ["occupied", "vacant", "probably_vacant", "temporary_use", "renovation", "demolished", "unknown"]
NAMES = ["Bäckerei Sonne", "BAECKEREI  SONNE", "Bäcker\u00adei Sonne", "Café A", "cafe a", "Kiosk", "  ", None]


def _reference(units: pd.DataFrame, obs: pd.DataFrame) -> dict[str, list]:
    """The events row by row, unit by unit, in the order of :func:`effective_history`."""
    known_units = set(units["unit_id"])
    rows = effective_history(obs)
    rows = rows.loc[rows["unit_id"].isin(known_units)]
    keys = name_key(rows["business_name"])
    out: dict[str, list] = {k: [] for k in ("rows", "next_day", "settlement", "closure", "spell_start", "since")}
    for _, group in rows.groupby("unit_id", sort=False):
        days = [(d - pd.Timestamp("1970-01-01")).days for d in group["observed_on"]]
        codes = [STATUS_CODE.get(s, UNKNOWN) if isinstance(s, str) else UNKNOWN for s in group["status"]]
        names = [None if pd.isna(k) else k for k in keys.loc[group.index]]
        flags = list(group["new_settlement"])
        prev_known = None
        spell = since = None
        for i, (day, code, name) in enumerate(zip(days, codes, names, strict=True)):
            out["rows"].append(group.index[i])
            out["next_day"].append(days[i + 1] if i + 1 < len(days) else History.NEVER)
            occupied = code == OCC
            settled = occupied and (
                flags[i] or (prev_known is not None and (
                    codes[prev_known] != OCC
                    or (name is not None and names[prev_known] is not None and name != names[prev_known])
                ))
            )
            out["settlement"].append(settled)
            out["closure"].append(prev_known is not None and codes[prev_known] == OCC and code in CLOSURE_CODES)
            vacant = code in VACANT_CODES
            spell = (spell if i and codes[i - 1] in VACANT_CODES else day) if vacant else None
            out["spell_start"].append(spell if vacant else -1)
            same = i and codes[i - 1] == code and (not occupied or names[i - 1] == name)
            since = since if same else day
            out["since"].append(since)
            if code != UNKNOWN:
                prev_known = i
    return out


@pytest.mark.parametrize("seed", range(40))
def test_history_events_match_the_rules_row_by_row(seed):
    rng = np.random.default_rng(seed)
    n_units, n = int(rng.integers(1, 6)), int(rng.integers(0, 80))
    words = [*STATUS_WORDS, "bogus", None]
    weights = np.array([8, 2, 1, 1, 1, 1, 2, 1, 1]) / 18  # occupied most: names are compared there
    units = pd.DataFrame({"unit_id": [f"U{i}" for i in range(n_units)]})
    obs = pd.DataFrame({
        "obs_id": pd.array(rng.permutation(np.arange(1, n + 1)), dtype="Int64"),
        "unit_id": pd.array([f"U{int(u)}" for u in rng.integers(0, n_units + 1, n)], dtype="str"),  # one unknown
        "observed_on": pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 5, n), unit="D"),
        "status": pd.array([words[i] for i in rng.choice(len(words), n, p=weights)], dtype="str"),
        "business_name": pd.array([NAMES[i] for i in rng.integers(0, len(NAMES), n)], dtype="str"),
        "new_settlement": rng.random(n) < 0.2,
        "supersedes": pd.array([int(rng.integers(1, n + 1)) if rng.random() < 0.1 else None for _ in range(n)],
                               dtype="Int64"),
        "recorded_at": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 2, n), unit="s"),
    })
    if seed % 2:
        obs.index = rng.permutation(np.arange(100, 100 + n))  # rows are index labels, not positions
    hist = History(units, obs)
    expected = _reference(units, obs)
    assert hist.rows.tolist() == expected["rows"]
    for name in ("next_day", "settlement", "closure", "spell_start", "since"):
        assert getattr(hist, name).tolist() == expected[name], name


def test_figure_observations_are_the_normalised_ones_in_id_order():
    table = pa.table({
        "obs_id": pa.array([3, 1, 2], pa.int64()),
        "unit_id": ["B", "A", "A"],
        "observed_on": pa.array([19000, 18000, 18500], pa.int32()).cast(pa.date32()),
        "status": ["vacant", "occupied", None],
        "business_name": [None, "Café", ""],
        "new_settlement": pa.array([None, True, False], pa.bool_()),
        "supersedes": pa.array([None, None, 1], pa.int64()),
        # text as GDAL gives it, with a zone; one without (an edit in another program) is UTC
        "recorded_at": ["2024-01-02T03:04:05.678Z", "2024-01-02T04:04:05+01:00", "2024-01-02T03:04:05"],
    })
    expected = normalise_observations(table.to_pandas()).sort_values("obs_id", ignore_index=True)
    got = figure_observations(table)
    pd.testing.assert_frame_equal(got, expected)
    assert got["recorded_at"].tolist() == [pd.Timestamp("2024-01-02 03:04:05")] * 3
    assert got["new_settlement"].tolist() == [True, False, False]


def _filled(url: str):
    store = open_store(url, create=True)
    units = make_units([{"unit_id": u, "street": "Eisenbahnstraße"} for u in ("A", "B", "C")])
    obs = make_observations([
        ("A", "2020-01-01", "occupied", "Bäckerei Sonne"), ("B", "2020-02-01", "vacant"),
        ("A", "2021-01-01", "occupied", "BAECKEREI SONNE"), ("C", "2021-03-01", "unknown"),
        ("A", "2022-01-01", "vacant", None, {"supersedes": 2}),
    ])
    store.write(ChangeSet(new_units=units, observations=obs.drop(columns="obs_id")))
    return store


def test_postgis_reads_the_figures_through_adbc_as_through_psycopg(postgis_url, monkeypatch):
    pytest.importorskip("adbc_driver_postgresql")
    from geo.register.stats import stats, timeline
    from geo.register.store import _pg_frames

    store = _filled(postgis_url)
    results: list[pd.DataFrame | None] = []
    real = _pg_frames._figure_observations_adbc
    monkeypatch.setattr(_pg_frames, "_figure_observations_adbc", lambda *a: results.append(real(*a)) or results[-1])
    fast = store.read(figures_only=True)
    assert len(results) == 1 and results[0] is not None  # read through ADBC, not given way
    monkeypatch.setitem(sys.modules, "adbc_driver_postgresql", None)  # as if not installed
    plain = store.read(figures_only=True)  # through psycopg's COPY
    assert len(results) == 2 and results[1] is None
    pd.testing.assert_frame_equal(fast.observations, plain.observations)
    pd.testing.assert_frame_equal(fast.observations, _filled_gpkg_like(store))
    for by in ("street", None):
        pd.testing.assert_frame_equal(stats(fast, at="2022-06-30", by=by), stats(plain, at="2022-06-30", by=by))
    pd.testing.assert_frame_equal(timeline(fast, freq="year", end="2022-12-31"), timeline(plain, freq="year", end="2022-12-31"))


def _filled_gpkg_like(store) -> pd.DataFrame:
    """The observations of the full read with the columns the figures do not read emptied."""
    from geo.register.store.base import FIGURE_OBSERVATION_COLUMNS

    full = store.read().observations
    for col in full.columns:
        if col not in FIGURE_OBSERVATION_COLUMNS:
            full[col] = pd.array([pd.NA] * len(full), dtype="Int64") if col == "import_id" else np.nan
    return full


def test_adbc_reads_in_the_snapshot_of_the_read_and_gives_way_on_failure(postgis_url):
    pytest.importorskip("adbc_driver_postgresql")
    import psycopg

    from geo.register.store import _pg_frames

    store = _filled(postgis_url)
    with psycopg.connect(postgis_url, autocommit=True) as con, con.transaction(), con.cursor() as cur:
        cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        cur.execute("SELECT count(*) FROM observations")  # the snapshot begins here
        store.write(ChangeSet(observations=make_observations([("B", "2023-01-01", "occupied", "Neu")]).drop(
            columns="obs_id")))
        seen = _pg_frames._figure_observations_adbc(cur, postgis_url)
        assert seen is not None and len(seen) == 5  # not the row written after the snapshot began
        parts = urlsplit(postgis_url)
        elsewhere = urlunsplit(parts._replace(path="/qm_no_such_database"))
        assert _pg_frames._figure_observations_adbc(cur, elsewhere) is None  # psycopg reads instead
    assert len(store.read(figures_only=True).observations) == 6

"""Benchmark: the period report for a quarter with about 2,000 units and 10+ years of history.

Synthesises a fictional register with :func:`geo.register.demo.make_demo_register`
(``--units`` over both quarters, about 60 % of them in the Leipziger Osten,
histories from 2015 on), stores it in a temporary GeoPackage, reads it back and
times: the internal PDF for one quarter and a year, the public PDF (street
sections), both quarters side by side, the XLSX and every figure as PNG and
SVG. Target (issue 6): one report under 20 s on a 2-core machine.

Run: ``./dev bench`` or ``.venv/bin/python bench/bench_report.py [--units N] [--year Y]``.
"""

from __future__ import annotations

import argparse
import io
import resource
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from geo import settings  # noqa: E402
from geo.outputs import (
    figures,  # noqa: E402
    report,  # noqa: E402
)
from geo.places.areas import official_boundaries  # noqa: E402
from geo.register.demo import make_demo_register  # noqa: E402
from geo.register.store import ChangeSet, GeoPackageStore  # noqa: E402

TARGET_S = 20.0


def timed(label: str, fn, results: dict[str, float]):
    t0 = time.perf_counter()
    value = fn()
    results[label] = time.perf_counter() - t0
    print(f"{label:<46} {results[label]:7.2f} s", flush=True)
    return value


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--units", type=int, default=3400, help="units over both quarters (default 3400: ~2,000 in one)"
    )
    parser.add_argument("--year", type=int, default=2025, help="report year")
    args = parser.parse_args()
    results: dict[str, float] = {}
    units, observations = timed(
        "synthesise register", lambda: make_demo_register(n_units=args.units), results
    )
    quarter = "Leipziger Osten"
    n_quarter = int((units["quarter"] == quarter).sum())
    first, last = observations["observed_on"].min(), observations["observed_on"].max()
    print(
        f"{len(units):,} units ({n_quarter:,} in {quarter}), {len(observations):,} observations, "
        f"{first:%Y-%m-%d} – {last:%Y-%m-%d}"
    )
    start, end = date(args.year, 1, 1), date(args.year, 12, 31)
    with tempfile.TemporaryDirectory(prefix="qm-bench-report-") as folder:
        path = Path(folder) / "register.gpkg"
        store = GeoPackageStore.create(path)
        timed(
            "write store",
            lambda: store.write(
                ChangeSet(
                    boundaries=official_boundaries(),
                    new_units=units,
                    observations=observations.drop(columns=["obs_id"]),
                    meta={"demo": "true", "label": settings.demo_label},
                )
            ),
            results,
        )
        register = timed("read store", store.read, results)

        def pdf(**kwargs):
            buffer = io.BytesIO()
            summary = report.build_report(register, start=start, end=end, out=buffer, **kwargs)
            return summary, len(buffer.getvalue())

        internal, size = timed(
            f"PDF intern, {quarter}, {args.year}", lambda: pdf(quarter=quarter, public=False), results
        )
        print(f"{'':<46} {internal.pages} Seiten, {size / 1e6:.1f} MB")
        public, size = timed(
            "PDF öffentlich (Straßenabschnitte)", lambda: pdf(quarter=quarter, public=True), results
        )
        print(f"{'':<46} {public.pages} Seiten, {size / 1e6:.1f} MB")
        both, size = timed(
            "PDF beide Quartiere nebeneinander",
            lambda: pdf(quarter=[quarter, "Grünau"], public=True),
            results,
        )
        print(f"{'':<46} {both.pages} Seiten, {size / 1e6:.1f} MB")
        timed(
            "XLSX Kennzahlen",
            lambda: report.period_figures_xlsx(
                register, quarter=quarter, start=start, end=end, out=io.BytesIO(), public=False
            ),
            results,
        )

        def images() -> int:
            figs = report.report_figures(register, quarter=quarter, start=start, end=end, public=True)
            return sum(len(figures.figure_bytes(f, fmt=fmt)) for f in figs.values() for fmt in ("png", "svg"))

        size = timed("alle Abbildungen als PNG und SVG", images, results)
        print(f"{'':<46} {size / 1e6:.1f} MB")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (RSS)                              {peak:7.0f} MB")
    worst = max(results[k] for k in results if k.startswith("PDF"))
    verdict = "OK" if worst < TARGET_S else "ZU LANGSAM"
    print(f"slowest report {worst:.2f} s (target < {TARGET_S:.0f} s): {verdict}")
    return 0 if worst < TARGET_S else 1


if __name__ == "__main__":
    raise SystemExit(main())

"""Benchmark: the register on both backends, GeoPackage file and PostGIS, as whole commands.

The synthetic register of ``bench_register.py`` (100,000 units, 1,000,000 observations) is
imported into a GeoPackage file and into a PostGIS database; then, per backend:

- the import (validate, plan, write in one transaction), in this process;
- reading the store (``open_store(...).read()``), in this process;
- whole commands as a user runs them, each a fresh ``python -m geo`` process (imports, reading,
  deriving the history, the figures, printing): ``stats --by street`` and a 10-year monthly
  ``timeline``; the median of ``--repeat`` runs;
- where the time of ``stats --by street`` goes: the module imports (``python -X importtime``)
  and the steps of the command in one process (read, history, figures, output).

Target (issue 12): the whole ``stats --by street`` command under 2 s on both backends.

PostgreSQL: ``--postgres URL`` (or ``QM_BENCH_POSTGRES_URL``), else a throwaway cluster started
with ``./dev db`` (skipped without the server binaries). ``--keep DIR`` keeps the CSV and the
GeoPackage between runs (the PostGIS register is remade each run).

Run: ``./dev bench`` or ``.venv/bin/python bench/bench_store.py [--units N] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_register import synthetic_history  # noqa: E402

from geo import settings  # noqa: E402
from geo.register.io import import_file  # noqa: E402
from geo.register.store import open_store  # noqa: E402

TIMELINE = ["timeline", "--freq", "month", "--from", "2015-01-01", "--to", "2024-12-31"]
STATS = ["stats", "--by", "street", "--at", "2024-06-30"]


@contextlib.contextmanager
def postgres(url: str | None) -> Iterator[str | None]:
    """A PostGIS database URL: the given one, else a throwaway cluster (``./dev db``), else ``None``."""
    if url:
        yield url
        return
    if not (shutil.which("initdb") or list(Path("/usr/lib/postgresql").glob("*/bin/initdb"))):
        yield None
        return
    folder = Path(tempfile.mkdtemp(prefix="qm-bench-db-"))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "QM_DB_DIR": str(folder), "QM_DB_PORT": str(port)}
    done = subprocess.run([str(ROOT / "dev"), "db"], env=env, capture_output=True, text=True)
    try:
        yield done.stdout.strip() if done.returncode == 0 else None
    finally:
        subprocess.run([str(ROOT / "dev"), "db", "stop"], env=env, capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def fresh_schema(server: str) -> Iterator[str]:
    """The URL of a new, empty schema on ``server`` (the register of this run), dropped after."""
    import psycopg

    schema = f"bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server, autocommit=True) as con:
        con.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        con.execute(f"CREATE SCHEMA {schema}")
    joiner = "&" if "?" in server else "?"
    try:
        yield f"{server}{joiner}options=-csearch_path%3D{schema},public"
    finally:
        with psycopg.connect(server, autocommit=True) as con:
            con.execute(f"DROP SCHEMA {schema} CASCADE")


def command(args: list[str], store: str, *, repeat: int) -> tuple[float, str]:
    """Median wall time of ``python -m geo ARGS --store STORE`` over ``repeat`` fresh processes, and its output."""
    times, out = [], ""
    for _ in range(repeat):
        t0 = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "geo", *args, "--store", store, "--format", "json"],
            capture_output=True, text=True, cwd=ROOT,
        )
        times.append(time.perf_counter() - t0)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(args)} fehlgeschlagen: {done.stderr}")
        out = done.stdout
    return statistics.median(times), out


def import_seconds(store: str) -> float:
    """Cumulative import time of ``python -X importtime -m geo stats --help`` (module imports only)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "geo", *STATS, "--store", store, "--format", "json"],
        capture_output=True, text=True, cwd=ROOT,
    )
    total = 0
    for line in done.stderr.splitlines():
        match = re.match(r"import time:\s+\d+ \|\s+(\d+) \| (\S.*)$", line)
        if match and not match.group(2).startswith(" "):  # top-level imports only
            total += int(match.group(1))
    return total / 1e6


def steps(store: str) -> dict[str, float]:
    """The steps of ``stats --by street`` in this process (modules already imported)."""
    from geo.outputs.tables import emit
    from geo.register.stats import stats

    out: dict[str, float] = {}
    t0 = time.perf_counter()
    register = open_store(store).read(figures_only=True)  # as the command reads
    out["read (figures only)"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    _ = register.history
    out["history"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    table = stats(register, at="2024-06-30", by="street")
    out["figures"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        emit(table, "json")
    out["output"] = time.perf_counter() - t0
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=100_000)
    parser.add_argument("--per-unit", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--postgres", default=os.environ.get("QM_BENCH_POSTGRES_URL"))
    parser.add_argument("--keep", type=Path, default=None, help="folder to keep the CSV and the GeoPackage in")
    args = parser.parse_args()
    settings.max_import_rows = max(settings.max_import_rows, args.units * args.per_unit + 1)
    os.environ["QM_MAX_IMPORT_ROWS"] = str(settings.max_import_rows)
    folder = args.keep or Path(tempfile.mkdtemp(prefix="qm-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    csv = folder / f"history-{args.units}.csv"
    gpkg = folder / f"bench-{args.units}.gpkg"
    results: dict[str, dict[str, float]] = {}
    outputs: dict[str, str] = {}
    try:
        if not csv.exists():
            synthetic_history(csv, units=args.units, per_unit=args.per_unit)
        with postgres(args.postgres) as server, contextlib.ExitStack() as stack:
            stores = {"GeoPackage": str(gpkg)}
            if server:
                stores["PostGIS"] = stack.enter_context(fresh_schema(server))
            else:
                print("PostGIS: kein Server (initdb fehlt, --postgres nicht angegeben): nur GeoPackage")
            for name, store in stores.items():
                row = results.setdefault(name, {})
                if name == "GeoPackage" and gpkg.exists():
                    row["import"] = float("nan")  # kept from an earlier run
                else:
                    t0 = time.perf_counter()
                    import_file(csv, store=store, today=date(2026, 11, 1))
                    row["import"] = time.perf_counter() - t0
                t0 = time.perf_counter()
                register = open_store(store).read()
                row["read (everything)"] = time.perf_counter() - t0
                print(f"{name}: {len(register.units):,} units, {len(register.observations):,} observations", flush=True)
                del register
                row["stats --by street (command)"], outputs[f"{name} stats"] = command(STATS, store, repeat=args.repeat)
                row["timeline monthly 10 y (command)"], outputs[f"{name} timeline"] = command(
                    TIMELINE, store, repeat=args.repeat
                )
                row["  of it: module imports"] = import_seconds(store)
                for step, seconds in steps(store).items():
                    row[f"  of it: {step}"] = seconds
                print(name, {k: round(v, 2) for k, v in row.items()}, flush=True)
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)
    names = list(results)
    print(f"\n{'step':<36}" + "".join(f"{n:>14}" for n in names))
    for key in results[names[0]]:
        print(f"{key:<36}" + "".join(f"{results[n].get(key, float('nan')):>13.2f}s" for n in names))
    if len(names) == 2:
        same = all(outputs[f"GeoPackage {k}"] == outputs[f"PostGIS {k}"] for k in ("stats", "timeline"))
        print("same figures on both backends:", "yes" if same else "NO")
    slow = [n for n in names if results[n]["stats --by street (command)"] > 2.0]
    print("target: stats --by street < 2 s:", "met" if not slow else f"MISSED ({', '.join(slow)})")


if __name__ == "__main__":
    main()

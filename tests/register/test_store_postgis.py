"""The PostGIS backend beside the GeoPackage file: opening by URL, concurrency, copies, the schema steps.

The shared behaviour of both backends is in ``test_store.py``, ``test_store_interface.py`` and
``test_store_trust.py`` (``store_factory``); here what a server adds. Tests needing PostgreSQL
skip with a reason where none can be started (``tests/store_backends.py``).
"""

from __future__ import annotations

import multiprocessing
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from geo import cli, settings
from geo.errors import StoreConflict, StoreError
from geo.register.io import import_file
from geo.register.store import ChangeSet, PostgisStore, _schema, open_store, store_exists
from geo.register.store._pg import mask_url, server_name
from geo.register.store._schema import MIGRATIONS, SCHEMA_VERSION, Step
from geo.register.store.transfer import copy_store
from tests.conftest import make_observations, make_units
from tests.signin import signed_in

CSV = (
    "Straße;Hausnummer;PLZ;lon;lat;Datum;Status;Betrieb;Eigentümer\n"
    "Eisenbahnstraße;66;04315;12,4038;51,3455;01.03.2024;genutzt;Bäckerei;Muster GmbH\n"
    "Eisenbahnstraße;70;04315;12,4045;51,3456;01.03.2024;leer;;\n"
)


def run(argv: list[str], capsys) -> tuple[int, str, str]:
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def _obs(unit_id: str, name: str | None, day: str = "2023-05-01") -> pd.DataFrame:
    return make_observations([(unit_id, day, "occupied", name)]).drop(columns="obs_id")


# -- the URL: one resolver, no password shown --------------------------------------------------------


def test_urls_are_shown_without_their_password():
    assert mask_url("postgresql://hans:geheim@db.example:5432/register") == "postgresql://hans:***@db.example:5432/register"
    assert "geheim" not in mask_url("postgresql://hans@db/register?password=geheim&sslmode=require")
    assert mask_url("postgresql://hans@db/register") == "postgresql://hans@db/register"
    assert server_name("postgresql://hans:geheim@db.example:6543/register") == (
        "Datenbank register auf db.example:6543 (Benutzer hans)"
    )
    assert PostgisStore("postgresql://a:b%40c@h/d").location == "postgresql://a:***@h/d"


def test_a_url_stays_a_url_everywhere_a_store_is_named(monkeypatch):
    url = "postgresql://hans@localhost:5432/register"
    assert settings.store_location(url) == url  # a Path would fold the '//'
    assert settings.store_location("~/register.gpkg") == Path.home() / "register.gpkg"
    monkeypatch.setenv("QM_STORE", url)
    assert settings.named_store_path() == url
    args = cli.build_parser().parse_args(["stats", "--store", url])
    assert args.store == url
    with pytest.raises(StoreError, match=r"postgresq://hans:\*\*\*@db/register unbekannt") as caught:
        open_store("postgresq://hans:geheim@db/register")  # a mistyped scheme: no file looked for
    assert "geheim" not in str(caught.value)


def test_an_unreachable_server_is_named_without_the_password(capsys, monkeypatch):
    url = "postgresql://hans:Geheim-42@127.0.0.1:9/register"  # port 9 (discard): nothing listens
    code, out, err = run(["stats", "--store", url], capsys)
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "nicht erreichbar" in err and "Datenbank register auf 127.0.0.1:9" in err
    assert "Geheim-42" not in err
    monkeypatch.setenv("QM_STORE", url)
    code, _, err = run(["import", "liste.csv"], capsys)
    assert code == 2 and "Geheim-42" not in err


# -- opening, creating, refusing ------------------------------------------------------------------------


def test_qm_store_url_is_used_by_the_commands(postgis_url, tmp_path, capsys, monkeypatch):
    csv = tmp_path / "liste.csv"
    csv.write_text(CSV, encoding="utf-8")
    monkeypatch.setenv("QM_STORE", postgis_url)
    assert not store_exists(postgis_url)
    code, _, err = run(["import", str(csv)], capsys)  # creates the register on the server
    assert code == 0, err
    code, out, err = run(["stats", "--format", "json"], capsys)
    assert code == 0 and "Demo" not in err
    assert '"units": 2' in out and '"occupied": 1' in out


def test_a_rejected_first_import_leaves_the_database_as_it_was(postgis_url, tmp_path, capsys):
    bad = tmp_path / "liste.csv"
    bad.write_text(CSV.replace("01.03.2024;leer", "31.02.2024;leer"), encoding="utf-8")
    code, _, _ = run(["import", str(bad), "--store", postgis_url], capsys)
    assert code == 2
    assert not store_exists(postgis_url)
    # a write failing after the register was made: the tables made for it are gone again
    from geo.register.store import remove_new_store

    open_store(postgis_url, create=True)
    remove_new_store(postgis_url)
    import psycopg

    with psycopg.connect(postgis_url) as con:
        left = con.execute(
            "SELECT (SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()),"
            " (SELECT count(*) FROM pg_proc WHERE pronamespace = current_schema()::regnamespace)"
        ).fetchone()
    assert left == (0, 0)


def test_a_schema_without_a_register_is_refused_or_made(postgis_url):
    with pytest.raises(StoreError, match="enthält kein Register.*store copy"):
        open_store(postgis_url)
    store = open_store(postgis_url, create=True)
    assert store.version() == 0 and store.meta()["schema_version"] == str(SCHEMA_VERSION)
    assert isinstance(open_store(postgis_url), PostgisStore)


def test_foreign_tables_of_the_same_name_are_not_taken_over(postgis_url):
    import psycopg

    with psycopg.connect(postgis_url) as con:
        con.execute("CREATE TABLE units (id integer)")
    with pytest.raises(StoreError, match="Tabellen namens units"):
        open_store(postgis_url, create=True)


def test_geometry_columns_and_indexes_for_qgis(postgis_url):
    import psycopg

    open_store(postgis_url, create=True)
    with psycopg.connect(postgis_url) as con:
        columns = set(con.execute(
            "SELECT f_table_name, type, srid FROM geometry_columns WHERE f_table_schema = current_schema()"
        ).fetchall())
        indexes = {r[0] for r in con.execute(
            "SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() AND indexdef LIKE '%USING gist%'"
        )}
    assert columns == {("units", "POINT", 4326), ("boundaries", "MULTIPOLYGON", 4326)}
    assert len(indexes) == 2


def test_a_new_step_is_one_entry_and_reaches_existing_stores(postgis_url, monkeypatch):
    import psycopg

    store = open_store(postgis_url, create=True)
    store.write(ChangeSet(new_units=make_units([{"unit_id": "A"}])))
    step = Step(SCHEMA_VERSION + 1, "Testspalte", both=("ALTER TABLE units ADD COLUMN test_note TEXT",))
    monkeypatch.setattr(_schema, "MIGRATIONS", (*MIGRATIONS, step))
    monkeypatch.setattr(_schema, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    monkeypatch.setattr("geo.register.store._pg_schema.MIGRATIONS", (*MIGRATIONS, step))
    monkeypatch.setattr("geo.register.store._pg_schema.SCHEMA_VERSION", SCHEMA_VERSION + 1)
    monkeypatch.setattr("geo.register.store.postgis.SCHEMA_VERSION", SCHEMA_VERSION + 1)
    opened = open_store(postgis_url)
    assert opened.meta()["schema_version"] == str(SCHEMA_VERSION + 1)
    assert opened.version() == 1  # an upgrade changes no register data
    with psycopg.connect(postgis_url) as con:
        steps = [r[0] for r in con.execute("SELECT version FROM qm_migrations ORDER BY version")]
        con.execute("SELECT test_note FROM units")
    assert steps == list(range(1, SCHEMA_VERSION + 2))


# -- other programs (QGIS) and several writers --------------------------------------------------------------


def test_an_open_edit_in_another_program_neither_blocks_reading_nor_deadlocks_a_write(postgis_url):
    import psycopg

    store = open_store(postgis_url, create=True)
    store.write(ChangeSet(new_units=make_units([{"unit_id": "A"}, {"unit_id": "B"}])))
    qgis = psycopg.connect(postgis_url)  # an editing session: a row changed, not yet saved
    qgis.execute("UPDATE units SET street = 'QGIS-Straße' WHERE unit_id = 'A'")
    assert store.version() == 1 and len(store.read().units) == 2  # readers do not wait
    done: list[object] = []
    writer = threading.Thread(target=lambda: done.append(store.write(ChangeSet(
        unit_updates=pd.DataFrame({"unit_id": ["A"], "postcode": ["04315"]}),
        observations=_obs("A", "Laden"),
    ))))
    writer.start()
    time.sleep(0.5)
    assert not done  # the write waits for the row QGIS holds ...
    qgis.execute("UPDATE units SET street = 'QGIS-Weg' WHERE unit_id = 'B'")  # ... and QGIS goes on editing
    qgis.commit()
    qgis.close()
    writer.join(timeout=20)
    assert done and done[0].version == 2
    units = store.read().units.set_index("unit_id")
    assert units.loc["A", "street"] == "QGIS-Straße" and units.loc["A", "postcode"] == "04315"
    assert store.version() == 4  # our write once, QGIS's two rows one each


def _edits(target: str, worker: int, count: int, queue) -> None:
    """One process editing units A and B: read the version, write on it; count what happened."""
    written, conflicts, crashes = [], 0, []
    store = open_store(target)
    for i in range(count):
        name = f"P{worker}-{i}"
        unit = "AB"[i % 2]
        try:
            seen = store.version()
            store.write(
                ChangeSet(
                    unit_updates=pd.DataFrame({"unit_id": [unit], "address_note": [name]}),
                    observations=_obs(unit, name),
                ),
                expected_version=seen,
            )
            written.append(name)
        except StoreConflict:
            conflicts += 1
        except Exception as exc:  # noqa: BLE001 - counted and reported by the test
            crashes.append(f"{type(exc).__name__}: {exc}")
    queue.put((written, conflicts, crashes))


def test_two_processes_editing_the_same_units_lose_nothing(store_factory):
    """2 processes x 500 edits on the same two units (about 10 s per backend on the 2-core machine)."""
    store = store_factory()
    store.write(ChangeSet(new_units=make_units([{"unit_id": "A"}, {"unit_id": "B"}])))
    count = 500
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    workers = [context.Process(target=_edits, args=(store.target, w, count, queue)) for w in (1, 2)]
    started = time.perf_counter()
    for w in workers:
        w.start()
    results = [queue.get(timeout=600) for _ in workers]
    for w in workers:
        w.join(timeout=60)
    seconds = time.perf_counter() - started
    written = [name for names, _, _ in results for name in names]
    conflicts = sum(c for _, c, _ in results)
    crashes = [c for _, _, cs in results for c in cs]
    print(f"{store_factory.name}: {len(written)} written, {conflicts} conflicts, {len(crashes)} crashes, {seconds:.1f} s")
    assert crashes == []
    assert len(written) + conflicts == 2 * count  # every edit either written or reported as a conflict
    stored = store.read().observations["business_name"].dropna().tolist()
    assert sorted(stored) == sorted(written)  # nothing lost, nothing written twice
    assert store.version() == 1 + len(written)
    assert written and conflicts  # both happened: the processes did overlap


# -- copies ----------------------------------------------------------------------------------------------


def _rich_register(path: Path, csv: Path) -> Path:
    """A register with an import, a correction, visits (one linked to its observation) and boundaries."""
    import_file(csv, store=path, today=pd.Timestamp("2024-06-01").date())
    store = open_store(path)
    first = int(store.read().observations["obs_id"].iloc[0])
    obs = make_observations([
        ("u1", "2024-03-01", "vacant", None, {"supersedes": first, "note": "Korrektur"}),
        ("u1", "2024-05-01", "occupied", "Café Neu"),
    ]).drop(columns="obs_id")
    unit = store.read().units["unit_id"].iloc[0]
    obs["unit_id"] = unit
    visits = pd.DataFrame([
        {"unit_id": unit, "visited_on": pd.Timestamp("2024-05-01"), "outcome": "status_changed", "obs_index": 1},
        {"unit_id": unit, "visited_on": pd.Timestamp("2024-05-02"), "outcome": "follow_up",
         "follow_up_on": pd.Timestamp("2024-06-01"), "note": "Rückruf"},
    ])
    result = store.write(ChangeSet(observations=obs, visits=visits))
    store.write(ChangeSet(follow_ups_done=[result.visit_ids[1]], meta={"label": "Testregister"}))
    return path


def _figures(store: str, capsys) -> list[str]:
    outputs = []
    for argv in (["stats", "--by", "street", "--format", "json", "--at", "2024-06-01"],
                 ["stats", "--by", "ortsteil", "--format", "json", "--at", "2024-06-01"],
                 ["timeline", "--freq", "month", "--from", "2024-01-01", "--to", "2024-06-30", "--format", "json"]):
        code, out, err = run([*argv, "--store", store], capsys)
        assert code == 0, err
        outputs.append(out)
    return outputs


def test_copy_to_postgis_and_back_keeps_every_figure_and_id(postgis_url, tmp_path, capsys):
    csv = tmp_path / "liste.csv"
    csv.write_text(CSV, encoding="utf-8")
    source = _rich_register(tmp_path / "register.gpkg", csv)
    before = _figures(str(source), capsys)
    code, out, err = run(["store", "copy", str(source), postgis_url], capsys)
    assert code == 0, err
    assert "2 Einheiten, 4 Beobachtungen, 2 Besuche, 1 Importe" in out
    assert _figures(postgis_url, capsys) == before
    back = tmp_path / "zurueck.gpkg"
    code, _, err = run(["store", "copy", postgis_url, str(back)], capsys)
    assert code == 0, err
    assert _figures(str(back), capsys) == before
    one, two, three = (open_store(p) for p in (source, postgis_url, back))
    for reg in (two.read(), three.read()):
        orig = one.read()
        pd.testing.assert_frame_equal(reg.observations, orig.observations)
        pd.testing.assert_frame_equal(reg.visits, orig.visits)
        assert list(reg.units["unit_id"]) == list(orig.units["unit_id"])
        assert reg.meta["label"] == "Testregister"
    assert one.imports().drop(columns="imported_at").equals(two.imports().drop(columns="imported_at"))
    assert list(three.imports()["imported_at"]) == list(one.imports()["imported_at"])
    # the copies go on with new ids after the copied ones
    assert two.write(ChangeSet(observations=_obs(one.read().units["unit_id"].iloc[0], "Danach"))).obs_ids == [5]


def test_a_failed_copy_leaves_no_register_on_the_server(postgis_url, tmp_path, monkeypatch):
    csv = tmp_path / "liste.csv"
    csv.write_text(CSV, encoding="utf-8")
    source = _rich_register(tmp_path / "register.gpkg", csv)
    assert not PostgisStore(postgis_url).exists()

    def broken(self, changes, **_):
        raise StoreError("Verbindung verloren")

    monkeypatch.setattr(PostgisStore, "write", broken)
    with pytest.raises(StoreError, match="Verbindung verloren"):
        copy_store(source, postgis_url)
    assert not PostgisStore(postgis_url).exists()  # the register made for the copy is gone again
    monkeypatch.undo()
    copy_store(source, postgis_url)  # and the target takes a copy as if nothing had happened
    assert len(open_store(postgis_url).read().observations) == 4


def test_copy_refuses_a_target_that_holds_a_register(postgis_url, tmp_path, capsys):
    csv = tmp_path / "liste.csv"
    csv.write_text(CSV, encoding="utf-8")
    source = _rich_register(tmp_path / "register.gpkg", csv)
    copy_store(source, postgis_url)
    target = open_store(postgis_url)
    version = target.version()
    code, _, err = run(["store", "copy", str(source), postgis_url, "--replace"], capsys)
    assert code == 2 and "enthält bereits ein Register" in err and err.count("\n") == 1
    assert target.version() == version and len(target.read().observations) == 4
    existing = tmp_path / "vorhanden.gpkg"
    existing.write_bytes(b"alt")
    code, _, err = run(["store", "copy", postgis_url, str(existing)], capsys)
    assert code == 2 and "--replace" in err and existing.read_bytes() == b"alt"
    code, _, err = run(["store", "copy", postgis_url, str(existing), "--replace"], capsys)
    assert code == 0, err
    assert len(open_store(existing).read().observations) == 4
    code, _, err = run(["store", "copy", str(source), str(source)], capsys)
    assert code == 2 and "dasselbe Register" in err


def test_a_reading_role_reads_but_cannot_write(postgis_url):
    import uuid
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    store = open_store(postgis_url, create=True)
    store.write(ChangeSet(new_units=make_units([{"unit_id": "A"}]), observations=_obs("A", "Laden")))
    role = f"leser_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(postgis_url, autocommit=True) as con:
        schema = con.execute("SELECT current_schema()").fetchone()[0]
        con.execute(f"CREATE ROLE {role} LOGIN PASSWORD 'Lese-Passwort-1'")
        con.execute(f"GRANT USAGE ON SCHEMA {schema} TO {role}")
        con.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO {role}")
    parts = urlsplit(postgis_url)
    host = parts.netloc.rpartition("@")[2]
    reader_url = urlunsplit(parts._replace(netloc=f"{role}:Lese-Passwort-1@{host}"))
    try:
        reader = open_store(reader_url)
        assert list(reader.read().observations["business_name"]) == ["Laden"] and reader.version() == 1
        with pytest.raises(StoreError, match="Keine Berechtigung") as caught:
            reader.write(ChangeSet(observations=_obs("A", "Nicht erlaubt")))
        assert "Lese-Passwort-1" not in str(caught.value) and "***" in reader.location
        assert store.version() == 1 and len(store.read().observations) == 1
    finally:
        with psycopg.connect(postgis_url, autocommit=True) as con:
            con.execute(f"DROP OWNED BY {role}")
            con.execute(f"DROP ROLE {role}")


def test_the_app_works_on_a_server_register_and_never_shows_its_password(postgis_url, tmp_path):
    from urllib.parse import urlsplit, urlunsplit

    from streamlit.testing.v1 import AppTest

    csv = tmp_path / "liste.csv"
    csv.write_text(CSV, encoding="utf-8")
    import_file(csv, store=postgis_url, today=pd.Timestamp("2024-06-01").date())
    parts = urlsplit(postgis_url)
    user, _, host = parts.netloc.rpartition("@")
    with_password = urlunsplit(parts._replace(netloc=f"{user}:Geheim-App-7@{host}"))  # the test server trusts
    root = Path(__file__).resolve().parents[2]
    at = AppTest.from_file(str(root / "streamlit_app.py"), default_timeout=60)
    at.session_state["qm_store_path"] = with_password
    signed_in(at)
    at.run()
    at.switch_page("pages/daten.py").run()
    assert not at.exception, [e.value for e in at.exception]
    shown = " ".join(str(e.value) for kind in ("caption", "markdown", "error", "warning", "info") for e in at.get(kind))
    assert "Aktuelles Register: postgresql://" in shown and ":***@" in shown
    assert "Geheim-App-7" not in shown

"""Accounts and the audit trail in the store, on both backends: sign-in, pause, append-only, copy, CLI.

Tests taking ``store`` run on the GeoPackage file and on PostGIS (``store_factory``, see
``tests/store_backends.py``); the audit hooks of the other subcommands run on the file.
"""

from __future__ import annotations

import contextlib
import getpass
import io
import logging
import sqlite3
import sys
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from geo import cli, settings
from geo.access.accounts import (
    SIGN_IN_REFUSED,
    Account,
    AuditAction,
    AuditEvent,
    SignInFailed,
    add_account,
    cli_account,
    record,
    remove_account,
    sign_in,
)
from geo.access.roles import Role
from geo.errors import InputError, StoreError
from geo.register.io import export_units
from geo.register.store import ChangeSet, open_store
from geo.register.store.transfer import copy_store
from tests.conftest import make_units

#: The moment of the tries stepped through (after every real "now" of the test run: the trail sorts by time).
T0 = datetime(2099, 3, 2, 9, 0, tzinfo=UTC)
PASSWORD = "richtig-und-lang"
CSV = (
    "Nr.;Straße;Hausnummer;PLZ;lon;lat;Datum;Status;Betrieb;Fläche;Eigentümer;Telefon\n"
    "E-1;Eisenbahnstraße;66;04315;12,4038;51,3455;01.03.2024;genutzt;Bäckerei;85,5;Muster GmbH;0341 555 0101\n"
    "E-2;Eisenbahnstraße;70;04315;12,4045;51,3456;01.03.2024;leer;;120;;\n"
)


@pytest.fixture
def store(store_factory):
    """A store with two units (one write, version 1), on each backend."""
    s = store_factory()
    s.write(ChangeSet(new_units=make_units([{"unit_id": "A"}, {"unit_id": "B"}])))
    return s


def _hashes(store) -> list[str]:
    return [a.password_hash for a in store.accounts() if a.password_hash]


def _run_cli(argv: list[str], monkeypatch, capsys, *, stdin: str = "") -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = cli.main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


# -- accounts ---------------------------------------------------------------------------------------------


def test_accounts_are_added_listed_replaced_and_removed(store):
    assert store.accounts() == [] and store.account("mm") is None
    made = add_account(store, " mm ", role=Role.OFFICE, password=PASSWORD, by="admin")
    add_account(store, "anna@leipzig.de", role=Role.CITY, password=None, by="admin")
    assert [(a.name, a.role) for a in store.accounts()] == [("anna@leipzig.de", Role.CITY), ("mm", Role.OFFICE)]
    stored = store.account("mm")
    assert stored is not None and stored.password_hash == made.password_hash
    assert stored.password_hash.startswith("$argon2id$") and PASSWORD not in stored.password_hash
    assert stored.created.tzinfo is not None and abs(stored.created - made.created) < timedelta(seconds=1)
    assert store.account("anna@leipzig.de").password_hash is None
    # replacing: new role and password, the time it was made stays
    add_account(store, "mm", role=Role.ADMIN, password="ein-anderes-passwort", by="admin")
    again = store.account("mm")
    assert again.role == Role.ADMIN and again.created == stored.created
    assert again.password_hash != stored.password_hash
    remove_account(store, "mm", by="admin")
    assert [a.name for a in store.accounts()] == ["anna@leipzig.de"]
    with pytest.raises(InputError, match="Kein Konto mit dem Namen 'mm'"):
        remove_account(store, "mm", by="admin")
    assert store.delete_account("mm") is False
    trail = store.audit()
    assert list(trail["action"]) == ["konto_angelegt", "konto_angelegt", "konto_angelegt", "konto_entfernt"]
    assert list(trail["account"]) == ["admin"] * 4
    assert trail["detail"].iloc[2] == "mm (admin, geändert)"


def test_bad_names_and_short_passwords_are_refused_and_nothing_is_stored(store):
    with pytest.raises(InputError, match="Ungültiger Kontoname"):
        add_account(store, "max muster", role=Role.OFFICE, password=PASSWORD, by="admin")
    with pytest.raises(InputError, match=f"mindestens {settings.min_password_chars} Zeichen"):
        add_account(store, "mm", role=Role.OFFICE, password="kurz", by="admin")
    assert store.accounts() == [] and store.audit().empty


def test_an_unknown_role_in_the_table_is_a_clear_error(store, store_factory):
    add_account(store, "mm", role=Role.OFFICE, password=None, by="admin")
    store_factory.sql(store, "UPDATE accounts SET role = 'chef' WHERE name = 'mm'")
    with pytest.raises(StoreError, match="Konto 'mm' hat die unbekannte Rolle 'chef'.*users add mm --role"):
        store.account("mm")


# -- sign-in ---------------------------------------------------------------------------------------------


def test_sign_in_checks_the_password_with_one_message_for_every_refusal(store):
    add_account(store, "mm", role=Role.OFFICE, password=PASSWORD, by="admin")
    add_account(store, "idp@leipzig.de", role=Role.CITY, password=None, by="admin")
    assert sign_in(store, "mm", PASSWORD, now=T0).role == Role.OFFICE
    refusals = []
    for name, password in (("mm", "falsch-und-lang"), ("niemand", PASSWORD), ("idp@leipzig.de", ""), ("", PASSWORD)):
        with pytest.raises(SignInFailed) as info:
            sign_in(store, name, password, now=T0)
        refusals.append((str(info.value), info.value.retry_after))
    assert refusals == [(SIGN_IN_REFUSED, 0)] * 4
    trail = store.audit()
    assert list(zip(trail["account"], trail["action"], strict=True))[-4:] == [
        ("mm", "anmeldung"), ("mm", "anmeldung_fehlgeschlagen"), ("niemand", "anmeldung_fehlgeschlagen"),
        ("idp@leipzig.de", "anmeldung_fehlgeschlagen"),
    ]
    assert trail["at"].iloc[-1] == pd.Timestamp(T0)


def test_five_failures_pause_the_account_tries_meanwhile_do_not_prolong_it_success_resets(store):
    add_account(store, "mm", role=Role.OFFICE, password=PASSWORD, by="admin")
    for i in range(settings.signin_max_failures):
        with pytest.raises(SignInFailed, match="Name oder Passwort falsch"):
            sign_in(store, "mm", f"falsch-{i}-lang", now=T0 + timedelta(seconds=i))
    last = T0 + timedelta(seconds=settings.signin_max_failures - 1)
    # paused: even the right password is refused, with the seconds to wait
    for later in (1, 30, settings.signin_pause_s - 1):
        with pytest.raises(SignInFailed, match="Zu viele fehlgeschlagene Anmeldungen") as info:
            sign_in(store, "mm", PASSWORD, now=last + timedelta(seconds=later))
        assert info.value.retry_after == settings.signin_pause_s - later
    assert store.audit(account="mm")["action"].tolist().count("anmeldung_pausiert") == 3
    # the tries during the pause did not prolong it: it ends pause_s after the last failure
    assert sign_in(store, "mm", PASSWORD, now=last + timedelta(seconds=settings.signin_pause_s)).name == "mm"
    # the success reset the count: four more failures do not pause
    moment = last + timedelta(seconds=settings.signin_pause_s + 1)
    for _ in range(settings.signin_max_failures - 1):
        with pytest.raises(SignInFailed, match="Name oder Passwort falsch"):
            sign_in(store, "mm", "falsch-und-lang", now=moment)
    assert sign_in(store, "mm", PASSWORD, now=moment).name == "mm"


def test_failures_outside_the_window_do_not_count(store):
    add_account(store, "mm", role=Role.OFFICE, password=PASSWORD, by="admin")
    for _ in range(settings.signin_max_failures):
        with pytest.raises(SignInFailed):
            sign_in(store, "mm", "falsch-und-lang", now=T0)
    later = T0 + timedelta(seconds=settings.signin_failure_window_s + 1)
    assert sign_in(store, "mm", PASSWORD, now=later).name == "mm"
    assert len(store.audit(since=later)) == 1
    assert len(store.audit(since=later - timedelta(seconds=1), account="niemand")) == 0


# -- the hash is never shown ----------------------------------------------------------------------------


def test_the_hash_never_appears_in_repr_logs_errors_exports_or_read(store, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    account = add_account(store, "mm", role=Role.OFFICE, password=PASSWORD, by="admin")
    secret = account.password_hash
    assert secret and secret not in repr(account) and secret not in str(account)
    assert secret not in repr(store.accounts()) and secret not in repr(ChangeSet(accounts=store.accounts()))
    sign_in(store, "mm", PASSWORD)
    with pytest.raises(SignInFailed) as info:
        sign_in(store, "mm", "falsch-und-lang")
    assert secret not in str(info.value)
    register = store.read()
    assert secret not in repr(register.meta) and "accounts" not in register.meta
    out = export_units(register, tmp_path / "liste.csv", internal=True)
    assert secret not in out.read_text(encoding="utf-8-sig") and PASSWORD not in out.read_text(encoding="utf-8-sig")
    assert secret not in caplog.text and PASSWORD not in caplog.text
    assert not store.audit()["detail"].str.contains(secret, regex=False).any()


def test_a_failed_account_write_names_no_hash(store, monkeypatch):
    account = add_account(store, "mm", role=Role.OFFICE, password=PASSWORD, by="admin")
    bad = Account(name="mm", role=Role.OFFICE, password_hash=account.password_hash, created=account.created)
    # an error whose driver message quotes the row (as PostgreSQL's "Failing row contains ..." does)
    @contextlib.contextmanager
    def failing(self):
        raise StoreError(f"Schreiben abgelehnt: Failing row contains (mm, buero, {account.password_hash})")
        yield  # pragma: no cover

    monkeypatch.setattr(type(store), "_access_write", failing)
    with pytest.raises(StoreError) as info:
        store.put_account(bad)
    assert account.password_hash not in str(info.value) and "***" in str(info.value)


# -- append-only, not register data --------------------------------------------------------------------------


def test_the_audit_trail_is_append_only_against_raw_sql(store, store_factory):
    record(store, "admin", AuditAction.IMPORT, "liste.csv")
    before = store.audit()
    statements = ["UPDATE audit SET detail = 'x'", "DELETE FROM audit"]
    if store_factory.name == "gpkg":
        statements.append("INSERT OR REPLACE INTO audit (id, at, account, action, detail) VALUES (1, 'x', 'y', 'z', '')")
    else:
        statements.append("TRUNCATE audit")
    for statement in statements:
        with pytest.raises(store_factory.errors, match="append-only"):
            store_factory.sql(store, statement)
    pd.testing.assert_frame_equal(store.audit(), before)
    store_factory.sql(store, "INSERT INTO audit (at, account, action, detail) VALUES ('2026-01-01T00:00:00Z', 'q', 'x', '')")
    assert len(store.audit()) == 2  # appending stays possible


def test_accounts_and_audit_do_not_change_the_version_and_are_no_layers(store, store_factory):
    assert store.version() == 1
    add_account(store, "mm", role=Role.OFFICE, password=PASSWORD, by="admin")
    sign_in(store, "mm", PASSWORD)
    record(store, "admin", AuditAction.EXPORT_PERSONAL, "liste-intern.csv")
    store.put_account(Account("x", Role.CITY, None, T0))
    store.delete_account("x")
    store_factory.sql(store, "INSERT INTO audit (at, account, action, detail) VALUES ('2026-01-01T00:00:00Z', 'q', 'x', '')")
    store_factory.sql(store, "UPDATE accounts SET role = 'admin' WHERE name = 'mm'")  # as another program
    assert store.version() == 1
    assert store.write(ChangeSet(meta={"note": "x"})).version == 2  # register writes still count
    if store_factory.name == "gpkg":
        tables = {r[0] for r in store_factory.rows(store, "SELECT table_name FROM gpkg_contents")}
        assert not {"accounts", "audit"} & tables


def test_an_older_store_receives_the_tables_on_open(store, store_factory):
    record(store, "admin", AuditAction.IMPORT, "x")
    drop = ["DROP TABLE audit", "DROP TABLE accounts", "DELETE FROM qm_migrations WHERE version = 6",
            "UPDATE qm_meta SET value = '5' WHERE key = 'schema_version'"]
    store_factory.sql(store, *drop)
    assert type(store)(store.target).audit().empty  # not upgraded yet: read as it is, nothing there
    opened = open_store(store.target)
    assert opened.meta()["schema_version"] == "6"
    assert 6 in {v for (v,) in store_factory.rows(store, "SELECT version FROM qm_migrations")}
    assert opened.version() == 1  # an upgrade changes no register data
    add_account(opened, "mm", role=Role.OFFICE, password=None, by="admin")
    assert [a.name for a in opened.accounts()] == ["mm"]
    with pytest.raises(store_factory.errors, match="append-only"):
        store_factory.sql(store, "DELETE FROM audit")


def test_an_older_store_is_upgraded_by_an_account_write_too(store, store_factory):
    store_factory.sql(store, "DROP TABLE audit", "DROP TABLE accounts", "DELETE FROM qm_migrations WHERE version = 6",
                      "UPDATE qm_meta SET value = '5' WHERE key = 'schema_version'")
    old = type(store)(store.target)  # no check() on open
    record(old, "admin", AuditAction.IMPORT, "x")
    assert len(old.audit()) == 1 and old.meta()["schema_version"] == "6" and old.version() == 1


def test_store_copy_carries_accounts_and_audit(store, store_factory, tmp_path):
    add_account(store, "mm", role=Role.OFFICE, password=PASSWORD, by="admin")
    sign_in(store, "mm", PASSWORD, now=T0)
    # the same backend, and PostGIS -> file
    targets = [store_factory.new_url("ziel")] + ([str(tmp_path / "kopie.gpkg")] if store_factory.name == "postgis" else [])
    for target in targets:
        result = copy_store(store.target, target)
        assert (result.accounts, result.audit) == (1, 2)
        copied = open_store(target)
        assert copied.accounts()[0].password_hash == store.accounts()[0].password_hash
        assert copied.accounts()[0].created == store.accounts()[0].created
        pd.testing.assert_frame_equal(copied.audit(), store.audit())
        assert sign_in(copied, "mm", PASSWORD).name == "mm"  # the hash works there


# -- command line ------------------------------------------------------------------------------------------


def test_cli_users_add_list_remove(store, monkeypatch, capsys):
    where = ["--store", store.target]
    code, out, err = _run_cli(["users", "add", "mm", "--role", "buero", *where], monkeypatch, capsys,
                              stdin=PASSWORD + "\n")
    assert (code, err) == (0, "") and "Konto 'mm' gespeichert, Rolle Büro" in out
    assert sign_in(store, "mm", PASSWORD).role == Role.OFFICE
    assert store.audit()["account"].iloc[0] == cli_account() == f"cli:{getpass.getuser()}"
    code, out, _ = _run_cli(["users", "add", "kurz", "--role", "admin", *where], monkeypatch, capsys, stdin="abc\n")
    assert code == 2 and store.account("kurz") is None
    with pytest.raises(SystemExit) as exit_info:  # argparse: no account of the public role
        _run_cli(["users", "add", "x", "--role", "oeffentlich", *where], monkeypatch, capsys)
    assert exit_info.value.code == 2 and "ungültige Auswahl" in capsys.readouterr().err
    assert _run_cli(["users", "add", "idp@leipzig.de", "--role", "stadt", "--oidc", *where], monkeypatch, capsys)[0] == 0
    secret = store.account("mm").password_hash
    for fmt in ("table", "csv", "json"):
        code, out, _ = _run_cli(["users", "list", "--format", fmt, *where], monkeypatch, capsys)
        assert code == 0 and "mm" in out and "idp@leipzig.de" in out and "Identitätsanbieter" in out
        assert secret not in out and "argon2" not in out and PASSWORD not in out
    code, out, err = _run_cli(["users", "remove", "niemand", *where], monkeypatch, capsys)
    assert code == 2 and out == ""
    assert err.startswith("Fehler: Kein Konto mit dem Namen 'niemand'") and "users list" in err
    code, out, _ = _run_cli(["users", "remove", "mm", *where], monkeypatch, capsys)
    assert code == 0 and "entfernt" in out and store.account("mm") is None


def test_cli_users_without_a_store_works_on_the_demo_working_copy_and_says_so(tmp_path, monkeypatch, capsys):
    # a fresh user folder: other tests sign in with accounts put into the session's demo working copy
    monkeypatch.setenv("QM_DATA_DIR", str(tmp_path / "userdata"))
    code, out, err = _run_cli(["users", "list"], monkeypatch, capsys)
    assert code == 0 and err.startswith("Hinweis: Demo-Register (fiktiv)") and "Keine Konten in" in out


def test_cli_records_imports_internal_exports_boundaries_and_copies(tmp_path, monkeypatch, capsys):
    path = tmp_path / "register.gpkg"
    (tmp_path / "liste.csv").write_text(CSV, encoding="utf-8-sig")
    assert _run_cli(["import", str(tmp_path / "liste.csv"), "--store", str(path)], monkeypatch, capsys)[0] == 0
    store = open_store(path)
    version = store.version()
    assert _run_cli(["export", "--store", str(path), "--out", str(tmp_path / "a.csv")], monkeypatch, capsys)[0] == 0
    assert len(store.audit()) == 1  # a public export is not recorded
    assert _run_cli(["export", "--store", str(path), "--out", str(tmp_path / "b.csv"), "--internal"],
                    monkeypatch, capsys)[0] == 0
    store.read().boundaries.to_file(tmp_path / "ortsteile.geojson")
    code, _, err = _run_cli(["boundaries", "--store", str(path), str(tmp_path / "ortsteile.geojson"),
                             "--name-column", "name"], monkeypatch, capsys)
    assert code == 0, err
    assert store.version() == version + 1  # the boundaries, not the audit lines
    code, out, _ = _run_cli(["store", "copy", str(path), str(tmp_path / "kopie.gpkg")], monkeypatch, capsys)
    assert code == 0 and "0 Konten, 3 Protokolleinträge" in out
    trail = store.audit()
    assert set(trail["account"]) == {cli_account()}
    assert list(trail["action"]) == ["import", "export_intern", "grenzen", "register"]
    assert trail["detail"].iloc[0] == (
        "liste.csv: 2 Zeilen gelesen, 2 Einheiten neu, 0 geändert, 2 Beobachtungen, 0 Zeilen abgewiesen"
    )
    assert trail["detail"].iloc[1].startswith("b.csv (csv): 2 Einheiten")
    assert trail["detail"].iloc[2].startswith("ortsteile.geojson: 12 Ortsteile")
    assert trail["detail"].iloc[3].startswith(f"Kopie nach {tmp_path / 'kopie.gpkg'}")
    copied = open_store(tmp_path / "kopie.gpkg").audit()
    assert list(copied["action"]) == ["import", "export_intern", "grenzen", "register"]
    assert copied["detail"].iloc[-1].startswith(f"Kopie von {path}")
    assert not any("Muster GmbH" in d or "0341" in d for d in trail["detail"])  # no personal data


def test_an_internal_export_is_refused_when_the_audit_cannot_be_written(tmp_path, monkeypatch, capsys):
    path = tmp_path / "register.gpkg"
    (tmp_path / "liste.csv").write_text(CSV, encoding="utf-8-sig")
    assert _run_cli(["import", str(tmp_path / "liste.csv"), "--store", str(path)], monkeypatch, capsys)[0] == 0
    con = sqlite3.connect(path)  # the audit trail broken by hand: the trigger refuses every new line
    con.execute("CREATE TRIGGER audit_stop BEFORE INSERT ON audit BEGIN SELECT RAISE(ABORT, 'gesperrt'); END")
    con.commit()
    con.close()
    code, _, err = _run_cli(["export", "--store", str(path), "--out", str(tmp_path / "b.csv"), "--internal"],
                            monkeypatch, capsys)
    assert code == 2 and "gesperrt" in err
    assert not (tmp_path / "b-intern.csv").exists()


def test_audit_event_times_without_zone_are_utc(store):
    store.append_audit([AuditEvent(datetime(2026, 1, 1, 12, 0), "admin", AuditAction.STORE, "x")])
    assert store.audit()["at"].iloc[0] == pd.Timestamp("2026-01-01 12:00", tz="UTC")


def test_the_cli_account_survives_a_missing_user_name(monkeypatch):
    def missing() -> str:
        raise OSError("no user")

    monkeypatch.setattr(getpass, "getuser", missing)
    assert cli_account() == "cli:unbekannt"



def test_copying_the_shipped_demo_leaves_it_byte_identical(tmp_path, capsys):
    """'store copy' of a demo register records the copy in the target only (the demo stays as shipped)."""
    demo = tmp_path / "demo.gpkg"
    demo.write_bytes(settings.demo_store_path.read_bytes())
    before = demo.read_bytes()
    target = tmp_path / "kopie.gpkg"
    assert cli.main(["store", "copy", str(demo), str(target)]) == 0
    assert demo.read_bytes() == before
    trail = open_store(target).audit()
    assert list(trail["action"]) == ["register"]
    assert trail["detail"].iloc[0].startswith("Kopie von ")

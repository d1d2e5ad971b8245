"""PostgreSQL plumbing of the PostGIS store: the URL, the connection, errors in German, COPY.

- :func:`mask_url`: the URL without its password, for every message and log line;
- :func:`server_name`: "Datenbank D auf H:P" for messages;
- :func:`connect`: a connection in UTC, or a :class:`~geo.errors.StoreError` naming host and
  database (never the password);
- :func:`pg_error`: a PostgreSQL error as the :class:`~geo.errors.StoreError` naming the cause;
- :func:`copy_in`, :func:`copy_out`: rows in and out through ``COPY`` (a million rows in seconds).

psycopg (the ``postgis`` extra) is imported only here and only when a server is used.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from geo.errors import StoreError

if TYPE_CHECKING:
    import psycopg

#: Seconds to wait for the server when the URL does not say (``connect_timeout``).
CONNECT_TIMEOUT_S = 10

#: Whether the store's schema (the first of the ``search_path`` that exists) has a table of the given
#: name: a register further down the path (``public``) is not taken for the one of this schema.
HAS_TABLE = "SELECT to_regclass(quote_ident(current_schema()) || '.' || quote_ident(%s)) IS NOT NULL"

_MASK = "***"


def mask_url(url: str) -> str:
    """``url`` with its password (in the user part or as ``password=``) replaced by ``***``."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return re.sub(r"(//[^:/@]*:)[^@]*@", rf"\g<1>{_MASK}@", url)
    netloc = parts.netloc
    if "@" in netloc:
        user, _, host = netloc.rpartition("@")
        if ":" in user:
            user = user.split(":", 1)[0] + ":" + _MASK
        netloc = f"{user}@{host}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode([(k, _MASK if k.lower() == "password" else v) for k, v in pairs], safe="*,=")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def _password(url: str) -> str | None:
    try:
        parts = urlsplit(url)
        for key, value in parse_qsl(parts.query):
            if key.lower() == "password" and value:
                return value
        return unquote(parts.password) if parts.password else None
    except ValueError:
        return None


def scrub(text: str, url: str) -> str:
    """``text`` (e.g. a driver's message) as one line, with the URL's password masked should it appear."""
    secret = _password(url)
    if secret:
        text = text.replace(secret, _MASK)
    return " ".join(text.split())


def server_name(url: str) -> str:
    """"Datenbank D auf H:P (Benutzer U)" from the URL, for messages; never the password."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or "localhost"
        port = parts.port or 5432
        user = unquote(parts.username) if parts.username else None
    except ValueError:
        return mask_url(url)
    query = dict(parse_qsl(parts.query))
    database = unquote(parts.path.lstrip("/")) or query.get("dbname") or user or "?"
    host = query.get("host", host)
    name = f"Datenbank {database} auf {host}:{query.get('port', port)}"
    return f"{name} (Benutzer {user})" if user else name


def _driver() -> Any:
    try:
        import psycopg
    except ImportError as exc:
        raise StoreError(
            "Für ein Register auf einem PostgreSQL/PostGIS-Server fehlt das Paket psycopg. Installieren mit "
            "'pip install \"quartiersmonitor[postgis]\"' (oder 'pip install \"psycopg[binary]\"')."
        ) from exc
    return psycopg


def _reason(exc: Exception, url: str) -> str:
    """What went wrong when connecting, in German, with the server's words behind."""
    text = scrub(str(exc), url)
    low = text.lower()
    if "password authentication failed" in low or "no password supplied" in low:
        hint = "Benutzer oder Passwort falsch (Passwort in PGPASSWORD oder ~/.pgpass, nicht in Befehlen)"
    elif "does not exist" in low and "database" in low:
        hint = "diese Datenbank gibt es auf dem Server nicht (anlegen: createdb NAME; lokal: ./dev db)"
    elif "role" in low and "does not exist" in low:
        hint = "diesen Benutzer gibt es auf dem Server nicht"
    elif "connection refused" in low or "no such file or directory" in low:
        hint = "kein Server an dieser Adresse; läuft er (lokal: ./dev db)? Stimmen Rechner und Port?"
    elif "timeout" in low or "timed out" in low:
        hint = "der Server antwortet nicht (Netz, Firewall, Rechnername?)"
    elif "could not translate host name" in low or "name or service not known" in low:
        hint = "den Rechnernamen gibt es nicht"
    elif "no pg_hba.conf entry" in low:
        hint = "der Server lässt diesen Rechner oder Benutzer nicht zu (pg_hba.conf)"
    else:
        hint = "Adresse, Benutzer und Passwort prüfen"
    return f"{hint} ({text})"


def connect(url: str, *, autocommit: bool = False) -> psycopg.Connection[Any]:
    """Open a connection to the register at ``url``: times in UTC, a connect timeout.

    Raises
    ------
    StoreError
        psycopg is missing, the URL is malformed, or the server cannot be reached; the message
        names host and database, never the password.
    """
    driver = _driver()
    try:
        params = driver.conninfo.conninfo_to_dict(url)
    except driver.Error as exc:
        raise StoreError(
            f"Register-Adresse {mask_url(url)} ist keine gültige PostgreSQL-URL ({scrub(str(exc), url)}). "
            "Erwartet z. B. postgresql://benutzer@rechner:5432/datenbank."
        ) from None
    extra: dict[str, Any] = {"application_name": "quartiersmonitor"}
    if "connect_timeout" not in params:
        extra["connect_timeout"] = CONNECT_TIMEOUT_S
    try:
        con: psycopg.Connection[Any] = driver.connect(url, autocommit=autocommit, **extra)
    except driver.Error as exc:
        # from None: the driver's exception may carry the connection string
        raise StoreError(
            f"PostgreSQL-Register nicht erreichbar: {server_name(url)} – {_reason(exc, url)}."
        ) from None
    try:
        con.execute("SET TimeZone = 'UTC'")
        if not autocommit:
            con.commit()
    except driver.Error as exc:
        con.close()
        raise pg_error(url, exc, writing=False) from None
    return con


def pg_error(url: str, exc: Exception, *, writing: bool) -> StoreError:
    """The :class:`StoreError` naming the real cause of a PostgreSQL error, in German (no password)."""
    driver = _driver()
    errors = driver.errors
    where = mask_url(url)
    done = ", nichts geändert" if writing else ""
    diag = getattr(exc, "diag", None)
    message = scrub(
        " ".join(
            part for part in (getattr(diag, "message_primary", None), getattr(diag, "message_detail", None)) if part
        ) or str(exc),
        url,
    )
    if isinstance(exc, errors.DiskFull):
        text = f"Speicherplatz auf dem Datenbankserver voll{done} ({where}). Die Datenbankverwaltung verständigen."
    elif isinstance(exc, errors.InsufficientPrivilege):
        text = (
            f"Keine Berechtigung{done}: {message} ({where}). Die Datenbankverwaltung muss dem Benutzer "
            "die Rechte am Register geben."
        )
    elif isinstance(exc, errors.ReadOnlySqlTransaction):
        text = f"{where} ist nur lesbar (Server im Nur-Lese-Betrieb){done}."
    elif isinstance(exc, (errors.LockNotAvailable, errors.QueryCanceled)):
        text = f"{where} ist gesperrt oder antwortet nicht rechtzeitig{done}; später erneut versuchen ({message})."
    elif isinstance(exc, (errors.IntegrityError, errors.DataError)) or getattr(exc, "sqlstate", "") == "P0001":
        text = f"Schreiben in {where} abgelehnt, nichts geändert: {message}"
    elif isinstance(exc, driver.OperationalError):
        text = f"Verbindung zu {server_name(url)} unterbrochen{done}: {message}. Erneut versuchen."
    elif writing:
        text = f"Schreiben in {where} fehlgeschlagen, nichts geändert: {message}"
    else:
        text = f"{where} lässt sich nicht lesen: {message}"
    return StoreError(text)


def copy_in(cur: psycopg.Cursor[Any], table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Write ``rows`` (plain Python values, ``None`` for missing) into ``table`` with ``COPY``."""
    with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def copy_out(cur: psycopg.Cursor[Any], query: str, params: Sequence[Any] | None = None) -> io.BytesIO:
    """The result of ``query`` as CSV bytes (``COPY ... TO STDOUT``): NULL unquoted empty, ``""`` the empty text."""
    buffer = io.BytesIO()
    with cur.copy(f"COPY ({query}) TO STDOUT (FORMAT csv)", params) as copy:
        for chunk in copy:
            buffer.write(chunk)
    buffer.seek(0)
    return buffer

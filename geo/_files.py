"""Writing output files: atomically, with normal permissions, and spreadsheets that cannot run formulas.

One home for three rules every output writer follows:

* :func:`atomic_output` / :func:`write_bytes` -- a file is written under a
  temporary name next to the target and renamed into place, so a reader never
  sees half a file and a failed write leaves the old file as it was. The file
  gets the permissions a normally created file gets (``0666 & ~umask``, and
  the folder's default ACL), not the ``0600`` of :func:`tempfile.mkstemp`:
  colleagues on a shared drive must be able to open it.
* :func:`safe_cell` / :func:`safe_frame` -- spreadsheet formula injection
  (OWASP "CSV Injection"): a text cell that starts with ``=``, ``+``, ``-``,
  ``@``, tab or carriage return gets a leading ``'``, so Excel and LibreOffice
  show it as text instead of running it. Numbers stay numbers.
  :func:`write_csv` and :func:`write_xlsx` apply it to every cell and header,
  and :func:`write_xlsx` also stores every text cell as a string (never as a
  formula).
* :func:`internal_path` -- the file name of an internal output says so.
"""

from __future__ import annotations

import io
import os
import secrets
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, cast

import pandas as pd

from geo.errors import InputError

#: First characters that make a spreadsheet treat a text cell as a formula (OWASP).
FORMULA_TRIGGERS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")

#: What is put in front of such a cell.
TEXT_PREFIX = "'"


# -- atomic writing --------------------------------------------------------------------------------


def _reserve(out: Path, prefix: str) -> tuple[Path, int]:
    """A free temporary name next to ``out`` and the mode a normally created file gets there."""
    for _ in range(100):
        tmp = out.parent / f"{prefix}{secrets.token_hex(6)}{out.suffix}"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # umask and ACL apply
        except FileExistsError:
            continue
        try:
            mode = os.fstat(fd).st_mode & 0o7777
        finally:
            os.close(fd)
            tmp.unlink()
        return tmp, mode
    raise InputError(f"Keine temporäre Datei in {out.parent} anlegbar (Schreibrechte prüfen).")


def temp_path(out: str | os.PathLike[str], *, prefix: str = ".qm-") -> Path:
    """A free temporary path next to ``out`` (not created), for writers that manage the rename themselves."""
    return _reserve(Path(out), prefix)[0]


@contextmanager
def atomic_output(out: str | os.PathLike[str], *, prefix: str = ".qm-") -> Iterator[Path]:
    """A temporary path next to ``out``; on success it replaces ``out``, on failure it is removed.

    The path does not exist yet: the writer creates it (GDAL, openpyxl, pandas
    or :meth:`pathlib.Path.write_bytes`). Before the rename it gets the
    permissions of a normally created file.

    Raises
    ------
    InputError
        The target folder does not exist.
    """
    target = Path(out)
    if not target.parent.is_dir():
        raise InputError(f"Ordner {target.parent} existiert nicht.")
    tmp, mode = _reserve(target, prefix)
    try:
        yield tmp
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def write_bytes(out: str | os.PathLike[str] | IO[bytes], data: bytes, *, prefix: str = ".qm-") -> None:
    """Write ``data`` to a path (atomically, normal permissions) or a binary file object."""
    if not isinstance(out, (str, os.PathLike)):
        out.write(data)
        return
    with atomic_output(out, prefix=prefix) as tmp:
        tmp.write_bytes(data)


def internal_path(out: str | os.PathLike[str]) -> Path:
    """``out`` with ``-intern`` before the suffix unless its name already says ``intern``.

    ``bericht.pdf`` -> ``bericht-intern.pdf``; ``export_intern.csv`` and
    ``internal.xlsx`` stay as they are.
    """
    path = Path(out)
    if "intern" in path.name.casefold():
        return path
    return path.with_name(f"{path.stem}-intern{path.suffix}")


# -- spreadsheet cells -----------------------------------------------------------------------------


def safe_cell(value: Any) -> Any:
    """A text that a spreadsheet would run as a formula, with a leading ``'``; anything else unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return TEXT_PREFIX + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells and column names are neutralised by :func:`safe_cell`.

    Numeric, boolean and date columns are left as they are (a negative number stays a number).
    """
    out = pd.DataFrame(frame).copy()
    for col in out.columns:
        values = out[col]
        if isinstance(values.dtype, pd.CategoricalDtype):
            out[col] = values.cat.rename_categories([safe_cell(c) for c in values.cat.categories])
        elif values.dtype == object or pd.api.types.is_string_dtype(values.dtype):
            out[col] = values.map(safe_cell, na_action="ignore")
    out.columns = [safe_cell(str(c)) if isinstance(c, str) else c for c in out.columns]
    return out


def csv_text(frame: pd.DataFrame, *, sep: str = ";", decimal: str = ",", **options: Any) -> str:
    """``frame`` as CSV text for German Excel (``;``, decimal comma), cells neutralised."""
    text: str = safe_frame(frame).to_csv(sep=sep, decimal=decimal, index=False, **options)
    return text


def write_csv(
    frame: pd.DataFrame,
    out: str | os.PathLike[str] | IO[bytes] | IO[str],
    *,
    sep: str = ";",
    decimal: str = ",",
    encoding: str = "utf-8-sig",
    **options: Any,
) -> None:
    """Write ``frame`` as CSV (cells neutralised) to a path (atomically), a binary or a text stream.

    ``options`` go to :meth:`pandas.DataFrame.to_csv` (e.g. ``date_format``).
    """
    text = csv_text(frame, sep=sep, decimal=decimal, **options)
    if isinstance(out, (str, os.PathLike, io.RawIOBase, io.BufferedIOBase)):
        write_bytes(out, text.encode(encoding))
    else:  # a text stream (stdout): no byte order mark
        cast("IO[str]", out).write(text)


SheetHook = Callable[[str, pd.DataFrame, Any], None]


def write_xlsx(
    sheets: Mapping[str, pd.DataFrame],
    out: str | os.PathLike[str] | IO[bytes],
    *,
    title: str | None = None,
    subject: str | None = None,
    format_sheet: SheetHook | None = None,
) -> None:
    """Write frames as sheets of an Excel workbook, no cell of which can be a formula.

    Parameters
    ----------
    sheets
        Sheet name -> frame (written without index, cells neutralised by :func:`safe_frame`).
    out
        Path (written atomically) or binary file object.
    title, subject
        Workbook properties (shown by Excel under "Informationen").
    format_sheet
        Called as ``format_sheet(name, frame, worksheet)`` for column widths and number formats.
    """
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            safe_frame(frame).to_excel(writer, sheet_name=name, index=False)
            ws = writer.sheets[name]
            for row in ws.iter_rows():
                for cell in row:
                    if cell.data_type == "f":  # never a formula, whatever came through
                        cell.data_type = "s"
            if format_sheet is not None:
                format_sheet(name, frame, ws)
        props = writer.book.properties
        props.creator = "Quartiersmonitor"
        if title:
            props.title = title
        if subject:
            props.subject = subject
    write_bytes(out, buffer.getvalue())

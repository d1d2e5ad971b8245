"""Errors raised by the Quartiersmonitor library.

Every error carries a message written for the person who caused it: what was
expected, what came, and how to fix it. Messages are German because they are
shown to the users of the app and the command line as they are.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from geo.register.imports import ImportReport


class QuartiersmonitorError(Exception):
    """Base class of all errors this library raises on purpose."""


class InputError(QuartiersmonitorError, ValueError):
    """A file, an option or a value given by the user cannot be used."""


class StoreError(QuartiersmonitorError):
    """The register store cannot be opened, read or written."""


class SchemaVersionError(StoreError):
    """The store was written by a different schema version of this tool."""


class StoreConflict(StoreError):
    """A write was made on an older version of the store: someone else wrote meanwhile; nothing was written.

    Parameters
    ----------
    version
        The store's version when the write was tried.
    expected
        The version the write was made on.
    """

    def __init__(self, message: str, *, version: int, expected: int) -> None:
        super().__init__(message)
        self.version = version
        self.expected = expected


class ImportRejected(InputError):
    """An import was refused; nothing was written.

    Parameters
    ----------
    report
        The validation report that names every rejected row.
    """

    def __init__(self, message: str, report: ImportReport) -> None:
        super().__init__(message)
        self.report = report

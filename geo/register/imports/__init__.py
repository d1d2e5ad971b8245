"""Import lists of commercial units: read, validate and plan.

The office keeps its own lists (spreadsheets, CSV exports, GIS layers). This
package reads such a list, checks every row and works out what would have to
be added to the register: new units, changed unit attributes and new
observations. It never writes the store; the caller writes an
:class:`ImportPlan` in one transaction (or raises
:class:`geo.errors.ImportRejected` with the plan's report).

Two steps for callers:

* :func:`read_table` turns a file into a frame of raw text values.
* :func:`plan_import` maps the columns, validates the rows, matches them to
  the stored units and compares them with the stored observations.

Inside, :func:`plan_import` is a pipeline of small stages over typed results
(see :mod:`.pipeline`): :mod:`.read` (with the format readers ``_csv``,
``_xlsx``, ``_vector``), :mod:`.columns`, :mod:`.parse`, :mod:`.validate`,
:mod:`.match`, :mod:`.plan` and :mod:`.report`.

File-level problems raise :class:`geo.errors.InputError`; row-level problems
go into the :class:`ImportReport`. Messages are German because users read
them as they are.
"""

from __future__ import annotations

from geo.register.imports.columns import UNIT_ATTRIBUTES
from geo.register.imports.pipeline import OnError, plan_import
from geo.register.imports.plan import PLAN_OBSERVATION_COLUMNS, ImportPlan
from geo.register.imports.read import RawTable, read, read_table
from geo.register.imports.report import ImportReport, RowIssue

__all__ = [
    "PLAN_OBSERVATION_COLUMNS",
    "UNIT_ATTRIBUTES",
    "ImportPlan",
    "ImportReport",
    "OnError",
    "RowIssue",
    "plan_import",
    "RawTable",
    "read",
    "read_table",
]

"""Roles and the rights they carry.

Four roles, each holding every right of the one before it:

``oeffentlich``
    No sign-in: the presentation and public figures; no unit-level data, no
    personal data, no editing, no file paths.
``stadt``
    City officials: unit-level maps and figures without personal data,
    public exports and reports.
``buero``
    The office: editing, personal data, walks, visits, internal exports.
``admin``
    Accounts, imports, boundaries, the store and the audit trail.
"""

from __future__ import annotations

import enum

from geo.errors import InputError
from geo.text import fold

__all__ = ["ROLE_LABELS", "Right", "Role", "allowed", "parse_role", "rights_of"]


class Role(enum.StrEnum):
    """A role; the value is the spelling stored and typed on the command line."""

    PUBLIC = "oeffentlich"
    CITY = "stadt"
    OFFICE = "buero"
    ADMIN = "admin"


#: German labels of the roles, for pages and messages.
ROLE_LABELS: dict[Role, str] = {
    Role.PUBLIC: "öffentlich",
    Role.CITY: "Stadt",
    Role.OFFICE: "Büro",
    Role.ADMIN: "Admin",
}


class Right(enum.StrEnum):
    """Something a role may see or do."""

    PUBLIC_FIGURES = "public_figures"
    """Presentation, aggregated figures above the privacy threshold."""
    UNIT_VIEW = "unit_view"
    """Unit-level maps, lists and histories without personal data."""
    PUBLIC_EXPORT = "public_export"
    """Downloads and reports in their public version."""
    PERSONAL_DATA = "personal_data"
    """Owners, contact people, phone numbers, free-text notes."""
    EDIT = "edit"
    """Recording observations and businesses."""
    WALKS = "walks"
    """Planning outreach walks and logging visits."""
    INTERNAL_EXPORT = "internal_export"
    """Downloads and reports with personal data."""
    IMPORT = "import"
    """Importing lists and OSM data into the register."""
    BOUNDARIES = "boundaries"
    """Replacing the Ortsteil boundaries."""
    STORE = "store"
    """Choosing, copying and resetting stores; server-side data folders."""
    ACCOUNTS = "accounts"
    """Managing accounts and reading the audit trail."""


_OWN_RIGHTS: dict[Role, frozenset[Right]] = {
    Role.PUBLIC: frozenset({Right.PUBLIC_FIGURES}),
    Role.CITY: frozenset({Right.UNIT_VIEW, Right.PUBLIC_EXPORT}),
    Role.OFFICE: frozenset({Right.PERSONAL_DATA, Right.EDIT, Right.WALKS, Right.INTERNAL_EXPORT}),
    Role.ADMIN: frozenset({Right.IMPORT, Right.BOUNDARIES, Right.STORE, Right.ACCOUNTS}),
}

_ORDER: tuple[Role, ...] = (Role.PUBLIC, Role.CITY, Role.OFFICE, Role.ADMIN)


def rights_of(role: Role) -> frozenset[Right]:
    """Every right of ``role``, including those of the roles below it.

    Parameters
    ----------
    role
        The role.

    Returns
    -------
    frozenset
        The rights.
    """
    rights: set[Right] = set()
    for step in _ORDER[: _ORDER.index(role) + 1]:
        rights |= _OWN_RIGHTS[step]
    return frozenset(rights)


def allowed(role: Role, right: Right) -> bool:
    """Whether ``role`` holds ``right``."""
    return right in rights_of(role)


def parse_role(text: str) -> Role:
    """The role spelled by ``text`` (``buero``, ``Büro``, ``admin`` …).

    Raises
    ------
    InputError
        For an unknown role, naming the valid ones.
    """
    key = fold(text)
    for role in Role:
        if key in (role.value, fold(ROLE_LABELS[role])):
            return role
    valid = ", ".join(role.value for role in Role)
    raise InputError(f"Unbekannte Rolle {text!r}: erwartet wird eine von {valid}.")

"""Who may see and do what: roles, local accounts, sign-in and the audit trail.

The server enforces these rules; the pages only ask them. Public is the
default: a session without a signed-in account has the role
:attr:`Role.PUBLIC`.
"""

from __future__ import annotations

from geo.access.roles import Right, Role, allowed, parse_role, rights_of

__all__ = ["Right", "Role", "allowed", "parse_role", "rights_of"]

"""The pages' session state has one home, pages/_session.py (issue "Restructure")."""

from __future__ import annotations

import ast
from pathlib import Path

from pages import _session

PAGES = Path(__file__).resolve().parents[2] / "pages"


def _session_state_keys(tree: ast.AST) -> list[ast.expr]:
    """Key expressions of every ``st.session_state[...]``, ``.get``, ``.pop``, ``.setdefault`` in ``tree``."""
    found: list[ast.expr] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript) and ast.unparse(node.value) == "st.session_state":
            found.append(node.slice)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and ast.unparse(node.func.value) == "st.session_state"
            and node.args
        ):
            found.append(node.args[0])
    return found


def test_pages_name_session_keys_only_through_the_session_module():
    literal: list[str] = []
    for path in sorted(PAGES.glob("*.py")):
        if path.name == "_session.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for key in _session_state_keys(tree):
            if isinstance(key, ast.Constant | ast.JoinedStr) or (
                isinstance(key, ast.Name) and key.id.isupper()  # a page's own key constant
            ):
                literal.append(f"{path.name}:{key.lineno}: {ast.unparse(key)}")
    assert literal == []


def test_session_keys_are_distinct_and_unchanged():
    keys = {n: v for n, v in vars(_session).items() if n.isupper() and isinstance(v, str)}
    assert len(set(keys.values())) == len(keys)
    # tests/app and bench/bench_app.py use these names
    assert (_session.STORE, _session.UNIT, _session.UNIT_QUERY, _session.WALK) == (
        "qm_store_path",
        "qm_unit",
        "qm_unit_query",
        "qm_walk",
    )
    assert _session.osm_edit("vacant") == "osm_edit_vacant"

"""Packaging: every package of geo/ ships, data/ ships as geo.data, every imported package is declared."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))

#: Import names that differ from their distribution names.
DISTRIBUTION = {
    "yaml": "pyyaml",
    "offlinefolium": "folium-offline",
    "streamlit_folium": "streamlit-folium",
    "pypdfium2": "pypdfium2",
    "babel": "babel",
    "argon2": "argon2-cffi",
    "authlib": "authlib",
    "PIL": "pillow",
}
#: Imported only when present (optional extras of a function, said in its docstring).
OPTIONAL = {"contextily"}


def _declared() -> set[str]:
    project = PYPROJECT["project"]
    specs = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        specs.extend(extra)
    return {re.split(r"[<>=!~\[; ]", s, maxsplit=1)[0].lower() for s in specs}


def test_every_package_of_geo_is_listed():
    listed = set(PYPROJECT["tool"]["setuptools"]["packages"])
    found = {
        ".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "geo").rglob("__init__.py")
    }
    assert found | {"geo.data"} == listed
    assert PYPROJECT["tool"]["setuptools"]["package-dir"]["geo.data"] == "data"


def test_every_imported_package_is_declared():
    imported: set[str] = set()
    for folder in ("geo", "pages"):
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    imported.update(a.name.split(".")[0] for a in node.names)
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    imported.add(node.module.split(".")[0])
    third_party = {
        m for m in imported if m not in sys.stdlib_module_names and m not in {"geo", "pages", "data"}
    } - OPTIONAL
    missing = {m for m in third_party if DISTRIBUTION.get(m, m).lower().replace("_", "-") not in _declared()}
    assert missing == set()

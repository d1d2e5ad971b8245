"""German texts for Streamlit's own widget texts, as style rules applied on every page.

Streamlit has no translations: its file uploader says „Upload“, „200MB per file • CSV“
and, while a file is dragged over it, „Drag and drop a file here“. The rules here hide
those texts and show German ones in their place (``::after``). The size shown is the
limit the server enforces (``server.maxUploadSize`` in ``.streamlit/config.toml``, kept
equal to :data:`geo.settings.max_import_bytes`; a test checks both), or the import
limit when that is smaller. Accepted file types are named in each uploader's label.

:func:`apply` is called once per run by :func:`pages._router.run`, so every page gets
the rules; :func:`css` is the text (tested without a browser).
"""

from __future__ import annotations

import math

import streamlit as st

from geo import formats, settings

__all__ = ["apply", "css", "upload_limit_mb"]

#: The uploader's button, drop zone and instruction line (Streamlit 1.5x–1.6x markup).
_ZONE = '[data-testid="stFileUploaderDropzone"]'
_INSTRUCTIONS = '[data-testid="stFileUploaderDropzoneInstructions"]'
#: The text shown while a file is dragged over the zone: a plain ``div > span`` (the list of uploaded
#: files, also a ``div`` there, holds elements with test ids and is left alone).
_DRAG = f"{_ZONE} > div:not([data-testid]):not(:has([data-testid])) > span"


def upload_limit_mb() -> int:
    """The largest upload in MB: the server's limit, or the import limit when that is smaller."""
    server = int(st.get_option("server.maxUploadSize"))
    return max(1, min(server, math.ceil(settings.max_import_bytes / 2**20)))


def css(limit_mb: int) -> str:
    """The ``<style>`` element with the uploader's German texts for a limit of ``limit_mb`` MB."""
    limit = f"höchstens {formats.fmt_int(limit_mb)} MB je Datei"
    return f"""<style>
{_ZONE} button p, {_INSTRUCTIONS} span, {_DRAG} {{ font-size: 0; }}
{_ZONE} button p::after {{ content: "Datei wählen"; font-size: 0.875rem; }}
{_ZONE}:has(input[multiple]) button p::after {{ content: "Dateien wählen"; }}
{_INSTRUCTIONS} span::after {{ content: "{limit}"; font-size: 0.875rem; }}
{_DRAG}::after {{ content: "Datei hier ablegen"; font-size: 1rem; }}
</style>"""


def apply() -> None:
    """Put the German widget texts into the page (no visible element of its own)."""
    st.html(css(upload_limit_mb()))

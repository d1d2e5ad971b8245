"""Rendering of the project's folium elements without a second Jinja pass.

branca's :meth:`MacroElement.render` puts an element's rendered script into the page as
``Element(text)``, and :class:`branca.element.Element` compiles ``text`` as a Jinja template. The
rendered script of a unit layer holds every unit's row (about 3 MB at 50,000 units): compiling it
took about 0.1 s per render, and ``st_folium`` renders a map twice per run. Worse, text in it is
user input: a business name with ``{%`` broke the map (a template syntax error) and one with
``{{ … }}`` was evaluated as a Jinja expression on the server. The project's elements
(:class:`RawRender`) therefore put their rendered parts in as :class:`RawText`, kept as it is.
"""

from __future__ import annotations

from typing import Any

from branca.element import Element, Figure, MacroElement

__all__ = ["RawRender", "RawText"]


class RawText(Element):
    """Rendered HTML or JavaScript kept as it is (not compiled as a template, unlike ``Element(text)``)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self._name = "RawText"
        self.text = text

    def render(self, **kwargs: Any) -> str:
        """The text as given."""
        return self.text


class RawRender(MacroElement):
    """A folium element whose rendered header, HTML and script go into the page as :class:`RawText`.

    Base of every element of the project (after folium's own base classes, so that their
    ``render`` -- adding the layer to its map, links to scripts -- still runs first).
    """

    def render(self, **kwargs: Any) -> None:  # type: ignore[override]  # as MacroElement.render: no text
        """Render the ``header``, ``html`` and ``script`` macros into the figure, then the children."""
        figure = self.get_root()
        assert isinstance(figure, Figure), "You cannot render this Element if it is not in a Figure."
        macros = self._template.module.__dict__
        for part, target in (("header", figure.header), ("html", figure.html), ("script", figure.script)):
            macro = macros.get(part)
            if macro is not None:
                target.add_child(RawText(str(macro(self, kwargs))), name=self.get_name())
        for element in self._children.values():
            element.render(**kwargs)

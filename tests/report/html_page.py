"""What the HTML report tests read of a page: its elements, its text, its numbers, its JSON."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

HOSTILE = Path(__file__).parent / "fixtures" / "html"
#: Terms and a scenario whose ids, titles and sources are markup (each with an `id=pwn-…`).
HOSTILE_TERMS = HOSTILE / "hostile.deal"
HOSTILE_SCENARIO = HOSTILE / "hostile.yaml"

#: Elements a self-contained, script-free page never has.
FOREIGN = {"img", "iframe", "object", "embed", "link", "base", "form", "audio", "video",
           "source", "frame", "image", "use", "foreignobject"}


class Page(HTMLParser):
    """The start tags, the `data-field` texts and the embedded JSON of one HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        #: Each `data-field` path, with the text of every element that shows it.
        self.fields: dict[str, list[str]] = {}
        self.text: list[str] = []
        self.data_block = ""
        self._field: str | None = None
        self._in_data = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.tags.append((tag, found))
        self._field = found.get("data-field")
        if self._field is not None:
            self.fields.setdefault(self._field, []).append("")
        self._in_data = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._field = None
        self._in_data = False

    def handle_data(self, data: str) -> None:
        if self._in_data:
            self.data_block += data
            return
        self.text.append(data)
        if self._field is not None:
            self.fields[self._field][-1] += data

    def ids(self) -> set[str]:
        return {a["id"] or "" for _, a in self.tags if "id" in a}

    def embedded(self) -> Any:
        return json.loads(self.data_block)


def read_page(html: str) -> Page:
    page = Page()
    page.feed(html)
    page.close()
    return page


def json_value(document: Any, path: str) -> str:
    """The value at a `data-field` path (`aggregates.0.total`) of the JSON report, as text."""
    value = document
    for part in path.split("."):
        value = value[int(part)] if isinstance(value, list) else value[part]
    return str(value)

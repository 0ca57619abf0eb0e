"""Read what the dashboard shows out of the DOM Chromium rendered: texts by id, table rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID_ELEMENTS = {"br", "img", "input", "meta", "link", "hr", "col", "source", "wbr"}


@dataclass
class TableRow:
    attributes: dict[str, str]
    cells: list[str] = field(default_factory=list)


@dataclass
class _Open:
    tag: str
    element_id: str | None
    text: list[str] = field(default_factory=list)


class DashboardDom(HTMLParser):
    """Texts of elements with an id (and their attributes), and rows of each table's tbody."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: dict[str, str] = {}
        self.attributes: dict[str, dict[str, str]] = {}
        self.rows: dict[str, list[TableRow]] = {}
        self._stack: list[_Open] = []
        self._table: str | None = None
        self._row: TableRow | None = None
        self._cell: list[str] | None = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        element_id = values.get("id")
        if element_id is not None:
            self.attributes[element_id] = values
        if tag == "table" and element_id is not None:
            self._table = element_id
            self.rows[element_id] = []
        elif tag == "tr" and self._table is not None and self._in("tbody"):
            self._row = TableRow(values)
            self.rows[self._table].append(self._row)
        elif tag == "td" and self._row is not None:
            self._cell = []
        elif tag == "br" and self._cell is not None:
            self._cell.append(" ")
        if tag not in VOID_ELEMENTS:
            self._stack.append(_Open(tag, element_id))

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID_ELEMENTS:
            return
        while self._stack:
            opened = self._stack.pop()
            if opened.element_id is not None:
                self.texts[opened.element_id] = "".join(opened.text).strip()
            if opened.tag == tag:
                break
        if tag == "td" and self._row is not None and self._cell is not None:
            self._row.cells.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr":
            self._row = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        for opened in self._stack:
            if opened.element_id is not None:
                opened.text.append(data)
        if self._cell is not None:
            self._cell.append(data)

    def _in(self, tag: str) -> bool:
        return any(opened.tag == tag for opened in self._stack)

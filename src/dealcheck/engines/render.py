"""The DuckDB engine's report rows: each key's row rendered once, every row filled in by SQL.

Each key's row is rendered once per file by the report's own renderer
(`RowsRenderer.row`), with stand-ins for the id, the evaluation date and the
line (`Template`), into the table ``tpl``; SQL fills in each row's template.
No result object is built per row, nor its text in Python.

When the rows are lines (JSON Lines: each row ends with a line break; the
JSON report: each begins with one), one ``COPY`` writes them all, in input
order, when the report asks for them: into a named pipe, from which the
report takes their bytes as they come (`io_text.PipedText`). They are
written once, in the report. Otherwise (or for more than `MOST_LISTED` distinct
texts of a template's part) runs of `RENDER_RUN` rows are fetched as lists
of texts, which Python joins.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from dealcheck.checker.codegen import Outcome
from dealcheck.checker.results import DeploymentResult, RenderedRows, RowsRenderer, Verdict
from dealcheck.engines.slots import Slots, int_list
from dealcheck.engines.sources import insert_rows, sql_string
from dealcheck.io_text import PipedText
from dealcheck.scenario.model import SourceLocation

if TYPE_CHECKING:
    import duckdb as duckdb_module

__all__ = ["RENDER_RUN", "render_rows"]

#: Each verdict's number in SQL (its place in `RenderedRows`' counts).
_VERDICT_CODES = {Verdict.COMPLIANT: 0, Verdict.VIOLATION: 1, Verdict.UNDETERMINED: 2}
#: What a row's template holds in place of the row's id, evaluation date and line: an
#: id no row has (not printable), a date and a line no check meets.
_STAND_IN_ID = "\x01id\x01"
_STAND_IN_DAY = dt.date(1, 2, 3)
_STAND_IN_LINE = 987_654_321_987
#: Rows rendered by one query, and handed on in one piece, when they are not lines:
#: a run of a JSON report is about 10 MB of text, held a few times over while joined.
RENDER_RUN = 16384
#: The most distinct texts of a template's part for rows written by ``COPY``.
MOST_LISTED = 8192

# INVARIANT: ids hold no control character (the engine's id pattern): JSON escapes only
# `\` and `"` in them, and writes the rest as it is (`ensure_ascii=False`).
_IDENT = ("CASE WHEN contains(k.id, '\\') OR contains(k.id, '\"') THEN "
          "replace(replace(k.id, '\\', '\\\\'), '\"', '\\\"') ELSE k.id END")
_TEXT = (f"concat(t.p0, '\"', {_IDENT}, '\"', t.p1, CAST(k.day AS VARCHAR), t.p2, "
         "CAST(k.line AS VARCHAR), t.p3)")
_FROM = "FROM keyed k JOIN tpl t ON k.kh = t.kh AND k.fi = t.fi"


def render_rows(con: duckdb_module.DuckDBPyConnection, paths: Sequence[str],
                outcomes: dict[int, Outcome], renderer: RowsRenderer,
                directory: str) -> Iterator[RenderedRows]:
    """Every row of the table ``keyed`` rendered by `renderer`, in input order.

    Args:
        con: the connection holding ``keyed`` (``rn``, ``kh``, ``fi``, ``id``, ``day``,
            ``line``) and ``keys`` (each key's hash ``kh`` and its rows' count ``n``).
        paths: the scenario files, by ``fi``.
        outcomes: each key's outcome, by its hash ``kh``.
        renderer: the report format's rows.
        directory: where the rows' files go (removed by the engine after the check).
    """
    templates: list[tuple[int, int, str, str, str, str, int]] = []
    for kh, (verdict, not_covered, findings) in outcomes.items():
        for fi, path in enumerate(paths):
            parts = Template.of(renderer, DeploymentResult(
                _STAND_IN_ID, verdict, _STAND_IN_DAY, not_covered, findings,
                SourceLocation(path, _STAND_IN_LINE, 1))).parts
            templates.append((kh, fi, *parts, _VERDICT_CODES[verdict] * 2 + not_covered))
    joiner = renderer.joiner
    # Lines: either each row ends with a line break (and nothing joins them) or each
    # begins with one. The file then holds each row without it, followed by one.
    trailing = joiner == "" and all(t[5].endswith("\n") for t in templates)
    leading = not trailing and all(t[2].startswith("\n") for t in templates)
    # Each chunk of rows reads its own copy of the lists of parts (`_file_rows`):
    # beyond `MOST_LISTED` distinct texts of a part, runs cost less.
    if (trailing or leading) and all(len({t[2 + i] for t in templates}) <= MOST_LISTED
                                     for i in range(4)):
        lines = ([(*t[:5], t[5][:-1], *t[6:]) for t in templates] if trailing
                 else [(t[0], t[1], t[2][1:], *t[3:]) for t in templates])
        yield _file_rows(con, outcomes, lines, joiner if leading else None, directory)
        return
    con.execute("CREATE TABLE tpl (kh UBIGINT, fi INTEGER, p0 VARCHAR, p1 VARCHAR, "
                "p2 VARCHAR, p3 VARCHAR, code INTEGER)")
    insert_rows(con, "tpl", ("UBIGINT", "INTEGER", "VARCHAR", "VARCHAR", "VARCHAR",
                             "VARCHAR", "INTEGER"), templates)
    yield from _runs(con, len(paths), joiner)


def _file_rows(con: duckdb_module.DuckDBPyConnection, outcomes: dict[int, Outcome],
               templates: Sequence[tuple[object, ...]], joiner: str | None,
               directory: str) -> RenderedRows:
    """All rows as lines, written by one ``COPY`` when the report takes them (see the
    module); `joiner`, when the rows begin with a line break, ends every row but the last.

    Each part of a row's template is read from a list literal of its distinct
    texts (few: outcomes repeat) at the number the row's template gives it
    (``i0`` … ``i3``). When the table ``keyed`` holds its rows in input order
    (`_in_order`) and `Slots.of` finds each key a slot of its own, each row finds its numbers in
    list literals too, at its key's slot, and the ``COPY`` is a projection of
    ``keyed``, which keeps their order. Otherwise a join finds them, and the
    rows are sorted again by ``rn`` (a join does not keep their order).
    """
    counts = [0] * 4
    for kh, count in con.execute("SELECT kh, n FROM keys").fetchall():
        verdict, uncovered, _ = outcomes[int(kh)]
        counts[_VERDICT_CODES[verdict]] += int(count)
        counts[3] += int(count) if uncovered else 0
    total = counts[0] + counts[1] + counts[2]
    distinct: list[dict[str, int]] = [{}, {}, {}, {}]
    numbered: list[tuple[int, int, int, int, int, int]] = []
    for kh, fi, *parts in (t[:6] for t in templates):
        i0, i1, i2, i3 = (texts.setdefault(str(part), len(texts) + 1)
                          for texts, part in zip(distinct, parts, strict=True))
        numbered.append((int(str(kh)), int(str(fi)), i0, i1, i2, i3))
    lists = [f"[{', '.join(map(sql_string, texts))}]" for texts in distinct]
    text = (f"concat({lists[0]}[i0], '\"', {_IDENT}, '\"', {lists[1]}[i1], "
            f"CAST(k.day AS VARCHAR), {lists[2]}[i2], CAST(k.line AS VARCHAR), {lists[3]}[i3]")
    if joiner is not None:
        found = con.execute("SELECT max(rn) FROM keyed").fetchone()
        end = -1 if found is None or found[0] is None else int(found[0])
        text += f", CASE WHEN k.rn = {end} THEN '' ELSE {sql_string(joiner)} END"
    text += ")"
    in_order = _in_order(con)
    rows = (_slotted(numbered) if in_order else None) or _joined(con, numbered)
    query = f"SELECT {text} FROM ({rows}) k"
    compliant, violation, undetermined, not_covered = counts
    # The rows that begin with a line break are written without it, each followed by
    # one: the last has one too many.
    piped = PipedText(_copy(con, query), directory, trim=int(joiner is not None))
    return RenderedRows("" if joiner is None else "\n", total, compliant, violation,
                        undetermined, not_covered, files=(piped,) if total else ())


def _copy(con: duckdb_module.DuckDBPyConnection, query: str) -> Callable[[str], None]:
    """What writes the rows of `query` to a file, a line each, in their order, by ``COPY``.

    One thread writes them: DuckDB's writer keeps the order of rows that
    threads write in parallel at several times the cost of writing them in one.
    """
    def produce(path: str) -> None:
        cursor = con.cursor()
        try:
            found = cursor.execute("SELECT current_setting('threads')").fetchone()
            threads = 1 if found is None else int(found[0])
            # `threads` is the database's setting: no other query runs meanwhile.
            cursor.execute("SET threads = 1")
            try:
                # One column, no quotes, no escapes, a delimiter no row holds (JSON escapes
                # control characters): each row's text as it is, then a line break.
                cursor.execute(f"COPY ({query}) TO {sql_string(path)} (FORMAT csv, HEADER "
                               "false, QUOTE '', ESCAPE '', DELIMITER '\x01', NEW_LINE '\\n', "
                               "USE_TMP_FILE false)")
            finally:
                cursor.execute(f"SET threads = {threads}")
        finally:
            cursor.close()
    return produce


def _in_order(con: duckdb_module.DuckDBPyConnection) -> bool:
    """Whether a scan of ``keyed`` gives its rows in input order (by ``rn``).

    A table built by a query that joins does not always hold its rows so.
    """
    found = con.execute("SELECT count(*) FROM (SELECT rn, lag(rn) OVER () AS before "
                        "FROM keyed) WHERE rn < before").fetchone()
    return found is not None and found[0] == 0


def _slotted(numbered: Sequence[tuple[int, int, int, int, int, int]]) -> str | None:
    """The rows of ``keyed`` in their order, each with its template's numbers (``i0`` …
    ``i3``) read from a list literal at its key's slot (`Slots`); None if none is found.

    The four numbers are packed in one integer of the list, which each row
    reads once: a list literal is copied for each chunk of rows that reads it.
    """
    found = Slots.of(sorted({kh for kh, *_ in numbered}))
    bits = max((max(t[2:]) for t in numbered), default=0).bit_length()
    if found is None or 4 * bits > 62:
        return None
    files = max(fi for _, fi, *_ in numbered) + 1
    # Every place of the list is filled: a slot no key has reads the first texts.
    place = [sum(1 << (bits * n) for n in range(4))] * (found.size * files)
    for kh, fi, *parts in numbered:
        place[found.slot(kh) * files + fi] = sum(part << (bits * n)
                                                 for n, part in enumerate(parts))
    at = f"(({found.sql('kh')}) - 1) * {files} + fi + 1"
    numbers = ", ".join(f"(p >> {bits * n}) & {(1 << bits) - 1} AS i{n}" for n in range(4))
    return (f"SELECT rn, id, day, line, {numbers} FROM "
            f"(SELECT rn, id, day, line, {int_list(place)}[{at}] AS p FROM keyed)")


def _joined(con: duckdb_module.DuckDBPyConnection,
            numbered: Sequence[tuple[int, int, int, int, int, int]]) -> str:
    """The rows of ``keyed`` sorted by ``rn``, each with its template's numbers, by a join."""
    con.execute("CREATE TABLE tpn (kh UBIGINT, fi INTEGER, i0 INTEGER, i1 INTEGER, "
                "i2 INTEGER, i3 INTEGER)")
    insert_rows(con, "tpn", ("UBIGINT", "INTEGER", "INTEGER", "INTEGER", "INTEGER",
                             "INTEGER"), numbered)
    return ("SELECT k.rn, k.id, k.day, k.line, t.i0, t.i1, t.i2, t.i3 FROM keyed k "
            "JOIN tpn t ON k.kh = t.kh AND k.fi = t.fi ORDER BY k.rn")


def _runs(con: duckdb_module.DuckDBPyConnection, files: int,
          joiner: str) -> Iterator[RenderedRows]:
    """The rows in runs of `RENDER_RUN`, each a list of texts that Python joins.

    Runs are ranges of ``rn``, which the table ``keyed`` holds in order, so
    each run's query reads only the row groups that hold it.
    """
    counts = ", ".join(f"count(*) FILTER (WHERE t.code IN ({a}, {b}))"
                       for a, b in ((0, 1), (2, 3), (4, 5)))
    # A list, joined by Python: faster than `string_agg` or `array_to_string`.
    query = (f"SELECT list({_TEXT} ORDER BY k.rn), "
             f"count(*), {counts}, count(*) FILTER (WHERE t.code % 2 = 1) "
             f"{_FROM} WHERE k.rn BETWEEN ? AND ?")
    lines = dict(con.execute("SELECT fi, max(line) FROM keyed GROUP BY fi").fetchall())
    cursor = con.cursor()
    for fi in range(files):
        for first in range(1, int(lines.get(fi, 0)) + 1, RENDER_RUN):
            base = fi << 40
            found = cursor.execute(query, [base + first,
                                           base + first + RENDER_RUN - 1]).fetchone()
            if found is None or not found[1]:
                continue
            texts, count, compliant, violation, undetermined, not_covered = found
            yield RenderedRows(joiner.join(texts), int(count), int(compliant), int(violation),
                               int(undetermined), int(not_covered))
    cursor.close()


@dataclass(frozen=True, slots=True)
class Template:
    """A row's text cut where its id, evaluation date and line go: ``p0 ID p1 DAY p2 LINE p3``.

    The id is written as JSON writes a printable ASCII string; the date as ISO
    text, the line as a number, as the renderer wrote its stand-ins.
    """

    parts: tuple[str, str, str, str]

    @classmethod
    def of(cls, renderer: RowsRenderer, stand_in: DeploymentResult) -> Template:
        text = renderer.row(stand_in)
        ident, day_text, line_text = _STAND_IN_TEXTS
        at = text.index(ident)
        day = text.index(day_text, at)
        line = text.rindex(line_text)
        # INVARIANT: each stand-in is written once, in this order.
        if not at < day < line or text.count(ident) != 1 or text.count(line_text) != 1:
            raise AssertionError(f"a row's template is not cut as expected: {text!r}")
        return cls((text[:at], text[at + len(ident):day], text[day + len(day_text):line],
                    text[line + len(line_text):]))


#: The stand-ins as a row's text writes them: the id (JSON), the date, the line.
_STAND_IN_TEXTS = (json.dumps(_STAND_IN_ID), _STAND_IN_DAY.isoformat(), str(_STAND_IN_LINE))

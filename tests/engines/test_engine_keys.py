"""The DuckDB engine reads a JSON Lines row only if it holds no key but the fields it reads.

A JSON Lines file is read with declared columns, which would drop other keys
in silence: the engine counts the file's colons (each key is followed by
one) against the fields and facts it read, and when they differ counts each
line's keys; a line with a key it does not read goes to the Python reader.
DuckDB's JSON reader also takes a comma after an object's last member, which
the Python reader refuses (it is not JSON): the engine counts the file's
commas too, and looks for such a comma when they are not those between the
members of its objects.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from test_engine_duckdb import MSFT, _engine_reads, _reports, _sample_records

from dealcheck.engines.sources import SourceSql


@pytest.mark.parametrize(("ident", "extra", "read"), [
    ("x:1", "", True),  # a colon in a value: each line's keys are counted, all known
    ("x1", ', "regoin": null', False),  # an unknown key, null: the colons tell
    ("x:1", ', "regoin": null', False),  # ... and each line's keys, with a colon in a value
    ("x1", ', "facts": {"rofr_declinde": null}', False),  # an unknown fact, null
    ("x1", ', "region": null', False),  # a known key, null, given twice
])
def test_every_key_of_json_lines_is_known_or_the_python_reader_explains(
        tmp_path: Path, ident: str, extra: str, read: bool) -> None:
    records = _sample_records(50, seed=5)
    records[20]["id"] = ident
    records[30].pop("facts", None)
    text = "".join(json.dumps(r) + "\n" for r in records)
    if extra:
        lines = text.splitlines(keepends=True)
        lines[30] = lines[30].rstrip("}\n") + extra + "}\n"
        text = "".join(lines)
    path = tmp_path / "keys.jsonl"
    path.write_text(text, encoding="utf-8")
    assert _engine_reads(MSFT, path) is read
    python, duck = _reports(MSFT, path, tmp_path)
    assert duck == python


@pytest.mark.parametrize(("ident", "edit", "read"), [
    ("x1", lambda line: line[:-2] + ",}\n", False),  # a comma after the last member
    ("x1", lambda line: line[:-2] + " ,\t }\n", False),  # ... with spaces around it
    ("x1", lambda line: line[:-3] + ",}}\n", False),  # ... of the facts
    ("x1", lambda line: line[:-2] + ', "end": null,}\n', False),  # ... after a null
    ("x,1", lambda line: line, True),  # a comma in a string: each line is looked at
    ("x,}", lambda line: line, True),  # ... before a brace
    ('x",}', lambda line: line, True),  # ... after an escaped quote
    ("x,1", lambda line: line.replace('"x,1"', '"x\\u002c1"')[:-2] + ",}\n",
     False),  # an escaped comma, and a comma after the last member
])
def test_a_comma_after_the_last_member_is_not_json(tmp_path: Path, ident: str,
                                                    edit: Callable[[str], str],
                                                    read: bool) -> None:
    """DuckDB's JSON reader takes a trailing comma; the Python reader does not (it is not
    JSON): the engine counts the file's commas, and when they are not those between
    the members of its objects, looks for one on each line outside its strings."""
    records = _sample_records(50, seed=5)
    records[20]["id"] = ident
    records[20].pop("facts", None)
    records[20]["facts"] = {"rofr_declined": True}  # the last member
    lines = [json.dumps(r) + "\n" for r in records]
    lines[20] = edit(lines[20])
    path = tmp_path / "commas.jsonl"
    path.write_text("".join(lines), encoding="utf-8")
    assert _engine_reads(MSFT, path) is read
    python, duck = _reports(MSFT, path, tmp_path)
    assert duck == python


def test_the_commas_of_plain_json_lines_are_counted_not_looked_for(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With no comma in a string, the file's commas are those between its members (facts
    or none, empty or not): no line is looked at."""
    looked: list[str] = []
    monkeypatch.setattr(SourceSql, "trailing_commas",
                        lambda self, path: looked.append(path) or False)
    records = _sample_records(60, seed=7)
    records[3]["facts"] = {}
    records[4].pop("facts", None)
    records[5]["facts"] = {"rofr_declined": False, "microsoft_consent": True}
    path = tmp_path / "plain.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    assert _engine_reads(MSFT, path)
    assert looked == []
    records[6]["id"] = "x,6"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    assert _engine_reads(MSFT, path)
    assert looked == [str(path)]

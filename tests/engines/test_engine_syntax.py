"""Inventories edited a few characters at a time: the DuckDB engine's report, or its
diagnostics, are the Python engine's, byte for byte.

DuckDB's readers take some text that the Python reader refuses: a comma after a
JSON object's last member, or empty cells past a CSV row's last. The engine must
see each such text and hand the file to the Python reader. These edits of valid
files look for more such texts: characters of JSON and CSV syntax, and
whitespace, inserted or deleted where the syntax is (a search: ``DEALCHECK_HYPOTHESIS=long``
draws ten times as many).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_engine_duckdb import MSFT, _reports, _sample_records, write_csv, write_jsonl

from hypothesis_profiles import examples

# Two checks an example: the slow tier.
pytestmark = pytest.mark.slow

#: What an edit inserts: JSON and CSV syntax, escapes, whitespace.
_TEXTS = (",", " ", "\r", '"', "\\", "}", "null")
#: Where an edit is made: before a character of JSON or CSV syntax, or at a line's end.
_SYNTAX = frozenset('{}[],:"')


@settings(max_examples=examples(800), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from(["jsonl", "csv"]), data=st.data())
def test_edited_inventories_give_the_same_report_or_diagnostics(
        kind: str, data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        path = root / f"edited.{kind}"
        (write_jsonl if kind == "jsonl" else write_csv)(path, _sample_records(8, seed=3))
        lines = path.read_bytes().decode("utf-8").split("\n")
        for _ in range(data.draw(st.integers(1, 2), label="edits")):
            number = data.draw(st.integers(0, len(lines) - 1), label="line")
            line = lines[number]
            at = data.draw(st.sampled_from([i for i, c in enumerate(line) if c in _SYNTAX]
                                           + [len(line)]), label="at")
            if data.draw(st.booleans(), label="insert"):
                line = line[:at] + data.draw(st.sampled_from(_TEXTS), label="text") + line[at:]
            else:
                line = line[:at] + line[at + 1:]
            lines[number] = line
        path.write_bytes("\n".join(lines).encode("utf-8"))
        python, duck = _reports(MSFT, path, root)
        assert duck == python

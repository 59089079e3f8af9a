"""The DuckDB engine reads a JSON Lines row only if it holds no key but the fields it reads.

A JSON Lines file is read with declared columns, which would drop other keys
in silence: the engine counts the file's colons (each key is followed by
one) against the fields and facts it read, and when they differ counts each
line's keys; a line with a key it does not read goes to the Python reader.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_engine_duckdb import MSFT, _engine_reads, _reports, _sample_records


@pytest.mark.parametrize(("ident", "extra", "read"), [
    ("d:1", "", True),  # a colon in a value: each line's keys are counted, all known
    ("d1", ', "regoin": null', False),  # an unknown key, null: the colons tell
    ("d:1", ', "regoin": null', False),  # ... and each line's keys, with a colon in a value
    ("d1", ', "facts": {"rofr_declinde": null}', False),  # an unknown fact, null
    ("d1", ', "region": null', False),  # a known key, null, given twice
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

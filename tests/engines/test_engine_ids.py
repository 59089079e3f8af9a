"""Hostile deployment ids: the DuckDB engine's reports are byte for byte the Python engine's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_engine_duckdb import MSFT, _boundary_records, write_csv, write_jsonl

from helpers import run_dealcheck

#: Ids JSON escapes (quotes, backslashes), and ids that CSV quotes (commas, quotes).
ESCAPED_IDS = ['say "hi"', "back\\slash", '\\"both\\"', "it's", "a,b", "{}[]:<>&%$#@!?/~`|^*+="]
#: Ids that are printable, but not ASCII.
UNICODE_IDS = ["Zürich", "東京-api", "rocket-🚀", "café", "Ωmega"]
#: Ids the scenario reader refuses: control characters (C0, DEL, C1), a bidirectional
#: control, an invisible format character, a line separator (inside: CSV strips
#: the whitespace around a cell, which holds `\x85` and `\u2028`).
UNFIT_IDS = ["bell\x07", "tab\tbed", "del\x7f", "c1\x85mid", "rtl\u202e",
             "zw\u200bsp", "ls\u2028mid"]


def _with_ids(ids: list[str]) -> list[dict[str, Any]]:
    """The boundary records, the first ones given `ids` (the others keep theirs)."""
    records = _boundary_records(MSFT)
    assert len(records) > len(ids)
    for record, ident in zip(records, ids, strict=False):
        record["id"] = ident
    return records


def _write(tmp_path: Path, kind: str, records: list[dict[str, Any]]) -> Path:
    path = tmp_path / f"inventory.{kind}"
    return (write_jsonl if kind == "jsonl" else write_csv)(path, records)


def _both(tmp_path: Path, path: Path, fmt: str) -> dict[str, Any]:
    return {engine: run_dealcheck("check", MSFT, path, "--format", fmt, "--engine", engine,
                                  cwd=tmp_path) for engine in ("python", "duckdb")}


@pytest.mark.parametrize("fmt", ["jsonl", "json"])
@pytest.mark.parametrize("kind", ["jsonl", "csv"])
def test_ids_with_quotes_and_backslashes_are_escaped_as_json_escapes_them(
        tmp_path: Path, kind: str, fmt: str, opened: list[bool]) -> None:
    path = _write(tmp_path, kind, _with_ids(ESCAPED_IDS))
    done = _both(tmp_path, path, fmt)
    assert opened == [True]  # the engine renders them itself
    assert done["duckdb"].returncode == done["python"].returncode == 1
    assert done["duckdb"].stdout == done["python"].stdout
    for ident in ESCAPED_IDS:  # written as JSON writes them
        escaped = ident.replace("\\", "\\\\").replace('"', '\\"')
        assert f'"id": "{escaped}"' in done["duckdb"].stdout or (
            f'"id":"{escaped}"' in done["duckdb"].stdout)


@pytest.mark.parametrize("fmt", ["jsonl", "json"])
@pytest.mark.parametrize("kind", ["jsonl", "csv"])
def test_unicode_ids_are_written_as_they_are(tmp_path: Path, kind: str, fmt: str) -> None:
    path = _write(tmp_path, kind, _with_ids(UNICODE_IDS))
    done = _both(tmp_path, path, fmt)
    assert done["duckdb"].returncode == done["python"].returncode == 1
    assert done["duckdb"].stdout == done["python"].stdout
    assert all(ident in done["duckdb"].stdout for ident in UNICODE_IDS)


@pytest.mark.parametrize("ident", UNFIT_IDS)
@pytest.mark.parametrize("kind", ["jsonl", "csv"])
def test_unfit_ids_read_as_the_python_engine_says(tmp_path: Path, kind: str,
                                                 ident: str) -> None:
    path = _write(tmp_path, kind, _with_ids(["fine", ident]))
    done = _both(tmp_path, path, "jsonl")
    assert done["duckdb"].returncode == done["python"].returncode == 2
    assert (done["duckdb"].stdout, done["duckdb"].stderr) == ("", done["python"].stderr)
    assert f"inventory.{kind}:{2 + (kind == 'csv')}:" in done["duckdb"].stderr


def test_an_id_given_twice_with_quotes_is_a_duplicate(tmp_path: Path) -> None:
    path = _write(tmp_path, "jsonl", _with_ids(['tw"in', "other", 'tw"in']))
    done = _both(tmp_path, path, "jsonl")
    assert done["duckdb"].returncode == done["python"].returncode == 2
    assert done["duckdb"].stderr == done["python"].stderr
    assert "duplicate deployment id" in done["duckdb"].stderr

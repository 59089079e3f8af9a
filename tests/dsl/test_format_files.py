"""`format_files`: what `dealcheck fmt [--check]` calls."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from dealcheck.dsl import format as fmt_module
from dealcheck.dsl.diagnostics import DiagnosticsError
from dealcheck.dsl.format import FormatError, format_files

MESSY = 'agreement   "T" effective 2025-01-01\nparty A ,B\n'
CANONICAL = 'agreement "T" effective 2025-01-01\n\nparty A, B\n'
BROKEN = 'agreement "T" effective 2025-01-01\nparty A B\n'


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    paths = {
        "messy": tmp_path / "messy.deal",
        "canonical": tmp_path / "canonical.deal",
        "broken": tmp_path / "broken.deal",
    }
    for name, text in (("messy", MESSY), ("canonical", CANONICAL), ("broken", BROKEN)):
        paths[name].write_text(text, encoding="utf-8")
    return paths


def test_check_reports_changes_and_diffs_without_writing(files: dict[str, Path]) -> None:
    changed, diffs = format_files([files["messy"], files["canonical"]], check=True)
    assert changed == [str(files["messy"])]
    (diff,) = diffs
    assert diff.startswith(f"--- {files['messy']}\n+++ {files['messy']} (formatted)\n")
    assert "-party A ,B\n" in diff and "+party A, B\n" in diff
    assert files["messy"].read_text(encoding="utf-8") == MESSY


def test_write_rewrites_only_changed_files(files: dict[str, Path]) -> None:
    before = files["canonical"].stat().st_mtime_ns
    files["messy"].chmod(0o640)
    changed, diffs = format_files([files["messy"], files["canonical"]], check=False)
    assert changed == [str(files["messy"])]
    assert diffs == []
    assert files["messy"].read_text(encoding="utf-8") == CANONICAL
    assert stat.S_IMODE(files["messy"].stat().st_mode) == 0o640
    assert files["canonical"].stat().st_mtime_ns == before
    assert sorted(os.listdir(files["messy"].parent)) == [
        "broken.deal",
        "canonical.deal",
        "messy.deal",
    ]  # no temporary file left


def test_bad_input_is_reported_and_left_untouched(files: dict[str, Path]) -> None:
    with pytest.raises(DiagnosticsError) as exc:
        format_files([files["broken"], files["messy"]], check=False)
    assert [(d.span.file, d.span.line) for d in exc.value.diagnostics] == [
        (str(files["broken"]), 2)
    ]
    assert exc.value.sources == {str(files["broken"]): BROKEN}
    assert files["broken"].read_text(encoding="utf-8") == BROKEN
    # The good file is still formatted.
    assert files["messy"].read_text(encoding="utf-8") == CANONICAL


def test_every_bad_file_is_reported(files: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(DiagnosticsError) as exc:
        format_files([files["broken"], tmp_path / "missing.deal"], check=True)
    assert sorted(d.code for d in exc.value.diagnostics) == ["DC001", "DC901"]


def test_a_formatter_bug_writes_nothing(
    files: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fmt_module, "render", lambda *args: CANONICAL + "party C\n")
    with pytest.raises(FormatError):
        format_files([files["messy"]], check=False)
    assert files["messy"].read_text(encoding="utf-8") == MESSY


def test_a_failed_write_keeps_the_original(
    files: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(DiagnosticsError) as exc:
        format_files([files["messy"]], check=False)
    assert [(d.code, d.message) for d in exc.value.diagnostics] == [
        ("DC904", f"cannot write `{files['messy']}`: no space left on device")
    ]
    assert files["messy"].read_text(encoding="utf-8") == MESSY
    assert len(os.listdir(files["messy"].parent)) == 3  # the temporary file is gone


def test_diff_marks_a_missing_final_newline(tmp_path: Path) -> None:
    path = tmp_path / "terms.deal"
    path.write_text(CANONICAL.rstrip("\n"), encoding="utf-8")
    _, (diff,) = format_files([path], check=True)
    assert diff.endswith("-party A, B\n\\ No newline at end of file\n+party A, B\n")

"""The version a report names is what its caller supplies; renderers do not look it up."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

import dealcheck
from dealcheck.checker.results import Report
from dealcheck.cli import main
from dealcheck.report.html import render_html
from dealcheck.report.json import render_json
from dealcheck.report.junit import render_junit
from dealcheck.report.markdown import render_markdown
from dealcheck.report.model import ReportDocument
from dealcheck.report.output import ReportMeta, make_renderer, stream_report
from dealcheck.report.sarif import render_sarif
from dealcheck.report.text import render_text

ROOT = Path(__file__).resolve().parents[2]
REPORT_PACKAGE = ROOT / "src" / "dealcheck" / "report"
GIVEN = "7.7.7+given"
FORMATS = ("json", "junit", "sarif", "markdown", "text", "html")


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_streamed_report_names_the_version_of_its_header(report: Report, fmt: str) -> None:
    meta = ReportMeta.of(report, GIVEN)
    renderer = make_renderer(fmt, width=100)
    text = "".join(stream_report(renderer, meta, report.deployments, report.aggregates))
    assert GIVEN in text
    assert dealcheck.__version__ not in text


def test_whole_report_renderers_name_the_version_given(report: Report) -> None:
    texts = {
        "json": render_json(report, version=GIVEN),
        "junit": render_junit(report, version=GIVEN),
        "sarif": render_sarif(report, version=GIVEN),
        "markdown": render_markdown(report, version=GIVEN),
        "text": render_text(report, version=GIVEN),
        "html": render_html(report, version=GIVEN),
        "model": ReportDocument.from_report(report, version=GIVEN).to_json(),
    }
    assert {name: GIVEN in text for name, text in texts.items()} == dict.fromkeys(texts, True)
    assert json.loads(texts["model"])["dealcheck_version"] == GIVEN


def test_without_a_version_a_report_names_this_package(report: Report) -> None:
    document = json.loads(render_json(report))
    assert document["dealcheck_version"] == dealcheck.__version__


def test_the_cli_supplies_the_package_version(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(dealcheck, "__version__", "5.5.5+cli")
    terms = ROOT / "examples" / "microsoft-openai" / "terms.deal"
    deals = ROOT / "examples" / "microsoft-openai" / "deals.yaml"
    main(["check", str(terms), str(deals), "--format", "json"])
    assert json.loads(capsys.readouterr().out)["dealcheck_version"] == "5.5.5+cli"


def _imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module is not None:
            names.add(node.module)
            if node.module == "dealcheck":
                names.update(f"dealcheck.{alias.name}" for alias in node.names)
    return names


def test_renderers_import_neither_the_facade_nor_package_metadata() -> None:
    paths = sorted(REPORT_PACKAGE.glob("*.py"))
    assert len(paths) >= 7
    found = {
        path.name: sorted(n for n in _imported_modules(path)
                          if n == "dealcheck" or n.startswith("importlib"))
        for path in paths
    }
    assert {name: names for name, names in found.items() if names} == {}

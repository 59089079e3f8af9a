"""`DEALCHECK_EVALUATOR=reference`: every check judges with the reference evaluator alone."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest

import dealcheck
from dealcheck.checker import codegen, evaluate
from dealcheck.checker.compile import _Tests
from dealcheck.cli import main

ROOT = Path(__file__).resolve().parents[2]
TERMS = ROOT / "examples" / "microsoft-openai" / "terms.deal"
SCENARIO = ROOT / "examples" / "microsoft-openai" / "deals.yaml"
sys.path.insert(0, str(ROOT / "benchmarks"))

from common import sample_records  # noqa: E402


class Calls:
    """Counts the calls of the reference, of generated evaluators and of generated observers."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.reference = self.generated = self.observers = 0
        reference, build = evaluate.evaluate_reference, codegen.build_evaluator
        observer = _Tests.observer.fget
        assert observer is not None

        def counted_reference(*args: object) -> dealcheck.DeploymentResult:
            self.reference += 1
            return reference(*args)  # type: ignore[arg-type]

        def counted_build(*args: object) -> codegen.KeyEvaluator:
            self.generated += 1
            return build(*args)  # type: ignore[arg-type]

        def counted_observer(tests: _Tests) -> codegen.Callable[..., object]:
            self.observers += 1
            return observer(tests)  # type: ignore[no-any-return]

        monkeypatch.setattr(evaluate, "evaluate_reference", counted_reference)
        monkeypatch.setattr(codegen, "build_evaluator", counted_build)
        monkeypatch.setattr(_Tests, "observer", property(counted_observer))


def _judge_everything(terms: dealcheck.Terms) -> list[object]:
    records = sample_records(300, seed=3)
    out: list[object] = [terms.check(records), terms.check(records, as_of="2025-11-01")]
    out += [terms.decide(r) for r in records[:50]]
    return out


def test_the_switch_makes_every_check_use_the_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    generated = _judge_everything(dealcheck.load(TERMS))
    monkeypatch.setenv("DEALCHECK_EVALUATOR", "reference")
    calls = Calls(monkeypatch)
    referenced = _judge_everything(dealcheck.load(TERMS))
    assert calls.generated == 0 and calls.observers == 0
    # One reference call per deployment judged: two checks of 300, 50 decisions.
    assert calls.reference == 650
    assert referenced == generated


def test_without_the_switch_checks_use_generated_code(monkeypatch: pytest.MonkeyPatch) -> None:
    # The other side of the test above: it would pass vacuously if nothing was ever generated.
    for value in (None, "generated"):
        if value is None:
            monkeypatch.delenv("DEALCHECK_EVALUATOR", raising=False)
        else:
            monkeypatch.setenv("DEALCHECK_EVALUATOR", value)
        calls = Calls(monkeypatch)
        _judge_everything(dealcheck.load(TERMS))
        assert calls.generated > 0 and calls.observers > 0
        assert calls.reference < 650  # outcomes are shared per key


def test_the_switch_reaches_the_command_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEALCHECK_EVALUATOR", "reference")
    calls = Calls(monkeypatch)
    assert main(["check", str(TERMS), str(SCENARIO), "--format", "json"]) in (0, 1)
    assert calls.generated == 0 and calls.observers == 0 and calls.reference > 0


def test_an_unknown_evaluator_is_a_located_diagnostic(monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DEALCHECK_EVALUATOR", "refrence")
    terms = dealcheck.load(TERMS)
    with pytest.raises(dealcheck.DiagnosticsError) as caught:
        terms.decide(sample_records(1)[0], as_of=dt.date(2025, 11, 1))
    [diagnostic] = caught.value.diagnostics
    assert diagnostic.code == "DC909" and diagnostic.span.file == "<environment>"
    assert diagnostic.message == ("DEALCHECK_EVALUATOR must be `generated` or `reference`, "
                                  "found `refrence`")
    assert diagnostic.help == ("unset it for the generated evaluators, "
                               "or write DEALCHECK_EVALUATOR=reference")
    capsys.readouterr()
    assert main(["check", str(TERMS), str(SCENARIO)]) == 2
    assert "<environment>:1:1: error[DC909]: DEALCHECK_EVALUATOR" in capsys.readouterr().err

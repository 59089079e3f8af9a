"""The pytest plugin: the executable examples of ``*.deal`` files as test items.

Registered through the ``pytest11`` entry point, so installing dealcheck is
enough: ``pytest examples/`` collects every ``*.deal`` file that holds
examples, one test item per example, and a failing item shows what was
expected, what came out, and the explanation of each deployment concerned
(as ``dealcheck explain`` prints it). A terms file with errors is one failing
item that shows the diagnostics.

The `deal_terms` fixture loads a terms file for a test (paths are relative to
the test file's directory) and caches it for the session::

    @given(data=st.data())
    def test_the_api_stays_on_azure(deal_terms, data):
        terms = deal_terms("terms.deal")
        d = data.draw(deployments(terms, workload="api"))
        ...

Collection can be turned off with ``dealcheck_examples = false`` in the
pytest configuration, or the plugin with ``-p no:dealcheck``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from dealcheck.checker.examples import ExampleOutcome
    from dealcheck.dsl.diagnostics import Diagnostic
    from dealcheck.rules.model import Example
    from dealcheck.terms import Terms

# Only the plugin's hooks and classes are imported when pytest starts: dealcheck
# itself is imported on the first `.deal` file or fixture use.

#: A file holds examples if a line starts with the `example` keyword.
_HAS_EXAMPLES = re.compile(r"^[ \t]*example[ \t]", re.MULTILINE)
_CACHE = pytest.StashKey[dict[Path, "Terms"]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("dealcheck_examples", type="bool", default=True,
                  help="collect the executable examples of *.deal files as tests "
                       "(dealcheck plugin)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "dealcheck: an executable example of a *.deal file")
    config.stash[_CACHE] = {}


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.suffix != ".deal" or not parent.config.getini("dealcheck_examples"):
        return None
    return DealFile.from_parent(parent, path=file_path)


class DealFile(pytest.File):
    """A terms file: one item per example, or one failing item when it does not load."""

    def collect(self) -> Iterator[pytest.Item]:
        import dealcheck
        from dealcheck.io_text import read_text

        name = str(self.path)
        try:
            text = read_text(name)
        except dealcheck.DiagnosticsError as exc:
            yield DealTermsError.from_parent(self, name="terms", diagnostics=exc.diagnostics,
                                             sources={})
            return
        if not _HAS_EXAMPLES.search(text):
            return
        terms, diagnostics = dealcheck.analyze(text, name)
        if terms is None:
            errors = [d for d in diagnostics if d.severity == "error"]
            yield DealTermsError.from_parent(self, name="terms", diagnostics=errors,
                                             sources={name: text})
            return
        self.config.stash[_CACHE][self.path.resolve()] = terms
        seen: set[str] = set()
        for example in terms.examples:
            title = example.title or "example"
            if title in seen:
                title = f"{title} [line {example.span.line}]"
            seen.add(title)
            yield DealExample.from_parent(self, name=title, terms=terms, example=example)


class DealExampleFailed(Exception):
    """An example whose expectations the check did not meet."""

    def __init__(self, outcome: ExampleOutcome) -> None:
        super().__init__("; ".join(outcome.failures))
        self.outcome = outcome


class DealExample(pytest.Item):
    """One executable example of a terms file."""

    def __init__(self, *, terms: Terms, example: Example, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.terms = terms
        self.example = example
        self.add_marker("dealcheck")

    def runtest(self) -> None:
        from dealcheck.checker.examples import run_example

        outcome = run_example(self.terms, self.example)
        if outcome.failures:
            raise DealExampleFailed(outcome)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: Any = None) -> str:
        if not isinstance(excinfo.value, DealExampleFailed):
            return str(super().repr_failure(excinfo, style))
        return describe_failure(self.terms, excinfo.value.outcome)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.example.span.line - 1, f"example: {self.example.title}"


class DealTermsError(pytest.Item):
    """A terms file that does not load: fails with its diagnostics."""

    def __init__(self, *, diagnostics: list[Diagnostic], sources: dict[str, str],
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.diagnostics = diagnostics
        self.sources = sources

    def runtest(self) -> None:
        from dealcheck.dsl.diagnostics import DiagnosticsError

        raise DiagnosticsError(self.diagnostics, self.sources)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: Any = None) -> str:
        from dealcheck.dsl.diagnostics import render_text

        count = len(self.diagnostics)
        return (f"{self.path}: the terms do not load ({count} error{'s' * (count != 1)})\n\n"
                + render_text(self.diagnostics, self.sources))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, "terms file"


def describe_failure(terms: Terms, outcome: ExampleOutcome) -> str:
    """What an example expected, what the check said, and how each deployment was judged."""
    from dealcheck.checker.explain import explain, render_explanation

    example = outcome.example
    lines = [f'{example.span.file}:{example.span.line}: example "{example.title}" failed']
    lines += [f"  {failure}" for failure in outcome.failures]
    deployments = [e.deployment for e in example.deployments]
    named = [d for d in deployments
             if len(deployments) == 1 or any(f"`{d.id}`" in f for f in outcome.failures)]
    compiled = terms.compiled()
    for d in named:
        lines += ["", f"explanation of `{d.id}`:"]
        text = render_explanation(explain(compiled, d, example.as_of), terms)
        lines += [f"  {line}" if line else "" for line in text.rstrip("\n").splitlines()]
    aggregates = [a for a in outcome.report.aggregates
                  if any(f"`{a.clause}`" in f for f in outcome.failures)]
    for a in aggregates:
        lines += ["", f"aggregate `{a.clause}`: {a.verdict}: {a.message}",
                  f"  contributors: {', '.join(a.contributors) or 'none'}"]
    return "\n".join(lines)


@pytest.fixture(scope="module")
def deal_terms(request: pytest.FixtureRequest) -> Callable[[str | Path], Terms]:
    """Load a terms file: ``deal_terms("terms.deal")`` (relative to the test module's directory).

    Files are loaded once per session. A file with errors fails the test with
    its diagnostics. The fixture is module-scoped, so Hypothesis' ``@given``
    tests can use it.
    """
    cache = request.config.stash[_CACHE]
    base = request.path.parent

    def load(path: str | Path) -> Terms:
        import dealcheck
        from dealcheck.dsl.diagnostics import render_text

        resolved = (base / path).resolve()
        if resolved not in cache:
            try:
                cache[resolved] = dealcheck.load(resolved)
            except dealcheck.DiagnosticsError as exc:
                pytest.fail(f"{path}: the terms do not load\n\n"
                            + render_text(exc.diagnostics, exc.sources), pytrace=False)
        return cache[resolved]

    return load

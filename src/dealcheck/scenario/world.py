"""Facts of the whole check: ``--fact NAME=VALUE`` on the command line, ``terms.check(facts=…)``.

They hold for every deployment that does not give its own value (share
prices, notices, events), over the facts a scenario file gives its whole
scenario (`facts:` at its top): what is said when the check runs wins over
what the files say. Their values are read and checked as a scenario's facts
are; ``--fact`` values are text, as CSV cells are (``true``, ``12 USD``,
``2025-03-01``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from dealcheck.dsl.diagnostics import Diagnostic, DiagnosticsError, error
from dealcheck.dsl.span import Span
from dealcheck.rules.model import Vocabulary
from dealcheck.scenario.fields import FieldRules, fact_example
from dealcheck.scenario.model import FactValue
from dealcheck.scenario.tree import Entry, Map, Scalar, code, node_from_python

__all__ = ["FACT_OPTION", "MALFORMED_FACT", "check_facts", "parse_fact_options"]

#: Where ``--fact`` problems are located: a source of that name, one argument a line.
FACT_OPTION = "--fact"
#: The code of a ``--fact`` argument that is not ``NAME=VALUE``.
MALFORMED_FACT = "DC955"


def parse_fact_options(arguments: Sequence[str], vocabulary: Vocabulary
                       ) -> dict[str, FactValue]:
    """The facts of ``--fact NAME=VALUE`` arguments, checked against the terms' facts.

    Raises:
        DiagnosticsError: every problem, located in the argument (its line in
            the source ``--fact``): not ``NAME=VALUE`` (DC955), an undeclared
            fact (DC303, with the closest declared name), a value of the wrong
            type (DC308, DC309), a fact given twice (DC305).
    """
    diagnostics: list[Diagnostic] = []
    entries: list[Entry] = []
    start = 0
    for line, argument in enumerate(arguments, 1):
        name, equals, value = argument.partition("=")
        key = name.strip()
        if not equals or not key:
            example = fact_example(vocabulary.facts)
            diagnostics.append(error(
                MALFORMED_FACT, f"`--fact` takes NAME=VALUE, found {code(argument)}",
                _span(start, line, 0, len(argument)),
                help=f"e.g. `{example[0]}={example[1]}`" if example
                else "the terms declare no facts: leave `--fact` out"))
        else:
            at = len(name) + 1
            entries.append(Entry(key, _span(start, line, len(name) - len(name.lstrip()),
                                            len(name.rstrip())),
                                 Scalar(value, _span(start, line, at, len(argument)),
                                        textual=True)))
        start += len(argument) + 1
    text = "\n".join(arguments)
    facts = FieldRules(vocabulary).facts(Map(tuple(entries), _span(0, 1, 0, len(text))),
                                          diagnostics)
    if diagnostics:
        raise DiagnosticsError(diagnostics, {FACT_OPTION: text})
    return facts


def check_facts(facts: Mapping[str, object] | None, vocabulary: Vocabulary
                ) -> dict[str, FactValue]:
    """`terms.check(facts=…)`: values as a scenario's `facts:` gives them (a bool, a name, a
    date or ISO text, a `Quantity` or text such as ``"12 USD"``).

    Raises:
        DiagnosticsError: every problem, located at ``facts``.
    """
    if not facts:
        return {}
    diagnostics: list[Diagnostic] = []
    node = node_from_python(facts, Span("facts", 0, 0, 1, 1, 1, 1))
    found = FieldRules(vocabulary).facts(node, diagnostics)
    if diagnostics:
        raise DiagnosticsError(diagnostics)
    return found


def _span(line_start: int, line: int, start: int, end: int) -> Span:
    """Columns `start` to `end` (from 0) of the argument on `line`, which begins at `line_start`."""
    return Span(FACT_OPTION, line_start + start, line_start + end, line, start + 1, line, end + 1)

"""An imported scenario tree written as a scenario YAML file (`dealcheck import`)."""

from __future__ import annotations

import json
import re

from dealcheck.dsl.escape import printable
from dealcheck.scenario.tree import Map, Node, Scalar, Seq

__all__ = ["scenario_yaml", "yaml_scalar"]

# Plain YAML scalars that read back as the same text: no indicator first, no `: ` or ` #`.
_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-/\[\]]*(?: [A-Za-z0-9_.\-/\[\]]+)*")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# Plain words YAML 1.1 and 1.2 read as booleans or null.
_RESERVED = frozenset(["y", "yes", "n", "no", "true", "false", "on", "off", "null"])


def yaml_scalar(text: str, *, date: bool = False) -> str:
    """`text` as a YAML scalar that reads back as the same string (with `date`, as a date).

    >>> yaml_scalar("aws_instance.web"), yaml_scalar("yes"), yaml_scalar('a["k"]')
    ('aws_instance.web', '"yes"', '"a[\\\\"k\\\\"]"')
    >>> yaml_scalar("2026-01-01"), yaml_scalar("2026-01-01", date=True)
    ('"2026-01-01"', '2026-01-01')
    """
    if (date and _DATE.fullmatch(text)) or (
            _PLAIN.fullmatch(text) and text.lower() not in _RESERVED):
        return text
    # ASCII only: every other character as an escape, which YAML reads as JSON does.
    return json.dumps(text)


def scenario_yaml(tree: Node, header: list[str]) -> str:
    """The scenario YAML of an imported tree: `header` as comments, then one item a deployment.

    Each deployment names, in a comment, the line of the plan that holds it.
    """
    lines = [f"# {line}" for line in header]
    items = tree_items(tree)
    lines.append("deployments:" if items else "deployments: []")
    for item in items:
        for number, entry in enumerate(item.entries):
            assert isinstance(entry.value, Scalar)  # INVARIANT: imported fields are scalars
            value = yaml_scalar(str(entry.value.value), date=entry.key in ("start", "end"))
            lead = "  - " if number == 0 else "    "
            where = (f"  # {printable(item.span.file)}:{item.span.line}:"
                     f"{item.span.column}") if number == 0 else ""
            lines.append(f"{lead}{entry.key}: {value}{where}")
    return "\n".join(lines) + "\n"


def tree_items(tree: Node) -> list[Map]:
    """The deployment mappings of an imported tree."""
    if not isinstance(tree, Map):
        return []
    deployments = next((e.value for e in tree.entries if e.key == "deployments"), None)
    return [item for item in deployments.items if isinstance(item, Map)] \
        if isinstance(deployments, Seq) else []

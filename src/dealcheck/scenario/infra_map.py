"""Infrastructure maps: how the resources of a Terraform plan or an inventory become deployments.

A map is a small YAML file (docs/inputs.md)::

    party: OpenAI
    start: 2026-01-01
    provider: {aws: AWS, google: GCP}
    workload: {aws_autoscaling_group: training, "tag:Stage=Prod": api, "*": ~}
    region: {us-*: US, eastus: US, westeurope: EU}

`load_map` reads and checks it (every problem located, with a suggestion);
`InfraMap` then answers, for one resource, its workload, provider and region.
The values stay `Scalar` nodes spanning the map, so that a name the terms do
not declare is reported at the line of the map that gave it.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from dealcheck.dsl.diagnostics import Diagnostic, DiagnosticsError, did_you_mean, error
from dealcheck.dsl.span import Span
from dealcheck.scenario import errors
from dealcheck.scenario.fields import parse_date, unique_entries
from dealcheck.scenario.source import decode_text, read_bytes
from dealcheck.scenario.tree import Entry, Map, Node, Scalar, code, describe

__all__ = ["MAP_FIELDS", "InfraMap", "Rule", "load_map", "match_tag"]

#: The keys of a map, in the order docs/inputs.md explains them.
MAP_FIELDS = ("party", "start", "end", "provider", "workload", "region")
_RULES = ("provider", "workload", "region")
_TAG = "tag:"


@dataclass(frozen=True, slots=True)
class Rule:
    """One entry of `provider:`, `workload:` or `region:`: a pattern and what it maps to.

    `value` is None for an entry mapped to ``~`` (null): what matches it is left out.
    """

    pattern: str
    value: Scalar | None
    span: Span  # the key's


@dataclass(frozen=True, slots=True)
class InfraMap:
    """A checked map. `party`, `start` and `end` are the map's own nodes (for their spans)."""

    path: str
    party: Scalar
    start: Scalar
    end: Scalar | None
    provider: tuple[Rule, ...]
    workload: tuple[Rule, ...]
    region: tuple[Rule, ...]

    def provider_of(self, name: str) -> Rule | None:
        """The entry for a Terraform provider's short name (``aws``), if the map has one."""
        return next((r for r in self.provider if r.pattern == name), None)

    def workload_of(self, kind: str, tags: Mapping[str, str]) -> Rule | None:
        """The first `workload:` entry that matches a resource type (glob) or one of its tags."""
        for rule in self.workload:
            if rule.pattern.startswith(_TAG):
                if match_tag(rule.pattern[len(_TAG):], tags):
                    return rule
            elif fnmatch.fnmatchcase(kind, rule.pattern):
                return rule
        return None

    def region_of(self, location: str) -> Rule | None:
        """The first `region:` entry whose glob matches a cloud location, in any case."""
        lowered = location.lower()
        return next((r for r in self.region
                     if fnmatch.fnmatchcase(lowered, r.pattern.lower())), None)


def match_tag(pattern: str, tags: Mapping[str, str]) -> bool:
    """Whether tags match ``KEY=VALUE`` (globs both), or hold ``KEY`` at all.

    >>> match_tag("Stage=Prod", {"Stage": "Prod"}), match_tag("Stage=Dev", {"Stage": "Prod"})
    (True, False)
    >>> match_tag("team", {"team": "ml"}), match_tag("env=*", {})
    (True, False)
    """
    key, sep, value = pattern.partition("=")
    return any(fnmatch.fnmatchcase(k, key) and (not sep or fnmatch.fnmatchcase(v, value))
               for k, v in tags.items())


def load_map(path: str | Path, start: str | None = None) -> InfraMap:
    """Read and check a map file.

    Args:
        path: the YAML map.
        start: ``--start DATE``, which the map's own `start:` gives way to.

    Raises:
        DiagnosticsError: every problem in the map, located, with the map's text.
    """
    from dealcheck.scenario.read_yaml import parse_yaml

    file = str(path)
    text, diagnostics = decode_text(read_bytes(path), file)
    root: Node | None = None
    if not diagnostics:
        root, diagnostics = parse_yaml(text, file)
    if not diagnostics and not isinstance(root, Map):
        found = "nothing" if root is None else describe(root)
        diagnostics.append(error(errors.WRONG_SHAPE, f"a map must be a mapping, found {found}",
                                 Span.point(file, 1, 1) if root is None else root.span,
                                 help="start with `party: NAME` and `start: YYYY-MM-DD`"))
    if diagnostics or not isinstance(root, Map):
        raise DiagnosticsError(diagnostics, {file: text})
    built = _build(file, root, start, diagnostics)
    if diagnostics or built is None:
        raise DiagnosticsError(diagnostics, {file: text})
    return built


def _build(file: str, root: Map, start: str | None,
           diagnostics: list[Diagnostic]) -> InfraMap | None:
    fields = unique_entries(root, diagnostics)
    for key, entry in fields.items():
        if key not in MAP_FIELDS:
            close = did_you_mean(key, MAP_FIELDS)
            diagnostics.append(error(
                errors.UNKNOWN_FIELD, f"unknown map key {code(key)}", entry.key_span,
                help=f"did you mean `{close}`?" if close
                else "expected one of: " + ", ".join(f"`{k}`" for k in MAP_FIELDS)))
    party = _text(fields.get("party"), "party", root, diagnostics)
    when = Scalar(start, Span.point("--start", 1, 1)) if start is not None else None
    if when is None:
        when = _text(fields.get("start"), "start", root, diagnostics, date=True)
    elif parse_date(when, "start", errors.MALFORMED_DATE, diagnostics) is None:
        when = None
    end = fields.get("end")
    ends = _text(end, "end", root, diagnostics, date=True) if end is not None else None
    rules = {name: _rules(fields[name].value, name, diagnostics) if name in fields else ()
             for name in _RULES}
    if party is None or when is None:
        return None
    return InfraMap(file, party, when, ends, rules["provider"], rules["workload"],
                    rules["region"])


def _text(entry: Entry | None, name: str, root: Map, diagnostics: list[Diagnostic], *,
          date: bool = False) -> Scalar | None:
    """A required scalar of the map: text, or with `date` an ISO date."""
    if entry is None:
        what = {"party": "naming the party of every deployment",
                "start": "with the day every deployment starts (YYYY-MM-DD), or give --start"
                }.get(name, "")
        diagnostics.append(error(
            errors.MISSING_FIELD, f"the map has no `{name}`", Span.point(root.span.file, 1, 1),
            help=f"add a line `{name}:` {what}"))
        return None
    node = entry.value
    if date:
        if parse_date(node, name, errors.MALFORMED_DATE, diagnostics) is None:
            return None
        assert isinstance(node, Scalar)  # INVARIANT: parse_date accepts scalars only
        value = node.value
        return Scalar(value.isoformat() if isinstance(value, dt.date) else value, node.span)
    if not isinstance(node, Scalar) or not isinstance(node.value, str) or not node.value:
        diagnostics.append(error(errors.WRONG_SHAPE, f"`{name}` must be a name, found "
                                 f"{describe(node)}", node.span))
        return None
    return node


def _rules(node: Node, name: str, diagnostics: list[Diagnostic]) -> tuple[Rule, ...]:
    """The entries of `provider:`, `workload:` or `region:`, in the order written."""
    if isinstance(node, Scalar) and node.value is None:
        return ()
    if not isinstance(node, Map):
        diagnostics.append(error(
            errors.WRONG_SHAPE, f"`{name}` must be a mapping, found {describe(node)}", node.span,
            help=f"write one `PATTERN: VALUE` a line under `{name}:`"))
        return ()
    found: list[Rule] = []
    for key, entry in unique_entries(node, diagnostics).items():
        value = entry.value
        if isinstance(value, Scalar) and value.value is None and name == "workload":
            found.append(Rule(key, None, entry.key_span))
        elif isinstance(value, Scalar) and isinstance(value.value, str) and value.value:
            found.append(Rule(key, value, entry.key_span))
        else:
            left_out = ", or `~` to leave such resources out" if name == "workload" else ""
            diagnostics.append(error(
                errors.WRONG_SHAPE, f"`{name}: {key}` must map to a name, found "
                f"{describe(value)}", value.span, help=f"write a name of the terms{left_out}"))
    return tuple(found)

"""Resources of a Terraform plan or a cloud inventory, turned by a map into a scenario tree.

The readers (`scenario.terraform`, `scenario.gcp_assets`) list `Resource`s;
`scenario_tree` applies an `InfraMap` to them and builds the tree a scenario
file would have been read into, its nodes spanning the input (ids, the
deployment itself) and the map (party, workload, provider, region). That
tree then goes through the one scenario validator, so an imported
deployment is checked exactly as a written one, and its report points at
the resource in the plan.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

from dealcheck.dsl.diagnostics import Diagnostic, error
from dealcheck.dsl.escape import printable
from dealcheck.dsl.span import Span
from dealcheck.scenario import errors
from dealcheck.scenario.infra_map import InfraMap
from dealcheck.scenario.read_json import parse_json
from dealcheck.scenario.tree import Entry, Map, Node, Scalar, Seq, code

__all__ = ["InfraReader", "Resource", "child", "scenario_tree", "tags_of", "text_of"]


@dataclass(frozen=True, slots=True)
class Resource:
    """One resource that is to exist: what a map needs to make it a deployment.

    Attributes:
        address: its Terraform address, or its inventory name: the deployment's id.
        kind: its resource type (``aws_instance``) or asset type.
        provider: the Terraform provider's short name (``aws``; ``google`` for GCP assets).
        location: its cloud location (region, zone or location), if known before apply.
        why_unknown: when `location` is None, why (for the note).
        tags: its tags or labels.
        span: the resource in the input; `address_span`, its address or name.
        provider_span: where the input names its provider.
    """

    address: str
    kind: str
    provider: str
    location: str | None
    span: Span
    address_span: Span
    provider_span: Span
    why_unknown: str = "no location in the resource or its provider configuration"
    tags: Mapping[str, str] = field(default_factory=dict)


def child(node: Node | None, key: str) -> Node | None:
    """The value of `key` in a mapping node (the first if repeated); None otherwise."""
    if isinstance(node, Map):
        for entry in node.entries:
            if entry.key == key:
                return entry.value
    return None


def text_of(node: Node | None) -> str | None:
    """A node's text, if it is a non-empty string."""
    if isinstance(node, Scalar) and isinstance(node.value, str) and node.value:
        return node.value
    return None


def tags_of(*nodes: Node | None) -> dict[str, str]:
    """The text tags or labels of the mapping nodes given, the first given winning."""
    found: dict[str, str] = {}
    for node in reversed(nodes):
        if isinstance(node, Map):
            found.update({e.key: str(e.value.value) for e in node.entries
                          if isinstance(e.value, Scalar) and e.value.value is not None})
    return found


def scenario_tree(resources: list[Resource], imap: InfraMap, kind: str,
                  diagnostics: list[Diagnostic], notes: list[str]) -> Map:
    """The scenario tree of `resources` under `imap`; what it leaves out goes to `notes`.

    A resource whose type no `workload:` entry matches is left out with a
    note; one whose provider the map does not name is an error (DC320).
    """
    items: list[Node] = []
    for resource in resources:
        rule = imap.workload_of(resource.kind, resource.tags)
        if rule is None:
            notes.append(f"left out {printable(resource.address)}: no `workload:` entry "
                         f"matches its type {code(resource.kind)}")
            continue
        if rule.value is None:
            continue  # mapped to `~` on purpose
        provider = imap.provider_of(resource.provider)
        if provider is None or provider.value is None:
            diagnostics.append(_unmapped_provider(resource, imap, kind))
            continue
        entries = [_entry("id", Scalar(resource.address, resource.address_span)),
                   _entry("party", imap.party), _entry("workload", rule.value),
                   _entry("provider", provider.value)]
        region = _region(resource, imap, notes)
        if region is not None:
            entries.append(_entry("region", region))
        entries.append(_entry("start", imap.start))
        if imap.end is not None:
            entries.append(_entry("end", imap.end))
        items.append(Map(tuple(entries), resource.span))
    whole = Span.point(imap.path, 1, 1)
    return Map((_entry("deployments", Seq(tuple(items), whole)),), whole)


def _region(resource: Resource, imap: InfraMap, notes: list[str]) -> Scalar | None:
    if resource.location is None:
        notes.append(f"region unknown for {printable(resource.address)}: "
                     f"{resource.why_unknown}")
        return None
    rule = imap.region_of(resource.location)
    if rule is None or rule.value is None:
        notes.append(f"region unknown for {printable(resource.address)}: no `region:` entry "
                     f"matches its location {code(resource.location)}")
        return None
    return rule.value


def _entry(key: str, value: Node) -> Entry:
    return Entry(key, value.span, value)


def _unmapped_provider(resource: Resource, imap: InfraMap, kind: str) -> Diagnostic:
    return error(
        errors.UNMAPPED_PROVIDER,
        f"the map names no provider for {kind} provider {code(resource.provider)} "
        f"(resource {code(resource.address, 200)})", resource.provider_span,
        help=f"add `{resource.kind}: ~` at the top of `workload:` in {imap.path} to leave it "
             f"out, or a line `{resource.provider}:` under `provider:` naming the provider of "
             "the terms it runs on")


_NOT_JSON = ("a plan is the JSON of `terraform show -json PLANFILE`; an asset export, a JSON "
             "list or JSON Lines of assets")
Reader = Callable[[Node, str, InfraMap, list[Diagnostic], list[str]], Map | None]


class InfraReader:
    """Reads a plan or an inventory through a map, as `load_file` reads a scenario's text.

    Calling it with a file's text gives the scenario tree and the diagnostics;
    `notes` gathers, across calls, what was left out or left unknown. A JSON
    object is read as a plan, a list (or JSON Lines) as an asset export,
    unless `only` says which.
    """

    def __init__(self, imap: InfraMap, only: str | None = None) -> None:
        self.imap = imap
        self.only = only  # `terraform` or `gcp-assets`; None: whichever the file is
        self.notes: list[str] = []

    def __call__(self, text: str, file: str) -> tuple[Node | None, list[Diagnostic]]:
        from dealcheck.scenario.gcp_assets import is_asset, read_assets, split_lines
        from dealcheck.scenario.json_shallow import shallow_tree
        from dealcheck.scenario.terraform import read_plan

        root: Node | None = shallow_tree(text, file)
        diagnostics: list[Diagnostic] = []
        if root is None:  # not plain JSON: the positional reader says where
            root, diagnostics = parse_json(text, file)
        if root is None:
            lines = split_lines(text, file)
            if lines is None:
                return None, [d if d.help else dataclasses.replace(d, help=_NOT_JSON)
                              for d in diagnostics]
            root, diagnostics = lines
        plan = self.only == "terraform" or (
            self.only is None and isinstance(root, Map) and not is_asset(root))
        read: Reader = read_plan if plan else read_assets
        tree = read(root, file, self.imap, diagnostics, self.notes)
        return tree, diagnostics

    def __iter__(self) -> Iterator[str]:
        """The notes, each once (a file read again, to explain a problem, repeats its own)."""
        return iter(dict.fromkeys(self.notes))

"""Google Cloud Asset Inventory exports as lists of `Resource`s.

An export is a JSON array of assets, or JSON Lines (one asset a line, as
``gcloud asset export`` writes it). Each asset has a ``name`` (the
deployment's id), an ``asset_type`` or ``assetType`` (what `workload:`
globs match, e.g. ``storage.googleapis.com/Bucket``) and a ``resource``,
whose ``location``, else its data's ``location``, ``region`` or ``zone``, is
its location (the last part of a URL, as Compute Engine writes zones), and
whose data's ``labels`` are its tags.
Every asset's provider is ``google``, as in Terraform.
"""

from __future__ import annotations

from dealcheck.dsl.diagnostics import Diagnostic, error
from dealcheck.scenario import errors
from dealcheck.scenario.infra_map import InfraMap
from dealcheck.scenario.infra_read import Resource, child, scenario_tree, tags_of, text_of
from dealcheck.scenario.read_json import parse_json
from dealcheck.scenario.tree import Map, Node, Seq, describe

__all__ = ["PROVIDER", "asset_resources", "is_asset", "read_assets", "split_lines"]

#: The provider short name of every asset, as a map's `provider:` names it.
PROVIDER = "google"
_LOCATION_FIELDS = ("location", "region", "zone")


def split_lines(text: str, file: str) -> tuple[Seq, list[Diagnostic]] | None:
    """JSON Lines as one list of assets; None when the first line is not a JSON object."""
    items: list[Node] = []
    diagnostics: list[Diagnostic] = []
    offset = 0
    for number, line in enumerate(text.splitlines(keepends=True), start=1):
        if line.strip():
            node, found = parse_json(line, file, first_line=number, base=offset)
            if not items and not diagnostics and not isinstance(node, Map):
                return None
            diagnostics.extend(found)
            if node is not None:
                items.append(node)
        offset += len(line)
    if not items:
        return None
    return Seq(tuple(items), items[0].span.to(items[-1].span)), diagnostics


def is_asset(node: Node) -> bool:
    """Whether a JSON object is one asset (JSON Lines of one line), not a plan."""
    return isinstance(node, Map) and child(node, "format_version") is None and (
        child(node, "asset_type") is not None or child(node, "assetType") is not None)


def read_assets(root: Node, file: str, imap: InfraMap, diagnostics: list[Diagnostic],
                notes: list[str]) -> Map | None:
    """The scenario tree of an asset export under `imap` (None if it is no export)."""
    resources = asset_resources(root, diagnostics)
    if resources is None:
        return None
    return scenario_tree(resources, imap, "Cloud Asset Inventory", diagnostics, notes)


def asset_resources(root: Node, diagnostics: list[Diagnostic]) -> list[Resource] | None:
    """Every asset of an export, in file order; None (with a DC321) if it is not one."""
    if is_asset(root):
        root = Seq((root,), root.span)
    if not isinstance(root, Seq):
        diagnostics.append(error(
            errors.UNSUPPORTED_PLAN, f"an asset export is a list of assets, found {describe(root)}",
            root.span, help="export with `gcloud asset export --content-type=resource` "
                            "(JSON Lines) or list assets as a JSON array"))
        return None
    found: list[Resource] = []
    for asset in root.items:
        name_node = child(asset, "name")
        name = text_of(name_node)
        kind = text_of(child(asset, "asset_type")) or text_of(child(asset, "assetType"))
        if name_node is None or name is None or kind is None:
            diagnostics.append(error(
                errors.UNSUPPORTED_PLAN, "an asset needs a `name` and an `asset_type` "
                "(or `assetType`)",
                asset.span, help="each item of the export is one asset, as Cloud Asset "
                                 "Inventory writes it"))
            continue
        resource = child(asset, "resource")
        data = child(resource, "data")
        location = next((text.rsplit("/", 1)[-1] for node in (
            child(resource, "location"), *(child(data, key) for key in _LOCATION_FIELDS))
            if (text := text_of(node)) is not None), None)
        found.append(Resource(name, kind, PROVIDER, location, asset.span, name_node.span,
                              name_node.span, "the asset gives no location",
                              tags_of(child(data, "labels"))))
    return found

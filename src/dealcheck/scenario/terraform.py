"""Terraform plans (``terraform show -json``, formats 0.x and 1.x) as lists of `Resource`s.

Every managed resource that the plan creates or updates is one resource;
deleted, unchanged and read (data) resources are not. A resource's location
is, as cost and policy tools resolve it: its own ``region``, ``location`` or
``zone``; else (Azure) its resource group's location; else its provider
configuration's, following aliases and ``var.`` references to the plan's
variables. A location that Terraform only knows after apply stays unknown:
never a guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dealcheck.dsl.diagnostics import Diagnostic, error
from dealcheck.dsl.span import Span
from dealcheck.scenario import errors
from dealcheck.scenario.infra_map import InfraMap
from dealcheck.scenario.infra_read import Resource, child, scenario_tree, tags_of, text_of
from dealcheck.scenario.tree import Map, Node, Scalar, Seq, code, describe

__all__ = ["SUPPORTED_MAJORS", "plan_resources", "read_plan"]

#: The plan format majors read: 0 (Terraform 0.12 to 0.15) and 1 (Terraform 1.x).
SUPPORTED_MAJORS = (0, 1)
_LOCATION_ATTRIBUTES = ("region", "location", "zone")
_INDEX = re.compile(r"\[[^\]]*\]")


def read_plan(root: Node, file: str, imap: InfraMap, diagnostics: list[Diagnostic],
              notes: list[str]) -> Map | None:
    """The scenario tree of a plan under `imap` (None when it is no plan dealcheck reads)."""
    resources = plan_resources(root, file, diagnostics)
    if resources is None:
        return None
    return scenario_tree(resources, imap, "Terraform", diagnostics, notes)


def plan_resources(root: Node, file: str, diagnostics: list[Diagnostic]) -> list[Resource] | None:
    """The resources a plan creates or updates, in plan order; None (and DC321) if unsupported."""
    if not _supported(root, file, diagnostics):
        return None
    config = child(root, "configuration")
    providers = _Providers(child(config, "provider_config"), child(root, "variables"))
    keys = _config_keys(child(config, "root_module"), "")
    changes = child(root, "resource_changes")
    if changes is None:
        return []
    if not isinstance(changes, Seq):
        diagnostics.append(error(errors.UNSUPPORTED_PLAN, "`resource_changes` must be a list, "
                                 f"found {describe(changes)}", changes.span))
        return None
    groups = _Groups.of(changes.items)
    found: list[Resource] = []
    for change in changes.items:
        resource = _resource(change, keys, providers, groups)
        if resource is not None:
            found.append(resource)
    return found


def _supported(root: Node, file: str, diagnostics: list[Diagnostic]) -> bool:
    version = child(root, "format_version")
    text = text_of(version)
    if version is None:
        diagnostics.append(error(
            errors.UNSUPPORTED_PLAN, "not a Terraform plan: it has no `format_version`",
            root.span if isinstance(root, Map) else Span.point(file, 1, 1),
            help="write the plan as JSON with `terraform show -json PLANFILE > plan.json`"))
        return False
    major = text.split(".", 1)[0] if text else ""
    if not (major.isdigit() and int(major) in SUPPORTED_MAJORS):
        shown = code(text) if text else describe(version)
        diagnostics.append(error(
            errors.UNSUPPORTED_PLAN, f"unsupported Terraform plan `format_version` {shown}",
            version.span, help="dealcheck reads plan formats 0.x and 1.x (`terraform show "
                               "-json` of Terraform 0.12 to 1.x)"))
        return False
    return True


@dataclass(frozen=True, slots=True)
class _Config:
    """A resource's configuration: its provider configuration's key, the arguments it sets."""

    provider_key: str | None
    arguments: frozenset[str]
    #: The resource groups its `resource_group_name` refers to, by address without indices.
    groups: tuple[str, ...] = ()


def _config_keys(module: Node | None, prefix: str) -> dict[str, _Config]:
    """The configured resources of a module and its calls, by address without indices."""
    found: dict[str, _Config] = {}
    resources = child(module, "resources")
    for item in resources.items if isinstance(resources, Seq) else ():
        address = text_of(child(item, "address"))
        if address is None:
            continue
        expressions = child(item, "expressions")
        arguments = frozenset(e.key for e in expressions.entries) \
            if isinstance(expressions, Map) else frozenset()
        references = child(child(expressions, "resource_group_name"), "references")
        groups = tuple(prefix + ".".join(name.split(".")[:2]) for node in
                       (references.items if isinstance(references, Seq) else ())
                       if (name := text_of(node)) and name.startswith("azurerm_resource_group."))
        found[prefix + address] = _Config(text_of(child(item, "provider_config_key")), arguments,
                                          groups)
    calls = child(module, "module_calls")
    for entry in calls.entries if isinstance(calls, Map) else ():
        found.update(_config_keys(child(entry.value, "module"), f"{prefix}module.{entry.key}."))
    return found


class _Providers:
    """The plan's provider configurations, and the location each one gives its resources."""

    def __init__(self, configs: Node | None, variables: Node | None) -> None:
        self.configs = {e.key: e.value for e in configs.entries} \
            if isinstance(configs, Map) else {}
        self.variables = {e.key: text_of(child(e.value, "value"))
                          for e in variables.entries} if isinstance(variables, Map) else {}

    def location(self, key: str | None, name: str) -> tuple[str | None, str]:
        """The location of provider configuration `key` (else the default one of `name`)."""
        config = self.configs.get(key) if key else None
        if config is None:
            key, config = name, self.configs.get(name)
        if config is None:
            return None, f"the plan has no configuration of provider {code(name)}"
        expressions = child(config, "expressions")
        for attribute in _LOCATION_ATTRIBUTES:
            expression = child(expressions, attribute)
            if expression is None:
                continue
            constant = text_of(child(expression, "constant_value"))
            if constant is not None:
                return constant, ""
            return self._referenced(config, child(expression, "references"), attribute, key)
        return None, f"no location in the resource or its provider configuration {code(key)}"

    def _referenced(self, config: Node, references: Node | None, attribute: str,
                    key: str | None) -> tuple[str | None, str]:
        names = [text_of(r) for r in references.items] if isinstance(references, Seq) else []
        root = child(config, "module_address") is None
        for name in names:
            if name and name.startswith("var.") and root:
                value = self.variables.get(name[len("var."):])
                if value is not None:
                    return value, ""
        shown = code(names[0]) if names and names[0] else "an expression"
        return None, (f"provider configuration {code(key)} sets `{attribute}` from {shown}, "
                      "not known before apply")


@dataclass(frozen=True, slots=True)
class _Groups:
    """The location of each Azure resource group the plan creates or changes."""

    by_name: dict[str, str]
    by_address: dict[str, str]  # (without indices)

    @classmethod
    def of(cls, changes: tuple[Node, ...]) -> _Groups:
        by_name: dict[str, str] = {}
        by_address: dict[str, str] = {}
        for change in changes:
            if text_of(child(change, "type")) != "azurerm_resource_group":
                continue
            after = child(child(change, "change"), "after")
            name, location = text_of(child(after, "name")), text_of(child(after, "location"))
            address = text_of(child(change, "address"))
            if location is None:
                continue
            if name is not None:
                by_name[name] = location
            if address is not None:
                by_address[_INDEX.sub("", address)] = location
        return cls(by_name, by_address)

    def location(self, after: Node | None, config: _Config) -> str | None:
        """A resource's group's location: the group named, else the one its configuration
        refers to (a name only apply will tell)."""
        name = text_of(child(after, "resource_group_name"))
        if name is not None:
            return self.by_name.get(name)
        return next((self.by_address[g] for g in config.groups if g in self.by_address), None)


def _resource(change: Node, keys: dict[str, _Config], providers: _Providers,
              groups: _Groups) -> Resource | None:
    address_node = child(change, "address")
    address, kind = text_of(address_node), text_of(child(change, "type"))
    if address_node is None or address is None or kind is None:
        return None
    if text_of(child(change, "mode")) not in (None, "managed"):
        return None
    body = child(change, "change")
    actions = child(body, "actions")
    done = {text_of(a) for a in actions.items} if isinstance(actions, Seq) else set()
    if not done & {"create", "update"}:
        return None  # deleted, unchanged, or only read: not a deployment
    provider_node = child(change, "provider_name")
    provider = (text_of(provider_node) or kind.split("_", 1)[0]).rsplit("/", 1)[-1]
    after = child(body, "after")
    config = keys.get(_INDEX.sub("", address), _Config(None, frozenset()))
    location, why = _location(after, child(body, "after_unknown"), config, groups)
    if location is None and not why:
        location, why = providers.location(config.provider_key, provider)
    return Resource(address, kind, provider, location, change.span, address_node.span,
                    (provider_node or address_node).span, why,
                    tags_of(child(after, "tags"), child(after, "labels"),
                            child(after, "tags_all")))


def _location(after: Node | None, unknown: Node | None, config: _Config,
              groups: _Groups) -> tuple[str | None, str]:
    """The resource's own location, or why it stays unknown; ``(None, "")`` to ask its provider.

    An attribute unknown until apply that the resource's configuration sets
    is a location only apply will tell: unknown. One it does not set is
    computed from the provider configuration, which is asked.
    """
    for attribute in _LOCATION_ATTRIBUTES:
        value = text_of(child(after, attribute))
        if value is not None:
            return value, ""
        known_later = child(unknown, attribute)
        if isinstance(known_later, Scalar) and known_later.value is True \
                and attribute in config.arguments:
            return None, f"its `{attribute}` is known only after apply"
    return groups.location(after, config), ""

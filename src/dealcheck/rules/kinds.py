"""The kinds of names a terms file declares, in one table.

The resolver, the scenario validator, the scenario schema and the Hypothesis
strategies read this table to know which kinds exist, which of them have
groups, where a vocabulary keeps their names and groups, and the diagnostic
codes and words used for a name that is not declared or a group used where
one name belongs. Adding groups to a kind is one row here plus its
declaration in the grammar.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from dealcheck.scenario.errors import UNDECLARED_NAME

if TYPE_CHECKING:
    from dealcheck.rules.model import Vocabulary


@dataclass(frozen=True, slots=True)
class NameKind:
    """One kind of declared name."""

    name: str                #: the word in messages: `unknown provider …`
    plural: str              #: `… is one of the declared providers`
    names: str               #: the `Vocabulary` attribute holding its names
    groups: str | None       #: the `Vocabulary` attribute holding its groups, if it has any
    declaration: str         #: how to declare one, for help lines (`{name}`, `{party}`)
    #: Codes: a name not declared, in terms and in scenarios; a group used where
    #: one name belongs (a comparison in terms, a deployment field in scenarios).
    unknown_code: str = "DC101"
    undeclared_code: str = UNDECLARED_NAME
    group_as_name_code: str = "DC108"

    def names_in(self, vocabulary: Vocabulary) -> Mapping[str, object]:
        """The declared names of this kind, in declaration order."""
        return cast(Mapping[str, object], getattr(vocabulary, self.names))

    def groups_in(self, vocabulary: Vocabulary) -> dict[str, frozenset[str]]:
        """The declared groups of this kind (empty for a kind without groups)."""
        if self.groups is None:
            return {}
        return cast(dict[str, frozenset[str]], getattr(vocabulary, self.groups))

    @property
    def group_word(self) -> str:
        """`workload group`: the word for one of its groups."""
        return f"{self.name} group"


KINDS: dict[str, NameKind] = {k.name: k for k in (
    NameKind("party", "parties", "parties", None, "party {name}"),
    NameKind("provider", "providers", "providers", "provider_groups",
             "provider {name} operated by {party}"),
    NameKind("workload", "workloads", "workloads", "workload_groups", "workload {name}"),
    NameKind("region", "regions", "regions", "region_groups", "region {name}"),
    NameKind("fact", "facts", "facts", None, "fact {name}: bool"),
)}

#: The kinds a deployment names in a field of the same name, in field order.
DEPLOYMENT_KINDS: tuple[NameKind, ...] = tuple(
    KINDS[k] for k in ("party", "workload", "provider", "region"))

#: The kinds that have groups.
GROUPED_KINDS: tuple[NameKind, ...] = tuple(k for k in KINDS.values() if k.groups is not None)

#: The order in which the resolver looks up a name used where another kind
#: belongs, to say what it is instead (`Azure` is a provider, not a region); a
#: name declared as two kinds is reported as the first found here.
LOOKUP_ORDER: tuple[NameKind, ...] = tuple(
    KINDS[k] for k in ("provider", "region", "workload", "party", "fact"))

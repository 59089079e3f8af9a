"""Resolution pass 2: groups of providers, workloads and regions, declared in any order.

A group may name groups declared after it; each resolves to the set of its
members, groups replaced by theirs (DC101, DC102, DC112, DC117).
"""

from __future__ import annotations

from typing import assert_never

from dealcheck.dsl import ast
from dealcheck.dsl.diagnostics import Related
from dealcheck.rules.kinds import KINDS
from dealcheck.rules.resolve.context import Context
from dealcheck.rules.resolve.undeclared import unknown

#: A group by the kind of its names and its own name.
Key = tuple[str, str]


def groups(ctx: Context) -> None:
    """Resolve every group declaration of the document into the vocabulary."""
    resolver = _Groups(ctx)
    for item in ctx.doc.items:
        if isinstance(item, ast.GroupDecl):
            resolver.add(item)
    for key in resolver.pending:
        resolver.members(key)


def group_kind(decl: ast.GroupDecl) -> str:
    """The kind of the names a group declaration groups."""
    match decl:
        case ast.ProviderGroupDecl():
            return KINDS["provider"].name
        case ast.WorkloadGroupDecl():
            return KINDS["workload"].name
        case ast.RegionGroupDecl():
            return KINDS["region"].name
        case _:
            assert_never(decl)


class _Groups:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.pending: dict[Key, ast.GroupDecl] = {}
        self.resolving: set[Key] = set()

    def add(self, g: ast.GroupDecl) -> None:
        """Take a declaration, unless its name is taken (DC102)."""
        kind = group_kind(g)
        if g.name.value in KINDS[kind].names_in(self.ctx.vocab):
            self.ctx.err("DC102", f"`{g.name.value}` is already a {kind}", g.name.span,
                         "give the group a name of its own")
            return
        key = (kind, g.name.value)
        if key in self.pending:
            self.ctx.err("DC102", f"{kind} group `{g.name.value}` is declared twice",
                         g.name.span, "remove one of the declarations",
                         [Related(self.pending[key].name.span, "first declared here")])
            return
        self.pending[key] = g

    def members(self, key: Key) -> frozenset[str]:
        """The members of a group, resolving the groups it names first."""
        ctx = self.ctx
        kind, name = key
        groups = KINDS[kind].groups_in(ctx.vocab)
        if name in groups:
            return groups[name]
        g = self.pending[key]
        if key in self.resolving:
            ctx.err("DC112", f"{kind} group `{name}` contains itself", g.name.span,
                    "a group lists members or groups declared without it")
            return frozenset()
        self.resolving.add(key)
        members_table = KINDS[kind].names_in(ctx.vocab)
        members: set[str] = set()
        for n in g.members:
            if n.value in members_table:
                members.add(n.value)
            elif (kind, n.value) in self.pending:
                members |= self.members((kind, n.value))
            else:
                unknown(ctx, kind, n, [*members_table,
                                       *(k[1] for k in self.pending if k[0] == kind)])
        self.resolving.discard(key)
        groups[name] = frozenset(members)
        ctx.group_spans[name] = g.name.span
        return groups[name]

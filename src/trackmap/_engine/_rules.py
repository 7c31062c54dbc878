"""The rules a mapping must obey against an organisation's schema, and its compiled form.

A mapping is checked once, when it is compiled against a fresh read of the organisation's
tracking categories, so that nothing is discovered at send time (Xero drops unknown or archived
tracking silently: see XERO.md). Every violation is reported at once, each with a stable
``code`` and a sentence naming the binding, category, field, value and option.

Rule 1 (``too_many_categories``): at most ``capabilities.active_categories`` bindings. Xero
allows two active tracking categories per organisation, and a line carries at most one option
of each. Every binding past the limit is a violation, "None" bindings included: they still
claim a category.

Rule 2 (``category_bound_twice``): no category is bound twice. Two fields may never feed one
category (Streamtime's rule); a line carries one option per category. The later binding is the
one reported.

Rule 3: one field MAY feed several categories. Nothing to check; it is allowed on purpose.

Rule 4: every bound category exists and is ACTIVE (``category_missing``,
``category_archived``, ``category_deleted``), and so is every option a table row or a default
points at (``option_missing``, ``option_archived``, ``option_deleted``; ``value`` is the table
row's value, None for the default). Xero keeps ARCHIVED options on old documents but refuses
them on new ones, and drops them silently from API requests; DELETED ones are gone. Options are
checked against the category of their binding, whatever that category's status.

Rule 5 (``unknown_field``): every source field is one the host's adapter declares; each unknown
field is reported once per binding.

Rule 6 (``tracking_off``): an organisation with no active category has tracking switched off.
A non-empty mapping against it is one distinct violation that says so, and `compile_mapping`
raises `TrackingDisabledError`. Rules 4 and 9 are not checked then: every category would fail
them, and the one sentence about tracking being off is the useful one. An empty mapping is
always valid and sends no tracking.

Rule 7 (``table_key_collision``, ``table_key_blank``): table keys are compared after
normalisation (`trackmap._engine._names.normalise`); two rows whose keys collide are ambiguous,
and a row whose key is blank can never match (blank values count as absent), so both are
errors. Each colliding row after the first is reported.

Rule 8 (``create_needs_by_name``, ``default_needed``): ``on_unmapped`` must make sense for the
binding. ``create`` names a new option after the value, so it needs a by-name binding;
``default`` needs a default option.

Rule 9 (``option_names_collide``): a by-name binding needs unambiguous option names. Each group
of ACTIVE options of its category whose names collide after normalisation is a violation
(whether Xero's uniqueness ignores case is unconfirmed, so trackmap never guesses). Collisions
that involve archived or deleted options are harmless (by-name only matches active options),
and table bindings hold option ids, so neither is reported.

Rule 10 (``split_*``, ``share_*``): a table row may split its value across several options
with shares; the split rules (shares that add up, at least two, positive weights, each option
once and active, at most ``capabilities.split_lines`` lines per host line, two split bindings
multiplying) are stated in `trackmap._engine._splits`.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Mapping, Sequence
from fractions import Fraction

import attrs

from trackmap._engine._mapping import (
    Binding,
    ByName,
    ByTable,
    FieldLevel,
    FieldSpec,
    OnUnmapped,
    TrackingMapping,
)
from trackmap._engine._names import normalise, normalise_all
from trackmap._engine._quote import quoted
from trackmap._engine._results import Violation
from trackmap._engine._schema import (
    TrackingCategory,
    TrackingOption,
    TrackingSchema,
    TrackingStatus,
)
from trackmap._engine._splits import check_split, check_split_product, share_fractions
from trackmap.errors import MappingError, TrackingDisabledError

__all__ = [
    "CompiledBinding",
    "CompiledMapping",
    "ResolverCache",
    "TableEntry",
    "check_mapping",
    "compile_mapping",
]


@attrs.frozen(kw_only=True)
class TableEntry:
    """One normalised table row: the host value as written and the option it points at.

    ``option`` is None for a blank row (``option_id`` None, send nothing) and for a row whose
    option is not in the compiled schema. ``shares`` is set for a row that splits: per share,
    its option id, the option as the schema has it (None when not there) and its exact share
    (0 for every share when the weights break rule 10); ``split`` says whether the row splits.
    """

    value: str
    option_id: str | None
    option: TrackingOption | None
    shares: tuple[tuple[str, TrackingOption | None, Fraction], ...] = ()
    split: bool = False


@attrs.frozen(kw_only=True)
class CompiledBinding:
    """A binding with everything resolution needs precomputed.

    Attributes:
        index: The binding's position in the mapping (0-based).
        binding: The binding as the host saved it.
        category_name: The category's current name in the organisation (or the saved one).
        chain: The sources in order, each with whether it is read from the line.
        table: Normalised key -> row, for table bindings (None for by-name ones).
        names: Normalised name -> ACTIVE option, for by-name bindings.
        category: The bound category as the schema has it (None when it is not there).
        default: The default option as the schema has it (None when unset or unknown).
        known_active: The active options counted while compiling (by-name bindings), if any.
    """

    index: int
    binding: Binding
    category_name: str
    chain: tuple[tuple[str, bool], ...]
    table: Mapping[str, TableEntry] | None = attrs.field(eq=False, hash=False)
    names: Mapping[str, TrackingOption] = attrs.field(eq=False, hash=False)
    category: TrackingCategory | None
    default: TrackingOption | None
    known_active: int | None = attrs.field(default=None, eq=False, hash=False)

    @functools.cached_property
    def active_options(self) -> int:
        """How many active options the category holds (for creation capacity).

        Known from the name index of a by-name binding; counted on first use otherwise (a
        table binding creates nothing, so a compile never walks its category for this).
        """
        if self.known_active is not None:
            return self.known_active
        if self.category is None:
            return 0
        return list(map(_STATUS, self.category.options)).count(TrackingStatus.ACTIVE)

    @property
    def category_id(self) -> str:
        """The bound category's id."""
        return self.binding.category_id

    def inactive_named(self, value: str) -> TrackingOption | None:
        """Return an archived or deleted option whose name equals ``value``, if there is one."""
        if self.category is None:
            return None
        for option in self.category.options_named(value):
            if option.status is not TrackingStatus.ACTIVE:
                return option
        return None


class ResolverCache:
    """The resolution memos that live with a compiled mapping (bounded; see `resolve`).

    Owned by the resolver: it holds only values derived from the compiled mapping, so two
    compiled mappings that are equal resolve alike whatever their caches hold.
    """

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value: object = None


@attrs.frozen(kw_only=True)
class CompiledMapping:
    """A mapping checked against a schema, with the indexes resolution uses.

    Build it with `compile_mapping`; it holds the mapping, the schema and the host's fields it
    was compiled against, so a schema read later needs a new compile. ``cache`` holds the
    resolver's bounded memos; it takes no part in equality.
    """

    mapping: TrackingMapping
    schema: TrackingSchema
    fields: tuple[FieldSpec, ...]
    bindings: tuple[CompiledBinding, ...] = attrs.field(eq=False, hash=False)
    cache: ResolverCache = attrs.field(
        init=False, factory=ResolverCache, eq=False, hash=False, repr=False
    )


def check_mapping(
    mapping: TrackingMapping,
    schema: TrackingSchema,
    fields: Sequence[FieldSpec],
) -> tuple[Violation, ...]:
    """Return every violation of the rules (see the module docstring), in binding order.

    Never raises for a bad mapping: an empty result means the mapping compiles.
    """
    return _check(mapping, schema, fields, _Indexes())


def _check(
    mapping: TrackingMapping,
    schema: TrackingSchema,
    fields: Sequence[FieldSpec],
    indexes: _Indexes,
) -> tuple[Violation, ...]:
    tracking_on = schema.tracking_enabled or not mapping.bindings
    found: list[Violation] = [] if tracking_on else [_tracking_off(mapping)]
    known = _field_levels(fields)
    first_binding: dict[str, int] = {}
    for index, binding in enumerate(mapping.bindings):
        category = schema.category(binding.category_id)
        name = category.name if category is not None else binding.title
        ctx = _Ctx(index=index, binding=binding, name=name)
        found.extend(_check_count(ctx, len(mapping.bindings), schema))
        found.extend(_check_twice(ctx, first_binding))
        if tracking_on:
            found.extend(_check_category(ctx, category))
        found.extend(_check_fields(ctx, known))
        found.extend(_check_table_keys(ctx))
        if tracking_on and category is not None:
            found.extend(_check_options(ctx, category))
        found.extend(_check_unmapped(ctx))
        if tracking_on and category is not None and isinstance(binding.values, ByName):
            found.extend(_check_name_collisions(ctx, indexes.of(category)))
        found.extend(_check_splits(ctx, category if tracking_on else None, schema))
    limit = schema.capabilities.split_lines
    found.extend(
        check_split_product(
            mapping.bindings, limit, lambda i: _ctx_at(mapping, schema, i).violation
        )
    )
    return tuple(found)


def _ctx_at(mapping: TrackingMapping, schema: TrackingSchema, index: int) -> _Ctx:
    binding = mapping.bindings[index]
    category = schema.category(binding.category_id)
    return _Ctx(index=index, binding=binding, name=category.name if category else binding.title)


def _check_splits(
    ctx: _Ctx, category: TrackingCategory | None, schema: TrackingSchema
) -> list[Violation]:
    values = ctx.binding.values
    if not isinstance(values, ByTable):
        return []
    found: list[Violation] = []
    for row in values.rows:
        if row.split is not None:
            found.extend(
                check_split(
                    ctx.violation,
                    row_value=row.value,
                    option_id=row.option_id,
                    split=row.split,
                    category=category,
                    check_option=lambda c, o, w, v: _check_option(ctx, c, o, w, v),
                    limit=schema.capabilities.split_lines,
                )
            )
    return found


def compile_mapping(
    mapping: TrackingMapping,
    schema: TrackingSchema,
    fields: Sequence[FieldSpec],
) -> CompiledMapping:
    """Check a mapping against a schema and the host's fields, and compile it for resolution.

    Raises:
        TrackingDisabledError: The organisation has tracking off and the mapping binds some
            category (its violations list every other problem too).
        MappingError: The mapping breaks a rule; ``violations`` lists every one.
    """
    indexes = _Indexes()  # checking and compiling share the name indexes they build
    violations = _check(mapping, schema, fields, indexes)
    if any(v.code == "tracking_off" for v in violations):
        raise TrackingDisabledError(violations)
    if violations:
        raise MappingError(violations)
    return _build(mapping, schema, fields, indexes)


def build_compiled(
    mapping: TrackingMapping,
    schema: TrackingSchema,
    fields: Sequence[FieldSpec],
) -> CompiledMapping:
    """Build the indexes WITHOUT checking the rules (`compile_mapping` checks first).

    Resolution stays safe on an unchecked mapping: a stale option is a problem on the line,
    never a send. Tests use this to stand for a schema that changed after compilation.
    """
    return _build(mapping, schema, fields, _Indexes())


def _build(
    mapping: TrackingMapping,
    schema: TrackingSchema,
    fields: Sequence[FieldSpec],
    indexes: _Indexes,
) -> CompiledMapping:
    levels = _field_levels(fields)
    bindings = tuple(
        _compile_binding(index, binding, schema, levels, indexes)
        for index, binding in enumerate(mapping.bindings)
    )
    return CompiledMapping(mapping=mapping, schema=schema, fields=tuple(fields), bindings=bindings)


# --- checks, one small function per rule --------------------------------------------------


@attrs.frozen(kw_only=True)
class _Ctx:
    """The binding under check, with the name its messages use."""

    index: int
    binding: Binding
    name: str

    def violation(self, code: str, text: str, **where: str | None) -> Violation:
        return Violation(
            code=code,
            message=f"Binding {self.index + 1} ({quoted(self.name)}): {text}",
            binding=self.index,
            category_id=self.binding.category_id,
            category_name=self.name,
            **where,
        )


def _tracking_off(mapping: TrackingMapping) -> Violation:
    count = len(mapping.bindings)
    noun = "category" if count == 1 else "categories"
    return Violation(
        code="tracking_off",
        message=(
            "Tracking is switched off in this Xero organisation (it has no active tracking "
            f"category), yet the mapping binds {count} {noun}. Switch it on in Xero under "
            "Accounting > Advanced settings > Tracking categories by adding a category or "
            "restoring an archived one, then read the categories again; or clear the mapping."
        ),
    )


def _field_levels(fields: Sequence[FieldSpec]) -> dict[str, FieldLevel]:
    levels: dict[str, FieldLevel] = {}
    for spec in fields:
        # The first declaration wins: an adapter that declares a name twice is taken at its word.
        levels.setdefault(spec.name, spec.level)
    return levels


def _check_count(ctx: _Ctx, count: int, schema: TrackingSchema) -> list[Violation]:
    limit = schema.capabilities.active_categories
    if ctx.index < limit:
        return []
    text = (
        f"Xero allows at most {limit} tracking categories on a document, and this mapping "
        f"binds {count}; remove a binding."
    )
    return [ctx.violation("too_many_categories", text)]


def _check_twice(ctx: _Ctx, first_binding: dict[str, int]) -> list[Violation]:
    first = first_binding.setdefault(ctx.binding.category_id, ctx.index)
    if first == ctx.index:
        return []
    text = (
        f"the category is already fed by binding {first + 1}; two fields may never feed one "
        "tracking category, so remove one of the two bindings."
    )
    return [ctx.violation("category_bound_twice", text)]


def _check_category(ctx: _Ctx, category: TrackingCategory | None) -> list[Violation]:
    if category is None:
        text = (
            f"the tracking category (id {quoted(ctx.binding.category_id)}) is not in Xero; "
            "pick another category."
        )
        return [ctx.violation("category_missing", text)]
    if category.status is TrackingStatus.ARCHIVED:
        text = (
            f"tracking category {quoted(category.name)} is archived in Xero; pick another category "
            "or restore it in Xero."
        )
        return [ctx.violation("category_archived", text)]
    if category.status is TrackingStatus.DELETED:
        text = (
            f"tracking category {quoted(category.name)} is deleted in Xero; pick another category."
        )
        return [ctx.violation("category_deleted", text)]
    return []


def _check_fields(ctx: _Ctx, known: Mapping[str, FieldLevel]) -> list[Violation]:
    offered = ", ".join(f"{quoted(name)}" for name in known) or "none"
    found: list[Violation] = []
    for field in dict.fromkeys(ctx.binding.sources):
        if field not in known:
            text = f"field {quoted(field)} is not one the host offers (it offers {offered})."
            found.append(ctx.violation("unknown_field", text, field=field))
    return found


def _check_table_keys(ctx: _Ctx) -> list[Violation]:
    values = ctx.binding.values
    if not isinstance(values, ByTable):
        return []
    seen: dict[str, str] = {}
    found: list[Violation] = []
    for row in values.rows:
        key = normalise(row.value)
        if not key:
            text = "a table row has a blank value, which no record can match; remove it."
            found.append(ctx.violation("table_key_blank", text, value=row.value))
            continue
        if key not in seen:
            seen[key] = row.value
            continue
        text = (
            f"table rows {quoted(seen[key])} and {quoted(row.value)} are the same value once "
            "case and spacing are ignored; keep one of them."
        )
        found.append(ctx.violation("table_key_collision", text, value=row.value))
    return found


def _check_options(ctx: _Ctx, category: TrackingCategory) -> list[Violation]:
    found: list[Violation] = []
    values = ctx.binding.values
    if isinstance(values, ByTable):
        for row in values.rows:
            if row.option_id is not None:
                what = f"the table row for {quoted(row.value)} points at"
                found.extend(_check_option(ctx, category, row.option_id, what, row.value))
    if ctx.binding.default_option_id is not None:
        what = "the default is"
        found.extend(_check_option(ctx, category, ctx.binding.default_option_id, what, None))
    return found


def _check_option(
    ctx: _Ctx,
    category: TrackingCategory,
    option_id: str,
    what: str,
    value: str | None,
) -> list[Violation]:
    option = category.option(option_id)
    if option is None:
        text = (
            f"{what} an option (id {quoted(option_id)}) that tracking category "
            f"{quoted(category.name)} does not have in Xero; pick another option."
        )
        return [ctx.violation("option_missing", text, value=value, option_id=option_id)]
    if option.status is TrackingStatus.ACTIVE:
        return []
    if option.status is TrackingStatus.ARCHIVED:
        text = (
            f"{what} option {quoted(option.name)}, which is archived in Xero; pick another option "
            "or restore it in Xero."
        )
        return [ctx.violation("option_archived", text, value=value, option_id=option_id)]
    text = f"{what} option {quoted(option.name)}, which is deleted in Xero; pick another option."
    return [ctx.violation("option_deleted", text, value=value, option_id=option_id)]


def _check_unmapped(ctx: _Ctx) -> list[Violation]:
    binding = ctx.binding
    if binding.on_unmapped is OnUnmapped.CREATE and not isinstance(binding.values, ByName):
        text = (
            '"create" names a new option after the value, so it works only when values are '
            "option names; a table binding cannot create options: choose skip, default or "
            "error."
        )
        return [ctx.violation("create_needs_by_name", text)]
    if binding.on_unmapped is OnUnmapped.DEFAULT and binding.default_option_id is None:
        text = (
            "unmapped values should get the default option, but no default option is set; "
            "set one or choose skip, error or create."
        )
        return [ctx.violation("default_needed", text)]
    return []


def _check_name_collisions(ctx: _Ctx, index: _NameIndex) -> list[Violation]:
    if not isinstance(ctx.binding.values, ByName):
        return []
    _, groups, _ = index
    found: list[Violation] = []
    for group in groups:
        names = ", ".join(f"{quoted(o.name)}" for o in group)
        text = (
            f"values are matched to option names, but the active options {names} have the "
            "same name once case and spacing are ignored; rename or archive one in Xero."
        )
        found.append(ctx.violation("option_names_collide", text, value=group[0].name))
    return found


# --- compilation ----------------------------------------------------------------------------


_NameIndex = tuple[dict[str, TrackingOption], list[list[TrackingOption]], int]


class _Indexes(dict[str, _NameIndex]):
    """The name indexes of one compile, by category id: each category is normalised once."""

    def of(self, category: TrackingCategory) -> _NameIndex:
        index = self.get(category.id)
        if index is None:
            index = self[category.id] = _name_index(category)
        return index


_STATUS = operator.attrgetter("status")
_NAME = operator.attrgetter("name")


def _name_index(category: TrackingCategory) -> _NameIndex:
    """Index active options by normalised name, and return the groups whose names collide.

    Only active options are normalised here: a category may hold tens of thousands of
    archived options, and resolution looks those up lazily through the category's own index.
    Groups are only gathered when some names collide.
    """
    options = category.options
    on = TrackingStatus.ACTIVE
    active: Sequence[TrackingOption] = options
    if operator.countOf(map(_STATUS, options), on) != len(options):
        active = [option for option in options if option.status is on]
    keys = normalise_all(list(map(_NAME, active)))
    index = dict(zip(keys, active, strict=True))
    if len(index) == len(active):
        return index, [], len(active)
    # Names collide: reversed, so that the first active option of a name is the one kept.
    index = dict(zip(reversed(keys), reversed(active), strict=True))
    groups: dict[str, list[TrackingOption]] = {}
    for key, option in zip(keys, active, strict=True):
        groups.setdefault(key, []).append(option)
    return index, [group for group in groups.values() if len(group) > 1], len(active)


def _compile_binding(
    index: int,
    binding: Binding,
    schema: TrackingSchema,
    levels: Mapping[str, FieldLevel],
    indexes: _Indexes,
) -> CompiledBinding:
    category = schema.category(binding.category_id)
    chain = tuple(
        (name, levels[name] is FieldLevel.LINE) for name in binding.sources if name in levels
    )
    names: dict[str, TrackingOption] = {}
    active = None
    if category is not None and isinstance(binding.values, ByName):
        names, _, active = indexes.of(category)
    default_id = binding.default_option_id
    return CompiledBinding(
        index=index,
        binding=binding,
        category_name=category.name if category is not None else binding.title,
        chain=chain,
        table=_table(binding, category),
        names=names,
        category=category,
        default=category.option(default_id) if category and default_id is not None else None,
        known_active=active,
    )


def _table(binding: Binding, category: TrackingCategory | None) -> dict[str, TableEntry] | None:
    if not isinstance(binding.values, ByTable):
        return None
    table: dict[str, TableEntry] = {}
    for row in binding.values.rows:
        option = None
        if category is not None and row.option_id is not None:
            option = category.option(row.option_id)
        shares: tuple[tuple[str, TrackingOption | None, Fraction], ...] = ()
        if row.split is not None:
            # Invalid weights (rule 10) give no fractions: each share then counts as 0.
            parts = share_fractions(row.split) or (Fraction(0),) * len(row.split.shares)
            shares = tuple(
                (share.option_id, category.option(share.option_id) if category else None, part)
                for share, part in zip(row.split.shares, parts, strict=True)
            )
        entry = TableEntry(
            value=row.value,
            option_id=row.option_id,
            option=option,
            shares=shares,
            split=row.split is not None,
        )
        table.setdefault(normalise(row.value), entry)
    return table

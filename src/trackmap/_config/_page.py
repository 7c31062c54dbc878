"""The settings page every integration builds, as a value: what to show, and what a save means.

`build_settings_page` turns the organisation's schema, the host's fields, the host's known
values per field and the saved mapping into a `SettingsPage`: one `PageSection` per binding
and per active category not yet bound, each with its controls (the source fields, the mode, the
default, what to do with unmapped values, required) and, for a table, one `PageRow` per host
value, every control naming the form field it posts and the choices it offers. Every compile
problem of the saved mapping sits on exactly one control, row, section or the page itself.
`apply_settings_page` turns the posted form back into a mapping, with every problem located at
the control it came from. Both are pure: the host does the I/O (reading Xero's categories, its
own staff list, the form) and renders the page however it likes (`SettingsPage.to_json`).

It lives in the config layer, not the engine, because it is an edge: it reads untrusted posted
data and reports every problem at its place (what this layer does for settings files), it makes
JSON-able data with the one converter, and `settings_page_for` calls the host's adapter, which
the engine may not import.

The rules of the page:

Rule 1. A section is "cat<N>". The sections of the mapping's bindings come first, in binding
        order, then one per active category with no binding, in the organisation's order, so a
        page built from a mapping and applied gives the same bindings in the same order.
Rule 2. Choices are tokens: a field name; ``"name"``/``"table"``; an `OnUnmapped` value;
        ``"option:<id>"`` for an option. A row also offers ``""`` (a blank row: send nothing
        for that value) and ``"unmapped"`` (not in the table: the unmapped rule applies). Only
        ACTIVE options are offered; an archived, deleted or missing option that the mapping
        already points at is offered too, marked inactive, so the page shows the saved choice
        and the problem beside it instead of silently changing it.
Rule 3. Rows are the table's rows, in order, then the host's known values of the section's
        source fields that the table lacks (once each, compared after normalisation; blank
        values never make a row). The table's rows are posted with their values, so a save
        never depends on the host's list being the same as when the page was shown.
Rule 4. A section whose source is "None" (no field) posts no binding: it sends nothing, like a
        category with no binding. A saved binding with no source field is shown as "None" and
        is dropped by the next save.
Rule 5. Applying checks the form's shape (a choice the page never offered is a problem at its
        control) and then the rules of `check_mapping`, each violation at its control.
Rule 6. A row may split its value across options: its option select offers ``"split"``, and
        then its ``<row>.shares`` control posts one ``"option:<id>=<weight>"`` token per share
        (weights as in settings files: ``"60"``, ``"33.33"``) and ``<row>.split_by`` posts
        ``"percent"`` (the weights add up to 100) or ``"ratio"``. The split rules' problems
        (and a share's archived, deleted or missing option) sit on the row's shares control.
Rule 7. A page where the user types the shares posts them as two lists instead (or as well):
        ``<row>.shares.option`` (``"option:<id>"`` per share) and ``<row>.shares.weight`` (the
        weight typed beside it, surrounding spaces and one trailing ``"%"`` allowed), paired
        by position. A pair left wholly blank is no share (an empty slot of the form); a pair
        with only one half, or a weight that is not a number, is a problem on the row's shares
        control, and the pair is left out of the split.
Rule 8. A refused page is shown again from the result's mapping, where its sections and rows
        may sit under other names than in the posted form (a "None" section is gone, rows not
        in the table come after the table's). `SettingsPage.with_posted` adds the problems of
        the form itself that the mapping cannot carry, each at the control showing the same
        category (the k-th posted section of a category is its k-th section) and the same row
        value (likewise, after normalisation); a problem with no such control sits on the page.
"""

from __future__ import annotations

import collections
import itertools
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any

import attrs

from trackmap._config._converter import CONVERTER, WEIGHT_TEXT
from trackmap._engine._mapping import (
    Binding,
    ByName,
    ByTable,
    FieldLevel,
    FieldSpec,
    OnUnmapped,
    Share,
    Split,
    TableRow,
    TrackingMapping,
)
from trackmap._engine._names import normalise
from trackmap._engine._quote import quoted
from trackmap._engine._results import Violation
from trackmap._engine._rules import check_mapping
from trackmap._engine._schema import TrackingCategory, TrackingOption, TrackingSchema
from trackmap._sources._adapter import SourceAdapter
from trackmap.errors import SourceError, TrackmapError

__all__ = [
    "BLANK",
    "PAGE",
    "SPLIT",
    "UNMAPPED",
    "PageChoice",
    "PageControl",
    "PageProblem",
    "PageResult",
    "PageRow",
    "PageSection",
    "SettingsPage",
    "apply_settings_page",
    "build_settings_page",
    "settings_page_for",
]

#: The row token for a blank row: the value is in the table and sends nothing.
BLANK = ""
#: The row choice that splits the value across options by shares (rule 6).
SPLIT = "split"
#: The row token for a value that is not in the table: the binding's unmapped rule applies.
UNMAPPED = "unmapped"
#: Where problems that belong to no section go (tracking switched off in the organisation).
PAGE = "page"

_OPTION = "option:"
_ON = ("on", "true", "1")

#: A posted form: field name -> its value, or its values (Flask's ``form.to_dict(flat=False)``).
Form = Mapping[str, str | Sequence[str]]


@attrs.frozen(kw_only=True)
class PageProblem:
    """A problem at one place of the page, with a sentence for the end user.

    ``control`` is the form field name of the control, a section's name (``"cat0"``) or `PAGE`.
    """

    control: str
    code: str
    message: str


@attrs.frozen(kw_only=True)
class PageChoice:
    """One choice of a control. ``active`` is False for a saved choice no longer allowed."""

    value: str
    label: str
    active: bool = True


@attrs.frozen(kw_only=True)
class PageControl:
    """One input of the page: its form field ``name``, choices, current ``selected`` tokens.

    ``kind`` is ``"select"`` (one token), ``"chain"`` (an ordered list of tokens: the source
    fields, first non-blank value wins) or ``"checkbox"`` (selected ``("on",)`` or ``()``).
    """

    name: str
    label: str
    kind: str
    choices: tuple[PageChoice, ...] = ()
    selected: tuple[str, ...] = ()
    problems: tuple[PageProblem, ...] = ()


@attrs.frozen(kw_only=True)
class PageRow:
    """One table row: a host value and the control that picks its option.

    ``value_name`` is the hidden form field that posts the value; ``known`` says whether the
    host listed the value (False: only the saved table has it, e.g. a former member of staff).
    """

    value: str
    value_name: str
    known: bool
    option: PageControl
    shares: PageControl | None = None
    split_by: PageControl | None = None


@attrs.frozen(kw_only=True)
class PageSection:
    """One tracking category's settings.

    ``category_name`` is the organisation's current name; ``status`` is ``"ACTIVE"``,
    ``"ARCHIVED"``, ``"DELETED"`` or ``"MISSING"`` (bound, but not in the organisation);
    ``category_field`` is the hidden form field that posts the category id; ``problems``
    are the ones about the category itself (archived, bound twice, one too many).
    """

    name: str
    category_id: str
    category_name: str
    status: str
    category_field: str
    sources: PageControl
    mode: PageControl
    rows: tuple[PageRow, ...]
    default: PageControl
    on_unmapped: PageControl
    required: PageControl
    problems: tuple[PageProblem, ...] = ()

    def controls(self) -> Iterator[PageControl]:
        """Every control of the section, rows' included, in page order."""
        yield self.sources
        yield self.mode
        for row in self.rows:
            yield row.option
            yield from (c for c in (row.shares, row.split_by) if c is not None)
        yield from (self.default, self.on_unmapped, self.required)


@attrs.frozen(kw_only=True)
class SettingsPage:
    """The whole page: its sections and the problems that belong to no section."""

    sections: tuple[PageSection, ...]
    problems: tuple[PageProblem, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether the page shows no problem (the mapping behind it compiles)."""
        return not any(True for _ in self.all_problems())

    def all_problems(self) -> Iterator[PageProblem]:
        """Every problem on the page, wherever it sits."""
        yield from self.problems
        for section in self.sections:
            yield from section.problems
            for control in section.controls():
                yield from control.problems

    def form(self) -> dict[str, list[str]]:
        """The form this page posts when the user changes nothing (what `apply` reads)."""
        posted: dict[str, list[str]] = {}
        for section in self.sections:
            posted[section.category_field] = [section.category_id]
            for row in section.rows:
                posted[row.value_name] = [row.value]
            for control in section.controls():
                if control.selected:
                    posted[control.name] = list(control.selected)
        return posted

    def with_posted(self, result: PageResult, form: Form) -> SettingsPage:
        """This page (built from ``result.mapping``) with the rest of the posted problems (rule 8).

        Use it to show a refused page again: the problems of the form itself (a choice the page
        never offered, a share typed without its weight) are not in the mapping, so a page
        built from it lacks them; here each sits at the control the user posted it from.
        """
        shown = collections.Counter((p.code, p.message) for p in self.all_problems())
        added: dict[str, list[PageProblem]] = {}
        for problem in result.problems:
            if shown[problem.code, problem.message] > 0:
                shown[problem.code, problem.message] -= 1
                continue
            place = self._locate(problem.control, form) or PAGE
            added.setdefault(place, []).append(attrs.evolve(problem, control=place))
        if not added:
            return self
        sections = tuple(_with_problems(section, added) for section in self.sections)
        return SettingsPage(sections=sections, problems=(*self.problems, *added.get(PAGE, ())))

    def _locate(self, control: str, form: Form) -> str | None:
        """The name on this page of ``control`` of a posted ``form`` (rule 8), or None."""
        match = _PLACE.match(control)
        if match is None:
            return None
        posted, row, rest = match.groups()
        section = _same_section(self.sections, posted, form)
        if section is None:
            return None
        name = section.name
        if row is not None:
            found = _same_row(section, f"{posted}.row{row}", form)
            if found is None:
                return None
            name = found.value_name.removesuffix(".value")
        name = name if rest is None else f"{name}.{rest}"
        places = {section.name, *(c.name for c in section.controls())}
        return name if name in places else None

    def to_json(self) -> dict[str, Any]:
        """The page as JSON-able data, for a template or a front end."""
        data: dict[str, Any] = CONVERTER.unstructure(self)
        return data


#: A posted control's name: its section, its row (if any), and the rest of the name.
_PLACE = re.compile(r"(cat[0-9]+)(?:\.row([0-9]+))?(?:\.([a-z_.]+))?\Z")


def _same_section(sections: Sequence[PageSection], posted: str, form: Form) -> PageSection | None:
    """The section showing the posted section's category (rule 8).

    The k-th posted section of that category that posts a binding is its k-th section here.
    """
    category_id = _one(form, f"{posted}.category")
    here = [s for s in sections if s.category_id == category_id]
    if not any(_all(form, f"{posted}.sources")):
        return next((s for s in here if not s.sources.selected), None)
    alike = [
        name
        for name in _section_names(form)
        if _one(form, f"{name}.category") == category_id and any(_all(form, f"{name}.sources"))
    ]
    index = alike.index(posted) if posted in alike else len(here)
    return here[index] if index < len(here) else None


def _same_row(section: PageSection, posted: str, form: Form) -> PageRow | None:
    """The row showing the posted row's value (rule 8).

    The k-th posted row of that value (after normalisation) is its k-th row here.
    """
    key = normalise(_one(form, f"{posted}.value"))
    prefix = posted.rpartition(".row")[0] + ".row"
    pattern = re.compile(re.escape(prefix) + r"([0-9]+)\.value\Z")
    indexes = sorted(
        int(m.group(1)) for name in form if isinstance(name, str) and (m := pattern.match(name))
    )
    alike = [f"{prefix}{i}" for i in indexes if normalise(_one(form, f"{prefix}{i}.value")) == key]
    here = [row for row in section.rows if normalise(row.value) == key]
    index = alike.index(posted) if posted in alike else len(here)
    return here[index] if index < len(here) else None


def _with_problems(section: PageSection, added: Mapping[str, list[PageProblem]]) -> PageSection:
    def more(control: PageControl) -> PageControl:
        extra = added.get(control.name, ())
        return attrs.evolve(control, problems=(*control.problems, *extra)) if extra else control

    def more_row(row: PageRow) -> PageRow:
        return attrs.evolve(
            row,
            option=more(row.option),
            shares=None if row.shares is None else more(row.shares),
            split_by=None if row.split_by is None else more(row.split_by),
        )

    return attrs.evolve(
        section,
        sources=more(section.sources),
        mode=more(section.mode),
        rows=tuple(more_row(row) for row in section.rows),
        default=more(section.default),
        on_unmapped=more(section.on_unmapped),
        required=more(section.required),
        problems=(*section.problems, *added.get(section.name, ())),
    )


@attrs.frozen(kw_only=True)
class PageResult:
    """What a posted page means: the mapping, and every problem at its control.

    ``mapping`` holds every binding the form could express, so that the page can be shown
    again with the user's choices; save it only when ``ok``.
    """

    mapping: TrackingMapping
    problems: tuple[PageProblem, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether the mapping may be saved."""
        return not self.problems


# --- building the page ----------------------------------------------------------------------


def build_settings_page(
    schema: TrackingSchema,
    fields: Sequence[FieldSpec],
    mapping: TrackingMapping | None = None,
    *,
    values: Mapping[str, Sequence[str]] | None = None,
) -> SettingsPage:
    """Describe the settings page of ``mapping`` (none: an empty one), see the module rules.

    Args:
        schema: The organisation's categories and options, archived ones included.
        fields: The fields the host's adapter declares.
        mapping: The saved mapping, or None.
        values: The host's known values per field name (its staff, its branches...).
    """
    mapping = mapping or TrackingMapping()
    known = values or {}
    bound = {b.category_id for b in mapping.bindings}
    unbound = [c for c in schema.active_categories if c.id not in bound]
    layouts = [_Layout(name=f"cat{i}", binding=b) for i, b in enumerate(mapping.bindings)]
    placed = _place(check_mapping(mapping, schema, fields), mapping, layouts)
    layouts += [
        _Layout(name=f"cat{len(mapping.bindings) + i}", binding=Binding(category_id=c.id))
        for i, c in enumerate(unbound)
    ]
    sections = [_section(layout, schema, fields, known, placed) for layout in layouts]
    return SettingsPage(sections=tuple(sections), problems=placed.get(PAGE, ()))


def settings_page_for(
    adapter: SourceAdapter[Any], schema: TrackingSchema, mapping: TrackingMapping | None = None
) -> SettingsPage:
    """Build the page from the host's adapter: its `fields` and its `field_values` hook.

    Raises:
        SourceError: The adapter's ``field_values`` failed (the original exception chained).
    """
    fields = adapter.fields()
    values: dict[str, tuple[str, ...]] = {}
    for spec in fields:
        try:
            values[spec.name] = tuple(_texts(adapter.field_values(spec.name)))
        except TrackmapError:
            raise
        except Exception as exc:
            name = adapter.adapter_name or type(adapter).__name__
            msg = f'{name} could not list the values of field "{spec.name}": {exc}'
            raise SourceError(msg) from exc
    return build_settings_page(schema, fields, mapping, values=values)


def _texts(items: Iterable[object]) -> Iterator[str]:
    for item in items:
        if not isinstance(item, str):
            msg = f"a field value must be text, not {item!r}"
            raise TypeError(msg)
        yield item


@attrs.frozen(kw_only=True)
class _Layout:
    """A binding and the names of its section and its table rows."""

    name: str
    binding: Binding

    def row(self, index: int) -> str:
        return f"{self.name}.row{index}"


def _section(
    layout: _Layout,
    schema: TrackingSchema,
    fields: Sequence[FieldSpec],
    values: Mapping[str, Sequence[str]],
    placed: Mapping[str, tuple[PageProblem, ...]],
) -> PageSection:
    binding, name = layout.binding, layout.name
    category = schema.category(binding.category_id)
    choose = _Chooser(category=category, placed=placed)
    return PageSection(
        name=name,
        category_id=binding.category_id,
        category_name=category.name if category else binding.title,
        status=category.status.value if category else "MISSING",
        category_field=f"{name}.category",
        sources=_sources_control(f"{name}.sources", binding, fields, placed),
        mode=choose.select(f"{name}.mode", "Values", _MODES, _mode_of(binding)),
        rows=_rows(layout, values, choose),
        default=choose.option_select(
            f"{name}.default", "Default", "(no default)", binding.default_option_id
        ),
        on_unmapped=choose.select(
            f"{name}.on_unmapped", "Unmapped values", _UNMAPPED_CHOICES, binding.on_unmapped.value
        ),
        required=PageControl(
            name=f"{name}.required",
            label="Required on every line",
            kind="checkbox",
            selected=("on",) if binding.required else (),
            problems=placed.get(f"{name}.required", ()),
        ),
        problems=placed.get(name, ()),
    )


_MODES = (
    PageChoice(value="table", label="Pick an option for each value"),
    PageChoice(value="name", label="The value is the option's name"),
)
_UNMAPPED_CHOICES = (
    PageChoice(value=OnUnmapped.SKIP.value, label="Send nothing"),
    PageChoice(value=OnUnmapped.DEFAULT.value, label="Send the default"),
    PageChoice(value=OnUnmapped.ERROR.value, label="Hold the document"),
    PageChoice(value=OnUnmapped.CREATE.value, label="Create the option in Xero (by name)"),
)


def _mode_of(binding: Binding) -> str:
    return "table" if isinstance(binding.values, ByTable) else "name"


def _field_label(spec: FieldSpec) -> str:
    where = "each line" if spec.level is FieldLevel.LINE else "the document"
    return f"{spec.title} (on {where})"


def _sources_control(
    name: str,
    binding: Binding,
    fields: Sequence[FieldSpec],
    placed: Mapping[str, tuple[PageProblem, ...]],
) -> PageControl:
    declared: dict[str, FieldSpec] = {}
    for spec in fields:
        declared.setdefault(spec.name, spec)  # the first declaration wins, as in compile
    choices = [PageChoice(value="", label="None")]
    choices += [PageChoice(value=n, label=_field_label(s)) for n, s in declared.items()]
    choices += [
        PageChoice(value=n, label=f"{n} (not offered by the host)", active=False)
        for n in dict.fromkeys(binding.sources)
        if n not in declared
    ]
    return PageControl(
        name=name,
        label="Host field",
        kind="chain",
        choices=tuple(choices),
        selected=binding.sources,
        problems=placed.get(name, ()),
    )


@attrs.frozen(kw_only=True)
class _Chooser:
    """Builds the selects of one section: its category's options and the placed problems."""

    category: TrackingCategory | None
    placed: Mapping[str, tuple[PageProblem, ...]]

    def select(
        self, name: str, label: str, choices: Sequence[PageChoice], selected: str
    ) -> PageControl:
        return PageControl(
            name=name,
            label=label,
            kind="select",
            choices=tuple(choices),
            selected=(selected,),
            problems=self.placed.get(name, ()),
        )

    def option_select(
        self, name: str, label: str, blank: str, option_id: str | None, *, row: bool = False
    ) -> PageControl:
        choices = [PageChoice(value=BLANK, label=blank)]
        if row:
            choices.append(PageChoice(value=UNMAPPED, label="(not mapped)"))
            choices.append(PageChoice(value=SPLIT, label="(split across options)"))
        active = self.category.active_options if self.category else ()
        choices += [PageChoice(value=_OPTION + o.id, label=o.name) for o in active]
        if option_id is not None and not any(o.id == option_id for o in active):
            choices.append(self._inactive(option_id))
        return self.select(
            name, label, choices, BLANK if option_id is None else _OPTION + option_id
        )

    def shares(self, name: str, value: str, split: Split | None) -> PageControl:
        """The shares of a row (rule 6): the options to choose from, the saved shares."""
        active = self.category.active_options if self.category else ()
        choices = [PageChoice(value=_OPTION + o.id, label=o.name) for o in active]
        saved = split.shares if split is not None else ()
        choices += [
            self._inactive(s.option_id)
            for s in saved
            if not any(o.id == s.option_id for o in active)
        ]
        return PageControl(
            name=name,
            label=f"Shares of {value}",
            kind="shares",
            choices=tuple(dict.fromkeys(choices)),
            selected=tuple(f"{_OPTION}{s.option_id}={_weight_text(s.weight)}" for s in saved),
            problems=self.placed.get(name, ()),
        )

    def _inactive(self, option_id: str) -> PageChoice:
        option: TrackingOption | None = self.category.option(option_id) if self.category else None
        label = (
            f"{option.name} ({option.status.value.lower()} in Xero)"
            if option
            else f'an option Xero does not have (id "{option_id}")'
        )
        return PageChoice(value=_OPTION + option_id, label=label, active=False)


def _rows(
    layout: _Layout, values: Mapping[str, Sequence[str]], choose: _Chooser
) -> tuple[PageRow, ...]:
    binding = layout.binding
    table = binding.values.rows if isinstance(binding.values, ByTable) else ()
    host = [v for field in dict.fromkeys(binding.sources) for v in values.get(field, ())]
    host_keys = {normalise(v) for v in host}
    rows = [
        _table_row(layout.row(i), r, choose, known=normalise(r.value) in host_keys)
        for i, r in enumerate(table)
    ]
    seen = {normalise(r.value) for r in table}
    for value in host:
        key = normalise(value)
        if key and key not in seen:
            seen.add(key)
            rows.append(_unmapped_row(layout.row(len(rows)), value, choose))
    return tuple(rows)


def _table_row(name: str, row: TableRow, choose: _Chooser, *, known: bool) -> PageRow:
    option = choose.option_select(
        f"{name}.option", row.value, "(blank: send nothing)", row.option_id, row=True
    )
    if row.split is not None:  # rule 6: the row splits
        option = attrs.evolve(option, selected=(SPLIT,))
    return PageRow(
        value=row.value,
        value_name=f"{name}.value",
        known=known,
        option=option,
        shares=choose.shares(f"{name}.shares", row.value, row.split),
        split_by=choose.select(
            f"{name}.split_by",
            "Split by",
            _SPLIT_BY,
            "ratio" if row.split is not None and not row.split.percent else "percent",
        ),
    )


def _unmapped_row(name: str, value: str, choose: _Chooser) -> PageRow:
    row = _table_row(name, TableRow(value=value, option_id=None), choose, known=True)
    return attrs.evolve(row, option=attrs.evolve(row.option, selected=(UNMAPPED,)))


def _weight(text: str) -> Decimal | None:
    """A posted weight: a number as text, or one the rules refuse with a sentence (``NaN``)."""
    if WEIGHT_TEXT.fullmatch(text) or text in _NOT_FINITE:
        return Decimal(text)
    return None


#: Weights a page shows for a saved split that breaks rule 10, posted back as they are.
_NOT_FINITE = frozenset({"NaN", "Infinity", "-Infinity", "sNaN", "-NaN", "-sNaN"})


def _weight_text(weight: Decimal) -> str:
    return (
        format(weight, "f") if isinstance(weight, Decimal) and weight.is_finite() else str(weight)
    )


_SPLIT_BY = (
    PageChoice(value="percent", label="Percentages (adding up to 100)"),
    PageChoice(value="ratio", label="Ratio parts"),
)


# --- placing compile problems ---------------------------------------------------------------


_SECTION_CODES = frozenset(
    {
        "too_many_categories",
        "category_bound_twice",
        "category_missing",
        "category_archived",
        "category_deleted",
    }
)
_CONTROL_OF_CODE = {
    "unknown_field": "sources",
    "option_names_collide": "mode",
    "create_needs_by_name": "on_unmapped",
    "default_needed": "default",
}


def _place(
    violations: Sequence[Violation], mapping: TrackingMapping, layouts: Sequence[_Layout]
) -> dict[str, tuple[PageProblem, ...]]:
    """Put every violation on exactly one control (see `_control_of`), keyed by its name."""
    placed: dict[str, list[PageProblem]] = {}
    claimed: set[str] = set()
    reported = [_reported_rows(b) for b in mapping.bindings]
    for violation in violations:
        control = _control_of(violation, layouts, reported, claimed)
        problem = PageProblem(control=control, code=violation.code, message=violation.message)
        placed.setdefault(control, []).append(problem)
    return {name: tuple(problems) for name, problems in placed.items()}


def _control_of(
    violation: Violation,
    layouts: Sequence[_Layout],
    reported: list[list[int]],
    claimed: set[str],
) -> str:
    index = violation.binding
    if index is None or not 0 <= index < len(layouts):
        return PAGE
    layout = layouts[index]
    if violation.code in _SECTION_CODES:
        return layout.name
    if violation.code in _CONTROL_OF_CODE:
        return f"{layout.name}.{_CONTROL_OF_CODE[violation.code]}"
    if violation.code in {"table_key_blank", "table_key_collision"} and reported[index]:
        return f"{layout.row(reported[index].pop(0))}.option"
    if violation.code.startswith(("option_", "split_", "share_")):
        return _option_control(violation, layout, claimed)
    return layout.name


def _split_rows(layout: _Layout) -> list[tuple[int, TableRow]]:
    values = layout.binding.values
    rows = values.rows if isinstance(values, ByTable) else ()
    return [(i, row) for i, row in enumerate(rows) if row.split is not None]


def _shares_control(violation: Violation, layout: _Layout) -> str:
    """A split's problem sits on the shares of the first split row of its value (rule 6)."""
    for index, row in _split_rows(layout):
        if row.value == violation.value:
            return f"{layout.row(index)}.shares"
    return layout.name


def _reported_rows(binding: Binding) -> list[int]:
    """The table rows rule 7 reports, in its order: blank keys, and repeats of a key."""
    if not isinstance(binding.values, ByTable):
        return []
    seen: set[str] = set()
    found: list[int] = []
    for index, row in enumerate(binding.values.rows):
        key = normalise(row.value)
        if not key or key in seen:
            found.append(index)
        seen.add(key)
    return found


def _option_control(violation: Violation, layout: _Layout, claimed: set[str]) -> str:
    if violation.code.startswith(("split_", "share_")):
        return _shares_control(violation, layout)
    if violation.value is None:
        return f"{layout.name}.default"
    rows: tuple[TableRow, ...] = ()
    if isinstance(layout.binding.values, ByTable):
        rows = layout.binding.values.rows
    for index, row in enumerate(rows):
        name = f"{layout.row(index)}.option"
        same = row.value == violation.value and row.option_id == violation.option_id
        if same and name not in claimed:
            claimed.add(name)
            return name
    for index, row in _split_rows(layout):  # a share's option (rule 6)
        shared = row.split is not None and any(
            s.option_id == violation.option_id for s in row.split.shares
        )
        if row.value == violation.value and shared:
            return f"{layout.row(index)}.shares"
    return layout.name


# --- applying a posted page -----------------------------------------------------------------


_SECTION = re.compile(r"(cat[0-9]+)\.category\Z")  # ASCII digits: "\d" takes any script's


def apply_settings_page(
    form: Form, schema: TrackingSchema, fields: Sequence[FieldSpec]
) -> PageResult:
    """Turn a posted settings page into a mapping, with every problem at its control.

    ``form`` maps each form field name to its value or values, as the browser posted them.
    Never raises for a bad form: a choice the page never offered, or a mapping that breaks a
    rule, is a `PageProblem` naming its control.
    """
    problems: list[PageProblem] = []
    layouts: list[_Layout] = []
    for name in _section_names(form):
        layout = _read_section(form, name, schema, problems)
        if layout is not None:
            layouts.append(layout)
    mapping = TrackingMapping(bindings=[layout.binding for layout in layouts])
    placed = _place(check_mapping(mapping, schema, fields), mapping, layouts)
    problems.extend(p for group in placed.values() for p in group)
    return PageResult(mapping=mapping, problems=tuple(problems))


def _section_names(form: Form) -> list[str]:
    names = [m.group(1) for key in form if isinstance(key, str) and (m := _SECTION.match(key))]
    return sorted(names, key=lambda n: int(n[3:]))


def _all(form: Form, key: str) -> list[str]:
    raw = form.get(key, ())
    items = [raw] if isinstance(raw, str) else list(raw) if isinstance(raw, list | tuple) else []
    return [item for item in items if isinstance(item, str)]


def _one(form: Form, key: str, default: str = "") -> str:
    items = _all(form, key)
    return items[0] if items else default


@attrs.frozen(kw_only=True)
class _Reader:
    """Reads one section's controls, collecting what the page never offered as problems."""

    form: Form
    problems: list[PageProblem]

    def split(self, name: str, value: str, category: TrackingCategory | None) -> Split | None:
        """The split a row posts (rules 6 and 7), or None when its option select chose none."""
        if _one(self.form, f"{name}.option") != SPLIT:
            return None
        control = f"{name}.shares"
        shares: list[Share] = []
        for token in _all(self.form, control):
            option, _, text = token.rpartition("=")
            weight = _weight(text)
            if not (option.startswith(_OPTION) and len(option) > len(_OPTION)):
                self.refuse(control, f'"{token}" is not a share of an option')
            elif weight is None:
                self.refuse(control, f'"{text}" is not a weight such as "60" or "33.33"')
            else:
                shares.append(Share(option_id=option[len(_OPTION) :], weight=weight))
        options = _all(self.form, f"{control}.option")
        weights = _all(self.form, f"{control}.weight")
        for option, typed in itertools.zip_longest(options, weights, fillvalue=""):
            share = self.typed_share(control, value, (option, typed), category)
            if share is not None:
                shares.append(share)
        by = _one(self.form, f"{name}.split_by", "percent")
        if by not in {"percent", "ratio"}:
            self.refuse(f"{name}.split_by", f'"{by}" is not a way to split')
        return Split(shares=shares, percent=by != "ratio")

    def typed_share(
        self,
        control: str,
        value: str,
        pair: tuple[str, str],
        category: TrackingCategory | None,
    ) -> Share | None:
        """One typed share (rule 7): a problem at ``control`` when only half of it is there."""
        option, typed = pair
        text = typed.strip()
        text = text[:-1].rstrip() if text.endswith("%") else text
        if not option and not text:
            return None  # an empty slot
        row = f"The table row for {quoted(value)}"
        if not option:
            msg = f"{row}: pick an option for the share of {quoted(typed.strip())}."
            self.problem(control, "share_no_option", msg)
            return None
        if not (option.startswith(_OPTION) and len(option) > len(_OPTION)):
            self.refuse(control, f'"{option}" is not an option')
            return None
        option_id = option[len(_OPTION) :]
        found = category.option(option_id) if category is not None else None
        named = quoted(found.name if found is not None else option_id)
        if not text:
            msg = f'{row}: give the share of {named} a weight, such as "60" or "33.33".'
            self.problem(control, "share_no_weight", msg)
            return None
        weight = _weight(text)
        if weight is None:
            msg = f'{row}: the share of {named} is {quoted(typed)}, not a number such as "60".'
            self.problem(control, "share_not_a_number", msg)
            return None
        return Share(option_id=option_id, weight=weight)

    def problem(self, control: str, code: str, message: str) -> None:
        self.problems.append(PageProblem(control=control, code=code, message=message))

    def refuse(self, control: str, text: str) -> None:
        message = f"{text}; pick one of the choices the page offers."
        self.problems.append(PageProblem(control=control, code="not_a_choice", message=message))

    def option(self, control: str, *, row: bool) -> tuple[bool, str | None]:
        """(in the table, option id) for an option select; blank and unmapped tokens too."""
        token = _one(self.form, control)
        if token == BLANK:
            return True, None
        if row and token in {UNMAPPED, SPLIT}:
            return False, None
        if token.startswith(_OPTION) and len(token) > len(_OPTION):
            return True, token[len(_OPTION) :]
        self.refuse(control, f'"{token}" is not an option')
        return False, None


def _read_section(
    form: Form, name: str, schema: TrackingSchema, problems: list[PageProblem]
) -> _Layout | None:
    read = _Reader(form=form, problems=problems)
    sources = tuple(s for s in _all(form, f"{name}.sources") if s)
    if not sources:
        return None
    category_id = _one(form, f"{name}.category")
    category = schema.category(category_id)
    mode = _one(form, f"{name}.mode", "name")
    if mode not in {"name", "table"}:
        read.refuse(f"{name}.mode", f'"{mode}" is not a way to turn values into options')
    unmapped = _one(form, f"{name}.on_unmapped", OnUnmapped.SKIP.value)
    on_unmapped = next((o for o in OnUnmapped if o.value == unmapped), None)
    if on_unmapped is None:
        read.refuse(f"{name}.on_unmapped", f'"{unmapped}" is not a choice for unmapped values')
    _, default = read.option(f"{name}.default", row=False)
    layout = _Layout(name=name, binding=Binding(category_id=category_id))
    rows = _read_rows(read, layout, category) if mode == "table" else None
    binding = Binding(
        category_id=category_id,
        category_name=category.name if category else "",
        sources=sources,
        values=ByName() if rows is None else ByTable(rows=[row for _, row in rows]),
        default_option_id=default,
        on_unmapped=on_unmapped or OnUnmapped.SKIP,
        required=_one(form, f"{name}.required").lower() in _ON,
    )
    return _RowLayout(name=name, binding=binding, row_names=tuple(i for i, _ in rows or ()))


@attrs.frozen(kw_only=True)
class _RowLayout(_Layout):
    """A posted section: its table rows keep the names (indexes) they were posted under."""

    row_names: tuple[int, ...]

    def row(self, index: int) -> str:
        return f"{self.name}.row{self.row_names[index]}"


def _read_rows(
    read: _Reader, layout: _Layout, category: TrackingCategory | None
) -> list[tuple[int, TableRow]]:
    pattern = re.compile(re.escape(layout.name) + r"\.row([0-9]+)\.value\Z")
    indexes = sorted(
        int(m.group(1)) for key in read.form if isinstance(key, str) and (m := pattern.match(key))
    )
    rows: list[tuple[int, TableRow]] = []
    for index in indexes:
        value = _one(read.form, f"{layout.row(index)}.value")
        in_table, option_id = read.option(f"{layout.row(index)}.option", row=True)
        split = read.split(layout.row(index), value, category)
        if in_table or split is not None:
            rows.append((index, TableRow(value=value, option_id=option_id, split=split)))
    return rows

"""Tests for trackmap._engine._schema: categories, options, lookups and collisions."""

from __future__ import annotations

from hypothesis import given

from strategies import schemas
from trackmap._engine._names import normalise
from trackmap._engine._schema import (
    Capabilities,
    TrackingCategory,
    TrackingOption,
    TrackingSchema,
    TrackingStatus,
)

REGION = TrackingCategory(
    id="region",
    name="Region",
    options=(
        TrackingOption(id="a", name="North West"),
        TrackingOption(id="b", name="north  west", status=TrackingStatus.ARCHIVED),
        TrackingOption(id="c", name="Perth"),
    ),
)


class TestCategory:
    """Options are found by id whatever their status, and by normalised name."""

    def test_option_by_id_includes_archived_ones(self):
        assert (TrackingStatus.ARCHIVED, None) == (REGION.option("b").status, REGION.option("z"))

    def test_options_by_name(self):
        assert ["a", "b"] == [o.id for o in REGION.options_named(" NORTH WEST ")]

    def test_active_options(self):
        assert ["a", "c"] == [o.id for o in REGION.active_options]

    def test_collisions_are_reported_not_merged(self):
        [collision] = REGION.collisions()
        assert ("region", ["a", "b"]) == (collision.category_id, [o.id for o in collision.options])
        assert collision.message() == (
            'Tracking category "Region" has options whose names differ only in case or '
            'spacing: "North West", "north  west"; trackmap will not guess which one is meant.'
        )

    def test_equality_ignores_the_indexes(self):
        again = TrackingCategory(id="region", name="Region", options=REGION.options)
        assert REGION == again


class TestSchema:
    """Tracking is on when a category is active; categories are found by id and name."""

    def test_tracking_off_without_an_active_category(self):
        off = TrackingSchema(
            categories=(TrackingCategory(id="x", name="X", status=TrackingStatus.ARCHIVED),)
        )
        assert (False, True) == (
            off.tracking_enabled,
            TrackingSchema(categories=(REGION,)).tracking_enabled,
        )

    def test_lookups(self):
        schema = TrackingSchema(categories=(REGION,))
        assert (REGION, None, (REGION,)) == (
            schema.category("region"),
            schema.category("nope"),
            schema.categories_named("REGION "),
        )

    def test_default_capabilities_are_xeros(self):
        assert (2, 2, 50, 100) == (
            Capabilities().active_categories,
            Capabilities().entries_per_line,
            Capabilities().option_name_length,
            Capabilities().options_per_category,
        )

    @given(schemas())
    def test_collisions_group_exactly_the_equal_names(self, schema):
        """Every collision holds two or more options of one category with one normalised name,
        and every such pair is in a collision."""
        for category in schema.categories:
            grouped = {o.id for c in category.collisions() for o in c.options}
            for collision in category.collisions():
                assert 1 == len({normalise(o.name) for o in collision.options})
            keys = [normalise(o.name) for o in category.options]
            shared = {o.id for o in category.options if keys.count(normalise(o.name)) > 1}
            assert shared == grouped

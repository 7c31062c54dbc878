"""FakeXero: lifecycle, authentication, recording, and tracking categories through the SDK."""

from __future__ import annotations

import datetime as dt

import pytest
import urllib3
from xero_python.accounting.models import TrackingCategory, TrackingOption
from xero_python.exceptions import HTTPStatusException, NotFoundException

from trackmap.testing._fakexero import FakeXero, FakeXeroError, VirtualClock, _fake

START = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def fake():
    with FakeXero(clock=VirtualClock(start=START)) as server:
        yield server


@pytest.fixture
def api(fake):
    return fake.sdk_client()


def _status(excinfo) -> int:
    return int(excinfo.value.status)


class TestVirtualClock:
    """The clock moves only when told, and sleeping costs no real time."""

    def test_advance_and_sleep_move_the_clock(self):
        clock = VirtualClock(start=START)
        clock.advance(30)
        clock.sleep(30.5)
        assert START + dt.timedelta(seconds=60.5) == clock.now()

    def test_a_naive_start_is_refused(self):
        with pytest.raises(FakeXeroError, match="timezone-aware"):
            VirtualClock(start=dt.datetime(2026, 1, 1))  # noqa: DTZ001

    def test_the_clock_never_goes_back(self):
        with pytest.raises(FakeXeroError, match="back in time"):
            VirtualClock(start=START).advance(-1)


class TestLifecycle:
    """It serves on 127.0.0.1 while open, and stops cleanly."""

    def test_base_url_points_at_the_api_root_on_loopback(self, fake):
        assert fake.base_url.startswith("http://127.0.0.1:")
        assert fake.base_url.endswith("/api.xro/2.0")

    def test_close_stops_serving_and_is_idempotent(self):
        fake = FakeXero()
        url = fake.base_url
        fake.close()
        fake.close()
        pool = urllib3.PoolManager(retries=False)
        with pytest.raises(urllib3.exceptions.NewConnectionError):
            pool.request("GET", url + "/TrackingCategories")

    def test_two_fakes_hold_separate_state(self):
        with FakeXero() as first, FakeXero() as second:
            first.add_category("Region")
            assert [] == second.categories()
            assert first.base_url != second.base_url


class TestInternalErrors:
    """A bug inside the fake answers 500 and is raised at close, so no test passes over it."""

    def test_a_handler_crash_is_raised_at_close(self, monkeypatch):
        def broken(call):
            message = "boom"
            raise RuntimeError(message)

        monkeypatch.setattr(_fake, "route", lambda method, path: (broken, ()))
        fake = FakeXero()
        assert 500 == fake.raw("GET", "/Invoices").status
        with pytest.raises(FakeXeroError, match="boom"):
            fake.close()
        fake.close()


class TestAuthentication:
    """A bearer token and a connected tenant are required, as in Xero."""

    def test_a_wrong_token_gets_401(self, fake):
        answer = fake.raw("GET", "/TrackingCategories", headers={"Authorization": "Bearer no"})
        assert 401 == answer.status
        assert "Unauthorized" == answer.json["Title"]

    def test_an_unknown_tenant_gets_403(self, fake, api):
        with pytest.raises(HTTPStatusException) as excinfo:
            api.get_tracking_categories("9a1b7d3e-0000-4000-8000-000000000000")
        assert 403 == _status(excinfo)

    def test_each_tenant_has_its_own_state(self, fake, api):
        other = fake.add_tenant()
        fake.add_category("Region", tenant_id=other)
        assert [] == api.get_tracking_categories(fake.tenant_id).tracking_categories
        names = [c.name for c in api.get_tracking_categories(other).tracking_categories]
        assert ["Region"] == names

    def test_refused_requests_are_recorded_but_not_counted_as_calls(self, fake):
        fake.raw("GET", "/TrackingCategories", headers={"Authorization": "Bearer no"})
        assert 401 == fake.requests[0].status
        assert 0 == fake.calls()


class TestRecording:
    """Every request is kept, with Authorization redacted."""

    def test_request_is_recorded_with_redacted_token(self, fake, api):
        api.create_tracking_category(fake.tenant_id, TrackingCategory(name="Region"))
        (request,) = fake.requests
        assert ("PUT", "/TrackingCategories", 200) == (
            request.method,
            request.path,
            request.status,
        )
        assert "<redacted>" == request.headers["authorization"]
        assert {"Name": "Region"} == request.json
        assert fake.access_token.encode() not in repr(request).encode()

    def test_calls_filters_by_method_and_path(self, fake, api):
        category = fake.add_category("Region")
        api.get_tracking_categories(fake.tenant_id)
        api.create_tracking_options(fake.tenant_id, category, TrackingOption(name="North"))
        assert 2 == fake.calls()
        assert 1 == fake.calls(method="put")
        assert 1 == fake.calls(path_prefix="/TrackingCategories/")


class TestTrackingCategories:
    """Categories: at most 2 active and 4 in all, unique names, archived only when asked."""

    def test_create_and_read_back(self, fake, api):
        made = api.create_tracking_category(fake.tenant_id, TrackingCategory(name="Region"))
        (category,) = made.tracking_categories
        assert ("Region", "ACTIVE", []) == (category.name, category.status, category.options)
        read = api.get_tracking_category(fake.tenant_id, category.tracking_category_id)
        assert category.tracking_category_id == read.tracking_categories[0].tracking_category_id

    def test_a_third_active_category_is_refused(self, fake, api):
        fake.add_category("Region")
        fake.add_category("Department")
        with pytest.raises(HTTPStatusException) as excinfo:
            api.create_tracking_category(fake.tenant_id, TrackingCategory(name="Job"))
        assert 400 == _status(excinfo)
        assert "ValidationException" == excinfo.value.error_data["Type"]
        assert 2 == len(fake.categories())

    def test_at_most_four_categories_counting_archived(self, fake, api):
        for name in ("A", "B", "C", "D"):
            fake.add_category(name, status="ARCHIVED")
        with pytest.raises(HTTPStatusException) as excinfo:
            api.create_tracking_category(fake.tenant_id, TrackingCategory(name="E"))
        assert 400 == _status(excinfo)

    def test_deleted_categories_free_their_place_and_are_never_shown(self, fake, api):
        gone = fake.add_category("Old")
        fake.add_category("Region")
        api.delete_tracking_category(fake.tenant_id, gone)
        api.create_tracking_category(fake.tenant_id, TrackingCategory(name="Job"))
        shown = api.get_tracking_categories(fake.tenant_id, include_archived=True)
        assert ["Job", "Region"] == [c.name for c in shown.tracking_categories]
        with pytest.raises(NotFoundException):
            api.get_tracking_category(fake.tenant_id, gone)

    def test_names_are_unique_case_insensitively(self, fake, api):
        fake.add_category("Region")
        with pytest.raises(HTTPStatusException) as excinfo:
            api.create_tracking_category(fake.tenant_id, TrackingCategory(name="REGION"))
        assert 400 == _status(excinfo)

    def test_archived_categories_only_with_include_archived(self, fake, api):
        fake.add_category("Region")
        fake.add_category("Old", status="ARCHIVED")
        default = api.get_tracking_categories(fake.tenant_id).tracking_categories
        everything = api.get_tracking_categories(fake.tenant_id, include_archived=True)
        assert ["Region"] == [c.name for c in default]
        assert ["Old", "Region"] == [c.name for c in everything.tracking_categories]

    def test_rename_archive_and_restore(self, fake, api):
        category = fake.add_category("Region")
        tenant = fake.tenant_id
        api.update_tracking_category(tenant, category, TrackingCategory(name="Area"))
        api.update_tracking_category(tenant, category, TrackingCategory(status="ARCHIVED"))
        assert [] == api.get_tracking_categories(tenant).tracking_categories
        api.update_tracking_category(tenant, category, TrackingCategory(status="ACTIVE"))
        (shown,) = api.get_tracking_categories(tenant).tracking_categories
        assert ("Area", "ACTIVE") == (shown.name, shown.status)

    def test_restoring_past_two_active_is_refused(self, fake, api):
        archived = fake.add_category("Old", status="ARCHIVED")
        fake.add_category("Region")
        fake.add_category("Job")
        with pytest.raises(HTTPStatusException) as excinfo:
            api.update_tracking_category(
                fake.tenant_id, archived, TrackingCategory(status="ACTIVE")
            )
        assert 400 == _status(excinfo)

    def test_a_name_over_100_characters_is_refused(self, fake):
        answer = fake.raw("PUT", "/TrackingCategories", {"Name": "x" * 101})
        assert 400 == answer.status

    def test_where_filters_categories(self, fake, api):
        fake.add_category("Region")
        fake.add_category("Job")
        shown = api.get_tracking_categories(fake.tenant_id, where='Name=="Job"')
        assert ["Job"] == [c.name for c in shown.tracking_categories]

    def test_set_up_helpers_change_what_the_api_shows(self, fake, api):
        category = fake.add_category("Region", options=["North"])
        option = fake.add_option(category, "South")
        fake.rename_category(category, "Area")
        fake.rename_option(category, option, "Southern")
        fake.set_option_status(category, option, "ARCHIVED")
        (shown,) = api.get_tracking_categories(fake.tenant_id).tracking_categories
        assert ("Area", ["North"]) == (shown.name, [o.name for o in shown.options])
        with pytest.raises(FakeXeroError, match="no option"):
            fake.rename_option(category, category, "x")


class TestTrackingOptions:
    """Options: one per call, unique, capped; Xero's 500s for its known malformed inputs."""

    def test_create_one_option_as_the_sdk_sends_it(self, fake, api):
        category = fake.add_category("Region")
        made = api.create_tracking_options(fake.tenant_id, category, TrackingOption(name="East"))
        (option,) = made.options
        assert ("East", "ACTIVE", category) == (
            option.name,
            option.status,
            option.tracking_category_id,
        )
        assert {"Name": "East"} == fake.requests[-1].json

    def test_the_options_wrapper_with_one_option_is_accepted(self, fake):
        category = fake.add_category("Region")
        answer = fake.raw(
            "PUT", f"/TrackingCategories/{category}/Options", {"Options": [{"Name": "East"}]}
        )
        assert (200, "East") == (answer.status, answer.json["Options"][0]["Name"])

    def test_two_options_in_one_call_are_refused(self, fake):
        category = fake.add_category("Region")
        body = {"Options": [{"Name": "East"}, {"Name": "West"}]}
        answer = fake.raw("PUT", f"/TrackingCategories/{category}/Options", body)
        assert 400 == answer.status
        assert [] == fake.categories()[0]["Options"]

    def test_option_names_are_unique_case_insensitively(self, fake, api):
        category = fake.add_category("Region", options=["North"])
        with pytest.raises(HTTPStatusException) as excinfo:
            api.create_tracking_options(fake.tenant_id, category, TrackingOption(name=" north"))
        assert 400 == _status(excinfo)
        message = excinfo.value.error_data["Elements"][0]["ValidationErrors"][0]["Message"]
        assert "must be unique" in message

    def test_trailing_spaces_get_http_500(self, fake, api):
        category = fake.add_category("Region")
        with pytest.raises(HTTPStatusException) as excinfo:
            api.create_tracking_options(fake.tenant_id, category, TrackingOption(name="East "))
        assert 500 == _status(excinfo)

    def test_an_unknown_category_gets_500_not_404(self, fake, api):
        unknown = "1d0a4a8e-7c43-4a41-9b0e-3f6a9f2b8c11"
        with pytest.raises(HTTPStatusException) as excinfo:
            api.create_tracking_options(fake.tenant_id, unknown, TrackingOption(name="East"))
        assert 500 == _status(excinfo)

    def test_a_name_over_100_characters_is_refused(self, fake):
        category = fake.add_category("Region")
        answer = fake.raw("PUT", f"/TrackingCategories/{category}/Options", {"Name": "x" * 101})
        assert 400 == answer.status

    def test_the_name_length_is_a_setting(self, fake, api):
        fake.limits.name_length = 50
        category = fake.add_category("Region")
        with pytest.raises(HTTPStatusException) as excinfo:
            api.create_tracking_options(fake.tenant_id, category, TrackingOption(name="x" * 51))
        assert 400 == _status(excinfo)
        made = api.create_tracking_options(fake.tenant_id, category, TrackingOption(name="x" * 50))
        assert 50 == len(made.options[0].name)

    def test_the_active_option_cap_ignores_archived_options(self, fake, api):
        fake.limits.options_per_category = 2
        category = fake.add_category("Region", options=["A", "B"])
        with pytest.raises(HTTPStatusException) as excinfo:
            api.create_tracking_options(fake.tenant_id, category, TrackingOption(name="C"))
        assert 400 == _status(excinfo)
        fake.set_option_status(
            category, fake.categories()[0]["Options"][0]["TrackingOptionID"], "ARCHIVED"
        )
        made = api.create_tracking_options(fake.tenant_id, category, TrackingOption(name="C"))
        assert "C" == made.options[0].name

    def test_rename_archive_and_delete_an_option(self, fake, api):
        category = fake.add_category("Region", options=["North", "South"])
        north, south = (o["TrackingOptionID"] for o in fake.categories()[0]["Options"])
        tenant = fake.tenant_id
        api.update_tracking_options(tenant, category, north, TrackingOption(name="Northern"))
        api.update_tracking_options(tenant, category, south, TrackingOption(status="ARCHIVED"))
        (active,) = api.get_tracking_categories(tenant).tracking_categories
        (every,) = api.get_tracking_categories(tenant, include_archived=True).tracking_categories
        assert ["Northern"] == [o.name for o in active.options]
        assert [("Northern", "ACTIVE"), ("South", "ARCHIVED")] == [
            (o.name, o.status) for o in every.options
        ]
        api.delete_tracking_options(tenant, category, south)
        (after,) = api.get_tracking_categories(tenant, include_archived=True).tracking_categories
        assert ["Northern"] == [o.name for o in after.options]

    def test_renaming_onto_another_option_is_refused(self, fake, api):
        category = fake.add_category("Region", options=["North", "South"])
        north = fake.categories()[0]["Options"][0]["TrackingOptionID"]
        with pytest.raises(HTTPStatusException) as excinfo:
            api.update_tracking_options(
                fake.tenant_id, category, north, TrackingOption(name="SOUTH")
            )
        assert 400 == _status(excinfo)

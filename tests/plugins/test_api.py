"""The plugin API: public reads, staff-only enable/disable and rescan, filters, and a clean schema."""

import pytest
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from plugins import urls as plugin_urls
from plugins.models import Plugin

from .conftest import good_plugin_source

pytestmark = pytest.mark.django_db

KEY = "plugins.custom.sample:SamplePlugin"


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def staff_api(admin_user):
    client = APIClient()
    client.force_authenticate(admin_user)
    return client


@pytest.fixture
def sample():
    Plugin.objects.filter(key__startswith="plugins.custom.sample").delete()
    valid = Plugin.objects.create(
        key=KEY, name="Sample", version="1.0.0", source="custom", status="valid", category="community", enabled=False
    )
    broken = Plugin.objects.create(
        key="plugins.custom.sample_broken:Broken",
        name="Broken",
        source="custom",
        status="invalid",
        error="syntax error in plugins/custom/x.py, line 3: bad",
    )
    return valid, broken


@pytest.mark.parametrize("path", ["/api/plugins", "/api/plugins/"])
def test_anyone_can_list_plugins_with_or_without_trailing_slash(api, sample, path):
    response = api.get(path)

    assert response.status_code == 200
    keys = [item["key"] for item in response.json()["results"]]
    assert KEY in keys and "plugins.custom.sample_broken:Broken" in keys


@pytest.mark.parametrize("suffix", ["", "/"])
def test_anyone_can_retrieve_a_plugin_by_its_key(api, sample, suffix):
    response = api.get(f"/api/plugins/{KEY}{suffix}")

    assert response.status_code == 200
    body = response.json()
    assert (body["key"], body["name"], body["status"], body["is_usable"]) == (KEY, "Sample", "valid", False)


def test_unknown_key_is_404(api):
    assert api.get("/api/plugins/plugins.custom.nothing:Here").status_code == 404


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=invalid", {"plugins.custom.sample_broken:Broken"}),
        ("status=valid&category=community", {KEY}),
        ("enabled=false&source=custom", {KEY, "plugins.custom.sample_broken:Broken"}),
    ],
)
def test_list_filters(api, sample, query, expected):
    response = api.get(f"/api/plugins/?{query}")

    keys = {item["key"] for item in response.json()["results"] if item["key"].startswith("plugins.custom.sample")}
    assert keys == expected


def test_an_unknown_filter_value_is_a_400_naming_the_field(api, sample):
    response = api.get("/api/plugins/?status=sleeping")

    assert response.status_code == 400
    assert "status" in response.json()


def test_staff_can_enable_and_disable_a_valid_plugin(staff_api, sample):
    response = staff_api.patch(f"/api/plugins/{KEY}/", {"enabled": True}, format="json")

    assert response.status_code == 200
    assert response.json()["is_usable"] is True
    assert Plugin.objects.get(key=KEY).enabled is True
    assert staff_api.patch(f"/api/plugins/{KEY}", {"enabled": False}, format="json").status_code == 200
    assert Plugin.objects.get(key=KEY).enabled is False


def test_enabling_an_invalid_plugin_is_a_400_naming_enabled(staff_api, sample):
    response = staff_api.patch("/api/plugins/plugins.custom.sample_broken:Broken/", {"enabled": True}, format="json")

    assert response.status_code == 400
    assert "cannot be enabled" in response.json()["enabled"][0]
    assert Plugin.objects.get(key="plugins.custom.sample_broken:Broken").enabled is False


def test_code_derived_fields_are_read_only(staff_api, sample):
    response = staff_api.patch(f"/api/plugins/{KEY}/", {"name": "Renamed", "status": "invalid"}, format="json")

    assert response.status_code == 200
    row = Plugin.objects.get(key=KEY)
    assert (row.name, row.status) == ("Sample", "valid")


@pytest.mark.parametrize("method", ["put", "delete"])
def test_put_and_delete_are_not_allowed(staff_api, sample, method):
    assert getattr(staff_api, method)(f"/api/plugins/{KEY}/", {}, format="json").status_code == 405


def test_plugins_cannot_be_created_through_the_api(staff_api):
    assert staff_api.post("/api/plugins/", {"key": "a:B"}, format="json").status_code == 405


def test_anonymous_and_non_staff_cannot_change_plugins(api, sample, django_user_model):
    assert api.patch(f"/api/plugins/{KEY}/", {"enabled": True}, format="json").status_code in (401, 403)
    user = django_user_model.objects.create_user("reader", password="pw-reader-123")
    api.force_authenticate(user)
    assert api.patch(f"/api/plugins/{KEY}/", {"enabled": True}, format="json").status_code == 403
    assert Plugin.objects.get(key=KEY).enabled is False


def test_token_authentication_works_for_staff(api, sample, admin_user):
    token = Token.objects.create(user=admin_user)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")

    assert api.patch(f"/api/plugins/{KEY}/", {"enabled": True}, format="json").status_code == 200


@pytest.mark.parametrize("path", ["/api/plugins/rescan/", "/api/plugins/rescan"])
def test_staff_rescan_returns_the_sync_report(staff_api, plugin_folder, path):
    plugin_folder.write("good.py", good_plugin_source())

    response = staff_api.post(path)

    assert response.status_code == 200
    body = response.json()
    entry = next(e for e in body["plugins"] if e["key"] == plugin_folder.key("good", "GoodPlugin"))
    assert (entry["status"], entry["enabled"], entry["change"]) == ("valid", True, "new")
    assert body["created"] >= 1 and "valid" in body["summary"]


def test_rescan_is_refused_to_anonymous_and_non_staff(api, django_user_model, plugin_folder):
    plugin_folder.write("good.py", good_plugin_source())
    assert api.post("/api/plugins/rescan/").status_code in (401, 403)
    api.force_authenticate(django_user_model.objects.create_user("reader", password="pw-reader-123"))
    assert api.post("/api/plugins/rescan/").status_code == 403
    assert not Plugin.objects.filter(key=plugin_folder.key("good", "GoodPlugin")).exists()


def test_browsable_api_renders(admin_client, sample):
    response = admin_client.get("/api/plugins/", HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert b"Sample" in response.content


def test_schema_for_the_plugin_endpoints_builds_without_warnings():
    GENERATOR_STATS.reset()
    schema = SchemaGenerator(patterns=plugin_urls.urlpatterns).get_schema(request=None, public=True)

    assert not GENERATOR_STATS, "drf-spectacular reported warnings or errors for the plugin endpoints"
    paths = schema["paths"]
    assert set(paths) == {"/plugins/", "/plugins/{key}/", "/plugins/rescan/"}
    assert set(paths["/plugins/{key}/"]) == {"get", "patch"}
    request_body = schema["components"]["schemas"]["PatchedPluginRequest"]["properties"]
    assert set(request_body) == {"enabled"}


def test_the_site_schema_endpoint_serves(api):
    response = api.get("/api/schema/")

    assert response.status_code == 200
    assert b"/api/plugins/rescan" in response.content

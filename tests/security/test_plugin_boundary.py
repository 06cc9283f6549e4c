"""Plugins come only from the configured folders and installed packages.

Nothing an operator can send through the API or the admin creates a Plugin row, names a file or module to
import, or rewrites what discovery recorded; and a provider can only use a plugin discovery found.
"""

from __future__ import annotations

import textwrap

import pytest
from django.contrib.admin.sites import site
from django.test import RequestFactory, override_settings

from plugins.models import Plugin
from plugins.registry import registry
from providers.models import Provider

from .conftest import MOCK_KEY

pytestmark = pytest.mark.django_db

EVIL_PLUGIN = textwrap.dedent(
    """
    from plugins.base_provider import AIProviderPlugin, AIResponse, BaseAIProvider

    class SmuggledProvider(BaseAIProvider):
        @property
        def provider_name(self):
            return "Smuggled"

        @property
        def supported_models(self):
            return ["smuggled-1"]

        def initialize(self):
            return True

        def generate_message(self, system_prompt, user_prompt):
            return AIResponse(content="smuggled", provider="Smuggled", model="smuggled-1")

        def health_check(self):
            return True

    SmuggledPlugin = AIProviderPlugin(SmuggledProvider, {"name": "Smuggled", "version": "1.0.0"})
    """
)

CODE_FIELDS = {
    "key": "os:system",
    "file_path": "/tmp/smuggled_provider.py",
    "source": "package",
    "status": "valid",
    "error": "",
    "name": "Renamed",
    "default_base_url": "https://attacker.example/v1",
    "api_key_env": "AWS_SECRET_ACCESS_KEY",
    "supported_models": ["x"],
}


def test_the_api_cannot_create_or_replace_a_plugin(staff_api):
    before = set(Plugin.objects.values_list("key", flat=True))
    assert staff_api.post("/api/plugins/", CODE_FIELDS, format="json").status_code == 405
    assert staff_api.put(f"/api/plugins/{MOCK_KEY}/", CODE_FIELDS, format="json").status_code == 405
    assert staff_api.delete(f"/api/plugins/{MOCK_KEY}/").status_code == 405
    assert set(Plugin.objects.values_list("key", flat=True)) == before


def test_a_plugin_patch_changes_enabled_and_nothing_that_code_declares(staff_api, mock_plugin):
    before = Plugin.objects.values().get(key=MOCK_KEY)
    response = staff_api.patch(f"/api/plugins/{MOCK_KEY}/", {**CODE_FIELDS, "enabled": False}, format="json")
    assert response.status_code == 200, response.content
    after = Plugin.objects.values().get(key=MOCK_KEY)
    assert after["enabled"] is False
    assert {k: v for k, v in after.items() if k != "enabled"} == {k: v for k, v in before.items() if k != "enabled"}
    assert registry.get("os:system") is None


def test_the_schema_documents_only_enabled_as_writable(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    patch = schema["paths"]["/api/plugins/{key}/"]["patch"]
    ref = patch["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert set(schema["components"]["schemas"][ref]["properties"]) == {"enabled"}
    assert "post" not in schema["paths"]["/api/plugins/"]


def test_the_admin_cannot_add_plugins_and_shows_code_fields_read_only(client, staff, mock_plugin):
    client.force_login(staff)
    assert client.get("/admin/plugins/plugin/add/").status_code == 403
    assert client.post("/admin/plugins/plugin/add/", {**CODE_FIELDS, "enabled": "on"}).status_code == 403
    request = RequestFactory().get("/")
    request.user = staff
    admin = site._registry[Plugin]
    assert set(admin.get_form(request, mock_plugin).base_fields) == {"enabled"}

    before = Plugin.objects.values().get(key=MOCK_KEY)
    response = client.post(f"/admin/plugins/plugin/{mock_plugin.pk}/change/", {**CODE_FIELDS, "enabled": "on"})
    assert response.status_code == 302
    assert Plugin.objects.values().get(key=MOCK_KEY) == before


def test_a_valid_plugin_on_disk_cannot_be_deleted_from_the_admin(client, staff, mock_plugin):
    client.force_login(staff)
    assert client.post(f"/admin/plugins/plugin/{mock_plugin.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Plugin.objects.filter(pk=mock_plugin.pk).exists()


@pytest.mark.parametrize(
    "key",
    ["os:system", "/tmp/smuggled_provider.py:SmuggledPlugin", "smuggled_provider:SmuggledPlugin", "subprocess:run"],
)
def test_a_provider_cannot_name_a_plugin_discovery_did_not_find(staff_api, client, staff, key):
    response = staff_api.post("/api/providers/", {"name": "P", "plugin": key, "model": "m"}, format="json")
    assert response.status_code == 400 and "plugin" in response.json()
    client.force_login(staff)
    form = client.post("/admin/providers/provider/add/", {"name": "P", "plugin": key, "model": "m"})
    assert "plugin" in form.context["adminform"].form.errors
    assert not Provider.objects.exists()


def test_a_rescan_loads_only_from_configured_folders(staff_api, tmp_path):
    folder = tmp_path / "unconfigured"
    folder.mkdir()
    (folder / "smuggled_provider.py").write_text(EVIL_PLUGIN)
    try:
        assert staff_api.post("/api/plugins/rescan/").status_code == 200
        assert not Plugin.objects.filter(key__contains="smuggled").exists()

        # The same file in a folder the operator configured is found: the check above can fail.
        with override_settings(AITICKER_PLUGIN_DIRS=[str(folder)]):
            assert staff_api.post("/api/plugins/rescan/").status_code == 200
            found = Plugin.objects.get(key__endswith="smuggled_provider:SmuggledPlugin")
            assert found.source == Plugin.Source.DIRECTORY and found.file_path
    finally:
        registry.rescan()  # leave the process's registry as the rest of the suite expects it
    assert registry.get(found.key) is None

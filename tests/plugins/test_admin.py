"""The plugin admin: listing, read-only code fields, enable/disable/rescan actions and the invalid-enable rule."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from plugins.models import Plugin

from .conftest import good_plugin_source

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:plugins_plugin_changelist")


@pytest.fixture
def plugins_in_table():
    Plugin.objects.filter(key__startswith="tests.sample").delete()
    valid = Plugin.objects.create(key="tests.sample:Valid", name="Valid one", source="custom", status="valid")
    invalid = Plugin.objects.create(
        key="tests.sample:Invalid",
        name="Invalid one",
        source="directory",
        status="invalid",
        error="import failed: <script>alert(1)</script>\nsecond line",
    )
    return valid, invalid


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_changelist_lists_filters_and_searches(admin_client, plugins_in_table):
    response = admin_client.get(CHANGELIST, {"q": "Invalid one"})

    assert response.status_code == 200
    assert b"tests.sample:Invalid" in response.content
    assert b"tests.sample:Valid<" not in response.content
    filtered = admin_client.get(CHANGELIST, {"status__exact": "valid", "source__exact": "custom"})
    assert b"tests.sample:Valid" in filtered.content and b"tests.sample:Invalid" not in filtered.content


def test_change_page_shows_the_error_in_full_and_escaped(admin_client, plugins_in_table):
    _, invalid = plugins_in_table

    response = admin_client.get(reverse("admin:plugins_plugin_change", args=[invalid.pk]))

    assert response.status_code == 200
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;\nsecond line</pre>" in response.content
    assert b'name="name"' not in response.content  # code-derived: read-only
    assert b'name="enabled"' in response.content


def test_plugins_cannot_be_added_by_hand(admin_client):
    assert admin_client.get(reverse("admin:plugins_plugin_add")).status_code == 403


def test_enable_action_enables_valid_and_refuses_invalid_ones_with_the_reason(admin_client, plugins_in_table):
    valid, invalid = plugins_in_table

    response = admin_client.post(
        CHANGELIST, {"action": "enable_plugins", "_selected_action": [valid.pk, invalid.pk]}, follow=True
    )

    valid.refresh_from_db()
    invalid.refresh_from_db()
    assert (valid.enabled, invalid.enabled) == (True, False)
    texts = messages_of(response)
    assert "Enabled 1 plugin(s)." in texts
    assert any(t.startswith("Refused to enable tests.sample:Invalid: A plugin that is invalid") for t in texts)


def test_disable_action(admin_client, plugins_in_table):
    valid, _ = plugins_in_table
    Plugin.objects.filter(pk=valid.pk).update(enabled=True)

    admin_client.post(CHANGELIST, {"action": "disable_plugins", "_selected_action": [valid.pk]})

    valid.refresh_from_db()
    assert valid.enabled is False


def test_rescan_action_syncs_from_disk(admin_client, plugins_in_table, plugin_folder):
    valid, _ = plugins_in_table
    plugin_folder.write("good.py", good_plugin_source())

    response = admin_client.post(CHANGELIST, {"action": "rescan_plugins", "_selected_action": [valid.pk]}, follow=True)

    assert Plugin.objects.get(key=plugin_folder.key("good", "GoodPlugin")).status == "valid"
    assert any(text.startswith("Rescanned:") for text in messages_of(response))
    # Rows whose code was not found are kept, not deleted.
    assert Plugin.objects.get(pk=valid.pk).status == "not-found-on-disk"


def test_list_editable_enabled_refuses_an_invalid_plugin(admin_client, plugins_in_table):
    valid, invalid = plugins_in_table
    data = {
        "form-TOTAL_FORMS": "2",
        "form-INITIAL_FORMS": "2",
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "1000",
        "form-0-id": str(valid.pk),
        "form-0-enabled": "on",
        "form-1-id": str(invalid.pk),
        "form-1-enabled": "on",
        "_save": "Save",
    }

    response = admin_client.post(f"{CHANGELIST}?q=tests.sample&o=1", data)

    assert response.status_code == 200  # the changelist is shown again with the error
    assert b"cannot be enabled" in response.content
    assert Plugin.objects.get(pk=invalid.pk).enabled is False

"""Disabling, breaking or deleting a plugin never corrupts providers or the messages they wrote."""

from __future__ import annotations

import pytest
from django.urls import reverse

from plugins.models import Plugin
from providers import runtime
from providers.models import Provider

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser("root", password="pw-root-123")


def test_disabling_a_plugin_keeps_its_providers_but_makes_them_ineligible(make_provider, scripted_plugin):
    provider = make_provider("kept")
    assert runtime.eligible_providers() == [provider]

    Plugin.objects.filter(pk=scripted_plugin.pk).update(enabled=False)

    assert runtime.eligible_providers() == []
    stored = Provider.objects.get(pk=provider.pk)
    assert (stored.name, stored.model, stored.plugin_id) == (provider.name, provider.model, scripted_plugin.pk)


def test_a_plugin_whose_code_vanished_stops_its_providers_until_it_is_back(make_provider, scripted_plugin):
    provider = make_provider("waiting")
    Plugin.objects.filter(pk=scripted_plugin.pk).update(status=Plugin.Status.NOT_FOUND)
    assert runtime.eligible_providers() == []

    Plugin.objects.filter(pk=scripted_plugin.pk).update(status=Plugin.Status.VALID)

    assert runtime.eligible_providers() == [provider]


def test_the_admin_refuses_to_delete_a_plugin_that_providers_use(client, superuser, make_provider, scripted_plugin):
    make_provider("user of the plugin")
    Plugin.objects.filter(pk=scripted_plugin.pk).update(status=Plugin.Status.NOT_FOUND)  # deletable in principle
    client.force_login(superuser)
    url = reverse("admin:plugins_plugin_delete", args=[scripted_plugin.pk])

    page = client.get(url)
    client.post(url, {"post": "yes"})

    assert page.status_code == 200 and "would require deleting the following protected" in page.content.decode()
    assert Plugin.objects.filter(pk=scripted_plugin.pk).exists()
    assert Provider.objects.filter(name="user of the plugin").exists()

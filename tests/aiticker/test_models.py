"""Model rules shared by the admin and the API: one active profile, validated settings."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from aiticker.models import PromptProfile, TickerSettings

pytestmark = pytest.mark.django_db


def test_default_profiles_ship_with_general_active():
    names = set(PromptProfile.objects.values_list("name", flat=True))
    assert {"General", "Haiku", "Tech one-liner"} <= names
    assert PromptProfile.objects.get(active=True).name == "General"


def test_activating_a_profile_deactivates_the_others():
    haiku = PromptProfile.objects.get(name="Haiku")
    haiku.active = True
    haiku.save()
    assert list(PromptProfile.objects.filter(active=True)) == [haiku]


def test_the_database_refuses_two_active_profiles():
    with pytest.raises(IntegrityError), transaction.atomic():
        PromptProfile.objects.filter(name="Haiku").update(active=True)


def test_the_active_profile_cannot_simply_be_deactivated():
    general = PromptProfile.objects.get(active=True)
    general.active = False
    with pytest.raises(ValidationError) as error:
        general.full_clean()
    assert "active" in error.value.message_dict


def test_a_profile_needs_a_user_prompt():
    with pytest.raises(ValidationError) as error:
        PromptProfile(name="Blank", user_prompt="   ").full_clean()
    assert "user_prompt" in error.value.message_dict


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("interval_seconds", 0),
        ("reuse_probability", 1.5),
        ("reuse_probability", -0.1),
        ("recent_limit", 0),
        ("fuzzy_threshold", 101),
        ("archive_limit", 0),
        ("health_check_interval", 0.5),
    ],
)
def test_settings_refuse_bad_values_naming_the_field(field, value):
    config = TickerSettings.load()
    setattr(config, field, value)
    with pytest.raises(ValidationError) as error:
        config.full_clean()
    assert set(error.value.message_dict) == {field}


def test_settings_are_a_singleton():
    first = TickerSettings.load()
    TickerSettings(interval_seconds=5).save()
    assert TickerSettings.objects.count() == 1 and TickerSettings.load().pk == first.pk
    with pytest.raises(ValidationError):
        first.delete()

"""Ship prompt profiles that work out of the box, the settings row and the lease row."""

from django.db import migrations

PROFILES = [
    {
        "name": "General",
        "active": True,
        "system_prompt": (
            "You write the text of a ticker shown on a public screen. Reply with one short, friendly, "
            "self-contained message of at most 200 characters: an observation, a tip or a light thought. "
            "No preamble, no quotation marks, no hashtags, no emoji."
        ),
        "user_prompt": "Write the next ticker message. Pick a topic different from the usual ones.",
    },
    {
        "name": "Haiku",
        "active": False,
        "system_prompt": (
            "You are a poet. Reply with one haiku only: three lines of five, seven and five syllables, "
            "no title and no explanation."
        ),
        "user_prompt": "Write a haiku about an everyday moment at work, in a season of your choice.",
    },
    {
        "name": "Tech one-liner",
        "active": False,
        "system_prompt": (
            "You explain technology to curious non-experts. Reply with exactly one sentence of at most 160 "
            "characters that explains one computing concept accurately and plainly. No preamble."
        ),
        "user_prompt": "Explain one computing concept (a protocol, a data structure, a security idea) in one line.",
    },
    {
        "name": "Fun fact",
        "active": False,
        "system_prompt": (
            "You share verified, surprising facts. Reply with one fact of at most 200 characters that is "
            "well established; if unsure, pick a different fact. No preamble."
        ),
        "user_prompt": "Share one surprising fact from science, history or nature.",
    },
]


def create_defaults(apps, schema_editor):
    PromptProfile = apps.get_model("aiticker", "PromptProfile")
    TickerSettings = apps.get_model("aiticker", "TickerSettings")
    TickerLease = apps.get_model("aiticker", "TickerLease")
    has_active = PromptProfile.objects.filter(active=True).exists()
    for profile in PROFILES:
        values = dict(profile, active=profile["active"] and not has_active)
        PromptProfile.objects.get_or_create(name=profile["name"], defaults=values)
    TickerSettings.objects.get_or_create(pk=1)
    TickerLease.objects.get_or_create(pk=1)


def remove_defaults(apps, schema_editor):
    PromptProfile = apps.get_model("aiticker", "PromptProfile")
    PromptProfile.objects.filter(name__in=[p["name"] for p in PROFILES]).delete()


class Migration(migrations.Migration):
    dependencies = [("aiticker", "0001_initial")]

    operations = [migrations.RunPython(create_defaults, remove_defaults)]

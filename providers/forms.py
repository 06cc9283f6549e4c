"""The provider admin form: the API key is write-only, like in the API."""

from __future__ import annotations

import json

from django import forms
from django.forms.fields import InvalidJSONInput

from .models import Provider
from .secrets import is_encrypted


class DisplayableJSONField(forms.JSONField):
    """Re-displays a refused value even when it holds a lone surrogate (``"\\ud800"`` parses, then fails the
    model's validator): written as UTF-8 it would make the error page itself a 500, so it is shown escaped."""

    def prepare_value(self, value):
        if isinstance(value, InvalidJSONInput):
            return value
        text = json.dumps(value, ensure_ascii=False, cls=self.encoder)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            text = json.dumps(value, cls=self.encoder)
        return text


class ProviderAdminForm(forms.ModelForm):
    """Shows the key masked and never sends it to the browser; a blank field keeps the stored key.

    Validation is the model's (``clean()`` and field validators), reached through ``ModelForm._post_clean``.
    """

    api_key = forms.CharField(
        label="API key",
        required=False,
        strip=True,
        max_length=4000,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password", "size": 60}),
    )
    clear_api_key = forms.BooleanField(
        label="Clear the stored key",
        required=False,
        help_text="Remove the stored key; the plugin's conventional environment variable is used instead.",
    )

    class Meta:
        model = Provider
        fields = [
            "name",
            "plugin",
            "enabled",
            "priority",
            "base_url",
            "api_key",
            "model",
            "max_tokens",
            "temperature",
            "timeout",
            "extra_params",
            "extra_headers",
            "notes",
        ]
        field_classes = {"extra_params": DisplayableJSONField, "extra_headers": DisplayableJSONField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["api_key"]
        if self.instance.pk and self.instance.api_key:
            field.help_text = (
                f"Stored: {self.instance.api_key_hint}. Leave blank to keep it. "
                "Type a new key (stored encrypted) or a reference such as ${OPENROUTER_API_KEY}."
            )
        else:
            field.help_text = (
                "A literal key (stored encrypted) or a reference such as ${OPENROUTER_API_KEY}. "
                "Blank: the plugin's conventional environment variable."
            )

    def clean_api_key(self) -> str:
        value = self.cleaned_data.get("api_key", "")
        if is_encrypted(value):
            raise forms.ValidationError("Enter the key itself or a ${VAR} reference, not a stored token.")
        return value

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("clear_api_key"):
            cleaned["api_key"] = ""
        elif not cleaned.get("api_key") and self.instance.pk:
            cleaned["api_key"] = self.instance.api_key  # the stored (encrypted) value, kept as is
        return cleaned

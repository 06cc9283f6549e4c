"""What discovery found on disk and in packages, and whether an operator allowed it."""

from django.core.exceptions import ValidationError
from django.db import models

#: What a plugin's code declares (metadata and provider defaults); every sync copies these onto the row.
DECLARED_FIELDS = (
    "name",
    "version",
    "author",
    "description",
    "category",
    "api_version",
    "supported_features",
    "requires",
    "homepage",
    "documentation",
    "license",
    "provider_name",
    "supported_models",
    "default_base_url",
    "default_model",
    "api_key_env",
)
#: Everything discovery owns: operators may only change ``enabled``; an edit here would be undone by a rescan.
DISCOVERED_FIELDS = ("key", *DECLARED_FIELDS, "source", "file_path", "status", "error", "first_seen", "last_seen")


class Plugin(models.Model):
    """One discovered ``AIProviderPlugin`` object, keyed by its object reference ``module.path:Attribute``.

    Rows are never deleted by a rescan: a plugin whose code vanished is marked ``not-found-on-disk`` so the
    providers pointing at it keep their configuration.
    """

    class Source(models.TextChoices):
        BUILTIN = "builtin", "Builtin"
        CUSTOM = "custom", "Custom"
        DIRECTORY = "directory", "Plugin directory"
        PACKAGE = "package", "Installed package"

    class Status(models.TextChoices):
        VALID = "valid", "Valid"
        INVALID = "invalid", "Invalid"
        MISSING_DEPENDENCY = "missing-dependency", "Missing dependency"
        NOT_FOUND = "not-found-on-disk", "Not found on disk"

    key = models.CharField(max_length=255, unique=True, help_text="Object reference, module.path:AttributeName.")
    name = models.CharField(max_length=200, blank=True)
    version = models.CharField(max_length=64, blank=True)
    author = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    category = models.CharField(max_length=64, blank=True)
    api_version = models.CharField(max_length=32, blank=True)
    supported_features = models.JSONField(default=list, blank=True)
    requires = models.JSONField(default=list, blank=True)
    homepage = models.CharField(max_length=500, blank=True)
    documentation = models.CharField(max_length=500, blank=True)
    license = models.CharField(max_length=100, blank=True)

    # Declared by the provider class; providers use them as defaults and for the "unknown model" warning.
    provider_name = models.CharField(max_length=200, blank=True)
    supported_models = models.JSONField(default=list, blank=True)
    default_base_url = models.CharField(max_length=500, blank=True)
    default_model = models.CharField(max_length=200, blank=True)
    api_key_env = models.CharField(max_length=100, blank=True)

    source = models.CharField(max_length=16, choices=Source.choices)
    file_path = models.CharField(max_length=1000, blank=True)
    status = models.CharField(max_length=32, choices=Status.choices, default=Status.VALID, db_index=True)
    error = models.TextField(blank=True, help_text="Why the plugin is not usable, in full.")

    enabled = models.BooleanField(default=False, help_text="Operators' choice; only a valid plugin can be enabled.")
    first_seen = models.DateTimeField(auto_now_add=True)
    last_seen = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["source", "name", "key"]

    def __str__(self) -> str:
        return f"{self.name or self.key} ({self.version})" if self.version else (self.name or self.key)

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        # Remember the stored choice: clean() refuses *turning on* an unusable plugin, but a row that was
        # enabled before its code broke keeps the operator's choice (it is simply not usable until fixed).
        instance._loaded_enabled = instance.enabled if "enabled" in field_names else None
        return instance

    @property
    def is_usable(self) -> bool:
        return self.enabled and self.status == self.Status.VALID

    def clean(self) -> None:
        turning_on = self.enabled and not getattr(self, "_loaded_enabled", False)
        if turning_on and self.status != self.Status.VALID:
            reason = f": {self.error}" if self.error else ""
            raise ValidationError(
                {"enabled": f"A plugin that is {self.get_status_display().lower()} cannot be enabled{reason}"}
            )

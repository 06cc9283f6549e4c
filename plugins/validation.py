"""Deciding whether a discovered plugin can be used, and saying why not in one line.

Each kind of failure an operator must tell apart has its own exception type (NetBox style). All subclass
:class:`PluginError`, itself an ``ImproperlyConfigured``: a bad plugin is a configuration problem of this
site, not a crash. Each carries the ``Plugin.status`` it maps to.
"""

from __future__ import annotations

import importlib.metadata
import inspect
import logging
import re
import traceback
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from packaging.requirements import InvalidRequirement, Requirement

from plugins.base_provider import SUPPORTED_API_VERSIONS, AIProviderPlugin, BaseAIProvider, ProviderConfig

logger = logging.getLogger(__name__)

STATUS_VALID = "valid"
STATUS_INVALID = "invalid"
STATUS_MISSING_DEPENDENCY = "missing-dependency"

REQUIRED_METADATA = ("name", "version", "author", "description")
OPTIONAL_TEXT_METADATA = ("category", "api_version", "homepage", "documentation", "license")

# Semantic Versioning 2.0.0, the regular expression semver.org recommends.
SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)


class PluginError(ImproperlyConfigured):
    """A plugin that cannot be used; ``str()`` is the one-line reason shown to operators."""

    status = STATUS_INVALID


class PluginImportError(PluginError):
    """The plugin's module raised while being imported (syntax error, failing import, error at module level)."""


class PluginDefinitionError(PluginError):
    """The plugin object is malformed: wrong provider class, missing metadata, provider that cannot be built."""


class IncompatiblePluginError(PluginError):
    """The plugin targets a plugin API version this host does not implement."""


class MissingDependencyError(PluginError):
    """The plugin needs packages that are not installed (or not in a version it accepts)."""

    status = STATUS_MISSING_DEPENDENCY


@dataclass
class PluginDeclaration:
    """What a plugin's code declares about itself: its metadata and its provider class's defaults."""

    name: str = ""
    version: str = ""
    author: str = ""
    description: str = ""
    category: str = ""
    api_version: str = ""
    homepage: str = ""
    documentation: str = ""
    license: str = ""
    supported_features: list[str] = field(default_factory=list)
    requires: list[str] = field(default_factory=list)
    provider_name: str = ""
    supported_models: list[str] = field(default_factory=list)
    default_base_url: str = ""
    default_model: str = ""
    api_key_env: str = ""


def validate_plugin(plugin: AIProviderPlugin) -> PluginDeclaration:
    """Check a plugin object and return its declaration; raise a :class:`PluginError` subclass if it is unusable.

    Checks run from "cannot work here at all" to "cannot work yet": API version, provider class, metadata,
    then installed requirements, and last reading the provider's own declarations from an instance.
    """
    declaration = read_metadata(plugin)
    if declaration.api_version and declaration.api_version not in SUPPORTED_API_VERSIONS:
        supported = ", ".join(sorted(SUPPORTED_API_VERSIONS))
        raise IncompatiblePluginError(
            f"incompatible: plugin API version {declaration.api_version!r} is not supported (this host: {supported})"
        )
    check_provider_class(plugin.provider_class)
    check_metadata(plugin.metadata)
    check_requirements(declaration.requires)
    read_provider_declarations(plugin.provider_class, declaration)
    return declaration


def read_metadata(plugin: AIProviderPlugin) -> PluginDeclaration:
    """Copy the metadata into a declaration, tolerating wrong types (those are reported by the checks)."""
    metadata = plugin.metadata if isinstance(getattr(plugin, "metadata", None), dict) else {}
    declaration = PluginDeclaration()
    for name in REQUIRED_METADATA + OPTIONAL_TEXT_METADATA:
        value = metadata.get(name)
        setattr(declaration, name, str(value).strip() if value is not None else "")
    for name in ("supported_features", "requires"):
        value = metadata.get(name) or []
        setattr(declaration, name, [str(item) for item in value] if isinstance(value, list | tuple) else [str(value)])
    provider_class = getattr(plugin, "provider_class", None)
    if inspect.isclass(provider_class):
        for name in ("default_base_url", "default_model", "api_key_env"):
            value = getattr(provider_class, name, "")
            setattr(declaration, name, value if isinstance(value, str) else "")
    return declaration


def check_provider_class(provider_class: Any) -> None:
    if not (inspect.isclass(provider_class) and issubclass(provider_class, BaseAIProvider)):
        raise PluginDefinitionError(f"provider_class {provider_class!r} is not a subclass of BaseAIProvider")
    missing = sorted(getattr(provider_class, "__abstractmethods__", ()))
    if missing:
        raise PluginDefinitionError(
            f"{provider_class.__name__} does not implement the abstract member(s): {', '.join(missing)}"
        )


def check_metadata(metadata: Any) -> None:
    if not isinstance(metadata, dict):
        raise PluginDefinitionError(f"metadata must be a dict, not {type(metadata).__name__}")
    missing = [name for name in REQUIRED_METADATA if not isinstance(metadata.get(name), str) or not metadata[name]]
    if missing:
        raise PluginDefinitionError(f"metadata is missing required field(s): {', '.join(missing)}")
    if not SEMVER.match(metadata["version"].strip()):
        raise PluginDefinitionError(
            f"metadata version {metadata['version']!r} is not a semantic version (MAJOR.MINOR.PATCH, e.g. 1.0.0)"
        )
    requires = metadata.get("requires", [])
    if not isinstance(requires, list | tuple) or not all(isinstance(item, str) for item in requires):
        raise PluginDefinitionError("metadata requires must be a list of requirement strings such as 'httpx>=0.27'")


def check_requirements(requires: list[str]) -> None:
    """Raise :class:`MissingDependencyError` naming every requirement the installed distributions do not meet."""
    problems = []
    for text in requires:
        try:
            requirement = Requirement(text)
        except InvalidRequirement as exc:
            raise PluginDefinitionError(f"requires entry {text!r} is not a valid requirement: {exc}") from None
        if requirement.marker is not None and not requirement.marker.evaluate():
            continue
        try:
            installed = importlib.metadata.version(requirement.name)
        except importlib.metadata.PackageNotFoundError:
            problems.append(f"needs {requirement}, not installed")
            continue
        if requirement.specifier and not requirement.specifier.contains(installed, prereleases=True):
            problems.append(f"needs {requirement}, found {installed}")
    if problems:
        raise MissingDependencyError("; ".join(problems))


def read_provider_declarations(provider_class: type[BaseAIProvider], declaration: PluginDeclaration) -> None:
    """Instantiate the provider with a placeholder config to read what it declares about itself.

    Only the constructor and the two properties run: no ``initialize()``, so no client and no network.
    """
    provider = None
    try:
        provider = provider_class(ProviderConfig(name=f"{declaration.name or provider_class.__name__} (validation)"))
        provider_name = provider.provider_name
        supported_models = provider.supported_models
    except Exception as exc:
        raise PluginDefinitionError(
            f"{provider_class.__name__} could not be instantiated to read its declarations: {one_line(exc)}"
        ) from None
    finally:
        if provider is not None:
            try:
                provider.close()
            except Exception:
                logger.debug("close() of a validation instance of %s failed", provider_class.__name__, exc_info=True)
    if not isinstance(provider_name, str) or not provider_name:
        raise PluginDefinitionError(f"{provider_class.__name__}.provider_name must be a non-empty string")
    if not isinstance(supported_models, list | tuple) or not all(isinstance(m, str) for m in supported_models):
        raise PluginDefinitionError(f"{provider_class.__name__}.supported_models must be a list of strings")
    declaration.provider_name = provider_name
    declaration.supported_models = list(supported_models)


def error_from_import_failure(exc: BaseException, module_name: str, file_path: str) -> PluginError:
    """Turn an exception raised while importing a plugin module into the error operators see."""
    if isinstance(exc, SyntaxError):
        where = f"{file_path or exc.filename}, line {exc.lineno}"
        return PluginImportError(f"syntax error in {where}: {exc.msg}")
    if isinstance(exc, ModuleNotFoundError) and exc.name and not _is_own_module(exc.name, module_name):
        top_level = exc.name.split(".")[0]
        return MissingDependencyError(f"needs {top_level}, not installed (import of {exc.name!r} failed)")
    location = _innermost_location(exc, file_path)
    return PluginImportError(f"import failed{location}: {type(exc).__name__}: {one_line(exc)}")


def one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:500] or type(exc).__name__


def _is_own_module(missing: str, module_name: str) -> bool:
    """A missing sibling module is a broken plugin, not a missing third-party package."""
    package = module_name.rpartition(".")[0]
    return bool(package) and (missing == package or missing.startswith(package + "."))


def _innermost_location(exc: BaseException, file_path: str) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    name = file_path.rsplit("/", 1)[-1]
    for frame in reversed(frames):
        if name and frame.filename.endswith(name):
            return f" at {file_path}, line {frame.lineno}"
    return f" in {file_path}" if file_path else ""

"""Validation: every way a plugin can be broken gives its status and a one-line reason, and spares the others."""

import httpx
import pytest
from django.core.exceptions import ImproperlyConfigured

from plugins.base_provider import AIProviderPlugin, BaseAIProvider
from plugins.registry import registry, scan
from plugins.validation import (
    IncompatiblePluginError,
    MissingDependencyError,
    PluginDefinitionError,
    PluginError,
    check_requirements,
    validate_plugin,
)

from .conftest import good_plugin_source

# A plugin module body in which {provider}, {metadata} and {header} are filled per case.
TEMPLATE = """
from plugins.base_provider import AIProviderPlugin, BaseAIProvider
{header}

class Provider(BaseAIProvider):
{provider}

BadPlugin = AIProviderPlugin(provider_class={provider_class}, metadata={metadata})
"""

COMPLETE_PROVIDER = """
    @property
    def provider_name(self):
        return "Bad"

    @property
    def supported_models(self):
        return ["m"]

    def initialize(self):
        return True

    def generate_message(self, system_prompt, user_prompt):
        return None

    def health_check(self):
        return True
"""

METADATA = {"name": "Bad", "version": "1.0.0", "author": "Tests", "description": "Broken on purpose"}


def module(*, provider=COMPLETE_PROVIDER, metadata=None, header="", provider_class="Provider"):
    return TEMPLATE.format(
        provider=provider, metadata=repr(metadata or METADATA), header=header, provider_class=provider_class
    )


BROKEN = {
    "syntax_error": (
        "def broken(:\n    pass\nBadPlugin = AIProviderPlugin(provider_class=None, metadata={})\n",
        "invalid",
        "syntax error in {file}, line 1",
    ),
    "raises_at_import": (
        module(header="raise RuntimeError('no config file')"),
        "invalid",
        "import failed at {file}, line 3: RuntimeError: no config file",
    ),
    "imports_a_missing_package": (
        module(header="import aiticker_no_such_package"),
        "missing-dependency",
        "needs aiticker_no_such_package, not installed",
    ),
    "not_a_provider_subclass": (
        module(provider_class="dict"),
        "invalid",
        "provider_class <class 'dict'> is not a subclass of BaseAIProvider",
    ),
    "abstract_members_missing": (
        module(provider="    def initialize(self):\n        return True\n"),
        "invalid",
        "Provider does not implement the abstract member(s): generate_message, health_check, provider_name, "
        "supported_models",
    ),
    "metadata_missing_fields": (
        module(metadata={"name": "Bad", "version": "1.0.0"}),
        "invalid",
        "metadata is missing required field(s): author, description",
    ),
    "version_not_semantic": (
        module(metadata={**METADATA, "version": "1.0"}),
        "invalid",
        "metadata version '1.0' is not a semantic version",
    ),
    "requires_newer_version": (
        module(metadata={**METADATA, "requires": ["httpx>=99"]}),
        "missing-dependency",
        f"needs httpx>=99, found {httpx.__version__}",
    ),
    "requires_uninstalled_package": (
        module(metadata={**METADATA, "requires": ["aiticker-no-such-dist>=1"]}),
        "missing-dependency",
        "needs aiticker-no-such-dist>=1, not installed",
    ),
    "incompatible_api_version": (
        module(metadata={**METADATA, "api_version": "v2"}),
        "invalid",
        "incompatible: plugin API version 'v2' is not supported (this host: v1)",
    ),
    "constructor_raises": (
        module(provider=COMPLETE_PROVIDER + "\n    def __init__(self, config):\n        raise ValueError('boom')\n"),
        "invalid",
        "Provider could not be instantiated to read its declarations: boom",
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_plugin_gets_its_status_and_reason_while_a_good_one_beside_it_loads(plugin_folder, case):
    source, status, reason = BROKEN[case]
    file = plugin_folder.write("bad.py", source)
    plugin_folder.write("good.py", good_plugin_source())

    found = {item.key: item for item in scan()}

    bad = found[plugin_folder.key("bad", "BadPlugin")]
    assert bad.status == status
    assert reason.format(file=file) in bad.error
    assert "\n" not in bad.error
    assert found[plugin_folder.key("good", "GoodPlugin")].is_valid
    assert registry.get(plugin_folder.key("good", "GoodPlugin")) is not None
    assert registry.get(plugin_folder.key("bad", "BadPlugin")) is None


def test_a_module_whose_plugin_names_cannot_be_read_is_reported_under_the_module(plugin_folder):
    plugin_folder.write("gibberish.py", "this is not python\n")

    found = {item.key: item for item in scan()}

    assert found[f"{plugin_folder.package}.gibberish"].status == "invalid"


def test_plugin_errors_are_improperly_configured_and_tell_incompatible_from_broken():
    class Incomplete(BaseAIProvider):
        pass

    with pytest.raises(IncompatiblePluginError) as incompatible:
        validate_plugin(AIProviderPlugin(Incomplete, {**METADATA, "api_version": "v9"}))
    with pytest.raises(PluginDefinitionError) as broken:
        validate_plugin(AIProviderPlugin(Incomplete, METADATA))

    assert isinstance(incompatible.value, ImproperlyConfigured)
    assert not isinstance(broken.value, IncompatiblePluginError)
    assert (incompatible.value.status, broken.value.status) == ("invalid", "invalid")
    assert issubclass(MissingDependencyError, PluginError) and MissingDependencyError.status == "missing-dependency"


def test_requirements_report_every_unmet_one_and_honour_markers():
    with pytest.raises(MissingDependencyError) as exc:
        check_requirements(["httpx>=99", "aiticker-nothing", "packaging>=1", "httpx<0; python_version<'3'"])

    assert str(exc.value) == f"needs httpx>=99, found {httpx.__version__}; needs aiticker-nothing, not installed"


def test_an_unparseable_requirement_is_an_invalid_plugin():
    with pytest.raises(PluginDefinitionError, match="requires entry 'httpx >>> 1' is not a valid requirement"):
        check_requirements(["httpx >>> 1"])

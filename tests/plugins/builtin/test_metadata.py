"""What discovery and operators read from each builtin: one plugin per module, complete metadata, defaults."""

from __future__ import annotations

import importlib
import pkgutil

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

import plugins.builtin
from plugins.base_provider import AIProviderPlugin, BaseAIProvider, ProviderConfig

from .conftest import BUILTINS

PUBLIC_MODULES = sorted(
    f"plugins.builtin.{info.name}"
    for info in pkgutil.iter_modules(plugins.builtin.__path__)
    if not info.name.startswith("_")
)
EXPECTED = {
    "plugins.builtin.anthropic_provider": ("AnthropicPlugin", "ANTHROPIC_API_KEY", "https://api.anthropic.com/v1"),
    "plugins.builtin.deepinfra_provider": (
        "DeepInfraPlugin",
        "DEEPINFRA_API_KEY",
        "https://api.deepinfra.com/v1/openai",
    ),
    "plugins.builtin.gemini_provider": (
        "GeminiPlugin",
        "GEMINI_API_KEY",
        "https://generativelanguage.googleapis.com/v1beta",
    ),
    "plugins.builtin.groq_provider": ("GroqPlugin", "GROQ_API_KEY", "https://api.groq.com/openai/v1"),
    "plugins.builtin.mistral_provider": ("MistralPlugin", "MISTRAL_API_KEY", "https://api.mistral.ai/v1"),
    "plugins.builtin.openai_compatible_provider": ("OpenAICompatiblePlugin", "OPENAI_COMPATIBLE_API_KEY", ""),
    "plugins.builtin.openai_provider": ("OpenAIPlugin", "OPENAI_API_KEY", "https://api.openai.com/v1"),
    "plugins.builtin.openrouter_provider": ("OpenRouterPlugin", "OPENROUTER_API_KEY", "https://openrouter.ai/api/v1"),
    "plugins.builtin.together_provider": ("TogetherPlugin", "TOGETHER_API_KEY", "https://api.together.xyz/v1"),
}


def test_the_shipped_modules_are_exactly_the_documented_builtins():
    assert PUBLIC_MODULES == sorted(EXPECTED)
    assert {b.plugin for b in BUILTINS} == {
        getattr(importlib.import_module(module), attribute) for module, (attribute, _, _) in EXPECTED.items()
    }


@pytest.mark.parametrize("module_name", sorted(EXPECTED))
def test_each_public_module_exposes_exactly_one_plugin_with_full_metadata(module_name):
    module = importlib.import_module(module_name)
    attribute, key_env, base_url = EXPECTED[module_name]

    plugins_here = {name: value for name, value in vars(module).items() if isinstance(value, AIProviderPlugin)}

    assert list(plugins_here) == [attribute]
    plugin = plugins_here[attribute]
    metadata = plugin.metadata
    for field in ("name", "author", "description", "homepage", "documentation", "license"):
        assert isinstance(metadata.get(field), str) and metadata[field], field
    assert Version(metadata["version"]) == Version("1.0.0")
    assert metadata["author"] == "AI-Ticker"
    assert metadata["category"] == "official"
    assert metadata["api_version"] == "v1"
    assert "chat_completion" in metadata["supported_features"]
    assert [str(Requirement(r)) for r in metadata["requires"]] == ["httpx>=0.27"]

    provider_class = plugin.provider_class
    assert provider_class.__module__ == module_name
    assert provider_class.api_key_env == key_env
    assert provider_class.default_base_url == base_url


@pytest.mark.parametrize("module_name", sorted(EXPECTED))
def test_each_provider_class_is_concrete_and_declares_its_models(module_name):
    plugin = getattr(importlib.import_module(module_name), EXPECTED[module_name][0])

    provider = plugin.create_provider(ProviderConfig(name="probe"))

    assert isinstance(provider, BaseAIProvider)
    assert provider.provider_name
    assert len(provider.supported_models) >= 3
    assert provider.default_model in provider.supported_models
    info = provider.get_info()
    assert "api_key" not in info


def test_the_mock_is_a_custom_plugin_needing_nothing():
    from plugins.custom.mock_provider import MockPlugin

    assert MockPlugin.metadata["category"] == "custom"
    assert MockPlugin.provider_class.default_model == "mock-1"
    assert MockPlugin.create_provider(ProviderConfig(name="probe", model="mock-1")).supported_models == ["mock-1"]

"""Fixtures for plugin tests: temporary plugin folders, the guide's example plugin, a clean registry."""

from __future__ import annotations

import re
import sys
import textwrap
from pathlib import Path

import pytest
from django.conf import settings

from plugins.discovery import PLUGIN_DIRS_PACKAGE
from plugins.registry import registry

# The guide lives in the shared folder beside the checkout (as in CI); a clone elsewhere on a developer machine
# reads the workplace's copy.
GUIDE = Path(settings.BASE_DIR).parent / "shared" / "spec" / "plugin-development-guide.md"
if not GUIDE.is_file():
    GUIDE = Path("/work/shared/spec/plugin-development-guide.md")

#: A complete, valid plugin with no third-party needs, used beside the broken ones.
GOOD_PLUGIN = """
from plugins.base_provider import AIProviderPlugin, AIResponse, BaseAIProvider


class GoodProvider(BaseAIProvider):
    default_model = "good-1"

    @property
    def provider_name(self):
        return "Good"

    @property
    def supported_models(self):
        return ["good-1"]

    def initialize(self):
        return True

    def generate_message(self, system_prompt, user_prompt):
        return AIResponse(content="good news", provider_name="Good", model=self.config.model)

    def health_check(self):
        return True


GoodPlugin = AIProviderPlugin(
    provider_class=GoodProvider,
    metadata={"name": "Good", "version": "{version}", "author": "Tests", "description": "Always works"},
)
"""


def good_plugin_source(version: str = "1.0.0") -> str:
    return GOOD_PLUGIN.replace("{version}", version)


def guide_example_source() -> str:
    """The guide's full example plugin: the fenced block that starts with ``# plugins/custom/my_provider.py``."""
    blocks = re.findall(r"```python\n(.*?)```", GUIDE.read_text(encoding="utf-8"), flags=re.DOTALL)
    matching = [block for block in blocks if block.startswith("# plugins/custom/my_provider.py")]
    assert len(matching) == 1, "the guide must hold exactly one my_provider.py example"
    return matching[0]


class PluginFolder:
    """A temporary folder listed in AITICKER_PLUGIN_DIRS; ``write()`` drops a plugin module into it."""

    def __init__(self, path: Path):
        self.path = path
        self.package = f"{PLUGIN_DIRS_PACKAGE}.{path.name}"

    def write(self, filename: str, source: str) -> Path:
        file = self.path / filename
        file.write_text(textwrap.dedent(source), encoding="utf-8")
        return file

    def key(self, module: str, attribute: str) -> str:
        return f"{self.package}.{module}:{attribute}"


@pytest.fixture
def plugin_folder(tmp_path, settings) -> PluginFolder:
    folder = tmp_path / "extra_plugins"
    folder.mkdir()
    settings.AITICKER_PLUGIN_DIRS = [str(folder)]
    return PluginFolder(folder)


@pytest.fixture(autouse=True)
def fresh_registry():
    """Each test starts and ends with an unloaded registry and none of its temporary plugin modules imported."""
    registry.clear()
    yield
    registry.clear()
    for name in [n for n in sys.modules if n == PLUGIN_DIRS_PACKAGE or n.startswith(PLUGIN_DIRS_PACKAGE + ".")]:
        del sys.modules[name]


@pytest.fixture
def custom_plugin_file():
    """Write a module into the real plugins/custom/ folder; removed again (file and modules) afterwards."""
    written: list[Path] = []
    modules_before = set(sys.modules)

    def write(filename: str, source: str) -> Path:
        file = Path(settings.BASE_DIR) / "plugins" / "custom" / filename
        assert not file.exists(), f"{file} already exists; refusing to overwrite it"
        file.write_text(textwrap.dedent(source), encoding="utf-8")
        written.append(file)
        return file

    yield write
    import plugins.custom

    for file in written:
        file.unlink(missing_ok=True)
        module_name = f"plugins.custom.{file.stem}"
        sys.modules.pop(module_name, None)
        if hasattr(plugins.custom, file.stem):
            delattr(plugins.custom, file.stem)
    for name in set(sys.modules) - modules_before:
        if name.startswith("plugins.custom."):
            del sys.modules[name]

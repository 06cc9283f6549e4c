"""Finding plugin objects: module-level ``AIProviderPlugin`` instances in plugin folders and installed packages.

Where plugins come from, and the module name (hence the key ``module.path:AttributeName``) each gets:

* ``plugins/builtin/*.py`` -> ``plugins.builtin.<module>`` (source ``builtin``)
* ``plugins/custom/*.py`` -> ``plugins.custom.<module>`` (source ``custom``)
* every folder in ``settings.AITICKER_PLUGIN_DIRS`` -> ``aiticker_plugin_dirs.<folder>.<module>`` where
  ``<folder>`` is the folder's own name made into an identifier (``/srv/ai-plugins`` -> ``ai_plugins``); a
  second configured folder with the same name gets ``_2``, ``_3`` … in configuration order (source ``directory``)
* entry points of group ``aiticker.plugins`` -> the entry point's own ``module:attr`` (source ``package``)

The key therefore survives restarts and even moving a plugin folder. Files whose name starts with ``_`` are
helpers, not plugins. A module that imports but holds no plugin object is ignored; a module that fails to
import is reported (see :class:`Candidate`) so an operator learns why the plugin they dropped in is missing.
"""

from __future__ import annotations

import ast
import hashlib
import importlib
import importlib.metadata
import logging
import pkgutil
import re
import sys
import types
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from plugins.base_provider import AIProviderPlugin
from plugins.validation import PluginError, error_from_import_failure

logger = logging.getLogger(__name__)

#: Entry-point group installed packages declare their plugins under.
ENTRY_POINT_GROUP = "aiticker.plugins"
#: Synthetic package the folders of ``AITICKER_PLUGIN_DIRS`` are mounted under, so their modules import normally.
PLUGIN_DIRS_PACKAGE = "aiticker_plugin_dirs"

SOURCE_BUILTIN = "builtin"
SOURCE_CUSTOM = "custom"
SOURCE_DIRECTORY = "directory"
SOURCE_PACKAGE = "package"

#: Per scanned package: its folder and the content hash of each file, to re-import exactly what was edited.
_fingerprints: dict[str, tuple[str, dict[str, str]]] = {}

_PLUGIN_ASSIGNMENT = re.compile(r"^([A-Za-z_]\w*)\s*(?::[^=]+)?=\s*AIProviderPlugin\s*\(", re.MULTILINE)


@dataclass
class Candidate:
    """One plugin object found (``plugin`` set) or one plugin module that could not be imported (``error`` set)."""

    key: str
    source: str
    module: str
    file_path: str = ""
    plugin: AIProviderPlugin | None = None
    error: PluginError | None = None
    #: True when the object was found under a name the module imported from elsewhere (loses a dedupe tie).
    imported: bool = False


def discover() -> list[Candidate]:
    """Import every plugin module from disk and packages and return what was found, in a stable order.

    Callers serialise scans (see :mod:`plugins.registry`): importing mutates ``sys.modules``.
    """
    importlib.invalidate_caches()
    # A .pyc written for a file edited twice within one second, keeping its size, would be taken for current;
    # plugin folders are edited live, so they are read from source.
    dont_write_bytecode, sys.dont_write_bytecode = sys.dont_write_bytecode, True
    try:
        found: list[Candidate] = []
        for package_name, source in (("plugins.builtin", SOURCE_BUILTIN), ("plugins.custom", SOURCE_CUSTOM)):
            found += _scan_package(package_name, source)
        for package_name, folder in _mount_plugin_dirs(settings.AITICKER_PLUGIN_DIRS):
            _forget_changed_modules(package_name, folder)
            found += _scan_folder(package_name, folder)
        found += _scan_entry_points()
    finally:
        sys.dont_write_bytecode = dont_write_bytecode
    candidates = _deduplicate(found)
    for candidate in candidates:
        logger.debug(
            "Found %s (source=%s file=%s)%s",
            candidate.key,
            candidate.source,
            candidate.file_path or "-",
            f" import failed: {candidate.error}" if candidate.error else "",
        )
    return candidates


def discover_file(path: str | Path) -> list[Candidate]:
    """Import one ``.py`` file and return the plugins in it, for ``checkplugin PATH``.

    A file inside a plugin folder gets the same key discovery gives it; any other file is imported as
    ``aiticker_checked_<hash of its folder>.<stem>`` with its folder as the package path, so its sibling
    imports still work.
    """
    file = Path(path).expanduser().resolve()
    if file.suffix != ".py" or not file.is_file():
        raise FileNotFoundError(f"{path}: not a Python file")
    module_name, source = _module_name_for_file(file)
    sys.modules.pop(module_name, None)
    importlib.invalidate_caches()
    return _deduplicate(_scan_module(module_name, source, file))


def module_name_for_directory(folder: str | Path, taken: Iterable[str] = ()) -> str:
    """The stable package name a plugin folder is mounted as (``aiticker_plugin_dirs.<identifier>``)."""
    base = re.sub(r"\W", "_", Path(folder).name).strip("_").lower() or "plugins"
    if base[0].isdigit():
        base = f"dir_{base}"
    name, number, taken = base, 1, set(taken)
    while name in taken:
        number += 1
        name = f"{base}_{number}"
    return f"{PLUGIN_DIRS_PACKAGE}.{name}"


# --- scanning ---------------------------------------------------------------------------------------------


def _scan_package(package_name: str, source: str) -> list[Candidate]:
    try:
        package = importlib.import_module(package_name)
    except Exception:  # the package __init__ is ours; if even that fails, log and carry on with the rest
        logger.exception("Could not import plugin package %s", package_name)
        return []
    for folder in package.__path__:
        _forget_changed_modules(package_name, Path(folder))
    found = []
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module_name = f"{package_name}.{info.name}"
        file = Path(info.module_finder.path) / (info.name if info.ispkg else f"{info.name}.py")
        found += _scan_module(module_name, source, file)
    return found


def _scan_folder(package_name: str, folder: Path) -> list[Candidate]:
    found = []
    for info in sorted(pkgutil.iter_modules([str(folder)]), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        file = folder / (info.name if info.ispkg else f"{info.name}.py")
        found += _scan_module(f"{package_name}.{info.name}", SOURCE_DIRECTORY, file)
    return found


def _scan_module(module_name: str, source: str, file: Path) -> list[Candidate]:
    file_path = _display_path(file)
    try:
        module = importlib.import_module(module_name)
    except BaseException as exc:  # noqa: B036 - a plugin calling sys.exit() at import must not end the host
        if isinstance(exc, KeyboardInterrupt):
            raise
        sys.modules.pop(module_name, None)
        error = error_from_import_failure(exc, module_name, file_path)
        logger.warning("Plugin module %s could not be imported: %s", module_name, error)
        names = _declared_plugin_names(file) or [None]
        return [
            Candidate(key=_key(module_name, name), source=source, module=module_name, file_path=file_path, error=error)
            for name in names
        ]
    return list(_plugins_in_module(module, source, file_path))


def _plugins_in_module(module: types.ModuleType, source: str, file_path: str) -> Iterator[Candidate]:
    imported = _imported_names(module)
    for name, value in list(vars(module).items()):
        if isinstance(value, AIProviderPlugin) and not name.startswith("_"):
            yield Candidate(
                key=_key(module.__name__, name),
                source=source,
                module=module.__name__,
                file_path=file_path,
                plugin=value,
                imported=name in imported,
            )


def _scan_entry_points() -> list[Candidate]:
    found = []
    try:
        entry_points = sorted(importlib.metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: ep.name)
    except Exception:
        logger.exception("Could not read the installed packages' entry points")
        return []
    for entry_point in entry_points:
        module_name, _, attribute = entry_point.value.partition(":")
        module_name, attribute = module_name.strip(), attribute.strip()
        try:
            loaded = entry_point.load()
        except Exception as exc:
            error = error_from_import_failure(exc, module_name, entry_point.value)
            logger.warning("Entry point %s = %s could not be loaded: %s", entry_point.name, entry_point.value, error)
            found.append(
                Candidate(
                    key=_key(module_name, attribute or None),
                    source=SOURCE_PACKAGE,
                    module=module_name,
                    file_path=_distribution_label(entry_point),
                    error=error,
                )
            )
            continue
        if isinstance(loaded, types.ModuleType):
            found += _plugins_in_module(loaded, SOURCE_PACKAGE, _display_path(getattr(loaded, "__file__", None)))
        elif isinstance(loaded, AIProviderPlugin) and attribute and "." not in attribute:
            module = sys.modules.get(module_name)
            found.append(
                Candidate(
                    key=_key(module_name, attribute),
                    source=SOURCE_PACKAGE,
                    module=module_name,
                    file_path=_display_path(getattr(module, "__file__", None)),
                    plugin=loaded,
                )
            )
        else:
            logger.warning(
                "Entry point %s = %s is neither an AIProviderPlugin nor a module; ignored",
                entry_point.name,
                entry_point.value,
            )
    return found


def _deduplicate(found: list[Candidate]) -> list[Candidate]:
    """One candidate per plugin object: the defining module's key wins over a module that imported it."""
    by_object: dict[int, int] = {}
    kept: list[Candidate | None] = []
    for candidate in found:
        if candidate.plugin is None:
            kept.append(candidate)
            continue
        index = by_object.get(id(candidate.plugin))
        if index is None:
            by_object[id(candidate.plugin)] = len(kept)
            kept.append(candidate)
        elif kept[index].imported and not candidate.imported:
            logger.debug("Plugin %s is %s imported elsewhere", candidate.key, kept[index].key)
            kept[index] = candidate
    seen_keys: set[str] = set()
    result = []
    for candidate in kept:
        if candidate is not None and candidate.key not in seen_keys:
            seen_keys.add(candidate.key)
            result.append(candidate)
    return result


# --- module bookkeeping -----------------------------------------------------------------------------------


def _forget_changed_modules(package_name: str, folder: Path) -> None:
    """Drop the modules of files changed since the last scan, so the next import reads them as they are now.

    Unchanged modules stay imported: code elsewhere (a cached provider, a test) may hold their classes, and
    replacing a module nobody edited would only split it into two copies. A changed helper (``_name.py``,
    ``__init__.py``) may be used by any module of the folder, so then the whole folder is reloaded.
    """
    current = _fingerprint(folder)
    previous = _fingerprints.get(package_name)
    _fingerprints[package_name] = (str(folder), current)
    if previous is None:
        return
    previous_folder, previous_files = previous
    if previous_folder != str(folder):
        _forget_modules(package_name, whole=True)
        return
    changed = {name for name in current.keys() | previous_files.keys() if current.get(name) != previous_files.get(name)}
    if any(part.startswith("_") for name in changed for part in Path(name).parts):
        _forget_modules(package_name, whole=True)
        return
    for name in changed:
        parts = Path(name).with_suffix("").parts
        _forget_modules(".".join((package_name, *parts)))


def _forget_modules(module_name: str, whole: bool = False) -> None:
    """Remove a module (or, with ``whole``, every submodule of a package) from ``sys.modules``."""
    prefix = module_name + "."
    for name in list(sys.modules):
        if (whole and name.startswith(prefix)) or (not whole and (name == module_name or name.startswith(prefix))):
            del sys.modules[name]
            parent_name, _, child = name.rpartition(".")
            parent = sys.modules.get(parent_name)
            # The parent package keeps the submodule as an attribute; a stale one would outlive the reload.
            if parent is not None and child in vars(parent):
                delattr(parent, child)


def _fingerprint(folder: Path) -> dict[str, str]:
    """Content hashes of a folder's Python files: mtimes are too coarse for an edit made within the same tick."""
    files = {}
    for file in sorted(folder.rglob("*.py")):
        try:
            files[str(file.relative_to(folder))] = hashlib.blake2b(file.read_bytes(), digest_size=16).hexdigest()
        except OSError:
            continue
    return files


def _mount_plugin_dirs(folders: Iterable[str]) -> list[tuple[str, Path]]:
    """Register each configured folder as a package so its modules import by their stable name."""
    root = sys.modules.get(PLUGIN_DIRS_PACKAGE)
    if root is None:
        root = types.ModuleType(PLUGIN_DIRS_PACKAGE, "Folders from AITICKER_PLUGIN_DIRS, mounted by discovery.")
        root.__path__ = []
        sys.modules[PLUGIN_DIRS_PACKAGE] = root
    mounted, taken = [], []
    for entry in folders:
        folder = Path(entry).expanduser()
        if not folder.is_dir():
            logger.warning("Plugin folder %s from AITICKER_PLUGIN_DIRS does not exist; skipped", entry)
            continue
        folder = folder.resolve()
        package_name = module_name_for_directory(folder, taken)
        taken.append(package_name.rpartition(".")[2])
        package = sys.modules.get(package_name)
        if package is None or list(getattr(package, "__path__", ())) != [str(folder)]:
            _forget_modules(package_name, whole=True)
            package = types.ModuleType(package_name, f"Plugin folder {folder}")
            package.__path__ = [str(folder)]
            package.__package__ = package_name
            sys.modules[package_name] = package
        mounted.append((package_name, folder))
    return mounted


def _module_name_for_file(file: Path) -> tuple[str, str]:
    for package_name, source in (("plugins.builtin", SOURCE_BUILTIN), ("plugins.custom", SOURCE_CUSTOM)):
        package = importlib.import_module(package_name)
        if any(file.parent == Path(p).resolve() for p in package.__path__):
            return f"{package_name}.{file.stem}", source
    for package_name, folder in _mount_plugin_dirs(settings.AITICKER_PLUGIN_DIRS):
        if file.parent == folder:
            return f"{package_name}.{file.stem}", SOURCE_DIRECTORY
    package_name = f"aiticker_checked_{hashlib.blake2b(str(file.parent).encode(), digest_size=6).hexdigest()}"
    package = types.ModuleType(package_name, f"Folder of a file given to checkplugin: {file.parent}")
    package.__path__ = [str(file.parent)]
    sys.modules[package_name] = package
    return f"{package_name}.{file.stem}", SOURCE_DIRECTORY


def _imported_names(module: types.ModuleType) -> set[str]:
    """Names a module binds with ``import`` statements at its top level (read from its source, when there is one)."""
    try:
        tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    except Exception:
        return set()
    names: set[str] = set()
    statements = list(tree.body)
    while statements:
        statement = statements.pop()
        if isinstance(statement, ast.Import | ast.ImportFrom):
            names.update((alias.asname or alias.name).split(".")[0] for alias in statement.names)
        elif isinstance(statement, ast.If | ast.Try | ast.With):
            for field in ("body", "orelse", "finalbody", "handlers"):
                statements.extend(getattr(statement, field, []) or [])
        elif isinstance(statement, ast.ExceptHandler):
            statements.extend(statement.body)
    return names


def _declared_plugin_names(file: Path) -> list[str]:
    """Names a broken module assigns ``AIProviderPlugin(...)`` to, read from its text (it may not even parse).

    Reporting the failure under the key the plugin will have once fixed keeps one row per plugin.
    """
    try:
        text = file.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    return list(dict.fromkeys(_PLUGIN_ASSIGNMENT.findall(text)))


def _key(module_name: str, attribute: str | None) -> str:
    # A module that failed before any plugin name could be read is keyed by the module alone.
    return f"{module_name}:{attribute}" if attribute else module_name


def _display_path(file: str | Path | None) -> str:
    if not file:
        return ""
    path = Path(file)
    try:
        return str(path.resolve().relative_to(Path(settings.BASE_DIR).resolve()))
    except ValueError:
        return str(path)


def _distribution_label(entry_point: importlib.metadata.EntryPoint) -> str:
    dist = getattr(entry_point, "dist", None)
    return f"{dist.name} {dist.version}" if dist is not None else entry_point.value

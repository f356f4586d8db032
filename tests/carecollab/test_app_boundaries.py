"""Which app may import which, read from the source with ast (every import, also those
inside functions): ``cases`` imports nothing of ``messaging``; ``notifications``
imports no other app of the project, so any app may notify; the view helpers in
``carecollab/`` that apps share import no app either."""

from __future__ import annotations

import ast
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
# The project's own apps: installed apps whose package is in this repository.
PROJECT_APPS = {
    name.split(".")[0] for name in settings.INSTALLED_APPS if (ROOT / name.split(".")[0]).is_dir()
}
# Modules of the project package that any app may use: they import no app themselves.
SHARED_HELPERS = {"carecollab.forms", "carecollab.posting"}


def imports_in_source(source: str, *, package: str) -> set[str]:
    """Every module imported anywhere in ``source`` (a module of ``package``), absolute."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: inside the module's own package
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module
            found.add(module)
            # `from package import module` imports a module too.
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def imports_of_package(package: str) -> dict[str, set[str]]:
    """file -> modules it imports, for every .py file of a top-level package (migrations
    included: they run in every deployment)."""
    result = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        relative = path.relative_to(ROOT)
        dotted = ".".join(relative.with_suffix("").parts)
        own_package = dotted if path.name == "__init__.py" else dotted.rsplit(".", 1)[0]
        result[str(relative)] = imports_in_source(path.read_text(), package=own_package)
    return result


def top(module: str) -> str:
    return module.split(".")[0]


def test_the_import_reader_finds_imports_inside_functions_and_relative_ones():
    source = (
        "from . import selectors\n"
        "from ..models import Reminder\n"
        "import releases.gate\n"
        "def later():\n"
        "    from messaging.services import notify\n"
    )
    found = imports_in_source(source, package="messaging.reminders")
    assert "messaging.reminders.selectors" in found
    assert "messaging.models" in found
    assert "releases.gate" in found
    assert "messaging.services" in found


def test_the_project_apps_are_known():
    assert {"cases", "releases", "messaging", "notifications", "referrals"} <= PROJECT_APPS


def test_cases_imports_nothing_from_messaging():
    imports = imports_of_package("cases")
    assert any("releases.gate" in found for found in imports.values()), "reader sees imports"
    offending = {
        file: sorted(m for m in found if top(m) == "messaging")
        for file, found in imports.items()
        if any(top(m) == "messaging" for m in found)
    }
    assert not offending, f"cases imports messaging: {offending}"


def test_notifications_imports_no_other_app_of_the_project():
    imports = imports_of_package("notifications")
    assert any("notifications.models" in found for found in imports.values())
    offending = {}
    for file, found in imports.items():
        others = sorted(
            m
            for m in found
            if top(m) in PROJECT_APPS | {"carecollab"}
            and top(m) != "notifications"
            and not any(m == h or m.startswith(f"{h}.") for h in SHARED_HELPERS)
        )
        if others:
            offending[file] = others
    assert not offending, f"notifications imports other apps: {offending}"


def test_the_shared_view_helpers_import_no_app():
    for helper in SHARED_HELPERS:
        path = ROOT / (helper.replace(".", "/") + ".py")
        found = imports_in_source(path.read_text(), package="carecollab")
        project = sorted(m for m in found if top(m) in PROJECT_APPS | {"carecollab"})
        assert not project, f"{helper} imports {project}"

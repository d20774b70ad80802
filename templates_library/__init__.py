"""Installable CRM templates as data (docs/templates.md), with their loader and checks.

Each template is a folder holding ``template.json`` and its parts; :func:`load` reads and
checks one (:func:`load_zip` an exported zip), :func:`available_templates` all of them.
Installing, upgrading and exporting are the platform's job (``formwork.templates``).
"""

from templates_library.loader import (
    LIBRARY_DIR,
    TemplateBundle,
    TemplateError,
    available_templates,
    bundle_from_files,
    find_template,
    load,
    load_zip,
    localized_document,
    upgrade_path,
    version_tuple,
)

__all__ = [
    "LIBRARY_DIR",
    "TemplateBundle",
    "TemplateError",
    "available_templates",
    "bundle_from_files",
    "find_template",
    "load",
    "load_zip",
    "localized_document",
    "upgrade_path",
    "version_tuple",
]

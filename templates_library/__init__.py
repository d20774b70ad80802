"""Installable CRM templates as data, with their loader and validator.

Each template is a folder holding ``template.json``; :func:`available_templates` finds
and validates them. The Customer Asset CRM and the other templates arrive with the
templates issue; until then the catalogue is empty.
"""

from templates_library.loader import TemplateError, TemplateManifest, available_templates, load

__all__ = ["TemplateError", "TemplateManifest", "available_templates", "load"]

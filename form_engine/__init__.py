"""Formwork's form engine: a pure library for form documents (JSON Schema dialect).

It depends on jsonschema and the standard library only; it never imports Flask,
SQLAlchemy or the platform. So far it holds the error root and the versioned-document
upgrade chain every Formwork document uses; fields, validation, conditions and formulas
follow with the forms issue.
"""

from form_engine.documents import DocumentUpgrader, UpgradeStep
from form_engine.errors import DocumentVersionError, FormEngineError

__all__ = ["DocumentUpgrader", "DocumentVersionError", "FormEngineError", "UpgradeStep"]

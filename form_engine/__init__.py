"""Formwork's form engine: a pure library for form documents (JSON Schema dialect).

It depends on jsonschema and the standard library only; it never imports Flask,
SQLAlchemy or the platform. So far it holds the error root and the versioned-document
upgrade chain every Formwork document uses; fields, validation, conditions and formulas
follow with the forms issue.
"""

from form_engine.documents import DocumentUpgrader, UpgradeStep
from form_engine.errors import DocumentVersionError, FormEngineError

__all__ = ["DocumentUpgrader", "DocumentVersionError", "FormEngineError", "UpgradeStep"]

# Field catalogue, form-document dialect and record validation (docs/form-documents.md).
from form_engine.conditions import (  # the condition language (visibility, automations, tiers)
    Condition,
    ConditionError,
    EvalContext,
    evaluate,
    parse_condition,
    referenced_fields,
    to_json,
    uses_event_operators,
)
from form_engine.dialect import (
    FORMAT_VERSION,
    DocumentProblem,
    add_field,
    check_form,
    field_key_for,
    label,
    new_form,
)
from form_engine.fields import FIELD_TYPES, CoercionError, FieldType, field_type
from form_engine.formulas import (  # spreadsheet-style formulas for x-formula fields
    ComputedFormulas,
    Formula,
    FormulaCycleError,
    FormulaError,
    FormulaSyntaxError,
    FormulaValueError,
    compute_formulas,
    formula_order,
    parse_formula,
)
from form_engine.validation import CompiledForm, InvalidFormError, compile_form

__all__ += [
    "FIELD_TYPES",
    "FORMAT_VERSION",
    "CoercionError",
    "CompiledForm",
    "DocumentProblem",
    "FieldType",
    "InvalidFormError",
    "add_field",
    "check_form",
    "compile_form",
    "field_key_for",
    "field_type",
    "label",
    "new_form",
]

__all__ += [
    "ComputedFormulas",
    "Formula",
    "FormulaCycleError",
    "FormulaError",
    "FormulaSyntaxError",
    "FormulaValueError",
    "compute_formulas",
    "formula_order",
    "parse_formula",
]

__all__ += [
    "Condition",
    "ConditionError",
    "EvalContext",
    "evaluate",
    "parse_condition",
    "referenced_fields",
    "to_json",
    "uses_event_operators",
]

# Schema evolution (archive, never drop; plan type changes) and JSON Schema interop.
from form_engine.evolution import (  # noqa: E402
    EvolutionError,
    FormDiff,
    MigrationPlan,
    archive_field,
    change_field_type,
    diff_forms,
    plan_migration,
    relabel_field,
    reorder_fields,
    restore_field,
)
from form_engine.interop import (  # noqa: E402
    ImportResult,
    InteropError,
    export_json_schema,
    import_json_schema,
)

__all__ += [
    "EvolutionError",
    "FormDiff",
    "ImportResult",
    "InteropError",
    "MigrationPlan",
    "archive_field",
    "change_field_type",
    "diff_forms",
    "export_json_schema",
    "import_json_schema",
    "plan_migration",
    "relabel_field",
    "reorder_fields",
    "restore_field",
]

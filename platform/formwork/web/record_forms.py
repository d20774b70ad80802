"""The WTForms adapter: a published form document becomes a FlaskForm class.

WTForms renders the inputs and carries CSRF; it validates nothing else. Reading posted
input for the engine and putting its errors back on these fields is
``formwork.web.record_input``.

Field attributes are ``fw_<key>`` while the HTML name is the field key, so a field
called ``data`` or ``meta`` can never shadow a Form attribute.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import (
    BooleanField,
    Field,
    FieldList,
    FileField,
    Form,
    FormField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.fields.core import UnboundField
from wtforms.widgets import (
    CheckboxInput,
    DateInput,
    DateTimeLocalInput,
    EmailInput,
    FileInput,
    ListWidget,
    TelInput,
    URLInput,
    html_params,
)

from form_engine.dialect import label
from form_engine.fields import FieldType, field_type
from form_engine.fields.choice import option_title
from form_engine.fields.numeric import CURRENCIES
from form_engine.fields.rows import row_fields
from form_engine.fields.structured import ADDRESS_PARTS
from form_engine.messages import normalise_locale
from formwork.services.form_runtime import FormRuntime

ATTR = "fw_"
VERSION_NAME = "_version"  # field keys start with a letter: never a field's name
COMPUTED = frozenset({"formula", "lookup", "rollup", "autonumber"})
_NOT_INPUT = frozenset({"section", "description", "attachment", *COMPUTED})


# -- what the page needs to know about each field ---------------------------------------


@dataclass(frozen=True)
class FieldSpec:
    """One field of the document as the page shows it (labels already in one locale)."""

    key: str
    type: str
    label: str
    help: str
    schema: Mapping[str, Any]
    required: bool = False
    required_if: bool = False
    visible_if: bool = False
    columns: tuple[FieldSpec, ...] = ()  # a subform's nested fields

    @property
    def attr(self) -> str:
        return ATTR + self.key

    @property
    def kind(self) -> FieldType:
        return field_type(self.type)

    @property
    def takes_input(self) -> bool:
        return self.type not in _NOT_INPUT and not self.schema.get("readOnly")

    @property
    def multiple(self) -> bool:
        return self.type == "multiselect" or (
            self.type == "link" and bool(self.schema.get("x-multiple"))
        )

    @property
    def currency(self) -> str:
        code = str(self.schema.get("x-currency", "CNY"))
        return CURRENCIES.get(code, (code, 2))[0]

    @property
    def link_form(self) -> str:
        link = self.schema.get("x-link")
        return str(link.get("form", "")) if isinstance(link, Mapping) else ""


def describe(schema: Mapping[str, Any], locale: str | None) -> str:
    """Help text in ``locale``: ``x-descriptions`` → ``description`` → ""."""
    texts = schema.get("x-descriptions")
    wanted = normalise_locale(locale)
    if isinstance(texts, Mapping) and isinstance(texts.get(wanted), str) and texts[wanted]:
        return str(texts[wanted])
    text = schema.get("description")
    return text if isinstance(text, str) else ""


def field_specs(document: Mapping[str, Any], locale: str) -> tuple[FieldSpec, ...]:
    """The fields of a (compiled) document in display order."""
    properties = document.get("properties") or {}
    order = [key for key in document.get("x-order") or () if key in properties]
    order += [key for key in properties if key not in order]
    required = set(document.get("required") or ())
    return tuple(_spec(key, properties[key], locale, key in required) for key in order)


def _items(schema: Mapping[str, Any]) -> dict[str, Any]:
    items = schema.get("items")
    return dict(items) if isinstance(items, Mapping) else {}


def _spec(key: str, schema: Mapping[str, Any], locale: str, required: bool) -> FieldSpec:
    kind = str(schema.get("x-field"))
    columns: tuple[FieldSpec, ...] = ()
    if kind == "subform":
        columns = field_specs({**_items(schema), "properties": row_fields(schema)}, locale)
    return FieldSpec(
        key=key,
        type=kind,
        label=label(schema, locale, key),
        help=describe(schema, locale),
        schema=schema,
        required=required and kind not in ("section", "description"),
        required_if="x-required-if" in schema,
        visible_if="x-visible-if" in schema,
        columns=columns,
    )


# -- choices that come from the database ------------------------------------------------


@dataclass(frozen=True)
class LinkChoices:
    """Records a link field may point at: ``(id, label)`` newest first."""

    options: list[tuple[int, str]]
    truncated: bool = False  # more records exist than are offered
    available: bool = True  # False: the linked form is missing or not published


class ChoicesProvider(Protocol):
    """Where member and link choices come from (the view passes one per request)."""

    def members(self) -> list[tuple[int, str]]: ...

    def records(self, form_key: str, include: Iterable[int] = ()) -> LinkChoices: ...


# -- WTForms fields that show rather than take input ------------------------------------


class ComputedField(Field):
    """A formula, lookup, rollup or auto-number: its stored value, never read from input
    (the engine ignores input for computed fields too)."""

    def __init__(self, label: Any = None, *, spec: FieldSpec, locale: str, **kwargs: Any) -> None:
        super().__init__(label, **kwargs)
        self.spec = spec
        self.locale = locale

    def process_formdata(self, valuelist: list[Any]) -> None:
        return None

    def display(self) -> str:
        if self.data is None:
            return ""
        return self.spec.kind.format(self.data, self.locale, self.spec.schema)

    def __call__(self, **kwargs: Any) -> Markup:
        kwargs.setdefault("id", self.id)
        if "class_" not in kwargs:
            kwargs.setdefault("class", "form-control-plaintext")
        return Markup("<output {}>{}</output>").format(
            Markup(html_params(**kwargs)),  # noqa: S704 - html_params escapes every value
            self.display(),
        )


class AttachmentField(FileField):
    """A multiple file input; ``data`` stays the stored list of ``{id, name, size,
    content_type}`` (the view reads the uploads and the remove boxes itself)."""

    widget = FileInput(multiple=True)

    def process_formdata(self, valuelist: list[Any]) -> None:
        return None

    @property
    def files(self) -> list[Mapping[str, Any]]:
        """The stored files, for the list with remove boxes."""
        data = self.data if isinstance(self.data, list) else []
        return [item for item in data if isinstance(item, Mapping)]


class AddressForm(Form):
    """The four parts of an address; posted as ``<key>-province`` and so on."""

    province = StringField(_l("Province"))
    city = StringField(_l("City"))
    district = StringField(_l("District"))
    detail = StringField(_l("Street and number"))


# -- the form class ---------------------------------------------------------------------


class _SpecForm:
    """Lookups shared by the record form and its subform row forms."""

    specs: ClassVar[tuple[FieldSpec, ...]] = ()
    _fields: Mapping[str, Field]

    def field_of(self, spec: FieldSpec) -> Any:
        return self._fields.get(spec.attr)


class RowForm(_SpecForm, Form):
    """One subform row (no CSRF of its own: the record form carries it)."""


class RecordForm(_SpecForm, FlaskForm):
    """Base of every generated record form; ``form_class_for`` builds the subclasses."""

    version_field = HiddenField(name=VERSION_NAME)
    runtime: ClassVar[FormRuntime]
    locale: ClassVar[str] = "en"
    choices_provider: ClassVar[ChoicesProvider | None] = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.problems: dict[str, list[str]] = {}
        self.link_notes: dict[str, LinkChoices] = {}
        self._members: list[tuple[str, str]] | None = None
        for spec in self.specs:
            self._fill_choices(spec, self.field_of(spec))
            if spec.type == "subform":
                for entry in self.field_of(spec).entries:
                    self._fill_row(spec, entry.form)

    def row_template(self, spec: FieldSpec) -> RowForm:
        """An empty row named ``<key>-__index__-…`` for the page's "add row" button."""
        row_class = self.field_of(spec).unbound_field.args[0]
        row: RowForm = row_class(formdata=None, prefix=f"{spec.key}-__index__-")
        self._fill_row(spec, row)
        return row

    def errors_for(self, name: str) -> list[str]:
        """Messages for the input (or group of inputs) with this HTML name."""
        return self.problems.get(name, [])

    def _fill_row(self, spec: FieldSpec, row: RowForm) -> None:
        for column in spec.columns:
            self._fill_choices(column, row.field_of(column))

    def _fill_choices(self, spec: FieldSpec, bound: Any) -> None:
        provider = self.choices_provider
        if bound is None or provider is None or spec.type not in ("member", "link"):
            return
        if spec.type == "member":
            if self._members is None:
                self._members = [(str(uid), name) for uid, name in provider.members()]
            choices = list(self._members)
            known = {value for value, _text in choices}
            choices += [(v, f"#{v}") for v in _as_strings(bound.data) if v not in known]
        else:
            wanted = [int(value) for value in _as_strings(bound.data) if value.isdigit()]
            found = provider.records(spec.link_form, wanted)
            self.link_notes.setdefault(spec.key, found)
            choices = [(str(rid), text) for rid, text in found.options]
            # A stored link to a record that is gone stays chosen, so saving reports it
            # ("does not exist") instead of silently dropping it.
            offered = {rid for rid, _text in found.options}
            choices += [(str(rid), f"#{rid}") for rid in wanted if rid not in offered]
        options = [SelectChoice(value, text) for value, text in choices]
        bound.choices = options if spec.multiple else [_EMPTY, *options]


def _as_strings(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    values = value if isinstance(value, list | tuple) else [value]
    return [str(v) for v in values if v not in (None, "")]


_classes: dict[tuple[int, int, str], type[RecordForm]] = {}
_classes_lock = threading.Lock()


def form_class_for(
    runtime: FormRuntime, locale: str | None, choices_provider: ChoicesProvider | None
) -> type[RecordForm]:
    """The FlaskForm class of a published form version in ``locale``.

    The fields are built once per (form, version, locale) and cached — published
    documents never change. ``choices_provider`` fills member and link choices each
    time a form is made (they change with the data).
    """
    wanted = normalise_locale(locale)
    cache_key = (runtime.form_id, runtime.version, wanted)
    base = _classes.get(cache_key)
    if base is None:
        base = _build(runtime, wanted)
        with _classes_lock:
            base = _classes.setdefault(cache_key, base)
    return type(base.__name__, (base,), {"choices_provider": choices_provider})


def _build(runtime: FormRuntime, locale: str) -> type[RecordForm]:
    specs = field_specs(runtime.compiled.document, locale)
    attrs: dict[str, Any] = {"specs": specs, "runtime": runtime, "locale": locale}
    for spec in specs:
        unbound = _unbound(spec, locale)
        if unbound is not None:
            attrs[spec.attr] = unbound
    return type(f"RecordForm{runtime.form_id}v{runtime.version}", (RecordForm,), attrs)


def _row_class(spec: FieldSpec, locale: str) -> type[RowForm]:
    attrs: dict[str, Any] = {"specs": spec.columns}
    for column in spec.columns:
        unbound = _unbound(column, locale)
        if unbound is not None:
            attrs[column.attr] = unbound
    return type(f"Row_{spec.key}", (RowForm,), attrs)


_EMPTY = SelectChoice("", "—")


def _options(values: Any, schema: Mapping[str, Any], locale: str) -> list[SelectChoice]:
    return [SelectChoice(v, option_title(schema, v, locale)) for v in values or ()]


def _unbound(spec: FieldSpec, locale: str) -> UnboundField | None:
    """The WTForms field of one field type (None for layout items)."""
    common: dict[str, Any] = {"label": spec.label, "description": spec.help, "name": spec.key}
    kind, schema = spec.type, spec.schema
    if kind in ("section", "description"):
        return None
    if kind in COMPUTED:
        return ComputedField(spec=spec, locale=locale, **common)
    if kind == "attachment":
        return AttachmentField(**common)
    if kind == "textarea":
        return TextAreaField(render_kw={"rows": 4}, **common)
    if kind in ("number", "money", "percent"):
        return StringField(render_kw={"inputmode": "decimal", "autocomplete": "off"}, **common)
    widgets = {
        "email": EmailInput(),
        "phone": TelInput(),
        "url": URLInput(),
        "date": DateInput(),
        "datetime": DateTimeLocalInput(),
    }
    if kind in widgets:
        return StringField(widget=widgets[kind], **common)
    if kind == "select":
        options = _options(schema.get("enum"), schema, locale)
        return SelectField(choices=[_EMPTY, *options], validate_choice=False, **common)
    if kind == "multiselect":
        options = _options(_items(schema).get("enum"), schema, locale)
        return SelectMultipleField(
            choices=options,
            validate_choice=False,
            widget=ListWidget(prefix_label=False),
            option_widget=CheckboxInput(),
            **common,
        )
    if kind == "checkbox":
        return BooleanField(**common)
    if kind in ("rating", "nps"):
        low, high = (1, int(schema.get("maximum", 5))) if kind == "rating" else (0, 10)
        choices = [SelectChoice(str(i)) for i in range(low, high + 1)]
        return RadioField(choices=choices, validate_choice=False, **common)
    if kind in ("member", "link"):
        if spec.multiple:
            return SelectMultipleField(
                choices=[], validate_choice=False, render_kw={"size": 6}, **common
            )
        return SelectField(choices=[_EMPTY], validate_choice=False, **common)
    if kind == "address":
        return FormField(AddressForm, **common)
    if kind == "subform":
        return FieldList(FormField(_row_class(spec, locale)), min_entries=1, **common)
    return StringField(**common)  # text, tags (comma-separated) and anything new


# -- stored values → what the inputs show -----------------------------------------------


def input_data(specs: Iterable[FieldSpec], data: Mapping[str, Any]) -> dict[str, Any]:
    """Stored record data (or defaults) as WTForms ``data=`` keyed by attribute."""
    result: dict[str, Any] = {}
    for spec in specs:
        value = data.get(spec.key)
        if value is None or spec.type in ("section", "description"):
            continue
        result[spec.attr] = _input_value(spec, value)
    return result


def _input_value(spec: FieldSpec, value: Any) -> Any:
    kind = spec.type
    if kind in COMPUTED or kind in ("checkbox", "attachment"):
        return value
    if kind in ("multiselect", "link", "member"):
        if isinstance(value, list):
            return [str(v) for v in value]
        return [str(value)] if spec.multiple else str(value)
    if kind == "tags":
        return ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)
    if kind == "datetime" and isinstance(value, str) and value.endswith("Z"):
        return value[:-4] if value.endswith(":00Z") else value[:-1]
    if kind == "address":
        parts = value if isinstance(value, Mapping) else {}
        return {part: parts.get(part) for part in ADDRESS_PARTS}
    if kind == "subform":
        rows = value if isinstance(value, list) else []
        return [input_data(spec.columns, row) for row in rows if isinstance(row, Mapping)]
    if isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)

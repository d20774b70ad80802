"""The state of a records list, read from its query string, and the URLs that change it.

``q`` (search), ``filter`` (a condition as JSON), ``sort`` (``name,-total``: a minus sorts
descending), ``cols`` (column keys), ``size`` (page size), ``page``, ``bin=1`` (deleted
records) and ``view`` (a saved view id). With a view, a missing key means "as the view
says" and an empty one means "none", so a view's own URL is just ``?view=7``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from flask import current_app, url_for
from flask_babel import gettext as _

from formwork.models import SavedView
from formwork.services.record_query import PAGE_SIZES, Sort

FILTER_PARAM_MAX = 20_000
PAGE_MAX = 100_000
STATE_KEYS = ("q", "filter", "sort", "cols", "size")


@dataclass(frozen=True)
class ListState:
    """What the list shows, as read from a query string (or a posted form)."""

    search: str = ""
    filter_text: str = ""  # canonical JSON, or what was sent when it is not JSON
    condition: Any = None
    filter_error: str | None = None
    sorts: tuple[Sort, ...] = ()
    columns: tuple[str, ...] = ()  # empty: the form's first fields
    page_size: int = PAGE_SIZES[0]
    page: int = 1
    deleted: bool = False
    view: SavedView | None = field(default=None, compare=False)

    def values(self) -> dict[str, str]:
        """The five view-able parts as query-string values."""
        return {
            "q": self.search,
            "filter": self.filter_text,
            "sort": sort_text(self.sorts),
            "cols": ",".join(self.columns),
            "size": str(self.page_size),
        }


def sort_text(sorts: tuple[Sort, ...]) -> str:
    return ",".join(("-" if s.descending else "") + s.key for s in sorts)


def parse_sorts(text: str) -> tuple[Sort, ...]:
    sorts: list[Sort] = []
    for part in text.split(",")[:5]:
        part = part.strip()
        key = part.lstrip("-")
        if key and all(s.key != key for s in sorts):
            sorts.append(Sort(key=key, descending=part.startswith("-")))
    return tuple(sorts)


def canonical(tree: Any) -> str:
    return "" if tree is None else json.dumps(tree, ensure_ascii=False, separators=(",", ":"))


def state_of_view(view: SavedView | None) -> ListState:
    if view is None:
        return ListState()
    definition = view.definition or {}
    return ListState(
        search=str(definition.get("search") or ""),
        filter_text=canonical(definition.get("filter")),
        condition=definition.get("filter"),
        sorts=tuple(
            Sort(str(s.get("key", "")), bool(s.get("descending")))
            for s in definition.get("sorts") or []
            if isinstance(s, Mapping)
        ),
        columns=tuple(str(c) for c in definition.get("columns") or []),
        page_size=definition.get("page_size")
        if definition.get("page_size") in PAGE_SIZES
        else PAGE_SIZES[0],
        view=view,
    )


def read_state(args: Any, base: ListState) -> ListState:
    """The list state of ``args`` (a MultiDict) on top of ``base`` (a view or defaults)."""
    state = base
    if "q" in args:
        state = replace(state, search=" ".join(args.get("q", "").split())[:200])
    if "filter" in args:
        state = replace(state, **_filter(args.get("filter", "")))
    if "sort_field" in args:  # the sort dialog: pairs of field and direction
        pairs = zip(args.getlist("sort_field"), args.getlist("sort_dir"), strict=False)
        state = replace(
            state,
            sorts=parse_sorts(
                ",".join(
                    ("-" if direction == "desc" else "") + key for key, direction in pairs if key
                )
            ),
        )
    elif "sort" in args:
        state = replace(state, sorts=parse_sorts(args.get("sort", "")))
    if "col" in args or "cols_form" in args:  # the column chooser
        state = replace(state, columns=tuple(dict.fromkeys(args.getlist("col"))))
    elif "cols" in args:
        state = replace(
            state,
            columns=tuple(
                dict.fromkeys(c.strip() for c in args.get("cols", "").split(",") if c.strip())
            ),
        )
    if "size" in args:
        size = int_arg(args.get("size"), base.page_size)
        state = replace(state, page_size=size if size in PAGE_SIZES else PAGE_SIZES[0])
    return replace(
        state,
        page=min(max(1, int_arg(args.get("page"), 1)), PAGE_MAX),
        deleted=args.get("bin") == "1",
    )


def _filter(text: str) -> dict[str, Any]:
    text = text.strip()
    if not text:
        return {"filter_text": "", "condition": None, "filter_error": None}
    if len(text) > FILTER_PARAM_MAX:
        return {
            "filter_text": text[:FILTER_PARAM_MAX],
            "condition": None,
            "filter_error": _("This filter is too long."),
        }
    try:
        tree = json.loads(text)
    except (ValueError, RecursionError):
        return {
            "filter_text": text,
            "condition": None,
            "filter_error": _("This filter is not valid: it must be a condition written as JSON."),
        }
    return {"filter_text": canonical(tree), "condition": tree, "filter_error": None}


def int_arg(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


class FormArgs(dict[str, str]):
    """A posted form read like query arguments (single values only)."""

    def getlist(self, key: str) -> list[str]:
        return [self[key]] if key in self else []


class Links:
    """URLs of this list and of the records blueprint (built by pattern until it exists)."""

    def __init__(self, workspace_id: int, form_id: int, state: ListState) -> None:
        self.workspace_id, self.form_id, self.state = workspace_id, form_id, state
        self.base = state_of_view(state.view)

    def params(self, state: ListState | None = None, **extra: Any) -> dict[str, str]:
        """Query parameters reproducing ``state``: only what differs from the view."""
        state = state or self.state
        mine, theirs = state.values(), self.base.values()
        params = {k: v for k, v in mine.items() if v != theirs[k]}
        if state.view is not None:
            params["view"] = str(state.view.id)
        if state.deleted:
            params["bin"] = "1"
        params.update({k: str(v) for k, v in extra.items() if v is not None})
        return params

    def list(self, state: ListState | None = None, **extra: Any) -> str:
        return url_for(
            "lists.index",
            workspace_id=self.workspace_id,
            form_id=self.form_id,
            **self.params(state, **extra),
        )

    def changed(self, **changes: Any) -> str:
        """This list with some of its state changed (page back to 1)."""
        return self.list(replace(self.state, page=1, **changes))

    def hidden(self, *exclude: str) -> dict[str, str]:
        """The state as hidden inputs for GET forms that change the parts in ``exclude``."""
        return {k: v for k, v in self.params().items() if k not in exclude}

    def sort(self, key: str, *, add: bool) -> str:
        """Click: this column alone, asc → desc → off. Shift-click: add/cycle it in place."""
        sorts = list(self.state.sorts)
        index = next((i for i, s in enumerate(sorts) if s.key == key), None)
        if not add:
            if index is None or (len(sorts) > 1 and index > 0):
                sorts = [Sort(key)]
            elif not sorts[index].descending:
                sorts = [Sort(key, True)]
            else:
                sorts = []
        elif index is None:
            sorts.append(Sort(key))
        elif not sorts[index].descending:
            sorts[index] = Sort(key, True)
        else:
            del sorts[index]
        return self.list(replace(self.state, sorts=tuple(sorts[:5])))

    def record(self, endpoint: str, suffix: str, **values: Any) -> str:
        if endpoint in current_app.view_functions:
            return url_for(endpoint, workspace_id=self.workspace_id, form_id=self.form_id, **values)
        return f"/w/{self.workspace_id}/forms/{self.form_id}/records/{suffix}"

    def show(self, record_id: int) -> str:
        return self.record("records.show", f"{record_id}/", record_id=record_id)

    def restore(self, record_id: int) -> str:
        return self.record("records.restore", f"{record_id}/restore", record_id=record_id)

    def new(self) -> str:
        return self.record("records.new", "new")

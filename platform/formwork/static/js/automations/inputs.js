// Form controls of the automation builder, each bound to a spot of the document.
//
// Every control sits in a wrapper carrying data-pointer (the JSON pointer of what it edits)
// so that the server's problems appear next to the right control. User text only ever goes
// through textContent or input values — never innerHTML.
"use strict";

import { h, uid } from "../builder/dom.js";

/** Read obj[path…]; undefined when a step is missing. */
export function getPath(obj, path) {
  let node = obj;
  for (const key of path) {
    if (node === null || typeof node !== "object") return undefined;
    node = node[key];
  }
  return node;
}

/** Set obj[path…] = value, creating objects on the way; undefined deletes the key (and
 * empties parents left behind). */
export function setPath(obj, path, value) {
  const parents = [];
  let node = obj;
  for (const key of path.slice(0, -1)) {
    if (node[key] === null || typeof node[key] !== "object") {
      if (value === undefined) return;
      node[key] = {};
    }
    parents.push([node, key]);
    node = node[key];
  }
  const last = path[path.length - 1];
  if (value === undefined) {
    delete node[last];
    for (let i = parents.length - 1; i >= 0; i -= 1) {
      const [parent, key] = parents[i];
      if (Object.keys(parent[key]).length) break;
      delete parent[key];
    }
  } else {
    node[last] = value;
  }
}

/** A labelled wrapper: <div class="mb-2" data-pointer> <label> control help </div>. */
export function row(labelText, control, { pointer = null, help = null, className = "mb-2" } = {}) {
  if (!control.id) control.id = uid("fw-auto");
  const wrapper = h("div", { class: className, dataset: pointer !== null ? { pointer } : undefined });
  wrapper.append(h("label", { class: "form-label small mb-1", for: control.id, text: labelText }), control);
  if (help) {
    const helpId = uid("fw-help");
    control.setAttribute("aria-describedby", helpId);
    wrapper.append(h("div", { id: helpId, class: "form-text", text: help }));
  }
  return wrapper;
}

/** A text input bound to obj[path]; empty text removes the key unless keepEmpty. */
export function textInput(obj, path, onChange, { type = "text", placeholder = "", keepEmpty = false, multiline = false, maxlength = null } = {}) {
  const value = getPath(obj, path);
  const control = multiline
    ? h("textarea", { class: "form-control form-control-sm", rows: 3, placeholder, maxlength })
    : h("input", { type, class: "form-control form-control-sm", placeholder, maxlength, autocomplete: "off" });
  control.value = value === undefined || value === null ? "" : String(value);
  control.addEventListener("input", () => {
    const text = control.value;
    setPath(obj, path, text === "" && !keepEmpty ? undefined : text);
    onChange();
  });
  return control;
}

/** A number input bound to obj[path] (whole numbers unless step is given). */
export function numberInput(obj, path, onChange, { min = null, max = null, step = 1, sign = 1 } = {}) {
  const value = getPath(obj, path);
  const control = h("input", { type: "number", class: "form-control form-control-sm fw-auto-number", min, max, step, inputmode: "numeric" });
  control.value = typeof value === "number" ? String(Math.abs(value)) : "";
  control.addEventListener("input", () => {
    const text = control.value.trim();
    const number = Number(text);
    setPath(obj, path, text === "" || !Number.isFinite(number) ? undefined : sign * number);
    onChange();
  });
  return control;
}

/** A <select> of [value, text, {disabled}] choices bound to obj[path]; "" removes the key. */
export function selectInput(obj, path, choices, onChange, { placeholder = null, parse = (v) => v } = {}) {
  const current = getPath(obj, path);
  const control = h("select", { class: "form-select form-select-sm" });
  if (placeholder !== null) control.append(h("option", { value: "", text: placeholder }));
  for (const [value, text, extra] of choices) {
    control.append(h("option", { value: String(value), text, disabled: Boolean(extra && extra.disabled) }));
  }
  control.value = current === undefined || current === null ? "" : String(current);
  control.addEventListener("change", () => {
    setPath(obj, path, control.value === "" ? undefined : parse(control.value));
    onChange(control.value);
  });
  return control;
}

/** A checkbox bound to obj[path] (false removes the key unless keepFalse). */
export function checkInput(obj, path, labelText, onChange, { keepFalse = false, pointer = null } = {}) {
  const control = h("input", { type: "checkbox", class: "form-check-input", id: uid("fw-check") });
  control.checked = getPath(obj, path) === true;
  control.addEventListener("change", () => {
    setPath(obj, path, control.checked ? true : keepFalse ? false : undefined);
    onChange();
  });
  return h(
    "div",
    { class: "form-check mb-2", dataset: pointer !== null ? { pointer } : undefined },
    control,
    h("label", { class: "form-check-label small", for: control.id, text: labelText }),
  );
}

/** A time input (HH:MM) bound to obj[path]. */
export function timeInput(obj, path, onChange) {
  const control = h("input", { type: "time", class: "form-control form-control-sm fw-auto-time", step: 60 });
  const value = getPath(obj, path);
  control.value = typeof value === "string" ? value : "";
  control.addEventListener("input", () => {
    setPath(obj, path, control.value ? control.value.slice(0, 5) : undefined);
    onChange();
  });
  return control;
}

/**
 * A labelled template input: text with {{ … }} placeholders and an "Insert field" picker
 * listing the paths of the run's context (ctx.placeholders() gives [[path, text], …]).
 */
export function templateRow(labelText, obj, path, ctx, { pointer = null, help = null, multiline = false, placeholder = "" } = {}) {
  const S = ctx.S;
  const input = textInput(obj, path, ctx.changed, { multiline, placeholder });
  input.classList.add("fw-template-input");
  const wrapper = row(labelText, input, { pointer, help });
  const picker = h("select", { class: "form-select form-select-sm fw-insert-picker", "aria-label": `${S.insert_field}: ${labelText}` });
  picker.append(h("option", { value: "", text: S.insert_field }));
  for (const [value, text] of ctx.placeholders()) picker.append(h("option", { value, text }));
  picker.addEventListener("change", () => {
    if (!picker.value) return;
    const token = `{{ ${picker.value} }}`;
    const start = input.selectionStart ?? input.value.length;
    const end = input.selectionEnd ?? input.value.length;
    input.setRangeText(token, start, end, "end");
    input.dispatchEvent(new Event("input", { bubbles: true }));
    picker.value = "";
    input.focus();
  });
  const group = h("div", { class: "fw-template" });
  input.replaceWith(group);
  group.append(input, picker);
  return wrapper;
}

/** The workspace roles a person or an owner pool may name, each meaning "this role or a
 * higher one" (owner > admin > member); read-only members can never be chosen. */
export const ROLES = ["owner", "admin", "member"];

/** [[role, text], …] for a role <select>; a stored role that is not one of ROLES (e.g. an
 * old "viewer") stays listed so the document is shown exactly as it is. */
export function roleChoices(S, current) {
  const choices = ROLES.map((role) => [role, S[`role_${role}`] || role]);
  if (typeof current === "string" && current && !ROLES.includes(current)) choices.push([current, current]);
  return choices;
}

/**
 * A person picker: the record's owner, who made the change, a member, a member field, or
 * everyone with a role. ctx.personKinds() says which kinds the trigger allows; a stored
 * kind it does not allow stays listed (the server names the problem). ``roleHelp`` says
 * what a role means here (everyone notified, or one person for a task).
 */
export function personPicker(action, key, ctx, labelText, pointer, { roleHelp = null } = {}) {
  const S = ctx.S;
  if (!action[key] || typeof action[key] !== "object") action[key] = { kind: "owner" };
  const person = action[key];
  const wrapper = h("div", { class: "mb-2 fw-person", dataset: { pointer } });
  const allowed = ctx.personKinds();
  const shown = typeof person.kind === "string" && person.kind && !allowed.includes(person.kind)
    ? [...allowed, person.kind]
    : allowed;
  const kindChoices = shown.map((kind) => [kind, S[`person_${kind}`] || kind]);
  const kinds = selectInput(person, ["kind"], kindChoices, (value) => {
    for (const extra of ["id", "field", "role"]) delete person[extra];
    if (value === "user" && ctx.data.members.length) person.id = ctx.data.members[0].id;
    if (value === "field") {
      const first = ctx.memberFields()[0];
      if (first) person.field = first.key;
    }
    if (value === "role") person.role = "admin";
    ctx.changed();
    renderDetail();
  });
  kinds.id = uid("fw-person");
  kinds.dataset.role = "person-kind";
  wrapper.append(h("label", { class: "form-label small mb-1", for: kinds.id, text: labelText }));
  const line = h("div", { class: "d-flex flex-wrap gap-2" }, kinds);
  const detail = h("div", { class: "fw-person-detail" });
  line.append(detail);
  const help = h("div", { class: "form-text", id: uid("fw-help"), hidden: true });
  wrapper.append(line, help);

  function renderDetail() {
    detail.replaceChildren();
    help.hidden = true;
    help.textContent = "";
    kinds.removeAttribute("aria-describedby");
    if (person.kind === "user") {
      const members = ctx.data.members.map((m) => [m.id, m.name]);
      const select = selectInput(person, ["id"], members, ctx.changed, { placeholder: S.choose_member, parse: Number });
      select.setAttribute("aria-label", S.person_user);
      select.dataset.pointer = `${pointer}/id`;
      detail.append(select);
    } else if (person.kind === "field") {
      const fields = ctx.memberFields().map((f) => [f.key, f.title]);
      const select = selectInput(person, ["field"], fields, ctx.changed, { placeholder: fields.length ? S.choose_field : S.no_member_fields });
      select.setAttribute("aria-label", S.person_field);
      select.dataset.pointer = `${pointer}/field`;
      detail.append(select);
    } else if (person.kind === "role") {
      const select = selectInput(person, ["role"], roleChoices(S, person.role), ctx.changed, {
        placeholder: person.role === undefined ? S.choose_role : null,
      });
      select.setAttribute("aria-label", S.person_role_which);
      select.dataset.pointer = `${pointer}/role`;
      select.dataset.role = "person-role";
      detail.append(select);
      if (roleHelp) {
        help.textContent = roleHelp;
        help.hidden = false;
        kinds.setAttribute("aria-describedby", help.id);
        select.setAttribute("aria-describedby", help.id);
      }
    }
  }
  renderDetail();
  return wrapper;
}

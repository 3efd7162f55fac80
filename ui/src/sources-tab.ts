import { confirmButton } from "./confirm";
import { button, cell, el, Listeners, setStatus } from "./dom";
import { callWith, type InvokeFn } from "./ipc";
import {
  addSourceArgs,
  importSourceArgs,
  keyCells,
  missingSourceField,
  type RotateView,
  type Source,
  type SourceFields,
} from "./sources";

export interface SourcesTab {
  /** List the sources and the importable profiles. */
  load: () => Promise<void>;
  /** Submit the "Add source" form (same as pressing Enter in it). */
  add: () => Promise<void>;
  /** Submit the import form. */
  importProfile: () => Promise<void>;
  dispose: () => void;
}

export interface SourcesTabOptions {
  /** How long "Really remove?" waits for the second click, ms. */
  confirmMs?: number;
}

/**
 * The Sources tab: long-term keys kept in the OS keychain. The secret access key is read
 * from its field once, the field is emptied at once, and the only copy goes to Rust.
 */
export function initSourcesTab(doc: Document, invoke: InvokeFn, opts: SourcesTabOptions = {}): SourcesTab {
  const page = "sources tab";
  const win = doc.defaultView ?? window;
  const table = el<HTMLTableElement>(doc, "sources", page);
  const tbody = el<HTMLTableSectionElement>(doc, "sources-body", page);
  const empty = el<HTMLElement>(doc, "sources-empty", page);
  const status = el<HTMLElement>(doc, "sources-status", page);
  const where = el<HTMLElement>(doc, "sources-where", page);

  const addForm = el<HTMLFormElement>(doc, "add-source", page);
  const nameField = el<HTMLInputElement>(doc, "source-name", page);
  const keyIdField = el<HTMLInputElement>(doc, "source-key-id", page);
  const secretField = el<HTMLInputElement>(doc, "source-secret", page);
  const mfaField = el<HTMLInputElement>(doc, "source-mfa", page);
  const regionField = el<HTMLInputElement>(doc, "source-region", page);
  const addBtn = el<HTMLButtonElement>(doc, "add-submit", page);
  const addStatus = el<HTMLElement>(doc, "add-status", page);

  const importForm = el<HTMLFormElement>(doc, "import-source", page);
  const importSelect = el<HTMLSelectElement>(doc, "import-profile", page);
  const importAs = el<HTMLInputElement>(doc, "import-as", page);
  const importBtn = el<HTMLButtonElement>(doc, "import-submit", page);
  const importStatus = el<HTMLElement>(doc, "import-status", page);

  const listeners = new Listeners();
  let rowCleanups: Array<() => void> = [];

  function clearSecret(): void {
    secretField.value = "";
    secretField.removeAttribute("value");
  }

  function render(list: Source[]): void {
    for (const c of rowCleanups.splice(0)) c();
    tbody.replaceChildren();
    table.hidden = list.length === 0;
    empty.hidden = list.length !== 0;
    where.hidden = list.length === 0;
    for (const s of list) {
      const tr = doc.createElement("tr");
      tr.dataset.name = s.name;
      cell(doc, tr, s.name, "name");
      const mfa = cell(doc, tr, s.mfa_serial ?? "—", s.mfa_serial ? "arn" : "none");
      if (s.mfa_serial) mfa.title = s.mfa_serial;
      cell(doc, tr, s.region ?? "—", s.region ? "" : "none");
      const [keyId, age, used] = keyCells(s.key);
      cell(doc, tr, keyId, s.key ? "key" : "none");
      const ageCell = cell(doc, tr, age, s.key?.due ? "due" : s.key ? "" : "none");
      if (s.key?.checked) ageCell.title = `IAM asked ${s.key.checked}`;
      cell(doc, tr, used, s.key?.last_used ? "" : "none");
      const actions = cell(doc, tr, "", "actions");
      const check = button(doc, "Check", `Ask IAM about the key of ${s.name}`, "small");
      const onCheck = (): void => void checkKey(s.name, check);
      check.addEventListener("click", onCheck);
      rowCleanups.push(() => check.removeEventListener("click", onCheck));
      actions.appendChild(check);
      const rotate = button(doc, "Rotate", `Rotate the key of ${s.name}`, "small");
      rotate.dataset.name = s.name;
      rowCleanups.push(
        confirmButton(rotate, win, () => void rotateKey(s.name, rotate, null), {
          ms: opts.confirmMs ?? 5000,
          confirmLabel: "Really rotate?",
          confirmAriaLabel: `Really rotate the key of ${s.name}? The old key is deleted.`,
        }),
      );
      actions.appendChild(rotate);
      const remove = button(doc, "Remove", `Remove source ${s.name}`, "small");
      remove.dataset.name = s.name;
      rowCleanups.push(
        confirmButton(remove, win, () => void removeSource(s.name, remove), {
          ms: opts.confirmMs ?? 5000,
          confirmAriaLabel: `Really remove source ${s.name}?`,
        }),
      );
      actions.appendChild(remove);
      tbody.appendChild(tr);
    }
  }

  async function loadSources(): Promise<void> {
    const res = await callWith<Source[]>(invoke, "list_sources");
    if (res.ok) {
      render(Array.isArray(res.value) ? res.value : []);
      if (status.dataset.tone === "error" && status.dataset.from === "list") setStatus(status, "");
    } else {
      status.dataset.from = "list";
      setStatus(status, `Could not list sources: ${res.error.message}`, "error");
    }
  }

  async function loadImportable(): Promise<void> {
    const res = await callWith<string[]>(invoke, "importable_profiles");
    const previous = importSelect.value;
    importSelect.replaceChildren();
    const names = res.ok && Array.isArray(res.value) ? res.value : [];
    for (const n of names) {
      const o = doc.createElement("option");
      o.value = n;
      o.textContent = n;
      importSelect.appendChild(o);
    }
    if (names.includes(previous)) importSelect.value = previous;
    const none = names.length === 0;
    if (none) {
      const o = doc.createElement("option");
      o.value = "";
      o.textContent = res.ok ? "No profiles with keys" : "—";
      importSelect.appendChild(o);
    }
    importSelect.disabled = none;
    importAs.disabled = none;
    importBtn.disabled = none;
    if (!res.ok) setStatus(importStatus, res.error.message, "error");
    else if (none) setStatus(importStatus, "The credentials file has no profiles with plain keys to import.");
    else if (importStatus.dataset.tone !== "ok") setStatus(importStatus, "");
  }

  async function load(): Promise<void> {
    await Promise.all([loadSources(), loadImportable()]);
  }

  async function checkKey(name: string, btn: HTMLButtonElement): Promise<void> {
    btn.disabled = true;
    status.dataset.from = "keys";
    setStatus(status, `Asking IAM about the key of ${name}…`);
    const res = await callWith<unknown>(invoke, "check_source_key", { name });
    if (res.ok) setStatus(status, `Checked the key of ${name}.`, "ok");
    else setStatus(status, `Could not check the key of ${name}: ${res.error.message}`, "error");
    btn.disabled = false;
    await loadSources();
  }

  /** Rotate; when the user has two keys, offer to delete the other one (a second click). */
  async function rotateKey(name: string, btn: HTMLButtonElement, deleteOther: string | null): Promise<void> {
    btn.disabled = true;
    status.dataset.from = "keys";
    setStatus(status, `Rotating the key of ${name}…`);
    const res = await callWith<RotateView>(invoke, "rotate_source", { name, keepOld: false, deleteOther });
    btn.disabled = false;
    if (!res.ok) {
      // Where it stopped and what the keychain holds: the message says it all.
      setStatus(status, res.error.message, "error");
    } else if (res.value.outcome === "done") {
      setStatus(status, res.value.message, "ok");
    } else {
      const other = res.value.other;
      setStatus(status, res.value.message, "error");
      const del = button(doc, `Delete ${other} and rotate`, `Delete the key ${other} and rotate ${name}`, "small");
      del.dataset.other = other;
      rowCleanups.push(
        confirmButton(del, win, () => void rotateKey(name, del, other), {
          ms: opts.confirmMs ?? 5000,
          confirmLabel: `Really delete ${other}?`,
          confirmAriaLabel: `Really delete the key ${other}? Whatever uses it stops working.`,
        }),
      );
      status.appendChild(del);
      return;
    }
    await loadSources();
  }

  async function removeSource(name: string, btn: HTMLButtonElement): Promise<void> {
    btn.disabled = true;
    const res = await callWith<unknown>(invoke, "remove_source", { name });
    if (res.ok) {
      status.dataset.from = "remove";
      setStatus(status, `Removed source ${name}.`, "ok");
    } else {
      status.dataset.from = "remove";
      setStatus(status, `Could not remove ${name}: ${res.error.message}`, "error");
      btn.disabled = false;
    }
    await load();
  }

  let adding = false;
  async function add(): Promise<void> {
    // Take the secret out of the DOM before anything else can fail.
    let secret: string | null = secretField.value;
    clearSecret();
    if (adding) {
      secret = null;
      return;
    }
    const fields: SourceFields = {
      name: nameField.value,
      accessKeyId: keyIdField.value,
      mfaSerial: mfaField.value,
      region: regionField.value,
    };
    const missing = missingSourceField(fields, secret !== "");
    if (missing) {
      secret = null;
      setStatus(addStatus, missing.message, "error");
      ({ name: nameField, accessKeyId: keyIdField, secret: secretField })[missing.field].focus();
      return;
    }
    adding = true;
    addBtn.disabled = true;
    setStatus(addStatus, "Saving to the keychain…");
    let args: Record<string, unknown> | null = addSourceArgs(fields, secret);
    secret = null;
    const pending = callWith<unknown>(invoke, "add_source", args);
    args = null;
    const res = await pending;
    adding = false;
    addBtn.disabled = false;
    if (res.ok) {
      const name = fields.name.trim();
      addForm.reset();
      clearSecret();
      setStatus(addStatus, `Added source ${name}.`, "ok");
      await load();
    } else {
      // InvalidInput and Keychain both say what to do; the other fields stay as typed.
      setStatus(addStatus, res.error.message, "error");
      secretField.focus();
    }
  }

  let importing = false;
  async function importProfile(): Promise<void> {
    const profile = importSelect.value;
    if (importing || profile === "") return;
    importing = true;
    importBtn.disabled = true;
    setStatus(importStatus, `Importing ${profile}…`);
    const res = await callWith<unknown>(invoke, "import_source", importSourceArgs(profile, importAs.value));
    importing = false;
    importBtn.disabled = false;
    if (res.ok) {
      const as = importAs.value.trim() || profile;
      importAs.value = "";
      setStatus(importStatus, `Imported ${profile} as source ${as}.`, "ok");
      await load();
    } else {
      // NotAvailable and the rest: the message says why.
      setStatus(importStatus, res.error.message, "error");
    }
  }

  listeners.on(addForm, "submit", (ev: SubmitEvent) => {
    ev.preventDefault();
    void add();
  });
  listeners.on(importForm, "submit", (ev: SubmitEvent) => {
    ev.preventDefault();
    void importProfile();
  });
  const clearAddError = (): void => {
    if (addStatus.dataset.tone !== "info") setStatus(addStatus, "");
  };
  for (const f of [nameField, keyIdField, secretField, mfaField, regionField]) {
    listeners.on(f, "input", clearAddError);
  }

  return {
    load,
    add,
    importProfile,
    dispose(): void {
      clearSecret();
      for (const c of rowCleanups.splice(0)) c();
      listeners.dispose();
    },
  };
}

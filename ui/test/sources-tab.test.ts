// @vitest-environment jsdom
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import indexHtml from "../index.html?raw";
import type { Source } from "../src/sources";
import { initSourcesTab, type SourcesTab } from "../src/sources-tab";
import { callsTo, fakeInvoke, loadBody, typeValue } from "./dom";

const SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzzSECRETzz";

const sources: Source[] = [
  { name: "work", mfa_serial: "arn:aws:iam::123456789012:mfa/alice", region: "eu-west-1" },
  { name: "personal", mfa_serial: null, region: null },
];

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const removeButton = (name: string) =>
  document.querySelector<HTMLButtonElement>(`#sources-body tr[data-name="${name}"] td.actions button:last-of-type`)!;
const actionButton = (name: string, n: number) =>
  document.querySelectorAll<HTMLButtonElement>(`#sources-body tr[data-name="${name}"] td.actions button`)[n]!;

function fill(values: Partial<Record<"name" | "keyId" | "secret" | "mfa" | "region", string>>): void {
  const ids = { name: "source-name", keyId: "source-key-id", secret: "source-secret", mfa: "source-mfa", region: "source-region" };
  for (const [k, v] of Object.entries(values)) typeValue($(ids[k as keyof typeof ids]), v);
}

function handlers(extra: Record<string, (args?: Record<string, unknown>) => unknown> = {}) {
  return fakeInvoke({
    list_sources: () => sources,
    importable_profiles: () => ["default", "old-user"],
    ...extra,
  });
}

let tab: SourcesTab | undefined;
beforeEach(() => loadBody(indexHtml));
afterEach(() => {
  tab?.dispose();
  tab = undefined;
  vi.useRealTimers();
});

describe("sources tab: list", () => {
  it("has a password field that is not autocompleted", () => {
    const secret = $<HTMLInputElement>("source-secret");
    expect(secret.type).toBe("password");
    expect(secret.getAttribute("autocomplete")).toBe("off");
    expect($<HTMLFormElement>("add-source").getAttribute("autocomplete")).toBe("off");
  });

  it.each([
    [
      sources,
      [
        ["work", "arn:aws:iam::123456789012:mfa/alice", "eu-west-1", "—", "—", "—", "CheckRotateRemove"],
        ["personal", "—", "—", "—", "—", "—", "CheckRotateRemove"],
      ],
    ],
    [
      [{ name: "old", mfa_serial: null, region: null, key: { id: "AKIA…2345", age: "97 days", age_days: 97, due: true, last_used: "2 h ago (sts, us-east-1)", checked: "5 min ago" } }],
      [["old", "—", "—", "AKIA…2345", "97 days · rotate", "2 h ago (sts, us-east-1)", "CheckRotateRemove"]],
    ],
    [[], []],
  ])("renders %#", async (list, rows) => {
    const inv = handlers({ list_sources: () => list });
    tab = initSourcesTab(document, inv);
    await tab.load();
    const cells = [...document.querySelectorAll("#sources-body tr")].map((tr) =>
      [...tr.querySelectorAll("td")].map((td) => td.textContent),
    );
    expect(cells).toEqual(rows);
    expect($("sources").hidden).toBe(rows.length === 0);
    expect($("sources-empty").hidden).toBe(rows.length !== 0);
    // Once there are keys, where they are kept is said above them.
    expect($("sources-where").hidden).toBe(rows.length === 0);
    expect($("sources-where").textContent).toContain("OS keychain");
  });

  it("shows a list error", async () => {
    const inv = handlers({
      list_sources: () => {
        throw { code: "Keychain", message: "The keychain is locked: unlock it and try again." };
      },
    });
    tab = initSourcesTab(document, inv);
    await tab.load();
    expect($("sources-status").textContent).toBe(
      "Could not list sources: The keychain is locked: unlock it and try again.",
    );
  });
});

describe("sources tab: add", () => {
  it("sends add_source with the fields, nulls for empty optionals, and forgets the secret", async () => {
    const inv = handlers({ add_source: () => null });
    tab = initSourcesTab(document, inv);
    await tab.load();
    fill({ name: "new", keyId: "AKIAEXAMPLE", secret: SECRET });
    $<HTMLFormElement>("add-source").requestSubmit();
    expect($<HTMLInputElement>("source-secret").value).toBe(""); // emptied synchronously
    await vi.waitFor(() => expect($("add-status").textContent).toBe("Added source new."));
    expect(callsTo(inv, "add_source")).toEqual([
      { name: "new", accessKeyId: "AKIAEXAMPLE", secretAccessKey: SECRET, mfaSerial: null, region: null },
    ]);
    expect(callsTo(inv, "list_sources")).toHaveLength(2); // re-listed
    expect($<HTMLInputElement>("source-name").value).toBe("");
    expect($<HTMLInputElement>("source-secret").value).toBe("");
    expect(document.body.innerHTML).not.toContain(SECRET);
  });

  it("sends the optional MFA device and region when given", async () => {
    const inv = handlers({ add_source: () => null });
    tab = initSourcesTab(document, inv);
    await tab.load();
    fill({ name: "w", keyId: "AKIA2", secret: SECRET, mfa: " arn:aws:iam::1:mfa/a ", region: "us-east-1" });
    await tab.add();
    expect(callsTo(inv, "add_source")[0]).toMatchObject({ mfaSerial: "arn:aws:iam::1:mfa/a", region: "us-east-1" });
  });

  it.each([
    ["InvalidInput", "The access key ID must start with AKIA."],
    ["Keychain", "The keychain is locked: unlock it and try again."],
    ["Internal", "Something broke."],
  ])("%s: shows the message next to the form, keeps the other fields, clears the secret", async (code, message) => {
    const inv = handlers({
      add_source: () => {
        throw { code, message };
      },
    });
    tab = initSourcesTab(document, inv);
    await tab.load();
    fill({ name: "new", keyId: "XKIA", secret: SECRET, region: "eu-west-1" });
    await tab.add();
    expect($("add-status").textContent).toBe(message);
    expect($("add-status").dataset.tone).toBe("error");
    expect($<HTMLInputElement>("source-name").value).toBe("new");
    expect($<HTMLInputElement>("source-key-id").value).toBe("XKIA");
    expect($<HTMLInputElement>("source-region").value).toBe("eu-west-1");
    expect($<HTMLInputElement>("source-secret").value).toBe("");
    expect(document.body.innerHTML).not.toContain(SECRET);
    expect(document.activeElement).toBe($("source-secret"));
  });

  it.each([
    [{ keyId: "AKIA1", secret: SECRET }, "source-name", "Enter a name for this source."],
    [{ name: "n", secret: SECRET }, "source-key-id", "Enter the access key ID."],
    [{ name: "n", keyId: "AKIA1" }, "source-secret", "Enter the secret access key."],
  ])("missing field %#: says so without calling Rust and still clears the secret", async (values, focus, message) => {
    const inv = handlers({ add_source: () => null });
    tab = initSourcesTab(document, inv);
    await tab.load();
    fill(values);
    await tab.add();
    expect(callsTo(inv, "add_source")).toHaveLength(0);
    expect($("add-status").textContent).toBe(message);
    expect(document.activeElement).toBe($(focus));
    expect($<HTMLInputElement>("source-secret").value).toBe("");
    expect(document.body.innerHTML).not.toContain(SECRET);
  });
});

describe("sources tab: remove", () => {
  it("needs a second click within 5 s", async () => {
    vi.useFakeTimers();
    const inv = handlers({ remove_source: () => null });
    tab = initSourcesTab(document, inv);
    await tab.load();

    removeButton("work").click();
    expect(callsTo(inv, "remove_source")).toHaveLength(0);
    expect(removeButton("work").textContent).toBe("Really remove?");
    expect(removeButton("work").getAttribute("aria-label")).toBe("Really remove source work?");

    // Too late: it goes back, and the next click only arms it again.
    vi.advanceTimersByTime(5001);
    expect(removeButton("work").textContent).toBe("Remove");
    expect(removeButton("work").getAttribute("aria-label")).toBe("Remove source work");
    removeButton("work").click();
    expect(callsTo(inv, "remove_source")).toHaveLength(0);

    vi.advanceTimersByTime(4000);
    removeButton("work").click();
    expect(callsTo(inv, "remove_source")).toEqual([{ name: "work" }]);
    vi.useRealTimers();
    await vi.waitFor(() => expect($("sources-status").textContent).toBe("Removed source work."));
    expect(callsTo(inv, "list_sources")).toHaveLength(2);
  });

  it("arming one row does not arm another", async () => {
    const inv = handlers({ remove_source: () => null });
    tab = initSourcesTab(document, inv);
    await tab.load();
    removeButton("work").click();
    removeButton("personal").click();
    expect(callsTo(inv, "remove_source")).toHaveLength(0);
  });

  it("shows a remove error", async () => {
    const inv = handlers({
      remove_source: () => {
        throw { code: "Keychain", message: "The keychain is locked." };
      },
    });
    tab = initSourcesTab(document, inv);
    await tab.load();
    removeButton("work").click();
    removeButton("work").click();
    await vi.waitFor(() =>
      expect($("sources-status").textContent).toBe("Could not remove work: The keychain is locked."),
    );
    expect($("sources-status").getAttribute("role")).toBe("alert");
  });
});

describe("sources tab: import", () => {
  it("lists importable profiles and imports one, with an optional new name", async () => {
    const inv = handlers({ import_source: () => null });
    tab = initSourcesTab(document, inv);
    await tab.load();
    const select = $<HTMLSelectElement>("import-profile");
    expect([...select.options].map((o) => o.value)).toEqual(["default", "old-user"]);
    select.value = "old-user";
    typeValue($("import-as"), "legacy");
    $<HTMLFormElement>("import-source").requestSubmit();
    await vi.waitFor(() => expect($("import-status").textContent).toBe("Imported old-user as source legacy."));
    expect(callsTo(inv, "import_source")).toEqual([{ profile: "old-user", asName: "legacy" }]);
    await tab.importProfile();
    expect(callsTo(inv, "import_source")[1]).toEqual({ profile: "old-user", asName: null });
  });

  it("NotAvailable: shows its message", async () => {
    const message = "Importing needs the credentials file to be readable.";
    const inv = handlers({
      import_source: () => {
        throw { code: "NotAvailable", message };
      },
    });
    tab = initSourcesTab(document, inv);
    await tab.load();
    await tab.importProfile();
    expect($("import-status").textContent).toBe(message);
    expect($("import-status").dataset.tone).toBe("error");
  });

  it.each([
    [() => [], "The credentials file has no profiles with plain keys to import."],
    [
      () => {
        throw { code: "NotAvailable", message: "No credentials file." };
      },
      "No credentials file.",
    ],
  ])("nothing to import %#: the form is disabled and says why", async (importable, message) => {
    const inv = handlers({ importable_profiles: importable, import_source: () => null });
    tab = initSourcesTab(document, inv);
    await tab.load();
    expect($<HTMLButtonElement>("import-submit").disabled).toBe(true);
    expect($<HTMLSelectElement>("import-profile").disabled).toBe(true);
    expect($("import-status").textContent).toBe(message);
    await tab.importProfile();
    expect(callsTo(inv, "import_source")).toHaveLength(0);
  });
});

describe("sources tab: keys", () => {
  it("Check asks IAM about that source's key and lists again", async () => {
    const inv = handlers({ check_source_key: () => null });
    tab = initSourcesTab(document, inv);
    await tab.load();
    actionButton("personal", 0).click();
    await vi.waitFor(() => expect($("sources-status").textContent).toBe("Checked the key of personal."));
    expect(callsTo(inv, "check_source_key")).toEqual([{ name: "personal" }]);
    expect(callsTo(inv, "list_sources")).toHaveLength(2);
  });

  it("rotates on the second click and says what was done", async () => {
    const inv = handlers({ rotate_source: () => ({ outcome: "done", message: "Rotated source `work`." }) });
    tab = initSourcesTab(document, inv);
    await tab.load();
    actionButton("work", 1).click();
    expect(callsTo(inv, "rotate_source")).toHaveLength(0);
    expect(actionButton("work", 1).textContent).toBe("Really rotate?");
    actionButton("work", 1).click();
    await vi.waitFor(() => expect($("sources-status").textContent).toBe("Rotated source `work`."));
    expect(callsTo(inv, "rotate_source")).toEqual([{ name: "work", keepOld: false, deleteOther: null }]);
  });

  it("with two keys, shows the other one and deletes it only after two more clicks", async () => {
    const inv = handlers({
      rotate_source: (args) =>
        args?.deleteOther
          ? { outcome: "done", message: "Rotated source `work`." }
          : {
              outcome: "two_keys",
              message: "IAM user alice has two access keys already; the other one, AKIA…5678, is active, made today and last used never.",
              other: "AKIA…5678",
              status: "active",
              created: "made today",
              last_used: "never",
            },
    });
    tab = initSourcesTab(document, inv);
    await tab.load();
    actionButton("work", 1).click();
    actionButton("work", 1).click();
    await vi.waitFor(() => expect($("sources-status").textContent).toContain("last used never"));
    const del = $("sources-status").querySelector<HTMLButtonElement>("button")!;
    expect(del.textContent).toBe("Delete AKIA…5678 and rotate");
    del.click();
    expect(callsTo(inv, "rotate_source")).toHaveLength(1);
    del.click();
    await vi.waitFor(() => expect($("sources-status").textContent).toBe("Rotated source `work`."));
    expect(callsTo(inv, "rotate_source")[1]).toEqual({ name: "work", keepOld: false, deleteOther: "AKIA…5678" });
  });

  it("a rotation that stopped says where, as Rust put it", async () => {
    const message = "rotating the key of source `work` stopped while deactivating the old key (UpdateAccessKey): …";
    const inv = handlers({
      rotate_source: () => {
        throw { code: "Engine", message };
      },
    });
    tab = initSourcesTab(document, inv);
    await tab.load();
    actionButton("work", 1).click();
    actionButton("work", 1).click();
    await vi.waitFor(() => expect($("sources-status").textContent).toBe(message));
    expect($("sources-status").dataset.tone).toBe("error");
  });
});

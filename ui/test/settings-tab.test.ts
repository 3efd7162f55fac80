// @vitest-environment jsdom
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import indexHtml from "../index.html?raw";
import type { Settings } from "../src/settings";
import { initSettingsTab, type SettingsTab } from "../src/settings-tab";
import { callsTo, fakeInvoke, loadBody, typeValue } from "./dom";

const saved: Settings = { refresh_before_minutes: 10, warn_before_minutes: 15, notifications: true, start_at_login: false };

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

let tab: SettingsTab | undefined;
beforeEach(() => loadBody(indexHtml));
afterEach(() => {
  tab?.dispose();
  tab = undefined;
});

describe("settings tab", () => {
  it("fills the form from get_settings", async () => {
    const inv = fakeInvoke({ get_settings: () => ({ ...saved, start_at_login: true }) });
    tab = initSettingsTab(document, inv);
    await tab.load();
    expect($<HTMLInputElement>("refresh-before").value).toBe("10");
    expect($<HTMLInputElement>("warn-before").value).toBe("15");
    expect($<HTMLInputElement>("notifications").checked).toBe(true);
    expect($<HTMLInputElement>("start-at-login").checked).toBe(true);
    expect($<HTMLButtonElement>("settings-save").disabled).toBe(false);
    await tab.load(); // loaded once: edits are not overwritten by showing the tab again
    expect(callsTo(inv, "get_settings")).toHaveLength(1);
  });

  it("when loading fails, says so and offers nothing to save", async () => {
    const inv = fakeInvoke({
      get_settings: () => {
        throw { code: "Internal", message: "settings file unreadable" };
      },
    });
    tab = initSettingsTab(document, inv);
    await tab.load();
    expect($("settings-status").textContent).toBe("Could not load the settings: settings file unreadable");
    expect($<HTMLButtonElement>("settings-save").disabled).toBe(true);
    await tab.save();
    expect(callsTo(inv, "set_settings")).toHaveLength(0);
  });

  it("Save sends set_settings({settings}) and shows Saved", async () => {
    const inv = fakeInvoke({ get_settings: () => saved, set_settings: () => null });
    tab = initSettingsTab(document, inv);
    await tab.load();
    typeValue($("refresh-before"), "5");
    typeValue($("warn-before"), "30");
    $<HTMLInputElement>("notifications").click();
    $<HTMLInputElement>("start-at-login").click();
    $<HTMLFormElement>("settings-form").requestSubmit();
    await vi.waitFor(() => expect($("settings-status").textContent).toBe("Saved"));
    expect(callsTo(inv, "set_settings")).toEqual([
      {
        settings: {
          refresh_before_minutes: 5,
          warn_before_minutes: 30,
          notifications: false,
          start_at_login: true,
          theme: "system",
        },
      },
    ]);
  });

  it("shows the saved theme, saves a new one and applies it to the window on save", async () => {
    const inv = fakeInvoke({ get_settings: () => ({ ...saved, theme: "dark" }), set_settings: () => null });
    tab = initSettingsTab(document, inv);
    await tab.load();
    const theme = $<HTMLSelectElement>("theme");
    expect(theme.value).toBe("dark");
    document.documentElement.dataset.theme = "dark"; // as the page applied it at start
    theme.value = "light";
    theme.dispatchEvent(new Event("change", { bubbles: true }));
    expect(document.documentElement.dataset.theme).not.toBe("light"); // not before it is saved
    $<HTMLFormElement>("settings-form").requestSubmit();
    await vi.waitFor(() => expect($("settings-status").textContent).toBe("Saved"));
    expect(callsTo(inv, "set_settings")[0]?.settings).toMatchObject({ theme: "light" });
    expect(document.documentElement.dataset.theme).toBe("light");
    theme.value = "dark";
    $<HTMLFormElement>("settings-form").requestSubmit();
    await vi.waitFor(() => expect(document.documentElement.dataset.theme).toBe("dark"));
  });

  it("an answer without a theme (an older app) shows System", async () => {
    const inv = fakeInvoke({ get_settings: () => saved });
    tab = initSettingsTab(document, inv);
    await tab.load();
    expect($<HTMLSelectElement>("theme").value).toBe("system");
  });

  it("fills the About card: version, licence, project and where the log goes", async () => {
    const logs = "the terminal it was started from (/dev/pts/3)";
    const project = "https://example.invalid/rolekeeper";
    const about = { version: "0.1.0", licence: "Apache-2.0", project, logs, log_level: "debug" };
    const inv = fakeInvoke({ get_settings: () => saved, about: () => about });
    tab = initSettingsTab(document, inv);
    await tab.load();
    await vi.waitFor(() => expect($("about-version").textContent).toBe("0.1.0"));
    expect($("about-licence").textContent).toBe("Apache-2.0");
    expect($("about-project").textContent).toBe("https://example.invalid/rolekeeper");
    expect($("about-logs").textContent).toBe("the terminal it was started from (/dev/pts/3)");
    expect($("about-log-level").textContent).toBe("debug");
  });

  it("says in the About card when it cannot be asked", async () => {
    const inv = fakeInvoke({ get_settings: () => saved }); // "about" throws
    tab = initSettingsTab(document, inv);
    await tab.load();
    await vi.waitFor(() => expect($("about-logs").textContent).toMatch(/^Could not ask: unexpected command about/));
    expect($("about-version").textContent).toBe("—");
  });

  it.each([
    ["0", "15", "Use 1 to 60 minutes.", "", "refresh-before"],
    ["61", "15", "Use 1 to 60 minutes.", "", "refresh-before"],
    ["", "15", "Enter a number of minutes from 1 to 60.", "", "refresh-before"],
    ["10", "0", "", "Use 1 to 60 minutes.", "warn-before"],
    ["1.5", "99", "Use whole minutes.", "Use 1 to 60 minutes.", "refresh-before"],
  ])("refresh %j, warn %j: field errors, focus, nothing sent", async (refresh, warn, refreshErr, warnErr, focus) => {
    const inv = fakeInvoke({ get_settings: () => saved, set_settings: () => null });
    tab = initSettingsTab(document, inv);
    await tab.load();
    typeValue($("refresh-before"), refresh);
    typeValue($("warn-before"), warn);
    // Immediate feedback as typed…
    expect($("refresh-before-error").textContent).toBe(refreshErr);
    expect($("warn-before-error").textContent).toBe(warnErr);
    // …and on Save.
    await tab.save();
    expect(callsTo(inv, "set_settings")).toHaveLength(0);
    expect($("settings-status").textContent).toBe("Not saved: check the values above.");
    expect($("refresh-before").getAttribute("aria-invalid")).toBe(refreshErr ? "true" : null);
    expect($("warn-before").getAttribute("aria-invalid")).toBe(warnErr ? "true" : null);
    expect(document.activeElement).toBe($(focus));
  });

  it("a corrected value clears its error", async () => {
    const inv = fakeInvoke({ get_settings: () => saved });
    tab = initSettingsTab(document, inv);
    await tab.load();
    typeValue($("refresh-before"), "0");
    expect($("refresh-before-error").textContent).not.toBe("");
    typeValue($("refresh-before"), "20");
    expect($("refresh-before-error").textContent).toBe("");
    expect($("refresh-before").getAttribute("aria-invalid")).toBeNull();
  });

  it("shows Rust's InvalidInput message", async () => {
    const message = "The warning must come before the refresh: warn_before_minutes > refresh_before_minutes.";
    const inv = fakeInvoke({
      get_settings: () => saved,
      set_settings: () => {
        throw { code: "InvalidInput", message };
      },
    });
    tab = initSettingsTab(document, inv);
    await tab.load();
    await tab.save();
    expect($("settings-status").textContent).toBe(message);
    expect($("settings-status").dataset.tone).toBe("error");
    expect($<HTMLButtonElement>("settings-save").disabled).toBe(false);
  });
});

import { callWith, type InvokeFn } from "./ipc";

/** The Settings choice (the Rust side's `Theme`): the desktop's preference, or fixed. */
export type ThemeChoice = "system" | "light" | "dark";
export type Theme = "light" | "dark";

export function isThemeChoice(s: unknown): s is ThemeChoice {
  return s === "system" || s === "light" || s === "dark";
}

/** The theme a choice gives on a desktop that prefers dark (`prefersDark`) or not. */
export function resolveTheme(choice: ThemeChoice, prefersDark: boolean): Theme {
  if (choice === "system") return prefersDark ? "dark" : "light";
  return choice;
}

const DARK_QUERY = "(prefers-color-scheme: dark)";

/** The windows' theme: `data-theme` on <html>, which style.css's colour variables follow. */
export interface ThemeControl {
  /** Apply a choice now (and, for "system", follow the desktop's changes from then on). */
  set: (choice: ThemeChoice) => void;
  dispose: () => void;
}

/**
 * Follow the desktop's preference (WebKitGTK's `prefers-color-scheme`, from the GTK theme) until
 * a choice says otherwise. The attribute is always set, so CSS has one dark block to keep.
 */
export function themeControl(doc: Document): ThemeControl {
  const win = doc.defaultView;
  const query = win?.matchMedia ? win.matchMedia(DARK_QUERY) : undefined;
  let choice: ThemeChoice = "system";
  const apply = (): void => {
    doc.documentElement.dataset.theme = resolveTheme(choice, query?.matches ?? false);
  };
  const onChange = (): void => apply();
  query?.addEventListener("change", onChange);
  apply();
  return {
    set(next: ThemeChoice): void {
      choice = next;
      apply();
    },
    dispose: () => query?.removeEventListener("change", onChange),
  };
}

/** The shared control of this page (one <html>, one theme). */
let current: ThemeControl | undefined;

/** This page's theme control, created on first use. */
export function pageTheme(doc: Document): ThemeControl {
  current ??= themeControl(doc);
  return current;
}

/** At a page's start: the desktop's theme at once, then the saved choice once Rust answers. */
export async function initTheme(doc: Document, invoke: InvokeFn): Promise<void> {
  const control = pageTheme(doc);
  const res = await callWith<unknown>(invoke, "ui_theme");
  if (res.ok && isThemeChoice(res.value)) control.set(res.value);
}

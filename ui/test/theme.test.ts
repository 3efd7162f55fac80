// @vitest-environment jsdom
import { afterEach, describe, expect, it, vi } from "vitest";
import { resolveTheme, themeControl, type ThemeControl } from "../src/theme";

/** A `matchMedia` whose dark preference the test flips, as a desktop's theme change would. */
function fakeMedia(dark: boolean) {
  const listeners = new Set<() => void>();
  const query = {
    get matches() {
      return dark;
    },
    addEventListener: (_: string, fn: () => void) => listeners.add(fn),
    removeEventListener: (_: string, fn: () => void) => listeners.delete(fn),
  };
  vi.stubGlobal("matchMedia", () => query);
  return {
    flip(next: boolean) {
      dark = next;
      for (const fn of listeners) fn();
    },
    listeners,
  };
}

let control: ThemeControl | undefined;
afterEach(() => {
  control?.dispose();
  control = undefined;
  vi.unstubAllGlobals();
});

describe("theme", () => {
  it.each([
    ["system", false, "light"],
    ["system", true, "dark"],
    ["light", true, "light"],
    ["dark", false, "dark"],
  ] as const)("%s on a desktop preferring dark=%s is %s", (choice, dark, theme) => {
    expect(resolveTheme(choice, dark)).toBe(theme);
  });

  it("follows the desktop until a choice is made, and again once System is chosen", () => {
    const media = fakeMedia(true);
    control = themeControl(document);
    expect(document.documentElement.dataset.theme).toBe("dark");
    media.flip(false);
    expect(document.documentElement.dataset.theme).toBe("light");
    control.set("dark");
    media.flip(false);
    expect(document.documentElement.dataset.theme).toBe("dark");
    control.set("system");
    expect(document.documentElement.dataset.theme).toBe("light");
    control.dispose();
    expect(media.listeners.size).toBe(0);
  });
});

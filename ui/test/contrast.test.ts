import { describe, expect, it } from "vitest";
import css from "../src/style.css?raw";

/** The colour variables of the block `selector { ... }` at the top of style.css. */
function variables(css: string, selector: string): Record<string, string> {
  const start = css.indexOf(`${selector} {`);
  if (start < 0) throw new Error(`style.css has no ${selector} block`);
  const block = css.slice(start, css.indexOf("}", start));
  const vars: Record<string, string> = {};
  for (const m of block.matchAll(/--([a-z-]+):\s*(#[0-9a-f]{6});/gi)) vars[m[1]] = m[2];
  return vars;
}

/** WCAG 2 relative luminance and contrast ratio of two #rrggbb colours. */
function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}
function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

const light = variables(css, ":root");
const themes = { light, dark: { ...light, ...variables(css, ':root[data-theme="dark"]') } };

/** Text colour on background, as the rules pair them: 4.5:1 (AA, normal text). */
const TEXT: Array<[string, string]> = [
  ["text", "bg"],
  ["text", "surface"],
  ["muted", "bg"],
  ["muted", "surface"],
  ["muted", "disabled-bg"],
  ["ok", "surface"],
  ["ok", "bg"],
  ["ok", "ok-bg"],
  ["warn", "surface"],
  ["warn", "bg"],
  ["warn", "warn-bg"],
  ["error", "surface"],
  ["error", "bg"],
  ["error", "error-bg"],
  ["text", "error-bg"],
  ["off", "surface"],
  ["off", "bg"],
  ["accent-text", "accent"],
  ["accent-text", "accent-hover"],
  ["on-error", "error"],
];
/** Not text, but must be seen (WCAG 1.4.11): 3:1. */
const NON_TEXT: Array<[string, string]> = [
  ["focus", "bg"],
  ["focus", "surface"],
  ["line-strong", "surface"],
  ["accent", "surface"],
];

describe("colour contrast (WCAG AA)", () => {
  it("the dark block sets every colour the light one does", () => {
    const dark = variables(css, ':root[data-theme="dark"]');
    expect(Object.keys(dark).sort()).toEqual(Object.keys(light).sort());
  });

  for (const [name, vars] of Object.entries(themes)) {
    it.each(TEXT)(`${name}: --%s on --%s is at least 4.5:1`, (fg, bg) => {
      expect(vars[fg], fg).toBeDefined();
      expect(vars[bg], bg).toBeDefined();
      expect(contrast(vars[fg], vars[bg])).toBeGreaterThanOrEqual(4.5);
    });
    it.each(NON_TEXT)(`${name}: --%s on --%s is at least 3:1`, (fg, bg) => {
      expect(contrast(vars[fg], vars[bg])).toBeGreaterThanOrEqual(3);
    });
  }

  it("the formula is WCAG's: black on white is 21:1, a colour on itself 1:1", () => {
    expect(contrast("#000000", "#ffffff")).toBeCloseTo(21, 5);
    expect(contrast("#777777", "#777777")).toBe(1);
  });
});

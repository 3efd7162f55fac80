"""What the manager window's form controls are called by assistive technology, checked in the
page itself (WebKitWebDriver has no computed-label command): the controls and buttons that have
no accessible name. Shared by the webdriver_*.py clients."""

UNNAMED = r"""
const text = (s) => (s || "").replace(/\s+/g, " ").trim();
const nameOf = (c) => {
  const aria = text(c.getAttribute("aria-label"));
  if (aria) return aria;
  const by = (c.getAttribute("aria-labelledby") || "").split(/\s+/).filter(Boolean);
  const labelled = text(by.map((i) => document.getElementById(i)?.textContent).join(" "));
  if (labelled) return labelled;
  if (c.labels && c.labels.length) return text([...c.labels].map((l) => l.textContent).join(" "));
  if (c.tagName === "BUTTON") return text(c.textContent);
  return "";
};
const shown = (c) => !c.closest("[hidden]");
return [...document.querySelectorAll("input, select, textarea, button")]
  .filter((c) => c.type !== "hidden" && shown(c) && !nameOf(c))
  .map((c) => c.id || c.outerHTML.slice(0, 80));
"""


def unnamed_controls(driver):
    """The ids (or markup) of the shown controls with no accessible name; empty is good."""
    return driver.execute_script(UNNAMED)

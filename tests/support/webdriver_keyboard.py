"""Walk the manager window of rolekeeper-desktop by keyboard only, through tauri-driver
(WebKitWebDriver): Tab through every tab's actions, the tab bar by arrow keys, an action run
with Enter, the theme changed in Settings with keys, then the window closed with a key.
For tests/tests/desktop_webdriver.rs.

Usage: webdriver_keyboard.py DRIVER_URL APP SHOT_DIR walk|ctrl-w
  walk:   everything above, screenshots of every tab in both themes, then Escape closes
  ctrl-w: Ctrl+W closes the window at once
Prints one JSON object (see `body`). A key goes to whatever has focus, as a person's would:
nothing is clicked, and the only script run reads the page.
"""
import os
import sys
import time

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from keyboard import THEME_JS, chord, closing_key, focused, keys, step, wait_closed, windows_titled
from tauri_session import run

TABS = ["sessions", "sources", "settings", "diagnostics"]

# Every visible, enabled control of the header and the shown panel, in document order, each
# marked with data-wd so focus can be matched to it.
CONTROLS_JS = """
const panel = document.querySelector('[role=tabpanel]:not([hidden])');
const scope = [...document.querySelectorAll('header, #tray-notice'), panel];
const sel = 'button, select, input, a[href], [tabindex]:not([tabindex="-1"])';
let n = 0;
const out = [];
for (const root of scope) {
  for (const el of root.querySelectorAll(sel)) {
    if (el.disabled || el.offsetParent === null) continue;
    // The tab bar is one Tab stop (the selected tab); the others are reached by arrow keys.
    if (el.getAttribute('role') === 'tab' && el.getAttribute('aria-selected') !== 'true') continue;
    el.dataset.wd = String(n++);
    out.push(el.id || (el.getAttribute('aria-label') || el.textContent).trim());
  }
}
return out;
"""


def to_tab_bar(driver):
    """Shift+Tab back until focus is on the tab bar (a list passed on the way keeps its value)."""
    step("to the tab bar")
    for _ in range(30):
        now = focused(driver)
        if now is not None and now["id"].startswith("tab-"):
            return
        chord(driver, Keys.SHIFT, Keys.TAB)
    raise AssertionError(f"Shift+Tab never reached the tab bar (at {focused(driver)})")


def walk(driver, tab):
    """Tab from the tab bar through every control of the header and `tab`'s panel; what was
    reached, in order, and which controls were never reached or had no focus ring."""
    step(f"walk {tab}")
    order, no_ring = [], []
    to_tab_bar(driver)
    keys(driver, Keys.HOME)  # on the tab bar: the first tab; then the arrow keys to this one
    for _ in range(TABS.index(tab)):
        keys(driver, Keys.ARROW_RIGHT)
    start = focused(driver)
    time.sleep(1)  # the panel's rows arrive from Rust
    controls = driver.execute_script(CONTROLS_JS)
    for _ in range(len(controls) + 3):
        keys(driver, Keys.TAB)
        now = focused(driver)
        if now is None or now["wd"] is None:
            break  # left the page's controls (the web view's end)
        if now["id"] in order or now["id"] == start["id"]:  # wrapped round
            break
        order.append(now["id"])
        if not now["ring"]:
            no_ring.append(now["id"])
    missed = [c for c in controls if c not in order and c != start["id"]]
    return {"start": start, "order": order, "missed": missed, "no_ring": no_ring,
            "controls": controls}


def tab_to_setting(driver, wait, field):
    """The Settings tab by arrow keys, then Tab until `field` has focus; what has it."""
    to_tab_bar(driver)
    keys(driver, Keys.HOME)
    for _ in range(TABS.index("settings")):
        keys(driver, Keys.ARROW_RIGHT)
    wait.until(lambda d: d.find_element(By.ID, field).is_enabled())
    for _ in range(12):
        keys(driver, Keys.TAB)
        if focused(driver)["id"] == field:
            break
    return focused(driver)["id"]


def x_window_count():
    """How many X windows are titled exactly RoleKeeper (the manager's)."""
    return windows_titled("RoleKeeper")


def main():
    driver_url, app, shots, mode = sys.argv[1:5]

    def body(driver):
        wait = WebDriverWait(driver, 30)
        wait.until(lambda d: d.find_element(By.ID, "tab-sessions").is_displayed())
        wait.until(lambda d: d.find_element(By.ID, "sessions").is_displayed())
        result = {"open_before": x_window_count()}
        if mode == "ctrl-w":
            closing_key(driver, Keys.CONTROL, "w")
            result["closed"] = wait_closed("RoleKeeper")
            return result

        result["start_theme"] = driver.execute_script(THEME_JS)
        # Focus the tab bar the way a keyboard user arrives: Tab from the page's start.
        keys(driver, Keys.TAB)
        result["first_tab_stop"] = focused(driver)

        walks, arrows = {}, []
        for name in TABS:
            walks[name] = walk(driver, name)
            arrows.append({
                "tab": name,
                "selected": driver.find_element(By.ID, f"tab-{name}").get_attribute("aria-selected"),
                "panel_shown": driver.find_element(By.ID, f"panel-{name}").is_displayed(),
            })
        result["walks"] = walks
        result["arrows"] = arrows
        # End and Home jump to the last and first tab.
        to_tab_bar(driver)
        keys(driver, Keys.END)
        result["after_end"] = focused(driver)["id"]
        keys(driver, Keys.HOME)
        result["after_home"] = focused(driver)["id"]

        # Operate an action with Enter: Refresh all now (the Tab after the tab bar).
        keys(driver, Keys.TAB)
        result["enter_on"] = focused(driver)["id"]
        keys(driver, Keys.ENTER)
        wait.until(lambda d: d.find_element(By.ID, "list-status").text not in ("", "Refreshing all sessions…"))
        result["after_enter"] = driver.find_element(By.ID, "list-status").text

        # Screenshots of every tab, light (the desktop's), each reached with the arrow keys.
        def pictures(theme):
            step(f"pictures {theme}")
            to_tab_bar(driver)
            keys(driver, Keys.HOME)
            for i, name in enumerate(TABS):
                if i:
                    keys(driver, Keys.ARROW_RIGHT)
                wait.until(lambda d: d.find_element(By.ID, f"panel-{name}").is_displayed())
                time.sleep(1.5)  # the tab's list arrives from Rust
                driver.save_screenshot(os.path.join(shots, f"{name}-tab-{theme}.png"))

        pictures("light")

        step("theme")
        # The theme by keyboard: Settings, Tab to the Theme list, pick Dark, Tab to Save, Enter.
        result["theme_focused"] = tab_to_setting(driver, wait, "theme")
        keys(driver, Keys.END)  # the last option, Dark; a closed list changes without opening
        result["theme_value"] = driver.find_element(By.ID, "theme").get_attribute("value")
        keys(driver, Keys.TAB)
        result["save_focused"] = focused(driver)["id"]
        keys(driver, Keys.ENTER)
        wait.until(lambda d: d.find_element(By.ID, "settings-status").text == "Saved")
        wait.until(lambda d: d.execute_script(THEME_JS)["theme"] == "dark")
        result["dark_theme"] = driver.execute_script(THEME_JS)
        result["about"] = driver.find_element(By.ID, "about").text
        # The About card is below the form: scrolled to for its picture only.
        driver.execute_script("document.getElementById('about').scrollIntoView()")
        time.sleep(0.5)
        driver.save_screenshot(os.path.join(shots, "settings-about-dark.png"))
        pictures("dark")

        step("escape")
        # Escape in a field mid-edit keeps the window; from the tab bar it closes it.
        result["escape_in"] = tab_to_setting(driver, wait, "refresh-before")
        keys(driver, "7", Keys.ESCAPE)
        time.sleep(1)
        result["open_after_field_escape"] = x_window_count()
        to_tab_bar(driver)
        result["escape_from"] = focused(driver)["id"]
        closing_key(driver, Keys.ESCAPE)
        result["closed"] = wait_closed("RoleKeeper")
        return result

    return run(driver_url, app, body)


if __name__ == "__main__":
    sys.exit(main())

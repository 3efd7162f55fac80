"""The manager window of rolekeeper-desktop with no AWS profile at all (no ~/.aws), through
tauri-driver (WebKitWebDriver), as a first-time user meets it. For
tests/tests/desktop_webdriver.rs.

Usage: webdriver_first_run.py DRIVER_URL APP SHOT_DIR CONFIG CREDENTIALS CONFIG_TEXT CREDENTIALS_TEXT ROWS
Waits for the first-run guide, clicks "Open the config file" (the app creates CONFIG and runs
the editor, a fake xdg-open the test put on PATH), notes CONFIG's mode and text, then writes
CONFIG_TEXT and CREDENTIALS_TEXT as an editor saves (a new file renamed over the old) and
times how long the window takes to list ROWS profiles, with no click on "Refresh all now".
Reads the Sources tab with the profiles. Prints one JSON object; saves first-run.png,
sources-none.png, sessions-three.png and sources-three.png in SHOT_DIR.
"""
import os
import sys
import time

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from a11y_names import unnamed_controls
from tauri_session import run


def row_names(driver):
    return driver.execute_script(
        "return document.getElementById('sessions').hidden ? [] : "
        "[...document.querySelectorAll('#sessions-body tr')].map((r) => r.dataset.name);")


def tab_boxes(driver):
    """Each tab's left edge and width, in pixels: selecting another tab must move none."""
    return driver.execute_script(
        "return [...document.querySelectorAll('[role=tab]')].map((t) => {"
        " const r = t.getBoundingClientRect(); return [t.id, Math.round(r.left), Math.round(r.width)]; });")


def text_of(driver, element_id):
    return driver.find_element(By.ID, element_id).get_attribute("textContent")


def shoot(driver, path):
    """A screenshot once the page has painted what it shows (two animation frames)."""
    driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "requestAnimationFrame(() => requestAnimationFrame(() => done()));")
    driver.save_screenshot(path)


def save_as_editor(path, text):
    """Write `text` to `path` the way editors save: a new file, then a rename over the old."""
    tmp = f"{path}.rk-test-save"
    with open(tmp, "w") as f:
        f.write(text)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def main():
    driver_url, app, shots, config, credentials, config_text, credentials_text, rows = sys.argv[1:9]
    rows = int(rows)

    def body(driver):
        wait = WebDriverWait(driver, 30)
        guide = wait.until(lambda d: d.find_element(By.ID, "first-run"))
        try:
            wait.until(lambda d: guide.is_displayed() and text_of(d, "first-run-example").strip())
        except Exception:
            driver.save_screenshot(os.path.join(shots, "first-run-failed.png"))
            probe = driver.execute_async_script(
                "const done = arguments[arguments.length - 1];"
                "window.__TAURI_INTERNALS__.invoke('first_run_guide')"
                ".then((v) => done(JSON.stringify(v)), (e) => done('error: ' + JSON.stringify(e)));")
            raise AssertionError(f"no guide: hidden={guide.get_attribute('hidden')} probe={probe}")
        shown = {
            "heading": text_of(driver, "first-run-heading"),
            "config_path": text_of(driver, "first-run-config"),
            "example": text_of(driver, "first-run-example"),
            "table_shown": driver.find_element(By.ID, "sessions").is_displayed(),
            "unnamed": unnamed_controls(driver),
            "config_existed": os.path.exists(config),
        }
        shoot(driver, os.path.join(shots, "first-run.png"))

        tabs_before = tab_boxes(driver)
        driver.find_element(By.ID, "tab-sources").click()
        wait.until(lambda d: d.find_element(By.ID, "sources-empty").is_displayed())
        sources_none = {
            "tabs_before": tabs_before,
            "tabs_after": tab_boxes(driver),
            "where_shown": driver.find_element(By.ID, "sources-where").is_displayed(),
            "unnamed": unnamed_controls(driver),
        }
        shoot(driver, os.path.join(shots, "sources-none.png"))
        driver.find_element(By.ID, "tab-sessions").click()

        driver.find_element(By.ID, "first-run-open").click()
        wait.until(lambda d: "editor" in text_of(d, "first-run-status"))
        opened = {
            "status": text_of(driver, "first-run-status"),
            "mode": oct(os.stat(config).st_mode & 0o777),
            "dir_mode": oct(os.stat(os.path.dirname(config)).st_mode & 0o777),
            "text": open(config).read(),
        }

        # The user's editor saves the profiles; nobody clicks "Refresh all now".
        save_as_editor(credentials, credentials_text)
        start = time.monotonic()
        save_as_editor(config, config_text)
        WebDriverWait(driver, 10, poll_frequency=0.05).until(lambda d: len(row_names(d)) == rows)
        appeared = time.monotonic() - start
        three = {
            "seconds": round(appeared, 2),
            "names": row_names(driver),
            "guide_shown": guide.is_displayed(),
            "refresh_label": driver.find_element(By.ID, "refresh").text,
            "unnamed": unnamed_controls(driver),
            "headers": [th.text for th in driver.find_elements(By.CSS_SELECTOR, "#sessions thead th")],
        }
        shoot(driver, os.path.join(shots, "sessions-three.png"))

        driver.find_element(By.ID, "tab-sources").click()
        wait.until(lambda d: d.find_element(By.ID, "import-profile").get_attribute("disabled") is None)
        sources_three = {
            "importable": [o.text for o in driver.find_elements(By.CSS_SELECTOR, "#import-profile option")],
            "import_labels": [l.text for l in driver.find_elements(By.CSS_SELECTOR, "#import-source label")],
            "unnamed": unnamed_controls(driver),
        }
        driver.execute_script("document.getElementById('import-source').scrollIntoView({block: 'end'})")
        shoot(driver, os.path.join(shots, "sources-three.png"))
        return {"guide": shown, "sources_none": sources_none, "opened": opened,
                "three": three, "sources_three": sources_three}

    return run(driver_url, app, body)


if __name__ == "__main__":
    sys.exit(main())

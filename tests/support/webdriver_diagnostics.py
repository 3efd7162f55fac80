"""Read the manager window's Diagnostics tab of rolekeeper-desktop through tauri-driver
(WebKitWebDriver), as a person would: click the tab, wait for the checks. For
tests/tests/desktop_webdriver.rs.

Usage: webdriver_diagnostics.py DRIVER_URL APP SHOT_DIR
tauri-driver starts APP; automation attaches to the first web view the app creates, so the
session is only ready once the manager opens (the test clicks "Open RoleKeeper…" in the tray
meanwhile). Prints one JSON object: the checks as shown, the tab's mark, the page's text, and
whether any other list of problems is on the page. Saves the web view's picture
(diagnostics-tab.png) and the X window's (diagnostics-window.png) in SHOT_DIR.
"""
import os
import subprocess
import sys

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tauri_session import retry_stale, run


def text_of(element, selector):
    found = element.find_elements(By.CSS_SELECTOR, selector)
    return found[0].get_attribute("textContent") if found else None


def window_picture(path):
    """The manager's X window as the X server has it (xdotool + ImageMagick's import)."""
    ids = subprocess.run(["xdotool", "search", "--name", "^RoleKeeper$"],
                         capture_output=True, text=True, check=False).stdout.split()
    if ids:
        subprocess.run(["import", "-window", ids[0], path], check=False)


def main():
    driver_url, app, shots = sys.argv[1:4]

    def body(driver):
        wait = WebDriverWait(driver, 30)
        tab = wait.until(lambda d: d.find_element(By.ID, "tab-diagnostics"))
        wait.until(lambda d: tab.is_displayed())
        tab.click()
        wait.until(lambda d: d.find_element(By.ID, "panel-diagnostics").is_displayed())
        # The checks arrive from Rust (the keychain and notification server are asked too).
        wait.until(lambda d: d.find_element(By.ID, "checks-status").text.strip() != "")
        # The tab re-lists the checks now and then: read them again if a row goes stale.
        rows = retry_stale(lambda: [
            {
                "badge": text_of(li, ".outcome"),
                "name": text_of(li, ".check-name"),
                "detail": text_of(li, ".check-detail"),
                "fix": text_of(li, ".check-fix"),
            }
            for li in driver.find_elements(By.CSS_SELECTOR, "#checks li")
        ])
        flag = driver.find_element(By.ID, "diag-flag")
        result = {
            "title": driver.title,
            "checks": rows,
            "summary": driver.find_element(By.ID, "checks-status").text,
            "flag": flag.get_attribute("textContent") if flag.is_displayed() else "",
            "config_file": driver.find_element(By.ID, "config-file").text,
            "page_text": driver.find_element(By.ID, "panel-diagnostics").text,
            "other_lists": len(driver.find_elements(By.CSS_SELECTOR, "#panel-diagnostics ul:not(#checks)")),
        }
        driver.save_screenshot(os.path.join(shots, "diagnostics-tab.png"))
        window_picture(os.path.join(shots, "diagnostics-window.png"))
        return result

    return run(driver_url, app, body)


if __name__ == "__main__":
    sys.exit(main())

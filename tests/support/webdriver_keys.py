"""Check and rotate a keychain source's key in the manager window's Sources tab of
rolekeeper-desktop through tauri-driver (WebKitWebDriver), as a person would: open the tab,
click Check, then Rotate twice (the second click confirms). For tests/tests/desktop_webdriver.rs.

Usage: webdriver_keys.py DRIVER_URL APP SHOT_DIR NAME
Prints one JSON object: the source's row (cells) after the check and after the rotation, and the
tab's status line each time. Saves the web view's picture (sources-keys.png) in SHOT_DIR.
"""
import os
import sys

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tauri_session import retry_stale, run


def cells(driver, name):
    return retry_stale(lambda: [
        td.get_attribute("textContent")
        for td in driver.find_elements(By.CSS_SELECTOR, f'#sources-body tr[data-name="{name}"] td')
    ])


def button(driver, label):
    return driver.find_element(By.CSS_SELECTOR, f'button[aria-label="{label}"]')


def click(driver, label):
    retry_stale(lambda: button(driver, label).click())


def status(driver):
    return driver.find_element(By.ID, "sources-status").get_attribute("textContent")


def main():
    driver_url, app, shots, name = sys.argv[1:5]

    def body(driver):
        wait = WebDriverWait(driver, 30)
        tab = wait.until(lambda d: d.find_element(By.ID, "tab-sources"))
        wait.until(lambda d: tab.is_displayed())
        tab.click()
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, f'#sources-body tr[data-name="{name}"]'))
        click(driver, f"Ask IAM about the key of {name}")
        wait.until(lambda d: status(d) == f"Checked the key of {name}.")
        wait.until(lambda d: cells(d, name)[3] != "—")
        checked = {"cells": cells(driver, name), "status": status(driver)}
        rotate = button(driver, f"Rotate the key of {name}")
        rotate.click()
        wait.until(lambda d: rotate.text == "Really rotate?")
        # The armed button is wider than the cell: clicked where it is, as a second click.
        driver.execute_script("arguments[0].click()", rotate)
        wait.until(lambda d: status(d).startswith("Rotated source"))
        wait.until(lambda d: cells(d, name)[3] != checked["cells"][3])
        rotated = {"cells": cells(driver, name), "status": status(driver)}
        driver.save_screenshot(os.path.join(shots, "sources-keys.png"))
        return {"checked": checked, "rotated": rotated}

    return run(driver_url, app, body)


if __name__ == "__main__":
    sys.exit(main())

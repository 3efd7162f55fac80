"""Activate a role that needs an MFA code from the manager window of rolekeeper-desktop, as a
person would: click Activate in the session's row; the MFA dialog opens (the test types the code
there with X key events) and the row turns fresh. For tests/tests/desktop_webdriver.rs.

Usage: webdriver_activate_mfa.py DRIVER_URL APP SHOT_DIR NAME
Prints one JSON object: the row's state after the click (before the code) and once fresh, and
the texts the window showed meanwhile (the list's status line).
"""
import os
import sys
import time

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tauri_session import retry_stale, run


def state(driver, name):
    return retry_stale(lambda: driver.find_element(
        By.CSS_SELECTOR, f'#sessions-body tr[data-name="{name}"] td.state').text)


def main():
    driver_url, app, shots, name = sys.argv[1:5]

    def body(driver):
        wait = WebDriverWait(driver, 60)
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, f'#sessions-body tr[data-name="{name}"]'))
        wait.until(lambda d: state(d, name) == "off")
        retry_stale(lambda: driver.find_element(
            By.CSS_SELECTOR, f'button[aria-label="Activate {name}"]').click())
        time.sleep(0.5)
        asked = state(driver, name)
        status = driver.find_element(By.ID, "list-status").text
        wait.until(lambda d: state(d, name).startswith("fresh"))
        driver.save_screenshot(os.path.join(shots, "sessions-activated-with-code.png"))
        return {"after_click": asked, "status_after_click": status, "state": state(driver, name),
                "page": driver.find_element(By.TAG_NAME, "body").text}

    return run(driver_url, app, body)


if __name__ == "__main__":
    sys.exit(main())

"""Deactivate a session from the manager window of rolekeeper-desktop while its engine renews it
every 10 s, as a person would, and watch that it stays off. For tests/tests/desktop_webdriver.rs.

Usage: webdriver_deactivate.py DRIVER_URL APP SHOT_DIR NAME CREDENTIALS ORIGINAL WATCH_SECONDS
Waits for the session's row to say "fresh", clicks its Deactivate button, waits for the row to
say "off", then for WATCH_SECONDS compares the credentials file with ORIGINAL (the file's bytes
before the activation) every 250 ms while the app keeps running. Prints one JSON object: the
row's state after the click, when the file first differed from ORIGINAL after the row said off
(null if never), and how long it was watched.
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


def read(path):
    with open(path, "rb") as f:
        return f.read()


def main():
    driver_url, app, shots, name, credentials, original, watch = sys.argv[1:8]
    original_bytes = read(original)

    def body(driver):
        wait = WebDriverWait(driver, 60)
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, f'#sessions-body tr[data-name="{name}"]'))
        wait.until(lambda d: state(d, name).startswith("fresh"))
        retry_stale(lambda: driver.find_element(
            By.CSS_SELECTOR, f'button[aria-label="Deactivate {name}"]').click())
        wait.until(lambda d: state(d, name) == "off")
        off_at = time.time()
        came_back = None
        while time.time() < off_at + float(watch):
            if read(credentials) != original_bytes:
                came_back = time.time() - off_at
                break
            time.sleep(0.25)
        driver.save_screenshot(os.path.join(shots, "sessions-deactivated.png"))
        return {"state": state(driver, name), "came_back_after": came_back,
                "watched": time.time() - off_at}

    return run(driver_url, app, body)


if __name__ == "__main__":
    sys.exit(main())

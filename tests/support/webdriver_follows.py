"""Watch a session's row in the manager window of rolekeeper-desktop while the tray acts on it:
the window must follow the engine's events, not wait for its half-minute re-listing. For
tests/tests/desktop_webdriver.rs.

Usage: webdriver_follows.py DRIVER_URL APP SHOT_DIR NAME MARKER
Once the row says "off", writes MARKER (the test then clicks the tray's Activate) and watches
the row every 20 ms until it says "fresh". Prints one JSON object: the wall-clock time (Unix
seconds) the row was first seen fresh, and the row's state then.
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
    driver_url, app, shots, name, marker = sys.argv[1:6]

    def body(driver):
        WebDriverWait(driver, 30).until(
            lambda d: d.find_elements(By.CSS_SELECTOR, f'#sessions-body tr[data-name="{name}"]'))
        WebDriverWait(driver, 30).until(lambda d: state(d, name) == "off")
        with open(marker, "w") as f:
            f.write("ready\n")
        deadline = time.time() + 60
        while time.time() < deadline:
            now = state(driver, name)
            if now.startswith("fresh"):
                seen_at = time.time()
                driver.save_screenshot(os.path.join(shots, "sessions-followed.png"))
                return {"seen_at": seen_at, "state": now}
            time.sleep(0.02)
        return {"seen_at": None, "state": state(driver, name)}

    return run(driver_url, app, body)


if __name__ == "__main__":
    sys.exit(main())

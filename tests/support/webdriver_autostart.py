"""Turn "Start RoleKeeper at login" on or off in the manager window's Settings tab of
rolekeeper-desktop, as a person would, and save. For tests/tests/desktop_webdriver.rs.

Usage: webdriver_autostart.py DRIVER_URL APP SHOT_DIR on|off
Prints one JSON object: the box's state before and after, and the status line after saving.
"""
import os
import sys

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tauri_session import run


def main():
    driver_url, app, shots, want = sys.argv[1:5]

    def body(driver):
        wait = WebDriverWait(driver, 30)
        driver.find_element(By.ID, "tab-settings").click()
        wait.until(lambda d: d.find_element(By.ID, "start-at-login").is_displayed())
        wait.until(lambda d: d.find_element(By.ID, "settings-status").text == "")
        box = driver.find_element(By.ID, "start-at-login")
        before = box.is_selected()
        if before != (want == "on"):
            box.click()
        driver.find_element(By.ID, "settings-save").click()
        wait.until(lambda d: d.find_element(By.ID, "settings-status").text not in ("", "Saving…"))
        driver.save_screenshot(os.path.join(shots, f"settings-start-at-login-{want}.png"))
        return {"before": before, "after": driver.find_element(By.ID, "start-at-login").is_selected(),
                "status": driver.find_element(By.ID, "settings-status").text}

    return run(driver_url, app, body)


if __name__ == "__main__":
    sys.exit(main())

"""Look at the MFA dialog of rolekeeper-desktop through tauri-driver (WebKitWebDriver) and close
it with a key: its time left in words, its theme, how well the window fits what it shows, a
picture; then KEY (Escape or Ctrl+W) as a person presses it. For tests/tests/desktop_webdriver.rs.

Usage: webdriver_mfa_keys.py DRIVER_URL APP SHOT_DIR PICTURE_NAME escape|ctrl-w
tauri-driver starts APP; the session is ready once the dialog opens (the test clicks "Enter MFA
code…" in the tray meanwhile). Prints one JSON object.
"""
import os
import subprocess
import sys
import time

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from keyboard import THEME_JS, closing_key, focused, wait_closed, windows_titled
from tauri_session import run

TITLE = "Enter MFA code"

# Room left under the last line (the status line), and what the page measures.
FIT_JS = """
const status = document.getElementById('status');
return {
  inner_height: innerHeight,
  inner_width: innerWidth,
  below_status: innerHeight - status.getBoundingClientRect().bottom,
  scrolls: document.documentElement.scrollHeight > innerHeight + 1,
};
"""


def window_picture(path):
    """The dialog's X window as the X server has it: its real size, not the web view's."""
    ids = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", f"^{TITLE}$"],
                         capture_output=True, text=True, check=False).stdout.split()
    if ids:
        subprocess.run(["import", "-window", ids[0], path], check=False)


def main():
    driver_url, app, shots, picture, key = sys.argv[1:6]

    def body(driver):
        wait = WebDriverWait(driver, 30)
        wait.until(lambda d: d.find_element(By.ID, "code").is_displayed())
        wait.until(lambda d: d.find_element(By.ID, "countdown").is_displayed())
        time.sleep(1)  # the window is fitted to its content once the request shows
        result = {
            "title": driver.title,
            "countdown_label": driver.find_element(By.ID, "countdown-label").get_attribute("textContent"),
            "countdown": driver.find_element(By.ID, "countdown").get_attribute("textContent"),
            "headers": len(driver.find_elements(By.TAG_NAME, "header")),
            "theme": driver.execute_script(THEME_JS),
            "fit": driver.execute_script(FIT_JS),
            "focused": (focused(driver) or {}).get("id"),
            "open_before": windows_titled(TITLE),
        }
        driver.save_screenshot(os.path.join(shots, f"{picture}.png"))
        window_picture(os.path.join(shots, f"{picture}-window.png"))
        if key == "escape":
            closing_key(driver, Keys.ESCAPE)
        else:
            closing_key(driver, Keys.CONTROL, "w")
        result["closed"] = wait_closed(TITLE)
        return result

    return run(driver_url, app, body)


if __name__ == "__main__":
    sys.exit(main())

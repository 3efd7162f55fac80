"""Read the notice the manager window of rolekeeper-desktop shows on a desktop with no tray host
(the app opens the window by itself there). For tests/tests/desktop_webdriver.rs.

Usage: webdriver_tray_notice.py DRIVER_URL APP SHOT_DIR
Prints one JSON object: whether the notice is displayed and its text. Saves no-tray-host.png.
"""
import os
import sys
import time

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tauri_session import run


def main():
    driver_url, app, shots = sys.argv[1:4]

    def body(driver):
        try:
            WebDriverWait(driver, 30).until(lambda d: d.find_element(By.ID, "tray-notice").is_displayed())
        except Exception:
            return {"displayed": False, "text": driver.find_element(By.TAG_NAME, "body").text,
                    "title": driver.title, "url": driver.current_url}
        notice = driver.find_element(By.ID, "tray-notice")
        time.sleep(1)  # let the list below settle for the picture
        driver.save_screenshot(os.path.join(shots, "no-tray-host.png"))
        return {"title": driver.title, "displayed": notice.is_displayed(), "text": notice.text}

    return run(driver_url, app, body)


if __name__ == "__main__":
    sys.exit(main())

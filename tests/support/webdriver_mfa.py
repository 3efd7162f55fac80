"""Drive the MFA dialog of rolekeeper-desktop through tauri-driver (WebKitWebDriver), as a person
types: a wrong code first, then the right one. For tests/tests/desktop_webdriver.rs.

Usage: webdriver_mfa.py DRIVER_URL APP WRONG_CODE RIGHT_CODE SHOT_DIR
tauri-driver starts APP; automation attaches to the first web view the app creates, so the
session is only ready once the dialog opens (the test clicks "Enter MFA code…" in the tray
meanwhile). Prints one JSON line: what the dialog said after each code.
"""
import os
import sys
import time

from selenium.common.exceptions import ElementNotInteractableException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tauri_session import run


def status_of(driver):
    return driver.find_element(By.ID, "status").text


def type_code(driver, code):
    box = driver.find_element(By.ID, "code")
    deadline = time.time() + 20
    while True:  # a window being shown is not interactable for a moment
        try:
            box.click()
            break
        except ElementNotInteractableException:
            if time.time() > deadline:
                raise
            time.sleep(0.2)
    box.send_keys(code)  # six digits: the dialog submits by itself


def main():
    driver_url, app, wrong, right, shots = sys.argv[1:6]

    def body(driver):
        result = {}
        wait = WebDriverWait(driver, 30)
        wait.until(lambda d: d.find_element(By.ID, "code").is_displayed())
        # The request arrives from Rust just after the page loads.
        wait.until(lambda d: d.find_element(By.ID, "serial").get_attribute("textContent") not in ("", "…"))
        result["title"] = driver.title
        result["request"] = " ".join(
            driver.find_element(By.ID, i).get_attribute("textContent") for i in ("profile", "serial"))

        type_code(driver, wrong)
        wait.until(lambda d: "accept" in status_of(d) or "Code" in status_of(d))
        result["after_wrong"] = status_of(driver)
        result["field_after_wrong"] = driver.find_element(By.ID, "code").get_attribute("value")
        driver.save_screenshot(os.path.join(shots, "mfa-dialog-rejected.png"))

        type_code(driver, right)
        wait.until(lambda d: "Code accepted" in status_of(d))
        result["after_right"] = status_of(driver)
        driver.save_screenshot(os.path.join(shots, "mfa-dialog-accepted.png"))
        return result

    return run(driver_url, app, body)


if __name__ == "__main__":
    sys.exit(main())

"""Shape and activate a session in the manager window's Sessions tab of rolekeeper-desktop
through tauri-driver (WebKitWebDriver), as a person would: pick the delivery and the session
length in the session's row, click Activate, wait for the row to say it is fresh; then click
Open console and wait for the status line to say the console opened; then Copy the role ARN. For
tests/tests/desktop_webdriver.rs.

Usage: webdriver_sessions.py DRIVER_URL APP SHOT_DIR NAME
Prints one JSON object: the row's cells and choices before and after. Saves the web view's
picture (sessions-tab.png) in SHOT_DIR.
"""
import os
import sys

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from tauri_session import retry_stale, run


def row_of(driver, name):
    return driver.find_element(By.CSS_SELECTOR, f'#sessions-body tr[data-name="{name}"]')


def cells(driver, name):
    # The window re-lists sessions now and then, replacing the rows: read again when a row
    # goes stale under us.
    return retry_stale(lambda: cells_once(driver, name))


def cells_once(driver, name):
    row = row_of(driver, name)
    return {
        "state": row.find_element(By.CSS_SELECTOR, "td.state").text,
        "delivery": Select(row.find_element(By.CSS_SELECTOR, "select.delivery")).first_selected_option.text,
        "duration": Select(row.find_element(By.CSS_SELECTOR, "select.duration")).first_selected_option.text,
        "buttons": [b.text for b in row.find_elements(By.CSS_SELECTOR, "td.actions button")],
    }


def pick(driver, name, cls, text):
    retry_stale(lambda: Select(
        row_of(driver, name).find_element(By.CSS_SELECTOR, f"select.{cls}")).select_by_visible_text(text))


def main():
    driver_url, app, shots, name = sys.argv[1:5]

    def body(driver):
        wait = WebDriverWait(driver, 30)
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, f'#sessions-body tr[data-name="{name}"]'))
        before = cells(driver, name)
        for cls, text in [("delivery", "Process"), ("duration", "2 h")]:
            pick(driver, name, cls, text)
        # What was picked survives the window's re-listing of the sessions.
        wait.until(lambda d: cells(d, name)["delivery"] == "Process" and cells(d, name)["duration"] == "2 h")
        retry_stale(lambda: driver.find_element(
            By.CSS_SELECTOR, f'button[aria-label="Activate {name}"]').click())
        try:
            wait.until(lambda d: cells(d, name)["state"].startswith("fresh"))
        except Exception:
            driver.save_screenshot(os.path.join(shots, "sessions-tab-failed.png"))
            raise AssertionError(
                f"never fresh: {cells(driver, name)}; status: "
                f"{driver.find_element(By.ID, 'list-status').text!r}; error: "
                f"{driver.find_element(By.ID, 'session-error').get_attribute('textContent')!r}")
        after = cells(driver, name)
        driver.save_screenshot(os.path.join(shots, "sessions-tab.png"))
        status = driver.find_element(By.ID, "list-status").text
        retry_stale(lambda: driver.find_element(
            By.CSS_SELECTOR, f'button[aria-label="Open the AWS console as {name}"]').click())
        wait.until(lambda d: "the AWS console opened" in d.find_element(By.ID, "list-status").text
                   or not d.find_element(By.ID, "session-error").get_attribute("hidden"))
        console_status = driver.find_element(By.ID, "list-status").text
        console_error = driver.find_element(By.ID, "session-error").text
        # The role ARN's Copy: the tray puts it on the clipboard (it stays after the window).
        retry_stale(lambda: driver.find_element(
            By.CSS_SELECTOR, f'button[aria-label="Copy the role ARN of {name}"]').click())
        wait.until(lambda d: "Copied the role ARN" in d.find_element(By.ID, "list-status").text)
        return {"title": driver.title, "before": before, "after": after, "status": status,
                "console_status": console_status, "console_error": console_error,
                "copy_status": driver.find_element(By.ID, "list-status").text}

    return run(driver_url, app, body)


if __name__ == "__main__":
    sys.exit(main())

"""Sign in to IAM Identity Center from the manager window's Sources tab of rolekeeper-desktop,
through tauri-driver (WebKitWebDriver), as a person would: first with a device code (the dialog
shows it; the "user" confirms it at the fake Identity Center), then sign out, then in the browser
(support/sso_browser.py as BROWSER follows the redirect back to RoleKeeper). For
tests/tests/desktop_webdriver.rs.

Usage: webdriver_sso.py DRIVER_URL APP SHOT_DIR FAKE_URL BROWSER_LOG SESSION
tauri-driver starts APP; automation attaches to the first web view the app creates (the manager,
opened from the tray meanwhile). The dialog is a second window: it is seen and pictured through X
(xdotool, ImageMagick's import). Prints one JSON object: what the row said at each step, the
user code, whether the dialog closed by itself. Saves sources-sso.png (the tab, signed in) and
sso-device-dialog.png (the dialog's X window) in SHOT_DIR.
"""
import json
import os
import subprocess
import sys
import time
import urllib.parse
import urllib.request

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tauri_session import retry_stale, run

DIALOG = "^Sign in to AWS$"


def control(fake, path, body):
    request = urllib.request.Request(fake + path, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(request, timeout=10) as answer:
        answer.read()


def windows_named(name):
    return subprocess.run(["xdotool", "search", "--onlyvisible", "--name", name],
                          capture_output=True, text=True, check=False).stdout.split()


def eventually(check, seconds=30):
    deadline = time.time() + seconds
    while time.time() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    return check()


def user_code_from(log):
    """The user code of the last device URL the browser was sent to."""
    try:
        lines = open(log, encoding="utf-8").read().split()
    except FileNotFoundError:
        return None
    for url in reversed(lines):
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
        if "user_code" in query:
            return query["user_code"][0]
    return None


def main():
    driver_url, app, shots, fake, browser_log, session = sys.argv[1:7]

    def body(driver):
        result = {}
        wait = WebDriverWait(driver, 60)
        row_css = f'#sso-body tr[data-name="{session}"]'
        state = lambda d: d.find_element(By.CSS_SELECTOR, row_css + " td.state").text  # noqa: E731
        buttons = lambda d: [b.text for b in d.find_elements(By.CSS_SELECTOR, row_css + " button")]  # noqa: E731

        def click(label):
            def press(d):
                for b in d.find_elements(By.CSS_SELECTOR, row_css + " button"):
                    if b.text == label and b.is_enabled():
                        b.click()
                        return True
                return False
            wait.until(lambda d: retry_stale(lambda: press(d)))

        tab = wait.until(lambda d: d.find_element(By.ID, "tab-sources"))
        wait.until(lambda d: tab.is_displayed())
        tab.click()
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, row_css))
        result["before"] = {"state": retry_stale(lambda: state(driver)),
                            "buttons": retry_stale(lambda: buttons(driver)),
                            # textContent: WebDriver's visible text leaves out the one-line URL
                            "row": retry_stale(lambda: driver.find_element(By.CSS_SELECTOR, row_css)
                                               .get_attribute("textContent"))}

        # 1. With a device code: the dialog shows it until the user confirms it.
        control(fake, "/__fake/config", {"auto_approve": False})
        box = driver.find_element(By.ID, "sso-device-code")
        if not box.is_selected():
            box.click()
        click("Sign in")
        dialog = eventually(lambda: windows_named(DIALOG))
        result["dialog_opened"] = bool(dialog)
        code = eventually(lambda: user_code_from(browser_log))
        result["user_code"] = code
        time.sleep(1.5)  # let the dialog draw its prompt
        result["signing_in"] = retry_stale(lambda: state(driver))
        if dialog:
            subprocess.run(["import", "-window", dialog[0], os.path.join(shots, "sso-device-dialog.png")],
                           check=False)
        control(fake, "/__fake/approve", {"userCode": code})
        wait.until(lambda d: retry_stale(lambda: state(d)).startswith("signed in"))
        result["after_device"] = {"state": retry_stale(lambda: state(driver)),
                                  "buttons": retry_stale(lambda: buttons(driver))}
        result["dialog_closed"] = bool(eventually(lambda: not windows_named(DIALOG), 10))
        driver.save_screenshot(os.path.join(shots, "sources-sso.png"))
        ids = windows_named("^RoleKeeper$")
        if ids:
            subprocess.run(["import", "-window", ids[0], os.path.join(shots, "sources-sso-window.png")],
                           check=False)

        # 2. Sign out.
        click("Sign out")
        wait.until(lambda d: retry_stale(lambda: state(d)).startswith("not signed in"))
        result["after_sign_out"] = retry_stale(lambda: state(driver))

        # 3. In the browser: sso_browser.py follows /authorize back to RoleKeeper's listener.
        control(fake, "/__fake/config", {"auto_approve": True})
        box = driver.find_element(By.ID, "sso-device-code")
        if box.is_selected():
            box.click()
        click("Sign in")
        wait.until(lambda d: retry_stale(lambda: state(d)).startswith("signed in"))
        result["after_browser"] = retry_stale(lambda: state(driver))
        result["status"] = driver.find_element(By.ID, "sso-status").text
        return result

    return run(driver_url, app, body)


if __name__ == "__main__":
    sys.exit(main())

"""A WebDriver session on rolekeeper-desktop through tauri-driver, shared by the webdriver_*.py
clients: `run(driver_url, app, body)` starts the app, calls `body(driver)` for the result,
always ends the session, and prints the result as one JSON line.

tauri-driver starts APP; automation attaches to the first web view the app creates, so the
session is only ready once a window opens (each test clicks a tray item meanwhile).
"""
import json

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.options import ArgOptions


class TauriOptions(ArgOptions):
    @property
    def default_capabilities(self):
        return {}


def retry_stale(action, tries=10):
    """`action()`, again when the window replaced the element under us (it re-renders lists)."""
    for _ in range(tries - 1):
        try:
            return action()
        except StaleElementReferenceException:
            continue
    return action()


def run(driver_url, app, body):
    options = TauriOptions()
    options.set_capability("browserName", "wry")
    options.set_capability("tauri:options", {"application": app, "args": []})
    driver = webdriver.Remote(command_executor=driver_url, options=options)
    try:
        result = body(driver)
    finally:
        try:
            driver.quit()
        except Exception:  # a window that closed itself may have taken the session along
            pass
    print(json.dumps(result))
    return 0

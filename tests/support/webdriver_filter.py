"""Narrow the manager window's Sessions tab of rolekeeper-desktop with its filter box, as a
person would, through tauri-driver (WebKitWebDriver). For tests/tests/desktop_webdriver.rs.

Usage: webdriver_filter.py DRIVER_URL APP SHOT_DIR TOTAL QUERY...
Waits for TOTAL rows, then for each QUERY types it into the empty filter box and reads what is
left; then presses Escape. Prints one JSON object: per query the rows' names and the count
beside the box, and the same after Escape. Saves sessions-300.png (no filter),
sessions-300-filtered.png (the first query) and sources-300.png (the Sources tab beside them)
in SHOT_DIR.
"""
import os
import sys

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from tauri_session import retry_stale, run


def shown(driver):
    """The names of the rows shown, the count beside the box, and the message if no row."""
    def read():
        # In one round trip: reading 300 rows one by one over WebDriver takes seconds.
        names = driver.execute_script(
            "return document.getElementById('sessions').hidden ? [] : "
            "[...document.querySelectorAll('#sessions-body tr')].map((r) => r.dataset.name);")
        empty = driver.find_element(By.ID, "empty")
        return {
            "names": names,
            "count": driver.find_element(By.ID, "session-filter-count").text,
            "message": empty.text if empty.is_displayed() else "",
        }
    return retry_stale(read)


def main():
    driver_url, app, shots, total, *queries = sys.argv[1:]
    total = int(total)

    def body(driver):
        wait = WebDriverWait(driver, 30)
        wait.until(lambda d: len(shown(d)["names"]) == total)
        box = driver.find_element(By.ID, "session-filter")
        label = driver.find_element(By.CSS_SELECTOR, 'label[for="session-filter"]').text
        before = shown(driver)
        driver.save_screenshot(os.path.join(shots, "sessions-300.png"))
        results = []
        for i, query in enumerate(queries):
            box.send_keys(query)
            # Typing narrows at once: wait for the rows to settle on what the count says.
            wait.until(lambda d: shown(d)["count"].startswith(f"{len(shown(d)['names'])} of"))
            results.append({"query": query, **shown(driver),
                            "focused": driver.switch_to.active_element == box})
            if i == 0:
                driver.save_screenshot(os.path.join(shots, "sessions-300-filtered.png"))
            box.send_keys(Keys.CONTROL, "a")
            box.send_keys(Keys.DELETE)
        box.send_keys(queries[0])
        wait.until(lambda d: len(shown(d)["names"]) < total)
        box.send_keys(Keys.ESCAPE)
        wait.until(lambda d: len(shown(d)["names"]) == total)
        after = {**shown(driver), "value": box.get_attribute("value")}
        driver.find_element(By.ID, "tab-sources").click()
        wait.until(lambda d: d.find_element(By.ID, "import-status").get_attribute("textContent"))
        driver.save_screenshot(os.path.join(shots, "sources-300.png"))
        return {"label": label, "before": before, "queries": results, "after_escape": after}

    return run(driver_url, app, body)


if __name__ == "__main__":
    sys.exit(main())

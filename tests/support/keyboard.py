"""Keys as a person presses them, for the webdriver_*.py clients that drive windows by keyboard:
each key goes to whatever has focus (W3C actions), chords hold their modifier, and a key that
closes the window tolerates the window going away mid-answer.
"""
import subprocess
import sys
import time

from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.action_chains import ActionChains

FOCUSED_JS = """
const el = document.activeElement;
if (!el || el === document.body) return null;
const cs = getComputedStyle(el);
return {
  wd: el.dataset.wd ?? null,
  id: el.id || (el.getAttribute('aria-label') || el.textContent).trim(),
  ring: cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) >= 1,
};
"""
THEME_JS = """
return {
  theme: document.documentElement.dataset.theme ?? null,
  background: getComputedStyle(document.documentElement).backgroundColor,
  text: getComputedStyle(document.documentElement).color,
  prefers_dark: matchMedia('(prefers-color-scheme: dark)').matches,
};
"""


def step(what):
    """Progress on stderr: a hung WebDriver call shows where it hung."""
    print(f"webdriver_keyboard: {what}", file=sys.stderr, flush=True)


def keys(driver, *sequence):
    ActionChains(driver).send_keys(*sequence).perform()


def chord(driver, modifier, key):
    """`key` pressed while `modifier` is held (Ctrl+W, Shift+Tab)."""
    ActionChains(driver).key_down(modifier).send_keys(key).key_up(modifier).perform()


def closing_key(driver, *sequence):
    """A key that closes the window: the window, and with its last window the window process
    (the session's browser), may be gone before the driver answers."""
    try:
        if len(sequence) == 2:
            chord(driver, *sequence)
        else:
            keys(driver, *sequence)
    except WebDriverException:
        pass


def focused(driver):
    """The focused element: its data-wd mark, its id (else its name) and whether its focus ring shows."""
    return driver.execute_script(FOCUSED_JS)


def windows_titled(title):
    """How many visible X windows are titled exactly `title`."""
    out = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", f"^{title}$"],
                         capture_output=True, text=True, check=False).stdout
    return len(out.split())


def wait_closed(title, seconds=10):
    """Whether the window titled `title` is gone within `seconds`."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        if windows_titled(title) == 0:
            return True
        time.sleep(0.2)
    return False

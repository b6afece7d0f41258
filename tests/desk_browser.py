"""Driving the desk (``notices serve``) in a real browser: Debian's headless Chromium.

Shared by the browser test (tests/test_serve_browser.py) and the tool that makes the
README's screenshots (tools/screenshots.py), so the pictures show what the test saw.
The server is the real command (``notices serve --port 0``) in a subprocess over a
workspace made by ``notices init`` with the repository's sample records and sessions.
Selenium is pointed at /usr/bin/chromedriver and /usr/bin/chromium and told to stay
offline, so Selenium Manager never downloads a browser or a driver.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
SEED = "records/2023/baumheide.yaml"
_URL = re.compile(r"at (http://127\.0\.0\.1:\d+/)")


def browser_available() -> bool:
    return CHROMIUM.exists() and CHROMEDRIVER.exists()


def sample_workspace(target: Path) -> Path:
    """``notices init`` plus the repository's sample records, sessions and registry."""
    from notices.scaffold import init_workspace

    init_workspace(target)
    shutil.rmtree(target / "records")
    shutil.copytree(REPO / "records", target / "records")
    shutil.copytree(REPO / "sessions", target / "sessions")
    shutil.copy(REPO / "notices.toml", target / "notices.toml")
    return target


class RunningDesk:
    """A ``notices serve`` process: its URL, its stderr so far, and how it ended."""

    def __init__(self, process: subprocess.Popen, url: str, log_path: Path):
        self.process = process
        self.url = url
        self.log_path = log_path
        self.returncode: int | None = None

    @property
    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


@contextlib.contextmanager
def running_desk(root: Path, log_path: Path, *, timeout: float = 30):
    """Start ``notices serve --no-browser --port 0`` in ``root``; stop it with Ctrl-C."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "notices", "serve", "--no-browser", "--port", "0"],
            cwd=root, stdout=log, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + timeout
    url = None
    while url is None:
        match = _URL.search(log_path.read_text(encoding="utf-8", errors="replace"))
        if match:
            url = match.group(1)
        elif process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"notices serve did not start:\n{log_path.read_text()}")
        else:
            time.sleep(0.05)
    desk = RunningDesk(process, url, log_path)
    try:
        yield desk
    finally:
        process.send_signal(signal.SIGINT)
        try:
            desk.returncode = process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            desk.returncode = process.wait()


def chrome(width: int = 1200, height: int = 900):
    """Headless Debian Chromium through Debian's chromedriver; nothing is downloaded."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager: never reach out
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu",
                     "--disable-dev-shm-usage", f"--window-size={width},{height}",
                     "--lang=de-DE", "--force-device-scale-factor=1"):
        options.add_argument(argument)
    return webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))


def wait_for(condition, timeout: float = 30, interval: float = 0.1, what: str = ""):
    """Poll ``condition()`` until it returns something true; its value."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = condition()
        except Exception:  # noqa: BLE001 - the page is still changing
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        time.sleep(interval)


def text_of(driver, css: str) -> str:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.CSS_SELECTOR, css).text


def fill(driver, name: str, value: str) -> None:
    """Type ``value`` into the form field ``name`` (its old text replaced)."""
    from selenium.webdriver.common.by import By

    element = driver.find_element(By.NAME, name)
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    element.clear()
    element.send_keys(value)


def set_value(driver, name: str, value: str) -> None:
    """Set a field whose widget has its own keyboard (a date input): as a script would."""
    from selenium.webdriver.common.by import By

    element = driver.find_element(By.NAME, name)
    driver.execute_script("arguments[0].value = arguments[1]", element, value)


def click(driver, css: str) -> None:
    from selenium.webdriver.common.by import By

    element = driver.find_element(By.CSS_SELECTOR, css)
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    element.click()


def shoot(driver, path: Path, *, full_page: bool = True) -> Path:
    """A PNG of the page (the whole page's height, at most 3000 pixels)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if full_page:
        height = driver.execute_script("return document.documentElement.scrollHeight")
        width = driver.get_window_size()["width"]
        driver.set_window_size(width, min(max(int(height) + 120, 600), 3000))
    driver.execute_script("window.scrollTo(0, 0)")
    driver.save_screenshot(str(path))
    return path

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


def _fetch(url: str) -> bytes:
    """The bytes at ``url`` now (the PDF the preview's frame shows)."""
    import urllib.request

    with urllib.request.urlopen(url) as response:
        return response.read()


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


SUBJECT = "INSEK Baumheide – Fortführung des Quartiersmanagements Baumheide"
FROM_EDITOR = "Quartiersmanagement Baumheide, verlängert bis 2027"
FROM_FORM = "Quartiersmanagement Baumheide: Fortführung bis 2027"


def walk_through(driver, desk: RunningDesk, root: Path, shots: Path, *,
                 live_timeout: float = 30) -> dict:
    """The clerk's round: overview, the seed's preview, a save in an editor and one in the
    form (both seen live in the open preview), a conflict, a new Beschlussvorlage with a
    missing field. One screenshot per page into ``shots``; returns what was seen."""
    from selenium.webdriver.common.by import By

    seen: dict = {}
    driver.get(desk.url)
    wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, "table.papers tbody tr"),
             what="the overview's papers")
    seen["overview_rows"] = len(driver.find_elements(By.CSS_SELECTOR, "table.papers tbody tr"))

    # The seed paper's preview: built on opening, the browser's PDF viewer in the page.
    click(driver, f'a[href="/vorschau/{SEED}"]')
    wait_for(lambda: driver.find_elements(By.ID, "pdf"), 90, what="the seed's PDF")
    seen["preview_subject"] = text_of(driver, "#subject")
    wait_for(lambda: driver.execute_script("return document.body.dataset.listening"),
             what="the preview listening for changes")
    time.sleep(1.5)  # the PDF viewer draws its first page
    shoot(driver, shots / "vorschau.png", full_page=False)
    preview = driver.current_window_handle

    # An editor saves the record: the open preview follows by itself.
    record = root / SEED
    started = time.monotonic()
    record.write_text(record.read_text(encoding="utf-8").replace(SUBJECT, FROM_EDITOR),
                      encoding="utf-8")
    wait_for(lambda: text_of(driver, "#subject") == FROM_EDITOR, live_timeout,
             what="the preview to show the editor's subject")
    seen["editor_seconds"] = time.monotonic() - started
    seen["pdf_after_editor"] = _fetch(driver.find_element(By.ID, "pdf").get_attribute("src"))

    # The form in a second tab: change the subject, save; the first tab follows.
    driver.switch_to.new_window("tab")
    driver.get(desk.url + "bearbeiten/" + SEED)
    fill(driver, "subject", FROM_FORM)
    shoot(driver, shots / "bearbeiten.png")
    driver.set_window_size(1200, 900)
    started = time.monotonic()
    click(driver, 'button[value="save"]')
    wait_for(lambda: "Gespeichert." in text_of(driver, ".notice"), what="the save")
    form_tab = driver.current_window_handle
    driver.switch_to.window(preview)
    wait_for(lambda: text_of(driver, "#subject") == FROM_FORM, live_timeout,
             what="the preview to show the form's subject")
    seen["form_seconds"] = time.monotonic() - started
    seen["pdf_after_form"] = _fetch(driver.find_element(By.ID, "pdf").get_attribute("src"))

    # No lost edits: the form was loaded, then an editor saved; the form's save is refused.
    driver.switch_to.window(form_tab)
    driver.get(desk.url + "bearbeiten/" + SEED)
    record.write_text(record.read_text(encoding="utf-8").replace(
        "signatory: Dodenhoff", "signatory: Dodenhoff (im Editor)"), encoding="utf-8")
    fill(driver, "signatory", "Dodenhoff (im Formular)")
    click(driver, 'button[value="save"]')
    seen["conflict_heading"] = wait_for(lambda: text_of(driver, "h1"), what="the 409 page")
    seen["conflict_file"] = record.read_text(encoding="utf-8")
    shoot(driver, shots / "konflikt.png")
    driver.set_window_size(1200, 900)

    # A new Beschlussvorlage from the form, its proposal left out.
    driver.get(desk.url + "neu")
    shoot(driver, shots / "neu-auswahl.png", full_page=False)
    driver.find_element(By.CSS_SELECTOR, '#art option[value="beschlussvorlage"]').click()
    driver.find_element(By.XPATH, '//select[@id="amt"]/option[text()="Bauamt"]').click()
    click(driver, "form.new-form button")
    wait_for(lambda: driver.find_elements(By.NAME, "proposal"), what="the new form")
    for name, value in {"subject": "Neue Bänke am Quartiersplatz Baumheide",
                        "file_number": "600.40", "contact.name": "Frau Bültmann",
                        "contact.phone": "0521 513224",
                        "consultations[0].committee": "Bezirksvertretung Heepen",
                        "consultations[0].agenda_item": "7", "reasons": "Die Bürgerbeteiligung "
                        "hat **mehr Sitzplätze im Schatten** gewünscht.",
                        "finances": "keine", "signatory": "Dodenhoff"}.items():
        fill(driver, name, value)
    set_value(driver, "consultations[0].date", "2023-05-11")
    wait_for(lambda: "mehr Sitzplätze im Schatten" in text_of(driver, "#md-reasons strong"),
             what="the Markdown preview")
    click(driver, 'button[value="save"]')
    seen["missing_message"] = wait_for(lambda: text_of(driver, "#problem-proposal-1"),
                                       what="the message at the missing field")
    seen["new_path"] = driver.current_url.split("/bearbeiten/")[1].split("?")[0]
    driver.execute_script("document.getElementById('f-proposal').scrollIntoView("
                          "{block: 'center'})")
    shoot(driver, shots / "neu.png")

    # Back to the overview: the new paper is there, a draft with an error.
    driver.set_window_size(1200, 900)
    driver.get(desk.url)
    row = f'tr[data-path="{seen["new_path"]}"]'
    seen["new_statuses"] = wait_for(lambda: text_of(driver, row + " td:nth-child(5)"),
                                    what="the new paper in the overview")
    shoot(driver, shots / "uebersicht.png")
    return seen

"""Debian's chromium through /usr/bin/chromedriver (scripts/browser.sh installs both):
no browser download, a fresh profile per browser."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--lang=ro")


def chrome(width: int = 1280, height: int = 720):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    for path in (CHROMIUM, CHROMEDRIVER):
        if not os.access(path, os.X_OK):
            raise RuntimeError(f"{path} is missing: run scripts/browser.sh install")
    os.environ["SE_OFFLINE"] = "true"    # selenium must not look for a browser to download
    profile = tempfile.mkdtemp(prefix="procedura-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.add_argument(f"--window-size={width},{height}")
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    driver.implicitly_wait(3)    # an element of the page being loaded after a click
    driver.profile_dir = profile
    return driver


def screenshot(driver, directory: Path, name: str, full_page: bool = True) -> Path:
    """The page as the user sees it (the whole height of the page when `full_page`)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.png"
    size = driver.get_window_size()
    if full_page:
        height = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(size["width"], max(size["height"], min(height + 140, 4000)))
    driver.save_screenshot(str(path))
    if full_page:
        driver.set_window_size(size["width"], size["height"])
    return path

"""Browser tests: Debian's chromium drives the web interface of a gateway started with
every service as its own process (the e2e environment), on the demo organisation."""
from __future__ import annotations

from pathlib import Path

import pytest
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser import scenario as scenarios
from tests.browser.driver import chrome, screenshot
from tests.e2e.conftest import gateway, login, org, services  # noqa: F401
from tests.testenv import TestEnvironment

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def environment(stack, run_id):
    """An environment of its own (not the e2e suite's, which may run in the same session):
    its own run id, and a gateway port the e2e one does not use."""
    env = TestEnvironment(f"{run_id}b")
    env.create()
    yield env
    env.destroy()


@pytest.fixture(scope="session")
def scenario(gateway, org, login):  # noqa: F811
    return scenarios.build(gateway, org, login)


@pytest.fixture(scope="session")
def shots(environment) -> Path:
    """Screenshots of this run: .stack/test-runs/<run>/screenshots/<name>.png"""
    return Path(environment.env["PROCEDURA_RUN_DIR"]) / "screenshots"


@pytest.fixture(scope="session")
def passwords(org):  # noqa: F811
    return {u["username"]: u["password"] for u in org["users"]}


class Browser:
    """One person's browser: a fresh chromium profile."""

    def __init__(self, gateway: str, passwords: dict, shots: Path, width: int, height: int):
        self.driver = chrome(width, height)
        self.gateway = gateway
        self.passwords = passwords
        self.shots = shots

    def open(self, path: str):
        self.driver.get(self.gateway + path)
        return self

    def find(self, css: str):
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def find_all(self, css: str):
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def text(self, css: str = "main") -> str:
        return self.find(css).text

    def flash(self, timeout: float = 20) -> str:
        """The message of the page a form led to (its `p.notice`), waited for: pages with
        a document viewer carry a status line of their own (role=status) that the old
        page still shows while the new one loads."""
        return self.wait_for("p.notice[role=status]", timeout).text

    def wait(self, condition, timeout: float = 20):
        return WebDriverWait(self.driver, timeout).until(condition)

    def wait_for(self, css: str, timeout: float = 20):
        return self.wait(EC.presence_of_element_located((By.CSS_SELECTOR, css)), timeout)

    def log_in(self, username: str, password: str | None = None, path: str = "/login"):
        self.open(path)
        self.find("#username").send_keys(username)
        self.find("#password").send_keys(password or self.passwords[username])
        before = self.find("form.stack")
        self.find("form.stack button[type=submit]").click()
        # wait for the answer (the page asked for, or the login page again with its message)
        self.wait_gone(before)
        return self

    def wait_gone(self, element, timeout: float = 20):
        """Until `element`'s page has been replaced. Mid-navigation chromedriver may answer
        "node does not belong to the document" instead of a stale element: gone too."""
        def gone(_driver) -> bool:
            try:
                element.is_enabled()
            except WebDriverException:   # StaleElementReferenceException is one
                return True
            return False
        return self.wait(gone, timeout)

    @property
    def path(self) -> str:
        return self.driver.current_url[len(self.gateway):]

    def screenshot(self, name: str, full_page: bool = True) -> Path:
        return screenshot(self.driver, self.shots, name, full_page)

    def no_horizontal_scroll(self) -> bool:
        return self.driver.execute_script(
            "return document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.fixture
def browser(gateway, passwords, shots):  # noqa: F811
    """A factory of browsers (one per person of the test), all closed at the end."""
    opened: list[Browser] = []

    def make(width: int = 1280, height: int = 720) -> Browser:
        opened.append(Browser(gateway, passwords, shots, width, height))
        return opened[-1]

    yield make
    for b in opened:
        b.driver.quit()

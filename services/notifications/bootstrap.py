"""The notifications service's providers beyond the shared ones: they wire its settings,
the signing chain's steps and the clock."""
from __future__ import annotations

from nameko.extensions import DependencyProvider

from services.common.settings import Settings
from services.contracts.signing import load_steps
from services.common.clock import CityHallClock
from services.notifications.settings import NotificationSettings


class NotificationSettingsProvider(DependencyProvider):
    """Hands workers the NotificationSettings, parsed once in setup()."""

    def setup(self):
        self.settings = NotificationSettings.from_config(self.container.config)

    def get_dependency(self, worker_ctx):
        return self.settings


class SigningStepsProvider(DependencyProvider):
    """The signing chain's steps as the settings' file sets them (who signs each, and
    whether departments give opinions): who is told that a revision waits follows them."""

    def setup(self):
        self.steps = load_steps(Settings.from_config(self.container.config)
                                .workflows_file)

    def get_dependency(self, worker_ctx):
        return self.steps


class ClockProvider(DependencyProvider):
    """Hands workers the city hall's clock (the settings' time zone): every date the use
    cases reckon with comes from it, so tests can move it (tests/unit/fakes.py FakeClock)."""

    def setup(self):
        self.clock = CityHallClock(NotificationSettings.from_config(self.container.config)
                                 .timezone)

    def get_dependency(self, worker_ctx):
        return self.clock

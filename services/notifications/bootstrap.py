"""The notifications service's providers beyond the shared ones: they wire its settings."""
from __future__ import annotations

from nameko.extensions import DependencyProvider

from services.notifications.settings import NotificationSettings


class NotificationSettingsProvider(DependencyProvider):
    """Hands workers the NotificationSettings, parsed once in setup()."""

    def setup(self):
        self.settings = NotificationSettings.from_config(self.container.config)

    def get_dependency(self, worker_ctx):
        return self.settings

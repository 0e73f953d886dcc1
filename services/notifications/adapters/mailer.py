"""The SMTP adapter: hands one message to the city hall's mail server."""
from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from services.notifications.settings import EmailSettings

# what a failed attempt may raise: the server refused, or could not be reached
DELIVERY_ERRORS = (smtplib.SMTPException, OSError)


class Mailer:
    def __init__(self, settings: EmailSettings):
        self.settings = settings

    def send(self, to: str, subject: str, body: str, message_id: str | None = None) -> None:
        """Raises one of DELIVERY_ERRORS when the server does not accept the message."""
        message = EmailMessage()
        message["From"] = self.settings.sender
        message["To"] = to
        message["Subject"] = subject
        message["Date"] = formatdate(localtime=True)
        message["Message-ID"] = message_id or make_msgid(domain=self.settings.default_domain)
        message.set_content(body)      # UTF-8: ș ț ă â î travel intact
        with smtplib.SMTP(self.settings.smtp_host, self.settings.smtp_port,
                          timeout=self.settings.smtp_timeout_seconds) as smtp:
            smtp.send_message(message)

"""Every password in a URL that a log line of Procedura's processes would carry, masked.

The services reach a RabbitMQ cluster through an AMQP_URI that names every node
(`pyamqp://u:p@rabbitmq-0:5672/procedura;pyamqp://u:p@rabbitmq-1:5672/procedura;...`,
kombu moves to the next when one dies). nameko's queue consumer logs
"Error connecting to broker at <AMQP_URI>" through `nameko.utils.sanitize_url`, which
parses the whole string as one URL and so masks the first password only: the second
and third reach the log in clear. kombu's own lines (`Connection.as_uri`) show the
current node only, masked. Rather than patch each library's line, the handlers of
config/procedura.yaml's LOGGING pass every record through `MaskPasswords`, so a line
written by any library or by Procedura never shows a URL's password.
"""
from __future__ import annotations

import logging
import re

MASK = "***"
# scheme://user:password@ : the password runs to the `@` and holds no `/`, `;` or
# space (RFC 3986 userinfo; a `;` separates kombu's URLs), so `http://host:9200/a@b`
# is not taken for one
_PASSWORD_IN_URL = re.compile(
    r"(?P<head>\b[A-Za-z][A-Za-z0-9+.\-]*://[^:/@;\s]*:)[^@/;\s]+@")


def mask_passwords(text: str) -> str:
    """`text` with the password of every URL in it replaced by ***."""
    return _PASSWORD_IN_URL.sub(lambda m: f"{m['head']}{MASK}@", text)


class MaskPasswords(logging.Filter):
    """A handler filter: the record's message (arguments merged in) and its traceback
    text with every URL password masked. It changes the record itself, so every handler
    after it writes the masked line; it never drops a record."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:   # a malformed call: let the handler report it as usual
            return True
        masked = mask_passwords(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            # the formatter keeps exc_text once made: make it here, masked
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_passwords(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_passwords(record.stack_info)
        return True

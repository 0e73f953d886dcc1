"""The e-mail tests' SMTP server: devenv/mailserver.py (a benchmark starts it too)."""
from devenv.mailserver import Handler, MailServer, main  # noqa: F401

if __name__ == "__main__":
    main()

"""WSGI entry point: ``gunicorn wsgi:app`` or ``flask --app wsgi ...``."""

import sys

from referral import create_app
from referral.core.config import ConfigurationError

try:
    app = create_app()
except ConfigurationError as exc:
    # One line naming the variable, not a traceback: an operator's typo is not a crash.
    print(f"configuration error: {exc}", file=sys.stderr)
    raise SystemExit(2) from None

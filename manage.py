#!/usr/bin/env python
"""Django's command-line utility for AI-Ticker."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aiticker.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line
    from django.db import DatabaseError

    try:
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as exc:
        # A bad setting is an operator's typo, not a bug: one line naming the variable, no traceback.
        sys.stderr.write(f"Configuration error: {exc}\n")
        sys.exit(2)
    except DatabaseError as exc:
        # An unreachable or unmigrated database is the operator's to fix; say what to check in one line.
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        sys.stderr.write(
            f"Database error: {first_line}. Check DATABASE_URL, and run `manage.py migrate` if tables are missing.\n"
        )
        sys.exit(1)


if __name__ == "__main__":
    main()

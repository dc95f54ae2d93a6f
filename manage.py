#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pospro.settings")
    # Commands (migrations, imports, backfills) run as long as they need; the web's
    # statement_timeout is for requests. gunicorn loads pospro.wsgi, not this file.
    os.environ.setdefault("POSPRO_DB_STATEMENT_TIMEOUT_MS", "0")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()

#!/usr/bin/env python
"""The host project's manage.py: a minimal Django project that uses realtime as any host would."""

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hostproject.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)

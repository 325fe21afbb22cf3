"""The WSGI entry point: `flask --app app run` and `gunicorn app:app` load this."""

import gc
import sys

from diary import create_app
from diary.config import ConfigError

try:
    app = create_app()
except ConfigError as error:
    # One line that names the variable and how to set it, not a traceback.
    sys.exit(f"Block Diary will not start: {error}")
# What start-up made lives as long as the process: keep it out of the cycle collector's
# scans, which otherwise walk it again and again during a long export.
gc.freeze()

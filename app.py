"""The WSGI entry point: `flask --app app run` and `gunicorn app:app` load this."""

import gc

from diary import create_app

app = create_app()
# What start-up made lives as long as the process: keep it out of the cycle collector's
# scans, which otherwise walk it again and again during a long export.
gc.freeze()

"""The WSGI entry point: `flask --app app run` and `gunicorn app:app` load this."""

import gc
import sys

# Start-up makes objects that live as long as the process: the cycle collector would scan
# them over and over while the modules load (about a seventh of start-up) only for
# gc.freeze below to set them aside for good.
collecting = gc.isenabled()
gc.disable()
try:
    from diary import create_app
    from diary.config import ConfigError

    try:
        app = create_app()
    except ConfigError as error:
        # One line that names the variable and how to set it, not a traceback.
        sys.exit(f"Block Diary will not start: {error}")
    # Kept out of the collector's scans, which otherwise walk it again and again during a
    # long export.
    gc.freeze()
finally:
    if collecting:
        gc.enable()

"""The WSGI entry point: `flask --app app run` and `gunicorn app:app` load this."""

from diary import create_app

app = create_app()

"""The WSGI entry point: `flask --app wsgi …` and `gunicorn wsgi:app`."""
from app import create_app
from app.core.heap import settle_heap

app = create_app()
settle_heap()   # what start-up built lives as long as the worker: out of the garbage collector's walks

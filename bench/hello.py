"""The yardstick: a bare Flask "hello", served exactly like the platform."""
from flask import Flask

app = Flask(__name__)


@app.route("/")
def hello():
    return "hello"

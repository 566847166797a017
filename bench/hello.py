"""The hello-world Flask app `python -m bench http` compares the portal with, under the same gunicorn settings."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return "Hello, World!"

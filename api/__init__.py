"""The HTTP API: a Flask app factory with one blueprint per resource."""
from api.app import create_app

__all__ = ["create_app"]

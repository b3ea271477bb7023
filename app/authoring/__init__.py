"""Authoring: one content model behind two doors (files and the browser), its history and its editors."""
from flask import Blueprint

bp = Blueprint("authoring", __name__, url_prefix="/authoring")

"""Authoring: one content model behind two doors (files and the browser), its history and its editors."""
from flask import Blueprint

from app.authoring.languages import template_languages

bp = Blueprint("authoring", __name__, url_prefix="/authoring")
bp.context_processor(template_languages)

"""The contests' blueprint; its pages are in `participant` and `console`. Named for the contests package, so its
templates are the package's."""

from flask import Blueprint

bp = Blueprint("contests", "portal.contests", template_folder="templates")

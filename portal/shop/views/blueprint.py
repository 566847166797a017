"""The shop's blueprint; its pages are in `participant` and `console`. Named for the shop package, so its
templates are the package's."""

from flask import Blueprint

bp = Blueprint("shop", "portal.shop", template_folder="templates")

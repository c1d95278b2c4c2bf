from flask import Blueprint

bp = Blueprint("aid", __name__, url_prefix="/aid")

from flask import Blueprint

bp = Blueprint("libraries", __name__, url_prefix="/libraries")
staff_bp = Blueprint("libraries_staff", __name__, url_prefix="/staff/libraries")

"""The REST API for partner systems (/api/v1, flask-smorest) and the pages that manage its keys and imports."""

import http
import json
import os

from flask import Flask, current_app, render_template, request, url_for
from flask_babel import force_locale
from flask_smorest import Api
from flask_smorest.utils import prepare_response
from werkzeug.exceptions import HTTPException

from .errors import PROBLEM_JSON, http_problem, problem
from .reference import N_, reader_locale, translate_document

API_PREFIX = "/api/"


class ProblemApi(Api):
    """flask-smorest, with errors documented as problem+json and handled by the API blueprint only."""

    def _register_error_handlers(self):
        # flask-smorest would answer JSON for the whole app; the HTML pages keep theirs (see init_api).
        pass

    def _register_responses(self):
        from .schemas import Problem

        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = Problem
            prepare_response(response, self.spec, PROBLEM_JSON)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": N_("Error (application/problem+json)"), "schema": Problem}
        prepare_response(response, self.spec, PROBLEM_JSON)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)

    def _openapi_json(self):
        """The document in the reader's language (?lang=, the signed-in person's, or Accept-Language)."""
        locale = reader_locale()
        with force_locale(locale):
            document = translate_document(self.spec.to_dict())
        response = current_app.response_class(json.dumps(document, indent=2, ensure_ascii=False),
                                              mimetype="application/json")
        response.headers["Content-Language"] = locale
        response.vary.update(("Accept-Language", "Cookie"))
        return response

    def _openapi_swagger_ui(self):
        """Swagger UI reading the document in the reader's language."""
        locale = reader_locale()
        with force_locale(locale):
            title = translate_document({"title": self.spec.title})["title"]
        return render_template("swagger_ui.html", title=title, swagger_ui_url=self._swagger_ui_url,
                               spec_url=url_for(f"{self._make_doc_blueprint_name()}.openapi_json", lang=locale),
                               swagger_ui_config=self.config.get("OPENAPI_SWAGGER_UI_CONFIG", {}))


def init_api(app: Flask) -> None:
    """Mount /api/v1, its OpenAPI document and docs. Call after the HTML error pages are registered."""
    from portal.extensions import csrf

    from . import endpoints, lead_endpoints, upd_endpoints  # noqa: F401 - the routes
    from .blueprint import bp

    for name, value in {
        "API_TITLE": N_("Partner loyalty portal API"),
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.1.0",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": "docs",
        "OPENAPI_SWAGGER_UI_URL": "/static/vendor/swagger-ui/",
        "API_RATE_LIMIT": os.environ.get("API_RATE_LIMIT", "600 per minute"),
        "API_SPEC_OPTIONS": {
            "info": {"description": N_(
                "Keys are created on the portal, menu Integrations (partner admins for their company, the program "
                "team for the whole program). Send `Authorization: Bearer <key>`. POSTs take an optional "
                "`Idempotency-Key`. Errors are application/problem+json in the language of Accept-Language "
                "(Russian by default), with the fields that are wrong in `errors`. JSON is UTF-8. This reference "
                "is in Russian and English: `?lang=ru` or `?lang=en`.")},
            "security": [{"apiKey": []}],
            "components": {"securitySchemes": {"apiKey": {"type": "http", "scheme": "bearer"}}},
            "servers": [{"url": "/"}],
        },
    }.items():
        app.config.setdefault(name, value)
    api = ProblemApi(app)
    csrf.exempt(bp)
    api.register_blueprint(bp)
    app.extensions["portal-api"] = api
    _answer_api_errors_as_problems(app)


def _answer_api_errors_as_problems(app: Flask) -> None:
    """Errors raised before a blueprint is known (unknown URL, wrong method) get problem+json under /api."""
    handlers = app.error_handler_spec[None]
    for code in list(handlers):
        for cls, handler in list(handlers[code].items()):
            handlers[code][cls] = _api_first(handler)

    @app.errorhandler(HTTPException)
    def any_http_error(error):
        if request.path.startswith(API_PREFIX):
            return http_problem(error)
        return error


def _api_first(handler):
    def handle(error):
        if request.path.startswith(API_PREFIX):
            if isinstance(error, HTTPException) and error.code != 500:
                return http_problem(error)
            return problem(500)
        return handler(error)

    return handle

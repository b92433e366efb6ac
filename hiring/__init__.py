"""hiring: structured interviews and transparent candidate scoring for ML teams.

:func:`create_app` builds everything; it is cheap and has no side effects beyond reading the
configuration (and, in development, creating the instance folder and its secret key). The only
module-level app lives in ``wsgi.py``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from .config import load_config

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the Flask application: configuration layers, extensions, blueprints, commands."""
    config = load_config(test_config=test_config)
    app = Flask(
        __name__,
        instance_path=config["INSTANCE_PATH"],
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder="static",
    )
    app.config.update(config)
    app.logger.setLevel(getattr(logging, str(app.config["LOG_LEVEL"]).upper(), logging.INFO))

    if int(app.config["TRUST_PROXY"]) > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = int(app.config["TRUST_PROXY"])
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops, x_prefix=hops
        )

    from . import db

    db.init_app(app)

    from .web import init_web

    init_web(app)

    from .cli import register_commands

    register_commands(app)
    return app

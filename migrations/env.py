"""Alembic environment: runs migrations on the URL handed over by ``hiring.db.alembic_config``.

SQLite uses batch mode (``render_as_batch``) so ALTERs work by table copy. Foreign keys are
switched off while migrating SQLite (a batch copy would otherwise cascade), then checked.
"""

import warnings

from alembic import context
from sqlalchemy import exc as sa_exc
from sqlalchemy import text

from hiring.db import build_engine
from hiring.models import Base

config = context.config
# Batch mode reflects tables; SQLite cannot reflect our expression indexes (lower(email)), which
# the revisions create and drop explicitly. The warning says nothing actionable.
warnings.filterwarnings("ignore", message="Skipped unsupported reflection",
                        category=sa_exc.SAWarning)
target_metadata = Base.metadata


def run_migrations_offline() -> None:
    """Emit SQL without a database connection (``--sql``)."""
    url = config.get_main_option("sqlalchemy.url")
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=url.startswith("sqlite"),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Migrate through a live connection."""
    url = config.get_main_option("sqlalchemy.url")
    engine = build_engine(url)
    is_sqlite = engine.dialect.name == "sqlite"
    try:
        with engine.connect() as connection:
            if is_sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                render_as_batch=is_sqlite,
                compare_type=True,
            )
            with context.begin_transaction():
                context.run_migrations()
                if is_sqlite:
                    problems = connection.execute(text("PRAGMA foreign_key_check")).fetchall()
                    if problems:
                        raise RuntimeError(f"foreign key check failed after migration: {problems}")
            connection.commit()
            if is_sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()

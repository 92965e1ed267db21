"""The throwaway database a benchmark runs in: never the configured one.

With DATABASE_URL naming a PostgreSQL database, a dedicated one is made on the same server
(`<name>_bench`, dropped again by `drop_bench_database`); otherwise a fresh SQLite file in a
temporary directory. Call `use_bench_database` before Django is set up.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from urllib.parse import unquote, urlsplit, urlunsplit

POSTGRES_SCHEMES = {"postgres", "postgresql", "pgsql", "postgis"}

_made: dict[str, object] = {}


def _with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def _server_url(url: str) -> str:
    # Same server, user and options; the maintenance database to issue CREATE/DROP DATABASE from.
    # libpq knows postgres:// and postgresql:// only; Django's URL parser knows a few more spellings.
    return urlunsplit(urlsplit(_with_database(url, "postgres"))._replace(scheme="postgresql"))


def _recreate_postgres_database(url: str, name: str, *, create: bool) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(_server_url(url), autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [name],
        )
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        if create:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def use_bench_database(benchmark: str) -> None:
    """Point DATABASE_URL at a fresh database for this benchmark (and Django at the project's settings)."""
    configured = os.environ.get("DATABASE_URL", "")
    if urlsplit(configured).scheme in POSTGRES_SCHEMES:
        name = f"{unquote(urlsplit(configured).path.lstrip('/')) or 'wicn'}_bench"
        _recreate_postgres_database(configured, name, create=True)
        _made["postgres"] = (configured, name)
        os.environ["DATABASE_URL"] = _with_database(configured, name)
    elif configured and not configured.startswith("sqlite:"):
        raise SystemExit(f"benchmarks.{benchmark} supports PostgreSQL or SQLite, not {urlsplit(configured).scheme!r}")
    else:
        folder = tempfile.mkdtemp(prefix="wicn-bench-")
        _made["sqlite_folder"] = folder
        os.environ["DATABASE_URL"] = f"sqlite:///{folder}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")


def drop_bench_database() -> None:
    """Close Django's connections and drop the benchmark's database."""
    from django.db import connections

    connections.close_all()
    if "postgres" in _made:
        url, name = _made.pop("postgres")  # type: ignore[misc]
        _recreate_postgres_database(url, name, create=False)
    if "sqlite_folder" in _made:
        shutil.rmtree(str(_made.pop("sqlite_folder")), ignore_errors=True)

"""The embedded PostgreSQL of `zorgplek up` and of tests on a machine without a server:
a real PostgreSQL shipped in the `pgserver` wheel, its data kept under one folder."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any
from urllib.parse import quote

log = logging.getLogger("zorgplek.embedded")


def start(data_dir: Path, database: str = "zorgplek") -> tuple[str, Any]:
    """Start (or reuse) the server in `data_dir`; return a URL for `database` and the handle.

    The server stops when the last process using it exits.
    """
    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    if "XDG_RUNTIME_DIR" not in os.environ:  # pgserver keeps its lock files there
        runtime = data_dir.parent / "runtime"
        runtime.mkdir(mode=0o700, exist_ok=True)
        runtime.chmod(0o700)
        os.environ["XDG_RUNTIME_DIR"] = str(runtime)
    from pgserver import get_server  # type: ignore[attr-defined]

    server = get_server(data_dir, cleanup_mode="stop")
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}';")
    if "(1 row)" not in exists:
        server.psql(f'CREATE DATABASE "{database}";')
    socket_dir = server.get_postmaster_info().socket_dir
    url = f"postgresql://postgres@/{database}?host={quote(str(socket_dir))}"
    log.info("embedded PostgreSQL running", extra={"data_dir": str(data_dir)})
    return url, server

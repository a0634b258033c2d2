"""The embedded PostgreSQL of `zorgplek up` and of tests on a machine without a server:
a real PostgreSQL shipped in the `pgserver` wheel, its data kept under one folder."""

from __future__ import annotations

import fcntl
import logging
import os
import signal
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

log = logging.getLogger("zorgplek.embedded")


def start(data_dir: Path, database: str = "zorgplek") -> tuple[str, Callable[[], None]]:
    """Start (or reuse) the server in `data_dir`; return a URL for `database` and a function
    that stops the server."""
    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    if "XDG_RUNTIME_DIR" not in os.environ:  # pgserver keeps its lock files there
        runtime = data_dir.parent / "runtime"
        runtime.mkdir(mode=0o700, exist_ok=True)
        runtime.chmod(0o700)
        os.environ["XDG_RUNTIME_DIR"] = str(runtime)
    from pgserver import get_server  # type: ignore[attr-defined]

    # Run as root, pgserver adds a system user of its own the first time; two processes
    # starting at once (parallel test workers on a fresh machine) would both add it and
    # one would initialise its data as a user that is then replaced. One start at a time.
    with open(Path(tempfile.gettempdir()) / "zorgplek-embedded.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        server = get_server(data_dir, cleanup_mode="stop")
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}';")
    if "(1 row)" not in exists:
        server.psql(f'CREATE DATABASE "{database}";')
    info = server.get_postmaster_info()
    url = f"postgresql://postgres@/{database}?host={quote(str(info.socket_dir))}"
    log.info("embedded PostgreSQL running", extra={"data_dir": str(data_dir)})

    def stop() -> None:
        """Stop the server: pgserver's own clean-up first, then a fast shutdown if a process
        that died earlier left pgserver believing the server is still in use."""
        server.cleanup()
        try:
            os.kill(info.pid, signal.SIGINT)
        except ProcessLookupError:
            return
        for _ in range(100):
            try:
                os.kill(info.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)

    return url, stop

"""A TCP proxy in front of PostgreSQL that a test cuts and restores: a real outage of the
database as a service sees it, without stopping the server other tests use."""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qs, urlsplit, urlunsplit

from tests.conftest import free_port


class Proxy:
    """A TCP proxy in front of PostgreSQL that can be cut and restored."""

    def __init__(self, database_url: str) -> None:
        parts = urlsplit(database_url)
        socket_dir = parse_qs(parts.query).get("host", [None])[0]
        self.unix_path = (
            f"{socket_dir}/.s.PGSQL.{parts.port or 5432}"
            if socket_dir and socket_dir.startswith("/")
            else None
        )
        self.target = (parts.hostname or "127.0.0.1", parts.port or 5432)
        self.port = free_port()
        netloc = f"{parts.username or 'postgres'}"
        if parts.password:
            netloc += f":{parts.password}"
        netloc += f"@127.0.0.1:{self.port}"
        self.url = urlunsplit(("postgresql", netloc, parts.path, "", ""))
        self.open = True
        self.writers: set[asyncio.StreamWriter] = set()
        self.server: asyncio.Server | None = None

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._client, "127.0.0.1", self.port)

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self.open:
            writer.close()
            return
        if self.unix_path:
            up_reader, up_writer = await asyncio.open_unix_connection(self.unix_path)
        else:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        self.writers |= {writer, up_writer}

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self.writers -= {writer, up_writer}

    def cut(self) -> None:
        self.open = False
        for writer in list(self.writers):
            writer.transport.abort()
        self.writers.clear()

    def restore(self) -> None:
        self.open = True

    async def stop(self) -> None:
        self.cut()
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()

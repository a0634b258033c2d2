"""Load from outside Python: `wrk` (Debian's) with a Lua script that sends prepared
requests, so the client is never what limits the numbers."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SCRIPT = Path(__file__).parent / "wrk" / "requests.lua"
WRK = shutil.which("wrk") or "/usr/bin/wrk"


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None
    # "@NOW@" in the body is replaced by the time of sending.
    now: bool = False


def _lua(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def write_requests(requests: list[Request], path: Path) -> Path:
    """The requests as the Lua table the wrk script reads."""
    lines = ["return {"]
    for r in requests:
        headers = ", ".join(f"[{_lua(k)}] = {_lua(v)}" for k, v in r.headers.items())
        body = _lua(r.body) if r.body is not None else "nil"
        now = "true" if r.now else "false"
        lines.append(
            f"  {{method = {_lua(r.method)}, path = {_lua(r.path)}, headers = {{{headers}}}, "
            f"body = {body}, now = {now}}},"
        )
    lines.append("}")
    path.write_text("\n".join(lines) + "\n")
    return path


async def wrk(base: str, requests: Path, clients: int, seconds: float) -> dict[str, Any]:
    """One wrk run; its counts and latencies (µs). Two threads, one per core, unless there
    is one client."""
    threads = min(2, clients)
    process = await asyncio.create_subprocess_exec(
        WRK,
        f"-t{threads}",
        f"-c{clients}",
        f"-d{seconds:g}s",
        "--timeout",
        "30s",
        "-s",
        str(SCRIPT),
        base,
        env={**os.environ, "BENCH_REQUESTS": str(requests)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    for line in out.decode().splitlines():
        if line.startswith("RESULT "):
            result: dict[str, Any] = json.loads(line.removeprefix("RESULT "))
            result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
            result["errors"] = sum(
                result[k]
                for k in ("connect_errors", "read_errors", "write_errors", "status_errors")
            )
            return result
    raise RuntimeError(f"wrk gave no result: {out.decode()} {err.decode()}")


def median_of(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians over repeated runs of throughput and latencies (ms); errors summed."""
    return {
        "rps": round(statistics.median(r["rps"] for r in runs), 1),
        "p50_ms": round(statistics.median(r["p50_us"] for r in runs) / 1000, 2),
        "p90_ms": round(statistics.median(r["p90_us"] for r in runs) / 1000, 2),
        "p99_ms": round(statistics.median(r["p99_us"] for r in runs) / 1000, 2),
        "errors": sum(r["errors"] for r in runs),
        "requests": sum(r["requests"] for r in runs),
        "runs": [
            {"rps": round(r["rps"], 1), "p50_ms": r["p50_us"] / 1000, "p99_ms": r["p99_us"] / 1000}
            for r in runs
        ],
    }

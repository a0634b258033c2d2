"""The pages' own CSS, JavaScript and icon, shipped in the package: no CDN, no build step.
URLs carry a content hash, so browsers may keep them for a year."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from importlib import resources

from fastapi import APIRouter, Request, Response

router = APIRouter(include_in_schema=False)

CONTENT_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
    ".wav": "audio/wav",
}


@dataclass(frozen=True, slots=True)
class Asset:
    body: bytes
    content_type: str
    etag: str


@cache
def assets() -> dict[str, Asset]:
    """Every file under `static/`, read once."""
    found: dict[str, Asset] = {}
    for entry in resources.files("services.web").joinpath("static").iterdir():
        suffix = "." + entry.name.rsplit(".", 1)[-1]
        if entry.is_file() and suffix in CONTENT_TYPES:
            body = entry.read_bytes()
            found[entry.name] = Asset(
                body, CONTENT_TYPES[suffix], hashlib.sha256(body).hexdigest()[:16]
            )
    return found


def version() -> str:
    """One hash over every asset: the `?v=` of their URLs."""
    digest = hashlib.sha256()
    for name, asset in sorted(assets().items()):
        digest.update(name.encode() + asset.etag.encode())
    return digest.hexdigest()[:12]


@router.get("/static/{name}")
async def static_file(name: str, request: Request) -> Response:
    """One asset; 404 for anything else."""
    asset = assets().get(name)
    if asset is None:
        return Response("Niet gevonden", status_code=404, media_type="text/plain; charset=utf-8")
    headers = {
        "ETag": f'"{asset.etag}"',
        "Cache-Control": "public, max-age=31536000, immutable"
        if request.query_params.get("v")
        else "public, max-age=300",
        "X-Content-Type-Options": "nosniff",
    }
    if request.headers.get("if-none-match") == headers["ETag"]:
        return Response(status_code=304, headers=headers)
    return Response(asset.body, media_type=asset.content_type, headers=headers)

"""What the public entry points route where: the docker-compose proxy (nginx) and the
Kubernetes Ingress. Capacity's holds are for the triage service alone, which calls capacity
directly; no public route reaches them."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
HOLD_PATHS = ("/api/v1/holds", "/api/v1/holds/0b8f9d4e-7a43-4f4e-9a5c-2d2b8c3f6e11/commit")
LOCATION = re.compile(r"^\s*location\s+(~\*?|=|\^~)?\s*(\S+)\s*\{", re.MULTILINE)


def nginx_locations() -> list[tuple[str, str, str]]:
    """(modifier, pattern, body) of each `location` block of the proxy, in order."""
    text = (DEPLOY / "nginx.conf").read_text()
    found = []
    for match in LOCATION.finditer(text):
        depth, end = 1, match.end()
        while depth:
            depth += {"{": 1, "}": -1}.get(text[end], 0)
            end += 1
        found.append((match.group(1) or "", match.group(2), text[match.end() : end - 1]))
    return found


def nginx_route(path: str) -> str:
    """The body of the location nginx picks for `path`: an exact match, else the first
    matching regular expression, else the longest prefix."""
    locations = nginx_locations()
    for modifier, pattern, body in locations:
        if modifier == "=" and pattern == path:
            return body
    for modifier, pattern, body in locations:
        if modifier.startswith("~") and re.search(pattern, path):
            return body
    prefixes = [(p, b) for m, p, b in locations if m in ("", "^~") and path.startswith(p)]
    return max(prefixes, key=lambda item: len(item[0]))[1]


def ingress_backend(documents: list[dict[str, Any]], host: str, path: str) -> str | None:
    """The service an Ingress rule for `host` sends `path` to (the longest matching rule
    wins), or None when nothing matches."""
    best: tuple[int, str] | None = None
    for doc in documents:
        if doc.get("kind") != "Ingress":
            continue
        for rule in doc["spec"]["rules"]:
            if rule.get("host") != host:
                continue
            for entry in rule["http"]["paths"]:
                prefix, kind = entry["path"], entry["pathType"]
                matches = path == prefix or (
                    kind == "Prefix" and path.startswith(prefix.rstrip("/") + "/")
                )
                if matches or (kind == "Prefix" and prefix == "/"):
                    name = entry["backend"]["service"]["name"]
                    rank = len(prefix)
                    if best is None or rank > best[0]:
                        refused = "denylist-source-range" in str(doc["metadata"].get("annotations"))
                        best = (rank, "refused" if refused else name)
    return best[1] if best else None


def ingress_documents() -> list[dict[str, Any]]:
    text = (DEPLOY / "kubernetes" / "ingress.yaml").read_text()
    return [doc for doc in yaml.safe_load_all(text) if doc]


def test_the_route_readers_see_the_capacity_routes() -> None:
    assert "proxy_pass $capacity" in nginx_route("/api/v1/facilities/x/capacity/ELV_HOOG")
    assert "proxy_pass $web" in nginx_route("/plekken")
    documents = ingress_documents()
    assert ingress_backend(documents, "zorgplek.example.org", "/api/v1/availability") == (
        "capacity"
    )
    assert ingress_backend(documents, "zorgplek.example.org", "/metrics") == "refused"
    assert ingress_backend(documents, "zorgplek-api", "/api/v1/facilities") == "capacity"


@pytest.mark.parametrize("path", HOLD_PATHS)
def test_the_proxy_does_not_route_holds(path: str) -> None:
    body = nginx_route(path)
    assert "proxy_pass" not in body
    assert "return 404" in body


@pytest.mark.parametrize("path", HOLD_PATHS)
@pytest.mark.parametrize("host", ["zorgplek.example.org", "zorgplek-api"])
def test_the_ingress_does_not_route_holds(path: str, host: str) -> None:
    assert ingress_backend(ingress_documents(), host, path) in ("refused", None)

"""The edge routes every public path to the service that serves it: the docker-compose
nginx and the Kubernetes Ingress, checked against the routes of each service's own app
(so a new endpoint, FHIR resource types included, cannot be left unrouted or sent to the
wrong service)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from services.cli import components
from shared.app import create_app
from tests.conftest import make_settings

ROOT = Path(__file__).resolve().parents[2]
API_SERVICES = ("capacity", "triage", "notify")
# Served by a service but on purpose not from outside: the other services call them.
INTERNAL = {"/api/v1/holds", "/api/v1/api-keys/introspect", "/api/v1/api-keys/x"}


def _public_paths() -> dict[str, set[str]]:
    """Each API path (parameters filled in) and the services that serve it."""
    settings = make_settings("postgresql://unused/unused")
    served: dict[str, set[str]] = {}
    for component in components(settings):
        if component.name not in API_SERVICES:
            continue
        app = create_app([component], settings, database_url="postgresql://unused/unused")
        for path in app.openapi()["paths"]:
            concrete = re.sub(r"\{[^}]+\}", "x", path)
            served.setdefault(concrete, set()).add(component.name)
    return served


SERVED = _public_paths()
# A kernel route every service answers (e.g. the session of a token) needs no one owner.
OWNED = {path: names.pop() for path, names in SERVED.items() if len(names) == 1}


NGINX_LOCATIONS = re.findall(
    r"location\s+(=|~)?\s*(\S+)\s*\{(.*?)\}",
    (ROOT / "deploy/nginx.conf").read_text(),
    flags=re.S,
)


def nginx_target(path: str) -> str:
    """Where deploy/nginx.conf sends `path`: exact locations, then regex ones in order,
    then the `/` prefix; a `return` is answered by the proxy itself."""
    blocks = NGINX_LOCATIONS

    def target(body: str) -> str:
        proxied = re.search(r"proxy_pass\s+\$(\w+);", body)
        return proxied.group(1) if proxied else "proxy"

    for kind, pattern, body in blocks:
        if kind == "=" and path == pattern:
            return target(body)
    for kind, pattern, body in blocks:
        if kind == "~" and re.search(pattern, path):
            return target(body)
    for kind, pattern, body in blocks:
        if not kind and path.startswith(pattern):
            return target(body)
    raise AssertionError(f"nginx routes {path} nowhere")


PUBLIC_HOST = "zorgplek.example.org"
# The in-cluster host the web pages call the APIs on; the controller answers it publicly too.
INTERNAL_HOST = "zorgplek-api"


def _ingress_rules(host: str = PUBLIC_HOST) -> list[tuple[str, str, str]]:
    """(path, pathType, service) of one host's rules; "refused" for a rule of an Ingress
    that denies every source address."""
    rules = []
    for document in yaml.safe_load_all((ROOT / "deploy/kubernetes/ingress.yaml").read_text()):
        if not document or document.get("kind") != "Ingress":
            continue
        annotations = document["metadata"].get("annotations") or {}
        refused = "nginx.ingress.kubernetes.io/denylist-source-range" in annotations
        for rule in document["spec"]["rules"]:
            if rule.get("host") != host:
                continue
            for entry in rule["http"]["paths"]:
                service = "refused" if refused else entry["backend"]["service"]["name"]
                rules.append((entry["path"], entry["pathType"], service))
    return rules


INGRESS_RULES = {host: _ingress_rules(host) for host in (PUBLIC_HOST, INTERNAL_HOST)}


def ingress_target(path: str, host: str = PUBLIC_HOST) -> str:
    """Where the Ingress sends `path` for `host`: an Exact match, else the longest Prefix
    match by whole path elements."""
    rules = INGRESS_RULES[host]
    for rule_path, kind, service in rules:
        if kind == "Exact" and rule_path == path:
            return service
    matches = [
        (len(rule_path), service)
        for rule_path, kind, service in rules
        if kind == "Prefix"
        and (rule_path == "/" or path == rule_path or path.startswith(rule_path.rstrip("/") + "/"))
    ]
    if not matches:
        return "nowhere"
    return max(matches)[1]


@pytest.mark.parametrize(("path", "service"), sorted(OWNED.items()))
def test_every_public_path_reaches_its_service(path: str, service: str) -> None:
    if any(path == p or path.startswith(p + "/") for p in INTERNAL):
        assert nginx_target(path) not in API_SERVICES
        assert ingress_target(path) not in API_SERVICES
        return
    assert nginx_target(path) == service
    assert ingress_target(path) == service


@pytest.mark.parametrize(
    "path", ["/api/v1/holds", "/api/v1/holds/x", "/api/v1/holds/x/commit"], ids=str
)
def test_holds_are_refused_at_the_edge(path: str) -> None:
    """Only the triage service holds places, and it calls capacity directly: from outside
    the proxy answers 404 itself, and the Ingress refuses the path on either host."""
    assert nginx_target(path) == "proxy"
    assert ingress_target(path) == "refused"
    assert ingress_target(path, INTERNAL_HOST) in ("refused", "nowhere")


def test_fhir_is_split_by_resource_type() -> None:
    assert {p for p in OWNED if p.startswith("/fhir")} >= {
        "/fhir",
        "/fhir/metadata",
        "/fhir/MeasureReport",
        "/fhir/Location/x",
        "/fhir/ServiceRequest/x",
        "/fhir/Task",
    }
    for path, service in (
        ("/fhir/Patient", "capacity"),  # answered with an OperationOutcome, not a web page
        ("/fhir/Task", "triage"),
        ("/fhir/ServiceRequest/x", "triage"),
        ("/fhir/TaskForce", "capacity"),
    ):
        assert nginx_target(path) == service, path
        assert ingress_target(path) == service, path


def test_the_rules_tested_are_the_shipped_ones() -> None:
    # guards the parsers above against reading nothing
    assert len(INGRESS_RULES[PUBLIC_HOST]) > 10
    assert len(NGINX_LOCATIONS) > 5
    assert nginx_target("/plekken") == "web"

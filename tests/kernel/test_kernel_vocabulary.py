"""The kernel (`shared/`) offers services what they need without knowing their words: it
names no service's event type and declares no service's metric family. Event types are
registered with their contracts (`shared/contracts/events.py`, the models both sides
import); each service declares its metric families in its own `metrics` module."""

from __future__ import annotations

import ast
from pathlib import Path

from shared.contracts.events import EVENT_TYPES

ROOT = Path(__file__).resolve().parents[2]
# The kernel, without the contracts: those are the services' seams, by name.
KERNEL = sorted(path for path in (ROOT / "shared").rglob("*.py") if "contracts" not in path.parts)
METRIC_KINDS = {"Counter", "Gauge", "Histogram", "Summary", "Info", "Enum"}


def strings(path: Path) -> set[str]:
    """Every string constant in the module."""
    tree = ast.parse(path.read_text(), filename=str(path))
    return {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }


def families(path: Path) -> set[str]:
    """The metric families the module declares: `Counter("zorgplek_…", …)` and the like."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in METRIC_KINDS
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            found.add(str(node.args[0].value))
    return found


def test_each_service_declares_its_own_metric_families() -> None:
    declared = {
        path.parent.name: families(path) for path in (ROOT / "services").glob("*/metrics.py")
    }
    assert set(declared) == {"capacity", "triage", "notify"}
    assert "zorgplek_places_free" in declared["capacity"]
    assert "zorgplek_queue_depth" in declared["triage"]
    assert "zorgplek_streams_open" in declared["notify"]
    every = set().union(*declared.values())
    for path in KERNEL:
        named = strings(path) & every
        assert not named, f"{path.relative_to(ROOT)} names {sorted(named)}"


def test_the_kernel_declares_only_its_own_metric_families() -> None:
    declared = {path.relative_to(ROOT).as_posix(): families(path) for path in KERNEL}
    assert {path for path, names in declared.items() if names} == {"shared/metrics.py"}
    assert declared["shared/metrics.py"] == {
        "zorgplek_http_requests_total",
        "zorgplek_http_request_duration_seconds",
        "zorgplek_background_loop_errors_total",
        "zorgplek_rows_pruned_total",
    }


def test_the_kernel_names_no_event_type() -> None:
    for path in KERNEL:
        named = strings(path) & EVENT_TYPES
        assert not named, f"{path.relative_to(ROOT)} names {sorted(named)}"

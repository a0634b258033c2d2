"""Triage runs in one direction: `reservations` builds on `referrals`, never the other way
round; and the idempotency table belongs to the kernel, which offers what replays need."""

from __future__ import annotations

import ast
from pathlib import Path

import services.triage

TRIAGE = Path(services.triage.__file__).parent


def imported_modules(source: str, module: str) -> set[str]:
    """Every module `source` (the text of `module`) imports, wherever the import stands
    (also inside functions and `TYPE_CHECKING` blocks); relative imports resolved."""
    found: set[str] = set()
    package = module.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parent = ".".join(parts[: len(parts) - node.level + 1])
                base = f"{parent}.{base}" if base else parent
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def modules_of(folder: Path) -> dict[str, str]:
    root = TRIAGE.parent.parent
    return {
        ".".join(path.relative_to(root).with_suffix("").parts): path.read_text()
        for path in sorted(folder.rglob("*.py"))
    }


def test_the_import_finder_sees_every_form_of_import() -> None:
    module = "services.triage.referrals.service"
    assert "services.triage.reservations.repository" in imported_modules(
        "from services.triage.reservations import repository", module
    )
    assert "services.triage.reservations.models" in imported_modules(
        "def f():\n    import services.triage.reservations.models\n", module
    )
    assert "services.triage.reservations.states" in imported_modules(
        "from ..reservations import states", module
    )


def test_referrals_never_import_reservations() -> None:
    modules = modules_of(TRIAGE / "referrals")
    assert "services.triage.referrals.visibility" in modules
    offending = {
        module: sorted(i for i in imported_modules(source, module) if "reservations" in i)
        for module, source in modules.items()
    }
    assert {m: found for m, found in offending.items() if found} == {}


def test_no_service_reads_the_idempotency_table_itself() -> None:
    """Services declare their table (`base.py`, `models.py`) and use the kernel's
    `IdempotentCall`; none queries the table by name."""
    services_root = TRIAGE.parent
    readers = [
        str(path.relative_to(services_root))
        for path in sorted(services_root.rglob("*.py"))
        if "migrations" not in path.parts
        and path.name not in ("base.py", "models.py")
        and "idempotency_keys" in path.read_text()
    ]
    assert readers == []

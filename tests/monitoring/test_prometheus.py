"""Operators watch Zorgplek in Prometheus: a real Prometheus scrapes a real Zorgplek, and
the shipped alert rules load in promtool."""

import asyncio
import shutil
import subprocess
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.triage.stats import service as stats
from shared.http import client as http_client
from tests.conftest import TokenFactory, free_port
from tests.triage.helpers import KENNEMERLAND, actors, submit

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS = shutil.which("prometheus")
PROMTOOL = shutil.which("promtool")
needs_prometheus = pytest.mark.skipif(
    PROMETHEUS is None or PROMTOOL is None,
    reason="PROMETHEUS IS NOT INSTALLED: apt-get install prometheus (CI installs it)",
)


@needs_prometheus
def test_alert_rules_and_config_are_valid() -> None:
    assert PROMTOOL is not None
    rules = subprocess.run(
        [PROMTOOL, "check", "rules", str(ROOT / "deploy/prometheus/alerts.yml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert rules.returncode == 0, rules.stdout + rules.stderr
    assert "SUCCESS" in rules.stdout


@pytest.fixture
async def prometheus(live_url: str, tmp_path: Path) -> AsyncIterator[str]:
    assert PROMETHEUS is not None
    port = free_port()
    target = live_url.removeprefix("http://")
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
        f"rule_files:\n  - {ROOT / 'deploy/prometheus/alerts.yml'}\n"
        "scrape_configs:\n"
        "  - job_name: zorgplek\n"
        f"    static_configs:\n      - targets: ['{target}']\n"
    )
    process = await asyncio.create_subprocess_exec(
        PROMETHEUS,
        f"--config.file={config}",
        f"--storage.tsdb.path={tmp_path / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        await process.wait()


async def query_until(base: str, promql: str) -> list[dict[str, Any]]:
    async with http_client(base_url=base) as http:
        for _ in range(300):
            try:
                result = (await http.get("/api/v1/query", params={"query": promql})).json()
                if result.get("data", {}).get("result"):
                    found: list[dict[str, Any]] = result["data"]["result"]
                    return found
            except (httpx.TransportError, ValueError):
                pass
            await asyncio.sleep(0.1)
    pytest.fail(f"Prometheus never answered {promql}")


@needs_prometheus
@pytest.mark.slow
async def test_prometheus_scrapes_zorgplek(
    prometheus: str, live_url: str, auth: TokenFactory
) -> None:
    async with http_client(base_url=live_url) as http:
        for _ in range(3):
            await http.get("/api/v1/regions", headers=auth("viewer"))
    up = await query_until(prometheus, 'up{job="zorgplek"} == 1')
    assert up[0]["value"][1] == "1"
    requests = await query_until(
        prometheus, 'zorgplek_http_requests_total{route="/api/v1/regions",status="200"}'
    )
    assert float(requests[0]["value"][1]) >= 3
    assert requests[0]["metric"]["service"] == "capacity"


@needs_prometheus
@pytest.mark.slow
async def test_unmet_demand_reaches_prometheus_and_its_alert(
    prometheus: str, live_url: str, auth: TokenFactory, app: Any
) -> None:
    async with http_client(base_url=live_url) as client:
        people = await actors(client, auth)
        ref = await submit(client, people.referrer, place_type="GRZ")
        cancelled = await client.post(
            f"/api/v1/referrals/{ref['id']}/cancel",
            json={"reason": "Nergens plaats.", "reason_code": "no_place_found"},
            headers=people.referrer,
        )
        assert cancelled.status_code == 200, cancelled.text
    async with app.state.database.read_sessions() as session:
        await stats.refresh_gauges(
            session, app.state.triage_capacity, app.state.settings, datetime.now(UTC)
        )
    unmet = await query_until(
        prometheus, 'zorgplek_unmet_demand_total{reason="no_place_found",place_type="GRZ"}'
    )
    assert unmet[0]["metric"]["region"] == KENNEMERLAND
    assert float(unmet[0]["value"][1]) == 1
    # Every GRZ referral of the week found no place: above the default 20 %, so the alert
    # is pending (it fires after an hour).
    alert = await query_until(prometheus, 'ALERTS{alertname="ZorgplekUnmetDemandHigh"}')
    assert (alert[0]["metric"]["region"], alert[0]["metric"]["place_type"]) == (
        KENNEMERLAND,
        "GRZ",
    )

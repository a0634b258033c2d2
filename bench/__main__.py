"""`python -m bench [--quick] [scenario ...]` (or `make bench BENCH="search put"`).

Seeds national-scale data into a fresh database (ZORGPLEK_BENCH_DATABASE_URL, else
ZORGPLEK_TEST_DATABASE_URL, else an embedded PostgreSQL), starts Zorgplek's services and the
bare-stack ceiling, runs the scenarios and writes bench/results/latest.json and the results
in BENCHMARKS.md. `ranking` and `chunks` are benchmarks of their own, without the stack."""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import tempfile
from pathlib import Path
from typing import Any

from bench import bench_batch, bench_ranking, report
from bench.scenarios import SCENARIOS, Context, Pace
from bench.seed import seed
from bench.stack import migrate, stack
from tests.database import fresh_database

ALONE = {"ranking": bench_ranking.main, "chunks": bench_batch.main}


async def national(names: list[str], quick: bool) -> dict[str, Any]:
    pace = Pace.of(quick)
    results: dict[str, Any] = {
        "quick": quick,
        "pace": f"{pace.warmup:g} s warm-up, {pace.repeats} × {pace.seconds:g} s per measurement",
        "machine": report.machine(),
        "load_before": report.load_average(),
        "load_at": {},
        "scenarios": {},
    }
    if url := os.environ.get("ZORGPLEK_BENCH_DATABASE_URL"):
        os.environ["ZORGPLEK_TEST_DATABASE_URL"] = url
    with tempfile.TemporaryDirectory() as scratch:
        async with fresh_database(Path(scratch)) as database:
            await migrate(database)
            print("seeding national data …", flush=True)
            country = await seed(database)
            results["seeded"] = {
                "locations": len(country.locations),
                "places": sum(len(loc.place_types) for loc in country.locations),
                "history_rows": country.history_rows,
            }
            async with stack(database) as running:
                ctx = Context(running, country, database, Path(scratch), pace, random.Random(11))
                for name in names:
                    results["load_at"][name] = report.load_average()
                    print(f"== {name}", flush=True)
                    results["scenarios"][name] = outcome = await SCENARIOS[name](ctx)
                    print(outcome, flush=True)
                    # Written after each scenario: a run cut short keeps what it measured.
                    results["load_after"] = report.load_average()
                    report.write(results)
            results["explain"] = await report.explain(database)
    results["load_after"] = report.load_average()
    return results


def _stop(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def main() -> None:
    # Stopped from outside (a time limit, Ctrl-C): the servers are stopped and the database
    # is dropped on the way out, as at the end of a run.
    signal.signal(signal.SIGTERM, _stop)
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true", help="one short run per measurement")
    parser.add_argument("names", nargs="*", help=f"of {[*SCENARIOS, *ALONE]}; default all")
    args = parser.parse_args()
    names = args.names or [*SCENARIOS, "ranking"]
    unknown = [n for n in names if n not in SCENARIOS and n not in ALONE]
    if unknown:
        raise SystemExit(f"no scenario {unknown}; there are {[*SCENARIOS, *ALONE]}")
    chosen = [n for n in SCENARIOS if n in names]
    if chosen:
        results = asyncio.run(national(chosen, args.quick))
        report.write(results)
        print("\n".join(report.table(results)))
    for name in names:
        if name in ALONE:
            print(f"== {name}", flush=True)
            ALONE[name]()


if __name__ == "__main__":
    main()

"""Run the benchmarks: every bench/bench_*.py, or the ones named.

    python bench/run.py                  # all of them
    python bench/run.py grid_locate      # bench/bench_grid_locate.py only
    BENCH_SCALE=small python bench/run.py  # the quick sizes CI uses
    python bench/run.py --list

Each benchmark runs in its own process (its own Django set-up and throwaway database) and
appends its figures to bench/results.jsonl; this prints them again at the end. The exit status
is non-zero when a benchmark fails, or, with --strict, when a figure misses its target.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = Path(os.environ.get("BENCH_RESULTS", HERE / "results.jsonl"))


def available() -> dict[str, Path]:
    return {path.stem.removeprefix("bench_"): path for path in sorted(HERE.glob("bench_*.py"))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="benchmarks to run (default: all)")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and stop")
    parser.add_argument("--strict", action="store_true", help="fail when a target is missed")
    args = parser.parse_args(argv)
    found = available()
    if args.list:
        print("\n".join(found))
        return 0
    wanted = [name.removeprefix("bench_").removesuffix(".py") for name in args.names] or list(found)
    unknown = [name for name in wanted if name not in found]
    if unknown:
        print(
            f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(found)}",
            file=sys.stderr,
        )
        return 2
    env = {**os.environ, "BENCH_SCALE": os.environ.get("BENCH_SCALE", "full")}
    lines_before = count_lines()
    failed = []
    for name in wanted:
        print(f"== {name} (BENCH_SCALE={env['BENCH_SCALE']})", flush=True)
        started = time.perf_counter()
        # Only files matched by the bench_*.py glob above are run, never a path from the user.
        result = subprocess.run(  # noqa: S603
            [sys.executable, str(found[name])], env=env, cwd=HERE.parent, check=False
        )
        print(
            f"== {name}: {'ok' if result.returncode == 0 else 'FAILED'} "
            f"in {time.perf_counter() - started:.1f} s",
            flush=True,
        )
        if result.returncode != 0:
            failed.append(name)
    new = new_results(lines_before)
    summarise(new)
    missed = [line["name"] for line in new if line.get("target_met") is False]
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    if args.strict and missed:
        print(f"below target: {', '.join(missed)}", file=sys.stderr)
        return 1
    return 0


def count_lines() -> int:
    if not RESULTS.exists():
        return 0
    with RESULTS.open(encoding="utf-8") as handle:
        return sum(1 for _ in handle)


def new_results(skip: int) -> list[dict]:
    if not RESULTS.exists():
        return []
    with RESULTS.open(encoding="utf-8") as handle:
        return [json.loads(line) for number, line in enumerate(handle) if number >= skip]


def summarise(lines: list[dict]) -> None:
    if not lines:
        return
    print(f"\n{'benchmark':<22} {'figure':>14} {'unit':<9} {'baseline':>12} {'ratio':>8}  target")
    for line in lines:
        baseline = f"{line['baseline']:,.4g}" if line.get("baseline") is not None else "-"
        ratio = f"×{line['ratio']:.2f}" if line.get("ratio") is not None else "-"
        met = {True: "met", False: "MISSED", None: ""}[line.get("target_met")]
        print(
            f"{line['name']:<22} {line['figure']:>14,.4g} {line['unit']:<9} {baseline:>12} "
            f"{ratio:>8}  {line.get('target')} {met}"
        )


if __name__ == "__main__":
    sys.exit(main())

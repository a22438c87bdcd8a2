#!/usr/bin/env python3
"""Run the property tests of asynclint for a long time, round after round.

Each round runs tests/lint/test_properties.py with many examples per
property (ASYNCLINT_FUZZ_EXAMPLES) and a new random seed, until the time is
up. A failing round is logged with its seed and the falsifying example
(hypothesis also keeps it in .hypothesis/ and replays it first next time),
and the run goes on. The exit code is 1 when any round failed.

    .venv/bin/python scripts/fuzz.py --minutes 30
    .venv/bin/python scripts/fuzz.py --minutes 5 --examples 200 --log fuzz.log
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TESTS = "tests/lint/test_properties.py"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30.0, help="how long to run (default: 30)")
    parser.add_argument("--examples", type=int, default=1000, help="examples per property and round (default: 1000)")
    parser.add_argument("--log", type=Path, help="also append the report to this file")
    arguments = parser.parse_args()

    environment = dict(os.environ, ASYNCLINT_FUZZ_EXAMPLES=str(arguments.examples))
    started = time.monotonic()
    deadline = started + arguments.minutes * 60
    rounds = failures = 0

    def say(line: str) -> None:
        print(line, flush=True)
        if arguments.log:
            with arguments.log.open("a", encoding="utf-8") as stream:
                stream.write(line + "\n")

    say(f"fuzzing for {arguments.minutes:g} minutes, {arguments.examples} examples per property and round")
    while time.monotonic() < deadline:
        seed = random.randrange(2**32)
        command = [
            sys.executable, "-m", "pytest", TESTS, "-q", "-p", "no:cacheprovider",
            f"--hypothesis-seed={seed}", "--hypothesis-show-statistics",
        ]
        round_start = time.monotonic()
        done = subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True)
        rounds += 1
        elapsed = time.monotonic() - round_start
        summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else "(no output)"
        say(f"round {rounds}: seed {seed}, {elapsed:.0f} s, exit {done.returncode}: {summary}")
        if done.returncode != 0:
            failures += 1
            say(done.stdout[-20_000:])
            say(done.stderr[-5_000:])

    total = (time.monotonic() - started) / 60
    say(f"finished: {rounds} rounds in {total:.1f} minutes, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

"""Issue 14's hostile files through the real CLI, one process each under 60 s and 2 GB of address
space: exit status, verdict, wall seconds and peak resident memory, as a Markdown table.

    python tests/hostile_table.py                 # every case of tests/hostile_files.CASES
    python tests/hostile_table.py exp_names fifo  # some
(The temp-file cases, which kill a build with signals, are in tests/test_hostile.py only.)
"""
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hostile_files import CASES, run_capped, verdict  # noqa: E402


def main(names):
    print("| case | owner | exit | verdict | s | peak MB |")
    print("|---|---|---|---|---|---|")
    for name in names or CASES:
        build, owner = CASES[name]
        with tempfile.TemporaryDirectory() as d:
            attack = build(Path(d))
            run = run_capped(attack.argv, cwd=d, env=attack.env, stdin=attack.stdin)
            print(f"| {name} | {owner} | {'killed' if run.code is None else run.code} | {verdict(run, attack)} "
                  f"| {run.seconds:.1f} | {run.peak_mb:.0f} |", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])

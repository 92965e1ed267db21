"""Run the benchmarks: `python -m benchmarks` runs them all, `python -m benchmarks matching` runs one.

Each benchmark is a module in this package with a `main()` that prints human-readable figures and then
lines `BENCH <name> <value> <unit>`. Each runs in its own process so that one's memory and imports do
not colour another's figures.
"""

import pkgutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def available() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules([str(HERE)]) if not m.name.startswith("_"))


def main(argv: list[str]) -> int:
    names = available()
    wanted = [name for arg in argv for name in arg.split(",") if name] or names
    unknown = [name for name in wanted if name not in names]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; available: {', '.join(names)}", file=sys.stderr)
        return 2
    failed = []
    for name in wanted:
        print(f"== {name}", flush=True)
        result = subprocess.run([sys.executable, "-m", f"benchmarks.{name}"], cwd=HERE.parent, check=False)
        if result.returncode != 0:
            failed.append(name)
    if failed:
        print(f"benchmark(s) failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""`python -m sheetsgd` and the `sheetsgd` command (setup.cfg's entry point).

Importing the CLI (click, NumPy) takes ~0.2 s; a Ctrl-C in that time is "sheetsgd: interrupted",
exit 130, like a Ctrl-C later, not an import's KeyboardInterrupt traceback."""
import sys


def main():
    try:
        from .cli import main as run
    except KeyboardInterrupt:
        sys.stderr.write("sheetsgd: interrupted\n")
        sys.exit(130)
    run()


if __name__ == "__main__":
    main()

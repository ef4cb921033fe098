"""The one error type users see: a one-line message, exit code 2 from the CLI."""


class SheetsgdError(Exception):
    """A problem with the user's input (an option, a file): printed as one line, exit 2."""

    exit_code = 2

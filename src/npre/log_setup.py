"""What npre writes to the terminal or a log: configured once, by the CLI.

Log records go to stderr with a time and the logger's name (`--verbose`: debug too,
`--quiet`: warnings and errors only). Progress bars redraw in place on a terminal; in a
log file (DVC or `make demo` redirected, CI) each redraw would be one more line, so
there they update at most every 30 s and the model-loading bars of transformers are off.
"""

from __future__ import annotations

import logging
import os
import sys

# libraries that log at INFO about their own machinery
CHATTY = ("httpx", "httpcore", "urllib3", "alembic", "mlflow", "filelock", "great_expectations")
LOG_FILE_PROGRESS_INTERVAL_S = "30"


def configure(verbosity: int = 0, stream=None) -> None:
    """verbosity: -1 quiet, 0 normal, 1 verbose."""
    stream = stream or sys.stderr
    level = {-1: logging.WARNING, 0: logging.INFO}.get(verbosity, logging.DEBUG)
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
        stream=stream,
        force=True,
    )
    for name in CHATTY:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
    if not _is_terminal(stream):
        # tqdm reads TQDM_<ARGUMENT> defaults from the environment (tqdm >= 4.66)
        os.environ.setdefault("TQDM_MININTERVAL", LOG_FILE_PROGRESS_INTERVAL_S)
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # transformers' too


def _is_terminal(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False

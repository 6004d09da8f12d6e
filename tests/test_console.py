"""Output policy: progress bars do not flood a log file; --quiet/--verbose set log levels."""

import os
import subprocess
import sys

LOOP = "import time\nfrom tqdm import tqdm\nfor _ in tqdm(range(400)):\n    time.sleep(0.005)\n"


def _stderr_of(code: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TQDM_")}
    # bytes: text mode would turn tqdm's carriage returns into newlines
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stderr.decode()


def test_progress_bars_in_a_log_file_redraw_rarely():
    plain = _stderr_of(LOOP).count("\r")
    configured = _stderr_of("from npre.log_setup import configure\nconfigure(0)\n" + LOOP)
    assert plain >= 10  # tqdm's default: a redraw every 0.1 s
    assert configured.count("\r") <= 3  # the first draw and the last
    assert "400/400" in configured  # the final state is still written


def test_log_levels_follow_quiet_and_verbose():
    code = (
        "import logging\nfrom npre.log_setup import configure\nconfigure({})\n"
        "log = logging.getLogger('npre.x')\n"
        "log.debug('DEBUG-LINE'); log.info('INFO-LINE'); log.warning('WARNING-LINE')\n"
    )
    quiet, normal, verbose = (_stderr_of(code.format(v)) for v in (-1, 0, 1))
    assert "INFO-LINE" not in quiet and "WARNING-LINE" in quiet
    assert "INFO-LINE" in normal and "DEBUG-LINE" not in normal
    assert "DEBUG-LINE" in verbose
    assert "npre.x: INFO-LINE" in normal  # the logger's name is in the line

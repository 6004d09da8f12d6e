"""How a training's MLflow run ends: KILLED when a signal stops it, or when its process died.

MLflow ends a run FAILED when its `with mlflow.start_run()` block raises, and leaves it
RUNNING when the process dies without unwinding: SIGTERM's default action, SIGKILL, the
out-of-memory killer. A training stopped by Ctrl-C (SIGINT) or by `kill`, a scheduler or a
CI timeout (SIGTERM) did not fail: it was killed, and its run should say so.

- `signals_unwind`: SIGTERM raises `Terminated` (a SystemExit, exit status 143) in the
  main thread, so it unwinds like Ctrl-C's KeyboardInterrupt and the run can be ended.
- `process_tags`: host, pid and start time of the process that runs a run.
- `close_stale_runs`: RUNNING runs of the same stage and variant whose process is gone
  (SIGKILL leaves no chance to end them) are ended KILLED, with a note saying why, when
  the stage runs again. A run of another host is left alone: its process cannot be seen.
"""

from __future__ import annotations

import signal
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

HOST_TAG = "npre.host"
PID_TAG = "npre.pid"
STARTED_TAG = "npre.process_started"  # the process's start time (epoch seconds): pids recycle
NOTE_TAG = "mlflow.note.content"  # the run's description in the MLflow UI
KILLED = "KILLED"


class Terminated(SystemExit):
    """A terminating signal (SIGTERM) as an exception: the process unwinds, then exits
    with status 128 + the signal's number, as the signal itself would have."""

    def __init__(self, signum: int):
        super().__init__(128 + signum)
        self.signum = signum


@contextmanager
def signals_unwind(signums: tuple[int, ...] = (signal.SIGTERM,)) -> Iterator[None]:
    """Within the block, each of `signums` raises `Terminated` in the main thread instead
    of ending the process at once; the previous handlers come back after it. Outside the
    main thread (where Python cannot set handlers), or for a signal the process ignores,
    nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def unwind(signum, _frame):
        raise Terminated(signum)

    previous = {}
    for signum in signums:
        if signal.getsignal(signum) is not signal.SIG_IGN:
            previous[signum] = signal.signal(signum, unwind)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def process_tags() -> dict[str, str]:
    """Tags naming this process, so that a later run can tell whether it is still alive."""
    import psutil

    me = psutil.Process()
    return {
        HOST_TAG: socket.gethostname(),
        PID_TAG: str(me.pid),
        STARTED_TAG: f"{me.create_time():.2f}",
    }


def owner_alive(tags: dict[str, str]) -> bool | None:
    """Is the process that runs the run with `tags` alive? None: it ran on another host.

    A run without the process tags comes from a process older than them: gone.
    """
    import psutil

    if HOST_TAG not in tags:
        return False
    if tags[HOST_TAG] != socket.gethostname():
        return None
    try:
        process = psutil.Process(int(tags[PID_TAG]))
        return abs(process.create_time() - float(tags[STARTED_TAG])) < 1.0
    except (psutil.NoSuchProcess, psutil.AccessDenied, KeyError, ValueError):
        return False


def stale_note(tags: dict[str, str], stage: str, variant: str | None, new_run_id: str) -> str:
    """The note a stale run gets: what ended it, and why its numbers stop where they do."""
    who = (
        f"its process (pid {tags[PID_TAG]} on {tags[HOST_TAG]})"
        if PID_TAG in tags and HOST_TAG in tags
        else "its process"
    )
    what = f"`{stage}` of variant `{variant}`" if variant else f"`{stage}`"
    when = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    return (
        f"**Ended KILLED** at {when}, when {what} ran again (run `{new_run_id}`): {who} had "
        "ended without closing this run (SIGKILL, the out-of-memory killer or a crash). Its "
        "metrics and artifacts stop where that process stopped."
    )


def close_stale_runs(
    client, experiment_id: str, stage: str, variant: str | None, new_run_id: str
) -> list[str]:
    """End KILLED, with a note, every RUNNING run of `stage` and `variant` in the
    experiment (other than `new_run_id`) whose process is gone on this host; returns
    their ids."""
    runs = client.search_runs(
        [experiment_id],
        f"attributes.status = 'RUNNING' and tags.`npre.stage` = '{stage}'",
        max_results=1000,
    )
    closed = []
    for run in runs:
        tags = run.data.tags
        if run.info.run_id == new_run_id or tags.get("npre.variant") != variant:
            continue
        if owner_alive(tags) is not False:
            continue
        note = stale_note(tags, stage, variant, new_run_id)
        earlier = tags.get(NOTE_TAG)
        client.set_tag(run.info.run_id, NOTE_TAG, f"{earlier}\n\n{note}" if earlier else note)
        client.set_terminated(run.info.run_id, status=KILLED)
        closed.append(run.info.run_id)
    return closed

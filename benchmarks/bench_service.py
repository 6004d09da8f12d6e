"""Load benchmark of the extraction API on loopback: sequential vs adaptive batching.

    python benchmarks/bench_service.py                 # starts `bentoml serve` itself
    python benchmarks/bench_service.py --url http://127.0.0.1:3000   # a running server

Sends the demo evaluation set's abstracts (data/demo/eval_set.json, cycled) to /extract:
first one request at a time (sequential: every model call holds one document), then from
`--clients` concurrent clients (batched: the model service's batchable endpoint gathers
their documents into one `generate` call). Reports throughput (documents/s) and p50, p95,
p99 latency per phase, and the mean adaptive batch size from the server's /metrics.
Bounded: each phase stops after its request count or `--max-seconds`, whichever first.
Without --url it serves the champion of MLFLOW_TRACKING_URI (default ./mlflow.db).

`--soak SECONDS` (at most 600) adds a soak: `--clients` clients send a mix of valid
requests, malformed JSON and oversized abstracts for that long; it counts answers by
status (valid: 200, or 503 when the server sheds load; bad: 400; any other 5xx is a
failure) and, when it started the server, samples the server's RSS (all its processes)
every 5 s and reports it at the start and the end.
"""

from __future__ import annotations

import argparse
import json
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def documents(path: Path) -> list[dict]:
    gold = json.loads(path.read_text())
    return [{"title": d["ArticleTitle"], "abstract": d["AbstractText"]} for d in gold.values()]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def run_phase(url: str, docs: list[dict], requests: int, clients: int, max_seconds: float):
    """`requests` calls to /extract from `clients` threads; stops early at `max_seconds`."""
    latencies: list[float] = []
    errors: list[int] = []
    lock = threading.Lock()
    deadline = time.monotonic() + max_seconds
    counter = iter(range(requests))

    def client(http: httpx.Client) -> None:
        while time.monotonic() < deadline:
            with lock:
                index = next(counter, None)
            if index is None:
                return
            start = time.perf_counter()
            try:
                status = http.post(f"{url}/extract", json=docs[index % len(docs)]).status_code
            except httpx.HTTPError:
                status = 0  # no answer at all
            elapsed = time.perf_counter() - start
            with lock:
                if status == 200:
                    latencies.append(elapsed)
                else:
                    errors.append(status)

    limits = httpx.Limits(max_connections=clients)
    with httpx.Client(timeout=300, limits=limits) as http:
        start = time.perf_counter()
        with ThreadPoolExecutor(clients) as pool:
            for future in [pool.submit(client, http) for _ in range(clients)]:
                future.result()
        wall = time.perf_counter() - start
    return {
        "clients": clients,
        "requests": len(latencies) + len(errors),
        "errors": len(errors),
        "seconds": round(wall, 2),
        "docs_per_s": round(len(latencies) / wall, 2),
        "p50_ms": round(1000 * percentile(latencies, 50), 1),
        "p95_ms": round(1000 * percentile(latencies, 95), 1),
        "p99_ms": round(1000 * percentile(latencies, 99), 1),
    }


def batch_sizes(url: str) -> tuple[float, float]:
    """(batches, documents) the model service has run so far, from Prometheus /metrics."""
    text = httpx.get(f"{url}/metrics", timeout=30).text
    totals = {"count": 0.0, "sum": 0.0}
    for kind in totals:
        pattern = rf"^bentoml_service_adaptive_batch_size_{kind}\{{[^}}]*\}} ([0-9.e+]+)$"
        totals[kind] = sum(float(v) for v in re.findall(pattern, text, re.MULTILINE))
    return totals["count"], totals["sum"]


def soak(url: str, docs: list[dict], seconds: float, clients: int, rss) -> dict:
    """Valid, malformed and oversized requests mixed (7:2:1) for `seconds`."""
    statuses: dict[str, dict[int, int]] = {"valid": {}, "malformed": {}, "oversized": {}}
    samples: list[tuple[float, float]] = []
    lock = threading.Lock()
    started = time.monotonic()
    deadline = started + seconds
    counter = iter(range(10**9))
    oversized = {"title": "t", "abstract": "x" * 100_001}

    def client(http: httpx.Client) -> None:
        while time.monotonic() < deadline:
            with lock:
                index = next(counter)
            kind = ("valid",) * 7 + ("malformed",) * 2 + ("oversized",)
            kind = kind[index % 10]
            try:
                if kind == "malformed":
                    response = http.post(
                        f"{url}/extract",
                        content=b'{"title": "cut', headers={"content-type": "application/json"},
                    )  # fmt: skip
                else:
                    body = docs[index % len(docs)] if kind == "valid" else oversized
                    response = http.post(f"{url}/extract", json=body)
                status = response.status_code
            except httpx.HTTPError:
                status = 0
            with lock:
                statuses[kind][status] = statuses[kind].get(status, 0) + 1

    def sampler() -> None:
        while time.monotonic() < deadline:
            samples.append((round(time.monotonic() - started, 1), rss()))
            time.sleep(5)

    watcher = threading.Thread(target=sampler, daemon=True) if rss else None
    if watcher:
        watcher.start()
    with (
        httpx.Client(timeout=300, limits=httpx.Limits(max_connections=clients)) as http,
        ThreadPoolExecutor(clients) as pool,
    ):
        for future in [pool.submit(client, http) for _ in range(clients)]:
            future.result()
    if watcher:
        watcher.join()
        samples.append((round(time.monotonic() - started, 1), rss()))
    failures = sum(
        n for answers in statuses.values() for status, n in answers.items()
        if status == 0 or (status >= 500 and status != 503)
    )  # fmt: skip
    result = {"seconds": seconds, "statuses": statuses, "failures_5xx": failures}
    if samples:
        first, last = samples[0][1], samples[-1][1]
        result |= {
            "rss_mb_start": round(first, 1),
            "rss_mb_end": round(last, 1),
            "rss_mb_max": round(max(r for _, r in samples), 1),
            "rss_growth_pct": round(100 * (last - first) / first, 1),
            "rss_samples": samples,
        }
    return result


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def server():
    """`bentoml serve serving.service:Extractor` on a free loopback port, until ready."""
    import psutil

    port = _free_port()
    bentoml = str(Path(sys.executable).parent / "bentoml")
    process = subprocess.Popen(
        [bentoml, "serve", "serving.service:Extractor", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if process.poll() is not None:
                sys.exit(f"bentoml serve exited ({process.returncode}): run it to see why")
            with suppress(httpx.HTTPError):
                if httpx.get(f"{url}/readyz", timeout=5).status_code == 200:
                    break
            time.sleep(0.5)
        else:
            sys.exit("the server was not ready in 180 s")

        def rss() -> float:
            """MB resident in the server and its workers."""
            tree = [psutil.Process(process.pid), *psutil.Process(process.pid).children(True)]
            return sum(p.memory_info().rss for p in tree) / 2**20

        yield url, rss
    finally:
        workers = psutil.Process(process.pid).children(recursive=True)
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        for worker in workers:
            with suppress(psutil.NoSuchProcess):
                worker.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", help="a running server (default: start one)")
    parser.add_argument("--docs", type=Path, default=ROOT / "data/demo/eval_set.json")
    parser.add_argument("--sequential", type=int, default=60, help="requests, one at a time")
    parser.add_argument("--batched", type=int, default=240, help="requests, concurrent")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients")
    parser.add_argument("--max-seconds", type=float, default=120, help="per phase")
    parser.add_argument("--soak", type=float, default=0, help="seconds of mixed traffic (≤600)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    if not 0 <= args.soak <= 600:
        parser.error("--soak: at most 600 seconds")
    docs = documents(args.docs)

    with server() if args.url is None else _given(args.url) as (url, rss):
        # warm up: the first model calls, and the dispatcher's calibration of batch timing
        run_phase(url, docs, 2 * args.clients, args.clients, args.max_seconds)
        results = {}
        for name, requests, clients in (
            ("sequential", args.sequential, 1),
            ("batched", args.batched, args.clients),
        ):
            before = batch_sizes(url)
            results[name] = run_phase(url, docs, requests, clients, args.max_seconds)
            after = batch_sizes(url)
            batches, total = after[0] - before[0], after[1] - before[1]
            results[name]["mean_batch"] = round(total / batches, 2) if batches else None
        if args.soak:
            results["soak"] = soak(url, docs, args.soak, args.clients, rss)

    speedup = results["batched"]["docs_per_s"] / results["sequential"]["docs_per_s"]
    print(f"{'phase':<11} {'clients':>7} {'requests':>8} {'errors':>6} {'docs/s':>7} "
          f"{'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'batch':>6}")  # fmt: skip
    for name, r in results.items():
        if name == "soak":
            continue
        print(
            f"{name:<11} {r['clients']:>7} {r['requests']:>8} {r['errors']:>6} "
            f"{r['docs_per_s']:>7} {r['p50_ms']:>8} {r['p95_ms']:>8} {r['p99_ms']:>8} "
            f"{r['mean_batch'] if r['mean_batch'] is not None else '-':>6}"
        )
    print(f"batched / sequential throughput: {speedup:.2f}x")
    if "soak" in results:
        r = results["soak"]
        print(f"soak {r['seconds']:.0f} s: answers by status {r['statuses']}")
        print(f"soak failures (5xx other than 503, or no answer): {r['failures_5xx']}")
        if "rss_mb_start" in r:
            print(
                f"server RSS: {r['rss_mb_start']} MB at start, {r['rss_mb_end']} MB at end "
                f"(max {r['rss_mb_max']}, growth {r['rss_growth_pct']}%)"
            )
    if args.json:
        args.json.write_text(json.dumps({**results, "speedup": round(speedup, 2)}, indent=2))


@contextmanager
def _given(url: str):
    yield url.rstrip("/"), None  # another process's server: no RSS to sample


if __name__ == "__main__":
    main()

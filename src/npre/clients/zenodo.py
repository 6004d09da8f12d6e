"""Download files of a Zenodo record (the LOTUS v10 snapshot is record 7534071), checksum-verified.

The record's JSON lists each file with its size, checksum ("md5:...") and link. A file is
streamed to `NAME.part`, hashed on the way, and renamed only when the checksum matches;
a file already present with the right checksum is not downloaded again.
"""

from __future__ import annotations

import fnmatch
import hashlib
from dataclasses import dataclass
from pathlib import Path

import httpx

from npre.clients.retry import RETRY_STATUSES, Transient, with_retries

ZENODO = "https://zenodo.org"
LOTUS_RECORD = "7534071"


class DownloadError(RuntimeError):
    pass


@dataclass
class RecordFile:
    name: str
    size: int
    algorithm: str
    checksum: str
    url: str


def record_files(client: httpx.Client, base_url: str, record: str) -> list[RecordFile]:
    response = client.get(f"{base_url.rstrip('/')}/api/records/{record}")
    if response.status_code != 200:
        raise DownloadError(f"Zenodo record {record}: HTTP {response.status_code}")
    files = []
    for entry in response.json().get("files", []):
        algorithm, _, checksum = entry["checksum"].partition(":")
        files.append(
            RecordFile(
                entry["key"], int(entry.get("size", 0)), algorithm, checksum, entry["links"]["self"]
            )
        )
    return files


def file_checksum(path: Path, algorithm: str) -> str:
    digest = hashlib.new(algorithm)
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def download_file(client: httpx.Client, item: RecordFile, out_dir: Path, retries: int = 3) -> Path:
    target = out_dir / item.name
    if target.exists() and file_checksum(target, item.algorithm) == item.checksum:
        return target
    partial = target.with_name(target.name + ".part")

    def attempt() -> str:
        digest = hashlib.new(item.algorithm)
        try:
            with client.stream("GET", item.url) as response:
                if response.status_code in RETRY_STATUSES:
                    raise Transient(
                        f"HTTP {response.status_code}", response.headers.get("Retry-After")
                    )
                if response.status_code != 200:
                    raise DownloadError(f"{item.name}: HTTP {response.status_code}")
                with partial.open("wb") as handle:
                    for block in response.iter_bytes():
                        digest.update(block)
                        handle.write(block)
        except httpx.HTTPError as exc:
            raise Transient(f"{type(exc).__name__}: {exc}") from None
        return digest.hexdigest()

    try:
        checksum = with_retries(attempt, retries, 1.0, f"download of {item.name}", DownloadError)
    except DownloadError:
        partial.unlink(missing_ok=True)
        raise
    if checksum != item.checksum:
        partial.unlink(missing_ok=True)
        raise DownloadError(
            f"{item.name}: {item.algorithm} checksum {checksum} does not match "
            f"the record's {item.checksum}; the download was discarded"
        )
    partial.replace(target)
    return target


def download_record(
    record: str, out_dir: Path, pattern: str = "*", base_url: str = ZENODO, timeout_s: float = 60.0
) -> list[Path]:
    """Download the files of `record` whose names match `pattern` into `out_dir`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with httpx.Client(timeout=timeout_s, follow_redirects=True) as client:
        files = [
            f for f in record_files(client, base_url, record) if fnmatch.fnmatch(f.name, pattern)
        ]
        if not files:
            raise DownloadError(f"Zenodo record {record} has no file matching {pattern!r}")
        return [download_file(client, item, out_dir) for item in files]

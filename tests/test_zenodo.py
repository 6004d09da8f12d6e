"""Downloading a Zenodo record's files from a local server, with checksum verification."""

from __future__ import annotations

import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from typer.testing import CliRunner

from npre.cli import app
from npre.clients.zenodo import DownloadError, download_record

PAYLOAD = b"structure_wikidata\torganism_wikidata\nQ1\tQ2\n" * 1000


@pytest.fixture
def zenodo():
    state = {"checksum": "md5:" + hashlib.md5(PAYLOAD).hexdigest(), "downloads": 0, "fail_first": 0}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            base = f"http://127.0.0.1:{self.server.server_address[1]}"
            if self.path == "/api/records/7534071":
                frozen = {
                    "key": "230106_frozen_metadata.csv.gz",
                    "size": len(PAYLOAD),
                    "checksum": state["checksum"],
                    "links": {"self": f"{base}/files/frozen"},
                }
                other = {
                    "key": "other.zip",
                    "size": 1,
                    "checksum": "md5:0",
                    "links": {"self": f"{base}/x"},
                }
                body = json.dumps({"files": [frozen, other]}).encode()
            elif self.path == "/files/frozen":
                state["downloads"] += 1
                if state["fail_first"]:
                    state["fail_first"] -= 1
                    self.send_response(503)
                    self.end_headers()
                    return
                body = PAYLOAD
            else:
                self.send_response(404)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state["url"] = f"http://127.0.0.1:{server.server_address[1]}"
    yield state
    server.shutdown()


def test_downloads_verifies_and_skips_a_verified_file(zenodo, tmp_path):
    zenodo["fail_first"] = 1  # a 503 is retried
    (path,) = download_record("7534071", tmp_path, "*frozen_metadata*", zenodo["url"])
    assert path.read_bytes() == PAYLOAD and zenodo["downloads"] == 2
    download_record("7534071", tmp_path, "*frozen_metadata*", zenodo["url"])
    assert zenodo["downloads"] == 2  # present with the right checksum: not fetched again


def test_checksum_mismatch_keeps_nothing(zenodo, tmp_path):
    zenodo["checksum"] = "md5:" + "0" * 32
    with pytest.raises(DownloadError, match="checksum .* does not match"):
        download_record("7534071", tmp_path, "*frozen_metadata*", zenodo["url"])
    assert list(tmp_path.iterdir()) == []


def test_download_command(zenodo, tmp_path):
    result = CliRunner().invoke(
        app, ["download", "--out", str(tmp_path), "--zenodo-url", zenodo["url"]]
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "230106_frozen_metadata.csv.gz").exists()
    args = [
        "download",
        "--out",
        str(tmp_path),
        "--zenodo-url",
        zenodo["url"],
        "--pattern",
        "*.nope",
    ]
    missing = CliRunner().invoke(app, args)
    assert missing.exit_code == 1 and "no file matching" in missing.output

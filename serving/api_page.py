"""The API page at `/` under the service's own title, and the project's docs beside it.

BentoML's Swagger page is titled "BentoML Prediction Service" and loads Google Tag Manager
from the internet; here `/` answers the same page with the API's title and without the
tracker, so it renders the same offline. `/guide/` serves the project's documentation
(README.md and docs/, Markdown rendered to HTML, with the images they show) so that the
page's documentation link works wherever the service runs, a built Bento included.
"""

from __future__ import annotations

import html
import mimetypes
import re
from pathlib import Path

GUIDE = "/guide/"
# what /guide/ may serve, relative to the project root: the docs and the images they show
SERVED = (re.compile(r"README\.md|docs/[\w./-]+\.(md|png|svg|jpg)|reports/plots/[\w.-]+\.png"),)
TRACKER = re.compile(r"<!-- Google Tag Manager.*?<!-- End Google Tag Manager[^>]*-->", re.S)


# BentoML's stylesheet hides the document's title on the page (it keeps only the version
# badges, placed where the title was): show it, the badges after it
SHOW_TITLE = """<style>
.swagger-ui .info .main .title { visibility: visible; }
.swagger-ui .info .main .title span { position: static; }
</style>
"""


def swagger_page(title: str) -> bytes:
    """BentoML's Swagger UI page with `title` (in the tab and shown on the page) and
    without Google Tag Manager."""
    import _bentoml_impl.server

    page = (Path(_bentoml_impl.server.__file__).parent / "main-openapi.html").read_text()
    page = re.sub(r"<title>.*?</title>", f"<title>{html.escape(title)}</title>", page, flags=re.S)
    page = page.replace("</head>", SHOW_TITLE + "</head>", 1)
    return TRACKER.sub("", page).encode()


def _markdown_page(path: Path, name: str) -> bytes:
    from markdown_it import MarkdownIt

    body = MarkdownIt("commonmark", {"html": False}).enable("table").render(path.read_text())
    found = re.search(r"^#\s+(.+)$", path.read_text(), re.M)
    title = html.escape(found.group(1).strip() if found else name)
    style = (
        "body{font-family:system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;"
        "line-height:1.5}pre{background:#f5f5f5;padding:.8rem;overflow:auto}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2rem .5rem}"
        "img{max-width:100%}"
    )
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        f'<style>{style}</style></head><body><p><a href="/">API</a> &middot; '
        f'<a href="{GUIDE}">README</a></p>{body}</body></html>'
    ).encode()


def _docs_index(root: Path) -> bytes:
    """docs/ as a list of its pages, each under its first heading."""
    items = []
    for path in sorted((root / "docs").rglob("*.md")):
        found = re.search(r"^#\s+(.+)$", path.read_text(), re.M)
        name = path.relative_to(root / "docs").as_posix()
        label = html.escape(found.group(1).strip() if found else name)
        items.append(f'<li><a href="{html.escape(name)}">{label}</a> <code>{name}</code></li>')
    listing = "".join(items) or "<li>no pages</li>"
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>npre docs</title>'
        '</head><body style="font-family:system-ui,sans-serif;max-width:52rem;margin:2rem auto">'
        f'<p><a href="/">API</a> &middot; <a href="{GUIDE}">README</a></p><h1>Documentation</h1>'
        f"<ul>{listing}</ul></body></html>"
    ).encode()


def guide_file(root: Path, relative: str) -> tuple[str, bytes] | None:
    """(content type, body) for a path under /guide/ ('' is the README, 'docs/' the list
    of docs), or None."""
    if relative == "docs/" and (root / "docs").is_dir():
        return "text/html; charset=utf-8", _docs_index(root)
    relative = relative or "README.md"
    if not any(pattern.fullmatch(relative) for pattern in SERVED) or ".." in relative:
        return None
    path = root / relative
    if not path.is_file():
        return None
    if path.suffix == ".md":
        return "text/html; charset=utf-8", _markdown_page(path, relative)
    return mimetypes.guess_type(path.name)[0] or "application/octet-stream", path.read_bytes()


class ApiPages:
    """ASGI middleware: `/` is the Swagger page under `title`; `/guide/...` the docs."""

    def __init__(self, app, title: str, root: Path):
        self.app = app
        self.root = root
        self.index = swagger_page(title)

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD"):
            path = scope["path"]
            if path == "/":
                return await self._answer(send, 200, "text/html; charset=utf-8", self.index)
            if path == GUIDE.rstrip("/"):
                return await self._answer(send, 308, "text/plain", b"", location=GUIDE)
            if path.startswith(GUIDE):
                found = guide_file(self.root, path[len(GUIDE) :])
                if found is None:
                    return await self._answer(send, 404, "text/plain", b"not found")
                return await self._answer(send, 200, *found)
        return await self.app(scope, receive, send)

    @staticmethod
    async def _answer(send, status: int, kind: str, body: bytes, location: str = "") -> None:
        headers = [(b"content-type", kind.encode()), (b"content-length", str(len(body)).encode())]
        if location:
            headers.append((b"location", location.encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

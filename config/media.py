"""Uploaded media served by the site itself when they live on the filesystem (MEDIA_STORAGE=filesystem).

Podcast apps seek in episodes with byte ranges and re-check them with conditional requests, so this
answers Range (one range; several are answered with the whole file), If-None-Match / If-Modified-Since
and HEAD. Only files under MEDIA_ROOT are served.
"""

import mimetypes
import re
from pathlib import Path

from django.conf import settings
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseNotModified,
)
from django.utils.http import http_date, parse_http_date_safe

RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
CACHE_CONTROL = "public, max-age=86400"


def _file_under_media_root(path: str) -> Path:
    if "\x00" in path or path.startswith("/") or "\\" in path:
        raise Http404("No such file.")
    root = Path(settings.MEDIA_ROOT).resolve()
    candidate = (root / path).resolve()
    if not candidate.is_relative_to(root) or not candidate.is_file():
        raise Http404("No such file.")
    return candidate


def _byte_range(header: str, size: int) -> tuple[int, int] | None:
    """The (first, last) bytes asked for, None for the whole file; ValueError when none can be served."""
    match = RANGE.match(header.strip())
    if match is None:
        return None  # several ranges or another unit: the whole file is a valid answer
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # a suffix: the last N bytes
        length = int(last)
        if length == 0 or size == 0:
            raise ValueError
        return max(size - length, 0), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or end < start:
        raise ValueError
    return start, end


def serve_media(request: HttpRequest, path: str) -> HttpResponse:
    # The address is checked first: an address outside MEDIA_ROOT is not found, whatever the method.
    file = _file_under_media_root(path)
    if request.method not in {"GET", "HEAD"}:
        return HttpResponseNotAllowed(["GET", "HEAD"])
    stat = file.stat()
    etag = f'"{stat.st_mtime_ns:x}-{stat.st_size:x}"'
    last_modified = http_date(stat.st_mtime)
    content_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"

    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        fresh = etag in {tag.strip() for tag in if_none_match.split(",")} or if_none_match.strip() == "*"
    else:
        since = parse_http_date_safe(request.headers.get("If-Modified-Since", ""))
        fresh = since is not None and int(stat.st_mtime) <= since
    if fresh:
        response: HttpResponse = HttpResponseNotModified()
        response["ETag"] = etag
        response["Cache-Control"] = CACHE_CONTROL
        return response

    byte_range = None
    range_header = request.headers.get("Range")
    if_range = request.headers.get("If-Range")
    if range_header and (if_range is None or if_range.strip() in {etag, last_modified}):
        try:
            byte_range = _byte_range(range_header, stat.st_size)
        except ValueError:
            response = HttpResponse(status=416)
            response["Content-Range"] = f"bytes */{stat.st_size}"
            response["Accept-Ranges"] = "bytes"
            return response

    handle = file.open("rb")
    if byte_range is None:
        response = FileResponse(handle, content_type=content_type)
        response["Content-Length"] = str(stat.st_size)
    else:
        first, last = byte_range
        handle.seek(first)
        response = FileResponse(_limited(handle, last - first + 1), content_type=content_type, status=206)
        response["Content-Length"] = str(last - first + 1)
        response["Content-Range"] = f"bytes {first}-{last}/{stat.st_size}"
    response["Accept-Ranges"] = "bytes"
    response["ETag"] = etag
    response["Last-Modified"] = last_modified
    response["Cache-Control"] = CACHE_CONTROL
    return response


def _limited(handle, length: int):
    """Yields at most `length` bytes of an open file, in blocks, and closes it."""
    try:
        while length > 0:
            block = handle.read(min(FileResponse.block_size, length))
            if not block:
                break
            length -= len(block)
            yield block
    finally:
        handle.close()

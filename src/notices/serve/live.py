"""Live: watch the workspace's sources and tell the open pages what changed.

watchfiles (the watcher of sphinx-autobuild and uvicorn's reloader; inotify on Linux)
reports saves from any editor, grouped: an editor that writes a temporary file and
renames it is one change. The pages listen with server-sent events, a plain HTTP
response that stays open (``EventSource`` in the browser reconnects by itself), which
is all a page that only listens needs: no websocket protocol, no extra dependency.
"""

from __future__ import annotations

import asyncio
import os
import json
import logging
from pathlib import Path

log = logging.getLogger(__name__)

KEEPALIVE_SECONDS = 15
WATCHED_FOLDERS = ("records", "sessions", "templates")


class Hub:
    """The open pages that listen, and the events sent to them."""

    def __init__(self):
        self.loop: asyncio.AbstractEventLoop | None = None
        self._listeners: dict[asyncio.Queue, str | None] = {}  # queue -> record it previews

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop

    def listen(self, record: str | None) -> asyncio.Queue:
        listener: asyncio.Queue = asyncio.Queue(maxsize=100)
        self._listeners[listener] = record
        return listener

    def leave(self, listener: asyncio.Queue) -> None:
        self._listeners.pop(listener, None)

    @property
    def previewed(self) -> set[str]:
        """The records whose preview is open in some tab."""
        return {record for record in self._listeners.values() if record}

    def publish(self, event: dict) -> None:
        """Send ``event`` to every listener (on the event loop)."""
        for listener in list(self._listeners):
            try:
                listener.put_nowait(event)
            except asyncio.QueueFull:
                pass  # a tab that does not read (asleep): it reloads when it wakes

    def publish_threadsafe(self, event: dict) -> None:
        if self.loop is not None and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self.publish, event)

    def close(self) -> None:
        """End every stream (the server is stopping)."""
        self.publish({"type": "bye"})


async def event_stream(hub: Hub, record: str | None):
    """The lines of one page's event stream until it goes away or the server stops."""
    listener = hub.listen(record)
    try:
        yield "retry: 1000\n\n"
        while True:
            try:
                event = await asyncio.wait_for(listener.get(), KEEPALIVE_SECONDS)
            except asyncio.TimeoutError:
                yield ": keep-alive\n\n"
                continue
            if event.get("type") == "bye":
                return
            yield f"event: {event['type']}\ndata: {json.dumps(event, ensure_ascii=False)}\n\n"
    finally:
        hub.leave(listener)


def relevant(root: Path, path: str) -> str | None:
    """The workspace-relative path of a change worth telling, or None."""
    try:
        relative = Path(path).relative_to(root).as_posix()
    except ValueError:
        return None
    if relative == "notices.toml":
        return relative
    top, _, rest = relative.partition("/")
    if top not in WATCHED_FOLDERS or not rest:
        return None
    name = relative.rsplit("/", 1)[-1]
    if name.startswith(".notices-") or name.endswith(("~", ".swp", ".swx", ".tmp")):
        return None  # our own temporary files, editors' backups
    return relative


async def watch(root: Path, on_change, stop: asyncio.Event) -> None:
    """Call ``on_change(set of relative paths)`` for every group of changes until ``stop``.

    The folders are watched recursively and the workspace folder itself not (it may be
    a checkout with a virtualenv of thousands of folders): so notices.toml, and a
    sessions/ folder made while serving, are seen by a second, shallow watch.
    """
    from watchfiles import awatch

    async def run(paths, recursive: bool) -> None:
        async for changes in awatch(*paths, recursive=recursive, stop_event=stop,
                                    debounce=800, step=50, rust_timeout=500,
                                    yield_on_timeout=False):
            # Files, not the folders they are in (a new file also "changes" its folder).
            found = {r for _, p in changes if (r := relevant(root, p)) is not None
                     and not os.path.isdir(p)}
            if found:
                on_change(found)
            if not recursive and any(Path(p).parent == root and Path(p).name in WATCHED_FOLDERS
                                     for _, p in changes):
                restart.set()  # a watched folder was made (or removed): watch it anew

    restart = asyncio.Event()
    shallow = asyncio.ensure_future(run([root], False))
    try:
        while not stop.is_set():
            restart.clear()
            folders = [root / name for name in WATCHED_FOLDERS if (root / name).is_dir()]
            deep = asyncio.ensure_future(run(folders, True)) if folders else None
            waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(restart.wait())]
            await asyncio.wait(waiters + ([deep] if deep else []),
                               return_when=asyncio.FIRST_COMPLETED)
            for waiter in waiters:
                waiter.cancel()
            if deep is not None:
                deep.cancel()
                await asyncio.gather(deep, return_exceptions=True)
    finally:
        shallow.cancel()
        await asyncio.gather(shallow, return_exceptions=True)

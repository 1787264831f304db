"""Script calls that arrive while one is on its way to Redis go together in the next trip,
one pipeline: one write and one read for all of them instead of one round trip each.

Each call is still one ``EVALSHA``, atomic on its own; batching only shares the trip (the
asyncio client's per-call cost, not Redis, is what limits a busy server: measured with
32 concurrent callers, about 4,000 single calls a second against 10,000 batched). A quiet
server sends each call at once, on its own, with nothing added to its latency.
"""

from __future__ import annotations

import asyncio
import hashlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from redis.asyncio import Redis

Call = tuple[str, str, tuple[int, ...], "asyncio.Future[Any]"]


def sha1(script: str) -> str:
    return hashlib.sha1(script.encode(), usedforsecurity=False).hexdigest()


class ScriptBatcher:
    """``await batcher.call(script, key, *args)``: the script's result, or the error of
    its trip (a connection error fails every call of the batch)."""

    def __init__(self, client: Redis, *, max_batch: int = 512) -> None:
        self.client = client
        self.max_batch = max_batch
        self._queue: list[Call] = []
        self._busy = False
        self._drainer: asyncio.Task[None] | None = None

    async def call(self, script: str, key: str, *args: int) -> Any:
        if not self._busy:
            self._busy = True
            try:
                return await self._single(script, key, args)
            finally:
                self._next()
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._queue.append((script, key, args, future))
        return await future

    def _next(self) -> None:
        if self._queue:
            self._drainer = asyncio.get_running_loop().create_task(self._drain())
        else:
            self._busy = False

    async def _drain(self) -> None:
        try:
            while self._queue:
                batch = self._queue[: self.max_batch]
                del self._queue[: self.max_batch]
                await self._send(batch)
        finally:
            self._busy = False

    async def _single(self, script: str, key: str, args: tuple[int, ...]) -> Any:
        from redis.exceptions import NoScriptError

        try:
            return await self.client.evalsha(sha1(script), 1, key, *args)
        except NoScriptError:  # first use, or after SCRIPT FLUSH / a restart
            await self.client.script_load(script)
            return await self.client.evalsha(sha1(script), 1, key, *args)

    async def _send(self, batch: list[Call]) -> None:
        try:
            results = await self._execute(batch)
        except Exception as exc:
            for *_, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        for (*_, future), result in zip(batch, results, strict=True):
            if future.done():  # its caller was cancelled
                continue
            if isinstance(result, Exception):
                future.set_exception(result)
            else:
                future.set_result(result)

    async def _pipeline(self, batch: list[Call]) -> list[Any]:
        pipe = self.client.pipeline(transaction=False)
        for script, key, args, _ in batch:
            pipe.evalsha(sha1(script), 1, key, *args)
        results: list[Any] = await pipe.execute(raise_on_error=False)
        return results

    async def _execute(self, batch: list[Call]) -> list[Any]:
        from redis.exceptions import NoScriptError

        results = await self._pipeline(batch)
        missing = [i for i, result in enumerate(results) if isinstance(result, NoScriptError)]
        if missing:
            for script in {batch[i][0] for i in missing}:
                await self.client.script_load(script)
            again = await self._pipeline([batch[i] for i in missing])
            for i, result in zip(missing, again, strict=True):
                results[i] = result
        return results

    async def aclose(self) -> None:
        if self._drainer is not None and not self._drainer.done():
            await asyncio.gather(self._drainer, return_exceptions=True)

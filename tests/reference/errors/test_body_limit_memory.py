"""A 50 MB upload against a real server: refused with 413 and never buffered whole."""

from __future__ import annotations

import asyncio
import tracemalloc
from collections.abc import AsyncIterator

import httpx

from apiconform.reference.demo.app import create_demo_app
from apiconform.reference.kernel import AppRegistry

MB = 1024 * 1024


async def chunks(total: int, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    block = b"x" * size
    for _ in range(total // size):
        yield block


async def test_chunked_50mb_upload_is_cut_off_and_memory_stays_flat(registry: AppRegistry) -> None:
    app = create_demo_app(registry=registry, config={"errors": {"body_limit": MB}})
    await app.start(port=0)
    try:
        tracemalloc.start()
        async with httpx.AsyncClient(timeout=30) as client:
            try:
                response = await client.post(
                    f"{app.address}/errors/validate",
                    content=chunks(50 * MB),
                    headers={"content-type": "application/json"},
                )
                status = response.status_code
            except httpx.HTTPError:
                status = None  # the server may close the connection while we still send
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    finally:
        await app.dispose()
    assert status in (413, None)
    # the limit is 1 MB: the server reads at most that much before refusing
    assert peak < 8 * MB, f"peak {peak / MB:.1f} MB while sending 50 MB"


async def test_declared_50mb_body_gets_413_before_any_of_it_is_read(registry: AppRegistry) -> None:
    app = create_demo_app(registry=registry)
    await app.start(port=0)
    try:
        assert app.port is not None
        reader, writer = await asyncio.open_connection("127.0.0.1", app.port)
        writer.write(
            b"POST /errors/validate HTTP/1.1\r\nHost: t\r\n"
            b"Content-Type: application/json\r\nContent-Length: 52428800\r\n\r\n"
        )
        await writer.drain()
        reply = await asyncio.wait_for(reader.read(65536), 10)
        writer.close()
        await writer.wait_closed()
    finally:
        await app.dispose()
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413 ")
    assert b"content-type: application/problem+json" in head.lower()
    assert b"exceeds the limit of 10485760 bytes" in body

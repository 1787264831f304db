"""The in-memory database under concurrent requests: its one shared connection must not
let one transaction's rollback undo another's writes."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from apiconform.reference.store.database import open_database


class Boom(Exception):
    pass


async def test_transactions_on_the_memory_database_take_turns() -> None:
    database = await open_database()
    async with database.session() as session, session.begin():
        await session.execute(text("CREATE TABLE t (x INTEGER)"))
    writing = asyncio.Event()

    async def writer() -> None:
        async with database.session() as session, session.begin():
            await session.execute(text("INSERT INTO t VALUES (1)"))
            writing.set()
            await asyncio.sleep(0.05)  # another request runs meanwhile

    async def insert_then_fail() -> None:
        async with database.session() as session, session.begin():
            await session.execute(text("INSERT INTO t VALUES (2)"))
            raise Boom

    async def failing() -> None:
        await writing.wait()
        with pytest.raises(Boom):
            await insert_then_fail()

    await asyncio.wait_for(asyncio.gather(writer(), failing()), 10)
    async with database.session() as session:
        rows = (await session.execute(text("SELECT x FROM t"))).scalars().all()
    assert rows == [1]
    await database.aclose()


async def test_a_session_inside_another_of_the_same_task_does_not_wait_for_itself() -> None:
    database = await open_database()
    async with database.session() as outer:
        await outer.execute(text("SELECT 1"))
        async with database.session() as inner:
            assert (await inner.execute(text("SELECT 2"))).scalar() == 2
        await database.ping()
    await database.aclose()

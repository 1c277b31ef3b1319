"""A small key/value table for facts about the instance itself (its base URL, its version)."""

from __future__ import annotations

from sqlalchemy import String, Text, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base


class InstanceMeta(Base):
    __tablename__ = "instance_meta"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


async def get_meta(session: AsyncSession, key: str) -> str | None:
    return await session.scalar(select(InstanceMeta.value).where(InstanceMeta.key == key))


async def set_meta(session: AsyncSession, key: str, value: str) -> None:
    row = await session.get(InstanceMeta, key)
    if row is None:
        session.add(InstanceMeta(key=key, value=value))
    else:
        row.value = value

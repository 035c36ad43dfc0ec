"""Pydantic models of the Wistia API responses we read.

They ignore unknown fields and accept both spellings the API reference notes
(``hashed_id``/``hashedId``, ``folder``/``project``), so a new API version adding fields or a v1
server does not break a sync.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class WistiaFolder(_Lenient):
    id: int | None = None
    hashed_id: str = Field(validation_alias=AliasChoices("hashed_id", "hashedId"))
    name: str = ""


class WistiaThumbnail(_Lenient):
    url: str | None = None


class WistiaTag(_Lenient):
    name: str


class WistiaMedia(_Lenient):
    id: int | None = None
    hashed_id: str = Field(validation_alias=AliasChoices("hashed_id", "hashedId"))
    name: str = ""
    type: str = "UnknownType"
    status: str = "ready"
    archived: bool = False
    created: datetime
    updated: datetime
    duration: float | None = None
    description: str | None = ""
    thumbnail: WistiaThumbnail | None = None
    folder: WistiaFolder | None = Field(
        default=None, validation_alias=AliasChoices("folder", "project")
    )
    tags: list[WistiaTag] = Field(default_factory=list)

    @field_validator("created", "updated")
    @classmethod
    def _as_utc(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    @field_validator("tags", mode="before")
    @classmethod
    def _null_tags(cls, value: object) -> object:
        return [] if value is None else value


class WistiaStats(_Lenient):
    plays: int | None = None
    page_loads: int | None = Field(default=None, validation_alias=AliasChoices("pageLoads"))
    visitors: int | None = None


class WistiaMediaStats(_Lenient):
    hashed_id: str | None = Field(
        default=None, validation_alias=AliasChoices("hashed_id", "hashedId")
    )
    stats: WistiaStats = Field(default_factory=WistiaStats)

"""Request and response models of the review queues (restricted: they carry case numbers)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from safer77.service.review import ItemStatus, QueueKind
from safer77.service.schemas import Strict, Text, Version


class QueueOut(BaseModel):
    id: int
    name: str
    kind: QueueKind
    created_at: datetime
    created_by: int | None
    parameters: dict[str, Any] = Field(description="How the study was run: grouping, years, fdr.")
    groups: int
    items: int = Field(description="Items you may see (a detective: the unit's cases).")
    pending: int


class ItemOut(BaseModel):
    id: int
    case_id: int
    case_number: str
    case_status: str = Field(description="The case's status now.")
    community_area: int | None = Field(description="Where the study placed the case.")
    year: int = Field(description="Injury year.")
    status: ItemStatus
    note: str | None
    reviewed_by: int | None
    reviewed_at: datetime | None
    version: int


class GroupOut(BaseModel):
    id: int
    key: dict[str, str] = Field(description='The group, e.g. {"area": "7", "sex": "F"}.')
    cases: int
    cleared: int
    rate: float
    expected_rate: float = Field(description="What comparable cases achieve city-wide.")
    p_value: float
    q_value: float
    missing: list[str] = Field(
        description="Unsolved case numbers of the group that the service holds no case for."
    )
    items: list[ItemOut] = Field(description="By area, year and case number.")


class QueueDetail(QueueOut):
    group_list: list[GroupOut]


class ItemUpdate(Strict):
    version: Version
    status: ItemStatus | None = None
    note: Text | None = None

"""Regions: China's official divisions (province → city → district) plus custom ones."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from core.security.models import Region

#: Provinces the divisions file leaves out, with their GB/T 2260 codes.
EXTRA_PROVINCES = {"71": "台湾省", "81": "香港特别行政区", "82": "澳门特别行政区"}
#: Municipalities list one city called 市辖区; the picker shows the province's name instead.
MUNICIPAL_CITY = "市辖区"


def division_rows() -> list[dict[str, Any]]:
    """Every division as a row for the ``regions`` table, parents before children."""
    data = json.loads(
        resources.files("core").joinpath("data/china-divisions/pca-code.json").read_text("utf-8")
    )
    rows: list[dict[str, Any]] = []

    def walk(nodes: list[dict[str, Any]], parent: str | None, level: int) -> None:
        for node in nodes:
            rows.append(
                {
                    "code": node["code"],
                    "name": node["name"],
                    "parent_code": parent,
                    "level": level,
                    "custom": False,
                }
            )
            walk(node.get("children", []), node["code"], level + 1)

    walk(data, None, 1)
    known = {row["code"] for row in rows}
    rows.extend(
        {"code": code, "name": name, "parent_code": None, "level": 1, "custom": False}
        for code, name in EXTRA_PROVINCES.items()
        if code not in known
    )
    return rows


def load_divisions(session: Session) -> int:
    """Insert the official divisions (on an empty table); returns how many."""
    rows = division_rows()
    for level in (1, 2, 3):
        batch = [row for row in rows if row["level"] == level]
        if batch:
            session.execute(insert(Region), batch)
    return len(rows)


def region_label(region: Region, parent: Region | None = None) -> str:
    """A display name: a municipality's 市辖区 shows as the municipality itself."""
    if region.name == MUNICIPAL_CITY and parent is not None:
        return parent.name
    return region.name

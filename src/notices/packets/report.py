"""What ``notices session`` did: the packets written or kept, and the problems on the way."""

from __future__ import annotations

from dataclasses import dataclass, field

from notices.build.report import BuildReport
from notices.errors import Problem
from notices.packets.sessions import SessionKey


@dataclass
class PacketResult:
    path: str  # relative to output/
    status: str  # "built", "up to date" or "kept"


@dataclass
class PacketReport:
    session: SessionKey | None = None
    packets: list[PacketResult] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    failed: bool = False
    build: BuildReport | None = None  # the papers brought up to date first
    broken_record: str | None = None  # a session record with errors that names this meeting

    @property
    def notes(self) -> list[str]:
        return self.build.notes if self.build else []

    def as_json(self) -> dict:
        return {"session": {"committee": self.session.committee,
                            "date": self.session.date.isoformat()} if self.session else None,
                "packets": [{"path": f"output/{p.path}", "status": p.status}
                            for p in self.packets],
                "problems": [p.format() for p in self.problems],
                "notes": self.notes, "failed": self.failed,
                "build": self.build.as_json() if self.build else None}

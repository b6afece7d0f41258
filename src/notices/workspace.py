"""The workspace: the folder that holds ``notices.toml``, ``records/``, ``templates/`` and
``output/``, found from any folder inside it.

Every path the tool reports is relative to the workspace, so messages read the same on
every machine.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from notices.errors import Problem, WorkspaceError
from notices.settings import CONFIG_NAME, Settings, load_settings


@dataclass(frozen=True)
class Workspace:
    root: Path  # absolute
    settings: Settings

    @property
    def records_dir(self) -> Path:
        return self.root / "records"

    @property
    def templates_dir(self) -> Path:
        return self.root / "templates"

    @property
    def output_dir(self) -> Path:
        return self.root / "output"

    def relative(self, path: Path | str) -> str:
        """A path as the user should read it: relative to the workspace where possible."""
        try:
            return Path(os.path.abspath(path)).relative_to(self.root).as_posix()
        except ValueError:
            return str(path)


def open_workspace(root: Path | str = ".") -> Workspace:
    """Find and load the workspace at ``root`` or the nearest folder above it."""
    start = Path(os.path.abspath(root))
    if not start.is_dir():  # a typo in -C must not fall back to a workspace above it
        raise WorkspaceError(Problem(str(start), "no such folder"))
    # Like git: from a folder inside the workspace (records/2023, output/) the workspace
    # above it is meant.
    for folder in (start, *start.parents):
        config_path = folder / CONFIG_NAME
        if config_path.is_file():
            return Workspace(folder, load_settings(config_path))
    raise WorkspaceError(Problem(
        path=str(start), message=f"not a notices workspace: {CONFIG_NAME} is missing "
        "(create one with 'notices init DIR', or pass -C DIR)"))

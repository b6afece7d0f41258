"""Create a new workspace: ``notices init DIR``.

The default templates, fonts, registry and the seed notice ship inside the package
(``notices/skeleton``), so ``init`` works from an installed wheel, not only a checkout.
"""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

from notices.errors import Problem, WorkspaceError

SKELETON_ITEMS = ("notices.toml", "templates", "records")


def skeleton_dir() -> Path:
    return Path(str(resources.files("notices") / "skeleton"))


def init_workspace(target: Path) -> list[Path]:
    """Copy the skeleton into ``target``; refuse to overwrite anything. Returns what it made."""
    source = skeleton_dir()
    if not (source / "notices.toml").is_file():
        raise WorkspaceError(Problem("notices", "the package's default workspace is missing; "
                                     "reinstall notices"))
    existing = [name for name in SKELETON_ITEMS if (target / name).exists()]
    if existing:
        raise WorkspaceError(Problem(str(target), f"already holds {', '.join(existing)}; "
                                     "choose an empty or new folder"))
    created = []
    had_output = (target / "output").exists()
    try:
        target.mkdir(parents=True, exist_ok=True)
        for name in SKELETON_ITEMS:
            item = source / name
            if item.is_dir():
                shutil.copytree(item, target / name,
                                ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
            else:
                shutil.copy2(item, target / name)
            created.append(target / name)
        (target / "output").mkdir(exist_ok=True)
    except (OSError, shutil.Error) as error:
        # Leave nothing half-made behind: a retry would be refused as "already holds".
        made = [target / name for name in SKELETON_ITEMS]  # none existed before
        for item in made + ([] if had_output else [target / "output"]):
            if item.is_dir() and not item.is_symlink():
                shutil.rmtree(item, ignore_errors=True)
            elif item.exists():
                item.unlink(missing_ok=True)
        reason = getattr(error, "strerror", None) or str(error)
        raise WorkspaceError(Problem(str(target), f"cannot create the workspace here: {reason}"
                                     )) from None
    created.append(target / "output")
    return created

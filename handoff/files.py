"""Files Handoff writes for people to keep (the meeting pack, exports, rejects): whole or not at all.

Each file is written under a name no other writer uses, beside its target, and renamed over the
target only once it is complete; a failure (a full disk, an interruption) removes what was written,
so the target is always either the previous file or the new one, never a partial or empty one, and
parallel writers to the same target each succeed (the last rename wins).
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from handoff.errors import HandoffError


class WriteFailed(HandoffError):
    """A file could not be written (a full disk, no permission); its previous version is untouched."""


def _unique_beside(target: Path, kind: str) -> Path:
    """A hidden name beside `target` that no other process or thread picks."""
    return target.with_name(f".{target.name}.{kind}-{os.getpid()}-{uuid.uuid4().hex[:12]}")


@contextmanager
def replacing_file(target: str | Path) -> Iterator[Path]:
    """Yield a fresh path to write `target`'s new content to; rename it over `target` on success.

    On any failure inside the block the partial file is removed and `target` is left as it was.
    """
    target = Path(target).resolve()  # "." or "out/" have no name to put a partial file beside
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = _unique_beside(target, "partial")
    try:
        yield partial
        os.replace(partial, target)
    except OSError as exc:
        kept = "the previous file is unchanged" if target.exists() else "nothing was written"
        raise WriteFailed(f"could not write {target}: {exc.strerror or exc}; {kept}") from exc
    finally:
        partial.unlink(missing_ok=True)


@contextmanager
def replacing_files(directory: str | Path) -> Iterator[Path]:
    """Yield a fresh folder beside `directory` to write files into; move them into `directory` on success.

    Every file is renamed into place only after all were written, so a failure midway (a full disk)
    leaves `directory` exactly as it was, files other than the new ones included, and removes the
    temporary folder.
    """
    directory = Path(directory).resolve()
    directory.parent.mkdir(parents=True, exist_ok=True)
    if directory.exists() and not directory.is_dir():
        raise NotADirectoryError(f"{directory} is a file, not a folder to write into")
    staging = _unique_beside(directory, "writing")
    staging.mkdir()
    moved = 0
    try:
        yield staging
        directory.mkdir(exist_ok=True)
        for written in sorted(staging.iterdir()):
            os.replace(written, directory / written.name)
            moved += 1
    except OSError as exc:
        kept = (
            f"{moved} of its files were replaced before that" if moved else "none of its files were changed"
        )
        raise WriteFailed(f"could not write into {directory}: {exc.strerror or exc}; {kept}") from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)

"""A trial data folder attached to a review project (`alsreview trial attach DIR`).

In: a trial data folder or workbook (`trial.ipd.load_trial` format) and an open project.
Out: a validated copy in `<project>/trial/` (so the project carries its data), recorded in
the store with an event; `attached_trial` reads it back for the project report.  A folder
that fails validation is refused with every problem listed, and nothing is copied.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from alsreview.errors import StoreError
from alsreview.store.extractions import get_setting, set_setting
from alsreview.store.project import Project
from alsreview.trial.ipd import TrialData, load_trial, save_trial

KEY = "trial_folder"
FOLDER = "trial"


def attach_trial(project: Project, source: str | Path) -> TrialData:
    """Validate `source` and copy it into the project (replacing an earlier attachment)."""
    if project.root is None:
        raise StoreError("a trial can only be attached to a project folder")
    trial = load_trial(source)  # raises ValidationError listing every problem
    target = project.root / FOLDER
    tmp = project.root / f".{FOLDER}.tmp"
    if tmp.exists():
        shutil.rmtree(tmp)
    save_trial(trial, tmp)
    if target.exists():
        shutil.rmtree(target)
    tmp.rename(target)
    set_setting(project, KEY, FOLDER, "trial.attach")
    project.log_event("trial.attach.source", {"source": str(Path(source).resolve())})
    return trial


def attached_trial(project: Project) -> TrialData | None:
    """The attached trial, or None when the project has none."""
    name = get_setting(project, KEY)
    if not name or project.root is None:
        return None
    return load_trial(project.root / name)

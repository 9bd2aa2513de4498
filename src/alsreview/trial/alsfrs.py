"""ALSFRS-R items to subscores, King's clinical stage, MiToS stage and ΔFRS.

In: visits with the 12 ALSFRS-R items (`alsfrs_r_1` … `alsfrs_r_12`, item 5 as `alsfrs_r_5a`
or `alsfrs_r_5b`), or a total score and disease duration. Out: DataFrames / numbers.

- Subscores (Cedarbaum et al. 1999 domains): bulbar = items 1-3, fine motor = 4-6, gross
  motor = 7-9, respiratory = 10-12 (0-12 each).
- King's stage from ALSFRS-R (Balendra et al. 2014, ALS Frontotemporal Degener 15:279):
  regions involved = bulbar (any of items 1-3 < 4), upper limb (item 4 or 5a < 4), lower limb
  (item 8 < 4); stage = number of regions (1-3; 0 when the scale shows none); stage 4A when item
  5 is scored as 5b (gastrostomy), 4B when item 10 = 0 or item 12 < 4 (non-invasive
  ventilation); 4B outranks 4A. Returned as 0, 1, 2, 3, 4.1 (4A) or 4.2 (4B).
- MiToS stage (Chiò et al. 2015, JNNP 86:38): domains lost = walking/self-care (item 8 ≤ 1 or
  item 6 ≤ 1), swallowing (item 3 ≤ 1), communicating (item 1 ≤ 1 and item 4 ≤ 1), breathing
  (item 10 ≤ 1 or item 12 ≤ 2); stage = number of domains lost (0-4); 5 is death.
- ΔFRS (Kimura et al. 2006): (48 − ALSFRS-R) / months from symptom onset.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

SUBSCORES = {
    "bulbar": ("alsfrs_r_1", "alsfrs_r_2", "alsfrs_r_3"),
    "fine_motor": ("alsfrs_r_4", "alsfrs_r_5", "alsfrs_r_6"),
    "gross_motor": ("alsfrs_r_7", "alsfrs_r_8", "alsfrs_r_9"),
    "respiratory": ("alsfrs_r_10", "alsfrs_r_11", "alsfrs_r_12"),
}
KINGS_LABELS = {0: "0", 1: "1", 2: "2", 3: "3", 4.1: "4A", 4.2: "4B"}


def _item5(items: pd.DataFrame) -> pd.Series:
    import numpy as np
    import pandas as pd

    a = items["alsfrs_r_5a"] if "alsfrs_r_5a" in items else pd.Series(np.nan, index=items.index)
    b = items["alsfrs_r_5b"] if "alsfrs_r_5b" in items else pd.Series(np.nan, index=items.index)
    return a.fillna(b)


def subscores(items: pd.DataFrame) -> pd.DataFrame:
    """Bulbar, fine motor, gross motor and respiratory subscores (0-12) per row."""
    import pandas as pd

    it = items.assign(alsfrs_r_5=_item5(items))
    return pd.DataFrame(
        {name: it[list(cols)].sum(axis=1, min_count=3) for name, cols in SUBSCORES.items()}
    )


def kings_stage(items: pd.DataFrame) -> pd.Series:
    """King's stage from the items (see module docstring); NaN when an item is missing."""
    import numpy as np
    import pandas as pd

    i = {k: items[k] for k in items.columns if k.startswith("alsfrs_r_")}
    nan = pd.Series(np.nan, index=items.index)
    gastro = items.get("alsfrs_r_5b", nan).notna()
    item5a = items.get("alsfrs_r_5a", nan)
    bulbar = (i["alsfrs_r_1"] < 4) | (i["alsfrs_r_2"] < 4) | (i["alsfrs_r_3"] < 4)
    upper = (i["alsfrs_r_4"] < 4) | (item5a < 4)
    lower = i["alsfrs_r_8"] < 4
    stage = bulbar.astype(float) + upper.astype(float) + lower.astype(float)
    stage = stage.where(~gastro, 4.1)
    stage = stage.where(~((i["alsfrs_r_10"] == 0) | (i["alsfrs_r_12"] < 4)), 4.2)
    needed = ["alsfrs_r_1", "alsfrs_r_2", "alsfrs_r_3", "alsfrs_r_4", "alsfrs_r_8"]
    needed += ["alsfrs_r_10", "alsfrs_r_12"]
    missing = items[needed].isna().any(axis=1) | _item5(items).isna()
    return stage.where(~missing, np.nan).rename("kings_stage")


def mitos_stage(items: pd.DataFrame, died: pd.Series | None = None) -> pd.Series:
    """MiToS stage (0-5) from the items (see module docstring); NaN when an item is missing."""
    import numpy as np

    i = items
    move = (i["alsfrs_r_8"] <= 1) | (i["alsfrs_r_6"] <= 1)
    swallow = i["alsfrs_r_3"] <= 1
    talk = (i["alsfrs_r_1"] <= 1) & (i["alsfrs_r_4"] <= 1)
    breathe = (i["alsfrs_r_10"] <= 1) | (i["alsfrs_r_12"] <= 2)
    stage = move.astype(float) + swallow.astype(float) + talk.astype(float) + breathe.astype(float)
    needed = ["alsfrs_r_1", "alsfrs_r_3", "alsfrs_r_4", "alsfrs_r_6", "alsfrs_r_8"]
    needed += ["alsfrs_r_10", "alsfrs_r_12"]
    stage = stage.where(~i[needed].isna().any(axis=1), np.nan)
    if died is not None:
        stage = stage.where(~died.astype(bool), 5.0)
    return stage.rename("mitos_stage")


def delta_frs(alsfrs_r: float, months_since_onset: float) -> float:
    """ΔFRS pre-slope = (48 − ALSFRS-R) / months since symptom onset (points per month)."""
    if months_since_onset is None or not months_since_onset > 0:
        return math.nan
    return (48.0 - float(alsfrs_r)) / float(months_since_onset)

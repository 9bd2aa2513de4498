"""Run ONE ASReview LAB simulation with its default model and given priors (run by the
Python of ASReview's own virtual environment, see screening_vs_asreview.py).

    python asreview_driver.py DATA.csv SEED PRIOR_IDX...   ->  JSON on stdout:
    {"order": [row indices in screening order, priors first], "seconds": ...,
     "cpu_seconds": ..., "ai": ..., "asreview": version}

Mirrors `asreview simulate DATA.csv --prior-idx ... --seed SEED` (default AI, top-down
until the model can be fitted, then the default cycle until the last relevant record).
"""

from __future__ import annotations

import json
import sys
import time

import asreview
import numpy as np
from asreview import load_dataset
from asreview.learner import ActiveLearningCycle
from asreview.models.models import get_ai_config
from asreview.models.queriers import TopDown
from asreview.models.stoppers import IsFittable, LastRelevant
from asreview.simulation.simulate import Simulate


def main() -> None:
    path, seed, priors = sys.argv[1], int(sys.argv[2]), [int(i) for i in sys.argv[3:]]
    np.random.seed(seed)
    start = time.perf_counter()
    cpu0 = time.process_time()
    config = get_ai_config()
    with load_dataset(path, dataset_id="bench") as db:
        cycles = [
            ActiveLearningCycle(querier=TopDown(), stopper=IsFittable()),
            ActiveLearningCycle.from_meta(config["value"]),
        ]
        sim = Simulate(
            db.input.get_df(),
            db.input["included"],
            cycles,
            stopper=LastRelevant(),
            print_progress=False,
        )
        sim.label(priors)
        sim.review()
        order = [int(i) for i in sim._results["record_id"]]
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu0
    out = {"order": order, "seconds": seconds, "cpu_seconds": cpu, "ai": config["name"]}
    out["asreview"] = asreview.__version__
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()

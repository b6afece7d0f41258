"""Building outputs: what is stale, who renders it, where it is written.

``run`` orchestrates one build (:func:`build`); ``keys`` defines an output's key (the
one definition of "changed"); ``outputs`` is the one output policy over ``output/``
(``lock``, ``writer``, ``state``); ``task`` is what a worker does with one record and
``workers`` the process pool; ``templates`` reads the templates folder once per run;
``report`` is what a build tells its caller. With ``--dask``, ``dask_pool`` takes the
process pool's place (``dask_cluster`` connects, ``dask_worker`` runs on the workers).
"""

from notices.build.options import FORMATS, BuildOptions
from notices.build.report import BUILT, FAILED, KEPT, UP_TO_DATE, BuildReport, RecordReport
from notices.build.run import build

__all__ = ["BUILT", "FAILED", "FORMATS", "KEPT", "UP_TO_DATE", "BuildOptions", "BuildReport",
           "RecordReport", "build"]

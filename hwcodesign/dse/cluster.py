"""Dask clusters for sweeps: a LocalCluster sized for the machine by default, SLURM / HTCondor
/ PBS through dask-jobqueue (one trial per job, adaptive), or a running scheduler."""

from __future__ import annotations

import os
import sys

from ..errors import ConfigError, MissingDependencyError
from .spec import Cluster

__all__ = ["make_cluster", "job_script", "parallel_slots", "trial_resources", "TRIAL_RESOURCE"]

_INSTALL = ".venv/bin/pip install dask[distributed] dask-jobqueue  (part of `make install`)"


#: Batch workers advertise one "trial" slot, so a job runs one trial on all its cores.
TRIAL_RESOURCE = {"trial": 1}


def _jobqueue_cluster(c: Cluster):
    try:
        import dask_jobqueue as jq
    except ImportError:
        raise MissingDependencyError("dask-jobqueue", f"cluster kind {c.kind}", _INSTALL) from None
    cls = {"slurm": jq.SLURMCluster, "htcondor": jq.HTCondorCluster, "pbs": jq.PBSCluster}[c.kind]
    kwargs = dict(
        cores=c.cores,
        processes=1,
        memory=c.memory,
        python=c.python or sys.executable,
        worker_extra_args=["--resources", ",".join(f"{k}={v}" for k, v in TRIAL_RESOURCE.items())],
        scheduler_options={"dashboard_address": ":0"},
    )
    if c.kind == "htcondor":  # submit-file attributes; the wall time becomes +MaxRuntime
        h, m, sec = (int(x) for x in c.walltime.split(":"))
        extra = {"+MaxRuntime": str(3600 * h + 60 * m + sec)}
        for line in c.job_extra:
            key, sep, value = line.partition("=")
            if not sep:
                raise ConfigError(f"cluster.job_extra for htcondor is 'key = value', got {line!r}")
            extra[key.strip()] = value.strip()
        kwargs.update(disk=c.disk, job_extra_directives=extra)
    else:
        kwargs.update(
            walltime=c.walltime, queue=c.queue, account=c.account, job_extra_directives=list(c.job_extra)
        )
    return cls(**kwargs)


def make_cluster(c: Cluster):
    """(cluster or None, client). The caller closes both."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise MissingDependencyError("distributed", "sweeps", _INSTALL) from None
    if c.kind == "address":
        if not c.address:
            raise ConfigError("cluster.kind address needs cluster.address (tcp://host:port)")
        return None, Client(c.address)
    if c.kind == "local":
        workers = c.workers or min(4, os.cpu_count() or 1)
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            memory_limit=0,
            dashboard_address=":0",
            death_timeout=30,
        )
        return cluster, Client(cluster)
    cluster = _jobqueue_cluster(c)
    cluster.adapt(minimum_jobs=c.minimum_jobs, maximum_jobs=c.maximum_jobs)
    return cluster, Client(cluster)


def job_script(c: Cluster) -> str:
    """The batch script dask-jobqueue would submit for one worker job (no cluster needed)."""
    if c.kind not in ("slurm", "htcondor", "pbs"):
        raise ConfigError(f"cluster kind {c.kind} has no job script (slurm, htcondor or pbs do)")
    cluster = _jobqueue_cluster(c)
    try:
        return cluster.job_script()
    finally:
        cluster.close()


def trial_resources(c: Cluster) -> dict | None:
    """Dask resources a trial asks for (batch workers have one slot each)."""
    return TRIAL_RESOURCE if c.kind in ("slurm", "htcondor", "pbs") else None


def parallel_slots(c: Cluster, client) -> int:
    """How many trials to keep in flight."""
    if c.kind == "local":
        return max(1, len(client.scheduler_info()["workers"]))
    if c.kind == "address":
        return max(1, len(client.scheduler_info()["workers"]))
    return c.maximum_jobs

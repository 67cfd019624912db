"""The batch scripts dask-jobqueue would submit, generated without a cluster."""

from __future__ import annotations

import re
import warnings

import pytest

from hwcodesign.dse.cluster import job_script
from hwcodesign.dse.spec import Cluster
from hwcodesign.errors import ConfigError


def _script(c: Cluster) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "port 8787 in use" style notes from distributed
        return job_script(c)


def test_slurm_job_script_reserves_the_cores_and_runs_one_trial_per_job():
    c = Cluster(
        kind="slurm",
        cores=8,
        memory="32GB",
        walltime="06:30:00",
        queue="short",
        account="l1trigger",
        job_extra=["--constraint=avx512"],
        python="/opt/hwcd/bin/python",
    )
    script = _script(c)
    directives = re.findall(r"^#SBATCH (.+)$", script, re.M)
    assert "-p short" in directives and "-A l1trigger" in directives
    assert "--cpus-per-task=8" in directives and "-t 06:30:00" in directives
    assert "--constraint=avx512" in directives
    mem = next(d for d in directives if d.startswith("--mem="))
    assert 29 <= int(mem.removeprefix("--mem=").rstrip("G")) <= 32  # dask writes GiB
    worker = next(line for line in script.splitlines() if "dask_worker" in line)
    assert worker.startswith("/opt/hwcd/bin/python -m distributed.cli.dask_worker tcp://")
    assert "--nthreads 8" in worker and "--resources trial=1" in worker and "--nanny" in worker


def test_htcondor_submit_file_has_cpus_memory_disk_and_the_wall_time():
    c = Cluster(
        kind="htcondor",
        cores=4,
        memory="16GB",
        disk="20GB",
        walltime="02:00:00",
        job_extra=['requirements = (OpSysAndVer == "AlmaLinux9")'],
    )
    script = _script(c)
    assert script.startswith("#!/usr/bin/env condor_submit")
    pairs = [line.split("=", 1) for line in script.splitlines() if " = " in line]
    attrs = {k.strip(): v.strip() for k, v in pairs}
    assert attrs["MY.DaskWorkerCores"] == "4"
    assert attrs["MY.DaskWorkerMemory"] == str(16 * 10**9)
    assert attrs["MY.DaskWorkerDisk"] == str(20 * 10**9)
    assert attrs["+MaxRuntime"] == str(2 * 3600)
    assert attrs["requirements"] == '(OpSysAndVer == "AlmaLinux9")'
    assert "--resources trial=1" in attrs["Arguments"]


def test_malformed_htcondor_directive_and_local_kind_are_refused():
    with pytest.raises(ConfigError, match=r"htcondor is 'key = value', got '\+MaxRuntime'"):
        job_script(Cluster(kind="htcondor", job_extra=["+MaxRuntime"]))
    with pytest.raises(ConfigError, match="cluster kind local has no job script"):
        job_script(Cluster(kind="local"))

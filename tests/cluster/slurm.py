"""A throwaway single-node SLURM cluster on loopback (Debian slurm-wlm 22.05 + munge, no slurmdbd).

Everything lives under one directory: slurm.conf, gres.conf, a fresh munge key, the daemons' sockets,
state, spool, pid and log files, and jobcomp.txt (the controller's record of every finished job).
The node declares more CPUs and memory than the machine has (config_overrides) and one GPU (a stand-in
device file), so a
profile's requests are scheduled as real SLURM requests.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

DAEMONS = ("munged", "slurmctld", "slurmd")
# The compiled-in config path. The slurm-jobstep executor strips every SLURM_* variable (SLURM_CONF
# included) from the environment of the srun it runs inside a job, so clients inside a job find the
# cluster only here, as on a real cluster. The cluster links its slurm.conf here while it runs and puts
# back whatever was there before, which waits at SAVED_CONF (a fixed path: it survives a killed test run,
# whose temporary directory may be deleted, and the next start puts it back first).
SYSTEM_CONF = Path("/etc/slurm/slurm.conf")
SAVED_CONF = Path("/etc/slurm/slurm.conf.wsss-saved")
CLIENTS = ("sbatch", "srun", "squeue", "sinfo", "scontrol", "scancel")
INSTALL = "apt-get install slurm-wlm munge"

SLURM_CONF = """\
ClusterName=wsss
SlurmctldHost={host}(127.0.0.1)
SlurmctldPort={ctld_port}
SlurmdPort={slurmd_port}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={root}/munge/munge.socket
StateSaveLocation={root}/state
SlurmdSpoolDir={root}/spool
SlurmctldPidFile={root}/slurmctld.pid
SlurmdPidFile={root}/slurmd.pid
SlurmctldLogFile={root}/slurmctld.log
SlurmdLogFile={root}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc={root}/jobcomp.txt
MpiDefault=none
MailProg=/bin/true
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
GresTypes=gpu
SlurmdParameters=config_overrides
ReturnToService=2
MinJobAge={min_job_age}
NodeName={host} NodeAddr=127.0.0.1 CPUs={cpus} RealMemory={mem_mb} Gres=gpu:{gpus} State=UNKNOWN
PartitionName=cpu Nodes={host} Default=YES MaxTime=INFINITE State=UP
PartitionName=gpu Nodes={host} MaxTime=INFINITE State=UP
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def missing_binaries() -> list[str]:
    return [b for b in DAEMONS + CLIENTS if not shutil.which(b) and not Path("/usr/sbin", b).is_file()]


class SlurmCluster:
    """`with SlurmCluster(root) as c:` starts munged, slurmctld and slurmd and waits for the node to be
    idle; on exit cancels every job, stops the daemons and reaps them, also after a failure."""

    def __init__(self, root: Path, cpus: int = 8, mem_mb: int = 65536, gpus: int = 1, min_job_age: int = 600):
        self.root = Path(root)
        self.host = socket.gethostname().split(".")[0]
        self.settings = dict(cpus=cpus, mem_mb=mem_mb, gpus=gpus, min_job_age=min_job_age)
        self.procs: dict[str, subprocess.Popen] = {}
        self.env = {**os.environ, "SLURM_CONF": str(self.root / "slurm.conf")}
        self.env.pop("SLURM_JOB_ID", None)

    def __enter__(self) -> SlurmCluster:
        missing = missing_binaries()
        if missing:
            raise RuntimeError(f"SLURM/munge binaries missing ({', '.join(missing)}): {INSTALL}")
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()

    def _start(self):
        r = self.root
        for d in ("munge", "state", "spool"):
            (r / d).mkdir(parents=True, mode=0o700)
        key = r / "munge" / "munge.key"
        key.write_bytes(os.urandom(1024))
        key.chmod(0o600)
        self._link_system_conf()
        (r / "slurm.conf").write_text(SLURM_CONF.format(root=r, host=self.host, ctld_port=free_port(),
                                                       slurmd_port=free_port(), **self.settings))
        # slurmd counts a GPU only through a device file; /dev/null stands in (no GPU exists here and
        # task/none binds no devices), so a `gpu` request is scheduled against a real GRES count.
        (r / "gres.conf").write_text("".join(f"NodeName={self.host} Name=gpu File=/dev/null\n"
                                             for _ in range(self.settings["gpus"])))
        self._spawn("munged", "munged", "--foreground", "--force", f"--socket={r}/munge/munge.socket",
                    f"--key-file={key}", f"--pid-file={r}/munge/munged.pid", f"--log-file={r}/munge/munged.log",
                    f"--seed-file={r}/munge/munged.seed")
        self._wait(lambda: (r / "munge" / "munge.socket").exists(), "munged socket")
        self._spawn("slurmctld", "/usr/sbin/slurmctld", "-D", "-f", str(r / "slurm.conf"))
        self._wait(lambda: self.run("scontrol", "ping", check=False).returncode == 0, "slurmctld")
        self._spawn("slurmd", "/usr/sbin/slurmd", "-D", "-f", str(r / "slurm.conf"))
        self._wait(lambda: self.run("sinfo", "-h", "-o", "%P %t", check=False).stdout.split() == ["cpu*", "idle", "gpu", "idle"],
                   "the node to be idle in both partitions")

    def _link_system_conf(self):
        SYSTEM_CONF.parent.mkdir(parents=True, exist_ok=True)
        if SAVED_CONF.exists() or SAVED_CONF.is_symlink():  # left by a killed run: the link is stale
            if SYSTEM_CONF.is_symlink():
                SYSTEM_CONF.unlink()
            SAVED_CONF.rename(SYSTEM_CONF)
        elif SYSTEM_CONF.is_symlink() and not SYSTEM_CONF.exists():  # a killed run's link, nothing saved
            SYSTEM_CONF.unlink()
        if SYSTEM_CONF.is_symlink() or SYSTEM_CONF.exists():
            SYSTEM_CONF.rename(SAVED_CONF)
        SYSTEM_CONF.symlink_to(self.root / "slurm.conf")

    def _unlink_system_conf(self):
        if SYSTEM_CONF.is_symlink() and SYSTEM_CONF.resolve() == (self.root / "slurm.conf").resolve():
            SYSTEM_CONF.unlink()
            if SAVED_CONF.exists() or SAVED_CONF.is_symlink():
                SAVED_CONF.rename(SYSTEM_CONF)

    def _spawn(self, name, *cmd):
        log = open(self.root / f"{name}.out", "w")
        self.procs[name] = subprocess.Popen(cmd, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        log.close()

    def _wait(self, ready, what, timeout=60):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            dead = {n: p.returncode for n, p in self.procs.items() if p.poll() is not None}
            if dead:
                raise RuntimeError(f"{dead} exited while waiting for {what}:\n{self.logs()}")
            if ready():
                return
            time.sleep(0.5)
        raise RuntimeError(f"timed out waiting for {what}:\n{self.logs()}")

    def logs(self, tail=2000) -> str:
        files = sorted(self.root.glob("*.log")) + sorted(self.root.glob("*.out")) + [self.root / "munge/munged.log"]
        return "\n".join(f"--- {f.name}\n{f.read_text(errors='replace')[-tail:]}" for f in files if f.is_file())

    def run(self, *cmd, check=True) -> subprocess.CompletedProcess:
        return subprocess.run(cmd, env=self.env, capture_output=True, text=True, check=check, timeout=30)

    def jobs(self) -> list[dict]:
        """Every job slurmctld still holds (MinJobAge), as `scontrol show job` key=value fields."""
        out = self.run("scontrol", "-o", "show", "job").stdout
        return [parse_fields(line) for line in out.splitlines() if line.startswith("JobId=")]

    def jobcomp(self) -> list[dict]:
        """The jobcomp/filetxt records: one line per finished job."""
        path = self.root / "jobcomp.txt"
        return [parse_fields(line) for line in path.read_text().splitlines()] if path.is_file() else []

    def leftovers(self) -> list[int]:
        """PIDs of processes (other than this one) whose command line or environment names the cluster's
        directory: the daemons, slurmstepd and job processes all carry SLURM_CONF."""
        needle = str(self.root).encode()
        pids = []
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit() or int(proc.name) == os.getpid():
                continue
            try:
                if needle in (proc / "cmdline").read_bytes() or needle in (proc / "environ").read_bytes():
                    pids.append(int(proc.name))
            except OSError:  # exited meanwhile
                continue
        return pids

    def stop(self):
        """Cancel all jobs, stop the daemons (slurmd, slurmctld, munged), reap them and every process of
        this cluster, and restore the system config: each step also when an earlier one fails."""
        try:
            if "slurmctld" in self.procs and self.procs["slurmctld"].poll() is None:
                self.run("scancel", "--user", "root", check=False)
                end = time.monotonic() + 30
                while time.monotonic() < end and self.run("squeue", "-h", "-t", "PD,R,CG", check=False).stdout.strip():
                    time.sleep(0.5)
        except (subprocess.SubprocessError, OSError):
            pass  # a hung client: the daemons are stopped below regardless
        finally:
            try:
                for name in reversed(DAEMONS):
                    proc = self.procs.get(name)
                    if proc is None:
                        continue
                    proc.terminate()
                    try:
                        proc.wait(timeout=20)
                    except subprocess.TimeoutExpired:
                        proc.kill()
                        proc.wait()
                end = time.monotonic() + 20
                while (pids := self.leftovers()) and time.monotonic() < end:  # orphaned slurmstepd / jobs
                    for pid in pids:
                        try:
                            os.kill(pid, 9)
                        except ProcessLookupError:
                            pass
                    time.sleep(0.2)
            finally:
                self._unlink_system_conf()


def parse_fields(line: str) -> dict:
    """`Key=Value Key=Value ...` (values without spaces, as scontrol -o and jobcomp/filetxt write them)."""
    return dict(field.split("=", 1) for field in line.split() if "=" in field)

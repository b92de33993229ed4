"""A one-node Slurm cluster on 127.0.0.1 for the farm's tests: Debian's
slurm-wlm 22.05 and munge, started in a scratch folder with a private
munge key and socket, its own ports, state and spool folders, no cgroups
and no accounting (so states come from scontrol). Needs root (SlurmUser
is root, as in CI). ``SlurmCluster(folder).start()`` waits until the node
is idle; ``stop()`` ends the daemons by their pid files."""
import os
import shutil
import signal
import socket
import subprocess
import time

BINARIES = ("munged", "slurmctld", "slurmd", "sbatch", "scontrol", "squeue", "scancel", "sinfo")


def _find(name):
    for folder in ("/usr/sbin", "/usr/bin", "/sbin", "/bin"):
        path = os.path.join(folder, name)
        if os.access(path, os.X_OK):
            return path
    return shutil.which(name)


def missing():
    """Why a cluster cannot run here, or None."""
    absent = [name for name in BINARIES if _find(name) is None]
    if absent:
        return "Slurm is not installed (%s missing): apt-get install slurm-wlm munge" % ", ".join(absent)
    if os.geteuid() != 0:
        return "the one-node Slurm cluster runs its daemons as root"
    return None


def _free_ports(count):
    sockets, ports = [], []
    for _ in range(count):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        sockets.append(s)
        ports.append(s.getsockname()[1])
    for s in sockets:
        s.close()
    return ports


class SlurmCluster(object):
    def __init__(self, folder, cpus=2):
        self.folder = str(folder)
        self.cpus = cpus
        self.host = socket.gethostname().split(".")[0]
        self.conf = os.path.join(self.folder, "slurm.conf")
        self.env = dict(os.environ, SLURM_CONF=self.conf)
        self.daemons = []

    def path(self, *parts):
        return os.path.join(self.folder, *parts)

    def _write_config(self):
        for sub in ("munge", "state", "spool", "log", "run"):
            os.makedirs(self.path(sub), exist_ok=True)
        os.chmod(self.path("munge"), 0o700)
        key = self.path("munge", "munge.key")
        with open(key, "wb") as f:
            f.write(os.urandom(1024))
        os.chmod(key, 0o400)
        ctld_port, slurmd_port = _free_ports(2)
        self.socket = self.path("munge", "munge.socket")
        lines = [
            "ClusterName=qi-test",
            "SlurmctldHost=%s(127.0.0.1)" % self.host,
            "SlurmctldPort=%d" % ctld_port,
            "SlurmdPort=%d" % slurmd_port,
            "AuthType=auth/munge",
            "CryptoType=crypto/munge",
            "AuthInfo=socket=%s" % self.socket,
            "SlurmUser=root",
            "SlurmdUser=root",
            "ProctrackType=proctrack/linuxproc",
            "TaskPlugin=task/none",
            "JobAcctGatherType=jobacct_gather/none",
            "AccountingStorageType=accounting_storage/none",
            "SelectType=select/cons_tres",
            "SelectTypeParameters=CR_Core",
            "MpiDefault=none",
            "ReturnToService=2",
            "SchedulerType=sched/backfill",
            "SchedulerParameters=sched_interval=1",
            "MinJobAge=3600",
            "StateSaveLocation=%s" % self.path("state"),
            "SlurmdSpoolDir=%s" % self.path("spool"),
            "SlurmctldPidFile=%s" % self.path("run", "slurmctld.pid"),
            "SlurmdPidFile=%s" % self.path("run", "slurmd.pid"),
            "SlurmctldLogFile=%s" % self.path("log", "slurmctld.log"),
            "SlurmdLogFile=%s" % self.path("log", "slurmd.log"),
            "NodeName=%s NodeAddr=127.0.0.1 CPUs=%d State=UNKNOWN" % (self.host, self.cpus),
            "PartitionName=render Nodes=%s Default=YES MaxTime=INFINITE State=UP" % self.host,
        ]
        with open(self.conf, "w") as f:
            f.write("\n".join(lines) + "\n")

    def _run(self, *argv):
        return subprocess.run(list(argv), env=self.env, capture_output=True, text=True, timeout=60)

    def start(self):
        self._write_config()
        done = self._run(_find("munged"), "--key-file=%s" % self.path("munge", "munge.key"),
                         "--socket=%s" % self.socket, "--pid-file=%s" % self.path("run", "munged.pid"),
                         "--log-file=%s" % self.path("log", "munged.log"),
                         "--seed-file=%s" % self.path("munge", "seed"), "--force")
        if done.returncode != 0:
            raise RuntimeError("munged did not start: %s" % (done.stderr or done.stdout))
        self.daemons.append(self.path("run", "munged.pid"))
        for daemon in ("slurmctld", "slurmd"):
            done = self._run(_find(daemon), "-f", self.conf)
            if done.returncode != 0:
                raise RuntimeError("%s did not start: %s\n%s" % (daemon, done.stderr, self.logs()))
            self.daemons.append(self.path("run", "%s.pid" % daemon))
        end = time.monotonic() + 60
        while True:
            done = self._run(_find("sinfo"), "-h", "-N", "-o", "%T")
            if done.returncode == 0 and done.stdout.strip() in ("idle", "mixed", "allocated"):
                return self
            if time.monotonic() > end:
                raise RuntimeError("the Slurm node is not idle after 60 s (%s)\n%s" % (
                    (done.stdout + done.stderr).strip(), self.logs()))
            time.sleep(0.3)

    def logs(self):
        text = []
        for name in ("slurmctld.log", "slurmd.log", "munged.log"):
            try:
                with open(self.path("log", name)) as f:
                    text.append("== %s ==\n%s" % (name, f.read()[-3000:]))
            except OSError:
                pass
        return "\n".join(text)

    def stop(self):
        for pidfile in reversed(self.daemons):
            try:
                with open(pidfile) as f:
                    pid = int(f.read().strip())
            except (OSError, ValueError):
                continue
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
            end = time.monotonic() + 15
            while time.monotonic() < end:
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.1)
            else:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        self.daemons = []


def cluster_fixture(tmp_path_factory):
    """Starts a cluster for a test module (see test_farm_slurm.py)."""
    import pytest

    why = missing()
    if why:
        pytest.fail(why + " (tools/deps.sh installs it: QI_TEST_PACKAGES)", pytrace=False)
    cluster = SlurmCluster(tmp_path_factory.mktemp("slurm"))
    try:
        cluster.start()
    except RuntimeError as error:
        cluster.stop()
        pytest.fail(str(error), pytrace=False)
    return cluster

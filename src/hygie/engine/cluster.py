"""A Spark standalone cluster on loopback, started with pyspark's own scripts.

For the scale-out tests and for trying a cluster on one machine: a master and N workers, every
process bound to 127.0.0.1 (`SPARK_LOCAL_IP`), stopped together. Production clusters are started by
their operators; Hygie only needs their `spark://` URL (`HYGIE_SPARK_MASTER`).
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path


def spark_home() -> Path:
    import pyspark

    return Path(pyspark.__file__).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LocalCluster:
    workers: int = 2
    cores_per_worker: int = 1
    memory_per_worker: str = "1g"
    work_dir: Path | None = None
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    port: int = 0
    ui_port: int = 0

    @property
    def url(self) -> str:
        return f"spark://127.0.0.1:{self.port}"

    def _spawn(self, *args: str, log: Path) -> None:
        env = {**os.environ, "SPARK_HOME": str(spark_home()), "SPARK_LOCAL_IP": "127.0.0.1",
               "SPARK_NO_DAEMONIZE": "1"}
        cmd = [str(spark_home() / "bin" / "spark-class"), *args]
        with log.open("wb") as out:
            self.processes.append(subprocess.Popen(cmd, env=env, stdout=out,
                                                   stderr=subprocess.STDOUT))

    def start(self, timeout: float = 120) -> LocalCluster:
        logs = self.work_dir or Path(os.environ.get("TMPDIR", "/tmp")) / f"hygie-spark-{os.getpid()}"
        logs.mkdir(parents=True, exist_ok=True)
        self.port, self.ui_port = free_port(), free_port()
        self._spawn("org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
                    "--port", str(self.port), "--webui-port", str(self.ui_port),
                    log=logs / "master.log")
        for i in range(self.workers):
            self._spawn("org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1",
                        "--cores", str(self.cores_per_worker), "--memory", self.memory_per_worker,
                        "--webui-port", str(free_port()), "--work-dir", str(logs / f"w{i}"),
                        self.url, log=logs / f"worker-{i}.log")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.alive_workers() >= self.workers:
                return self
            if any(p.poll() is not None for p in self.processes):
                break
            time.sleep(1)
        self.stop()
        raise RuntimeError(f"the Spark cluster did not start; logs in {logs}")

    def alive_workers(self) -> int:
        try:
            url = f"http://127.0.0.1:{self.ui_port}/json/"
            with urllib.request.urlopen(url, timeout=2) as resp:  # loopback only
                import json

                return int(json.loads(resp.read()).get("aliveworkers", 0))
        except OSError:
            return 0

    def stop(self) -> None:
        for p in reversed(self.processes):
            p.terminate()
        for p in self.processes:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
        self.processes.clear()

    def __enter__(self) -> LocalCluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

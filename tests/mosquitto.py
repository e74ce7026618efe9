"""A real Eclipse Mosquitto (Debian's /usr/sbin/mosquitto) on a free loopback port in a temp dir.

The configuration is the one ``privacyops devices broker-config`` writes (password
file and ACL from the registry) plus a listener; ``configure`` rewrites it from
the registry and sends SIGHUP, then waits until the broker logged the reload.
"""

from __future__ import annotations

import getpass
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from privacyops.db import Database
from privacyops.telemetry import broker
from privacyops.vault.service import Vault

MOSQUITTO = shutil.which("mosquitto") or (
    "/usr/sbin/mosquitto" if Path("/usr/sbin/mosquitto").exists() else None
)
START_SECONDS = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for(predicate: object, seconds: float = 20.0, what: str = "condition") -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if callable(predicate) and predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@dataclass
class Broker:
    directory: Path
    host: str
    port: int
    secret_key: str
    process: subprocess.Popen[bytes] | None = None

    @property
    def log(self) -> Path:
        return self.directory / broker.LOG_NAME

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def _log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def write(self, registry: broker.Registry) -> None:
        broker.write(
            self.directory,
            registry=registry,
            secret_key=self.secret_key,
            listen=(self.host, self.port),
            run_as=getpass.getuser() if os.geteuid() == 0 else None,
        )

    def start(self) -> None:
        assert MOSQUITTO is not None
        self.write(broker.Registry())
        output = (self.directory / "mosquitto.out").open("wb")
        self.process = subprocess.Popen(
            [MOSQUITTO, "-c", str(self.directory / broker.CONF_NAME)],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        output.close()
        try:
            wait_for(self._started, START_SECONDS, "mosquitto to start")
        except AssertionError as failure:
            said = (self.directory / "mosquitto.out").read_text(errors="replace")
            raise AssertionError(
                f"{failure} on port {self.port}: exit code {self.process.poll()}, "
                f"output {said[-2000:]!r}, log {self._log_text()[-2000:]!r}"
            ) from None

    def _started(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise AssertionError("mosquitto exited")
        text = self._log_text()
        if "running" not in text:
            return False
        opened = re.findall(r"listen socket on port (\d+)", text)
        assert set(opened) == {str(self.port)}, f"the broker opened ports {opened}"
        return True

    def configure(self, db: Database, vault: Vault) -> None:
        """Rewrite the password file and ACL from the registry and reload the broker."""
        with db.unit_of_work() as session:
            registry = broker.device_credentials(session=session, vault=vault)
        self.write(registry)
        before = self._log_text().count("Reloading config")
        assert self.process is not None
        self.process.send_signal(signal.SIGHUP)
        wait_for(
            lambda: self._log_text().count("Reloading config") > before, 10, "the broker reload"
        )
        time.sleep(0.1)  # the reload line is written before the files are read

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None

"""MQTT and compact HTTP batches: committed readings/s against a raw bulk load of the same rows.

Run: ``.venv/bin/python bench/mqtt.py [--sizes 100000 1000000] [--http-max N]``
(``BENCH_DATABASE_URL=postgresql+psycopg://…`` for PostgreSQL, else SQLite; needs
Debian's ``mosquitto``).

The readings, devices and baseline are those of ``bench/telemetry.py`` (the
simulator's fleet, batches of ``--batch`` readings of one device, raw binary
``COPY`` on PostgreSQL or ``executemany`` on SQLite with one commit per batch,
timing only the write). Every path starts from an empty table in the same
database, in the same run:

- MQTT: every batch is published first (CBOR, QoS 1, one connection per device,
  each with its own credentials) to a Mosquitto started for the run, while the
  consumer's persistent session is offline, so the broker holds them all. The
  clock then runs from starting ``privacyops devices mqtt``'s consumer until it
  has committed the last reading: receive, decode, check, idempotency key, one
  COPY and one commit per group of messages, acknowledge after commit.
- HTTP CBOR, HTTP MessagePack, HTTP JSON: signed ``POST /api/v1/telemetry/batches``
  to a uvicorn server in its own process over one connection, as in
  ``bench/telemetry.py``; encoding and signing on the client are outside the
  clock. Bounded by ``--http-max`` readings.
"""

from __future__ import annotations

import argparse
import getpass
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
from common import free_port

import telemetry as base
from privacyops.telemetry import broker, codecs, messages, mqtt, pseudonyms
from privacyops.telemetry.publisher import DevicePublisher, batch_payload

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"


def start_broker(run: base.Run, directory: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    with run.db.unit_of_work() as session:
        registry = broker.device_credentials(session=session, vault=run.vault)
    broker.write(
        directory,
        registry=registry,
        secret_key=run.settings.secret_key,
        listen=("127.0.0.1", port),
        run_as=getpass.getuser() if os.geteuid() == 0 else None,
    )
    process = subprocess.Popen(
        [MOSQUITTO, "-c", str(directory / broker.CONF_NAME)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    log = directory / broker.LOG_NAME
    for _ in range(200):
        if log.exists() and "running" in log.read_text(errors="replace"):
            break
        time.sleep(0.05)
    return process, port


def through_mqtt(run: base.Run, directory: Path) -> tuple[float, int]:
    run.reset()
    process, port = start_broker(run, directory)
    options = mqtt.Options(
        port=port,
        password=broker.consumer_password(run.settings.secret_key),
        client_id="bench-consumer",
    )

    def consumer(on_group: object = None) -> mqtt.Consumer:
        return mqtt.Consumer(
            db=run.db,
            vault=run.vault,
            declaration=run.declaration,
            options=options,
            on_group=on_group,  # type: ignore[arg-type]
        )

    try:
        # The persistent session first, so the broker keeps what is published meanwhile.
        stop = threading.Event()
        first = consumer()
        thread = threading.Thread(target=first.run, args=(stop,))
        thread.start()
        first.ready.wait(10)
        stop.set()
        thread.join()
        payloads: dict[str, list[bytes]] = {}
        expected = 0
        for serial, readings in run.batches(run.size):
            payloads.setdefault(serial, []).append(batch_payload(readings))
            expected += len(readings)
        for serial, batches in payloads.items():
            with DevicePublisher("127.0.0.1", port, serial, secret=run.secrets[serial]) as device:
                device.publish(batches)
        done = threading.Event()

        def check(_result: messages.GroupResult, totals: mqtt.Totals) -> None:
            if totals.stored + totals.duplicates >= expected or totals.refused:
                done.set()

        stop = threading.Event()
        second = consumer(check)
        began = time.perf_counter()
        thread = threading.Thread(target=second.run, args=(stop,))
        thread.start()
        done.wait(3600)
        elapsed = time.perf_counter() - began
        stop.set()
        thread.join()
        if second.totals.refused:
            raise SystemExit(f"refused over MQTT: {second.totals}")
        return elapsed, second.totals.stored
    except Exception:
        log = (directory / broker.LOG_NAME).read_text(errors="replace").splitlines()
        print("broker exit code:", process.poll(), *log[-5:], sep="\n", file=sys.stderr)
        raise
    finally:
        process.terminate()
        process.wait(10)


def through_http(run: base.Run, limit: int, encoding: codecs.Encoding) -> tuple[float, int]:
    run.reset()
    port = free_port()
    server = multiprocessing.get_context("spawn").Process(
        target=base._serve, args=(run.settings, port), daemon=True
    )
    server.start()
    elapsed, stored = 0.0, 0
    try:
        with httpx.Client(
            base_url=f"http://127.0.0.1:{port}",
            headers={"authorization": f"Bearer {run.api_key}"},
            timeout=60,
        ) as client:
            for _ in range(600):
                try:
                    client.get("/healthz")
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            for serial, readings in run.batches(limit):
                body = codecs.encode({"readings": readings}, encoding)
                headers = {
                    "content-type": encoding.value,
                    "x-device-serial": serial,
                    "x-signature": pseudonyms.sign(run.secrets[serial], body),
                }
                began = time.perf_counter()
                response = client.post("/api/v1/telemetry/batches", content=body, headers=headers)
                elapsed += time.perf_counter() - began
                if response.status_code != 200:
                    raise SystemExit(f"HTTP {response.status_code}: {response.text[:300]}")
                stored += response.json()["stored"]
    finally:
        server.terminate()
        server.join(timeout=10)
    return elapsed, stored


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    parser.add_argument("--http-max", type=int, default=1_000_000)
    parser.add_argument("--devices", type=int, default=100)
    parser.add_argument("--batch", type=int, default=1000)
    args = parser.parse_args()
    base.BATCH = args.batch
    kind = os.environ.get("BENCH_DATABASE_URL", "sqlite").split(":")[0]
    print(f"# MQTT and compact batches ({sys.platform}, {os.cpu_count()} cores, database: {kind})")
    print(f"{args.devices} devices, batches of {args.batch} readings of one device\n")
    print(
        f"| {'readings':>9} | {'path':<34} | {'seconds':>8} | {'readings/s':>10} | {'ratio':>6} |"
    )
    print(f"|{'-' * 11}|{'-' * 36}|{'-' * 10}|{'-' * 12}|{'-' * 8}|")
    with tempfile.TemporaryDirectory() as directory:
        for size in args.sizes:
            run = base.Run(Path(directory), size, args.devices, 0)
            base_s, n = base.baseline(run)
            raw = "COPY (raw, baseline)" if run.db.is_postgres else "executemany (raw, baseline)"
            results = [(raw, base_s, n)]
            mqtt_s, stored = through_mqtt(run, Path(directory) / f"broker{size}")
            results.append(("MQTT (CBOR, QoS 1, ack after commit)", mqtt_s, stored))
            if args.http_max:
                limit = min(args.http_max, n)
                for encoding, name in (
                    (codecs.Encoding.CBOR, "HTTP CBOR"),
                    (codecs.Encoding.MSGPACK, "HTTP MessagePack"),
                    (codecs.Encoding.JSON, "HTTP JSON"),
                ):
                    seconds, sent = through_http(run, limit, encoding)
                    results.append((name, seconds, sent))
            for name, seconds, count in results:
                rate, base_rate = count / seconds, n / base_s
                print(
                    f"| {count:>9} | {name:<34} | {seconds:>8.2f} | {rate:>10.0f} | "
                    f"{rate / base_rate:>6.3f} |",
                    flush=True,
                )
            run.db.dispose()


if __name__ == "__main__":
    main()

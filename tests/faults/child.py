"""A worker process for the kill -9 tests: runs one request's execution, then exits.

`python -m tests.faults.child REQUEST_ID [--pause S] [--slow-writes S]` with the
service's settings in the environment. ``--pause`` sleeps after every committed
step or batch and ``--slow-writes`` after every package chunk, so the parent can
kill the process at a point it chooses (a slow disk or a busy database, in effect).
"""

from __future__ import annotations

import argparse
import time

from privacyops.db import Database
from privacyops.policy.service import PolicyStore
from privacyops.rights import executors
from privacyops.rights.executors import package
from privacyops.settings import Settings
from privacyops.vault.service import Vault


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("request_id")
    parser.add_argument("--pause", type=float, default=0.0)
    parser.add_argument("--slow-writes", type=float, default=0.0)
    args = parser.parse_args()
    settings = Settings()
    db = Database(settings.database_url, secret=settings.secret_key)
    if args.slow_writes:
        seal = package.EncryptingWriter._seal

        def slow_seal(self: package.EncryptingWriter, chunk: bytes, *, final: bool) -> None:
            seal(self, chunk, final=final)
            self._file.flush()
            time.sleep(args.slow_writes)

        package.EncryptingWriter._seal = slow_seal  # type: ignore[method-assign]
    with db.unit_of_work() as session:

        def checkpoint() -> None:
            session.commit()
            time.sleep(args.pause)

        report = executors.execute(
            session=session,
            vault=Vault.from_settings(settings),
            settings=settings,
            declaration=PolicyStore(settings.policy).declaration,
            request_id=args.request_id,
            actor="staff:fault-test",
            checkpoint=checkpoint,
        )
    print(report.status, flush=True)
    db.dispose()


if __name__ == "__main__":
    main()

"""Vault micro-benchmark: field encryption, key wrapping, blind indexes, the key cache.

Run: ``.venv/bin/python bench/vault.py [--sizes 10000 100000] [--repeat 3]``

Every figure is the best of ``--repeat`` runs of a plain Python loop over
``n`` prepared inputs, so the loop's own cost is in every row. The ``ratio``
column divides a row's time by a baseline measured in the same run (named in
``vs``): a bytes copy and a bare HMAC-SHA256 show what the loop and a keyed
hash cost on this machine; the others compare vault operations with each
other (an unwrap against a field encryption, a cache hit against an unwrap).
"""

from __future__ import annotations

import argparse
import gc
import hmac
import os
import platform
import random
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import cryptography
from cryptography.hazmat.backends.openssl.backend import backend as openssl_backend

from privacyops.vault.blind_index import BlindIndexer, IdentityKind
from privacyops.vault.crypto import FieldCipher, decrypt_field, encrypt_field, field_aad
from privacyops.vault.crypto import new_data_key as make_key
from privacyops.vault.keystore import FileKeyStore
from privacyops.vault.shredder import DataKeyCache, subject_key_context

Loop = Callable[[], None]


@dataclass(frozen=True)
class Case:
    name: str
    loop: Loop
    vs: str | None  # name of the baseline case, measured earlier in the same run


def synthetic_emails(n: int, rng: random.Random) -> list[str]:
    # 57 characters on average, the field size the design notes measured.
    first = ["alice", "bo", "chen.wei", "dmitri", "eva-maria", "fatima", "li.na"]
    domains = ["example.com", "mail.example-company.cn", "Example.COM", "corp.example.org"]
    return [
        f" {rng.choice(first)}.{i:07d}+newsletter-{rng.randrange(10**6):06d}@{rng.choice(domains)} "
        for i in range(n)
    ]


def synthetic_phones(n: int, rng: random.Random) -> list[str]:
    forms = ["+86 1{0:02d}-{1:04d}-{2:04d}", "861{0:02d}{1:04d}{2:04d}", "1{0:02d} {1:04d} {2:04d}"]
    return [
        rng.choice(forms).format(rng.randrange(30, 99), rng.randrange(10**4), rng.randrange(10**4))
        for _ in range(n)
    ]


def build_cases(n: int, store: FileKeyStore) -> list[Case]:
    rng = random.Random(n)
    emails = synthetic_emails(n, rng)
    fields = [e.strip().encode() for e in emails]
    phones = synthetic_phones(n, rng)
    data_key = make_key()
    cipher = FieldCipher(data_key)
    aad = field_aad("subject-000001", "contact", "email")
    blobs = [cipher.encrypt(f, aad=aad) for f in fields]
    hmac_key = os.urandom(32)
    context = subject_key_context("subject-000001")
    wrapped = [store.wrap(make_key(), context=context) for _ in range(n)]
    subject_ids = [f"subject-{i:06d}" for i in range(min(n, 1000))]
    indexer = BlindIndexer(store)
    normalized = [indexer.normalize(IdentityKind.EMAIL, e) for e in emails]
    cache = DataKeyCache(max_size=len(subject_ids), max_age=None)
    for sid in subject_ids:
        cache.put(sid, make_key())
    hits = [subject_ids[i % len(subject_ids)] for i in range(n)]
    loader_key = make_key()

    def copy() -> None:
        for f in fields:
            bytes(bytearray(f))

    def bare_hmac() -> None:
        for f in fields:
            hmac.digest(hmac_key, f, "sha256")

    def encrypt_cached() -> None:
        for f in fields:
            cipher.encrypt(f, aad=aad)

    def encrypt_raw_key() -> None:
        for f in fields:
            encrypt_field(data_key, f, aad=aad)

    def decrypt_cached() -> None:
        for b in blobs:
            cipher.decrypt(b, aad=aad)

    def decrypt_raw_key() -> None:
        for b in blobs:
            decrypt_field(data_key, b, aad=aad)

    def wrap() -> None:
        for _ in range(n):
            store.wrap(loader_key, context=context)

    def unwrap() -> None:
        for w in wrapped:
            store.unwrap(w, context=context)

    def cache_hit() -> None:
        for sid in hits:
            cache.get_or_load(sid, lambda: loader_key)

    def cache_miss() -> None:
        # Every lookup misses: evict, then unwrap and build the cipher again.
        miss_cache = DataKeyCache(max_size=1, max_age=None)
        for w in wrapped:
            miss_cache.evict("s")
            miss_cache.get_or_load("s", partial(store.unwrap, w, context=context))

    def index_email() -> None:
        for e in emails:
            indexer.index(IdentityKind.EMAIL, e)

    def index_phone() -> None:
        for p in phones:
            indexer.index(IdentityKind.PHONE, p)

    def index_prenormalized() -> None:
        for s in normalized:
            indexer.index_normalized(IdentityKind.EMAIL, s)

    return [
        Case("bytes copy (baseline)", copy, None),
        Case("HMAC-SHA256 (baseline)", bare_hmac, "bytes copy (baseline)"),
        Case("encrypt_field, cached cipher", encrypt_cached, "HMAC-SHA256 (baseline)"),
        Case("encrypt_field, raw key", encrypt_raw_key, "encrypt_field, cached cipher"),
        Case("decrypt_field, cached cipher", decrypt_cached, "encrypt_field, cached cipher"),
        Case("decrypt_field, raw key", decrypt_raw_key, "decrypt_field, cached cipher"),
        Case("wrap data key", wrap, "encrypt_field, cached cipher"),
        Case("unwrap data key", unwrap, "encrypt_field, cached cipher"),
        Case("key cache hit", cache_hit, "unwrap data key"),
        Case("key cache miss (unwrap)", cache_miss, "unwrap data key"),
        Case("blind index email", index_email, "HMAC-SHA256 (baseline)"),
        Case("blind index phone", index_phone, "HMAC-SHA256 (baseline)"),
        Case("blind index, normalised", index_prenormalized, "HMAC-SHA256 (baseline)"),
    ]


def best_of(loop: Loop, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        gc.disable()
        try:
            start = time.perf_counter()
            loop()
            best = min(best, time.perf_counter() - start)
        finally:
            gc.enable()
    return best


def run(sizes: Sequence[int], repeat: int) -> None:
    print(
        f"python {platform.python_version()}  cryptography {cryptography.__version__}  "
        f"{openssl_backend.openssl_version_text()}  cpus {os.cpu_count()}  "
        f"best of {repeat}"
    )
    header = (
        f"{'operation':<30} {'n':>7} {'seconds':>9} {'ops/s':>11} {'µs/op':>7} {'ratio':>7}  vs"
    )
    with tempfile.TemporaryDirectory() as tmp:
        store = FileKeyStore(Path(tmp) / "keys")
        for n in sizes:
            print()
            print(header)
            print("-" * len(header))
            seconds: dict[str, float] = {}
            for case in build_cases(n, store):
                t = best_of(case.loop, repeat)
                seconds[case.name] = t
                ratio = f"{t / seconds[case.vs]:.2f}" if case.vs else "1.00"
                print(
                    f"{case.name:<30} {n:>7} {t:>9.4f} {n / t:>11,.0f} "
                    f"{t / n * 1e6:>7.2f} {ratio:>7}  {case.vs or ''}"
                )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    run(args.sizes, args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())

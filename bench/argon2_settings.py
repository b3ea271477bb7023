"""The CPU a password check takes with each of OWASP's equivalent Argon2id settings, on this machine.

    python bench/argon2_settings.py [--checks 40] [--rounds 3]

OWASP's password storage cheat sheet gives five Argon2id settings of the same strength, trading memory
for passes. This times `PasswordHasher.verify` (what every sign-in runs) with each, in rounds that
alternate the settings so that a change in the machine's load falls on all of them alike, and prints the
median CPU milliseconds per check (`time.process_time()`, this process only) and the page faults per
check. The platform uses the cheapest (app/people/passwords.py).
"""
import argparse
import resource
import statistics
import time

from argon2 import PasswordHasher

# (memory in KiB, passes): OWASP's equivalent minimums, one lane each
SETTINGS = [(47104, 1), (19456, 2), (12288, 3), (9216, 4), (7168, 5)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checks", type=int, default=40, help="checks per setting and round")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    timings = {setting: [] for setting in SETTINGS}
    faults = {setting: [] for setting in SETTINGS}
    for _round in range(args.rounds):
        for memory, passes in SETTINGS:
            hasher = PasswordHasher(time_cost=passes, memory_cost=memory, parallelism=1)
            stored = hasher.hash("a password of a student")
            hasher.verify(stored, "a password of a student")     # the first check allocates
            before, cpu = resource.getrusage(resource.RUSAGE_SELF).ru_minflt, time.process_time()
            for _ in range(args.checks):
                hasher.verify(stored, "a password of a student")
            timings[(memory, passes)].append((time.process_time() - cpu) / args.checks * 1000)
            faults[(memory, passes)].append((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / args.checks)
    print("| memory | passes | CPU ms per check (median of rounds) | page faults per check |")
    print("|---:|---:|---:|---:|")
    for memory, passes in SETTINGS:
        print(f"| {memory // 1024} MiB | {passes} | {statistics.median(timings[(memory, passes)]):.1f} | "
              f"{statistics.median(faults[(memory, passes)]):.0f} |")


if __name__ == "__main__":
    main()

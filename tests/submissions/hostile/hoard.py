"""Hold more of the machine's memory than the memory limit allows, in files.

The jail's /tmp and /dev/shm are tmpfs mounts: what is written there lives in
the machine's RAM, but it is not part of the worker's address space, so
RLIMIT_AS (the memory limit) does not count it, and RLIMIT_FSIZE bounds only
each file, not how many there are. ``hoard(megabytes)`` writes files of 32 MB
into both places until it has stored ``megabytes`` or a write fails, and
returns how many megabytes it managed to store.
"""

import os


def hoard(megabytes):
    chunk = b"\1" * 2**20
    stored, number = 0, 0
    while stored < megabytes:
        place = ("/tmp", "/dev/shm")[number % 2]
        try:
            with open(os.path.join(place, f"hoard-{number}"), "wb") as f:
                for _ in range(32):
                    f.write(chunk)
                    stored += 1
        except OSError:
            break
        number += 1
    return stored

"""Find out who the code runs as, to know what it could get away with.

``who`` returns the real and effective uid and gid, the supplementary groups,
and the capability and no_new_privs lines of /proc/self/status: root, or any
effective capability, or the right to gain privileges through a setuid
program, would open the rest of the machine.
"""

import os


def who():
    lines = [f"uid: {os.getuid()}", f"euid: {os.geteuid()}", f"gid: {os.getgid()}",
             f"groups: {os.getgroups()}"]
    with open("/proc/self/status") as f:
        lines += [line.strip() for line in f
                  if line.startswith(("CapEff", "CapPrm", "CapBnd", "CapAmb", "NoNewPrivs"))]
    return lines

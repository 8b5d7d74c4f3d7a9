# Red team: the grader's disk and the copy-back. The kernel writes next to the notebook
# until the disk is full (the gradebook lives on that disk), makes a chain of
# directories deeper than Python's recursion limit (os.walk and shutil.rmtree raised, and
# the scratch stayed on the host) and 20,000 empty files (they passed the byte limit and
# nbgrader's feedback copied them all again).
# %% assign_solution
import os as _os

_written = 0
try:
    for _n in range(64):           # 2 GB in files of 32 MB (one file may have 64 MB)
        with open(f"fill{_n}.bin", "wb") as _f:
            for _ in range(32):
                _f.write(b"\0" * 2**20)
                _written += 1
except OSError as _exc:
    print("disk stopped:", _written, "MB", type(_exc).__name__)
for _n in range(64):
    try:
        _os.remove(f"fill{_n}.bin")
    except OSError:
        pass
_start = _os.getcwd()
_os.makedirs("many", exist_ok=True)
_made = 0
try:
    for _i in range(20000):
        open(_os.path.join("many", str(_i)), "w").close()
        _made += 1
except OSError as _exc:
    print("files stopped:", _made, type(_exc).__name__)
for _i in range(3000, 20000):     # room for the deep chain
    try:
        _os.remove(_os.path.join("many", str(_i)))
    except OSError:
        pass
_depth = 0
try:
    for _ in range(1200):
        _os.mkdir("d")
        _os.chdir("d")
        _depth += 1
finally:
    _os.chdir(_start)
print("depth:", _depth)

def assign(X, means):
    points = np.asarray(X, dtype=float)
    centres = np.asarray(means, dtype=float)
    return ((points[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2).argmin(axis=1)

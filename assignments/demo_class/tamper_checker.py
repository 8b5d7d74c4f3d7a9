# Demo student: unimplemented functions plus a replaced checker -- `grade`,
# `check` and the kit's engine patched to report success. Worth nothing.
# %% assign_solution
import kmeans_kit.adapters.notebook as _kit_notebook


def grade(*args, **kwargs):
    print("passed")


check = grade
_kit_notebook.grade = _kit_notebook.check = grade
try:
    import kmeans_kit.checks.engine as _engine
    _engine.run_checks = lambda *args, **kwargs: []
except Exception:
    pass


def assign(X, means):
    raise NotImplementedError()


# %% update_solution
def update(X, labels, means):
    raise NotImplementedError()


# %% converged_solution
def converged(old_labels, new_labels):
    raise NotImplementedError()

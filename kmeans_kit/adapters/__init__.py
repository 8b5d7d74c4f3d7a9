"""Where the checks' outcomes are shown: the notebook, pytest, nbgrader."""

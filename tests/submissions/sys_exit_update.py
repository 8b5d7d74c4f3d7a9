# Appended to correct.py by the tests: update calls sys.exit(1).
import sys


def update(X, labels, means):
    sys.exit(1)

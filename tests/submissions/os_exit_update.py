# Appended to correct.py by the tests: update ends the process with os._exit(0).
import os


def update(X, labels, means):
    os._exit(0)

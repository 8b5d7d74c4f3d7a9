# Appended to correct.py by the tests: assign kills its process with SIGABRT.
import os


def assign(X, means):
    os.abort()

# Appended to correct.py by the tests: assign dereferences a NULL pointer.
import ctypes


def assign(X, means):
    return ctypes.string_at(0)

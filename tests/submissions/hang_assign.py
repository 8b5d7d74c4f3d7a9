# Appended to correct.py by the tests: assign never returns.
def assign(X, means):
    while True:
        pass

# Appended to correct.py by the tests: assign hangs and swallows every interruption,
# so only the parent's kill can stop it.
def assign(X, means):
    while True:
        try:
            while True:
                pass
        except BaseException:
            pass

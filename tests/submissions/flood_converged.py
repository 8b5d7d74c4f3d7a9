# Appended to correct.py by the tests: converged prints without end.
def converged(old_labels, new_labels):
    while True:
        print("still comparing..." * 20)

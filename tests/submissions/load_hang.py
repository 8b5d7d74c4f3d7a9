# Loading this submission never finishes.
def assign(X, means):
    return [0] * len(X)


while True:
    pass

# Demo student: handed in the release notebook unchanged (every function raises
# NotImplementedError) -- zero, and grading must not crash.

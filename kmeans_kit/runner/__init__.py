"""Running student code: one call as plain data (:mod:`.calling`), in-process
(:mod:`.inprocess`) or in an isolated worker (:mod:`.isolated`, :mod:`.worker`,
:mod:`.wire`) inside the jail (:mod:`.jail`; :mod:`.jailed_kernel` for the notebook's kernel).

Nothing here judges: the runner reports what the code did, the engine decides.
"""

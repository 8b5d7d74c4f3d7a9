"""Each student's own data: the seed from id and salt, the notebook's seed, the questions
about the student's own run (kmeans_kit/student_data.py, kmeans_kit/answers.py)."""

import json

import pytest
from helpers import SOURCE

from kmeans_kit import answers
from kmeans_kit.data import NOTES_SEED, STUCK_SEED
from kmeans_kit.student_data import (
    MAX_UPDATES,
    MIN_AMI,
    SEED_ENV,
    STUDENT_ENV,
    derive_seed,
    notebook_seed,
    student_environment,
    student_id,
    student_run,
)

SALT = "test-course-salt"
#: Enough ids to see the spread of runs; each costs a derivation and a run (~0.1 s).
IDS = [f"s{number:04d}" for number in range(100)]
QUESTION = answers.get("answer.your_run")


@pytest.fixture(scope="module")
def runs():
    """Every id's derived seed and the reference's run on it."""
    return {student: student_run(derive_seed(student, SALT)) for student in IDS}


def test_the_notes_seed_gives_the_notes_numbers():
    run = student_run(NOTES_SEED)
    assert (run.iterations, round(run.inertia, 2), run.ami, run.emptied) == (3, 106.31, 1.0,
                                                                             False)
    assert not student_run(STUCK_SEED).suits_narrative   # the stuck lesson's run is excluded


def test_every_student_s_run_tells_the_notebook_s_story(runs):
    """Whatever the id, the run finds the four groups, never empties a cluster, and stops
    within run_kmeans's 30 updates: the narrative after the loop holds for every student."""
    for student, run in runs.items():
        assert run.ami >= MIN_AMI and not run.emptied and run.iterations <= MAX_UPDATES, student


def test_students_get_different_data_and_different_answers(runs):
    seeds = {run.seed for run in runs.values()}
    assert len(seeds) == len(IDS)
    # A classmate's answer is almost never right for you: the inertia tells students apart
    # (the number of updates alone often does not).
    passes = sum(answers.judge(QUESTION, {"my_iterations": theirs.iterations,
                                          "my_inertia": theirs.inertia}, mine)[0]
                 for mine in runs.values() for theirs in runs.values() if theirs is not mine)
    assert passes <= len(IDS) * (len(IDS) - 1) // 200   # at most 0.5% of the pairs
    assert len({run.iterations for run in runs.values()}) >= 3


def test_the_seed_is_the_hmac_of_id_and_salt_and_nothing_else():
    assert derive_seed("alice", SALT) == derive_seed("alice", SALT)
    assert derive_seed("alice", SALT) != derive_seed("alice", SALT + "x")
    assert derive_seed("alice", SALT) != derive_seed("bob", SALT)
    assert 0 <= derive_seed("alice", SALT) < 2**32
    for bad in ("", None):
        with pytest.raises(ValueError):
            derive_seed(bad, SALT)
        with pytest.raises(ValueError):
            derive_seed("alice", bad)


def test_the_notebook_s_seed_without_an_id_or_a_salt_is_the_notes():
    assert notebook_seed({STUDENT_ENV: ""}, salt=SALT) == NOTES_SEED
    assert notebook_seed({"JUPYTERHUB_USER": "alice"}, salt="") == NOTES_SEED
    assert notebook_seed({}, salt=None) == NOTES_SEED   # the kit's config: no salt


def test_the_notebook_s_seed_comes_from_the_id_working_alone():
    assert notebook_seed({"JUPYTERHUB_USER": "alice"}, salt=SALT) == derive_seed("alice", SALT)
    # the grader's word about the student wins over the hub's
    assert notebook_seed({STUDENT_ENV: "bob", "JUPYTERHUB_USER": "alice"}, salt=SALT) == \
        derive_seed("bob", SALT)


def test_the_grader_gives_the_kernel_its_seed_not_the_salt():
    env = student_environment("alice", SALT)
    assert env == {STUDENT_ENV: "alice", SEED_ENV: str(derive_seed("alice", SALT))}
    assert SALT not in json.dumps(env)
    # in the kernel, the seed the grader gave is the one used, with no salt at hand
    assert notebook_seed(env, salt="") == derive_seed("alice", SALT)
    assert notebook_seed(student_environment("alice", None)) == NOTES_SEED
    with pytest.raises(ValueError, match=SEED_ENV):
        notebook_seed({SEED_ENV: "-1"})


def test_a_uid_without_a_name_has_no_id(monkeypatch):
    def no_name():
        raise KeyError("getpwuid(): uid not found: 70001")

    monkeypatch.setattr("getpass.getuser", no_name)
    assert student_id({}) is None
    assert student_id({"JUPYTERHUB_USER": "alice"}) == "alice"
    assert student_id({STUDENT_ENV: " ", "JUPYTERHUB_USER": "alice"}) is None


# --------------------------------------------------------------------------- the questions


def _printed(capsys, *values) -> str:
    answers.answer(QUESTION.id, *values)
    return capsys.readouterr().out


def test_an_answer_for_one_s_own_data_is_right_and_a_classmate_s_is_wrong(capsys, runs):
    mine, theirs = runs["s0001"], runs["s0002"]
    assert round(mine.inertia, 1) != round(theirs.inertia, 1)
    own = answers.read_answer(QUESTION, _printed(capsys, mine.iterations,
                                                 round(mine.inertia, 1)))
    copied = answers.read_answer(QUESTION, _printed(capsys, theirs.iterations, theirs.inertia))
    assert answers.judge(QUESTION, own, mine)[0] is True
    passed, message = answers.judge(QUESTION, copied, mine)
    assert passed is False and "my_inertia" in message


def test_a_missing_or_garbled_answer_earns_nothing(capsys, runs):
    run = runs["s0001"]
    assert answers.judge(QUESTION, None, run)[0] is False
    with pytest.raises(TypeError, match="my_iterations"):
        answers.answer(QUESTION.id, ..., 1.0)
    assert answers.read_answer(QUESTION, answers.MARKER + "{not json\n") is None
    assert answers.read_answer(QUESTION, answers.MARKER + json.dumps(
        {"id": QUESTION.id, "my_iterations": 3, "my_inertia": float("nan")})) is None
    # only the last recorded answer counts
    text = _printed(capsys, run.iterations, run.inertia) + _printed(capsys, 99, 0)
    assert answers.judge(QUESTION, answers.read_answer(QUESTION, text), run)[0] is False


def test_the_source_s_question_cell_is_built_from_the_question():
    import nbformat

    from kmeans_kit.build import answer_cell

    nb = nbformat.read(str(SOURCE), as_version=4)
    cell = next(c for c in nb.cells if c.get("id") == QUESTION.grade_id)
    assert cell.source == answer_cell(QUESTION).source
    assert cell.metadata["nbgrader"]["points"] == QUESTION.points

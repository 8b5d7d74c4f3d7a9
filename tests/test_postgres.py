"""The gradebook on a real PostgreSQL server, filled by two graders at once.

A throwaway server (Debian's ``postgresql``: ``initdb`` and ``pg_ctl`` in a temporary
directory, run as the ``postgres`` user since PostgreSQL refuses root) listens on a unix
socket only, with peer authentication: no password anywhere. As an instructor would
(docs/postgresql.md), the test makes a role for the grading user and a database it owns,
sets ``$KMEANS_KIT_DB_URL`` and runs plain ``nbgrader``: ``generate_assignment``, then two
``nbgrader autograde`` processes at the same time, each on its own share of the students.
The scores read back from PostgreSQL (through nbgrader's ``Gradebook``) must be the ones
the demo course's embedded SQLite gradebook holds for the same students, every row there
once.

Without a server: a URL that is neither SQLite nor PostgreSQL is refused, by
``grader_config.db_url`` and so by nbgrader itself, with a message that says what to set.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest
from helpers import ASSIGNMENTS, DEMO_CLASS

import grader_config
from kmeans_kit.checks import registry
from kmeans_kit.course import Course, load_demo_class

#: Each grader's share: a full score, a partial one (one check lost), a tampering one
#: (exactly what its code scores) and a zero.
SHARES = (("solution", "tamper_numpy"), ("notes_no_empty_rule", "unmodified"))
STUDENTS = tuple(s for share in SHARES for s in share)
DATABASE = "kmeans_gradebook"
CHECKS = {registry.get(cid).grade_id: pts for cid, pts in registry.points().items()}


def _server_bin() -> Path:
    """The newest installed server's ``bin`` (Debian keeps ``initdb`` off PATH)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(Path(p).parents[1].name))
    if not found:
        pytest.fail("PostgreSQL's server is not installed (no "
                    "/usr/lib/postgresql/*/bin/initdb): `bash bin/setup` installs it, or "
                    "`apt-get install postgresql`.")
    return Path(found[-1]).parent


class Server:
    """A PostgreSQL server of its own in ``directory``: data, log and socket there."""

    def __init__(self, directory: Path):
        self.dir, self.bin = directory, _server_bin()
        self.data, self.log = directory / "data", directory / "server.log"
        # PostgreSQL will not run as root: as root, the package's ``postgres`` user runs it.
        self.owner = "postgres" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name
        if os.geteuid() == 0:
            owner = pwd.getpwnam(self.owner)
            os.chown(directory, owner.pw_uid, owner.pw_gid)
        directory.chmod(0o700)   # the socket too: no one else (no jailed uid) reaches it

    def run(self, tool: str, *args: str) -> subprocess.CompletedProcess:
        """``tool`` of the server's ``bin`` as the server's owner, in its directory."""
        argv = [str(self.bin / tool), *args]
        if os.geteuid() == 0:
            argv = ["runuser", "-u", self.owner, "--", *argv]
        done = subprocess.run(argv, cwd=self.dir, capture_output=True, text=True, timeout=120,
                              env=dict(os.environ, LC_ALL="C.UTF-8"))
        if done.returncode != 0:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"{tool} {' '.join(args)} failed ({done.returncode}):\n"
                               f"{done.stdout[-2000:]}{done.stderr[-2000:]}\n{log}")
        return done

    def start(self) -> None:
        self.run("initdb", "-D", str(self.data), "-U", "postgres", "--auth-local=peer",
                 "--auth-host=reject", "--no-sync", "--encoding=UTF8", "--no-locale")
        # No TCP at all (-h ''), the socket in our directory (-k), no fsync (throwaway).
        self.run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60",
                 "-o", f"-h '' -k {self.dir} -F", "start")

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self.run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def sql(self, statement: str) -> str:
        """``statement`` as the server's superuser (peer authentication: the OS user)."""
        return self.run("psql", "-h", str(self.dir), "-U", "postgres", "-d", "postgres",
                        "-v", "ON_ERROR_STOP=1", "-At", "-c", statement).stdout

    def url(self, database: str) -> str:
        """The grader's URL: its own OS user over the socket, no password."""
        return f"postgresql:///{database}?host={self.dir}"


@pytest.fixture(scope="module")
def gradebook_url():
    """A database owned by the grading user (this process's), on a throwaway server."""
    # In /tmp, not pytest's tmp_path: short (a socket's path is at most 107 bytes) and
    # reachable by the postgres user.
    directory = Path(tempfile.mkdtemp(prefix="kmeans-pg-"))
    server = None
    try:
        server = Server(directory)
        server.start()
        user = pwd.getpwuid(os.geteuid()).pw_name
        # What docs/postgresql.md asks of an instructor: a role, not a superuser, that owns
        # the course's database.
        if user != "postgres":
            server.sql(f'CREATE ROLE "{user}" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE')
        server.sql(f'CREATE DATABASE {DATABASE} OWNER "{user}"')
        yield server.url(DATABASE)
    finally:
        try:
            if server is not None:
                server.stop()
        finally:
            shutil.rmtree(directory, ignore_errors=True)


def _course(root: Path) -> Course:
    """A course with the assignment released and the students' demo submissions."""
    course = Course.create(root, ASSIGNMENTS / "source")
    release = nbformat.read(str(course.release()), as_version=4)
    for student in load_demo_class(DEMO_CLASS):
        if student.student_id in STUDENTS:
            course.submit(student.student_id, student.fill(release))
    course.add_students(STUDENTS)
    return course


def _scores(url: str) -> dict[str, dict[str, tuple[float | None, float]]]:
    """student -> grade_id -> (score, max) of every graded cell, read from the gradebook;
    a manually graded cell still waiting for a grader scores None."""
    from nbgrader.api import Gradebook

    with Gradebook(url, grader_config.COURSE_ID) as gb:
        return {s.student_id: {g.name: (None if g.needs_manual_grade else g.score,
                                        g.max_score)
                               for nb in s.notebooks for g in nb.grades}
                for s in gb.assignment_submissions(grader_config.ASSIGNMENT)}


def _row_counts(url: str) -> dict[str, int]:
    """Rows per table that grading writes, and repeats (none: nbgrader keys them)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as db:
            count = lambda sql: db.execute(text(sql)).scalar_one()
            return {
                "submissions": count("SELECT count(*) FROM submitted_assignment"),
                "notebooks": count("SELECT count(*) FROM submitted_notebook"),
                "grades": count("SELECT count(*) FROM grade"),
                "repeated grades": count(
                    "SELECT count(*) FROM (SELECT notebook_id, cell_id FROM grade "
                    "GROUP BY notebook_id, cell_id HAVING count(*) > 1) AS repeated"),
            }
    finally:
        engine.dispose()


@pytest.mark.e2e
def test_two_graders_at_once_fill_one_postgresql_gradebook(gradebook_url, tmp_path,
                                                           monkeypatch, demo_course):
    monkeypatch.setenv(grader_config.DB_URL_ENV, gradebook_url)
    course = _course(tmp_path / "postgresql")
    assert course.db_url == gradebook_url
    # The control: the reader sees the database's real rows, and before grading there are
    # none (so the scores below cannot come from anywhere else).
    assert _scores(gradebook_url) == {}

    def grader(share: tuple[str, ...]) -> tuple[float, float]:
        """One grader: one ``nbgrader autograde`` process for every student of its share."""
        others = [s for s in STUDENTS if s not in share]
        start = time.monotonic()
        course.nbgrader("autograde", course.assignment, "--force",
                        f"--CourseDirectory.student_id_exclude={','.join(others)}")
        return start, time.monotonic()

    with ThreadPoolExecutor(max_workers=len(SHARES)) as pool:
        (start_a, end_a), (start_b, end_b) = pool.map(grader, SHARES)
    assert max(start_a, start_b) < min(end_a, end_b), "the two graders did not overlap"

    on_postgres = _scores(gradebook_url)
    # Every write went to PostgreSQL: the course has no SQLite gradebook of its own.
    assert not (course.root / "gradebook.db").exists()
    assert sorted(on_postgres) == sorted(STUDENTS)
    graded_cells = len(on_postgres["solution"])
    assert graded_cells > len(CHECKS)   # the kit's checks and the manually graded cells
    assert _row_counts(gradebook_url) == {
        "submissions": len(STUDENTS), "notebooks": len(STUDENTS),
        "grades": len(STUDENTS) * graded_cells, "repeated grades": 0}

    # What the demo table (docs/course.md) says of these students.
    auto = {s: {gid: score for gid, (score, _) in cells.items() if gid in CHECKS}
            for s, cells in on_postgres.items()}
    assert auto["solution"] == CHECKS
    assert set(auto["unmodified"].values()) == {0.0}
    assert {gid for gid, score in auto["notes_no_empty_rule"].items()
            if score != CHECKS[gid]} == {"update_empty_cluster"}
    assert 0 < sum(auto["tamper_numpy"].values()) < sum(CHECKS.values())

    # The same students in the demo course's embedded SQLite gradebook (graded by the
    # session in the background, tests/demo_course.py): the same score in every cell.
    demo_course.result()
    sqlite = f"sqlite:///{demo_course.root / 'gradebook.db'}"
    assert {s: cells for s, cells in _scores(sqlite).items() if s in STUDENTS} == on_postgres


# --------------------------------------------------------------------------- the URL
def test_without_the_variable_the_gradebook_is_the_course_sqlite_file(tmp_path, monkeypatch):
    monkeypatch.delenv(grader_config.DB_URL_ENV, raising=False)
    assert grader_config.db_url(tmp_path) == f"sqlite:///{tmp_path.resolve() / 'gradebook.db'}"
    monkeypatch.setenv(grader_config.DB_URL_ENV, "  ")
    assert grader_config.db_url(tmp_path).endswith("/gradebook.db")


@pytest.mark.parametrize("url", ["postgresql:///kmeans_gradebook?host=/run/pg",
                                 "postgresql+psycopg://grader:pw@db.example.org:5432/kmeans",
                                 "sqlite:////srv/course/gradebook.db"])
def test_sqlite_and_postgresql_urls_reach_nbgrader_as_they_are(url, tmp_path, monkeypatch):
    from traitlets.config import Config

    monkeypatch.setenv(grader_config.DB_URL_ENV, url)
    c = Config()
    grader_config.configure(c, tmp_path)
    assert c.CourseDirectory.db_url == url
    assert Course(tmp_path).db_url == url


@pytest.mark.parametrize(("url", "said"), [
    ("mysql://grader:s3cret@db/kmeans", "names a 'mysql' database"),
    ("postgres://grader:s3cret@db/kmeans", "SQLAlchemy spells it postgresql://"),
    ("kmeans_gradebook", "is not a database URL"),
    ("sqlite://", "names no database"),
    ("postgresql://grader:s3cret@db", "names no database"),
])
def test_any_other_url_is_refused_saying_what_to_set(url, said, tmp_path, monkeypatch):
    monkeypatch.setenv(grader_config.DB_URL_ENV, url)
    with pytest.raises(ValueError) as error:
        grader_config.db_url(tmp_path)
    message = str(error.value)
    assert said in message
    assert f"Set {grader_config.DB_URL_ENV} to postgresql://" in message
    assert "s3cret" not in message


@pytest.mark.e2e
def test_nbgrader_stops_on_a_wrong_url(tmp_path, monkeypatch):
    """The refusal reaches the instructor through nbgrader (the course's config stops it),
    rather than nbgrader going on with a gradebook nobody meant."""
    monkeypatch.setenv(grader_config.DB_URL_ENV, "mysql://grader:s3cret@db/kmeans")
    course = Course.create(tmp_path / "course", ASSIGNMENTS / "source")
    done = course.nbgrader("db", "student", "list", check=False)
    output = done.stdout + done.stderr
    assert done.returncode != 0
    assert "grader_config.py could not be loaded" in output
    assert "names a 'mysql' database" in output
    assert "s3cret" not in output

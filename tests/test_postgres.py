"""The gradebook's URL: ``$KMEANS_KIT_DB_URL`` or the course's SQLite file.

A URL that is neither SQLite nor PostgreSQL is refused, by ``grader_config.db_url`` and so
by nbgrader itself, with a message that says what to set.
"""

from __future__ import annotations

import pytest
from helpers import ASSIGNMENTS

import grader_config
from kmeans_kit.course import Course


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

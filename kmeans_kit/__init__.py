"""The K-means teaching kit: the notes' data and pictures, checks that know K-means,
the jail for student code, and the adapters that show the checks' outcomes.

In a notebook::

    from kmeans_kit import check
    check("assign")

The layers, bottom to top (each imports only those below it):

* :mod:`kmeans_kit.protocol`, :mod:`kmeans_kit.settings`, :mod:`kmeans_kit.cells`,
  :mod:`kmeans_kit.sanitize`: the plain data that crosses every boundary, the grading
  settings (read from ``grader_config.py``), nbgrader's cell metadata, and the student's
  HTML made safe for every page;
* :mod:`kmeans_kit.data`, :mod:`kmeans_kit.notes`, :mod:`kmeans_kit.plots`: the course
  notes' data generator, their pandas idioms, the pictures;
* :mod:`kmeans_kit.messages`: every word a student reads about a check;
* :mod:`kmeans_kit.checks`: the check engine and its one registry of checks;
* :mod:`kmeans_kit.runner`: running student code, in-process or isolated in the jail;
* :mod:`kmeans_kit.grading`: the engine with the isolated runner;
* :mod:`kmeans_kit.adapters`: ``check()`` in the notebook, ``pytest --submission``,
  nbgrader's preprocessors;
* :mod:`kmeans_kit.build`, :mod:`kmeans_kit.report`, :mod:`kmeans_kit.course`,
  :mod:`kmeans_kit.cli`: the assignment built from the registry, the class report, the
  instructor cycle, the command line.
"""

from .adapters.notebook import check, grade

__all__ = ["check", "grade"]

"""The kit's command line: ``kmeans-kit demo`` (the main job), ``kmeans-kit release``,
``kmeans-kit grade`` (one submission, Gradescope's ``results.json``),
``kmeans-kit gradescope-bundle`` (the autograder zip to upload to Gradescope) and
``kmeans-kit report`` (the class report: what the class got wrong).

Paths are the instructor's: by default ``assignments/`` and ``course/`` in the
current directory (``bin/demo`` runs from the checkout's root).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    from . import course
    from .adapters.gradescope_bundle import DEFAULT_GLIBC

    parser = argparse.ArgumentParser(prog="kmeans-kit", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--assignments", type=Path, default=Path("assignments"),
                        help="the directory holding source/, release/ and demo_class/ "
                             "(default: ./assignments)")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("demo", parents=[common],
                         help="build a course, autograde the demo class, print grades")
    run.add_argument("--course-dir", type=Path, default=Path("course"),
                     help="where to build the course (default: ./course; replaced if present)")
    run.add_argument("--jobs", type=int, default=2, help="students graded at once (default 2)")
    rel = sub.add_parser("release", parents=[common],
                         help="build the source's graded cells and the docs' checks table from "
                              "the registry, then regenerate release/ from source/")
    rel.add_argument("--docs", type=Path, default=Path("docs/checks.md"),
                     help="the checks page whose table to rebuild (default: ./docs/checks.md; "
                          "skipped if absent)")
    one = sub.add_parser("grade", help="grade one submission (.ipynb, MyST .md or .py) and write "
                                       "Gradescope's results.json")
    one.add_argument("submission", type=Path, help="the student's notebook (.ipynb or MyST .md) "
                                                  "or .py file (whole, or percent-format cells)")
    one.add_argument("--results", type=Path, default=Path("results.json"),
                     help="where to write the results (default: ./results.json)")
    bundle = sub.add_parser("gradescope-bundle",
                            help="write the zip to upload as a Gradescope autograder: setup.sh, "
                                 "run_autograder and a wheelhouse that installs offline "
                                 "(docs/gradescope.md)")
    bundle.add_argument("zip", type=Path, help="the zip to write, e.g. autograder.zip")
    bundle.add_argument("--python-version", default=None,
                        help="the Python 3.X.Y the wheels are for; setup.sh installs python3.X "
                             "(default: this interpreter's version)")
    bundle.add_argument("--glibc", default=DEFAULT_GLIBC,
                        help="the image's glibc, the newest manylinux tag accepted "
                             f"(default: {DEFAULT_GLIBC}, Ubuntu 22.04)")
    bundle.add_argument("--project", type=Path, default=None,
                        help="the kit's checkout, with constraints.txt and grader_config.py "
                             "(default: the checkout this kit is installed from)")
    rep = sub.add_parser("report", help="the class report: what the class got wrong, from a "
                                        "course's gradebook or a folder of results.json files")
    where = rep.add_mutually_exclusive_group()
    where.add_argument("--course-dir", type=Path, default=Path("course"),
                       help="the nbgrader course to read (default: ./course)")
    where.add_argument("--gradescope", type=Path, metavar="DIR",
                       help="read Gradescope results instead: DIR/<student>/results.json or "
                            "DIR/<student>.json")
    rep.add_argument("--out", type=Path, default=None,
                     help="where to write report.html and report.json (default: "
                          "<course>/exports/report, or DIR/report)")
    args = parser.parse_args(argv)
    if args.command == "report":
        from . import report

        if args.gradescope is not None:
            students, source = report.from_gradescope(args.gradescope)
            out = args.out or args.gradescope / "report"
        else:
            if not (args.course_dir / "nbgrader_config.py").is_file():
                parser.error(f"no nbgrader course at {args.course_dir}: pass --course-dir DIR "
                             f"(the directory of nbgrader_config.py) or --gradescope DIR")
            students, source = report.from_course(course.Course(args.course_dir))
            out = args.out or args.course_dir / "exports" / "report"
        page, data = report.write(students, source, out)
        print(f"wrote {page} ({data['judged']} of {data['students']} students judged)")
        for line in report.top(data):
            print(f"  {line}")
        return 0
    if args.command == "gradescope-bundle":
        from .adapters.gradescope_bundle import build_bundle

        try:
            made = build_bundle(args.zip, args.project, args.python_version, args.glibc)
        except (ValueError, FileNotFoundError) as exc:
            parser.error(str(exc))
        except RuntimeError as exc:   # pip could not build or fetch a wheel: its words
            print(f"kmeans-kit gradescope-bundle: {exc}", file=sys.stderr)
            return 1
        print(f"wrote {made.path}: {made.megabytes:.0f} MB, {len(made.wheels)} wheels for "
              f"Python {made.python_version}")
        return 0
    if args.command == "grade":
        from .adapters.gradescope import grade_file

        document = grade_file(args.submission, args.results)
        print(f"{args.submission}: {document['score']:g} points; wrote {args.results}")
        return 0
    if not (args.assignments / "source").is_dir():
        parser.error(f"{args.assignments / 'source'} does not exist: run from the kit's checkout "
                     f"or pass --assignments DIR")
    if args.command == "release":
        docs = args.docs if args.docs.is_file() else None
        print(f"wrote {course.release(args.assignments, docs)}")
        return 0
    rows = course.demo(args.course_dir, args.assignments, jobs=args.jobs)
    return 0 if len(rows) == len(course.load_demo_class(args.assignments / "demo_class")) else 1


if __name__ == "__main__":
    sys.exit(main())

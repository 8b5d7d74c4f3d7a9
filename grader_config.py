"""The one place for grading settings (kit and nbgrader).

Imported as a module, it gives the kit its settings (``SETTINGS``). Loaded by
nbgrader as a config file, it also fills nbgrader's ``c``.
"""

from reference.checks.settings import GradingSettings, Limits

SETTINGS = GradingSettings(limits=Limits(), max_examples=60)

"""Spark's Python daemon with TensorFlow and the trial code imported once.

PySpark forks a new worker for every trial (SparkTrials' task ignores its input, so Spark does
not reuse the worker, SPARK-26549); forked from this daemon, a worker starts with TensorFlow
already imported instead of spending seconds importing it. Set as
``spark.python.daemon.module`` by :func:`jobsearch.search.parallel.spark_session`.
"""

import tensorflow  # noqa: F401  (imported before the fork: every worker inherits it)
from pyspark import daemon

import jobsearch.trial  # noqa: F401

if __name__ == "__main__":
    daemon.manager()

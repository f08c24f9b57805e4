"""Spark's Python daemon with Keras (and its backend), MLflow and the trial code imported once.

PySpark forks a new worker for every trial (SparkTrials' task ignores its input, so Spark does
not reuse the worker, SPARK-26549); forked from this daemon, a worker starts with the libraries
a trial needs already imported instead of spending seconds importing them. Set as
``spark.python.daemon.module`` by :func:`jobsearch.search.parallel.spark_session`.
"""

import keras  # noqa: F401  (with its backend, before the fork: every worker inherits them)
import scipy.sparse  # noqa: F401
import sklearn.metrics  # noqa: F401
from pyspark import daemon

import jobsearch.model.build
import jobsearch.model.train
import jobsearch.search.run
import jobsearch.trial  # noqa: F401
from jobsearch.model.session import freeze_imports
from jobsearch.tracking.mlflow import import_mlflow

if __name__ == "__main__":
    import_mlflow()
    freeze_imports()  # the workers' collector skips the libraries' objects, as in-process
    daemon.manager()

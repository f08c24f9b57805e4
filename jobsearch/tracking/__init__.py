"""MLflow, and only here: runs (``mlflow``), the model registry (``registry``), the served
raw-text model (``serving``)."""

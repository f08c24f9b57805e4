"""The classifier: build (``build``), loss (``losses``), word vectors (``embeddings``), fit
(``train``) and metrics (``metrics``, no Keras). Nothing here knows about hyperopt or MLflow."""

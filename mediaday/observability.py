"""One Logger, Metrics and Tracer per process, named after the service that runs."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer

NAMESPACE = "MediaDayLive"

logger = Logger()
metrics = Metrics(namespace=NAMESPACE)
tracer = Tracer()

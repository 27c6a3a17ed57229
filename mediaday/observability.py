"""One Logger, Metrics and Tracer per process, named after the service that runs."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer

NAMESPACE = "MediaDayLive"

logger = Logger()
metrics = Metrics(namespace=NAMESPACE)
# Only botocore: every AWS call (DynamoDB, Secrets Manager, the Management API) goes through
# it, and patching the SDK's other supported libraries costs ~15 ms of each cold start.
tracer = Tracer(patch_modules=["botocore"])

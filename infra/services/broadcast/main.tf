# The coordination table's stream -> the broadcaster, which posts each change to the
# topic's subscribers. Partial batch responses (ReportBatchItemFailures) let one failing
# record be retried alone; bisection isolates a record that crashes the function; retries
# and record age are finite so a poisoned record cannot block its shard forever, and what
# is dropped lands in an encrypted SQS queue for inspection (and the DLQ-depth alarm).

locals {
  stream_arns = "${var.service.shared.coordination_table_arn}/stream/*"
}

module "on_stream" {
  source = "../../modules/function"

  name                 = "broadcast"
  description          = "Coordination stream: fans each change out to the topic's subscribers"
  handler              = "broadcast.handler.on_stream"
  reserved_concurrency = var.reserved_concurrency
  service              = var.service

  grants = [
    {
      sid       = "ReadCoordinationStream"
      actions   = ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"]
      resources = [local.stream_arns]
    },
    # Query: subscribers of a topic; BatchWriteItem: forget connections that are gone.
    { sid = "SubscribersAndGoneConnections", actions = ["dynamodb:Query", "dynamodb:BatchWriteItem"], resources = [var.service.shared.connections_table_arn] },
    { sid = "PostToSubscribers", actions = ["execute-api:ManageConnections"], resources = [var.service.shared.post_to_connections_arn] },
    { sid = "ParkUndeliverableBatches", actions = ["sqs:SendMessage"], resources = [aws_sqs_queue.stream_failures.arn] },
  ]
}

# ---------------------------------------------------------------------------------------
# On-failure destination and the stream mapping
# ---------------------------------------------------------------------------------------

resource "aws_sqs_queue" "stream_failures" {
  name                      = "${var.service.name_prefix}-broadcast-failures"
  message_retention_seconds = 14 * 24 * 3600
  # The queue holds batch metadata (shard, sequence numbers), never item contents.
  sqs_managed_sse_enabled = true
}

resource "aws_lambda_event_source_mapping" "stream" {
  event_source_arn = var.service.shared.coordination_stream_arn
  # The live alias: a rollback of the function rolls back what the stream invokes.
  function_name                      = module.on_stream.alias_arn
  starting_position                  = "LATEST"
  batch_size                         = var.stream.batch_size
  maximum_batching_window_in_seconds = var.stream.batching_window_seconds
  parallelization_factor             = var.stream.parallelization_factor
  function_response_types            = ["ReportBatchItemFailures"]
  bisect_batch_on_function_error     = true
  maximum_retry_attempts             = var.stream.maximum_retry_attempts
  maximum_record_age_in_seconds      = var.stream.maximum_record_age_seconds

  destination_config {
    on_failure {
      destination_arn = aws_sqs_queue.stream_failures.arn
    }
  }
}

# Alarms for what breaks delivery: the broadcaster falling behind the stream or failing
# records, functions (and the signing key's rotation) failing or being throttled, batches
# parked in the failure queue, API Gateway failing to invoke, DynamoDB throttling and
# transaction conflicts. Every alarm notifies the topic when it fires and when it clears;
# the dashboard (dashboard.tf) shows the same metrics.

resource "aws_sns_topic" "alarms" {
  name              = "${local.name}-alarms"
  kms_master_key_id = aws_kms_key.stack.arn
}

resource "aws_sns_topic_subscription" "alarm_email" {
  count = try(length(var.alarm_email), 0) == 0 ? 0 : 1

  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = var.alarm_email
}

locals {
  # Every function, the rotation and the sweep included: a failing rotation leaves the old
  # key in place with nothing else to show for it, and a failing sweep leaves expired
  # tokens' idle sockets open until API Gateway's 2 h cap.
  alarm_functions = { for name, function in local.functions : name => function.function_name }

  # Errors and throttles of every function, one alarm each.
  function_metrics = {
    errors    = { metric = "Errors", description = "The %s function failed invocations (unhandled errors or timeouts)." }
    throttles = { metric = "Throttles", description = "The %s function hit its reserved concurrency: raise it or find the flood." }
  }
}

resource "aws_cloudwatch_metric_alarm" "stream_iterator_age" {
  alarm_name          = "${local.name}-broadcast-iterator-age"
  alarm_description   = "The broadcaster is more than a minute behind the coordination stream: screens lag."
  namespace           = "AWS/Lambda"
  metric_name         = "IteratorAge"
  dimensions          = { FunctionName = module.broadcast.broadcast.function_name }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 3
  threshold           = 60000
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
}

# ---------------------------------------------------------------------------------------
# Every other failure mode: one table, one alarm per row, each firing again for every new
# failure (sums over a window, not a depth that stays up after the first).
# ---------------------------------------------------------------------------------------

locals {
  api_dimensions   = { ApiId = aws_apigatewayv2_api.ws.id, Stage = local.stage_name }
  broadcast_metric = { service = "broadcast" } # Powertools' dimension: POWERTOOLS_SERVICE_NAME
  failure_queue    = { QueueName = module.broadcast.failure_queue.name }

  metric_alarms = merge(
    {
      # The broadcaster reports failed records in its response instead of raising, so the
      # Errors alarm never sees broken fan-out: these are its own metrics.
      "broadcast-failed-records" = {
        namespace   = "MediaDayLive", metric = "FailedRecords", dimensions = local.broadcast_metric
        statistic   = "Sum", period = 60, evaluation_periods = 5, datapoints = 2, threshold = 0
        description = "Stream records failed fan-out (the Management API refused or kept failing posts) and will be retried, then parked: read the broadcaster's error log (a 403 means IAM)."
      }
      "broadcast-undeliverable-records" = {
        namespace   = "MediaDayLive", metric = "UndeliverableRecords", dimensions = local.broadcast_metric
        statistic   = "Sum", period = 60, evaluation_periods = 1, datapoints = 1, threshold = 0
        description = "The broadcaster met stream records it cannot read (not a valid item): screens missed those changes until their next sync; see its error log."
      }
      "broadcast-destination-failures" = {
        namespace   = "AWS/Lambda", metric = "DestinationDeliveryFailures", dimensions = { FunctionName = module.broadcast.broadcast.function_name }
        statistic   = "Sum", period = 60, evaluation_periods = 1, datapoints = 1, threshold = 0
        description = "Lambda could not park a failed stream batch in the failure queue: the record of what was lost is lost too; check the queue and the broadcaster's sqs:SendMessage grant."
      }
      # Parked batches: every new one notifies (messages sent), and one left too long
      # notifies again before DynamoDB Streams drops the records it points at (24 h).
      "broadcast-failures-parked" = {
        namespace   = "AWS/SQS", metric = "NumberOfMessagesSent", dimensions = local.failure_queue
        statistic   = "Sum", period = 300, evaluation_periods = 1, datapoints = 1, threshold = 0
        description = "The stream mapping gave up on a batch and parked its position in the failure queue: replay it within 24 h (docs/reliability.md) or the stream drops the records."
      }
      "broadcast-failures-aging" = {
        namespace   = "AWS/SQS", metric = "ApproximateAgeOfOldestMessage", dimensions = local.failure_queue
        statistic   = "Maximum", period = 300, evaluation_periods = 1, datapoints = 1, threshold = 6 * 3600
        description = "A parked stream batch has waited over 6 h: the stream keeps its records 24 h, replay it now (docs/reliability.md)."
      }
      # API Gateway: ExecutionError is API Gateway failing to call a function (throttled,
      # permission, timeout); IntegrationError on $default is the message function
      # answering with an error status (refused tokens at $connect count too, so that
      # route is left out).
      "api-execution-errors" = {
        namespace   = "AWS/ApiGateway", metric = "ExecutionError", dimensions = local.api_dimensions
        statistic   = "Sum", period = 60, evaluation_periods = 5, datapoints = 2, threshold = 0
        description = "API Gateway could not invoke a function (Lambda throttled it, a permission is missing, or it timed out): read integrationStatus and responseType in the access log."
      }
      "api-message-integration-errors" = {
        namespace   = "AWS/ApiGateway", metric = "IntegrationError", dimensions = merge(local.api_dimensions, { Route = "$default" })
        statistic   = "Sum", period = 60, evaluation_periods = 5, datapoints = 2, threshold = 5
        description = "The message function answered API Gateway with an error status: senders get no ack; read its error log."
      }
      "coordination-transaction-conflicts" = {
        namespace   = "AWS/DynamoDB", metric = "TransactionConflict", dimensions = { TableName = aws_dynamodb_table.coordination.name }
        statistic   = "Sum", period = 60, evaluation_periods = 5, datapoints = 3, threshold = 10
        description = "Writes to the coordination table keep colliding in transactions (more than 10 a minute): producers are editing the same items at once or a client retries in a loop."
      }
    },
    # Throttling of either table, reads and writes apart: on-demand tables throttle only
    # past their peak doubling or a hot partition.
    merge([for table, name in { connections = aws_dynamodb_table.connections.name, coordination = aws_dynamodb_table.coordination.name } : {
      for kind in ["Read", "Write"] : "${table}-${lower(kind)}-throttles" => {
        namespace   = "AWS/DynamoDB", metric = "${kind}ThrottleEvents", dimensions = { TableName = name }
        statistic   = "Sum", period = 60, evaluation_periods = 5, datapoints = 2, threshold = 0
        description = "DynamoDB throttled ${lower(kind)}s on the ${table} table: a hot partition or a burst past on-demand capacity; see the dashboard."
      }
    }]...),
  )
}

resource "aws_cloudwatch_metric_alarm" "metric" {
  for_each = local.metric_alarms

  alarm_name          = "${local.name}-${each.key}"
  alarm_description   = each.value.description
  namespace           = each.value.namespace
  metric_name         = each.value.metric
  dimensions          = each.value.dimensions
  statistic           = each.value.statistic
  period              = each.value.period
  evaluation_periods  = each.value.evaluation_periods
  datapoints_to_alarm = each.value.datapoints
  threshold           = each.value.threshold
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
}

module "function_alarms" {
  source   = "./modules/function_alarms"
  for_each = local.function_metrics

  functions   = local.alarm_functions
  metric      = each.value.metric
  suffix      = each.key
  description = each.value.description
  name_prefix = local.name
  topic_arn   = aws_sns_topic.alarms.arn
}

# Where the two alarm sets lived before they shared a module: no alarm is replaced.
moved {
  from = aws_cloudwatch_metric_alarm.function_errors
  to   = module.function_alarms["errors"].aws_cloudwatch_metric_alarm.this
}

moved {
  from = aws_cloudwatch_metric_alarm.function_throttles
  to   = module.function_alarms["throttles"].aws_cloudwatch_metric_alarm.this
}

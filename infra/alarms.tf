# Alarms for what breaks delivery: the broadcaster falling behind the stream, functions
# (and the signing key's rotation) failing or being throttled, and records parked in the
# failure queue.

resource "aws_sns_topic" "alarms" {
  name              = "${local.name}-alarms"
  kms_master_key_id = aws_kms_key.stack.arn
}

resource "aws_sns_topic_subscription" "alarm_email" {
  count = var.alarm_email == null ? 0 : 1

  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = var.alarm_email
}

locals {
  alarm_functions = {
    connect    = module.connect.connect.function_name
    disconnect = module.connect.disconnect.function_name
    message    = module.messaging.message.function_name
    broadcast  = module.broadcast.broadcast.function_name
    # A failing rotation leaves the old key in place with nothing else to show for it.
    rotation = module.connect.rotate_signing_key.function_name
  }

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

resource "aws_cloudwatch_metric_alarm" "failure_queue_depth" {
  alarm_name          = "${local.name}-broadcast-failures-queued"
  alarm_description   = "Stream records the broadcaster gave up on are waiting in the failure queue: inspect them."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = module.broadcast.failure_queue.name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
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

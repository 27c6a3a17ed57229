# One alarm per function on one Lambda metric (Errors, Throttles): any occurrence in two of
# five minutes notifies the alarm topic, and its end notifies it again.

resource "aws_cloudwatch_metric_alarm" "this" {
  for_each = var.functions

  alarm_name          = "${var.name_prefix}-${each.key}-${var.suffix}"
  alarm_description   = format(var.description, each.key)
  namespace           = "AWS/Lambda"
  metric_name         = var.metric
  dimensions          = { FunctionName = each.value }
  statistic           = "Sum"
  period              = 60
  evaluation_periods  = 5
  datapoints_to_alarm = 2
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [var.topic_arn]
  ok_actions          = [var.topic_arn]
}

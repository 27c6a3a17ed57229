output "alarms" {
  description = "The alarms by role (name, metric, dimensions, ...), for tests and review."
  value       = aws_cloudwatch_metric_alarm.this
}

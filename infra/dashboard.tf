# One CloudWatch dashboard for the live day: who is connected, what flows, how fast fan-out
# is, whether the broadcaster keeps up with the stream, and everything that fails or is
# throttled (the same metrics the alarms in alarms.tf watch).

locals {
  dashboard_functions = values(local.alarm_functions)

  # [namespace, metric, dimension name, dimension value, ...] rows, one widget each.
  dashboard_widgets = [
    {
      title   = "Connections opened and messages (API Gateway)"
      stat    = "Sum"
      metrics = [["AWS/ApiGateway", "ConnectCount", "ApiId", aws_apigatewayv2_api.ws.id, "Stage", local.stage_name], [".", "MessageCount", ".", ".", ".", "."]]
    },
    {
      title   = "Admitted and refused connections, handled and refused requests"
      stat    = "Sum"
      metrics = [["MediaDayLive", "ConnectionsAdmitted", "service", "connect"], [".", "ConnectionsRefused", ".", "."], [".", "RequestsHandled", "service", "messaging"], [".", "RequestsRefused", ".", "."]]
    },
    {
      title   = "Fan-out duration per stream batch (ms, p50 and p99)"
      stat    = "p50"
      metrics = [["MediaDayLive", "FanoutDuration", "service", "broadcast"], [".", ".", ".", ".", { stat = "p99" }]]
    },
    {
      title   = "Deliveries and gone connections removed"
      stat    = "Sum"
      metrics = [["MediaDayLive", "Deliveries", "service", "broadcast"], [".", "GoneConnectionsRemoved", ".", "."], [".", "DeliveryRetries", ".", "."]]
    },
    {
      title   = "Broadcaster iterator age (ms behind the stream)"
      stat    = "Maximum"
      metrics = [["AWS/Lambda", "IteratorAge", "FunctionName", module.broadcast.broadcast.function_name]]
    },
    {
      title   = "Failures: records, parked batches, API Gateway"
      stat    = "Sum"
      metrics = [["MediaDayLive", "FailedRecords", "service", "broadcast"], [".", "UndeliverableRecords", ".", "."], ["AWS/SQS", "NumberOfMessagesSent", "QueueName", module.broadcast.failure_queue.name], ["AWS/Lambda", "DestinationDeliveryFailures", "FunctionName", module.broadcast.broadcast.function_name], ["AWS/ApiGateway", "ExecutionError", "ApiId", aws_apigatewayv2_api.ws.id, "Stage", local.stage_name], [".", "IntegrationError", ".", ".", ".", "."]]
    },
    {
      title   = "Function errors"
      stat    = "Sum"
      metrics = [for name in local.dashboard_functions : ["AWS/Lambda", "Errors", "FunctionName", name]]
    },
    {
      title   = "Throttles: functions and tables"
      stat    = "Sum"
      metrics = concat([for name in local.dashboard_functions : ["AWS/Lambda", "Throttles", "FunctionName", name]], [for table in [aws_dynamodb_table.connections.name, aws_dynamodb_table.coordination.name] : ["AWS/DynamoDB", "WriteThrottleEvents", "TableName", table]], [for table in [aws_dynamodb_table.connections.name, aws_dynamodb_table.coordination.name] : ["AWS/DynamoDB", "ReadThrottleEvents", "TableName", table]], [["AWS/DynamoDB", "TransactionConflict", "TableName", aws_dynamodb_table.coordination.name]])
    },
  ]
}

resource "aws_cloudwatch_dashboard" "live" {
  dashboard_name = "${local.name}-live"
  dashboard_body = jsonencode({
    widgets = [for index, widget in local.dashboard_widgets : {
      type   = "metric"
      width  = 12
      height = 6
      x      = (index % 2) * 12
      y      = floor(index / 2) * 6
      properties = {
        title   = widget.title
        region  = var.region
        stat    = widget.stat
        period  = 60
        view    = "timeSeries"
        stacked = false
        metrics = widget.metrics
      }
    }]
  })
}

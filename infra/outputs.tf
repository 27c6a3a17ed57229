output "websocket_url" {
  description = "wss:// URL clients connect to (append ?token=... or send the token as a subprotocol)."
  value       = aws_apigatewayv2_stage.ws.invoke_url
}

output "kiosk_url" {
  description = "Kiosk page on CloudFront, already pointed at the WebSocket API; append &token=<kiosk token>."
  value       = var.enable_cdn ? "https://${local.web_host}/kiosk.html?ws=${urlencode(aws_apigatewayv2_stage.ws.invoke_url)}" : null
}

output "producer_url" {
  description = "Producer console on CloudFront, already pointed at the WebSocket API; append &token=<producer token>."
  value       = var.enable_cdn ? "https://${local.web_host}/producer.html?ws=${urlencode(aws_apigatewayv2_stage.ws.invoke_url)}" : null
}

output "web_url" {
  description = "Base URL of the web pages on CloudFront (null when enable_cdn is off)."
  value       = var.enable_cdn ? "https://${local.web_host}/" : null
}

output "management_endpoint" {
  description = "The @connections endpoint the functions post to."
  value       = local.management_endpoint
}

output "api_id" {
  description = "Id of the WebSocket API."
  value       = aws_apigatewayv2_api.ws.id
}

output "stage_name" {
  description = "Name of the API stage (the environment)."
  value       = aws_apigatewayv2_stage.ws.name
}

output "signing_secret_arn" {
  description = "Secrets Manager secret holding the token signing key: `mediaday token --secret-id <this>`."
  value       = module.signing_key.secret_arn
}

output "connections_table" {
  description = "Name of the connections table."
  value       = aws_dynamodb_table.connections.name
}

output "coordination_table" {
  description = "Name of the coordination table."
  value       = aws_dynamodb_table.coordination.name
}

output "functions" {
  description = "Lambda function names by role: connect, disconnect, message, broadcast, rotation (of the signing key), sweep (of expired connections)."
  value       = local.alarm_functions
}

output "cdn_distribution_id" {
  description = "Id of the CloudFront distribution of the pages (the deploy invalidates it); null when enable_cdn is off."
  value       = var.enable_cdn ? aws_cloudfront_distribution.web[0].id : null
}

output "web_bucket" {
  description = "Private S3 bucket holding the web pages."
  value       = aws_s3_bucket.web.bucket
}

output "failure_queue_url" {
  description = "SQS queue of stream records the broadcaster gave up on."
  value       = module.broadcast.failure_queue.url
}

output "dashboard_name" {
  description = "CloudWatch dashboard of the live day (connections, messages, fan-out, iterator age, failures, throttles)."
  value       = aws_cloudwatch_dashboard.live.dashboard_name
}

output "alarm_topic_arn" {
  description = "SNS topic every alarm notifies."
  value       = aws_sns_topic.alarms.arn
}

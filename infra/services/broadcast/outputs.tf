output "broadcast" {
  description = "The stream function: name, arn, invoke_arn, role_name, policy statements."
  value       = module.on_stream
}

output "event_source_mapping" {
  description = "The stream -> function mapping (uuid, batch and failure settings)."
  value       = aws_lambda_event_source_mapping.stream
}

output "failure_queue" {
  description = "SQS queue that receives records the mapping gave up on (name, arn, url, ...)."
  value       = aws_sqs_queue.stream_failures
}

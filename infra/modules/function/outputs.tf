output "function_name" {
  description = "Name of the Lambda function."
  value       = aws_lambda_function.this.function_name
}

output "arn" {
  description = "ARN of the Lambda function."
  value       = aws_lambda_function.this.arn
}

output "invoke_arn" {
  description = "ARN API Gateway uses to invoke the function: its live alias."
  value       = aws_lambda_alias.live.invoke_arn
}

output "alias_arn" {
  description = "ARN of the live alias, what every caller invokes (the stream mapping, Secrets Manager)."
  value       = aws_lambda_alias.live.arn
}

output "alias_name" {
  description = "Name of the alias callers invoke (a permission's qualifier)."
  value       = aws_lambda_alias.live.name
}

output "version" {
  description = "The version this apply published (the live alias points at it unless rolled back since)."
  value       = aws_lambda_function.this.version
}

output "role_name" {
  description = "Name of the function's execution role."
  value       = aws_iam_role.this.name
}

output "role_arn" {
  description = "ARN of the function's execution role."
  value       = aws_iam_role.this.arn
}

output "log_group_name" {
  description = "CloudWatch log group of the function."
  value       = aws_cloudwatch_log_group.this.name
}

output "policy_statements" {
  description = "Every IAM statement of the role (runtime and service), decoded, for tests and review."
  value = concat(
    jsondecode(aws_iam_role_policy.runtime.policy).Statement,
    jsondecode(aws_iam_role_policy.service.policy).Statement,
  )
}

output "configuration" {
  description = "What the function runs with (handler, runtime, limits, tracing, environment), for tests and review."
  value = {
    handler              = aws_lambda_function.this.handler
    runtime              = aws_lambda_function.this.runtime
    timeout              = aws_lambda_function.this.timeout
    memory_size          = aws_lambda_function.this.memory_size
    reserved_concurrency = aws_lambda_function.this.reserved_concurrent_executions
    tracing_mode         = aws_lambda_function.this.tracing_config[0].mode
    publish              = aws_lambda_function.this.publish
    snap_start           = length(aws_lambda_function.this.snap_start) > 0
    environment          = aws_lambda_function.this.environment[0].variables
    log_retention_days   = aws_cloudwatch_log_group.this.retention_in_days
  }
}

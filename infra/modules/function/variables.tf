variable "name" {
  description = "Function name; also names its role and log group."
  type        = string
}

variable "description" {
  description = "What the function does, shown in the Lambda console."
  type        = string
}

variable "handler" {
  description = "Python entry point, module.function (e.g. connect.handler.on_connect)."
  type        = string
}

variable "package_file" {
  description = "Path of the deployment zip built by `make package`."
  type        = string
}

variable "package_hash" {
  description = "base64 SHA-256 of the zip, so a changed package redeploys the function."
  type        = string
}

variable "environment" {
  description = "Environment variables: names and ARNs only, never secrets."
  type        = map(string)
}

variable "policy_statements" {
  description = "IAM statements the function needs beyond logging and tracing (least privilege)."
  type        = any
}

variable "memory_mb" {
  description = "Memory in MB (CPU scales with it)."
  type        = number
}

variable "timeout_seconds" {
  description = "Maximum run time of one invocation, in seconds."
  type        = number
}

variable "reserved_concurrency" {
  description = "Concurrent executions reserved for (and capping) this function."
  type        = number
}

variable "log_retention_days" {
  description = "How long CloudWatch keeps the function's logs, in days."
  type        = number
}

variable "kms_key_arn" {
  description = "Customer managed KMS key for the log group and the environment variables."
  type        = string
}

variable "tracing" {
  description = "Active X-Ray tracing (true) or pass-through (false)."
  type        = bool
}

variable "partition" {
  description = "AWS partition (aws, aws-cn, aws-us-gov), for ARNs."
  type        = string
}

variable "region" {
  description = "AWS region, for ARNs."
  type        = string
}

variable "account_id" {
  description = "AWS account id, for ARNs and the trust policy's source account."
  type        = string
}

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

variable "package" {
  description = "The deployment zip built by `make package` (file) and its base64 SHA-256 (hash), so a changed package redeploys the function."
  type = object({
    file = string
    hash = string
  })
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

variable "platform" {
  description = "Stack-wide facts: ARN parts (partition, region, account_id), the KMS key for logs and environment, log retention in days, active X-Ray tracing."
  type = object({
    partition          = string
    region             = string
    account_id         = string
    kms_key_arn        = string
    log_retention_days = number
    tracing            = bool
  })
}

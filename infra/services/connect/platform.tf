# The same inputs in every service module: where it runs and the stack-wide settings.

variable "platform" {
  description = "Stack-wide facts every function shares: ARN parts, the KMS key, log retention, tracing."
  type = object({
    partition          = string
    region             = string
    account_id         = string
    kms_key_arn        = string
    log_retention_days = number
    tracing            = bool
  })
}

variable "name_prefix" {
  description = "Prefix of every resource name, e.g. mediaday-dev."
  type        = string
}

variable "package" {
  description = "The service's deployment zip (path) and its base64 SHA-256 (hash)."
  type = object({
    file = string
    hash = string
  })
}

variable "environment" {
  description = "Environment variables shared by the stack's functions (names and ARNs only)."
  type        = map(string)
}

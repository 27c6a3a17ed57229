# The input every function and every service module shares: the service's package,
# environment and limits, and the stack-wide settings. One file: services/<name>/platform.tf
# are links to it.

variable "service" {
  description = "The service a function belongs to: name_prefix of every resource name (e.g. mediaday-dev); its deployment zip from `make package` (package.file) and base64 SHA-256 (package.hash, so a changed package redeploys); environment variables (names and ARNs only, never secrets); memory_mb and timeout_seconds of its functions; platform, the stack-wide facts (ARN parts, the KMS key for logs and environment, log retention in days, active X-Ray tracing); shared, the ARNs of what the services reach (the connections table, the coordination table and its current stream, POST @connections on this API's stage), each service granting its functions only what they use."
  type = object({
    name_prefix     = string
    package         = object({ file = string, hash = string })
    environment     = map(string)
    memory_mb       = number
    timeout_seconds = number
    platform = object({
      partition          = string
      region             = string
      account_id         = string
      kms_key_arn        = string
      log_retention_days = number
      tracing            = bool
    })
    shared = object({
      connections_table_arn   = string
      coordination_table_arn  = string
      coordination_stream_arn = string
      post_to_connections_arn = string
    })
  })
}

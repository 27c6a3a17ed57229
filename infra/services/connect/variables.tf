variable "connections_table_arn" {
  description = "ARN of the connections table."
  type        = string
}

variable "signing_secret_arn" {
  description = "ARN of the Secrets Manager secret holding the token signing key."
  type        = string
}

variable "memory_mb" {
  description = "Memory of both functions, in MB."
  type        = number
}

variable "timeout_seconds" {
  description = "Timeout of both functions, in seconds."
  type        = number
}

variable "reserved_concurrency" {
  description = "Reserved concurrency of the connect and disconnect functions."
  type = object({
    connect    = number
    disconnect = number
  })
}

variable "connections_table_arn" {
  description = "ARN of the connections table."
  type        = string
}

variable "signing_secret_arn" {
  description = "ARN of the Secrets Manager secret holding the token signing key."
  type        = string
}

variable "memory_mb" {
  description = "Memory of each of the service's functions, in MB."
  type        = number
}

variable "timeout_seconds" {
  description = "Timeout of the connect and disconnect functions, in seconds (rotation has its own 30 s)."
  type        = number
}

variable "reserved_concurrency" {
  description = "Reserved concurrency of the connect and disconnect functions."
  type = object({
    connect    = number
    disconnect = number
  })
}

variable "signing_key_rotation_days" {
  description = "Days between automatic rotations of the signing key."
  type        = number

  validation {
    condition     = var.signing_key_rotation_days >= 1 && var.signing_key_rotation_days <= 365
    error_message = "signing_key_rotation_days must be 1-365 (Secrets Manager's range)."
  }
}

variable "rotate_automatically" {
  description = "Configure the signing key's rotation schedule. The function and its invoke permission exist either way; false only in the deploy rehearsal (moto would run the function in a container)."
  type        = bool
}

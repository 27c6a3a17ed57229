variable "coordination_table_arn" {
  description = "ARN of the coordination table (its stream ARNs are ARN/stream/*)."
  type        = string
}

variable "coordination_stream_arn" {
  description = "ARN of the coordination table's current stream."
  type        = string
}

variable "connections_table_arn" {
  description = "ARN of the connections table."
  type        = string
}

variable "post_to_connections_arn" {
  description = "execute-api ARN of POST @connections on this API's stage."
  type        = string
}

variable "memory_mb" {
  description = "Memory of the function, in MB (it posts from a thread pool)."
  type        = number
}

variable "timeout_seconds" {
  description = "Timeout of the function, in seconds."
  type        = number
}

variable "reserved_concurrency" {
  description = "Reserved concurrency of the function."
  type        = number
}

variable "stream" {
  description = "Event source mapping settings of the coordination stream."
  type = object({
    batch_size                 = number
    batching_window_seconds    = number
    parallelization_factor     = number
    maximum_retry_attempts     = number
    maximum_record_age_seconds = number
  })
}

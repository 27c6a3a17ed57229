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

variable "reserved_concurrency" {
  description = "Reserved concurrency of the function."
  type        = number
}

variable "stream" {
  description = "Event source mapping settings of the coordination stream: the root's var.stream (its type and validations live there)."
  type        = map(number)
}

variable "connections_table_arn" {
  description = "ARN of the connections table."
  type        = string
}

variable "coordination_table_arn" {
  description = "ARN of the coordination table (its indexes are ARN/index/*)."
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

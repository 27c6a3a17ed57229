variable "reserved_concurrency" {
  description = "Reserved concurrency of the function."
  type        = number
}

variable "stream" {
  description = "Event source mapping settings of the coordination stream: the root's var.stream (its type and validations live there)."
  type        = map(number)
}

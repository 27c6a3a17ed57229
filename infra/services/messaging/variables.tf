variable "reserved_concurrency" {
  description = "Reserved concurrency of the function."
  type        = number
}

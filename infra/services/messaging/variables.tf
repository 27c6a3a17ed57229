variable "reserved_concurrency" {
  description = "Reserved concurrency of the function."
  type        = number
}

variable "signing_secret_arn" {
  description = "Secrets Manager secret holding the token signing key: pair.approve mints a paired screen's token with it."
  type        = string
}

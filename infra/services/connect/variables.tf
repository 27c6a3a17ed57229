variable "signing_secret_arn" {
  description = "ARN of the Secrets Manager secret holding the token signing key."
  type        = string
}

variable "reserved_concurrency" {
  description = "Reserved concurrency of the connect and disconnect functions."
  type = object({
    connect    = number
    disconnect = number
  })
}

variable "signing_key_rotation_days" {
  description = "Days between automatic rotations of the signing key (1-365: the root's variable checks it)."
  type        = number
}

variable "rotate_automatically" {
  description = "Configure the signing key's rotation schedule. The function and its invoke permission exist either way; false only in the deploy rehearsal (moto would run the function in a container)."
  type        = bool
}

variable "name" {
  description = "Name of the secret."
  type        = string
}

variable "kms_key_arn" {
  description = "Customer managed KMS key that encrypts the secret."
  type        = string
}

variable "recovery_days" {
  description = "Days a deleted secret can still be restored (0: delete at once)."
  type        = number
}

variable "generate" {
  description = "Generate the key here (true). False only where ephemeral resources cannot run (terraform test's mock provider)."
  type        = bool
  default     = true
}

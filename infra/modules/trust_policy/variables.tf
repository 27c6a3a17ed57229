variable "service" {
  description = "The service principal that assumes the role (e.g. lambda.amazonaws.com)."
  type        = string
}

variable "account_id" {
  description = "The account the service may act for: the stack's own."
  type        = string
}

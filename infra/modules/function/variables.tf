variable "name" {
  description = "Function name after the service's name_prefix (name_prefix-name); also names its role and log group."
  type        = string
}

variable "description" {
  description = "What the function does, shown in the Lambda console."
  type        = string
}

variable "handler" {
  description = "Python entry point, module.function (e.g. connect.handler.on_connect)."
  type        = string
}

variable "grants" {
  description = "What the function may do beyond logging, tracing and kms:Decrypt with the stack key (least privilege): one Allow statement each, named by sid, with an optional IAM condition."
  type = list(object({
    sid       = string
    actions   = list(string)
    resources = list(string)
    condition = optional(map(map(string)))
  }))
}

variable "reserved_concurrency" {
  description = "Concurrent executions reserved for (and capping) this function."
  type        = number
}

variable "environment" {
  description = "Environment variables of this function only, on top of the service's (names and ARNs only)."
  type        = map(string)
  default     = {}
}

variable "timeout_seconds" {
  description = "Maximum run time of one invocation, in seconds (null: the service's)."
  type        = number
  default     = null
}

variable "snap_start" {
  description = "Lambda SnapStart on published versions: the initialised function is snapshotted and restored instead of imported again on every cold start."
  type        = bool
  default     = false
}

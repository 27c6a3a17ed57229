variable "functions" {
  description = "Function names by role (connect, message, ...); the role names the alarm."
  type        = map(string)
}

variable "metric" {
  description = "The AWS/Lambda metric summed each minute, e.g. Errors."
  type        = string
}

variable "suffix" {
  description = "Last part of each alarm's name: <name_prefix>-<role>-<suffix>."
  type        = string
}

variable "description" {
  description = "Alarm description, a format string whose %s is the role."
  type        = string
}

variable "name_prefix" {
  description = "Prefix of every alarm name, e.g. mediaday-dev."
  type        = string
}

variable "topic_arn" {
  description = "SNS topic notified when an alarm fires and when it clears."
  type        = string
}

# ---------------------------------------------------------------------------------------
# Where and what
# ---------------------------------------------------------------------------------------

variable "environment" {
  description = "Deployment environment; names every resource (mediaday-<environment>-...)."
  type        = string

  validation {
    condition     = contains(["dev", "prod"], var.environment)
    error_message = "environment must be dev or prod."
  }
}

variable "region" {
  description = "AWS region to deploy to."
  type        = string
  default     = "us-east-1"
}

variable "project" {
  description = "Project name, the first part of every resource name."
  type        = string
  default     = "mediaday"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.project))
    error_message = "project must be 2-21 lowercase letters, digits or dashes, starting with a letter."
  }
}

variable "tags" {
  description = "Extra tags for every resource (Project, Environment and ManagedBy are always set)."
  type        = map(string)
  default     = {}
}

variable "package_dir" {
  description = "Directory holding connect.zip, messaging.zip and broadcast.zip from `make package` (default: <repo>/build)."
  type        = string
  default     = null
}

variable "web_dir" {
  description = "Directory of the kiosk and crew pages uploaded to the web bucket (default: <repo>/client/web)."
  type        = string
  default     = null
}

# ---------------------------------------------------------------------------------------
# Application settings (become MEDIADAY_* environment variables)
# ---------------------------------------------------------------------------------------

variable "allowed_origins" {
  description = "Origins allowed to open a WebSocket (browsers send Origin). Empty: any origin, and clients without one. The web distribution's own origin is always added."
  type        = list(string)
  default     = []
}

variable "rate_limit_per_minute" {
  description = "Messages one connection may send per minute before it is refused with rate_limited."
  type        = number
  default     = 600

  validation {
    condition     = var.rate_limit_per_minute > 0
    error_message = "rate_limit_per_minute must be positive."
  }
}

# ---------------------------------------------------------------------------------------
# Capacity and limits
# ---------------------------------------------------------------------------------------

variable "reserved_concurrency" {
  description = "Reserved concurrent executions per function. Their sum must leave the account's 100 unreserved executions free (a new account's limit may be only 10: ask for an increase first)."
  type = object({
    connect    = number
    disconnect = number
    message    = number
    broadcast  = number
  })
  default = {
    connect    = 20
    disconnect = 10
    message    = 50
    broadcast  = 10
  }

  validation {
    condition     = alltrue([for value in values(var.reserved_concurrency) : value >= 1])
    error_message = "Every reserved concurrency must be at least 1 (0 would disable the function)."
  }
}

variable "memory_mb" {
  description = "Memory per function in MB."
  type = object({
    connect   = number
    message   = number
    broadcast = number
  })
  default = {
    connect   = 256
    message   = 512
    broadcast = 512
  }
}

variable "stage_throttle" {
  description = "API stage throttling: steady requests per second and burst, across all connections."
  type = object({
    rate_limit  = number
    burst_limit = number
  })
  default = {
    rate_limit  = 500
    burst_limit = 1000
  }
}

variable "stream" {
  description = "Coordination stream -> broadcaster mapping. Retries and record age must be finite so a poisoned record cannot block its shard."
  type = object({
    batch_size                 = number
    batching_window_seconds    = number
    parallelization_factor     = number
    maximum_retry_attempts     = number
    maximum_record_age_seconds = number
  })
  default = {
    batch_size                 = 100
    batching_window_seconds    = 0
    parallelization_factor     = 1
    maximum_retry_attempts     = 10
    maximum_record_age_seconds = 3600
  }

  validation {
    condition     = var.stream.maximum_retry_attempts >= 0 && var.stream.maximum_retry_attempts <= 10000
    error_message = "stream.maximum_retry_attempts must be finite: 0-10000 (-1 would retry forever)."
  }

  validation {
    condition     = var.stream.maximum_record_age_seconds >= 60 && var.stream.maximum_record_age_seconds <= 604800
    error_message = "stream.maximum_record_age_seconds must be finite: 60-604800 (-1 would keep records forever)."
  }

  validation {
    condition     = var.stream.parallelization_factor >= 1 && var.stream.parallelization_factor <= 10
    error_message = "stream.parallelization_factor must be 1-10 (order is kept per partition key, i.e. per media day, at any factor)."
  }
}

# ---------------------------------------------------------------------------------------
# Operations
# ---------------------------------------------------------------------------------------

variable "log_retention_days" {
  description = "CloudWatch Logs retention of every function and the API access log, in days."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a retention CloudWatch Logs accepts (e.g. 30, 90, 365)."
  }
}

variable "tracing" {
  description = "Active X-Ray tracing of every function."
  type        = bool
  default     = true
}

variable "alarm_email" {
  description = "Address subscribed to the alarm topic (it must confirm the subscription). Null: no subscription, which only dev allows (the deploy workflow passes the prod environment's ALARM_EMAIL)."
  type        = string
  default     = null

  validation {
    condition     = var.environment != "prod" || can(regex("^[^@[:space:]]+@[^@[:space:]]+$", var.alarm_email))
    error_message = "prod needs alarm_email, an address: alarms that notify nobody do not protect a live event (set TF_VAR_alarm_email, or the prod-plan environment's ALARM_EMAIL variable in GitHub)."
  }
}

variable "deletion_protection" {
  description = "Protect the coordination table from deletion (turn off only to tear an environment down)."
  type        = bool
  default     = true
}

variable "secret_recovery_days" {
  description = "Days a deleted signing-key secret can still be restored (0: delete at once)."
  type        = number
  default     = 30

  validation {
    condition     = var.secret_recovery_days == 0 || (var.secret_recovery_days >= 7 && var.secret_recovery_days <= 30)
    error_message = "secret_recovery_days must be 0 or 7-30."
  }
}

variable "signing_key_rotation_days" {
  description = "Days between automatic rotations of the token signing key (Secrets Manager runs the connect service's rotation function; the previous key keeps verifying the tokens it signed)."
  type        = number
  default     = 30

  validation {
    condition     = var.signing_key_rotation_days >= 1 && var.signing_key_rotation_days <= 365
    error_message = "signing_key_rotation_days must be 1-365 (Secrets Manager's range)."
  }
}

variable "manage_api_gateway_account" {
  description = "Set the region-wide API Gateway CloudWatch role (needed for access logs). Turn off if another stack in the account already manages it."
  type        = bool
  default     = true
}

variable "page_cache_seconds" {
  description = "Seconds CloudFront edges keep a page (HTML, JS, CSS) before asking the bucket again: the longest a missed invalidation leaves an old page on a kiosk."
  type        = number
  default     = 300

  validation {
    condition     = var.page_cache_seconds >= 0 && var.page_cache_seconds <= 3600
    error_message = "page_cache_seconds must be 0-3600: pages change with every deploy."
  }
}

variable "enable_cdn" {
  description = "Serve the web pages through CloudFront (the only way to reach the private bucket from a browser). Off only where CloudFront is unavailable."
  type        = bool
  default     = true
}

# ---------------------------------------------------------------------------------------
# Deploy rehearsal only
# ---------------------------------------------------------------------------------------

variable "aws_endpoint_url" {
  description = "Send every AWS call to this endpoint with fake credentials (the moto deploy rehearsal in tests/infra). Null for real deployments."
  type        = string
  default     = null
}

variable "rehearsal_omit" {
  description = "Deploy rehearsal only (tests/infra, against moto): parts moto cannot emulate, left out. api_deployment: moto has no API Gateway v2 CreateDeployment. tls_only_bucket_policy: moto evaluates bucket-policy conditions without request context, so the deny-insecure-transport statement would deny every request. signing_key_rotation: configuring rotation rotates at once, and moto would run the rotation function in a Docker container (the function and its permission are still created). cloudfront_policies: moto has no CreateCachePolicy or CreateResponseHeadersPolicy (the distribution uses AWS's managed policies instead). Empty for real deployments."
  type        = set(string)
  default     = []

  validation {
    condition     = length(setsubtract(var.rehearsal_omit, ["api_deployment", "tls_only_bucket_policy", "signing_key_rotation", "cloudfront_policies"])) == 0
    error_message = "rehearsal_omit may only name api_deployment, tls_only_bucket_policy, signing_key_rotation and cloudfront_policies."
  }
}

# Production: a media day with a few hundred screens and crews.
environment               = "prod"
region                    = "us-east-1"
log_retention_days        = 365
deletion_protection       = true
secret_recovery_days      = 30
signing_key_rotation_days = 30

reserved_concurrency = {
  connect    = 20
  disconnect = 10
  message    = 50
  broadcast  = 10
}

stage_throttle = {
  rate_limit  = 500
  burst_limit = 1000
}

stream = {
  batch_size                 = 100
  batching_window_seconds    = 0
  parallelization_factor     = 1
  maximum_retry_attempts     = 10
  maximum_record_age_seconds = 3600
}

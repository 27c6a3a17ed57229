# Development: small, cheap, easy to tear down.
environment               = "dev"
region                    = "us-east-1"
log_retention_days        = 30
deletion_protection       = false
secret_recovery_days      = 0
signing_key_rotation_days = 30

reserved_concurrency = {
  connect    = 5
  disconnect = 5
  message    = 10
  broadcast  = 5
}

stage_throttle = {
  rate_limit  = 50
  burst_limit = 100
}

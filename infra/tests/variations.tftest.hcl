# Offline assertions on plans that change one variable, with a mocked AWS provider: without
# the CDN, the rotation interval, refused values, the rehearsal's omissions, alarm endpoints.
# Run: cd infra && terraform init -backend=false && terraform test
# (tests/infra/test_terraform.py runs every infra/tests/*.tftest.hcl inside `make test`).

mock_provider "aws" {
  source = "./tests/mocks/aws"
}

# The signing key's provider: real but never called (its module is overridden below);
# mocks cannot host the ephemeral resource that generates the key.
provider "aws" {
  alias                       = "secrets"
  region                      = "us-east-1"
  access_key                  = "mock"
  secret_key                  = "mock"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
}

override_module {
  target  = module.signing_key
  outputs = { secret_arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:mediaday-dev/signing-key-AbCdEf" }
}

variables {
  environment = "dev"
  package_dir = "tests/fixtures/packages"
  web_dir     = "tests/fixtures/web"
}

# ---------------------------------------------------------------------------------------
# Stream -> broadcaster: retries must be finite
# ---------------------------------------------------------------------------------------

run "infinite_stream_retries_are_refused" {
  command = plan

  variables {
    stream = {
      batch_size                 = 100
      batching_window_seconds    = 0
      parallelization_factor     = 1
      maximum_retry_attempts     = -1
      maximum_record_age_seconds = -1
    }
  }

  expect_failures = [var.stream]
}

# ---------------------------------------------------------------------------------------
# Without the CDN
# ---------------------------------------------------------------------------------------

run "without_cdn_nothing_names_a_distribution" {
  command = plan

  variables {
    enable_cdn = false
  }

  assert {
    condition     = length([for s in jsondecode(aws_kms_key.stack.policy).Statement : s if s.Sid == "CloudFrontReadsEncryptedPages"]) == 0 && output.cdn_distribution_id == null
    error_message = "With enable_cdn off, the key grants CloudFront nothing."
  }
}

# ---------------------------------------------------------------------------------------
# Signing key rotation: the interval, and the rehearsal's omission
# ---------------------------------------------------------------------------------------

run "rotation_interval_is_configurable" {
  command = plan

  variables {
    signing_key_rotation_days = 7
  }

  assert {
    condition     = one(module.connect.signing_key_rotation.rotation_rules).automatically_after_days == 7
    error_message = "signing_key_rotation_days must reach the rotation schedule."
  }
}

run "rotation_interval_outside_secrets_managers_range_is_refused" {
  command = plan

  variables {
    signing_key_rotation_days = 0
  }

  expect_failures = [var.signing_key_rotation_days]
}

run "rehearsal_leaves_out_only_the_rotation_schedule" {
  command = plan

  variables {
    rehearsal_omit = ["signing_key_rotation"]
  }

  assert {
    condition     = module.connect.signing_key_rotation == null
    error_message = "The rehearsal must not configure rotation (moto would run the function in Docker)."
  }

  assert {
    condition     = module.connect.rotation_permission.principal == "secretsmanager.amazonaws.com"
    error_message = "The rotation function's permission is still created in the rehearsal."
  }
}

# ---------------------------------------------------------------------------------------
# Alarms: an alarm_email is subscribed to the topic every alarm notifies
# ---------------------------------------------------------------------------------------

run "alarm_email_is_subscribed_to_the_alarm_topic" {
  command = plan

  variables {
    alarm_email = "ops@example.com"
  }

  assert {
    condition     = one(aws_sns_topic_subscription.alarm_email).endpoint == "ops@example.com" && one(aws_sns_topic_subscription.alarm_email).protocol == "email"
    error_message = "alarm_email is subscribed to the alarm topic."
  }
}

run "prod_refuses_to_plan_without_an_alarm_endpoint" {
  command = plan

  variables {
    environment = "prod"
  }

  expect_failures = [var.alarm_email]
}

run "prod_plans_with_an_alarm_endpoint" {
  command = plan

  variables {
    environment = "prod"
    alarm_email = "ops@example.com"
  }

  assert {
    condition     = one(aws_sns_topic_subscription.alarm_email).endpoint == "ops@example.com"
    error_message = "prod subscribes its alarm endpoint."
  }
}

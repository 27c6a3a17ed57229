# Offline assertions on the whole configuration with a mocked AWS provider: signing key rotation,
# table settings, the web bucket and the alarms.
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
# As applied: signing key rotation, tables, web bucket and alarms
# ---------------------------------------------------------------------------------------
# One apply run for every assertion on the default variables: each run block costs a
# validate, a plan and an apply, each starting the AWS provider (seconds of CPU), so
# runs that would apply the same configuration again share one.

run "signing_key_tables_and_web_bucket_as_applied" {
  command = apply

  # Signing key rotation: on schedule, through its own function.
  assert {
    condition = (
      module.connect.signing_key_rotation.secret_id == "arn:aws:secretsmanager:us-east-1:123456789012:secret:mediaday-dev/signing-key-AbCdEf" &&
      module.connect.signing_key_rotation.rotation_lambda_arn == module.connect.rotate_signing_key.arn &&
      module.connect.signing_key_rotation.rotation_lambda_arn == "arn:aws:lambda:us-east-1:123456789012:function:mediaday-dev-rotate-signing-key" &&
      module.connect.signing_key_rotation.rotation_rules[0].automatically_after_days == 30
    )
    error_message = "The signing key must rotate every 30 days (the default) through the rotation function."
  }

  assert {
    condition = (
      module.connect.rotation_permission.principal == "secretsmanager.amazonaws.com" &&
      module.connect.rotation_permission.action == "lambda:InvokeFunction" &&
      module.connect.rotation_permission.function_name == "mediaday-dev-rotate-signing-key" &&
      module.connect.rotation_permission.source_account == "123456789012" &&
      module.connect.rotation_permission.source_arn == "arn:aws:secretsmanager:us-east-1:123456789012:secret:mediaday-dev/signing-key-AbCdEf"
    )
    error_message = "Only Secrets Manager, rotating this account's signing key, may invoke the rotation function."
  }

  # The role's own statements: exactly the four rotation calls on the one secret, and the
  # stack key to decrypt it and to encrypt the new version.
  assert {
    condition = (
      toset(flatten([for s in module.connect.rotate_signing_key.policy_statements : s.Action if !contains(["WriteOwnLogs", "SendTraces"], s.Sid)])) ==
      toset(["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue", "secretsmanager:UpdateSecretVersionStage", "kms:Decrypt", "kms:GenerateDataKey"])
    )
    error_message = "The rotation role may make the four rotation calls and use the stack key, nothing else (no GetRandomPassword: the key is made in the function)."
  }

  assert {
    condition = alltrue([for s in module.connect.rotate_signing_key.policy_statements :
      s.Resource == ["arn:aws:secretsmanager:us-east-1:123456789012:secret:mediaday-dev/signing-key-AbCdEf"]
      if anytrue([for a in s.Action : startswith(a, "secretsmanager:")])
    ])
    error_message = "Secrets Manager calls must name the signing key's secret only."
  }

  assert {
    condition = alltrue([for s in module.connect.rotate_signing_key.policy_statements :
      s.Resource == [aws_kms_key.stack.arn] && !anytrue([for a in s.Action : !startswith(a, "kms:")])
      if anytrue([for a in s.Action : startswith(a, "kms:")])
    ])
    error_message = "KMS calls must name the stack key only."
  }

  assert {
    condition = alltrue([for s in module.connect.rotate_signing_key.policy_statements :
      try(s.Condition.StringEquals["kms:EncryptionContext:SecretARN"], null) == "arn:aws:secretsmanager:us-east-1:123456789012:secret:mediaday-dev/signing-key-AbCdEf"
      if contains(s.Action, "kms:GenerateDataKey")
    ])
    error_message = "The rotation role may make data keys for the signing key's secret only."
  }

  assert {
    condition = alltrue([for s in module.connect.rotate_signing_key.policy_statements :
      !contains(s.Resource, "*") || alltrue([for a in s.Action : startswith(a, "xray:")])
    ])
    error_message = "No rotation statement other than X-Ray's may have Resource \"*\"."
  }

  # Tables: they match the Python definitions (mediaday/tables.py).
  assert {
    condition = (
      aws_dynamodb_table.connections.hash_key == "pk" && aws_dynamodb_table.connections.range_key == "sk" &&
      aws_dynamodb_table.connections.attribute == toset([
        { name = "pk", type = "S" }, { name = "sk", type = "S" },
        { name = "device_day", type = "S" }, { name = "device_subject", type = "S" }, { name = "connected_at", type = "N" },
        { name = "expiry_hour", type = "N" }, { name = "token_expires_at", type = "N" },
      ]) &&
      aws_dynamodb_table.connections.billing_mode == "PAY_PER_REQUEST"
    )
    error_message = "connections: pk/sk strings and the device indexes' keys, on demand (mediaday/tables.py)."
  }

  assert {
    condition = (
      { for index in aws_dynamodb_table.connections.global_secondary_index : index.name => [index.hash_key, index.range_key, index.projection_type] } == {
        by_day          = ["device_day", "connected_at", "ALL"]
        by_subject      = ["device_subject", "connected_at", "INCLUDE"]
        by_token_expiry = ["expiry_hour", "token_expires_at", "ALL"]
      }
    )
    error_message = "connections: a media day's devices, one subject's connections and the expiry sweep are one Query each (mediaday/tables.py)."
  }

  assert {
    condition     = alltrue([for index in aws_dynamodb_table.connections.global_secondary_index : index.name != "by_subject" || toset(index.non_key_attributes) == toset(["expires_at"])])
    error_message = "connections: by_subject projects its keys and expires_at only, all the cap check at $connect reads (mediaday/tables.py)."
  }

  assert {
    condition     = aws_dynamodb_table.connections.ttl[0].enabled && aws_dynamodb_table.connections.ttl[0].attribute_name == "expires_at"
    error_message = "connections rows expire through TTL on expires_at."
  }

  assert {
    condition = (
      aws_dynamodb_table.coordination.hash_key == "pk" && aws_dynamodb_table.coordination.range_key == "sk" &&
      aws_dynamodb_table.coordination.attribute == toset([{ name = "pk", type = "S" }, { name = "sk", type = "S" }, { name = "rev", type = "N" }, { name = "talent_slot", type = "S" }])
    )
    error_message = "coordination: pk/sk strings, rev number, talent_slot string (mediaday/tables.py)."
  }

  assert {
    condition = (
      { for index in aws_dynamodb_table.coordination.local_secondary_index : index.name => [index.range_key, index.projection_type] } == {
        by_rev    = ["rev", "ALL"]
        by_talent = ["talent_slot", "ALL"]
      }
    )
    error_message = "coordination needs the by_rev (pk, rev) and by_talent (pk, talent_slot) local indexes, projecting everything."
  }

  assert {
    condition     = aws_dynamodb_table.coordination.stream_enabled && aws_dynamodb_table.coordination.stream_view_type == "NEW_AND_OLD_IMAGES"
    error_message = "The broadcaster needs old and new images."
  }

  assert {
    condition     = aws_dynamodb_table.coordination.point_in_time_recovery[0].enabled
    error_message = "coordination must have point-in-time recovery."
  }

  assert {
    condition     = aws_dynamodb_table.coordination.ttl[0].enabled && aws_dynamodb_table.coordination.ttl[0].attribute_name == "expires_at"
    error_message = "Tombstones expire through TTL on expires_at."
  }

  assert {
    condition = alltrue([for t in [aws_dynamodb_table.connections, aws_dynamodb_table.coordination] :
      t.server_side_encryption[0].enabled && t.server_side_encryption[0].kms_key_arn == aws_kms_key.stack.arn
    ])
    error_message = "Both tables are encrypted with the stack's key."
  }

  # Web bucket and alarms: the bucket is private, and alarms watch delivery.
  assert {
    condition = (
      aws_s3_bucket_public_access_block.web.block_public_acls && aws_s3_bucket_public_access_block.web.block_public_policy &&
      aws_s3_bucket_public_access_block.web.ignore_public_acls && aws_s3_bucket_public_access_block.web.restrict_public_buckets
    )
    error_message = "The web bucket blocks every kind of public access."
  }

  assert {
    condition     = [for rule in aws_s3_bucket_server_side_encryption_configuration.web.rule : rule.apply_server_side_encryption_by_default[0].sse_algorithm] == ["aws:kms"]
    error_message = "The web bucket is encrypted with KMS."
  }

  assert {
    condition     = contains(keys(aws_s3_object.web), "kiosk.html") && aws_s3_object.web["kiosk.html"].content_type == "text/html; charset=utf-8"
    error_message = "The kiosk page is uploaded as HTML."
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.stream_iterator_age.metric_name == "IteratorAge" &&
      toset(keys(module.function_alarms["errors"].alarms)) == toset(["connect", "disconnect", "message", "broadcast", "rotation", "sweep"]) &&
      toset(keys(module.function_alarms["throttles"].alarms)) == toset(["connect", "disconnect", "message", "broadcast", "rotation", "sweep"]) &&
      module.function_alarms["errors"].alarms["rotation"].dimensions.FunctionName == "mediaday-dev-rotate-signing-key" &&
      module.function_alarms["errors"].alarms["sweep"].dimensions.FunctionName == "mediaday-dev-sweep-expired"
    )
    error_message = "Alarms: iterator age, errors and throttles of every function (the rotation and the expiry sweep too)."
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
# Alarms for every failure mode: each one's metric, dimensions and threshold
# ---------------------------------------------------------------------------------------

run "every_failure_mode_has_an_alarm_on_the_right_metric" {
  command = apply

  variables {
    alarm_email = "ops@example.com"
  }

  assert {
    # (compared as JSON: the planned dimensions are maps, the expected ones object literals)
    condition = jsonencode({
      for key, alarm in aws_cloudwatch_metric_alarm.metric : key => [alarm.namespace, alarm.metric_name, alarm.dimensions, alarm.statistic, alarm.threshold, alarm.comparison_operator]
      }) == jsonencode({
      "broadcast-failed-records"           = ["MediaDayLive", "FailedRecords", { service = "broadcast" }, "Sum", 0, "GreaterThanThreshold"]
      "broadcast-undeliverable-records"    = ["MediaDayLive", "UndeliverableRecords", { service = "broadcast" }, "Sum", 0, "GreaterThanThreshold"]
      "broadcast-destination-failures"     = ["AWS/Lambda", "DestinationDeliveryFailures", { FunctionName = "mediaday-dev-broadcast" }, "Sum", 0, "GreaterThanThreshold"]
      "broadcast-failures-parked"          = ["AWS/SQS", "NumberOfMessagesSent", { QueueName = module.broadcast.failure_queue.name }, "Sum", 0, "GreaterThanThreshold"]
      "broadcast-failures-aging"           = ["AWS/SQS", "ApproximateAgeOfOldestMessage", { QueueName = module.broadcast.failure_queue.name }, "Maximum", 21600, "GreaterThanThreshold"]
      "api-execution-errors"               = ["AWS/ApiGateway", "ExecutionError", { ApiId = "abc123defg", Stage = "dev" }, "Sum", 0, "GreaterThanThreshold"]
      "api-message-integration-errors"     = ["AWS/ApiGateway", "IntegrationError", { ApiId = "abc123defg", Stage = "dev", Route = "$default" }, "Sum", 5, "GreaterThanThreshold"]
      "coordination-transaction-conflicts" = ["AWS/DynamoDB", "TransactionConflict", { TableName = "mediaday-dev-coordination" }, "Sum", 10, "GreaterThanThreshold"]
      "connections-read-throttles"         = ["AWS/DynamoDB", "ReadThrottleEvents", { TableName = "mediaday-dev-connections" }, "Sum", 0, "GreaterThanThreshold"]
      "connections-write-throttles"        = ["AWS/DynamoDB", "WriteThrottleEvents", { TableName = "mediaday-dev-connections" }, "Sum", 0, "GreaterThanThreshold"]
      "coordination-read-throttles"        = ["AWS/DynamoDB", "ReadThrottleEvents", { TableName = "mediaday-dev-coordination" }, "Sum", 0, "GreaterThanThreshold"]
      "coordination-write-throttles"       = ["AWS/DynamoDB", "WriteThrottleEvents", { TableName = "mediaday-dev-coordination" }, "Sum", 0, "GreaterThanThreshold"]
    })
    error_message = "Each failure mode's alarm must watch its metric with its dimensions and threshold."
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.stream_iterator_age.namespace == "AWS/Lambda" &&
      aws_cloudwatch_metric_alarm.stream_iterator_age.metric_name == "IteratorAge" &&
      aws_cloudwatch_metric_alarm.stream_iterator_age.dimensions == tomap({ FunctionName = "mediaday-dev-broadcast" }) &&
      aws_cloudwatch_metric_alarm.stream_iterator_age.statistic == "Maximum" &&
      aws_cloudwatch_metric_alarm.stream_iterator_age.threshold == 60000
    )
    error_message = "The iterator-age alarm fires when the broadcaster is a minute behind the stream."
  }

  assert {
    condition = alltrue([for suffix, metric in { errors = "Errors", throttles = "Throttles" } : alltrue([
      for role, alarm in module.function_alarms[suffix].alarms :
      alarm.namespace == "AWS/Lambda" && alarm.metric_name == metric && alarm.statistic == "Sum" && alarm.threshold == 0 &&
      alarm.dimensions == tomap({ FunctionName = local.alarm_functions[role] })
    ])])
    error_message = "Errors and throttles of each function: AWS/Lambda, summed, any occurrence."
  }

  # Failures that come back notify again: sums over a window, never a depth that stays up.
  assert {
    condition = alltrue([for alarm in aws_cloudwatch_metric_alarm.metric :
      alarm.alarm_actions == toset([aws_sns_topic.alarms.arn]) && alarm.ok_actions == toset([aws_sns_topic.alarms.arn]) &&
      alarm.treat_missing_data == "notBreaching" && alarm.metric_name != "ApproximateNumberOfMessagesVisible"
    ])
    error_message = "Every alarm notifies the topic when it fires and when it clears."
  }

  assert {
    condition     = one(aws_sns_topic_subscription.alarm_email).endpoint == "ops@example.com" && one(aws_sns_topic_subscription.alarm_email).protocol == "email"
    error_message = "alarm_email is subscribed to the alarm topic."
  }

  assert {
    condition = (
      aws_cloudwatch_dashboard.live.dashboard_name == "mediaday-dev-live" &&
      length(jsondecode(aws_cloudwatch_dashboard.live.dashboard_body).widgets) == 8 &&
      alltrue([for metric in ["ConnectCount", "MessageCount", "FanoutDuration", "IteratorAge", "FailedRecords", "Throttles", "WriteThrottleEvents"] :
      strcontains(aws_cloudwatch_dashboard.live.dashboard_body, "\"${metric}\"")])
    )
    error_message = "The dashboard shows connections, messages, fan-out duration, iterator age, failures and throttles."
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

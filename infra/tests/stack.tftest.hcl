# Offline assertions on the whole configuration with a mocked AWS provider: what each
# resource is asked to be (route keys, stream mapping, IAM scope, table settings).
# Run: cd infra && terraform init -backend=false && terraform test
# (tests/infra/test_terraform.py runs it inside `make test`).

mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws", dns_suffix = "amazonaws.com" }
  }
  mock_resource "aws_kms_key" {
    defaults = { arn = "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000" }
  }
  mock_resource "aws_sns_topic" {
    defaults = { arn = "arn:aws:sns:us-east-1:123456789012:mediaday-dev-alarms" }
  }
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::123456789012:role/mediaday-dev-role" }
  }
  mock_resource "aws_cloudwatch_log_group" {
    defaults = { arn = "arn:aws:logs:us-east-1:123456789012:log-group:mediaday-dev" }
  }
  mock_resource "aws_sqs_queue" {
    defaults = {
      arn = "arn:aws:sqs:us-east-1:123456789012:mediaday-dev-broadcast-failures"
      url = "https://sqs.us-east-1.amazonaws.com/123456789012/mediaday-dev-broadcast-failures"
    }
  }
  mock_resource "aws_apigatewayv2_api" {
    defaults = {
      id            = "abc123defg"
      execution_arn = "arn:aws:execute-api:us-east-1:123456789012:abc123defg"
      api_endpoint  = "wss://abc123defg.execute-api.us-east-1.amazonaws.com"
    }
  }
  mock_resource "aws_apigatewayv2_stage" {
    defaults = { invoke_url = "wss://abc123defg.execute-api.us-east-1.amazonaws.com/dev" }
  }
  mock_resource "aws_s3_bucket" {
    defaults = {
      arn                         = "arn:aws:s3:::mediaday-dev-web-x"
      bucket_regional_domain_name = "mediaday-dev-web-x.s3.us-east-1.amazonaws.com"
    }
  }
  mock_resource "aws_cloudfront_distribution" {
    defaults = {
      arn         = "arn:aws:cloudfront::123456789012:distribution/E2EXAMPLE"
      domain_name = "d111111abcdef8.cloudfront.net"
    }
  }
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

override_resource {
  target = aws_dynamodb_table.connections
  values = { arn = "arn:aws:dynamodb:us-east-1:123456789012:table/mediaday-dev-connections" }
}

override_resource {
  target = aws_dynamodb_table.coordination
  values = {
    arn        = "arn:aws:dynamodb:us-east-1:123456789012:table/mediaday-dev-coordination"
    stream_arn = "arn:aws:dynamodb:us-east-1:123456789012:table/mediaday-dev-coordination/stream/2026-01-01T00:00:00.000"
  }
}

# The other functions' ARNs are the mock's own (distinct) values; the rotation schedule's
# assertion names this one.
override_resource {
  target = module.connect.module.rotate_signing_key.aws_lambda_function.this
  values = {
    arn        = "arn:aws:lambda:us-east-1:123456789012:function:mediaday-dev-rotate-signing-key"
    invoke_arn = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:mediaday-dev-rotate-signing-key/invocations"
  }
}

variables {
  environment = "dev"
  package_dir = "tests/fixtures/packages"
  web_dir     = "tests/fixtures/web"
}

# ---------------------------------------------------------------------------------------
# API Gateway
# ---------------------------------------------------------------------------------------

run "websocket_api_routes_every_key_to_its_function" {
  command = apply

  assert {
    condition     = aws_apigatewayv2_api.ws.protocol_type == "WEBSOCKET" && aws_apigatewayv2_api.ws.route_selection_expression == "$request.body.action"
    error_message = "The API must be a WebSocket API routing on the message's action."
  }

  assert {
    condition     = toset(keys(aws_apigatewayv2_route.route)) == toset(["$connect", "$disconnect", "$default"])
    error_message = "Routes must be exactly $connect, $disconnect and $default."
  }

  assert {
    condition     = alltrue([for key, route in aws_apigatewayv2_route.route : route.route_key == key && route.target == "integrations/${aws_apigatewayv2_integration.route[key].id}"])
    error_message = "Every route must target its own integration."
  }

  assert {
    condition     = alltrue([for integration in aws_apigatewayv2_integration.route : integration.integration_type == "AWS_PROXY"])
    error_message = "Every integration must be AWS_PROXY."
  }

  assert {
    condition = (
      aws_apigatewayv2_integration.route["$connect"].integration_uri == module.connect.connect.invoke_arn &&
      aws_apigatewayv2_integration.route["$disconnect"].integration_uri == module.connect.disconnect.invoke_arn &&
      aws_apigatewayv2_integration.route["$default"].integration_uri == module.messaging.message.invoke_arn
    )
    error_message = "$connect -> connect, $disconnect -> disconnect, $default -> message."
  }

  assert {
    condition     = aws_apigatewayv2_route.route["$default"].route_response_selection_expression == "$default" && aws_apigatewayv2_route_response.default.route_response_key == "$default"
    error_message = "$default needs a route response so the message function's ack reaches the caller."
  }

  assert {
    condition     = alltrue([for key, route in aws_apigatewayv2_route.route : route.authorization_type == "NONE"])
    error_message = "Authorization happens in the connect function, not in an API Gateway authorizer."
  }

  assert {
    condition = alltrue([for key, permission in aws_lambda_permission.route :
      permission.principal == "apigateway.amazonaws.com" &&
      permission.source_arn == "arn:aws:execute-api:us-east-1:123456789012:abc123defg/dev/${key}"
    ])
    error_message = "Each function may be invoked only by its own route on this API's stage."
  }

  assert {
    condition = (
      aws_apigatewayv2_stage.ws.name == "dev" &&
      aws_apigatewayv2_stage.ws.default_route_settings[0].throttling_rate_limit == 500 &&
      aws_apigatewayv2_stage.ws.default_route_settings[0].throttling_burst_limit == 1000 &&
      aws_apigatewayv2_stage.ws.access_log_settings[0].destination_arn == aws_cloudwatch_log_group.access.arn
    )
    error_message = "The stage must be throttled and write access logs."
  }

  assert {
    condition     = output.websocket_url == "wss://abc123defg.execute-api.us-east-1.amazonaws.com/dev"
    error_message = "websocket_url must be the stage's wss:// URL."
  }

  assert {
    condition     = output.kiosk_url == "https://d111111abcdef8.cloudfront.net/kiosk.html?ws=wss%3A%2F%2Fabc123defg.execute-api.us-east-1.amazonaws.com%2Fdev"
    error_message = "kiosk_url must open the kiosk page on CloudFront pointed at the stage."
  }
}

# ---------------------------------------------------------------------------------------
# Functions
# ---------------------------------------------------------------------------------------

run "functions_run_their_handlers_with_names_and_arns_only" {
  command = apply

  assert {
    condition = (
      module.connect.connect.configuration.handler == "connect.handler.on_connect" &&
      module.connect.disconnect.configuration.handler == "connect.handler.on_disconnect" &&
      module.messaging.message.configuration.handler == "messaging.handler.on_message" &&
      module.broadcast.broadcast.configuration.handler == "broadcast.handler.on_stream" &&
      module.connect.rotate_signing_key.configuration.handler == "connect.handler.on_rotate_signing_key"
    )
    error_message = "Handlers must be the four entry points of the contract, plus the signing key's rotation."
  }

  assert {
    condition = alltrue([for f in [module.connect.connect, module.connect.disconnect, module.messaging.message, module.broadcast.broadcast, module.connect.rotate_signing_key] :
      f.configuration.runtime == "python3.12" && f.configuration.tracing_mode == "Active" && f.configuration.reserved_concurrency >= 1 && f.configuration.log_retention_days == 365
    ])
    error_message = "Every function: python3.12, active X-Ray tracing, reserved concurrency, log retention."
  }

  assert {
    condition = (
      module.connect.rotate_signing_key.function_name == "mediaday-dev-rotate-signing-key" &&
      module.connect.rotate_signing_key.configuration.reserved_concurrency == 1 &&
      module.connect.rotate_signing_key.configuration.timeout == 30 &&
      module.connect.rotate_signing_key.configuration.environment.POWERTOOLS_SERVICE_NAME == "connect"
    )
    error_message = "The rotation function runs one rotation step at a time, within 30 s, as part of the connect service."
  }

  assert {
    condition = alltrue([for f in [module.connect.connect, module.connect.disconnect, module.messaging.message, module.broadcast.broadcast, module.connect.rotate_signing_key] :
      f.configuration.environment.MEDIADAY_CONNECTIONS_TABLE == "mediaday-dev-connections" &&
      f.configuration.environment.MEDIADAY_COORDINATION_TABLE == "mediaday-dev-coordination" &&
      f.configuration.environment.MEDIADAY_MANAGEMENT_ENDPOINT == "https://abc123defg.execute-api.us-east-1.amazonaws.com/dev" &&
      jsondecode(f.configuration.environment.MEDIADAY_ALLOWED_ORIGINS) == ["https://d111111abcdef8.cloudfront.net"] &&
      f.configuration.environment.POWERTOOLS_METRICS_NAMESPACE == "MediaDayLive"
    ])
    error_message = "Every function gets the table names, the Management API endpoint and the allowed origins."
  }

  assert {
    condition = (
      module.connect.connect.configuration.environment.MEDIADAY_SIGNING_SECRET_ARN == "arn:aws:secretsmanager:us-east-1:123456789012:secret:mediaday-dev/signing-key-AbCdEf" &&
      !contains(keys(module.connect.disconnect.configuration.environment), "MEDIADAY_SIGNING_SECRET_ARN") &&
      !contains(keys(module.messaging.message.configuration.environment), "MEDIADAY_SIGNING_SECRET_ARN") &&
      !contains(keys(module.broadcast.broadcast.configuration.environment), "MEDIADAY_SIGNING_SECRET_ARN") &&
      !contains(keys(module.connect.rotate_signing_key.configuration.environment), "MEDIADAY_SIGNING_SECRET_ARN")
    )
    error_message = "Only $connect knows where the signing key is (the rotation function gets the secret in its event)."
  }

  assert {
    condition     = module.messaging.message.configuration.timeout <= 29
    error_message = "The message function must finish within API Gateway's 29 s integration timeout."
  }
}

# ---------------------------------------------------------------------------------------
# Stream -> broadcaster
# ---------------------------------------------------------------------------------------

run "stream_mapping_reports_partial_failures_and_gives_up_finitely" {
  command = apply

  assert {
    condition = (
      module.broadcast.event_source_mapping.event_source_arn == aws_dynamodb_table.coordination.stream_arn &&
      module.broadcast.event_source_mapping.function_name == module.broadcast.broadcast.arn
    )
    error_message = "The coordination stream must feed the broadcast function."
  }

  assert {
    condition     = module.broadcast.event_source_mapping.function_response_types == toset(["ReportBatchItemFailures"])
    error_message = "The mapping must honour batchItemFailures."
  }

  assert {
    condition     = module.broadcast.event_source_mapping.bisect_batch_on_function_error == true
    error_message = "A crashing batch must be bisected to isolate the bad record."
  }

  assert {
    condition = (
      module.broadcast.event_source_mapping.maximum_retry_attempts >= 0 &&
      module.broadcast.event_source_mapping.maximum_retry_attempts <= 10000 &&
      module.broadcast.event_source_mapping.maximum_record_age_in_seconds >= 60 &&
      module.broadcast.event_source_mapping.maximum_record_age_in_seconds <= 604800
    )
    error_message = "Retries and record age must be finite (never -1)."
  }

  assert {
    condition     = module.broadcast.event_source_mapping.destination_config[0].on_failure[0].destination_arn == module.broadcast.failure_queue.arn
    error_message = "Records the mapping gives up on must land in the SQS failure queue."
  }

  assert {
    condition     = module.broadcast.event_source_mapping.starting_position == "LATEST"
    error_message = "The mapping starts at the stream's tip (clients resume with sync, not by replay)."
  }
}

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
# IAM
# ---------------------------------------------------------------------------------------

run "each_role_gets_least_privilege" {
  command = apply

  # Only X-Ray, which has no resource-level permissions, may name "*".
  assert {
    condition = alltrue([for s in concat(
      module.connect.connect.policy_statements,
      module.connect.disconnect.policy_statements,
      module.messaging.message.policy_statements,
      module.broadcast.broadcast.policy_statements,
      module.connect.rotate_signing_key.policy_statements,
      ) : !contains(s.Resource, "*") || alltrue([for a in s.Action : startswith(a, "xray:")])
    ])
    error_message = "No statement other than X-Ray's may have Resource \"*\"."
  }

  assert {
    condition = alltrue([for s in concat(
      module.connect.connect.policy_statements,
      module.connect.disconnect.policy_statements,
      module.messaging.message.policy_statements,
      module.broadcast.broadcast.policy_statements,
      module.connect.rotate_signing_key.policy_statements,
      ) : alltrue([for a in s.Action : !endswith(a, "*")])
    ])
    error_message = "Actions must be named one by one, never with a wildcard."
  }

  assert {
    condition = (
      !anytrue([for s in module.connect.connect.policy_statements : contains(s.Action, "execute-api:ManageConnections")]) &&
      !anytrue([for s in module.connect.disconnect.policy_statements : contains(s.Action, "execute-api:ManageConnections")])
    )
    error_message = "The connect service never posts to connections."
  }

  assert {
    condition = alltrue([for f in [module.messaging.message, module.broadcast.broadcast] :
      [for s in f.policy_statements : s.Resource if contains(s.Action, "execute-api:ManageConnections")] == [["arn:aws:execute-api:us-east-1:123456789012:abc123defg/dev/POST/@connections/*"]]
    ])
    error_message = "Posting functions may POST @connections on this API's stage only."
  }

  assert {
    condition = (
      [for s in module.connect.connect.policy_statements : s.Resource if contains(s.Action, "secretsmanager:GetSecretValue")] == [["arn:aws:secretsmanager:us-east-1:123456789012:secret:mediaday-dev/signing-key-AbCdEf"]] &&
      alltrue([for f in [module.connect.disconnect, module.messaging.message, module.broadcast.broadcast] :
        !anytrue([for s in f.policy_statements : anytrue([for a in s.Action : startswith(a, "secretsmanager:")])])
      ])
    )
    error_message = "Only $connect, which verifies tokens, may read the signing key (and the rotation function, checked below)."
  }

  assert {
    condition = alltrue([for s in concat(
      module.connect.connect.policy_statements,
      module.connect.disconnect.policy_statements,
      module.messaging.message.policy_statements,
      module.broadcast.broadcast.policy_statements,
      ) : alltrue([for r in s.Resource : startswith(r, "arn:aws:dynamodb:us-east-1:123456789012:table/mediaday-dev-")])
      if anytrue([for a in s.Action : contains(["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"], a)])
    ])
    error_message = "Table writes must name this stack's tables."
  }

  assert {
    condition = (
      [for s in module.broadcast.broadcast.policy_statements : s.Resource if contains(s.Action, "dynamodb:GetRecords")] == [["${aws_dynamodb_table.coordination.arn}/stream/*"]] &&
      [for s in module.broadcast.broadcast.policy_statements : s.Resource if contains(s.Action, "sqs:SendMessage")] == [[module.broadcast.failure_queue.arn]]
    )
    error_message = "The broadcaster reads only the coordination stream and writes only its failure queue."
  }

  assert {
    condition = alltrue([for f in [module.connect.connect, module.connect.disconnect, module.messaging.message] :
      !anytrue([for s in f.policy_statements : anytrue([for a in s.Action : startswith(a, "sqs:") || a == "dynamodb:GetRecords"])])
    ])
    error_message = "Only the broadcaster touches the stream and the failure queue."
  }
}

# ---------------------------------------------------------------------------------------
# Signing key rotation
# ---------------------------------------------------------------------------------------

run "signing_key_rotates_on_schedule_through_its_own_function" {
  command = apply

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
}

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
# Tables
# ---------------------------------------------------------------------------------------

run "tables_match_the_python_definitions" {
  command = apply

  assert {
    condition = (
      aws_dynamodb_table.connections.hash_key == "pk" && aws_dynamodb_table.connections.range_key == "sk" &&
      aws_dynamodb_table.connections.attribute == toset([{ name = "pk", type = "S" }, { name = "sk", type = "S" }]) &&
      aws_dynamodb_table.connections.billing_mode == "PAY_PER_REQUEST"
    )
    error_message = "connections: pk/sk strings, on demand (mediaday/tables.py)."
  }

  assert {
    condition     = aws_dynamodb_table.connections.ttl[0].enabled && aws_dynamodb_table.connections.ttl[0].attribute_name == "expires_at"
    error_message = "connections rows expire through TTL on expires_at."
  }

  assert {
    condition = (
      aws_dynamodb_table.coordination.hash_key == "pk" && aws_dynamodb_table.coordination.range_key == "sk" &&
      aws_dynamodb_table.coordination.attribute == toset([{ name = "pk", type = "S" }, { name = "sk", type = "S" }, { name = "rev", type = "N" }])
    )
    error_message = "coordination: pk/sk strings and rev number (mediaday/tables.py)."
  }

  assert {
    condition = (
      length(aws_dynamodb_table.coordination.local_secondary_index) == 1 &&
      one(aws_dynamodb_table.coordination.local_secondary_index).name == "by_rev" &&
      one(aws_dynamodb_table.coordination.local_secondary_index).range_key == "rev" &&
      one(aws_dynamodb_table.coordination.local_secondary_index).projection_type == "ALL"
    )
    error_message = "coordination needs the by_rev local index (pk, rev), projecting everything."
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
}

# ---------------------------------------------------------------------------------------
# Web bucket and alarms
# ---------------------------------------------------------------------------------------

run "web_bucket_is_private_and_alarms_watch_delivery" {
  command = apply

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
      toset(keys(module.function_alarms["errors"].alarms)) == toset(["connect", "disconnect", "message", "broadcast", "rotation"]) &&
      toset(keys(module.function_alarms["throttles"].alarms)) == toset(["connect", "disconnect", "message", "broadcast", "rotation"]) &&
      module.function_alarms["errors"].alarms["rotation"].dimensions.FunctionName == "mediaday-dev-rotate-signing-key" &&
      aws_cloudwatch_metric_alarm.failure_queue_depth.dimensions.QueueName == module.broadcast.failure_queue.name
    )
    error_message = "Alarms: iterator age, errors and throttles of every function (the rotation too), failure queue depth."
  }
}

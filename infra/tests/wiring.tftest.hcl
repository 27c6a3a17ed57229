# Offline assertions on the whole configuration with a mocked AWS provider: route keys, functions,
# stream mapping and IAM scope.
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
# As applied: API Gateway, functions, stream -> broadcaster, IAM
# ---------------------------------------------------------------------------------------
# One apply run for every assertion on the default variables: each run block costs a
# validate, a plan and an apply, each starting the AWS provider (seconds of CPU), so
# runs that would apply the same configuration again share one.

run "routes_functions_stream_and_roles_are_wired" {
  command = apply

  # The WebSocket API routes every key to its function.
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

  # Functions: each runs its handler and gets names and ARNs only.
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
      module.messaging.message.configuration.environment.MEDIADAY_SIGNING_SECRET_ARN == "arn:aws:secretsmanager:us-east-1:123456789012:secret:mediaday-dev/signing-key-AbCdEf" &&
      !contains(keys(module.broadcast.broadcast.configuration.environment), "MEDIADAY_SIGNING_SECRET_ARN") &&
      !contains(keys(module.connect.rotate_signing_key.configuration.environment), "MEDIADAY_SIGNING_SECRET_ARN")
    )
    error_message = "Only $connect and the message function (pair.approve mints tokens) know where the signing key is (the rotation function gets the secret in its event)."
  }

  assert {
    condition     = module.messaging.message.configuration.timeout <= 29
    error_message = "The message function must finish within API Gateway's 29 s integration timeout."
  }

  # Stream -> broadcaster: the mapping reports partial failures and gives up finitely.
  assert {
    condition = (
      module.broadcast.event_source_mapping.event_source_arn == aws_dynamodb_table.coordination.stream_arn &&
      module.broadcast.event_source_mapping.function_name == module.broadcast.broadcast.alias_arn
    )
    error_message = "The coordination stream must feed the broadcast function's live alias."
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

  # IAM: each role gets least privilege: actions named one by one, and only X-Ray, which
  # has no resource-level permissions, may name "*" as the resource.
  assert {
    condition = alltrue([for s in flatten(values(local.functions)[*].policy_statements) :
      alltrue([for a in s.Action : !endswith(a, "*")]) &&
      (!contains(s.Resource, "*") || alltrue([for a in s.Action : startswith(a, "xray:")]))
    ])
    error_message = "Actions must be named one by one, never with a wildcard, and no statement other than X-Ray's may have Resource \"*\"."
  }

  assert {
    condition = alltrue([for f in [module.connect.connect, module.connect.disconnect, module.broadcast.broadcast] :
      [for s in f.policy_statements : s.Resource if contains(s.Action, "execute-api:ManageConnections")] == [["arn:aws:execute-api:us-east-1:123456789012:abc123defg/dev/POST/@connections/*"]]
    ])
    error_message = "connect and disconnect (device announcements) and the broadcaster may POST @connections on this API's stage only, never DELETE."
  }

  assert {
    condition = (
      flatten([for s in module.messaging.message.policy_statements : s.Resource if contains(s.Action, "execute-api:ManageConnections")]) == [
        "arn:aws:execute-api:us-east-1:123456789012:abc123defg/dev/POST/@connections/*",
        "arn:aws:execute-api:us-east-1:123456789012:abc123defg/dev/DELETE/@connections/*",
      ] &&
      flatten([for s in module.connect.sweep_expired.policy_statements : s.Resource if contains(s.Action, "execute-api:ManageConnections")]) == [
        "arn:aws:execute-api:us-east-1:123456789012:abc123defg/dev/POST/@connections/*",
        "arn:aws:execute-api:us-east-1:123456789012:abc123defg/dev/DELETE/@connections/*",
      ]
    )
    error_message = "The message function (revoke, expiry) and the expiry sweep may POST and DELETE @connections on this API's stage, and nothing else."
  }

  assert {
    condition = (
      alltrue([for f in [module.connect.connect, module.messaging.message] :
        [for s in f.policy_statements : s.Resource if anytrue([for a in s.Action : startswith(a, "secretsmanager:")])] == [["arn:aws:secretsmanager:us-east-1:123456789012:secret:mediaday-dev/signing-key-AbCdEf"]]
      ]) &&
      alltrue([for f in [module.connect.disconnect, module.connect.sweep_expired, module.broadcast.broadcast] :
        !anytrue([for s in f.policy_statements : anytrue([for a in s.Action : startswith(a, "secretsmanager:")])])
      ])
    )
    error_message = "Only $connect, which verifies tokens, and the message function, which mints paired screens' tokens, may read the signing key, and only GetSecretValue (the rotation function is checked below)."
  }

  assert {
    condition = alltrue([for s in flatten(values(local.functions)[*].policy_statements) :
      alltrue([for r in s.Resource : startswith(r, "arn:aws:dynamodb:us-east-1:123456789012:table/mediaday-dev-")])
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

# Offline assertions on the whole configuration with a mocked AWS provider: the stack as
# applied with the default variables (routes, functions, stream, IAM, deploy readiness, key
# rotation, tables, pages, alarms), then plans that change one variable each.
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

# One apply run holds every assertion on the default variables: each apply costs a validate,
# a plan and an apply (each starting the AWS provider, seconds of CPU) and a destroy at the
# end of the file, so the stack is applied once, not once per subject. The runs after it
# change one variable each and only plan.

run "the_stack_as_applied" {
  command = apply

  # -- API Gateway routes and integrations, functions, stream -> broadcaster, IAM ----
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

  # -- Deploy readiness: versions behind an alias, redeploys, logs, pages, key scope ---
  # Callers invoke the live alias of a published version.
  assert {
    condition = alltrue([for f in [module.connect.connect, module.connect.disconnect, module.messaging.message, module.broadcast.broadcast, module.connect.rotate_signing_key] :
    f.configuration.publish && f.alias_name == "live"])
    error_message = "Every function publishes a version per change, behind a live alias."
  }

  assert {
    condition     = alltrue([for permission in aws_lambda_permission.route : permission.qualifier == "live"])
    error_message = "API Gateway's invoke permissions are on the live alias, the qualifier it calls."
  }

  assert {
    condition = (
      module.connect.connect.configuration.snap_start &&
      !module.connect.disconnect.configuration.snap_start &&
      !module.messaging.message.configuration.snap_start &&
      !module.broadcast.broadcast.configuration.snap_start
    )
    error_message = "SnapStart on $connect only (reconnect storms); the others keep plain cold starts."
  }

  # A change to any route argument redeploys the stage.
  assert {
    condition = aws_apigatewayv2_deployment.ws[0].triggers.redeployment == sha1(jsonencode([
      aws_apigatewayv2_route.route, aws_apigatewayv2_integration.route, aws_apigatewayv2_route_response.default,
    ]))
    error_message = "The redeployment trigger hashes the whole route, integration and route-response objects."
  }

  # Execution and access logs are kept, encrypted, and tell throttles from errors.
  assert {
    condition = (
      aws_cloudwatch_log_group.execution.name == "/aws/apigateway/abc123defg/dev" &&
      aws_cloudwatch_log_group.execution.retention_in_days == 365 &&
      aws_cloudwatch_log_group.execution.kms_key_id == aws_kms_key.stack.arn
    )
    error_message = "API Gateway's execution log group exists before the stage, with retention and the stack key."
  }

  assert {
    condition = (
      jsondecode(aws_apigatewayv2_stage.ws.access_log_settings[0].format).integrationStatus == "$context.integrationStatus" &&
      jsondecode(aws_apigatewayv2_stage.ws.access_log_settings[0].format).responseType == "$context.error.responseType" &&
      jsondecode(aws_apigatewayv2_stage.ws.access_log_settings[0].format).functionStatus == "$context.integration.status"
    )
    error_message = "The access log names Lambda's own status and API Gateway's error type (throttle vs function error)."
  }

  # Pages are cached minutes, not a day.
  assert {
    condition = (
      aws_cloudfront_distribution.web[0].default_cache_behavior[0].cache_policy_id == aws_cloudfront_cache_policy.pages[0].id &&
      aws_cloudfront_cache_policy.pages[0].default_ttl == 300 && aws_cloudfront_cache_policy.pages[0].max_ttl == 300
    )
    error_message = "Edges keep pages five minutes at most, so a fix reaches kiosks without waiting a day."
  }

  assert {
    condition     = output.cdn_distribution_id == aws_cloudfront_distribution.web[0].id
    error_message = "The deploy needs the distribution id to invalidate the pages."
  }

  # Keys and grants name exactly what uses them.
  assert {
    condition = [for s in jsondecode(aws_kms_key.stack.policy).Statement : s.Condition if s.Sid == "CloudFrontReadsEncryptedPages"] == [
      { StringEquals = { "aws:SourceArn" = "arn:aws:cloudfront::123456789012:distribution/E2EXAMPLE" } }
    ]
    error_message = "Only the stack's own distribution may decrypt the pages."
  }

  assert {
    condition = alltrue([for f in [module.connect.connect, module.connect.disconnect, module.messaging.message, module.broadcast.broadcast, module.connect.rotate_signing_key] :
      [for s in f.policy_statements : s.Condition["StringEquals"]["kms:ViaService"] if s.Sid == "DecryptWithStackKey"] == [[
        "lambda.us-east-1.amazonaws.com", "dynamodb.us-east-1.amazonaws.com", "secretsmanager.us-east-1.amazonaws.com",
      ]]
    ])
    error_message = "Roles decrypt with the stack key only through the services that hold its data."
  }

  # Pages send a strict CSP and name only this API.
  assert {
    condition     = aws_cloudfront_distribution.web[0].default_cache_behavior[0].response_headers_policy_id == aws_cloudfront_response_headers_policy.pages[0].id
    error_message = "The pages' behaviour sends the stack's response headers policy."
  }

  assert {
    condition = alltrue([
      for directive in [
        "default-src 'self'",
        "script-src 'self'",
        "connect-src 'self' wss://abc123defg.execute-api.us-east-1.amazonaws.com;",
        "frame-ancestors 'none'",
      ] : strcontains(aws_cloudfront_response_headers_policy.pages[0].security_headers_config[0].content_security_policy[0].content_security_policy, directive)
    ])
    error_message = "The CSP allows the pages' own origin, sockets to this API only, and no framing."
  }

  assert {
    condition = (
      aws_s3_object.web_config.content == "window.MediaDayConfig = {\"apis\":[\"wss://abc123defg.execute-api.us-east-1.amazonaws.com/dev\"]};\n" &&
      !contains(keys(aws_s3_object.web), "config.js")
    )
    error_message = "config.js is written by Terraform and names only this stack's API."
  }

  # -- Signing key rotation, tables, the web bucket and the alarms -------------------
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

  # -- Alarms for every failure mode: each one's metric, dimensions and threshold ---------
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
    condition = (
      aws_cloudwatch_dashboard.live.dashboard_name == "mediaday-dev-live" &&
      length(jsondecode(aws_cloudwatch_dashboard.live.dashboard_body).widgets) == 8 &&
      alltrue([for metric in ["ConnectCount", "MessageCount", "FanoutDuration", "IteratorAge", "FailedRecords", "Throttles", "WriteThrottleEvents"] :
      strcontains(aws_cloudwatch_dashboard.live.dashboard_body, "\"${metric}\"")])
    )
    error_message = "The dashboard shows connections, messages, fan-out duration, iterator age, failures and throttles."
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

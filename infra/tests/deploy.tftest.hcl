# Offline assertions on the whole configuration with a mocked AWS provider: deploy readiness: versions
# behind an alias, redeploys, logs, page caching and headers, key scope.
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
# Deploy readiness: versions behind an alias, redeploys, logs, pages, key scope
# ---------------------------------------------------------------------------------------
# One apply run for every assertion on the default variables: each run block costs a
# validate, a plan and an apply, each starting the AWS provider (seconds of CPU), so
# runs that would apply the same configuration again share one.

run "deploy_readiness_of_the_applied_stack" {
  command = apply

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

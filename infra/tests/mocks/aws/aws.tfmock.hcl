# The mocked AWS provider every infra/tests/*.tftest.hcl loads (`mock_provider "aws"`
# with `source`): computed values the assertions name, kept in one place.

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
mock_resource "aws_cloudwatch_event_rule" {
  defaults = { arn = "arn:aws:events:us-east-1:123456789012:rule/mediaday-dev-sweep-expired" }
}
mock_resource "aws_lambda_alias" {
  defaults = { arn = "arn:aws:lambda:us-east-1:123456789012:function:mediaday-dev-fn:live" }
}
mock_resource "aws_cloudfront_distribution" {
  defaults = {
    arn         = "arn:aws:cloudfront::123456789012:distribution/E2EXAMPLE"
    domain_name = "d111111abcdef8.cloudfront.net"
  }
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

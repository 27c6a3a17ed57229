# The WebSocket API: $connect and $disconnect go to the connect service, everything else
# ($default, route selection on the message's `action`) to the message function.

locals {
  stage_name              = var.environment
  management_endpoint     = "https://${aws_apigatewayv2_api.ws.id}.execute-api.${var.region}.${data.aws_partition.current.dns_suffix}/${local.stage_name}"
  post_to_connections_arn = "${aws_apigatewayv2_api.ws.execution_arn}/${local.stage_name}/POST/@connections/*"

  routes = {
    "$connect"    = module.connect.connect
    "$disconnect" = module.connect.disconnect
    "$default"    = module.messaging.message
  }
}

resource "aws_apigatewayv2_api" "ws" {
  name                       = "${local.name}-ws"
  description                = "CBTC Media Day Live: crews, producers and kiosks"
  protocol_type              = "WEBSOCKET"
  route_selection_expression = "$request.body.action"
}

# ---------------------------------------------------------------------------------------
# Routes and integrations
# ---------------------------------------------------------------------------------------

resource "aws_apigatewayv2_integration" "route" {
  for_each = local.routes

  api_id                    = aws_apigatewayv2_api.ws.id
  integration_type          = "AWS_PROXY"
  integration_method        = "POST"
  integration_uri           = each.value.invoke_arn
  content_handling_strategy = "CONVERT_TO_TEXT"
  passthrough_behavior      = "WHEN_NO_MATCH"
  timeout_milliseconds      = 29000
}

resource "aws_apigatewayv2_route" "route" {
  for_each = local.routes
  #checkov:skip=CKV_AWS_309:WebSocket APIs authorize only on $connect, and ours does it in the connect function itself (token + origin, 401/403 before anything is written); $disconnect and $default run on an already admitted connection.

  api_id             = aws_apigatewayv2_api.ws.id
  route_key          = each.key
  target             = "integrations/${aws_apigatewayv2_integration.route[each.key].id}"
  operation_name     = trimprefix(each.key, "$")
  authorization_type = "NONE"

  # The message function's return value (the ack or error frame) is sent back to the caller.
  route_response_selection_expression = each.key == "$default" ? "$default" : null
}

resource "aws_apigatewayv2_route_response" "default" {
  api_id             = aws_apigatewayv2_api.ws.id
  route_id           = aws_apigatewayv2_route.route["$default"].id
  route_response_key = "$default"
}

resource "aws_lambda_permission" "route" {
  for_each = local.routes

  statement_id  = "AllowApiGateway${title(trimprefix(each.key, "$"))}"
  action        = "lambda:InvokeFunction"
  function_name = each.value.function_name
  qualifier     = each.value.alias_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_apigatewayv2_api.ws.execution_arn}/${local.stage_name}/${each.key}"
}

# ---------------------------------------------------------------------------------------
# Deployment and stage
# ---------------------------------------------------------------------------------------

resource "aws_apigatewayv2_deployment" "ws" {
  count = contains(var.rehearsal_omit, "api_deployment") ? 0 : 1

  api_id      = aws_apigatewayv2_api.ws.id
  description = "Routes and integrations as of this apply"

  # The whole route, integration and route-response objects (as terraform-aws-modules
  # does): a change to any argument (authorization, timeout, selection expression, target)
  # makes a new deployment, so the stage never serves a stale copy of the routes.
  triggers = {
    redeployment = sha1(jsonencode([
      aws_apigatewayv2_route.route,
      aws_apigatewayv2_integration.route,
      aws_apigatewayv2_route_response.default,
    ]))
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_cloudwatch_log_group" "access" {
  name              = "/aws/apigateway/${local.name}-ws/access"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.stack.arn
}

# Execution logs (logging_level below): API Gateway writes them to this group and would
# create it itself on first use, unencrypted and kept forever. Created here first, with the
# stack's retention and key.
resource "aws_cloudwatch_log_group" "execution" {
  name              = "/aws/apigateway/${aws_apigatewayv2_api.ws.id}/${local.stage_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.stack.arn
}

resource "aws_apigatewayv2_stage" "ws" {
  #checkov:skip=CKV2_AWS_51:Clients are browsers on venue Wi-Fi and TVs; they authenticate with signed tokens at $connect, mutual TLS client certificates cannot be provisioned to them.
  api_id        = aws_apigatewayv2_api.ws.id
  name          = local.stage_name
  description   = "The ${var.environment} stage"
  deployment_id = one(aws_apigatewayv2_deployment.ws[*].id)

  default_route_settings {
    throttling_rate_limit    = var.stage_throttle.rate_limit
    throttling_burst_limit   = var.stage_throttle.burst_limit
    detailed_metrics_enabled = true
    logging_level            = "ERROR"
    data_trace_enabled       = false
  }

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.access.arn
    format = jsonencode({
      requestId    = "$context.requestId"
      connectionId = "$context.connectionId"
      eventType    = "$context.eventType"
      routeKey     = "$context.routeKey"
      status       = "$context.status"
      requestTime  = "$context.requestTimeEpoch"
      ip           = "$context.identity.sourceIp"
      # integrationStatus is Lambda's answer to the invoke (429: throttled, 5xx: Lambda or
      # permissions); functionStatus is the status the function's own code returned;
      # responseType names API Gateway's error (e.g. INTEGRATION_FAILURE, THROTTLED).
      integrationStatus  = "$context.integrationStatus"
      functionStatus     = "$context.integration.status"
      integrationLatency = "$context.integration.latency"
      integrationError   = "$context.integration.error"
      errorMessage       = "$context.error.message"
      responseType       = "$context.error.responseType"
    })
  }

  depends_on = [aws_api_gateway_account.logging, aws_cloudwatch_log_group.execution]
}

# ---------------------------------------------------------------------------------------
# Region-wide: the role API Gateway uses to write access and execution logs
# ---------------------------------------------------------------------------------------

resource "aws_iam_role" "api_gateway_logging" {
  count = var.manage_api_gateway_account ? 1 : 0

  name               = "${local.name}-apigateway-logs"
  description        = "Lets API Gateway write this region's access and execution logs"
  assume_role_policy = module.api_gateway_trust.json
}

module "api_gateway_trust" {
  source = "./modules/trust_policy"

  service    = "apigateway.amazonaws.com"
  account_id = local.account_id
}

resource "aws_iam_role_policy_attachment" "api_gateway_logging" {
  count = var.manage_api_gateway_account ? 1 : 0

  role       = aws_iam_role.api_gateway_logging[0].name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
}

resource "aws_api_gateway_account" "logging" {
  count = var.manage_api_gateway_account ? 1 : 0

  cloudwatch_role_arn = aws_iam_role.api_gateway_logging[0].arn
  depends_on          = [aws_iam_role_policy_attachment.api_gateway_logging]
}

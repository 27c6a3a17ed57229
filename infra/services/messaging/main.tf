# $default: the protocol. Reads the caller's connection record, keeps subscriptions and the
# rate counter (connections table), reads and writes coordination items in transactions,
# and posts snapshot and sync pages to the caller through the Management API.
# It never verifies a caller's token, but device pairing (pair.approve) mints the paired
# screen's token, so it reads the signing key (and knows where it is) like $connect.

locals {
  # revoke and expiry close connections: exactly DELETE on this stage's @connections.
  close_connections = replace(var.service.shared.post_to_connections_arn, "POST/@connections", "DELETE/@connections")
}

module "on_message" {
  source = "../../modules/function"

  name                 = "message"
  description          = "$default: validates, authorizes and applies protocol messages"
  handler              = "messaging.handler.on_message"
  reserved_concurrency = var.reserved_concurrency
  service              = var.service
  environment          = { MEDIADAY_SIGNING_SECRET_ARN = var.signing_secret_arn }

  grants = [
    {
      sid = "ConnectionsAndSubscriptions"
      actions = [
        "dynamodb:GetItem",
        "dynamodb:Query",
        "dynamodb:UpdateItem",
        "dynamodb:BatchWriteItem",
        "dynamodb:PutItem",    # a revocation, a pairing code
        "dynamodb:DeleteItem", # a paired or replaced pairing code, a paired screen
      ]
      resources = [var.service.shared.connections_table_arn]
    },
    # A media day's devices (the devices topic, revoke): one Query of `by_day`.
    { sid = "ListDevices", actions = ["dynamodb:Query"], resources = ["${var.service.shared.connections_table_arn}/index/by_day"] },
    {
      sid       = "ReadCoordination"
      actions   = ["dynamodb:GetItem", "dynamodb:Query"]
      resources = [var.service.shared.coordination_table_arn, "${var.service.shared.coordination_table_arn}/index/*"]
    },
    { sid = "WriteCoordination", actions = ["dynamodb:PutItem", "dynamodb:UpdateItem"], resources = [var.service.shared.coordination_table_arn] },
    { sid = "AnswerTheCaller", actions = ["execute-api:ManageConnections"], resources = [var.service.shared.post_to_connections_arn] },
    { sid = "CloseConnections", actions = ["execute-api:ManageConnections"], resources = [local.close_connections] },
    { sid = "MintPairedTokens", actions = ["secretsmanager:GetSecretValue"], resources = [var.signing_secret_arn] },
  ]
}

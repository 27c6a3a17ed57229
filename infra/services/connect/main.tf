# $connect and $disconnect: one service (one package), two functions, two roles.
# connect verifies tokens (Secrets Manager) and records the connection (PutItem);
# disconnect finds the connection's rows (Query) and deletes them (BatchWriteItem).

locals {
  secret_read = {
    Sid      = "ReadSigningKey"
    Effect   = "Allow"
    Action   = ["secretsmanager:GetSecretValue"]
    Resource = [var.signing_secret_arn]
  }
  decrypt = {
    Sid      = "DecryptWithStackKey"
    Effect   = "Allow"
    Action   = ["kms:Decrypt"]
    Resource = [var.platform.kms_key_arn]
  }
}

module "on_connect" {
  source = "../../modules/function"

  name        = "${var.name_prefix}-connect"
  description = "$connect: verifies the token and origin, records the connection"
  handler     = "connect.handler.on_connect"
  package     = var.package
  # Only $connect verifies tokens, so only it learns where the signing key is.
  environment = merge(var.environment, {
    MEDIADAY_SIGNING_SECRET_ARN = var.signing_secret_arn
  })
  memory_mb            = var.memory_mb
  timeout_seconds      = var.timeout_seconds
  reserved_concurrency = var.reserved_concurrency.connect
  platform             = var.platform

  policy_statements = [
    {
      Sid      = "RecordConnection"
      Effect   = "Allow"
      Action   = ["dynamodb:PutItem"]
      Resource = [var.connections_table_arn]
    },
    local.secret_read,
    local.decrypt,
  ]
}

module "on_disconnect" {
  source = "../../modules/function"

  name                 = "${var.name_prefix}-disconnect"
  description          = "$disconnect: removes the connection and its subscriptions"
  handler              = "connect.handler.on_disconnect"
  package              = var.package
  environment          = var.environment
  memory_mb            = var.memory_mb
  timeout_seconds      = var.timeout_seconds
  reserved_concurrency = var.reserved_concurrency.disconnect
  platform             = var.platform

  policy_statements = [
    {
      Sid      = "RemoveConnection"
      Effect   = "Allow"
      Action   = ["dynamodb:Query", "dynamodb:BatchWriteItem"]
      Resource = [var.connections_table_arn]
    },
    local.decrypt,
  ]
}

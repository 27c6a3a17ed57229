# $connect and $disconnect, and the rotation of the key that signs the tokens: one service
# (one package), three functions, three roles. connect verifies tokens (Secrets Manager)
# and records the connection (PutItem); disconnect finds the connection's rows (Query) and
# deletes them (BatchWriteItem); rotate_signing_key is Secrets Manager's rotation function
# for the signing key, invoked on schedule.

locals {
  # POST tells the devices topic's subscribers (producers) of a connect or disconnect;
  # DELETE (the sweep only) closes a connection whose token expired.
  post_to_connections = var.service.shared.post_to_connections_arn
  close_connections   = replace(var.service.shared.post_to_connections_arn, "POST/@connections", "DELETE/@connections")
  connections_indexes = "${var.service.shared.connections_table_arn}/index/*"
  secret_read         = { sid = "ReadSigningKey", actions = ["secretsmanager:GetSecretValue"], resources = [var.signing_secret_arn] }
}

module "on_connect" {
  source = "../../modules/function"

  name        = "connect"
  description = "$connect: verifies the token and origin, records the connection"
  handler     = "connect.handler.on_connect"
  # Only $connect verifies tokens, so only it learns where the signing key is.
  environment          = { MEDIADAY_SIGNING_SECRET_ARN = var.signing_secret_arn }
  reserved_concurrency = var.reserved_concurrency.connect
  service              = var.service
  # A venue's Wi-Fi comes back and every screen reconnects at once: restoring a snapshot
  # beats importing Powertools and pydantic in each new environment. Its import makes no
  # connection and holds no unique value (clients and keys are made at the first call).
  snap_start = true

  grants = [
    # UpdateItem: a pairing screen's per-source counter (docs/security.md).
    { sid = "RecordConnection", actions = ["dynamodb:PutItem", "dynamodb:UpdateItem"], resources = [var.service.shared.connections_table_arn] },
    # The day's revocations and the devices topic's subscribers: one Query each.
    { sid = "ReadRevocationsAndDeviceWatchers", actions = ["dynamodb:Query"], resources = [var.service.shared.connections_table_arn] },
    { sid = "AnnounceDevice", actions = ["execute-api:ManageConnections"], resources = [local.post_to_connections] },
    local.secret_read,
  ]
}

module "on_disconnect" {
  source = "../../modules/function"

  name                 = "disconnect"
  description          = "$disconnect: removes the connection and its subscriptions"
  handler              = "connect.handler.on_disconnect"
  reserved_concurrency = var.reserved_concurrency.disconnect
  service              = var.service

  grants = [
    {
      # DeleteItem: a screen that left while waiting to be paired.
      sid       = "RemoveConnection"
      actions   = ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:BatchWriteItem", "dynamodb:DeleteItem"]
      resources = [var.service.shared.connections_table_arn]
    },
    { sid = "AnnounceDevice", actions = ["execute-api:ManageConnections"], resources = [local.post_to_connections] },
  ]
}

# ---------------------------------------------------------------------------------------
# The expiry sweep: closes connections that send nothing once their token has expired
# ---------------------------------------------------------------------------------------

# Started every minute; inside, it passes every MEDIADAY_EXPIRY_SWEEP_SECONDS (2 s) until
# the minute is up, so an idle socket is closed within about 2 s of its token's expiry.
module "sweep_expired" {
  source = "../../modules/function"

  name                 = "sweep-expired"
  description          = "Closes connections whose token has expired (DELETE @connections)"
  handler              = "connect.handler.on_sweep"
  timeout_seconds      = 60
  reserved_concurrency = 1
  service              = var.service

  grants = [
    {
      sid       = "FindExpiredConnections"
      actions   = ["dynamodb:Query", "dynamodb:BatchWriteItem"]
      resources = [var.service.shared.connections_table_arn, local.connections_indexes]
    },
    # Tell the client why, then close it: exactly POST and DELETE on this stage.
    {
      sid       = "NotifyAndCloseConnections"
      actions   = ["execute-api:ManageConnections"]
      resources = [local.post_to_connections, local.close_connections]
    },
  ]
}

resource "aws_cloudwatch_event_rule" "sweep_expired" {
  name                = "${var.service.name_prefix}-sweep-expired"
  description         = "Starts the expiry sweep every minute"
  schedule_expression = "rate(1 minute)"
}

resource "aws_cloudwatch_event_target" "sweep_expired" {
  rule = aws_cloudwatch_event_rule.sweep_expired.name
  arn  = module.sweep_expired.alias_arn
}

resource "aws_lambda_permission" "sweep_expired" {
  statement_id  = "AllowEventBridgeSweep"
  action        = "lambda:InvokeFunction"
  function_name = module.sweep_expired.function_name
  qualifier     = module.sweep_expired.alias_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.sweep_expired.arn
}

# ---------------------------------------------------------------------------------------
# Rotation of the signing key
# ---------------------------------------------------------------------------------------

# Secrets Manager runs the four rotation steps (createSecret, setSecret, testSecret,
# finishSecret) one invocation after another, so one execution at a time is all it needs.
# The new key is generated in the function, so there is no GetRandomPassword (whose
# resource can only be "*"). The old key stays AWSPREVIOUS and keeps verifying tokens it
# signed until they expire.
module "rotate_signing_key" {
  source = "../../modules/function"

  name                 = "rotate-signing-key"
  description          = "Secrets Manager rotation of the token signing key (createSecret, setSecret, testSecret, finishSecret)"
  handler              = "connect.handler.on_rotate_signing_key"
  timeout_seconds      = 30
  reserved_concurrency = 1
  service              = var.service

  grants = [
    {
      sid = "RotateSigningKey"
      actions = [
        "secretsmanager:DescribeSecret",
        "secretsmanager:GetSecretValue",
        "secretsmanager:PutSecretValue",
        "secretsmanager:UpdateSecretVersionStage",
      ]
      resources = [var.signing_secret_arn]
    },
    {
      # PutSecretValue encrypts the new key under a data key made for this secret only.
      sid       = "EncryptNewKeyWithStackKey"
      actions   = ["kms:GenerateDataKey"]
      resources = [var.service.platform.kms_key_arn]
      condition = { StringEquals = { "kms:EncryptionContext:SecretARN" = var.signing_secret_arn } }
    },
  ]
}

# Only Secrets Manager, rotating this secret in this account, may invoke it.
resource "aws_lambda_permission" "rotate_signing_key" {
  statement_id   = "AllowSecretsManagerRotation"
  action         = "lambda:InvokeFunction"
  function_name  = module.rotate_signing_key.function_name
  principal      = "secretsmanager.amazonaws.com"
  source_account = var.service.platform.account_id
  source_arn     = var.signing_secret_arn
}

# Configuring rotation rotates once right away (rotate_immediately defaults to true): the
# deploy itself runs all four steps, so a broken rotation shows up at once (errors alarm),
# not a month later. Off only in the deploy rehearsal, where moto would have to run the
# function in a container.
resource "aws_secretsmanager_secret_rotation" "signing_key" {
  count = var.rotate_automatically ? 1 : 0

  secret_id           = var.signing_secret_arn
  rotation_lambda_arn = module.rotate_signing_key.arn

  rotation_rules {
    automatically_after_days = var.signing_key_rotation_days
  }

  # Secrets Manager checks that it may invoke the function when rotation is configured, and
  # the first rotation runs at once: the whole module (role, both policies, function) and
  # the permission exist first, so the first step cannot meet a role without its grants.
  depends_on = [aws_lambda_permission.rotate_signing_key, module.rotate_signing_key]
}

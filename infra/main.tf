# CBTC Media Day Live on AWS: a WebSocket API whose routes invoke three Lambda services,
# two DynamoDB tables, the coordination stream feeding the broadcaster, the signing key in
# Secrets Manager, the web pages behind CloudFront, and alarms. One configuration, two
# environments (environments/dev.tfvars, environments/prod.tfvars).
#
# Layout: this file (naming, the stack key, the signing key, the services), tables.tf,
# api.tf, web.tf, alarms.tf; each service's functions and least-privilege policies live in
# services/<name>/, the shape every function shares in modules/function/ (whose platform.tf,
# the input every service shares, services/<name>/platform.tf link to), the per-function
# alarms in modules/function_alarms/.

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  name        = "${var.project}-${var.environment}"
  account_id  = data.aws_caller_identity.current.account_id
  partition   = data.aws_partition.current.partition
  package_dir = coalesce(var.package_dir, "${path.module}/../build")
  web_dir     = coalesce(var.web_dir, "${path.module}/../client/web")

  platform = {
    partition          = local.partition
    region             = var.region
    account_id         = local.account_id
    kms_key_arn        = aws_kms_key.stack.arn
    log_retention_days = var.log_retention_days
    tracing            = var.tracing
  }

  # The ARNs the services' policies and the stream mapping name (one object, not one input
  # per ARN per service); indexes and stream ARNs are derived from the table ARNs.
  shared = {
    connections_table_arn   = aws_dynamodb_table.connections.arn
    coordination_table_arn  = aws_dynamodb_table.coordination.arn
    coordination_stream_arn = aws_dynamodb_table.coordination.stream_arn
    post_to_connections_arn = local.post_to_connections_arn
  }

  # What each service module gets: its functions' limits, its package from `make package`,
  # its environment, the stack-wide platform and the shared ARNs.
  service_limits = {
    connect = { memory_mb = var.memory_mb.connect, timeout_seconds = 10 }
    # API Gateway waits at most 29 s for the message function's answer.
    messaging = { memory_mb = var.memory_mb.message, timeout_seconds = 29 }
    broadcast = { memory_mb = var.memory_mb.broadcast, timeout_seconds = 60 }
  }
  services = {
    for service, limits in local.service_limits : service => merge(limits, {
      name_prefix = local.name
      platform    = local.platform
      shared      = local.shared
      package = {
        file = "${local.package_dir}/${service}.zip"
        hash = filebase64sha256("${local.package_dir}/${service}.zip")
      }
      environment = merge(local.common_environment, { POWERTOOLS_SERVICE_NAME = service })
    })
  }

  # Browsers may open the socket only from the stack's own pages and the listed origins;
  # clients that send no Origin (the CLI) are not browsers and are always let through.
  allowed_origins = distinct(concat(
    var.enable_cdn ? ["https://${aws_cloudfront_distribution.web[0].domain_name}"] : [],
    var.allowed_origins,
  ))

  # Names and ARNs only: the signing key itself stays in Secrets Manager.
  common_environment = {
    MEDIADAY_CONNECTIONS_TABLE     = aws_dynamodb_table.connections.name
    MEDIADAY_COORDINATION_TABLE    = aws_dynamodb_table.coordination.name
    MEDIADAY_MANAGEMENT_ENDPOINT   = local.management_endpoint
    MEDIADAY_ALLOWED_ORIGINS       = jsonencode(local.allowed_origins)
    MEDIADAY_RATE_LIMIT_PER_MINUTE = tostring(var.rate_limit_per_minute)
    POWERTOOLS_METRICS_NAMESPACE   = "MediaDayLive"
  }
}

# ---------------------------------------------------------------------------------------
# The stack's KMS key: tables, logs, secret, queue, topic, bucket, function environments
# ---------------------------------------------------------------------------------------

locals {
  # The key policy's statements for the account and the services that encrypt with the key.
  key_statements = [
    {
      # The account (its IAM policies) administers and uses the key; roles get only what
      # their own policies grant.
      Sid       = "AccountAdministers"
      Effect    = "Allow"
      Principal = { AWS = "arn:${local.partition}:iam::${local.account_id}:root" }
      Action    = "kms:*"
      Resource  = "*"
    },
    {
      Sid       = "LogsEncryptThisAccountsLogGroups"
      Effect    = "Allow"
      Principal = { Service = "logs.${var.region}.amazonaws.com" }
      Action    = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
      Resource  = "*"
      Condition = {
        ArnLike = {
          "kms:EncryptionContext:aws:logs:arn" = "arn:${local.partition}:logs:${var.region}:${local.account_id}:log-group:*"
        }
      }
    },
    {
      Sid       = "AlarmsPublishToEncryptedTopic"
      Effect    = "Allow"
      Principal = { Service = "cloudwatch.amazonaws.com" }
      Action    = ["kms:Decrypt", "kms:GenerateDataKey*"]
      Resource  = "*"
      Condition = { StringEquals = { "aws:SourceAccount" = local.account_id } }
    },
  ]
}

resource "aws_kms_key" "stack" {
  description             = "${local.name}: encrypts the stack's tables, logs, secret, queues and web bucket"
  enable_key_rotation     = true
  deletion_window_in_days = 30

  policy = jsonencode({
    Version = "2012-10-17"
    # CloudFront: the stack's own distribution only (AWS's documented condition for origin
    # access control on an SSE-KMS bucket), never the account's other distributions.
    Statement = concat(local.key_statements, var.enable_cdn ? [{
      Sid       = "CloudFrontReadsEncryptedPages"
      Effect    = "Allow"
      Principal = { Service = "cloudfront.amazonaws.com" }
      Action    = ["kms:Decrypt"]
      Resource  = "*"
      Condition = { StringEquals = { "aws:SourceArn" = aws_cloudfront_distribution.web[0].arn } }
    }] : [])
  })
}

resource "aws_kms_alias" "stack" {
  name          = "alias/${local.name}"
  target_key_id = aws_kms_key.stack.key_id
}

# ---------------------------------------------------------------------------------------
# Token signing key (rotated by the connect service's rotation function)
# ---------------------------------------------------------------------------------------

module "signing_key" {
  source    = "./modules/signing_key"
  providers = { aws = aws.secrets }

  name          = "${local.name}/signing-key"
  kms_key_arn   = aws_kms_key.stack.arn
  recovery_days = var.secret_recovery_days
}

# ---------------------------------------------------------------------------------------
# Services
# ---------------------------------------------------------------------------------------

module "connect" {
  source  = "./services/connect"
  service = local.services.connect

  signing_secret_arn        = module.signing_key.secret_arn
  signing_key_rotation_days = var.signing_key_rotation_days
  rotate_automatically      = !contains(var.rehearsal_omit, "signing_key_rotation")
  reserved_concurrency = {
    connect    = var.reserved_concurrency.connect
    disconnect = var.reserved_concurrency.disconnect
  }
}

module "messaging" {
  source  = "./services/messaging"
  service = local.services.messaging

  reserved_concurrency = var.reserved_concurrency.message
  signing_secret_arn   = module.signing_key.secret_arn
}

module "broadcast" {
  source  = "./services/broadcast"
  service = local.services.broadcast

  reserved_concurrency = var.reserved_concurrency.broadcast
  stream               = var.stream
}

# Every function of the stack, by the name its alarms use: one list for whatever spans
# them all (alarms, the dashboard, the IAM checks in tests/).
locals {
  functions = {
    connect  = module.connect.connect, disconnect = module.connect.disconnect
    rotation = module.connect.rotate_signing_key, sweep = module.connect.sweep_expired
    message  = module.messaging.message, broadcast = module.broadcast.broadcast
  }
}

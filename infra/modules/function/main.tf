# One Lambda function with what every function needs: its own role, its own encrypted log
# group with retention, X-Ray tracing and reserved concurrency. What the function may do
# beyond logging, tracing and decrypting with the stack key comes in as `grants` (sid,
# actions, resources: each an Allow statement), so each service states its least privilege
# next to the code that needs it.

locals {
  # Each grant as the Allow statement it stands for (a Condition only where one is given).
  granted = [for grant in var.grants : merge(
    { Sid = grant.sid, Effect = "Allow", Action = grant.actions, Resource = grant.resources },
    { for key, value in { Condition = grant.condition } : key => value if value != null },
  )]
  platform       = var.service.platform
  function_name  = "${var.service.name_prefix}-${var.name}"
  log_group_name = "/aws/lambda/${local.function_name}"
  log_group_arn  = "arn:${local.platform.partition}:logs:${local.platform.region}:${local.platform.account_id}:log-group:${local.log_group_name}"
}

# ---------------------------------------------------------------------------------------
# Role
# ---------------------------------------------------------------------------------------

module "trust" {
  source = "../trust_policy"

  service    = "lambda.amazonaws.com"
  account_id = local.platform.account_id
}

resource "aws_iam_role" "this" {
  name               = local.function_name
  description        = "Execution role of the ${local.function_name} Lambda function"
  assume_role_policy = module.trust.json
}

resource "aws_iam_role_policy" "runtime" {
  name = "runtime"
  role = aws_iam_role.this.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "WriteOwnLogs"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = ["${local.log_group_arn}:*"]
      },
      {
        # X-Ray has no resource-level permissions: these two actions only accept "*".
        Sid      = "SendTraces"
        Effect   = "Allow"
        Action   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
        Resource = ["*"]
      },
    ]
  })
}

resource "aws_iam_role_policy" "service" {
  name = "service"
  role = aws_iam_role.this.id
  policy = jsonencode({
    Version = "2012-10-17"
    # Every function reads its own environment, encrypted with the stack key, and the tables
    # and secret it reaches are encrypted with it too; the key answers only calls that come
    # through those services (kms:ViaService), never a direct Decrypt from the function.
    Statement = concat(local.granted, [{
      Sid      = "DecryptWithStackKey"
      Effect   = "Allow"
      Action   = ["kms:Decrypt"]
      Resource = [local.platform.kms_key_arn]
      Condition = {
        StringEquals = {
          "kms:ViaService" = [for service in ["lambda", "dynamodb", "secretsmanager"] : "${service}.${local.platform.region}.amazonaws.com"]
        }
      }
    }])
  })
}

# ---------------------------------------------------------------------------------------
# Logs and function
# ---------------------------------------------------------------------------------------

resource "aws_cloudwatch_log_group" "this" {
  name              = local.log_group_name
  retention_in_days = local.platform.log_retention_days
  kms_key_id        = local.platform.kms_key_arn
}

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_116:Invoked synchronously (API Gateway) or by a stream mapping with its own on-failure queue; a function DLQ only catches asynchronous invocations.
  #checkov:skip=CKV_AWS_117:Talks only to DynamoDB, Secrets Manager and the Management API over their public endpoints; a VPC would add NAT cost and cold-start latency and protect nothing.
  #checkov:skip=CKV_AWS_272:Packages are built from the reviewed repository by the deploy workflow; code signing (AWS Signer profiles) is not set up for this stack.
  function_name                  = local.function_name
  description                    = var.description
  role                           = aws_iam_role.this.arn
  handler                        = var.handler
  runtime                        = "python3.12"
  architectures                  = ["x86_64"]
  filename                       = var.service.package.file
  source_code_hash               = var.service.package.hash
  memory_size                    = var.service.memory_mb
  timeout                        = coalesce(var.timeout_seconds, var.service.timeout_seconds)
  reserved_concurrent_executions = var.reserved_concurrency
  kms_key_arn                    = local.platform.kms_key_arn

  environment {
    variables = merge(var.service.environment, var.environment)
  }

  tracing_config {
    mode = local.platform.tracing ? "Active" : "PassThrough"
  }

  # Every apply that changes the code or configuration publishes a new version; callers go
  # through the `live` alias below, so a rollback is one `aws lambda update-alias`.
  publish = true

  # SnapStart snapshots the initialised function when a version is published (Python 3.12+,
  # published versions and aliases only); see docs/reliability.md for what that asks of
  # the code (no unique state or open connections made at import).
  dynamic "snap_start" {
    for_each = var.snap_start ? [1] : []
    content {
      apply_on = "PublishedVersions"
    }
  }

  # The first invocation can follow creation at once (the signing key's rotation does):
  # every policy of the role exists before the function does.
  depends_on = [aws_cloudwatch_log_group.this, aws_iam_role_policy.runtime, aws_iam_role_policy.service]
}

# What API Gateway, the stream mapping and Secrets Manager invoke: the published version
# this apply made, or the one an operator rolled back to (see README, "Roll back").
resource "aws_lambda_alias" "live" {
  name             = "live"
  description      = "The version callers invoke; move it to roll back"
  function_name    = aws_lambda_function.this.function_name
  function_version = aws_lambda_function.this.version
}
